using System.Globalization;

namespace AkkaRaft.Actors;

/// <summary><c>Ask</c> and <c>PipeTo</c>, in Akka.NET's shapes.</summary>
public static class Futures
{
    /// <summary>
    /// Sends <paramref name="message"/> to <paramref name="target"/> with a temporary sender and returns its first reply.
    /// A <see cref="Status.Failure"/> reply faults the task with its cause; no reply within <paramref name="timeout"/>
    /// (default <c>akkaraft.actor.ask-timeout</c>) faults it with <see cref="AskTimeoutException"/> naming the target and
    /// the message type. Under the simulation the timeout runs in virtual time.
    /// </summary>
    /// <exception cref="InvalidCastException">(in the task) The reply is not a <typeparamref name="T"/>.</exception>
    public static Task<T> Ask<T>(this IActorRef target, object message, TimeSpan? timeout = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(target);
        ArgumentNullException.ThrowIfNull(message);
        var system = (target as IInternalActorRef)?.System ?? ActorCell.Current?.System
            ?? throw new InvalidOperationException($"cannot Ask {target.Path}: the ref belongs to no actor system known here (use a ref created by an ActorSystem)");
        var wait = timeout ?? system.Settings.AskTimeout;
        if ((wait <= TimeSpan.Zero || wait > SchedulerBase.MaxDelay) && wait != Timeout.InfiniteTimeSpan)
            throw new ArgumentOutOfRangeException(nameof(timeout), wait, $"an Ask timeout must be positive and at most {SchedulerBase.MaxDelay.TotalDays} days, or infinite");
        if (system.HasTerminated)
            return Task.FromException<T>(new AskTimeoutException($"cannot Ask {target.Path}: actor system {system.Name} has terminated"));
        var promise = new PromiseActorRef<T>(system, target, message, wait, cancellationToken);
        // The system may have terminated while the promise registered itself; then nobody else will fail it.
        if (system.HasTerminated) promise.Fail(new AskTimeoutException($"cannot Ask {target.Path}: actor system {system.Name} has terminated"));
        target.Tell(message, promise);
        return promise.Task;
    }

    /// <summary>Like <see cref="Ask{T}"/> for any reply type.</summary>
    public static Task<object> Ask(this IActorRef target, object message, TimeSpan? timeout = null, CancellationToken cancellationToken = default) =>
        Ask<object>(target, message, timeout, cancellationToken);

    /// <summary>
    /// When <paramref name="task"/> completes, tells <paramref name="recipient"/> its result (or
    /// <paramref name="success"/>'s mapping of it), or a <see cref="Status.Failure"/> (or <paramref name="failure"/>'s
    /// mapping of the exception). The tell happens on the thread that completes the task; use it to bring results of
    /// I/O back into an actor's mailbox. A null result is sent as <see cref="Status.Success"/> with a null status.
    /// </summary>
    public static Task PipeTo<T>(this Task<T> task, IActorRef recipient, IActorRef? sender = null,
        Func<T, object>? success = null, Func<Exception, object>? failure = null)
    {
        ArgumentNullException.ThrowIfNull(task);
        ArgumentNullException.ThrowIfNull(recipient);
        return task.ContinueWith(
            t =>
            {
                if (t.IsCompletedSuccessfully)
                {
                    var result = success is not null ? success(t.Result) : t.Result;
                    recipient.Tell(result ?? new Status.Success(null), sender);
                }
                else
                {
                    var cause = Unwrap(t);
                    recipient.Tell(failure is not null ? failure(cause) : new Status.Failure(cause), sender);
                }
            },
            CancellationToken.None,
            TaskContinuationOptions.ExecuteSynchronously,
            TaskScheduler.Default);
    }

    /// <summary>
    /// When <paramref name="task"/> completes, tells <paramref name="recipient"/> <see cref="Status.Success"/> (or
    /// <paramref name="success"/>'s message) or a <see cref="Status.Failure"/> (or <paramref name="failure"/>'s mapping).
    /// </summary>
    public static Task PipeTo(this Task task, IActorRef recipient, IActorRef? sender = null,
        Func<object>? success = null, Func<Exception, object>? failure = null)
    {
        ArgumentNullException.ThrowIfNull(task);
        ArgumentNullException.ThrowIfNull(recipient);
        return task.ContinueWith(
            t =>
            {
                if (t.IsCompletedSuccessfully) recipient.Tell(success?.Invoke() ?? new Status.Success(null), sender);
                else
                {
                    var cause = Unwrap(t);
                    recipient.Tell(failure is not null ? failure(cause) : new Status.Failure(cause), sender);
                }
            },
            CancellationToken.None,
            TaskContinuationOptions.ExecuteSynchronously,
            TaskScheduler.Default);
    }

    private static Exception Unwrap(Task t)
    {
        if (t.IsCanceled) return new TaskCanceledException(t);
        var e = t.Exception!;
        return e.InnerExceptions.Count == 1 ? e.InnerExceptions[0] : e;
    }
}

/// <summary>A pending Ask.</summary>
internal interface IPromiseRef
{
    /// <summary>Fails the pending Ask (the system terminated).</summary>
    void Fail(Exception cause);
}

/// <summary>The temporary sender of an Ask: completes its task with the first message told to it.</summary>
internal sealed class PromiseActorRef<T> : IInternalActorRef, IPromiseRef
{
    private readonly TaskCompletionSource<T> _promise;
    private readonly string _name;
    private readonly ICancelable? _timeout;
    private readonly CancellationTokenRegistration _cancellation;

    public PromiseActorRef(ActorSystem system, IActorRef target, object message, TimeSpan timeout, CancellationToken cancellationToken)
    {
        System = system;
        // Under the simulation continuations run inline on the simulation thread, which keeps runs reproducible;
        // on the thread pool they must not run on the replying actor's thread.
        _promise = new TaskCompletionSource<T>(system.Simulation is null ? TaskCreationOptions.RunContinuationsAsynchronously : TaskCreationOptions.None);
        (Path, _name) = system.NextTempPath();
        system.RegisterTemp(_name, this);
        if (timeout != Timeout.InfiniteTimeSpan)
        {
            var targetPath = target.Path;
            var messageType = message.GetType().FullName;
            _timeout = system.Scheduler.ScheduleOnce(timeout, () =>
            {
                if (_promise.TrySetException(new AskTimeoutException(
                        $"Ask timed out on [{targetPath}] after [{timeout.TotalMilliseconds.ToString(CultureInfo.InvariantCulture)} ms]: no reply to a message of type [{messageType}]")))
                    Cleanup();
            });
        }
        if (cancellationToken.CanBeCanceled)
        {
            _cancellation = cancellationToken.Register(() =>
            {
                if (_promise.TrySetCanceled(cancellationToken)) Cleanup();
            });
        }
    }

    public ActorPath Path { get; }

    public ActorSystem System { get; }

    public bool IsLocal => true;

    public Task<T> Task => _promise.Task;

    public void Tell(object message, IActorRef? sender)
    {
        ArgumentNullException.ThrowIfNull(message);
        bool completed;
        if (message is Status.Failure failure) completed = _promise.TrySetException(failure.Cause);
        else if (message is T reply) completed = _promise.TrySetResult(reply);
        else completed = _promise.TrySetException(new InvalidCastException(
            $"Ask expected a reply of type [{typeof(T).FullName}] but received [{message.GetType().FullName}] from {sender?.Path.ToString() ?? "NoSender"}"));
        if (completed) Cleanup();
        else System.PublishDeadLetter(message, sender, this);
    }

    public void Fail(Exception cause)
    {
        if (_promise.TrySetException(cause)) Cleanup();
    }

    private void Cleanup()
    {
        _timeout?.Cancel();
        _cancellation.Dispose();
        System.UnregisterTemp(_name);
    }

    public override string ToString() => "[" + Path + "]";
}
