namespace AkkaRaft.Client;

// The two states PeerStatus reports. They are defined here, once, rather than mirrored: the Raft core
// (AkkaRaft.Raft.Core) uses these very enums, so a status needs no mapping and cannot drift from the algorithm.
// They are plain enums: the core still references no actor type.

/// <summary>The role a Raft node plays.</summary>
public enum RaftRole
{
    /// <summary>Follows a leader (or waits for one).</summary>
    Follower,

    /// <summary>Runs a pre-vote (thesis 9.6) without raising its term.</summary>
    PreCandidate,

    /// <summary>Asks for votes in a new term.</summary>
    Candidate,

    /// <summary>Replicates the log and decides commitment.</summary>
    Leader,
}

/// <summary>How the leader replicates to one follower.</summary>
public enum ProgressState
{
    /// <summary>Log position unknown: one AppendEntries at a time until one is accepted.</summary>
    Probe,

    /// <summary>Log position known: AppendEntries are pipelined up to the in-flight limits.</summary>
    Replicate,

    /// <summary>The follower needs entries the leader has compacted: an InstallSnapshot is in progress.</summary>
    Snapshot,
}
