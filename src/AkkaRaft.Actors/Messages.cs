namespace AkkaRaft.Actors;

/// <summary>Messages the kernel handles itself before the actor's behaviour sees them.</summary>
public interface IAutoReceivedMessage;

/// <summary>A message that does not restart the receive timeout (see <see cref="IActorContext.SetReceiveTimeout"/>).</summary>
public interface INotInfluenceReceiveTimeout;

/// <summary>Stops the actor once it reaches the head of the mailbox: messages before it are processed first.</summary>
public sealed class PoisonPill : IAutoReceivedMessage
{
    private PoisonPill() { }

    /// <summary>The single instance.</summary>
    public static PoisonPill Instance { get; } = new();

    /// <inheritdoc />
    public override string ToString() => "PoisonPill";
}

/// <summary>Makes the actor fail with <see cref="ActorKilledException"/> (the default supervisor then stops it).</summary>
public sealed class Kill : IAutoReceivedMessage
{
    private Kill() { }

    /// <summary>The single instance.</summary>
    public static Kill Instance { get; } = new();

    /// <inheritdoc />
    public override string ToString() => "Kill";
}

/// <summary>Asks an actor for its ref; it answers <see cref="ActorIdentity"/> (handled by the kernel).</summary>
/// <param name="MessageId">Echoed in the answer.</param>
public sealed record Identify(object? MessageId) : IAutoReceivedMessage;

/// <summary>The answer to <see cref="Identify"/>.</summary>
/// <param name="MessageId">The id given in <see cref="Identify"/>.</param>
/// <param name="Subject">The actor, or null when it does not exist.</param>
public sealed record ActorIdentity(object? MessageId, IActorRef? Subject);

/// <summary>Sent to a watcher when an actor it watches has stopped.</summary>
/// <param name="ActorRef">The actor that stopped.</param>
/// <param name="ExistenceConfirmed">False when the actor was already gone when the watch began.</param>
/// <param name="AddressTerminated">True when the remote layer reported the actor's whole node gone.</param>
public sealed record Terminated(IActorRef ActorRef, bool ExistenceConfirmed, bool AddressTerminated) : IAutoReceivedMessage, INotInfluenceReceiveTimeout
{
    /// <inheritdoc />
    public override string ToString() => $"Terminated({ActorRef.Path})";
}

/// <summary>Sent when no message arrived within the receive timeout (see <see cref="IActorContext.SetReceiveTimeout"/>).</summary>
public sealed class ReceiveTimeout : INotInfluenceReceiveTimeout
{
    private ReceiveTimeout() { }

    /// <summary>The single instance.</summary>
    public static ReceiveTimeout Instance { get; } = new();

    /// <inheritdoc />
    public override string ToString() => "ReceiveTimeout";
}

/// <summary>Replies that carry the status of an operation, like Akka's <c>Status</c>.</summary>
public abstract class Status
{
    private Status() { }

    /// <summary>The operation succeeded with <see cref="Status"/>.</summary>
    public sealed class Success(object? status) : Status
    {
        /// <summary>The result.</summary>
        public object? Status { get; } = status;

        /// <inheritdoc />
        public override string ToString() => $"Success({Status})";
    }

    /// <summary>The operation failed with <see cref="Cause"/>; <c>Ask</c> turns it into a faulted task.</summary>
    public sealed class Failure(Exception cause) : Status
    {
        /// <summary>Why it failed.</summary>
        public Exception Cause { get; } = cause ?? throw new ArgumentNullException(nameof(cause));

        /// <inheritdoc />
        public override string ToString() => $"Failure({Cause.GetType().Name}: {Cause.Message})";
    }
}

/// <summary>Published on the event stream for each message that could not be delivered.</summary>
/// <param name="Message">The message.</param>
/// <param name="Sender">Its sender, or null.</param>
/// <param name="Recipient">Where it was sent.</param>
public sealed record DeadLetter(object Message, IActorRef? Sender, IActorRef Recipient);

/// <summary>Published on the event stream when an actor does not handle a message.</summary>
/// <param name="Message">The message.</param>
/// <param name="Sender">Its sender, or null.</param>
/// <param name="Recipient">The actor that did not handle it.</param>
public sealed record UnhandledMessage(object Message, IActorRef? Sender, IActorRef Recipient);
