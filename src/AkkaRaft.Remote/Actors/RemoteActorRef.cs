using AkkaRaft.Actors;

namespace AkkaRaft.Remote.Actors;

/// <summary>
/// A ref to an actor in another actor system, reached over remoting. Told, asked and watched like a local ref:
/// <see cref="Tell"/> serializes the message and queues it for the remote system (never blocks); watching it makes
/// the remote system report the actor's death, and the failure detector reports it if the system goes silent.
/// Two refs are equal when their paths are (the uid is ignored, as for local paths).
/// </summary>
public sealed class RemoteActorRef : IInternalActorRef, IWatchableActorRef, IEquatable<RemoteActorRef>
{
    private readonly RemoteActorRefProvider _provider;

    internal RemoteActorRef(RemoteActorRefProvider provider, ActorPath path, RemoteAddress remote)
    {
        _provider = provider;
        Path = path;
        Remote = remote;
        PathText = path.ToSerializationFormat();
    }

    /// <inheritdoc />
    public ActorPath Path { get; }

    /// <summary>The remote system the actor lives in.</summary>
    public RemoteAddress Remote { get; }

    /// <summary>The path as it goes on the wire.</summary>
    internal string PathText { get; }

    /// <inheritdoc />
    public ActorSystem System => _provider.System;

    /// <inheritdoc />
    public bool IsLocal => false;

    /// <inheritdoc />
    /// <exception cref="ArgumentNullException"><paramref name="message"/> is null.</exception>
    public void Tell(object message, IActorRef? sender)
    {
        ArgumentNullException.ThrowIfNull(message);
        _provider.Send(this, message, sender);
    }

    /// <inheritdoc />
    public void AddWatcher(IActorRef watcher) => _provider.Watch(this, watcher);

    /// <inheritdoc />
    public void RemoveWatcher(IActorRef watcher) => _provider.Unwatch(this, watcher);

    /// <inheritdoc />
    public bool Equals(RemoteActorRef? other) => other is not null && Path.Equals(other.Path);

    /// <inheritdoc />
    public override bool Equals(object? obj) => obj is RemoteActorRef other && Equals(other);

    /// <inheritdoc />
    public override int GetHashCode() => Path.GetHashCode();

    /// <inheritdoc />
    public override string ToString() => $"[{Path}]";
}
