namespace AkkaRaft.Raft.Core;

/// <summary>
/// Thrown when one of Raft's safety invariants is about to be broken. This is always a bug (in the core or
/// in the storage that feeds it); the only safe reaction is to stop the node. The message names the
/// invariant and the values involved.
/// </summary>
public sealed class RaftInvariantException : Exception
{
    /// <summary>Creates the exception for <paramref name="invariant"/> with a description of the values.</summary>
    public RaftInvariantException(string invariant, string values)
        : base($"Raft invariant violated: {invariant} ({values})") => Invariant = invariant;

    /// <summary>The invariant that broke, e.g. "term never goes back".</summary>
    public string Invariant { get; }
}

/// <summary>Why a proposal, read or transfer request was not accepted. Expected outcomes, not exceptions.</summary>
public enum RequestStatus
{
    /// <summary>Accepted; the outcome arrives later through a <see cref="Ready"/>.</summary>
    Accepted,

    /// <summary>This node is not the leader; <see cref="RequestResult.LeaderHint"/> names the leader if known.</summary>
    NotLeader,

    /// <summary>A leadership transfer is in progress; proposals are refused until it ends (thesis 3.10).</summary>
    TransferInProgress,

    /// <summary>Too many uncommitted bytes or pending reads on the leader: retry later.</summary>
    Overloaded,

    /// <summary>A membership change is already in flight, or the leader has not yet committed an entry of its term.</summary>
    ConfChangeInProgress,

    /// <summary>The request is invalid for the current configuration (the message says why).</summary>
    Rejected,
}

/// <summary>The immediate answer of the core to a request.</summary>
/// <param name="Status">Accepted or why not.</param>
/// <param name="Index">For an accepted proposal: the log index it got.</param>
/// <param name="Term">For an accepted proposal: the term it got.</param>
/// <param name="LeaderHint">The leader this node knows, or <see cref="RaftIds.None"/>.</param>
/// <param name="Reason">For <see cref="RequestStatus.Rejected"/>: why.</param>
public readonly record struct RequestResult(RequestStatus Status, ulong Index, ulong Term, ulong LeaderHint, string? Reason = null)
{
    /// <summary>True when accepted.</summary>
    public bool IsAccepted => Status == RequestStatus.Accepted;
}
