namespace AkkaRaft.Actors.Dispatch;

/// <summary>A message in a mailbox with its sender. A struct so the one-way path allocates nothing but the message.</summary>
internal readonly struct Envelope(object message, IActorRef? sender)
{
    public object Message { get; } = message;

    public IActorRef? Sender { get; } = sender;
}
