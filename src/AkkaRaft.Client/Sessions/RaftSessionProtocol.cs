using Akka.Actor;
using AkkaRaft.Client.Kv;

namespace AkkaRaft.Client.Sessions;

// What an app tells its RaftSession actor and what the actor answers or reports. These stay inside the app's actor
// system (the session actor speaks the client protocol with the cluster), so they bind to no serializer.

/// <summary>
/// Writes a command in the session, exactly once: the session numbers it (session id, sequence number) and sends the
/// same number again after a timeout or a leader change, so the cluster applies it once and answers every resend
/// with the first outcome. Writes go out one at a time, in the order they arrive. Answered by
/// <see cref="WriteResult"/>, <see cref="RequestRejected"/> (the state machine or the session refused it; nothing
/// applied), <see cref="Overloaded"/> (<see cref="RaftSessionSettings.MaxQueuedWrites"/>; nothing sent) or
/// <see cref="RaftSessionLost"/> (the session ended first: a write sent before may or may not have been applied).
/// </summary>
/// <param name="Command">The command bytes as the state machine decodes them; for the key/value store <see cref="Put"/>
/// makes one, ephemeral or not.</param>
public sealed record SessionWrite(byte[] Command)
{
    /// <summary>
    /// zraft's <c>write(Session, Data, Temporary)</c> for the key/value store: puts <paramref name="key"/>; an
    /// <paramref name="ephemeral"/> key belongs to this session and is deleted, through the log, when it closes or expires.
    /// </summary>
    public static SessionWrite Put(string key, string value, bool ephemeral = false) => new(KvCommands.Put(key, value, ephemeral));
}

/// <summary>
/// Asks the state machine a read-only question through the session (zraft's <c>query(Session, Query, Watch)</c>).
/// Answered by <see cref="QueryResponse"/>, <see cref="Overloaded"/>, <see cref="RequestTimedOut"/> or
/// <see cref="AllFailed"/>. A <paramref name="Watch"/> asks for a one-shot trigger (zraft's <c>query(Session, Query,
/// Watch)</c>): once the query is answered, the session sets a watch on <see cref="SessionWatch.Key"/> with the leader
/// that answered, after the index the answer was read at and in the session, and tells its subscriber
/// <see cref="RaftSessionWatchFired"/> once: the first change after that index, the leader stepping down or going away,
/// or the session's end. A watch the leader does not take (too many, a bad key) is reported
/// <see cref="RaftSessionWatchFailed"/>.
/// </summary>
/// <param name="Query">The query bytes as the state machine decodes them.</param>
/// <param name="Level">How fresh the answer must be.</param>
/// <param name="Watch">The watch to set with the query, or null for none.</param>
public sealed record SessionQuery(byte[] Query, ReadLevel Level = ReadLevel.Default, SessionWatch? Watch = null);

/// <summary>A watch set with a <see cref="SessionQuery"/>: its name (the trigger carries it), and what it watches.</summary>
/// <param name="Name">The name the trigger carries back.</param>
/// <param name="Key">The key watched, or the prefix.</param>
/// <param name="Prefix">Whether <paramref name="Key"/> is a prefix: any key under it.</param>
/// <param name="Timeout">How long the watch waits before <see cref="RaftSessionWatchTimedOut"/>; null for the server's
/// <c>akkaraft.watches.default-timeout</c>.</param>
public sealed record SessionWatch(string Name, string Key, bool Prefix = false, TimeSpan? Timeout = null);

/// <summary>A watch set with a query fired (it is gone): the key changed, the leader changed, or the session ended.</summary>
/// <param name="Session">The session actor.</param>
/// <param name="Watch">The watch's name.</param>
/// <param name="Reason">Why it fired. <see cref="WatchReason.LeaderChanged"/> also when the leader serving it went away
/// (its watch actor died) or a new leader was elected before it was set: set it again with a new query.</param>
/// <param name="Key">For <see cref="WatchReason.DataChanged"/>: the key that changed.</param>
/// <param name="Index">For <see cref="WatchReason.DataChanged"/>: the log index of the change.</param>
public sealed record RaftSessionWatchFired(IActorRef Session, string Watch, WatchReason Reason, string? Key, ulong Index);

/// <summary>A watch set with a query waited its whole timeout with nothing fired; it is gone.</summary>
/// <param name="Session">The session actor.</param>
/// <param name="Watch">The watch's name.</param>
public sealed record RaftSessionWatchTimedOut(IActorRef Session, string Watch);

/// <summary>The leader did not take a watch (a bad key, too many watches, the session gone); nothing will fire.</summary>
/// <param name="Session">The session actor.</param>
/// <param name="Watch">The watch's name.</param>
/// <param name="Reason">The leader's answer.</param>
public sealed record RaftSessionWatchFailed(IActorRef Session, string Watch, string Reason);

/// <summary>
/// Closes the session through the log once the writes already given are answered: its ephemeral keys go at the close's
/// index. Answered by <see cref="SessionClosed"/>, <see cref="SessionNotFound"/> (it had ended) or <see cref="AllFailed"/>;
/// the session actor stops after it. Writes that arrive after it are refused.
/// </summary>
public sealed record CloseRaftSession
{
    /// <summary>The single instance.</summary>
    public static CloseRaftSession Instance { get; } = new();
}

/// <summary>Asks a session actor for its <see cref="RaftSessionState"/>.</summary>
public sealed record GetRaftSessionState
{
    /// <summary>The single instance.</summary>
    public static GetRaftSessionState Instance { get; } = new();
}

/// <summary>What a session actor knows about itself.</summary>
/// <param name="SessionId">Its id in the cluster; 0 while it opens.</param>
/// <param name="LeaderPath">The route it believes leads, or empty.</param>
/// <param name="NextSequence">The sequence number its next write gets.</param>
/// <param name="Resends">How often a write went out again with the same sequence number (no answer, a new leader, a timeout).</param>
/// <param name="KeepAlives">Keep-alives the leader answered.</param>
/// <param name="LastProblem">The last answer (or silence) that made it try again, for logs; empty when none yet.</param>
public sealed record RaftSessionState(long SessionId, string LeaderPath, ulong NextSequence, long Resends, long KeepAlives, string LastProblem);

/// <summary>Reported to the subscriber (or the parent) once the session is open.</summary>
/// <param name="Session">The session actor.</param>
/// <param name="SessionId">Its id in the cluster (the log index of its open entry).</param>
/// <param name="Ttl">Its time to live.</param>
/// <param name="Leader">The leader that opened it.</param>
public sealed record RaftSessionOpened(IActorRef Session, long SessionId, TimeSpan Ttl, ulong Leader);

/// <summary>
/// Reported to the subscriber (or the parent), and answered to the writes still waiting, when the session ends without
/// being closed: it expired (the cluster answered <see cref="SessionNotFound"/>), or could not be opened. The session
/// actor stops; its ephemeral keys are gone (or go at its expiry).
/// </summary>
/// <param name="Session">The session actor.</param>
/// <param name="SessionId">Its id, or 0 when it was never opened.</param>
/// <param name="Reason">Why, from the cluster's answer.</param>
public sealed record RaftSessionLost(IActorRef Session, long SessionId, string Reason);
