using System.Globalization;
using AkkaRaft.Actors.Dispatch;

namespace AkkaRaft.Actors;

/// <summary>The ref of an actor in this process. One per incarnation: a restart keeps it, a new actor with the same name gets a new one.</summary>
internal sealed class LocalActorRef : IInternalActorRef
{
    private readonly ActorCell _cell;

    public LocalActorRef(ActorCell cell, ActorPath path)
    {
        _cell = cell;
        Path = path;
    }

    public ActorPath Path { get; }

    public ActorSystem System => _cell.System;

    public bool IsLocal => true;

    internal ActorCell Cell => _cell;

    public bool IsTerminated => _cell.IsTerminated;

    public void Tell(object message, IActorRef? sender)
    {
        if (message is null)
        {
            ThrowNullMessage();
            return;
        }
        _cell.Mailbox.Post(message, sender);
    }

    internal void SendSystem(SystemMessage message) => _cell.Mailbox.SendSystem(message);

    private static void ThrowNullMessage() => throw new ArgumentNullException("message", "a message cannot be null");

    public override string ToString() => "[" + Path + "#" + Path.Uid.ToString(CultureInfo.InvariantCulture) + "]";
}

/// <summary>A ref to a local path where no actor lives: messages become dead letters; watching it yields Terminated at once.</summary>
internal sealed class EmptyLocalActorRef(ActorSystem system, ActorPath path) : IInternalActorRef
{
    public ActorPath Path { get; } = path;

    public ActorSystem System { get; } = system;

    public bool IsLocal => true;

    public void Tell(object message, IActorRef? sender)
    {
        ArgumentNullException.ThrowIfNull(message);
        System.PublishDeadLetter(message, sender, this);
    }

    public override bool Equals(object? obj) => obj is EmptyLocalActorRef other && other.Path.Equals(Path) && ReferenceEquals(other.System, System);

    public override int GetHashCode() => Path.GetHashCode();

    public override string ToString() => "[" + Path + " (empty)]";
}

/// <summary>The dead-letter office: counts, publishes and (rate-limited) logs what is told to it.</summary>
internal sealed class DeadLetterActorRef(ActorSystem system, ActorPath path) : IInternalActorRef
{
    public ActorPath Path { get; } = path;

    public ActorSystem System { get; } = system;

    public bool IsLocal => true;

    public void Tell(object message, IActorRef? sender)
    {
        ArgumentNullException.ThrowIfNull(message);
        if (message is DeadLetter d) System.PublishDeadLetter(d.Message, d.Sender, d.Recipient);
        else System.PublishDeadLetter(message, sender, this);
    }

    public override string ToString() => "[" + Path + "]";
}
