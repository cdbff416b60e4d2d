using Akka.Actor;

namespace AkkaRaft.Client.Sessions;

/// <summary>
/// A light client session (zraft's <c>light_session</c>): no session in the cluster, only a router in front of it that
/// tracks the leader and the failed peers. Send it the client protocol's <see cref="Write"/>, <see cref="Query"/>,
/// <see cref="TypedWrite"/> or <see cref="TypedQuery"/>; it sends each to the leader it knows (or the next usable peer),
/// follows <see cref="NotLeader"/> answers, skips a peer that did not answer for <see cref="LightSessionSettings.FailTimeout"/>
/// and a peer that said it does not lead for <see cref="LightSessionSettings.ElectionTimeout"/>, and answers the sender
/// with the cluster's answer, or <see cref="AllFailed"/> when no peer is usable.
/// </summary>
/// <remarks>
/// A write whose peer did not answer is sent again to the next peer, so it may be applied twice (zraft warns the same):
/// for exactly once use a <see cref="RaftSession"/>. A <see cref="RequestTimedOut"/>, <see cref="Overloaded"/> or
/// <see cref="RequestRejected"/> from a live peer is passed on as it is.
/// </remarks>
public sealed class LightSession : RoutingActor
{
    private readonly LightSessionSettings _settings;
    private readonly List<Job> _waitingForMembers = new();
    private int _jobs;
    private bool _membersRead;

    /// <summary>Use <see cref="Props"/>.</summary>
    public LightSession(LightSessionSettings settings)
        : base(settings.Contacts, settings.FailTimeout, settings.ElectionTimeout, settings.AnswerTimeout)
    {
        _settings = settings;
        _membersRead = !ReadsMembers;
        Receive<Write>(w => Accept(w with { OnNotLeader = Policy }));
        Receive<Query>(q => Accept(q with { OnNotLeader = Policy }));
        Receive<TypedWrite>(w => Accept(w with { OnNotLeader = Policy }));
        Receive<TypedQuery>(q => Accept(q with { OnNotLeader = Policy }));
    }

    /// <summary>The props of a light session.</summary>
    /// <exception cref="ArgumentException">A setting out of its range.</exception>
    public static Props Props(LightSessionSettings settings)
    {
        ArgumentNullException.ThrowIfNull(settings);
        settings.Validate();
        return Akka.Actor.Props.Create(() => new LightSession(settings));
    }

    /// <inheritdoc />
    protected override void PreStart()
    {
        // Started from one member: the rest are read from it before the first request goes out (zraft reads the configuration).
        if (ReadsMembers) AskMembers(0);
    }

    private void Accept(object request)
    {
        if (_jobs >= _settings.MaxPendingRequests)
        {
            Sender.Tell(new Overloaded($"{_jobs} requests wait for an answer in this light session (LightSessionSettings.MaxPendingRequests = {_settings.MaxPendingRequests})"));
            return;
        }

        _jobs++;
        var job = new Job(request, Sender);
        if (_membersRead) Dispatch(job);
        else _waitingForMembers.Add(job);
    }

    private void Dispatch(Job job)
    {
        var route = job.Attempts < _settings.MaxAttemptsPerRoute * Routes.Count ? Routes.Pick(Now) : -1;
        if (route < 0)
        {
            Finish(job, new AllFailed(job.Request, Routes.Describe(Now)));
            return;
        }

        job.Attempts++;
        Send(route, job.Request, job);
    }

    private void Finish(Job job, object answer)
    {
        _jobs--;
        job.ReplyTo.Tell(answer);
    }

    /// <inheritdoc />
    private protected override void OnAnswer(object tag, int route, object answer)
    {
        var job = (Job)tag;
        switch (answer)
        {
            case NotLeader notLeader:
                var known = Routes.NotLeader(route, notLeader.LeaderHint, Now, notLeader.Reason);
                if (!known && notLeader.LeaderHint != 0)
                {
                    // A leader this session has no route to yet: read the members, then go on.
                    _waitingForMembers.Add(job);
                    AskMembers(route, notLeader.LeaderHint);
                    return;
                }

                Dispatch(job);
                return;
            case StorageUnavailable unavailable:
                // That member cannot write its journal: another may lead soon (the doc of StorageUnavailable says go elsewhere).
                Routes.Failed(route, Now, unavailable.Reason);
                Dispatch(job);
                return;
            default:
                Observe(route, answer, leaderOnly: job.Request is not (Query { Level: ReadLevel.Stale } or TypedQuery { Level: ReadLevel.Stale }));
                Finish(job, answer);
                return;
        }
    }

    /// <inheritdoc />
    private protected override void OnNoAnswer(object tag, int route) => Dispatch((Job)tag);

    /// <inheritdoc />
    private protected override void OnMembersSettled(bool learned)
    {
        _membersRead = true;
        var waiting = _waitingForMembers.ToArray();
        _waitingForMembers.Clear();
        foreach (var job in waiting) Dispatch(job);
    }

    private sealed class Job(object request, IActorRef replyTo)
    {
        public object Request { get; } = request;

        public IActorRef ReplyTo { get; } = replyTo;

        public int Attempts { get; set; }
    }
}

/// <summary>How a <see cref="LightSession"/> routes (zraft's <c>light_session(Peers, FailTimeout, ElectionTimeout)</c>).</summary>
/// <param name="Contacts">The peers, or one to read the rest from, or a relay such as a ClusterClient.</param>
/// <param name="FailTimeout">How long a peer that did not answer is skipped.</param>
/// <param name="ElectionTimeout">How long a peer that said it does not lead is skipped (about the cluster's election timeout).</param>
public sealed record LightSessionSettings(RaftContacts Contacts, TimeSpan FailTimeout, TimeSpan ElectionTimeout)
{
    /// <summary>How long one peer gets to answer before it counts as failed (longer than the request's own <c>Timeout</c>,
    /// or the member's <c>akkaraft.raft.request-timeout</c>, so that a slow commit is answered RequestTimedOut instead). Default 3s.</summary>
    public TimeSpan AnswerTimeout { get; init; } = TimeSpan.FromSeconds(3);

    /// <summary>Most requests waiting for an answer at once; more are answered <see cref="Overloaded"/>. Default 1000.</summary>
    public int MaxPendingRequests { get; init; } = 1000;

    /// <summary>Attempts per request, per peer, before it is answered <see cref="AllFailed"/> (bounds NotLeader hints that
    /// point back and forth while a leader changes). Default 2.</summary>
    public int MaxAttemptsPerRoute { get; init; } = 2;

    /// <summary>Checks every setting.</summary>
    /// <exception cref="ArgumentException">A setting out of its range.</exception>
    internal void Validate()
    {
        ArgumentNullException.ThrowIfNull(Contacts);
        if (FailTimeout <= TimeSpan.Zero) throw new ArgumentException($"FailTimeout must be positive, got {FailTimeout}");
        if (ElectionTimeout <= TimeSpan.Zero) throw new ArgumentException($"ElectionTimeout must be positive, got {ElectionTimeout}");
        if (AnswerTimeout <= TimeSpan.Zero) throw new ArgumentException($"AnswerTimeout must be positive, got {AnswerTimeout}");
        if (MaxPendingRequests < 1) throw new ArgumentException($"MaxPendingRequests must be at least 1, got {MaxPendingRequests}");
        if (MaxAttemptsPerRoute < 1) throw new ArgumentException($"MaxAttemptsPerRoute must be at least 1, got {MaxAttemptsPerRoute}");
    }
}

/// <summary>No peer is usable: each failed lately or said it does not lead (zraft's <c>all_failed</c>). Nothing more is tried for this request.</summary>
/// <param name="Request">The request, as last sent.</param>
/// <param name="Peers">Each peer and why it is skipped.</param>
public sealed record AllFailed(object Request, IReadOnlyList<string> Peers);
