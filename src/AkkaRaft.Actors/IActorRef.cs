namespace AkkaRaft.Actors;

/// <summary>
/// A handle to an actor: the only way to talk to it. Local refs are made by the kernel; the remote layer
/// implements this interface (usually together with <see cref="IInternalActorRef"/> and
/// <see cref="IWatchableActorRef"/>) for actors in other processes.
/// </summary>
public interface IActorRef
{
    /// <summary>The path of the actor this ref points to.</summary>
    ActorPath Path { get; }

    /// <summary>
    /// Sends <paramref name="message"/> without waiting. <paramref name="sender"/> is what the receiver sees as
    /// <c>Sender</c> (null for none). Never blocks; a message to a stopped actor goes to dead letters.
    /// </summary>
    /// <exception cref="ArgumentNullException"><paramref name="message"/> is null.</exception>
    void Tell(object message, IActorRef? sender);
}

/// <summary>
/// A ref that knows the actor system it belongs to. Local refs and the remote layer's refs implement it, so
/// that <c>Ask</c> and death watch can find the system's scheduler and dead letters.
/// </summary>
public interface IInternalActorRef : IActorRef
{
    /// <summary>The actor system that owns this ref (for a remote ref, the local system that created it).</summary>
    ActorSystem System { get; }

    /// <summary>True when the actor runs in this process.</summary>
    bool IsLocal { get; }
}

/// <summary>
/// Death watch across processes. When a local actor watches a ref that is not local, the kernel calls
/// <see cref="AddWatcher"/> on it if it implements this interface (and <see cref="RemoveWatcher"/> on unwatch or when
/// the watcher stops). The implementation (the remote layer) then calls
/// <see cref="ActorSystem.NotifyTerminated(IActorRef, bool, bool)"/> once it learns the remote actor stopped or its node
/// is gone; the kernel delivers <see cref="Terminated"/> to every local watcher.
/// </summary>
public interface IWatchableActorRef : IActorRef
{
    /// <summary>The local actor <paramref name="watcher"/> started watching this ref.</summary>
    void AddWatcher(IActorRef watcher);

    /// <summary>The local actor <paramref name="watcher"/> no longer watches this ref.</summary>
    void RemoveWatcher(IActorRef watcher);
}

/// <summary>Well-known refs.</summary>
public static class ActorRefs
{
    /// <summary>No sender: replies to it go to dead letters.</summary>
    public static readonly IActorRef? NoSender = null;

    /// <summary>A ref to no actor: messages told to it are dropped.</summary>
    public static readonly IActorRef Nobody = new NobodyRef();

    private sealed class NobodyRef : IActorRef
    {
        public ActorPath Path { get; } = ActorPath.Root(Address.Local("all-systems")) / "Nobody";

        public void Tell(object message, IActorRef? sender) => ArgumentNullException.ThrowIfNull(message);

        public override string ToString() => "Nobody";
    }
}

/// <summary>Conveniences on <see cref="IActorRef"/> in Akka.NET's shapes.</summary>
public static class ActorRefExtensions
{
    /// <summary>
    /// Sends <paramref name="message"/> with the current actor as sender when called inside an actor, and no sender
    /// otherwise.
    /// </summary>
    /// <exception cref="ArgumentNullException"><paramref name="message"/> is null.</exception>
    public static void Tell(this IActorRef receiver, object message)
    {
        ArgumentNullException.ThrowIfNull(receiver);
        receiver.Tell(message, ActorCell.Current?.Self);
    }

    /// <summary>Sends <paramref name="message"/> keeping the sender of the message being processed. Only inside an actor.</summary>
    /// <exception cref="InvalidOperationException">Called outside an actor's message handling.</exception>
    public static void Forward(this IActorRef receiver, object message)
    {
        ArgumentNullException.ThrowIfNull(receiver);
        var cell = ActorCell.Current ?? throw new InvalidOperationException("Forward can only be used inside an actor, while it handles a message");
        receiver.Tell(message, cell.CurrentSenderOrNull);
    }

    /// <summary>True when <paramref name="actorRef"/> is neither null nor <see cref="ActorRefs.Nobody"/>.</summary>
    public static bool IsNobody(this IActorRef? actorRef) => actorRef is null || ReferenceEquals(actorRef, ActorRefs.Nobody);
}
