using AkkaRaft.Configuration;
using AkkaRaft.Raft.Core;

namespace AkkaRaft.Raft.Peer;

/// <summary>
/// The settings of a <see cref="RaftPeer"/>, read once from the <c>akkaraft.raft</c> section and validated.
/// </summary>
/// <remarks>
/// Time in the core is logical: one <see cref="RaftNode.Tick"/> per <see cref="HeartbeatInterval"/>. The core's
/// <c>heartbeat-ticks</c> is therefore always 1 and its <c>election-ticks</c> is
/// <c>round(election-timeout / heartbeat-interval)</c>; the core randomizes each election timeout in
/// [election-ticks, 2 × election-ticks) ticks. Every other core key of the section (pre-vote, check-quorum,
/// lease-reads, lease-drift-margin-ticks, max-inflight-messages, max-append-entries-bytes, ...) is read here into
/// <see cref="Core"/> as it stands: the core itself reads no configuration, it gets this plain record.
/// </remarks>
/// <param name="ElectionTimeout">Time without a leader before a follower campaigns (randomized per election by the core).</param>
/// <param name="HeartbeatInterval">Time between heartbeats; the length of one core tick.</param>
/// <param name="RequestTimeout">How long a client request waits when it names no timeout of its own.</param>
/// <param name="MaxLogCount">Applied entries after which the log is compacted into a snapshot.</param>
/// <param name="MaxLogBytes">Applied entry bytes after which the log is compacted into a snapshot.</param>
/// <param name="MaxProposalQueue">Most client requests (writes and reads) one peer holds waiting for an outcome.</param>
/// <param name="Core">The core's settings for node id 1 (<see cref="CoreConfig"/> sets the real id and the tick counts).</param>
public sealed record RaftPeerSettings(
    TimeSpan ElectionTimeout,
    TimeSpan HeartbeatInterval,
    TimeSpan RequestTimeout,
    int MaxLogCount,
    long MaxLogBytes,
    int MaxProposalQueue,
    RaftConfig Core)
{
    /// <summary>
    /// How a supervised peer (<see cref="RaftPeer.SupervisedProps"/>) comes back after it stopped on a failed journal
    /// write: first after <c>restart-min-backoff</c>, doubling up to <c>restart-max-backoff</c>, each delay stretched by
    /// up to <c>restart-random-factor</c>.
    /// </summary>
    public RestartBackoff Restart { get; init; } = new(TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(30), 0.2);

    /// <summary>
    /// For the fault harness only (<c>unsafe-stale-consistent-reads</c>): <see cref="AkkaRaft.Client.ReadLevel.Consistent"/> reads are
    /// answered from local state by whichever peer gets them, as <see cref="AkkaRaft.Client.ReadLevel.Stale"/> reads are. This breaks
    /// linearizability on purpose, so that the harness can show it catches stale reads. Off by default.
    /// </summary>
    public bool UnsafeStaleConsistentReads { get; init; }

    /// <summary>
    /// For the fault harness only (<c>unsafe-ack-before-fsync</c>): a follower sends its messages (AppendEntries
    /// responses, votes) before its journal write is durable instead of after, so a leader may commit entries that a
    /// failed write or a crash then loses on that follower. This breaks Raft's durability on purpose, so that the
    /// harness can show it catches lost acknowledged writes. Off by default.
    /// </summary>
    public bool UnsafeAckBeforeFsync { get; init; }

    /// <summary>
    /// <c>learner-promotion-lag</c>: the leader makes a learner marked for promotion a voter once the learner's match
    /// index is at most this many entries behind the leader's last index (0: fully caught up). Default 100.
    /// </summary>
    public int LearnerPromotionLag { get; init; } = 100;

    /// <summary>
    /// <c>log-to-snapshot-ratio</c>: once the last snapshot is larger than <see cref="MaxLogBytes"/>, the next one is taken
    /// only after this many times its size of log has been applied since (0: never waits), and at most
    /// <see cref="MaxLogBytesCeiling"/>. Default 1.
    /// </summary>
    public double LogToSnapshotRatio { get; init; } = 1.0;

    /// <summary><c>max-log-bytes-ceiling</c>: the most applied log <see cref="LogToSnapshotRatio"/> may let build up before a snapshot. Default 512 MiB.</summary>
    public long MaxLogBytesCeiling { get; init; } = 512L << 20;

    /// <summary>Client sessions: the TTL bounds, how many may be open, how many responses each keeps (<c>akkaraft.sessions</c>).</summary>
    public SessionSettings Sessions { get; init; } = SessionSettings.Defaults;

    /// <summary>How snapshots travel on a server: its snapshot port, chunks, limits and files (<c>snapshot-*</c> keys).</summary>
    public Snapshots.SnapshotTransferSettings Transfer { get; init; } = Snapshots.SnapshotTransferSettings.Defaults;
    /// <summary>One-shot watches: how many, how long, how much history (<c>akkaraft.watches</c>).</summary>
    public WatchSettings Watches { get; init; } = WatchSettings.Defaults;

    /// <summary>Locks: how many, how many waiters, how long a name (<c>akkaraft.locks</c>).</summary>
    public LockSettings Locks { get; init; } = LockSettings.Defaults;

    /// <summary>Where the section lives.</summary>
    public const string SectionPath = "akkaraft.raft";

    /// <summary>The settings of <c>reference.conf</c> alone.</summary>
    public static RaftPeerSettings Default => FromConfig(ConfigurationFactory.Default());

    /// <summary>Ticks of the core in one election timeout (the core's <c>election-ticks</c>).</summary>
    public int ElectionTicks => (int)Math.Round(ElectionTimeout / HeartbeatInterval);

    /// <summary>
    /// The core's settings for node <paramref name="nodeId"/>, validated. Its tick counts always follow the timeouts
    /// (<see cref="ElectionTicks"/>, one heartbeat per tick), whatever <see cref="Core"/> says.
    /// </summary>
    /// <exception cref="ArgumentException">The id is 0 or a core setting is invalid.</exception>
    public RaftConfig CoreConfig(ulong nodeId) => (Core with { NodeId = nodeId, ElectionTicks = ElectionTicks, HeartbeatTicks = 1 }).Validate();

    /// <summary>Reads and validates <c>akkaraft.raft</c> from the full configuration (reference.conf supplies missing keys when loaded with it).</summary>
    /// <exception cref="ConfigException">A setting is missing, of the wrong type, or breaks its rule.</exception>
    public static RaftPeerSettings FromConfig(Config config)
    {
        ArgumentNullException.ThrowIfNull(config);
        var electionTimeout = config.GetTimeSpan(Key("election-timeout"));
        var heartbeat = config.GetTimeSpanInRange(Key("heartbeat-interval"), TimeSpan.FromMilliseconds(1));
        if (electionTimeout < 2 * heartbeat)
        {
            throw config.Invalid(Key("election-timeout"),
                $"expected at least 2 x heartbeat-interval ({2 * heartbeat.TotalMilliseconds}ms), got {electionTimeout.TotalMilliseconds}ms");
        }
        var requestTimeoutText = config.GetString(Key("request-timeout"));
        var requestTimeout = string.Equals(requestTimeoutText, "auto", StringComparison.OrdinalIgnoreCase)
            ? 2 * electionTimeout
            : config.GetTimeSpanInRange(Key("request-timeout"), heartbeat);
        var maxLogCount = config.GetIntInRange(Key("max-log-count"), 1);
        var maxLogBytes = config.GetByteSizeInRange(Key("max-log-bytes"), 1);
        var maxProposalQueue = config.GetIntInRange(Key("max-proposal-queue"), 1);

        // The shell ticks once per heartbeat interval, so the core's election timeout in ticks is their ratio.
        var electionTicks = (int)Math.Round(electionTimeout / heartbeat);
        var core = ReadCore(config, electionTicks);

        var restartMin = config.GetTimeSpanInRange(Key("restart-min-backoff"), TimeSpan.FromMilliseconds(1));
        var restartMax = config.GetTimeSpanInRange(Key("restart-max-backoff"), restartMin);
        var randomFactor = config.GetDouble(Key("restart-random-factor"));
        if (!(randomFactor is >= 0 and <= 1))
        {
            throw config.Invalid(Key("restart-random-factor"), $"expected a number from 0 to 1, got {randomFactor}");
        }

        return new RaftPeerSettings(electionTimeout, heartbeat, requestTimeout, maxLogCount, maxLogBytes, maxProposalQueue, core)
        {
            Restart = new RestartBackoff(restartMin, restartMax, randomFactor),
            UnsafeStaleConsistentReads = config.GetBoolean(Key("unsafe-stale-consistent-reads")),
            UnsafeAckBeforeFsync = config.GetBoolean(Key("unsafe-ack-before-fsync")),
            Sessions = SessionSettings.FromConfig(config),
            Transfer = Snapshots.SnapshotTransferSettings.FromConfig(config, SectionPath),
            LearnerPromotionLag = config.GetIntInRange(Key("learner-promotion-lag"), 0),
            LogToSnapshotRatio = ReadLogToSnapshotRatio(config),
            MaxLogBytesCeiling = config.GetByteSizeInRange(Key("max-log-bytes-ceiling"), maxLogBytes),
            Watches = WatchSettings.FromConfig(config),
            Locks = LockSettings.FromConfig(config),
        };
    }

    private static double ReadLogToSnapshotRatio(Config config)
    {
        var ratio = config.GetDouble(Key("log-to-snapshot-ratio"));
        if (!(ratio is >= 0 and <= 10))
        {
            throw config.Invalid(Key("log-to-snapshot-ratio"), $"expected a number from 0 to 10, got {ratio}");
        }

        return ratio;
    }

    /// <summary>
    /// The core's keys of the section, as the core's plain settings record (node id 1: <see cref="CoreConfig"/> sets
    /// the real one), validated against the tick counts the timeouts give.
    /// </summary>
    private static RaftConfig ReadCore(Config config, int electionTicks)
    {
        var core = new RaftConfig
        {
            NodeId = 1,
            ElectionTicks = electionTicks,
            HeartbeatTicks = 1,
            PreVote = config.GetBoolean(Key("pre-vote")),
            CheckQuorum = config.GetBoolean(Key("check-quorum")),
            LeaseReads = config.GetBoolean(Key("lease-reads")),
            LeaseDriftMarginTicks = config.GetInt(Key("lease-drift-margin-ticks")),
            MaxAppendEntriesBytes = config.GetByteSize(Key("max-append-entries-bytes")),
            MaxInflightMessages = config.GetInt(Key("max-inflight-messages")),
            MaxInflightBytes = config.GetByteSize(Key("max-inflight-bytes")),
            MaxUncommittedEntriesBytes = config.GetByteSize(Key("max-uncommitted-entries-bytes")),
            MaxCommittedBytesPerReady = config.GetByteSize(Key("max-committed-bytes-per-ready")),
            MaxSnapshotBytes = config.GetByteSize(Key("max-snapshot-bytes")),
            MaxPendingReads = config.GetInt(Key("max-pending-reads")),
        };
        try
        {
            return core.Validate();
        }
        catch (ArgumentException e)
        {
            // The core names the broken setting by its key; the tick counts are not keys but the timeouts' ratio.
            var origin = config.GetOrigin(Key(e.ParamName ?? "")) ?? config.GetOrigin(Key("election-timeout"));
            var message = e.Message.Contains("election-ticks", StringComparison.Ordinal)
                ? $"{e.Message}; election-ticks = election-timeout / heartbeat-interval = {electionTicks}"
                : e.Message;
            throw new ConfigException(origin is null ? message : $"{message} ({origin})", origin, e);
        }
    }

    private static string Key(string name) => SectionPath + "." + name;
}

/// <summary>The backoff of a supervised peer's restarts.</summary>
/// <param name="MinBackoff">Delay of the first restart.</param>
/// <param name="MaxBackoff">Longest delay; each restart doubles the previous one up to it.</param>
/// <param name="RandomFactor">Each delay is stretched by a random share of up to this (0 to 1), so peers do not restart in step.</param>
public sealed record RestartBackoff(TimeSpan MinBackoff, TimeSpan MaxBackoff, double RandomFactor);
