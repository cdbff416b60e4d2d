using Akka.Actor;

namespace AkkaRaft.Client.Sessions;

/// <summary>
/// A client session in the cluster (Raft dissertation §6.3; zraft's <c>zraft_session</c>), as an actor of the app: it
/// opens the session through whichever peer answers, keeps it alive on a timer (a fraction of the TTL) with the leader,
/// follows <see cref="NotLeader"/> answers and skips failed peers as a <see cref="LightSession"/> does, and writes exactly
/// once: every <see cref="SessionWrite"/> gets the next sequence number and goes out again with the same number after
/// no answer, a new leader, or a timeout, until the cluster answers it; each write acknowledges the answers received
/// before it. Queries go to the leader (<see cref="SessionQuery"/>), with a one-shot watch when they ask for one. When the cluster says the session is gone, the
/// subscriber (or the parent) gets <see cref="RaftSessionLost"/> and the actor stops; a stopped session that was not
/// closed tells the leader to close it on the way out.
/// </summary>
public sealed class RaftSession : RoutingActor
{
    private const string KeepAliveTimer = "keep-alive";
    private const string RetryTimer = "retry";

    private readonly RaftSessionSettings _settings;
    private readonly Queue<PendingWrite> _queued = new();
    private readonly HashSet<QueryJob> _queries = new();
    // What waits for the retry delay to go out again (no usable peer, Overloaded, hints pointing back and forth).
    private readonly HashSet<object> _waiting = new();
    // What waits for the members to be read (a NotLeader named a leader without a route yet).
    private readonly List<object> _afterMembers = new();
    private long _sessionId;
    private bool _membersRead;
    private bool _keepAliveInFlight;
    private PendingWrite? _inFlight;
    private ulong _nextSequence = 1;
    private IActorRef? _closer;
    private bool _closeSent;
    private bool _ended;
    private long _resends;
    private long _keepAlives;
    private int _notLeaderInARow;
    private string _lastProblem = "";

    /// <summary>Use <see cref="Props"/>.</summary>
    public RaftSession(RaftSessionSettings settings)
        : base(settings.Contacts, settings.FailTimeout, settings.ElectionTimeout, settings.AnswerTimeout)
    {
        _settings = settings;
        _membersRead = !ReadsMembers;
        Receive<SessionWrite>(OnWrite);
        Receive<SessionQuery>(OnQuery);
        Receive<CloseRaftSession>(_ => OnClose());
        Receive<GetRaftSessionState>(_ => Sender.Tell(new RaftSessionState(
            _sessionId, Routes.Leader >= 0 ? Routes.PathOf(Routes.Leader) : "", _nextSequence, _resends, _keepAlives, _lastProblem)));
        Receive<KeepAliveDue>(_ => SendKeepAlive());
        Receive<RetryDue>(_ => Resume());
        Receive<SessionWatcher.Outcome>(outcome => Subscriber.Tell(outcome.Report(Self)));
    }

    /// <summary>The props of a session actor.</summary>
    /// <exception cref="ArgumentException">A setting out of its range.</exception>
    public static Props Props(RaftSessionSettings settings)
    {
        ArgumentNullException.ThrowIfNull(settings);
        settings.Validate();
        return Akka.Actor.Props.Create(() => new RaftSession(settings));
    }

    private IActorRef Subscriber => _settings.Subscriber ?? Context.Parent;

    /// <inheritdoc />
    protected override void PreStart()
    {
        if (ReadsMembers) AskMembers(0);
        else Open();
    }

    /// <inheritdoc />
    protected override void PostStop()
    {
        // Stopped without a close: the session would live on for its TTL with its ephemeral keys; close it now. Nobody
        // waits for the answer, so a lost close leaves the expiry to do it.
        if (_sessionId == 0 || _ended || _closeSent) return;
        var route = Routes.Leader >= 0 ? Routes.Leader : Routes.Pick(Now);
        if (route >= 0) Post(route, new CloseSession(_sessionId, _settings.RequestTimeout, NotLeaderPolicy.Forward));
    }

    private void Open() => Again(OpenTag.Instance, now: true);

    /// <summary>
    /// The request tagged <paramref name="tag"/> goes out (again): now, to the route the session believes in, or after
    /// the retry delay. When every route is skipped (each failed lately or said it does not lead: an election), it
    /// waits for the retry delay too: the session keeps trying until the cluster answers, and the cluster decides
    /// whether the session outlived its TTL.
    /// </summary>
    private void Again(object tag, bool now)
    {
        var route = now ? Routes.Pick(Now) : -1;
        if (route < 0)
        {
            _waiting.Add(tag);
            Timers.StartSingleTimer(RetryTimer, RetryDue.Instance, _settings.RetryDelay);
            return;
        }

        switch (tag)
        {
            case OpenTag:
                Send(route, new OpenSession(_settings.Ttl, _settings.RequestTimeout, Policy), tag);
                return;
            case KeepAliveTag:
                Send(route, new KeepSessionAlive(_sessionId, Policy), tag);
                return;
            case CloseTag:
                Send(route, new CloseSession(_sessionId, _settings.RequestTimeout, Policy), tag);
                return;
            case PendingWrite write:
                // One write at a time: every write before this one was answered, so the cluster may forget their responses.
                Send(route, new Write(write.Command, _settings.RequestTimeout, Policy)
                {
                    SessionId = _sessionId, Sequence = write.Sequence, AcknowledgedBelow = write.Sequence,
                }, tag);
                return;
            default:
                throw new InvalidOperationException($"a session request tagged {tag.GetType().Name} cannot be sent again");
        }
    }

    /// <summary>After the retry delay: whatever waits goes out again.</summary>
    private void Resume()
    {
        if (_ended) return;
        var waiting = _waiting.ToArray();
        _waiting.Clear();
        foreach (var tag in waiting) Again(tag, now: true);
    }

    private void OnWrite(SessionWrite write)
    {
        // Bad input is answered, not thrown: a restart would forget the session and its sequence numbers.
        if (write.Command is not { Length: > 0 })
        {
            Sender.Tell(new RequestRejected("a session write needs a command of at least one byte"));
            return;
        }

        if (_closer is not null)
        {
            Sender.Tell(new RequestRejected("the session is closing: writes after CloseRaftSession are not sent"));
            return;
        }

        if (_queued.Count >= _settings.MaxQueuedWrites)
        {
            Sender.Tell(new Overloaded($"{_queued.Count} writes wait in this session (RaftSessionSettings.MaxQueuedWrites = {_settings.MaxQueuedWrites})"));
            return;
        }

        _queued.Enqueue(new PendingWrite(write.Command, Sender));
        NextWrite();
    }

    /// <summary>One write at a time, in order: the next one gets its sequence number when it goes out.</summary>
    private void NextWrite()
    {
        if (_sessionId == 0 || _inFlight is not null) return;
        if (_queued.Count == 0)
        {
            if (_closer is not null && !_closeSent) SendClose();
            return;
        }

        var write = _queued.Dequeue();
        write.Sequence = _nextSequence++;
        _inFlight = write;
        Again(write, now: true);
    }

    /// <summary>The same sequence number again: exactly once makes the resend safe (the cluster answers the first outcome).</summary>
    private void Resend(PendingWrite write, bool now)
    {
        _resends++;
        Again(write, now);
    }

    private void OnQuery(SessionQuery query)
    {
        if (query.Query is null)
        {
            Sender.Tell(new RequestRejected("a session query needs its query bytes"));
            return;
        }

        if (query.Watch is { } watch && (string.IsNullOrEmpty(watch.Name) || watch.Key is null || (watch.Key.Length == 0 && !watch.Prefix)))
        {
            Sender.Tell(new RequestRejected("a session query's watch needs a name and a key (or a prefix, which may be empty)"));
            return;
        }

        var job = new QueryJob(new Query(query.Query, query.Level, _settings.RequestTimeout, Policy), Sender, query.Watch);
        _queries.Add(job);
        DispatchQuery(job);
    }

    /// <summary>
    /// Sets the query's watch with the peer that answered it, after the index the answer was read at: a child
    /// (<see cref="SessionWatcher"/>) sends it as its own sender, waits for the trigger and reports it here.
    /// </summary>
    private void SetWatch(SessionWatch watch, int route, ulong readAt)
    {
        var request = new Watch(watch.Key, watch.Prefix, readAt, _sessionId, watch.Timeout, Policy);
        var (target, message) = Addressed(route, request);
        Context.ActorOf(Akka.Actor.Props.Create(() => new SessionWatcher(watch.Name, target, message, _settings.AnswerTimeout)));
    }

    private void DispatchQuery(QueryJob job)
    {
        var route = job.Attempts < _settings.MaxAttemptsPerRoute * Routes.Count ? Routes.Pick(Now) : -1;
        if (route < 0)
        {
            _queries.Remove(job);
            job.ReplyTo.Tell(new AllFailed(job.Request, Routes.Describe(Now)));
            return;
        }

        job.Attempts++;
        Send(route, job.Request, job);
    }

    private void OnClose()
    {
        if (_closer is not null)
        {
            Sender.Tell(new RequestRejected("the session is closing already"));
            return;
        }

        _closer = Sender;
        if (_sessionId != 0) NextWrite();
    }

    private void SendClose()
    {
        _closeSent = true;
        Again(CloseTag.Instance, now: true);
    }

    private void SendKeepAlive()
    {
        // One keep-alive at a time: one still out (or waiting to go out again) renews the session as well.
        if (_keepAliveInFlight || _ended) return;
        _keepAliveInFlight = true;
        Again(KeepAliveTag.Instance, now: true);
    }

    /// <inheritdoc />
    private protected override void OnAnswer(object tag, int route, object answer)
    {
        if (_ended) return;
        if (answer is NotLeader notLeader)
        {
            _lastProblem = $"{Describe(tag)} at {Routes.PathOf(route)}: {answer}";
            var known = Routes.NotLeader(route, notLeader.LeaderHint, Now, notLeader.Reason);
            if (!known && notLeader.LeaderHint != 0)
            {
                // A leader this session has no route to yet: read the members, then go on.
                _afterMembers.Add(tag);
                AskMembers(route, notLeader.LeaderHint);
                return;
            }

            // Hints that point back and forth while leadership moves: after one per peer, wait a little.
            GoOn(tag, now: ++_notLeaderInARow <= Routes.Count);
            return;
        }

        _notLeaderInARow = 0;
        if (answer is StorageUnavailable unavailable)
        {
            _lastProblem = $"{Describe(tag)} at {Routes.PathOf(route)}: {answer}";
            Routes.Failed(route, Now, unavailable.Reason);
            GoOn(tag, now: true);
            return;
        }

        Observe(route, answer, leaderOnly: tag is not QueryJob { Request.Level: ReadLevel.Stale });
        switch (tag)
        {
            case OpenTag:
                OnOpenAnswer(answer);
                return;
            case KeepAliveTag:
                OnKeepAliveAnswer(answer);
                return;
            case PendingWrite write:
                OnWriteAnswer(write, answer);
                return;
            case QueryJob job:
                _queries.Remove(job);
                job.ReplyTo.Tell(answer);
                if (job.Watch is { } watch && answer is QueryResponse read) SetWatch(watch, route, read.AppliedIndex);
                return;
            case CloseTag:
                OnCloseAnswer(answer);
                return;
        }
    }

    /// <inheritdoc />
    private protected override void OnNoAnswer(object tag, int route)
    {
        if (_ended) return;
        _lastProblem = $"{Describe(tag)}: no answer from {Routes.PathOf(route)} in {_settings.AnswerTimeout}";
        GoOn(tag, now: true);
    }

    private static string Describe(object tag) => tag switch
    {
        OpenTag => "open",
        KeepAliveTag => "keep-alive",
        CloseTag => "close",
        PendingWrite w => $"write {w.Sequence}",
        QueryJob => "query",
        _ => tag.GetType().Name,
    };

    /// <summary>A request whose attempt ended without its answer goes on: a query to its next peer (or AllFailed), the rest again.</summary>
    private void GoOn(object tag, bool now)
    {
        switch (tag)
        {
            case QueryJob query:
                DispatchQuery(query);
                return;
            case PendingWrite write:
                Resend(write, now);
                return;
            default:
                Again(tag, now);
                return;
        }
    }

    /// <inheritdoc />
    private protected override void OnMembersSettled(bool learned)
    {
        if (_ended) return;
        if (!_membersRead)
        {
            _membersRead = true;
            Open();
            return;
        }

        var waiting = _afterMembers.ToArray();
        _afterMembers.Clear();
        foreach (var tag in waiting) GoOn(tag, now: true);
    }

    private void OnOpenAnswer(object answer)
    {
        switch (answer)
        {
            case SessionOpened opened:
                _sessionId = opened.SessionId;
                Timers.StartPeriodicTimer(KeepAliveTimer, KeepAliveDue.Instance, _settings.KeepAliveInterval);
                Subscriber.Tell(new RaftSessionOpened(Self, opened.SessionId, opened.Ttl, opened.Leader));
                NextWrite();
                return;
            case Overloaded or RequestTimedOut:
                // Too many sessions, or no commit in time (perhaps an election): ask again shortly. A session opened by
                // an attempt whose answer never came is not known here and expires after its TTL.
                Again(OpenTag.Instance, now: false);
                return;
            default:
                End(0, $"the cluster refused to open the session: {answer}");
                return;
        }
    }

    private void OnKeepAliveAnswer(object answer)
    {
        switch (answer)
        {
            case SessionKeptAlive:
                _keepAliveInFlight = false;
                _keepAlives++;
                return;
            case SessionNotFound notFound:
                End(_sessionId, notFound.Reason);
                return;
            default:
                // Overloaded: a new leader that has not applied its log up to its term yet. Ask again shortly.
                _lastProblem = $"keep-alive: {answer}";
                Again(KeepAliveTag.Instance, now: false);
                return;
        }
    }

    private void OnWriteAnswer(PendingWrite write, object answer)
    {
        switch (answer)
        {
            case SessionNotFound notFound:
                End(_sessionId, notFound.Reason);
                return;
            case RequestTimedOut or Overloaded:
                // A timeout is ambiguous: it may still commit. The same sequence number again is answered with the
                // outcome, once. Overloaded proposed nothing: the same number again after the retry delay.
                _lastProblem = $"write {write.Sequence}: {answer}";
                Resend(write, now: answer is RequestTimedOut);
                return;
            default:
                // WriteResult, or RequestRejected (refused by the session or the state machine: nothing applied).
                _inFlight = null;
                write.ReplyTo.Tell(answer);
                NextWrite();
                return;
        }
    }

    private void OnCloseAnswer(object answer)
    {
        switch (answer)
        {
            case SessionClosed or SessionNotFound:
                _ended = true;
                _closer!.Tell(answer);
                Context.Stop(Self);
                return;
            default:
                Again(CloseTag.Instance, now: false);
                return;
        }
    }

    /// <summary>The session is gone (or never opened): everyone waiting hears why, and the actor stops.</summary>
    private void End(long sessionId, string reason)
    {
        _ended = true;
        var lost = new RaftSessionLost(Self, sessionId, reason);
        Subscriber.Tell(lost);
        _inFlight?.ReplyTo.Tell(lost);
        foreach (var write in _queued) write.ReplyTo.Tell(lost);
        foreach (var query in _queries) query.ReplyTo.Tell(lost);
        _closer?.Tell(lost);
        Context.Stop(Self);
    }

    private sealed class PendingWrite(byte[] command, IActorRef replyTo)
    {
        public byte[] Command { get; } = command;

        public IActorRef ReplyTo { get; } = replyTo;

        public ulong Sequence { get; set; }
    }

    private sealed class QueryJob(Query request, IActorRef replyTo, SessionWatch? watch)
    {
        public Query Request { get; } = request;

        public IActorRef ReplyTo { get; } = replyTo;

        public SessionWatch? Watch { get; } = watch;

        public int Attempts { get; set; }
    }

    private sealed class OpenTag
    {
        public static OpenTag Instance { get; } = new();
    }

    private sealed class KeepAliveTag
    {
        public static KeepAliveTag Instance { get; } = new();
    }

    private sealed class CloseTag
    {
        public static CloseTag Instance { get; } = new();
    }

    private sealed class KeepAliveDue
    {
        public static KeepAliveDue Instance { get; } = new();
    }

    private sealed class RetryDue
    {
        public static RetryDue Instance { get; } = new();
    }
}

/// <summary>A <see cref="RaftSession"/>'s settings (zraft's <c>zraft_session:start_link(PeerOrPeers, SessionTimeout)</c>).</summary>
/// <param name="Contacts">One peer to read the rest from, a list of peers, or a relay such as a ClusterClient.</param>
/// <param name="Ttl">The session's time to live without a keep-alive; within the cluster's
/// <c>akkaraft.sessions.min-ttl</c>..<c>max-ttl</c>.</param>
public sealed record RaftSessionSettings(RaftContacts Contacts, TimeSpan Ttl)
{
    /// <summary>How often the leader hears a keep-alive; default a third of <see cref="Ttl"/>, so that two can be lost.</summary>
    public TimeSpan KeepAliveInterval { get; init; } = Ttl / 3;

    /// <summary>The <c>Timeout</c> each request carries: how long the member waits for the commit before answering
    /// <see cref="RequestTimedOut"/> (a write is then sent again with its sequence number). Default 2s.</summary>
    public TimeSpan RequestTimeout { get; init; } = TimeSpan.FromSeconds(2);

    /// <summary>How long a peer gets to answer before it counts as failed; above <see cref="RequestTimeout"/>. Default 3s.</summary>
    public TimeSpan AnswerTimeout { get; init; } = TimeSpan.FromSeconds(3);

    /// <summary>How long a peer that did not answer is skipped. Default 2s.</summary>
    public TimeSpan FailTimeout { get; init; } = TimeSpan.FromSeconds(2);

    /// <summary>How long a peer that said it does not lead is skipped (about the cluster's election timeout). Default 1s.</summary>
    public TimeSpan ElectionTimeout { get; init; } = TimeSpan.FromSeconds(1);

    /// <summary>The wait before trying again when no peer is usable or the cluster answered Overloaded. Default 100ms.</summary>
    public TimeSpan RetryDelay { get; init; } = TimeSpan.FromMilliseconds(100);

    /// <summary>Most writes waiting to go out; more are answered <see cref="Overloaded"/>. Default 1000.</summary>
    public int MaxQueuedWrites { get; init; } = 1000;

    /// <summary>Attempts per query, per peer, before it is answered <see cref="AllFailed"/>. Default 2.</summary>
    public int MaxAttemptsPerRoute { get; init; } = 2;

    /// <summary>Who hears <see cref="RaftSessionOpened"/> and <see cref="RaftSessionLost"/>; null for the parent.</summary>
    public IActorRef? Subscriber { get; init; }

    /// <summary>Checks every setting.</summary>
    /// <exception cref="ArgumentException">A setting out of its range.</exception>
    internal void Validate()
    {
        ArgumentNullException.ThrowIfNull(Contacts);
        if (Ttl <= TimeSpan.Zero) throw new ArgumentException($"Ttl must be positive, got {Ttl}");
        if (KeepAliveInterval <= TimeSpan.Zero || KeepAliveInterval >= Ttl) throw new ArgumentException($"KeepAliveInterval must be positive and below the TTL ({Ttl}), got {KeepAliveInterval}");
        if (RequestTimeout <= TimeSpan.Zero) throw new ArgumentException($"RequestTimeout must be positive, got {RequestTimeout}");
        if (AnswerTimeout <= RequestTimeout) throw new ArgumentException($"AnswerTimeout ({AnswerTimeout}) must be above RequestTimeout ({RequestTimeout}): a slow commit should be answered RequestTimedOut, not counted as a failed peer");
        if (FailTimeout <= TimeSpan.Zero) throw new ArgumentException($"FailTimeout must be positive, got {FailTimeout}");
        if (ElectionTimeout <= TimeSpan.Zero) throw new ArgumentException($"ElectionTimeout must be positive, got {ElectionTimeout}");
        if (RetryDelay <= TimeSpan.Zero) throw new ArgumentException($"RetryDelay must be positive, got {RetryDelay}");
        if (MaxQueuedWrites < 1) throw new ArgumentException($"MaxQueuedWrites must be at least 1, got {MaxQueuedWrites}");
        if (MaxAttemptsPerRoute < 1) throw new ArgumentException($"MaxAttemptsPerRoute must be at least 1, got {MaxAttemptsPerRoute}");
    }
}
