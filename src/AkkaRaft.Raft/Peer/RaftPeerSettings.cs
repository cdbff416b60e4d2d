using AkkaRaft.Hocon;
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
/// <see cref="Core"/> as it stands.
/// </remarks>
/// <param name="ElectionTimeout">Time without a leader before a follower campaigns (randomized per election by the core).</param>
/// <param name="HeartbeatInterval">Time between heartbeats; the length of one core tick.</param>
/// <param name="RequestTimeout">How long a client request waits when it names no timeout of its own.</param>
/// <param name="MaxLogCount">Applied entries after which the log is compacted into a snapshot.</param>
/// <param name="MaxLogBytes">Applied entry bytes after which the log is compacted into a snapshot.</param>
/// <param name="MaxProposalQueue">Most client requests (writes and reads) one peer holds waiting for an outcome.</param>
/// <param name="Core">The core's settings for node id 1 (<see cref="CoreConfig"/> sets the real id).</param>
public sealed record RaftPeerSettings(
    TimeSpan ElectionTimeout,
    TimeSpan HeartbeatInterval,
    TimeSpan RequestTimeout,
    int MaxLogCount,
    long MaxLogBytes,
    int MaxProposalQueue,
    RaftConfig Core)
{
    /// <summary>Where the section lives.</summary>
    public const string SectionPath = "akkaraft.raft";

    /// <summary>The settings of <c>reference.conf</c> alone.</summary>
    public static RaftPeerSettings Default => FromConfig(ConfigurationFactory.Default());

    /// <summary>Ticks of the core in one election timeout (the core's <c>election-ticks</c>).</summary>
    public int ElectionTicks => (int)Math.Round(ElectionTimeout / HeartbeatInterval);

    /// <summary>The core's settings for node <paramref name="nodeId"/>, validated.</summary>
    /// <exception cref="ArgumentException">The id is 0 or a core setting is invalid.</exception>
    public RaftConfig CoreConfig(ulong nodeId) => (Core with { NodeId = nodeId }).Validate();

    /// <summary>Reads and validates <c>akkaraft.raft</c> from the full configuration (reference.conf supplies missing keys when loaded with it).</summary>
    /// <exception cref="ConfigException">A setting is missing, of the wrong type, or breaks its rule.</exception>
    public static RaftPeerSettings FromConfig(Config config)
    {
        ArgumentNullException.ThrowIfNull(config);
        var electionTimeout = config.GetTimeSpan(Key("election-timeout"));
        var heartbeat = config.GetTimeSpan(Key("heartbeat-interval"));
        if (heartbeat < TimeSpan.FromMilliseconds(1)) throw Invalid(config, "heartbeat-interval", $"expected at least 1ms, got {heartbeat.TotalMilliseconds}ms");
        if (electionTimeout < 2 * heartbeat)
        {
            throw Invalid(config, "election-timeout",
                $"expected at least 2 x heartbeat-interval ({2 * heartbeat.TotalMilliseconds}ms), got {electionTimeout.TotalMilliseconds}ms");
        }
        var requestTimeoutText = config.GetString(Key("request-timeout"));
        var requestTimeout = string.Equals(requestTimeoutText, "auto", StringComparison.OrdinalIgnoreCase)
            ? 2 * electionTimeout
            : config.GetTimeSpan(Key("request-timeout"));
        if (requestTimeout < heartbeat) throw Invalid(config, "request-timeout", $"expected at least heartbeat-interval, got {requestTimeout.TotalMilliseconds}ms");
        var maxLogCount = config.GetInt(Key("max-log-count"));
        if (maxLogCount < 1) throw Invalid(config, "max-log-count", $"expected at least 1, got {maxLogCount}");
        var maxLogBytes = config.GetByteSize(Key("max-log-bytes"));
        if (maxLogBytes < 1) throw Invalid(config, "max-log-bytes", $"expected at least 1, got {maxLogBytes}");
        var maxProposalQueue = config.GetInt(Key("max-proposal-queue"));
        if (maxProposalQueue < 1) throw Invalid(config, "max-proposal-queue", $"expected at least 1, got {maxProposalQueue}");

        var electionTicks = (int)Math.Round(electionTimeout / heartbeat);
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
            SnapshotChunkBytes = IntBytes(config, "snapshot-chunk-bytes"),
            MaxSnapshotBytes = config.GetByteSize(Key("max-snapshot-bytes")),
            MaxPendingReads = config.GetInt(Key("max-pending-reads")),
        };
        try
        {
            core.Validate();
        }
        catch (ArgumentException e)
        {
            // The core names its rule by its own key; the two tick counts are ours (election-timeout / heartbeat-interval).
            var key = e.ParamName is "election-ticks" or "heartbeat-ticks" ? "election-timeout" : e.ParamName ?? "";
            var origin = config.GetOrigin(Key(key));
            throw new ConfigException($"{e.Message} (election-ticks = election-timeout / heartbeat-interval = {electionTicks}) ({origin})", origin);
        }
        return new RaftPeerSettings(electionTimeout, heartbeat, requestTimeout, maxLogCount, maxLogBytes, maxProposalQueue, core);
    }

    private static string Key(string name) => SectionPath + "." + name;

    private static int IntBytes(Config config, string name)
    {
        var bytes = config.GetByteSize(Key(name));
        if (bytes is < 1 or > int.MaxValue) throw Invalid(config, name, $"expected 1 byte to 2GiB, got {bytes} bytes");
        return (int)bytes;
    }

    private static ConfigException Invalid(Config config, string name, string rule)
    {
        var origin = config.GetOrigin(Key(name));
        return new ConfigException($"{Key(name)}: {rule} ({origin})", origin);
    }
}
