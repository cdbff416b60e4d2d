namespace AkkaRaft.Persistence;

/// <summary>
/// A persistent actor whose handlers are registered in its constructor, like Akka.NET's: <see cref="Recover{T}(Action{T})"/>
/// for snapshots, events and <see cref="RecoveryCompleted"/>, <see cref="Command{T}(Action{T})"/> for commands. The first
/// handler whose type (and predicate) matches handles the message.
/// </summary>
public abstract class ReceivePersistentActor : PersistentActor
{
    private readonly HandlerList _recover = new();
    private readonly HandlerList _initialCommands = new();
    private HandlerList? _configuringCommands;
    private bool _constructed;

    /// <summary>Starts the registration of handlers (the constructor body registers them).</summary>
    protected ReceivePersistentActor()
    {
        _configuringCommands = _initialCommands;
    }

    /// <inheritdoc />
    protected sealed override bool ReceiveRecover(object message)
    {
        EndConstruction();
        return _recover.Handle(message);
    }

    /// <inheritdoc />
    protected sealed override bool ReceiveCommand(object message)
    {
        EndConstruction();
        return _initialCommands.Handle(message);
    }

    /// <summary>Handles recovery messages of type <typeparamref name="T"/>.</summary>
    protected void Recover<T>(Action<T> handler)
    {
        ArgumentNullException.ThrowIfNull(handler);
        RecoverTarget().Add(message => message is T typed && Run(handler, typed));
    }

    /// <summary>Handles recovery messages of type <typeparamref name="T"/> for which <paramref name="predicate"/> holds.</summary>
    protected void Recover<T>(Predicate<T> predicate, Action<T> handler)
    {
        ArgumentNullException.ThrowIfNull(predicate);
        ArgumentNullException.ThrowIfNull(handler);
        RecoverTarget().Add(message => message is T typed && predicate(typed) && Run(handler, typed));
    }

    /// <summary>Handles every recovery message not handled by an earlier handler.</summary>
    protected void RecoverAny(Action<object> handler)
    {
        ArgumentNullException.ThrowIfNull(handler);
        RecoverTarget().Add(message => Run(handler, message));
    }

    /// <summary>Handles commands of type <typeparamref name="T"/>.</summary>
    protected void Command<T>(Action<T> handler)
    {
        ArgumentNullException.ThrowIfNull(handler);
        CommandTarget().Add(message => message is T typed && Run(handler, typed));
    }

    /// <summary>Handles commands of type <typeparamref name="T"/> for which <paramref name="predicate"/> holds.</summary>
    protected void Command<T>(Predicate<T> predicate, Action<T> handler)
    {
        ArgumentNullException.ThrowIfNull(predicate);
        ArgumentNullException.ThrowIfNull(handler);
        CommandTarget().Add(message => message is T typed && predicate(typed) && Run(handler, typed));
    }

    /// <summary>Handles commands of type <typeparamref name="T"/> for which <paramref name="handler"/> returns true.</summary>
    protected void Command<T>(Func<T, bool> handler)
    {
        ArgumentNullException.ThrowIfNull(handler);
        CommandTarget().Add(message => message is T typed && handler(typed));
    }

    /// <summary>Handles every command not handled by an earlier handler.</summary>
    protected void CommandAny(Action<object> handler)
    {
        ArgumentNullException.ThrowIfNull(handler);
        CommandTarget().Add(message => Run(handler, message));
    }

    /// <summary>Replaces the command handlers by those <paramref name="configure"/> registers (recovery handlers stay).</summary>
    protected void Become(Action configure)
    {
        ArgumentNullException.ThrowIfNull(configure);
        var set = new HandlerList();
        var previous = _configuringCommands;
        _configuringCommands = set;
        try
        {
            configure();
        }
        finally
        {
            _configuringCommands = previous;
        }

        Become(set.Handle);
    }

    private void EndConstruction()
    {
        if (!_constructed)
        {
            _constructed = true;
            if (ReferenceEquals(_configuringCommands, _initialCommands))
            {
                _configuringCommands = null;
            }
        }
    }

    private HandlerList RecoverTarget() => !_constructed
        ? _recover
        : throw new InvalidOperationException("Recover can only be called in the actor's constructor.");

    private HandlerList CommandTarget() => _configuringCommands
        ?? throw new InvalidOperationException("Command can only be called in the actor's constructor or inside a Become(...) configuration.");

    private static bool Run<T>(Action<T> handler, T message)
    {
        handler(message);
        return true;
    }

    private sealed class HandlerList
    {
        private Func<object, bool>[] _handlers = [];

        public void Add(Func<object, bool> handler)
        {
            var next = new Func<object, bool>[_handlers.Length + 1];
            _handlers.CopyTo(next, 0);
            next[^1] = handler;
            _handlers = next;
        }

        public bool Handle(object message)
        {
            foreach (var handler in _handlers)
            {
                if (handler(message))
                {
                    return true;
                }
            }

            return false;
        }
    }
}
