using Akka.Actor;

namespace AkkaRaft.Client.Sessions;

/// <summary>
/// One watch of a <see cref="RaftSession"/>: a child that sends the <see cref="Watch"/> with itself as the sender, so
/// that <see cref="WatchSet"/> and the later trigger find it (through Akka.Remote, or a ClusterClient's response
/// tunnel), and reports one outcome to its parent, then stops. It DeathWatches the watch's actor on the leader: a
/// watch actor that dies without firing (its node went away) is a change of leader, as is a leader that never answers.
/// </summary>
internal sealed class SessionWatcher : ReceiveActor, IWithTimers
{
    private const string SetTimer = "set";

    private readonly string _name;
    private readonly ICanTell _target;
    private readonly object _request;
    private readonly TimeSpan _answerTimeout;

    public SessionWatcher(string name, ICanTell target, object request, TimeSpan answerTimeout)
    {
        _name = name;
        _target = target;
        _request = request;
        _answerTimeout = answerTimeout;
        Receive<WatchSet>(_ =>
        {
            Timers.Cancel(SetTimer);
            Context.Watch(Sender);
        });
        Receive<WatchFired>(fired => Report(session => new RaftSessionWatchFired(session, _name, fired.Reason, fired.Key, fired.Index)));
        Receive<WatchTimedOut>(_ => Report(session => new RaftSessionWatchTimedOut(session, _name)));
        Receive<Terminated>(_ => LeaderChanged());
        Receive<SetTimedOut>(_ => LeaderChanged());
        Receive<NotLeader>(_ => LeaderChanged());
        ReceiveAny(other => Report(session => new RaftSessionWatchFailed(session, _name, other.ToString() ?? other.GetType().Name)));
    }

    /// <inheritdoc />
    public ITimerScheduler Timers { get; set; } = null!;

    /// <inheritdoc />
    protected override void PreStart()
    {
        Timers.StartSingleTimer(SetTimer, SetTimedOut.Instance, _answerTimeout);
        _target.Tell(_request, Self);
    }

    private void LeaderChanged() => Report(session => new RaftSessionWatchFired(session, _name, WatchReason.LeaderChanged, null, 0));

    private void Report(Func<IActorRef, object> report)
    {
        Context.Parent.Tell(new Outcome(report));
        Context.Stop(Self);
    }

    /// <summary>What the watch came to, built with the session actor the subscriber hears it from.</summary>
    internal sealed record Outcome(Func<IActorRef, object> Report);

    private sealed record SetTimedOut
    {
        public static readonly SetTimedOut Instance = new();
    }
}
