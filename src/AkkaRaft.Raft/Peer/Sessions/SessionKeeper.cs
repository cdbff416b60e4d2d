using Akka.Actor;

namespace AkkaRaft.Raft.Peer;

/// <summary>(Re)starts a <see cref="SessionKeeper"/>'s timer: it fires <paramref name="After"/> from now, replacing the one before.</summary>
internal sealed record ArmSessionKeeper(TimeSpan After);

/// <summary>A session's keep-alive timer fired; the peer's logic decides whether the session expires.</summary>
internal sealed record SessionTimerFired(long SessionId);

/// <summary>
/// One live client session on the leader (the design card: "client sessions are child actors"): a child of the
/// <see cref="RaftPeer"/> that holds the session's keep-alive timer. Every renewal the logic decides (a keep-alive, a
/// write in the session, a new leader's fresh TTL) re-arms it; when it fires, it tells the peer, whose logic checks the
/// deadline and proposes the expiry through the log. The peer stops it when the session ends or it stops leading.
/// </summary>
internal sealed class SessionKeeper : ReceiveActor, IWithTimers
{
    private const string TimerKey = "ttl";

    public SessionKeeper(long sessionId)
    {
        var fired = new SessionTimerFired(sessionId);
        Receive<ArmSessionKeeper>(arm => Timers.StartSingleTimer(TimerKey, fired, arm.After));
        Receive<SessionTimerFired>(f => Context.Parent.Tell(f));
    }

    /// <inheritdoc />
    public ITimerScheduler Timers { get; set; } = null!;
}
