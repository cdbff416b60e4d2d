namespace AkkaRaft.Client;

// Locks (libkv's NewLock), owned by client sessions. Which session holds a lock, and which wait for it in the order of
// their requests' log indexes, is replicated state: every peer applies the same acquire, release and session-end
// entries and agrees. A lock passes to the next waiter only through the log: when its holder releases it, or when the
// holder's session expires or is closed. The log index at which a session got the lock is its fencing token: it grows
// with every hand-over, so a resource that remembers the highest token it saw can refuse a late holder's writes.

/// <summary>
/// Acquires lock <paramref name="Name"/> for session <paramref name="SessionId"/>, or queues the session behind the
/// holder and earlier waiters (first come, first served by log index). Answered by <see cref="LockAcquired"/> once the
/// session holds it (at once when the lock was free, or held by the same session already); waiting has no deadline of
/// its own: a client that stops waiting sends <see cref="ReleaseLock"/> to leave the queue. Refusals:
/// <see cref="SessionNotFound"/>, <see cref="RequestRejected"/> (a bad name), <see cref="Overloaded"/>
/// (<c>akkaraft.locks.max-waiters</c>, <c>max-locks</c>), <see cref="NotLeader"/>, <see cref="RequestTimedOut"/> (no commit in time).
/// </summary>
/// <param name="Name">The lock's name: 1 to <c>akkaraft.locks.max-name-bytes</c> bytes of UTF-8, no control characters.</param>
/// <param name="SessionId">The session that will hold it.</param>
/// <param name="Timeout">How long to wait for the request's commit (not for the lock); null for <c>akkaraft.raft.request-timeout</c>.</param>
/// <param name="OnNotLeader">What a follower does with it.</param>
public sealed record AcquireLock(string Name, long SessionId, TimeSpan? Timeout = null, NotLeaderPolicy OnNotLeader = NotLeaderPolicy.Forward) : IRaftCoordinationMessage
{
    /// <summary>How many peers forwarded it already.</summary>
    internal int Hops { get; init; }
}

/// <summary>The session holds the lock.</summary>
/// <param name="Name">The lock.</param>
/// <param name="SessionId">The session that holds it.</param>
/// <param name="FencingToken">The log index at which the session got the lock: larger than every earlier holder's.</param>
/// <param name="Leader">The leader when the acquire committed.</param>
public sealed record LockAcquired(string Name, long SessionId, ulong FencingToken, ulong Leader) : IRaftCoordinationMessage
{
    /// <summary>The term of the last entry applied when the lock was granted (etcd's <c>raft_term</c>); 0 from a node that predates it.</summary>
    public ulong Term { get; init; }
}

/// <summary>
/// Releases lock <paramref name="Name"/> held by session <paramref name="SessionId"/>, or takes the session out of its
/// queue. Answered by <see cref="LockReleased"/>, <see cref="LockNotHeld"/> (neither held nor waited for), or the
/// refusals of <see cref="AcquireLock"/>.
/// </summary>
/// <param name="Name">The lock.</param>
/// <param name="SessionId">The session.</param>
/// <param name="Timeout">How long to wait for the commit; null for <c>akkaraft.raft.request-timeout</c>.</param>
/// <param name="OnNotLeader">What a follower does with it.</param>
public sealed record ReleaseLock(string Name, long SessionId, TimeSpan? Timeout = null, NotLeaderPolicy OnNotLeader = NotLeaderPolicy.Forward) : IRaftCoordinationMessage
{
    /// <summary>How many peers forwarded it already.</summary>
    internal int Hops { get; init; }
}

/// <summary>The release applied at <paramref name="Index"/>.</summary>
/// <param name="Name">The lock.</param>
/// <param name="SessionId">The session.</param>
/// <param name="Index">The log index of the release.</param>
/// <param name="WasHolder">True when the session held the lock (it passed on, or is free); false when it only left the queue.</param>
public sealed record LockReleased(string Name, long SessionId, ulong Index, bool WasHolder) : IRaftCoordinationMessage
{
    /// <summary>The leader that committed the release; 0 from a node that predates it.</summary>
    public ulong Leader { get; init; }

    /// <summary>The term of the entry that committed it (etcd's <c>raft_term</c> in a response header); 0 from a node that predates it.</summary>
    public ulong Term { get; init; }
}

/// <summary>The session neither holds nor waits for the lock; nothing changed (a release retried after it applied gets this).</summary>
/// <param name="Name">The lock.</param>
/// <param name="SessionId">The session.</param>
/// <param name="Reason">Why, for logs.</param>
public sealed record LockNotHeld(string Name, long SessionId, string Reason) : IRaftCoordinationMessage;
