namespace AkkaRaft.Client;

// One-shot watches (issue #14, zraft's triggers): a watch is set on a key or a prefix by the leader, which serves it
// from the entries it applies, and fires once: on the first change after its index, when that peer stops leading, or
// when the watch's session ends. A client that wants more sets a new one from the index it was told.

/// <summary>
/// Marks the watch and lock messages: they cross the wire with <see cref="Wire.RaftCoordinationSerializer"/> (id 110),
/// bound to this interface in <see cref="ClientConfig.Default"/> and in the server's <c>reference.conf</c>.
/// </summary>
public interface IRaftCoordinationMessage;

/// <summary>Why a watch fired.</summary>
public enum WatchReason
{
    /// <summary>A watched key changed (written or deleted) at <see cref="WatchFired.Index"/>.</summary>
    DataChanged = 1,

    /// <summary>The peer that served the watch stopped leading (or went away): set the watch again on the new leader.</summary>
    LeaderChanged = 2,

    /// <summary>The session the watch belonged to expired or was closed.</summary>
    SessionExpired = 3,
}

/// <summary>
/// Sets a one-shot watch on <paramref name="Key"/> (or on every key that starts with it, when <paramref name="Prefix"/>).
/// Served by the leader. Answered by <see cref="WatchSet"/> (its sender is the watch's own actor, which a client may
/// DeathWatch) and later exactly one of <see cref="WatchFired"/> or <see cref="WatchTimedOut"/>; or at once by
/// <see cref="WatchFired"/> alone (a change after <paramref name="AfterIndex"/> is known already), or by
/// <see cref="NotLeader"/>, <see cref="RequestRejected"/> (a bad key, a timeout above <c>akkaraft.watches.max-timeout</c>, an
/// index older than the watch history), <see cref="Overloaded"/> (<c>akkaraft.watches.max-watches</c> or
/// <c>max-watches-per-session</c>) or <see cref="SessionNotFound"/>. The watch is dropped when its client dies.
/// </summary>
/// <param name="Key">The key, or the prefix.</param>
/// <param name="Prefix">Whether <paramref name="Key"/> is a prefix.</param>
/// <param name="AfterIndex">Fire on the first change after this log index (a read's index, as its ETag says); null
/// for "after what the leader applied when it set the watch".</param>
/// <param name="SessionId">The session the watch belongs to (it fires <see cref="WatchReason.SessionExpired"/> when the
/// session ends), or 0 for none.</param>
/// <param name="Timeout">How long the watch waits for a change before <see cref="WatchTimedOut"/>; null for
/// <c>akkaraft.watches.default-timeout</c>.</param>
/// <param name="OnNotLeader">What a follower does with it.</param>
public sealed record Watch(string Key, bool Prefix = false, ulong? AfterIndex = null, long SessionId = 0, TimeSpan? Timeout = null,
    NotLeaderPolicy OnNotLeader = NotLeaderPolicy.Forward) : IRaftCoordinationMessage
{
    /// <summary>How many peers forwarded it already.</summary>
    internal int Hops { get; init; }
}

/// <summary>The watch is set and waits; the message's sender is the watch's actor.</summary>
/// <param name="WatchId">The watch's id on the peer that serves it.</param>
/// <param name="AfterIndex">The index it fires after.</param>
/// <param name="Leader">The peer that serves it (the leader).</param>
public sealed record WatchSet(long WatchId, ulong AfterIndex, ulong Leader) : IRaftCoordinationMessage
{
    /// <summary>The term the leader was in when it took the watch (0 from a peer that does not say).</summary>
    public ulong Term { get; init; }
}

/// <summary>A watch fired; it is gone.</summary>
/// <param name="WatchId">The watch's id (0 when it fired at once, before it was set).</param>
/// <param name="Reason">Why.</param>
/// <param name="Key">For <see cref="WatchReason.DataChanged"/>: the key that changed; otherwise null.</param>
/// <param name="Index">For <see cref="WatchReason.DataChanged"/>: the log index of the change; otherwise 0.</param>
public sealed record WatchFired(long WatchId, WatchReason Reason, string? Key, ulong Index) : IRaftCoordinationMessage
{
    /// <summary>
    /// For <see cref="WatchReason.DataChanged"/>: the entry left <see cref="Key"/> absent (a delete, a delete-tree, or the
    /// end of the session that owned an ephemeral key); false when it put the key, or the state machine cannot tell.
    /// </summary>
    public bool Deleted { get; init; }

    /// <summary>
    /// The serving leader's term: for a change or a session's end, that of the last entry it had applied (the change's
    /// own or a later one); for a watch that fired at once, the term it took the watch in; 0 for
    /// <see cref="WatchReason.LeaderChanged"/> (and from a leader of an earlier version).
    /// </summary>
    public ulong Term { get; init; }

    /// <summary>The leader that served the watch (its Raft id); 0 for <see cref="WatchReason.LeaderChanged"/>.</summary>
    public ulong Leader { get; init; }
}

/// <summary>The watch's timeout passed with nothing fired; it is gone.</summary>
/// <param name="WatchId">The watch's id.</param>
/// <param name="After">How long it waited.</param>
public sealed record WatchTimedOut(long WatchId, TimeSpan After) : IRaftCoordinationMessage;
