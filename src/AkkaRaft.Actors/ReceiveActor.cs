namespace AkkaRaft.Actors;

/// <summary>
/// An actor whose behaviour is a list of typed handlers registered in its constructor (or in a <see cref="Become(Action)"/>
/// configuration): the first handler whose type (and predicate) matches the message handles it.
/// </summary>
public abstract class ReceiveActor : ActorBase
{
    private readonly HandlerSet _initial = new();
    private HandlerSet? _configuring;

    /// <summary>Starts the registration of the initial handlers (the constructor body registers them).</summary>
    protected ReceiveActor() => _configuring = _initial;

    /// <inheritdoc />
    protected internal sealed override bool Receive(object message)
    {
        // The constructor has run by the time the first message arrives; later Receive calls are errors.
        if (ReferenceEquals(_configuring, _initial)) _configuring = null;
        return _initial.Handle(message);
    }

    /// <summary>Handles messages of type <typeparamref name="T"/>.</summary>
    protected void Receive<T>(Action<T> handler)
    {
        ArgumentNullException.ThrowIfNull(handler);
        Target().Add(new SyncHandler<T>(handler, null));
    }

    /// <summary>Handles messages of type <typeparamref name="T"/> for which <paramref name="predicate"/> is true.</summary>
    protected void Receive<T>(Predicate<T> predicate, Action<T> handler)
    {
        ArgumentNullException.ThrowIfNull(predicate);
        ArgumentNullException.ThrowIfNull(handler);
        Target().Add(new SyncHandler<T>(handler, predicate));
    }

    /// <summary>Handles messages of type <typeparamref name="T"/> for which <paramref name="handler"/> returns true.</summary>
    protected void Receive<T>(Func<T, bool> handler)
    {
        ArgumentNullException.ThrowIfNull(handler);
        Target().Add(new FuncHandler<T>(handler));
    }

    /// <summary>
    /// Handles messages of type <typeparamref name="T"/> asynchronously: the mailbox is held (other messages wait) until
    /// the returned task completes, and every <c>await</c> resumes on this actor. A faulted task is a failure.
    /// </summary>
    protected void ReceiveAsync<T>(Func<T, Task> handler, Predicate<T>? predicate = null)
    {
        ArgumentNullException.ThrowIfNull(handler);
        Target().Add(new AsyncHandler<T>(this, handler, predicate));
    }

    /// <summary>Handles any message not handled by an earlier handler.</summary>
    protected void ReceiveAny(Action<object> handler)
    {
        ArgumentNullException.ThrowIfNull(handler);
        Target().Add(new SyncHandler<object>(handler, null));
    }

    /// <summary>Handles any message not handled by an earlier handler, asynchronously (see <see cref="ReceiveAsync{T}"/>).</summary>
    protected void ReceiveAnyAsync(Func<object, Task> handler)
    {
        ArgumentNullException.ThrowIfNull(handler);
        Target().Add(new AsyncHandler<object>(this, handler, null));
    }

    /// <summary>Replaces the behaviour by the handlers that <paramref name="configure"/> registers.</summary>
    protected void Become(Action configure) => Become(Configure(configure));

    /// <summary>Pushes the handlers that <paramref name="configure"/> registers on the behaviour stack.</summary>
    protected void BecomeStacked(Action configure) => BecomeStacked(Configure(configure));

    private Receive Configure(Action configure)
    {
        ArgumentNullException.ThrowIfNull(configure);
        var set = new HandlerSet();
        var previous = _configuring;
        _configuring = set;
        try
        {
            configure();
        }
        finally
        {
            _configuring = previous;
        }
        return set.Handle;
    }

    private HandlerSet Target() =>
        _configuring ?? throw new InvalidOperationException("Receive can only be called in the actor's constructor or inside a Become(...) configuration");

    private sealed class HandlerSet
    {
        private Handler[] _handlers = [];

        public void Add(Handler handler)
        {
            var next = new Handler[_handlers.Length + 1];
            _handlers.CopyTo(next, 0);
            next[^1] = handler;
            _handlers = next;
        }

        public bool Handle(object message)
        {
            foreach (var h in _handlers)
            {
                if (h.TryHandle(message)) return true;
            }
            return false;
        }
    }

    private abstract class Handler
    {
        public abstract bool TryHandle(object message);
    }

    private sealed class SyncHandler<T>(Action<T> handler, Predicate<T>? predicate) : Handler
    {
        public override bool TryHandle(object message)
        {
            if (message is not T typed) return false;
            if (predicate is not null && !predicate(typed)) return false;
            handler(typed);
            return true;
        }
    }

    private sealed class FuncHandler<T>(Func<T, bool> handler) : Handler
    {
        public override bool TryHandle(object message) => message is T typed && handler(typed);
    }

    private sealed class AsyncHandler<T>(ReceiveActor actor, Func<T, Task> handler, Predicate<T>? predicate) : Handler
    {
        public override bool TryHandle(object message)
        {
            if (message is not T typed) return false;
            if (predicate is not null && !predicate(typed)) return false;
            actor.Cell.RunTask(() => handler(typed));
            return true;
        }
    }
}
