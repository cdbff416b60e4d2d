using AkkaRaft.Hocon;

namespace AkkaRaft.Raft.Core;

// Reading the core's keys of the `akkaraft.raft` section into a RaftConfig (the defaults live in
// reference.conf, not here). Parsing only: the core still does no I/O. The two tick counts are not settings:
// the actor shell derives them from election-timeout and heartbeat-interval and sets them with `with`.
public sealed partial record RaftConfig
{
    /// <summary>Where the section lives.</summary>
    public const string SectionPath = "akkaraft.raft";

    /// <summary>
    /// Reads and validates the core's keys of <c>akkaraft.raft</c> for node <paramref name="nodeId"/>, with the
    /// default tick counts (<see cref="ElectionTicks"/> 10, <see cref="HeartbeatTicks"/> 1) for the caller to replace.
    /// </summary>
    /// <exception cref="ConfigException">A setting is missing, of the wrong type, out of range, or breaks its rule; the message names it and where it was set.</exception>
    public static RaftConfig FromConfig(Config config, ulong nodeId)
    {
        ArgumentNullException.ThrowIfNull(config);
        var result = new RaftConfig
        {
            NodeId = nodeId,
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
            var path = SectionPath + "." + ex.ParamName;
            var origin = config.GetOrigin(path);
            throw new ConfigException($"{ex.Message} ({origin})", origin);
        }
    }

    private static int IntBytes(Config config, string path)
    {
        var bytes = config.GetByteSize(path);
        if (bytes is < 1 or > int.MaxValue)
        {
            var origin = config.GetOrigin(path);
            throw new ConfigException($"{path}: expected 1 byte to 2GiB, got {bytes} bytes ({origin})", origin);
        }
        return (int)bytes;
    }
}
