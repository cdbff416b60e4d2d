using AkkaRaft.Configuration;

namespace AkkaRaft.Raft.Core;

// Reading the core's keys of the `akkaraft.raft` section into a RaftConfig (the defaults live in
// reference.conf, not here). Parsing only: the core still does no I/O. The two tick counts are not settings:
// the actor shell derives them from election-timeout and heartbeat-interval and passes them in.
public sealed partial record RaftConfig
{
    /// <summary>Where the section lives.</summary>
    public const string SectionPath = "akkaraft.raft";

    /// <summary>
    /// Reads and validates the core's keys of <c>akkaraft.raft</c> for node <paramref name="nodeId"/>. The tick
    /// counts are not settings: the actor shell derives them from <c>election-timeout</c> and
    /// <c>heartbeat-interval</c> and passes them here, so the rules that involve them are checked with the real values.
    /// </summary>
    /// <exception cref="ConfigException">A setting is missing, of the wrong type, out of range, or breaks its rule; the message names it and where it was set.</exception>
    public static RaftConfig FromConfig(Config config, ulong nodeId, int electionTicks = 10, int heartbeatTicks = 1)
    {
        ArgumentNullException.ThrowIfNull(config);
        var result = new RaftConfig
        {
            NodeId = nodeId,
            ElectionTicks = electionTicks,
            HeartbeatTicks = heartbeatTicks,
            PreVote = config.GetBoolean(SectionPath + ".pre-vote"),
            CheckQuorum = config.GetBoolean(SectionPath + ".check-quorum"),
            LeaseReads = config.GetBoolean(SectionPath + ".lease-reads"),
            LeaseDriftMarginTicks = config.GetInt(SectionPath + ".lease-drift-margin-ticks"),
            MaxAppendEntriesBytes = config.GetByteSize(SectionPath + ".max-append-entries-bytes"),
            MaxInflightMessages = config.GetInt(SectionPath + ".max-inflight-messages"),
            MaxInflightBytes = config.GetByteSize(SectionPath + ".max-inflight-bytes"),
            MaxUncommittedEntriesBytes = config.GetByteSize(SectionPath + ".max-uncommitted-entries-bytes"),
            MaxCommittedBytesPerReady = config.GetByteSize(SectionPath + ".max-committed-bytes-per-ready"),
            SnapshotChunkBytes = IntBytes(config, SectionPath + ".snapshot-chunk-bytes"),
            MaxSnapshotBytes = config.GetByteSize(SectionPath + ".max-snapshot-bytes"),
            MaxPendingReads = config.GetInt(SectionPath + ".max-pending-reads"),
        };
        try
        {
            return result.Validate();
        }
        catch (ArgumentException ex)
        {
            var origin = config.GetOrigin(SectionPath + "." + ex.ParamName);
            throw new ConfigException(origin is null ? ex.Message : $"{ex.Message} ({origin})", origin, ex);
        }
    }

    private static int IntBytes(Config config, string path) => config.GetByteSizeInt32(path, 1);
}
