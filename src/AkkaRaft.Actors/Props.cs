namespace AkkaRaft.Actors;

/// <summary>
/// The recipe for an actor: how to construct it, and optionally its mailbox, dispatcher and the supervisor strategy
/// for its children. Immutable; the <c>With*</c> methods return copies.
/// </summary>
public sealed class Props
{
    private readonly Func<ActorBase> _factory;

    private Props(Type actorType, Func<ActorBase> factory, MailboxKind? mailbox, string? dispatcher, SupervisorStrategy? strategy)
    {
        ActorType = actorType;
        _factory = factory;
        Mailbox = mailbox;
        Dispatcher = dispatcher;
        SupervisorStrategy = strategy;
    }

    /// <summary>The type of the actor.</summary>
    public Type ActorType { get; }

    /// <summary>The mailbox; null for the system's default (<c>akkaraft.actor.mailbox-capacity</c>).</summary>
    public MailboxKind? Mailbox { get; }

    /// <summary>The dispatcher id; null for the default dispatcher.</summary>
    public string? Dispatcher { get; }

    /// <summary>The strategy this actor applies to its children's failures; null to use the actor's own override.</summary>
    public SupervisorStrategy? SupervisorStrategy { get; }

    /// <summary>Props that construct the actor with <paramref name="factory"/>, for example <c>() =&gt; new Counter(5)</c>.</summary>
    public static Props Create<TActor>(Func<TActor> factory) where TActor : ActorBase
    {
        ArgumentNullException.ThrowIfNull(factory);
        return new Props(typeof(TActor), factory, null, null, null);
    }

    /// <summary>Props that construct the actor with its public parameterless constructor.</summary>
    public static Props Create<TActor>() where TActor : ActorBase, new() =>
        new(typeof(TActor), static () => new TActor(), null, null, null);

    /// <summary>Props that construct <paramref name="actorType"/> with the constructor matching <paramref name="args"/>.</summary>
    /// <exception cref="ArgumentException"><paramref name="actorType"/> is not an actor type.</exception>
    public static Props Create(Type actorType, params object?[] args)
    {
        ArgumentNullException.ThrowIfNull(actorType);
        if (!typeof(ActorBase).IsAssignableFrom(actorType) || actorType.IsAbstract)
            throw new ArgumentException($"{actorType} is not a concrete subclass of ActorBase", nameof(actorType));
        return new Props(actorType, () => (ActorBase)Activator.CreateInstance(actorType, args)!, null, null, null);
    }

    /// <summary>A copy with the mailbox <paramref name="mailbox"/>.</summary>
    public Props WithMailbox(MailboxKind mailbox) => new(ActorType, _factory, mailbox ?? throw new ArgumentNullException(nameof(mailbox)), Dispatcher, SupervisorStrategy);

    /// <summary>A copy with a bounded mailbox of <paramref name="capacity"/> messages (overflow goes to dead letters).</summary>
    public Props WithBoundedMailbox(int capacity) => WithMailbox(MailboxKind.Bounded(capacity));

    /// <summary>A copy that runs on the dispatcher <paramref name="dispatcherId"/> (see <see cref="ActorSystemSettings.Dispatchers"/>).</summary>
    public Props WithDispatcher(string dispatcherId)
    {
        ArgumentException.ThrowIfNullOrEmpty(dispatcherId);
        return new(ActorType, _factory, Mailbox, dispatcherId, SupervisorStrategy);
    }

    /// <summary>A copy whose actor supervises its children with <paramref name="strategy"/>.</summary>
    public Props WithSupervisorStrategy(SupervisorStrategy strategy) =>
        new(ActorType, _factory, Mailbox, Dispatcher, strategy ?? throw new ArgumentNullException(nameof(strategy)));

    internal ActorBase NewActor() =>
        _factory() ?? throw new InvalidOperationException($"the Props factory of {ActorType.Name} returned null");

    /// <inheritdoc />
    public override string ToString() => $"Props({ActorType.Name})";
}

/// <summary>The kind of mailbox an actor gets.</summary>
public sealed class MailboxKind
{
    private MailboxKind(int capacity) => Capacity = capacity;

    /// <summary>The bound in messages; 0 for unbounded.</summary>
    public int Capacity { get; }

    /// <summary>An unbounded mailbox (Akka's default).</summary>
    public static MailboxKind Unbounded { get; } = new(0);

    /// <summary>
    /// A mailbox holding at most <paramref name="capacity"/> messages: a message that arrives when it is full goes to
    /// dead letters and is counted in <see cref="ActorSystem.MailboxOverflowCount"/>; the sender is never blocked.
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="capacity"/> is not positive.</exception>
    public static MailboxKind Bounded(int capacity)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(capacity);
        return new MailboxKind(capacity);
    }

    /// <inheritdoc />
    public override string ToString() => Capacity == 0 ? "unbounded" : $"bounded({Capacity})";
}
