namespace AkkaRaft.Raft.Core;

/// <summary>
/// Settings of one Raft node, as a plain record: the core reads no configuration file. Every limit has a default;
/// <see cref="Validate"/> checks them all and the <see cref="RaftNode"/> constructor calls it. The peer's settings
/// (<c>RaftPeerSettings</c>) build it from the <c>akkaraft.raft</c> section of <c>hocon/reference.conf</c>, whose
/// kebab-case names map one to one onto these properties, except the two tick counts, which the peer derives from
/// <c>election-timeout</c> and <c>heartbeat-interval</c>. <see cref="Validate"/> names a broken setting by its key.
/// </summary>
public sealed record RaftConfig
{
    /// <summary>This node's id (never 0).</summary>
    public required ulong NodeId { get; init; }

    /// <summary>Ticks without hearing from a leader before a follower campaigns (randomized in [n, 2n)). Derived by the shell from <c>election-timeout</c> / <c>heartbeat-interval</c>.</summary>
    public int ElectionTicks { get; init; } = 10;

    /// <summary>Ticks between a leader's heartbeats. Must be less than <see cref="ElectionTicks"/>. The shell ticks once per <c>heartbeat-interval</c>, so it uses 1.</summary>
    public int HeartbeatTicks { get; init; } = 1;

    /// <summary>Run a pre-vote before raising the term (thesis 9.6). Setting <c>pre-vote</c>.</summary>
    public bool PreVote { get; init; } = true;

    /// <summary>A leader steps down when it has not heard from a quorum for an election timeout; followers ignore votes while they hear from a leader. Setting <c>check-quorum</c>.</summary>
    public bool CheckQuorum { get; init; } = true;

    /// <summary>Serve lease reads (<see cref="RaftNode.LeaseRead"/>) from the leader without a round trip. Needs <see cref="CheckQuorum"/>. Setting <c>lease-reads</c>.</summary>
    public bool LeaseReads { get; init; }

    /// <summary>Ticks the lease is shortened by to cover clock drift between nodes. Setting <c>lease-drift-margin-ticks</c>.</summary>
    public int LeaseDriftMarginTicks { get; init; } = 2;

    /// <summary>Upper bound of the entry bytes in one AppendEntries (at least one entry is always sent). Setting <c>max-append-entries-bytes</c>.</summary>
    public long MaxAppendEntriesBytes { get; init; } = 1024 * 1024;

    /// <summary>Most AppendEntries in flight to one follower while replicating. Setting <c>max-inflight-messages</c>.</summary>
    public int MaxInflightMessages { get; init; } = 256;

    /// <summary>Most entry bytes in flight to one follower. Setting <c>max-inflight-bytes</c>.</summary>
    public long MaxInflightBytes { get; init; } = 32L * 1024 * 1024;

    /// <summary>Most bytes of uncommitted entries a leader accepts before refusing proposals. Setting <c>max-uncommitted-entries-bytes</c>.</summary>
    public long MaxUncommittedEntriesBytes { get; init; } = 64L * 1024 * 1024;

    /// <summary>Most bytes of committed entries handed to the application in one Ready. Setting <c>max-committed-bytes-per-ready</c>.</summary>
    public long MaxCommittedBytesPerReady { get; init; } = 16L * 1024 * 1024;

    /// <summary>Largest snapshot a follower accepts from a leader. Setting <c>max-snapshot-bytes</c>.</summary>
    public long MaxSnapshotBytes { get; init; } = 256L * 1024 * 1024;

    /// <summary>Most ReadIndex requests waiting for confirmation on a leader. Setting <c>max-pending-reads</c>.</summary>
    public int MaxPendingReads { get; init; } = 65536;

    /// <summary>
    /// The index the application has applied up to when it restarts (its state machine survived). The
    /// core hands out committed entries after it. 0 means "from the snapshot".
    /// </summary>
    public ulong Applied { get; init; }

    /// <summary>Known bugs that tests switch on to prove the checker catches them. Never set outside tests.</summary>
    internal RaftMutations Mutations { get; init; }

    /// <summary>Checks every setting; returns this config or throws <see cref="ArgumentException"/> naming the setting.</summary>
    public RaftConfig Validate()
    {
        Require(NodeId != RaftIds.None, "node-id", NodeId, "must not be 0");
        Require(ElectionTicks >= 2, "election-ticks", ElectionTicks, "must be at least 2");
        Require(HeartbeatTicks >= 1, "heartbeat-ticks", HeartbeatTicks, "must be at least 1");
        Require(HeartbeatTicks < ElectionTicks, "heartbeat-ticks", HeartbeatTicks, $"must be less than election-ticks ({ElectionTicks})");
        Require(!LeaseReads || CheckQuorum, "lease-reads", LeaseReads, "needs check-quorum = on");
        Require(LeaseDriftMarginTicks >= 0, "lease-drift-margin-ticks", LeaseDriftMarginTicks, "must not be negative");
        Require(!LeaseReads || LeaseDriftMarginTicks < ElectionTicks, "lease-drift-margin-ticks", LeaseDriftMarginTicks,
            $"must be less than election-ticks ({ElectionTicks}) when lease-reads is on");
        Require(MaxAppendEntriesBytes >= 1, "max-append-entries-bytes", MaxAppendEntriesBytes, "must be at least 1");
        Require(MaxInflightMessages >= 1, "max-inflight-messages", MaxInflightMessages, "must be at least 1");
        Require(MaxInflightBytes >= 1, "max-inflight-bytes", MaxInflightBytes, "must be at least 1");
        Require(MaxUncommittedEntriesBytes >= 1, "max-uncommitted-entries-bytes", MaxUncommittedEntriesBytes, "must be at least 1");
        Require(MaxCommittedBytesPerReady >= 1, "max-committed-bytes-per-ready", MaxCommittedBytesPerReady, "must be at least 1");
        Require(MaxSnapshotBytes >= 1, "max-snapshot-bytes", MaxSnapshotBytes, "must be at least 1");
        Require(MaxSnapshotBytes <= Array.MaxLength, "max-snapshot-bytes", MaxSnapshotBytes, $"must be at most {Array.MaxLength} (one in-memory buffer)");
        Require(MaxPendingReads >= 1, "max-pending-reads", MaxPendingReads, "must be at least 1");
        return this;
    }

    private static void Require(bool ok, string setting, object value, string rule)
    {
        if (!ok) throw new ArgumentException($"akkaraft.raft.{setting} = {value}: {rule}", setting);
    }
}

/// <summary>Bugs a test can switch on in the core (mutation testing of the checker). All off in production.</summary>
[Flags]
internal enum RaftMutations
{
    None = 0,

    /// <summary>A leader answers ReadIndex at once, without confirming it is still leader (a deposed leader serves stale reads).</summary>
    ReadsWithoutQuorumCheck = 1,

    /// <summary>Commit entries of earlier terms by counting replicas (the Figure 8 bug that Raft §5.4.2 forbids).</summary>
    CommitPreviousTermsByCounting = 2,

    /// <summary>A leader never steps down on check-quorum (with reads that skip the quorum check, a deposed leader keeps serving).</summary>
    NoCheckQuorumStepDown = 4,

    /// <summary>A follower serves a read at its own commit index instead of asking the leader (it may be behind).</summary>
    FollowerReadsAtOwnCommit = 8,
}
