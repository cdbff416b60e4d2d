namespace AkkaRaft.Client;

// Client sessions (Raft dissertation §6.3): opened, closed and expired through the log, so every peer agrees which
// sessions live; kept alive by the leader alone (keep-alives are not logged). A session's id is the log index of the
// entry that opened it. Writes name their session in Write.SessionId (with Write.Sequence for exactly once).

/// <summary>
/// Marks the session messages: they cross the wire with <see cref="Wire.RaftSessionSerializer"/> (id 107), bound to this
/// interface in <see cref="ClientConfig.Default"/> and in the server's <c>reference.conf</c>.
/// </summary>
public interface IRaftSessionMessage;

/// <summary>
/// Opens a client session. Answered by <see cref="SessionOpened"/>, <see cref="NotLeader"/>, <see cref="RequestRejected"/>
/// (a TTL outside <c>akkaraft.sessions.min-ttl</c>..<c>max-ttl</c>), <see cref="Overloaded"/> (<c>akkaraft.sessions.max-sessions</c>)
/// or <see cref="RequestTimedOut"/>.
/// </summary>
/// <param name="Ttl">How long the session lives without a keep-alive (or a write in it).</param>
/// <param name="Timeout">How long to wait for the commit; null for <c>akkaraft.raft.request-timeout</c>.</param>
/// <param name="OnNotLeader">What a follower does with it.</param>
public sealed record OpenSession(TimeSpan Ttl, TimeSpan? Timeout = null, NotLeaderPolicy OnNotLeader = NotLeaderPolicy.Forward) : IRaftSessionMessage
{
    /// <summary>How many peers forwarded it already.</summary>
    internal int Hops { get; init; }
}

/// <summary>A session was opened.</summary>
/// <param name="SessionId">The session's id: the log index of the entry that opened it.</param>
/// <param name="Ttl">Its time to live.</param>
/// <param name="Leader">The leader that committed it.</param>
public sealed record SessionOpened(long SessionId, TimeSpan Ttl, ulong Leader) : IRaftSessionMessage
{
    /// <summary>The term of the entry that committed it (etcd's <c>raft_term</c> in a response header); 0 from a node that predates it.</summary>
    public ulong Term { get; init; }
}

/// <summary>
/// Keeps a session alive for another full TTL. Served by the leader only and not logged. Answered by
/// <see cref="SessionKeptAlive"/>, <see cref="SessionNotFound"/> (expired, closed, or expiring) or <see cref="NotLeader"/>.
/// </summary>
/// <param name="SessionId">The session.</param>
/// <param name="OnNotLeader">What a follower does with it.</param>
public sealed record KeepSessionAlive(long SessionId, NotLeaderPolicy OnNotLeader = NotLeaderPolicy.Forward) : IRaftSessionMessage
{
    /// <summary>How many peers forwarded it already.</summary>
    internal int Hops { get; init; }
}

/// <summary>The leader renewed the session's TTL.</summary>
/// <param name="SessionId">The session.</param>
/// <param name="Ttl">Its time to live, from now.</param>
/// <param name="Leader">The leader that renewed it.</param>
public sealed record SessionKeptAlive(long SessionId, TimeSpan Ttl, ulong Leader) : IRaftSessionMessage
{
    /// <summary>The leader's term when it renewed the session (etcd's <c>raft_term</c>); 0 from a node that predates it.</summary>
    public ulong Term { get; init; }
}

/// <summary>
/// Closes a session through the log: its ephemeral keys are deleted at the close's index. Answered by
/// <see cref="SessionClosed"/>, <see cref="SessionNotFound"/>, <see cref="NotLeader"/> or <see cref="RequestTimedOut"/>.
/// </summary>
/// <param name="SessionId">The session.</param>
/// <param name="Timeout">How long to wait for the commit; null for <c>akkaraft.raft.request-timeout</c>.</param>
/// <param name="OnNotLeader">What a follower does with it.</param>
public sealed record CloseSession(long SessionId, TimeSpan? Timeout = null, NotLeaderPolicy OnNotLeader = NotLeaderPolicy.Forward) : IRaftSessionMessage
{
    /// <summary>How many peers forwarded it already.</summary>
    internal int Hops { get; init; }
}

/// <summary>The session was closed at <paramref name="Index"/>.</summary>
/// <param name="SessionId">The session.</param>
/// <param name="Index">The log index of the close.</param>
/// <param name="Leader">The leader that committed it.</param>
public sealed record SessionClosed(long SessionId, ulong Index, ulong Leader) : IRaftSessionMessage
{
    /// <summary>The term of the entry that committed it (etcd's <c>raft_term</c> in a response header); 0 from a node that predates it.</summary>
    public ulong Term { get; init; }
}

/// <summary>
/// The session does not live (it expired, was closed, or never existed). A write answered so applied nothing.
/// </summary>
/// <param name="SessionId">The session.</param>
/// <param name="Reason">Why, for logs.</param>
public sealed record SessionNotFound(long SessionId, string Reason) : IRaftSessionMessage;
