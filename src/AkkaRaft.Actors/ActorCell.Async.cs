using AkkaRaft.Actors.Dispatch;

namespace AkkaRaft.Actors;

internal sealed partial class ActorCell
{
    private ActorSynchronizationContext? _syncContext;
    private Task? _awaiting;
    private long _asyncGeneration;
    private IActorRef? _asyncSender;
    private object? _asyncMessage;

    /// <summary>
    /// Runs <paramref name="action"/> with this actor's synchronization context, so its awaits resume on the mailbox.
    /// While the task runs, user messages wait; system messages (and the continuations) go on.
    /// </summary>
    public void RunTask(Func<Task> action)
    {
        if (t_current != this) throw new InvalidOperationException($"RunTask must be called from {Self.Path}'s own message handling");
        if (_awaiting is not null) throw new InvalidOperationException($"{Self.Path} is already running an asynchronous handler");
        var context = _syncContext ??= new ActorSynchronizationContext(this);
        var previous = SynchronizationContext.Current;
        SynchronizationContext.SetSynchronizationContext(context);
        Task task;
        try
        {
            task = action() ?? throw new InvalidOperationException("an asynchronous handler returned a null task");
        }
        finally
        {
            SynchronizationContext.SetSynchronizationContext(previous);
        }
        if (task.IsCompleted)
        {
            ThrowIfFailed(task);
            return;
        }
        _awaiting = task;
        _asyncSender = _currentSender;
        _asyncMessage = _currentMessage;
        var generation = ++_asyncGeneration;
        task.ContinueWith(
            static (t, state) =>
            {
                var (cell, gen) = ((ActorCell, long))state!;
                cell.Self.SendSystem(new AsyncCompleted(t, gen));
            },
            (this, generation),
            CancellationToken.None,
            TaskContinuationOptions.ExecuteSynchronously,
            TaskScheduler.Default);
    }

    internal void PostContinuation(SendOrPostCallback callback, object? state) =>
        Self.SendSystem(new AsyncContinuation(callback, state, _incarnation));

    private void RunContinuation(AsyncContinuation continuation)
    {
        if (continuation.Incarnation != _incarnation || _terminating) return;
        var previous = SynchronizationContext.Current;
        SynchronizationContext.SetSynchronizationContext(_syncContext);
        _currentSender = _asyncSender;
        try
        {
            continuation.Callback(continuation.State);
        }
        finally
        {
            SynchronizationContext.SetSynchronizationContext(previous);
        }
    }

    private void AsyncTaskCompleted(AsyncCompleted completed)
    {
        if (completed.Generation != _asyncGeneration || _awaiting is null) return;
        _awaiting = null;
        _asyncSender = null;
        var message = _asyncMessage;
        _asyncMessage = null;
        if (completed.Task.IsFaulted || completed.Task.IsCanceled)
        {
            _currentMessage = message;
            try
            {
                ThrowIfFailed(completed.Task);
            }
            finally
            {
                _currentMessage = null;
            }
        }
    }

    private void CancelAsync()
    {
        _awaiting = null;
        _asyncSender = null;
        _asyncMessage = null;
        _asyncGeneration++;
    }

    private static void ThrowIfFailed(Task task)
    {
        if (task.IsFaulted)
        {
            var e = task.Exception!;
            ActorBase.Rethrow(e.InnerExceptions.Count == 1 ? e.InnerExceptions[0] : e);
        }
        if (task.IsCanceled) throw new TaskCanceledException(task);
    }

    /// <summary>Posts every continuation back to the actor's mailbox, so awaits inside an actor stay on the actor.</summary>
    private sealed class ActorSynchronizationContext(ActorCell cell) : SynchronizationContext
    {
        public override void Post(SendOrPostCallback d, object? state) => cell.PostContinuation(d, state);

        public override void Send(SendOrPostCallback d, object? state)
        {
            if (t_current == cell) d(state);
            else cell.PostContinuation(d, state);
        }

        public override SynchronizationContext CreateCopy() => this;
    }
}
