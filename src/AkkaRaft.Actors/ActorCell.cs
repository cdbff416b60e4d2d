using AkkaRaft.Actors.Dispatch;

namespace AkkaRaft.Actors;

/// <summary>
/// The kernel's record of one actor: its instance, mailbox, behaviour stack, children, watches and failure state.
/// Everything but the children registry is touched only by the thread running the mailbox (one at a time).
/// </summary>
internal sealed partial class ActorCell : IActorContext
{
    [ThreadStatic] private static ActorCell? t_current;
    [ThreadStatic] private static ActorCell? t_constructing;

    private readonly LocalActorRef? _parent;
    private readonly List<Receive> _behaviors = new(2);
    private ActorBase? _actor;
    private object? _currentMessage;
    private IActorRef? _currentSender;
    private long _incarnation;

    public ActorCell(ActorSystem system, ActorPath path, Props props, LocalActorRef? parent, MessageDispatcher dispatcher, int mailboxCapacity)
    {
        System = system;
        Props = props;
        _parent = parent;
        Self = new LocalActorRef(this, path);
        Mailbox = new Mailbox(this, dispatcher, mailboxCapacity);
    }

    /// <summary>The cell whose mailbox runs on this thread, or null.</summary>
    public static ActorCell? Current
    {
        get => t_current;
        set => t_current = value;
    }

    /// <summary>The cell whose actor is being constructed on this thread, or null.</summary>
    public static ActorCell? Constructing => t_constructing;

    public ActorSystem System { get; }

    public LocalActorRef Self { get; }

    IActorRef IActorContext.Self => Self;

    public Props Props { get; }

    public Mailbox Mailbox { get; }

    public IActorRef Parent => (IActorRef?)_parent ?? ActorRefs.Nobody;

    internal LocalActorRef? ParentRef => _parent;

    public IActorRef Sender => _currentSender ?? System.DeadLetters;

    public IActorRef? CurrentSenderOrNull => _currentSender;

    /// <summary>Runs <paramref name="action"/> with the current sender set to <paramref name="sender"/>, then restores it.</summary>
    internal void WithSender(IActorRef? sender, Action action)
    {
        var previous = _currentSender;
        _currentSender = sender;
        try
        {
            action();
        }
        finally
        {
            _currentSender = previous;
        }
    }

    public bool IsTerminated => _terminated;

    public bool CanProcessUserMessages => _suspendCount == 0 && _awaiting is null && !_terminating && _actor is not null;

    internal Envelope? CurrentEnvelope => _currentMessage is null ? null : new Envelope(_currentMessage, _currentSender);

    internal ActorBase? Actor => _actor;

    /// <summary>Called by the <see cref="ActorBase"/> constructor: the actor's own Receive is the initial behaviour.</summary>
    internal void SetInitialBehavior(ActorBase actor)
    {
        _behaviors.Clear();
        _behaviors.Add(actor.Receive);
    }

    public void Become(Receive receive)
    {
        ArgumentNullException.ThrowIfNull(receive);
        if (_behaviors.Count == 0) _behaviors.Add(receive);
        else _behaviors[^1] = receive;
    }

    public void BecomeStacked(Receive receive)
    {
        ArgumentNullException.ThrowIfNull(receive);
        _behaviors.Add(receive);
    }

    public void UnbecomeStacked()
    {
        if (_behaviors.Count > 1) _behaviors.RemoveAt(_behaviors.Count - 1);
    }

    /// <summary>Processes one user message.</summary>
    public void Invoke(Envelope envelope)
    {
        _currentMessage = envelope.Message;
        _currentSender = envelope.Sender;
        try
        {
            var message = envelope.Message;
            if (message is IAutoReceivedMessage) AutoReceive(message);
            else _actor!.AroundReceive(_behaviors[^1], message);
            if (_receiveTimeout is not null && message is not INotInfluenceReceiveTimeout) RescheduleReceiveTimeout();
        }
        catch (Exception e)
        {
            HandleInvokeFailure(e);
        }
        finally
        {
            _currentMessage = null;
        }
    }

    private void AutoReceive(object message)
    {
        switch (message)
        {
            case Terminated t:
                // Delivered only if still watched when it reaches the head of the mailbox (Unwatch cancels it).
                if (ShouldDeliver(t)) _actor!.AroundReceive(_behaviors[^1], t);
                break;
            case PoisonPill:
                Self.SendSystem(Dispatch.Terminate.Instance);
                break;
            case Kill:
                throw new ActorKilledException($"{Self.Path} received Kill");
            case Identify identify:
                Sender.Tell(new ActorIdentity(identify.MessageId, Self), Self);
                break;
            case TimerMessage timer:
                var inner = _timers?.Intercept(timer);
                if (inner is null) return;
                _currentMessage = inner;
                if (inner is IAutoReceivedMessage) AutoReceive(inner);
                else _actor!.AroundReceive(_behaviors[^1], inner);
                break;
            default:
                _actor!.AroundReceive(_behaviors[^1], message);
                break;
        }
    }

    /// <summary>Processes one system message.</summary>
    public void SystemInvoke(SystemMessage message)
    {
        try
        {
            switch (message)
            {
                case Dispatch.Create: Create(); break;
                case AsyncContinuation c: RunContinuation(c); break;
                case AsyncCompleted c: AsyncTaskCompleted(c); break;
                case Recreate r: FaultRecreate(r.Cause); break;
                case Suspend: FaultSuspend(); break;
                case Resume r: FaultResume(r.Cause); break;
                case Dispatch.Terminate: Terminate(); break;
                case Watch w: AddWatcher(w.Watchee, w.Watcher); break;
                case Unwatch u: RemoveWatcher(u.Watchee, u.Watcher); break;
                case DeathWatchNotification d: WatchedActorTerminated(d); break;
                case Failed f: HandleFailed(f); break;
                default: throw new InvalidOperationException($"unknown system message {message.GetType().Name}");
            }
        }
        catch (Exception e)
        {
            HandleInvokeFailure(e);
        }
    }

    /// <summary>A system message that reached a stopped actor: a watch is answered at once, the rest is dropped.</summary>
    public void SystemInvokeAfterStop(SystemMessage message)
    {
        if (message is Watch w && ReferenceEquals(w.Watchee, Self) && !ReferenceEquals(w.Watcher, Self))
            NotifyWatcher(w.Watcher, existenceConfirmed: false);
    }

    private ActorBase NewActorInstance()
    {
        var previous = t_constructing;
        t_constructing = this;
        ActorBase actor;
        try
        {
            actor = Props.NewActor();
        }
        finally
        {
            t_constructing = previous;
        }
        if (!ReferenceEquals(actor.Cell, this))
            throw new InvalidOperationException($"the Props factory of {Props.ActorType.Name} must create a new actor instance every time");
        if (actor is IWithStash withStash) withStash.Stash = _stash ??= new ActorStash(this, System.Settings.StashCapacity);
        if (actor is IWithTimers withTimers) withTimers.Timers = _timers ??= new ActorTimers(this);
        _incarnation++;
        _actor = actor;
        return actor;
    }

    private void Create()
    {
        try
        {
            NewActorInstance().AroundPreStart();
        }
        catch (Exception e)
        {
            HandleInvokeFailure(new ActorInitializationException(Self, $"exception during creation of {Self.Path}: {e.Message}", e));
        }
    }

    public override string ToString() => $"ActorCell({Self.Path})";
}
