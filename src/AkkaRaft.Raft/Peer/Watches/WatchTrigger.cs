using Akka.Actor;
using AkkaRaft.Client;

namespace AkkaRaft.Raft.Peer;

/// <summary>
/// One waiting watch: a child of the state machine actor that tells its client <see cref="WatchSet"/> when it starts
/// (so the client can DeathWatch it: a trigger that stops without firing means its peer went away), DeathWatches the
/// client, and keeps the watch's timeout. It answers its client exactly once, <see cref="WatchFired"/> or
/// <see cref="WatchTimedOut"/>, and stops; when its client dies first it stops without answering. Either way it tells
/// its parent (<see cref="Ended"/>) unless the parent fired it.
/// </summary>
internal sealed class WatchTrigger : ReceiveActor, IWithTimers
{
    private readonly long _id;
    private readonly IActorRef _client;
    private readonly TimeSpan _timeout;
    private readonly WatchSet _announce;

    public WatchTrigger(long id, IActorRef client, TimeSpan timeout, WatchSet announce)
    {
        _id = id;
        _client = client;
        _timeout = timeout;
        _announce = announce;
        Receive<WatchFired>(fired =>
        {
            // The parent forgot this watch when it fired.
            _client.Tell(fired, Self);
            Context.Stop(Self);
        });
        Receive<TimedOut>(_ =>
        {
            _client.Tell(new WatchTimedOut(_id, _timeout), Self);
            End();
        });
        Receive<Terminated>(t => t.ActorRef.Equals(_client), _ => End());
    }

    /// <inheritdoc />
    public ITimerScheduler Timers { get; set; } = null!;

    public static Props Props(long id, IActorRef client, TimeSpan timeout, WatchSet announce) =>
        Akka.Actor.Props.Create(() => new WatchTrigger(id, client, timeout, announce));

    protected override void PreStart()
    {
        Context.Watch(_client);
        _client.Tell(_announce, Self);
        Timers.StartSingleTimer(TimedOut.Instance, TimedOut.Instance, _timeout);
    }

    private void End()
    {
        Context.Parent.Tell(new Ended(_id), Self);
        Context.Stop(Self);
    }

    /// <summary>The watch ended without firing (timed out, or its client died): the parent drops it.</summary>
    internal sealed record Ended(long WatchId);

    private sealed record TimedOut
    {
        public static TimedOut Instance { get; } = new();
    }
}
