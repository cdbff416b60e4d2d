namespace AkkaRaft.Actors;

/// <summary>Base of the kernel's exceptions.</summary>
public class AkkaRaftActorException : Exception
{
    /// <summary>Creates the exception.</summary>
    public AkkaRaftActorException(string message, Exception? inner = null) : base(message, inner) { }
}

/// <summary>An actor name is empty, malformed, reserved, or already used by a sibling.</summary>
public sealed class InvalidActorNameException(string message) : AkkaRaftActorException(message);

/// <summary>
/// An actor could not be created: its constructor (the Props factory), <c>PreStart</c> or <c>PostRestart</c> threw.
/// The default supervisor stops such an actor.
/// </summary>
public sealed class ActorInitializationException(IActorRef? actor, string message, Exception? inner)
    : AkkaRaftActorException(message, inner)
{
    /// <summary>The actor that failed to start, when known.</summary>
    public IActorRef? Actor { get; } = actor;
}

/// <summary>Thrown inside an actor that received <see cref="Kill"/>.</summary>
public sealed class ActorKilledException(string message) : AkkaRaftActorException(message);

/// <summary>Thrown inside an actor that did not handle a <see cref="Terminated"/> of an actor it watched.</summary>
public sealed class DeathPactException(IActorRef deadActor)
    : AkkaRaftActorException($"monitored actor {deadActor.Path} terminated and the watcher did not handle Terminated")
{
    /// <summary>The watched actor that stopped.</summary>
    public IActorRef DeadActor { get; } = deadActor;
}

/// <summary>An <c>Ask</c> got no answer within its timeout.</summary>
public sealed class AskTimeoutException(string message) : AkkaRaftActorException(message);

/// <summary>An actor stashed more messages than <c>stash-capacity</c> allows.</summary>
public sealed class StashOverflowException(string message) : AkkaRaftActorException(message);

/// <summary>An actor used the kernel in a way it does not allow (for example stashing the same message twice).</summary>
public sealed class IllegalActorStateException(string message) : AkkaRaftActorException(message);

/// <summary>The actor system cannot do what was asked with its configuration (an unknown dispatcher id, for example).</summary>
public sealed class ActorSystemConfigurationException(string message, Exception? inner = null) : AkkaRaftActorException(message, inner);
