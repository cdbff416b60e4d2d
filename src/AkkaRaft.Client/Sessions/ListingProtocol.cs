namespace AkkaRaft.Client;

// What the leader knows of its open sessions, held locks and the watches waiting on it: a read-only listing for
// operators (GET /sessions, the web console's Sessions page, `akkaraft session list`).

/// <summary>
/// Lists the sessions, locks and watches the leader knows, in id and name order, at most <paramref name="Limit"/> of
/// each (0, or a larger one, for <c>akkaraft.sessions.max-listed</c>). Served by the leader, on the state after every
/// entry it handed to its state machine so far. Answered by <see cref="CoordinationListing"/>, or by
/// <see cref="NotLeader"/> or <see cref="RequestRejected"/> (a negative limit).
/// </summary>
/// <param name="Limit">Most entries of each kind to list; 0 for the node's setting.</param>
/// <param name="OnNotLeader">What a follower does with it.</param>
public sealed record ListCoordination(int Limit = 0, NotLeaderPolicy OnNotLeader = NotLeaderPolicy.Forward) : IRaftCoordinationMessage
{
    /// <summary>How many peers forwarded it already.</summary>
    internal int Hops { get; init; }
}

/// <summary>An open session as the leader knows it.</summary>
/// <param name="Id">Its id (the index of its open entry).</param>
/// <param name="Ttl">Its time to live without a keep-alive.</param>
/// <param name="ExpiresIn">How long until the leader expires it without a keep-alive; null when the leader does not
/// know yet (it is not armed, or its expiry is proposed already).</param>
public sealed record ListedSession(long Id, TimeSpan Ttl, TimeSpan? ExpiresIn);

/// <summary>A held lock.</summary>
/// <param name="Name">Its name.</param>
/// <param name="Holder">The session holding it.</param>
/// <param name="FencingToken">The index at which its holder got it.</param>
/// <param name="Waiters">The sessions waiting for it, next first (at most the listing's limit).</param>
/// <param name="WaiterCount">How many sessions wait for it in all.</param>
public sealed record ListedLock(string Name, long Holder, ulong FencingToken, IReadOnlyList<long> Waiters, int WaiterCount);

/// <summary>A watch waiting on the leader.</summary>
/// <param name="Id">Its id on that peer.</param>
/// <param name="Key">The key, or the prefix.</param>
/// <param name="Prefix">Whether <paramref name="Key"/> is a prefix.</param>
/// <param name="SessionId">Its session, or 0 for none.</param>
/// <param name="AfterIndex">The index it fires after.</param>
public sealed record ListedWatch(long Id, string Key, bool Prefix, long SessionId, ulong AfterIndex);

/// <summary>The answer to <see cref="ListCoordination"/>: the first entries of each kind, and how many there are in all.</summary>
/// <param name="Sessions">Open sessions, by id.</param>
/// <param name="SessionCount">How many sessions are open.</param>
/// <param name="Locks">Held locks, by name.</param>
/// <param name="LockCount">How many locks are held.</param>
/// <param name="Watches">Watches waiting on the leader, by id.</param>
/// <param name="WatchCount">How many watches wait there.</param>
/// <param name="Index">The last index applied when it was listed.</param>
/// <param name="Leader">The peer that listed it (the leader).</param>
/// <param name="Limit">The most entries of each kind it lists.</param>
public sealed record CoordinationListing(
    IReadOnlyList<ListedSession> Sessions, int SessionCount,
    IReadOnlyList<ListedLock> Locks, int LockCount,
    IReadOnlyList<ListedWatch> Watches, int WatchCount,
    ulong Index, ulong Leader, int Limit) : IRaftCoordinationMessage;
