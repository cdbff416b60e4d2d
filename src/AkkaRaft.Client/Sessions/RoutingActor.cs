using Akka.Actor;

namespace AkkaRaft.Client.Sessions;

/// <summary>
/// The base of <see cref="LightSession"/> and <see cref="RaftSession"/> (not for other actors: its members are this
/// assembly's). What they share: the routes to the peers (<see cref="PeerRoutes"/>)
/// and one attempt at a time per request. An attempt is a courier child that sends the request with itself as the sender
/// and hands the one answer back (the answers of the client protocol carry no request id, so the sender is the
/// correlation, as with Ask); the attempt's timer, on the scheduler, counts the route failed when no answer came.
/// </summary>
public abstract class RoutingActor : ReceiveActor, IWithTimers
{
    private readonly RaftContacts _contacts;
    private readonly TimeSpan _answerTimeout;
    private readonly Dictionary<long, Attempt> _attempts = new();
    private readonly DateTimeOffset _started;
    private long _lastAttempt;
    private bool _membersAsked;
    private ulong _hint;

    private protected RoutingActor(RaftContacts contacts, TimeSpan failTimeout, TimeSpan electionTimeout, TimeSpan answerTimeout)
    {
        ArgumentNullException.ThrowIfNull(contacts);
        if (answerTimeout <= TimeSpan.Zero) throw new ArgumentOutOfRangeException(nameof(answerTimeout), answerTimeout, "the answer timeout must be positive");
        _contacts = contacts;
        _answerTimeout = answerTimeout;
        _started = Context.System.Scheduler.Now;
        Routes = new PeerRoutes(contacts.Relay is null ? contacts.Inboxes : [contacts.Description], failTimeout, electionTimeout);
        Receive<CourierAnswered>(OnCourierAnswered);
        Receive<AttemptExpired>(OnAttemptExpired);
    }

    /// <inheritdoc />
    public ITimerScheduler Timers { get; set; } = null!;

    /// <summary>The peers, the leader, the failed ones.</summary>
    private protected PeerRoutes Routes { get; }

    /// <summary>Through a relay the member is not ours to pick: followers forward. Otherwise they answer NotLeader, and we follow.</summary>
    private protected NotLeaderPolicy Policy => _contacts.Relay is null ? NotLeaderPolicy.Reject : NotLeaderPolicy.Forward;

    /// <summary>Whether the members must be read before the first request (<see cref="RaftContacts.ReadFrom"/>).</summary>
    private protected bool ReadsMembers => _contacts.ReadMembers;

    /// <summary>Time since this actor started, on the scheduler's clock (virtual under Akka.TestKit's TestScheduler).</summary>
    private protected TimeSpan Now => Context.System.Scheduler.Now - _started;

    /// <summary>
    /// Sends <paramref name="request"/> to route <paramref name="route"/>; its answer comes to <see cref="OnAnswer"/>, or
    /// after the answer timeout <see cref="OnNoAnswer"/> (the route is counted failed by then).
    /// </summary>
    private protected void Send(int route, object request, object tag)
    {
        var id = ++_lastAttempt;
        var (target, message) = Addressed(route, request);

        // The timer first: whoever sees the request at the other end knows the attempt is timed already.
        Timers.StartSingleTimer(id, new AttemptExpired(id), _answerTimeout);
        var courier = Context.ActorOf(Props.Create(() => new Courier(id, target, message)));
        _attempts.Add(id, new Attempt(route, tag, courier));
    }

    /// <summary>Whom to tell to reach route <paramref name="route"/>, and in what: the relay and its envelope, or the route's inbox.</summary>
    private protected (ICanTell Target, object Message) Addressed(int route, object request) =>
        _contacts.Relay is { } relay
            ? (relay, _contacts.Envelope!(request))
            : (Context.ActorSelection(Routes.PathOf(route)), request);

    /// <summary>Tells route <paramref name="route"/> something that needs no answer (a close on the way out).</summary>
    private protected void Post(int route, object message)
    {
        if (_contacts.Relay is { } relay) relay.Tell(_contacts.Envelope!(message), ActorRefs.NoSender);
        else Context.ActorSelection(Routes.PathOf(route)).Tell(message, ActorRefs.NoSender);
    }

    /// <summary>
    /// Asks route <paramref name="route"/> (or the first usable one, for -1) for the members, unless that is under way;
    /// <see cref="OnMembersSettled"/> follows, with or without an answer.
    /// </summary>
    /// <param name="route">Whom to ask; -1 for the first usable route.</param>
    /// <param name="leaderHint">A leader some peer named that has no route yet: followed once the members are known.</param>
    private protected void AskMembers(int route = -1, ulong leaderHint = 0)
    {
        if (leaderHint != 0) _hint = leaderHint;
        if (_membersAsked || _contacts.Relay is not null) return;
        if (route < 0) route = Routes.Pick(Now);
        if (route < 0)
        {
            OnMembersSettled(false);
            return;
        }

        _membersAsked = true;
        Send(route, GetClusterMembers.Instance, MembersTag.Instance);
    }

    /// <summary>An answer to an attempt tagged <paramref name="tag"/> came from route <paramref name="route"/>.</summary>
    private protected abstract void OnAnswer(object tag, int route, object answer);

    /// <summary>No answer to an attempt tagged <paramref name="tag"/> in time; route <paramref name="route"/> is counted failed.</summary>
    private protected abstract void OnNoAnswer(object tag, int route);

    /// <summary>A read of the members ended: <paramref name="learned"/> when the routes know them now.</summary>
    private protected abstract void OnMembersSettled(bool learned);

    /// <summary>
    /// What an answer says about its route: an answer that names the leader makes that one (or the route, if it has no
    /// route of its own) the leader. Asked without forwarding, a member that answers a request only the leader serves
    /// with anything but NotLeader (it timed out, it is overloaded, the session is gone) is the leader too. Any other
    /// answer only shows the route alive.
    /// </summary>
    /// <param name="route">Who answered.</param>
    /// <param name="answer">The answer.</param>
    /// <param name="leaderOnly">Whether the request was one only the leader serves (not a stale read).</param>
    private protected void Observe(int route, object answer, bool leaderOnly)
    {
        ulong? leader = answer switch
        {
            WriteResult w => w.Leader,
            TypedWriteResult w => w.Leader,
            QueryResponse { ServedBy: not ReadPath.Local } q => q.Leader,
            TypedQueryResponse { ServedBy: not ReadPath.Local } q => q.Leader,
            SessionOpened o => o.Leader,
            SessionKeptAlive k => k.Leader,
            SessionClosed c => c.Leader,
            RequestTimedOut or Overloaded or SessionNotFound when leaderOnly && Policy == NotLeaderPolicy.Reject => 0,
            _ => null,
        };
        if (leader is { } id) Routes.Served(route, id);
        else Routes.Alive(route);
    }

    private void OnCourierAnswered(CourierAnswered answered)
    {
        if (!_attempts.Remove(answered.AttemptId, out var attempt)) return; // It timed out already: a late answer.
        Timers.Cancel(answered.AttemptId);
        if (attempt.Tag is MembersTag)
        {
            _membersAsked = false;
            Routes.Alive(attempt.Route);
            var learned = answered.Answer is ClusterMembers members;
            if (learned)
            {
                Routes.Learn(((ClusterMembers)answered.Answer).Members, _contacts.InboxOf, _contacts.ReadMembers);
                if (_hint != 0) Routes.Follow(_hint, Now);
            }

            _hint = 0;
            OnMembersSettled(learned);
            return;
        }

        OnAnswer(attempt.Tag, attempt.Route, answered.Answer);
    }

    private void OnAttemptExpired(AttemptExpired expired)
    {
        if (!_attempts.Remove(expired.AttemptId, out var attempt)) return;
        Context.Stop(attempt.Courier);
        Routes.Failed(attempt.Route, Now, $"no answer in {_answerTimeout.TotalMilliseconds:F0}ms");
        if (attempt.Tag is MembersTag)
        {
            _membersAsked = false;
            _hint = 0;
            OnMembersSettled(false);
            return;
        }

        OnNoAnswer(attempt.Tag, attempt.Route);
    }

    private sealed record Attempt(int Route, object Tag, IActorRef Courier);

    private sealed record AttemptExpired(long AttemptId);

    private sealed class MembersTag
    {
        public static MembersTag Instance { get; } = new();
    }
}

/// <summary>The one answer a <see cref="Courier"/> received.</summary>
internal sealed record CourierAnswered(long AttemptId, object Answer);

/// <summary>
/// Sends one request with itself as the sender and hands the first message back to its parent, then stops: the answer
/// of a member over Akka.Remote, or through a ClusterClient's response tunnel, finds it like an Ask's temporary actor.
/// </summary>
internal sealed class Courier : ReceiveActor
{
    private readonly ICanTell _target;
    private readonly object _message;

    public Courier(long attemptId, ICanTell target, object message)
    {
        _target = target;
        _message = message;
        ReceiveAny(answer =>
        {
            Context.Parent.Tell(new CourierAnswered(attemptId, answer));
            Context.Stop(Self);
        });
    }

    protected override void PreStart() => _target.Tell(_message, Self);
}
