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
/// [election-ticks, 2 × election-ticks) ticks. The section's <c>election-ticks</c> and <c>heartbeat-ticks</c> keys
/// are thus ignored by a peer; every other core key (pre-vote, check-quorum, lease-reads, max-inflight-messages,
/// max-append-entries-bytes, ...) is read by <see cref="RaftConfig.FromConfig"/> as it stands.
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

        // The core's own keys are read by the core; its two tick counts are overridden by the durations above.
        var electionTicks = (int)Math.Round(electionTimeout / heartbeat);
        var core = RaftConfig.FromConfig(config, 1) with { ElectionTicks = electionTicks, HeartbeatTicks = 1 };
        try
        {
            core.Validate();
        }
        catch (ArgumentException e)
        {
            throw new ConfigException($"{e.Message} (election-ticks derive from election-timeout / heartbeat-interval = {electionTicks})", config.GetOrigin(SectionPath));
        }
        return new RaftPeerSettings(electionTimeout, heartbeat, requestTimeout, maxLogCount, maxLogBytes, maxProposalQueue, core);
    }

    private static string Key(string name) => SectionPath + "." + name;

    private static ConfigException Invalid(Config config, string name, string rule)
    {
        var origin = config.GetOrigin(Key(name));
        return new ConfigException($"{Key(name)}: {rule} ({origin})", origin);
    }
}
