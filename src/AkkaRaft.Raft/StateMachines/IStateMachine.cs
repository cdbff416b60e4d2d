namespace AkkaRaft.Raft.StateMachines;

/// <summary>
/// A replicated state machine (a "backend", as zraft and tinyraft call it): the application state that Raft
/// keeps identical on every peer. Bring your own by implementing this interface; the key/value store in
/// <c>AkkaRaft.Kv</c> is one implementation.
/// </summary>
/// <remarks>
/// <para>
/// The peer that owns an instance calls it from one thread at a time (its state machine actor), so an
/// implementation needs no locks. Committed entries arrive through <see cref="Apply"/> and
/// <see cref="SessionExpired"/> strictly in log order, each exactly once per instance.
/// </para>
/// <para>
/// <b>Determinism is the contract.</b> Every peer applies the same entries in the same order and must end in
/// the same state with the same results. <see cref="Apply"/> and <see cref="SessionExpired"/> must therefore
/// depend only on the current state, the <see cref="ApplyContext"/> and the command bytes: never on a clock
/// (<c>DateTime.Now</c>, <c>Stopwatch</c>), randomness (<c>Random</c>, <c>Guid.NewGuid</c>), the machine,
/// the environment, the iteration order of a hash table, or local settings that may differ between peers.
/// A command that is malformed or not allowed is not an exception: it is a result that says so, and changes
/// nothing (a committed entry cannot be refused; throwing would crash every peer on the same entry). An
/// exception out of <see cref="Apply"/> means a bug, and the peer stops.
/// </para>
/// <para>
/// Use <see cref="StateMachineConformance"/> to hold an implementation to this contract in its tests.
/// </para>
/// </remarks>
public interface IStateMachine
{
    /// <summary>
    /// Applies one committed command and returns its result. Deterministic (see the type's remarks): the same
    /// state, context and command give the same new state and the same result on every peer.
    /// </summary>
    /// <param name="context">Where the command sits in the log and which client session sent it.</param>
    /// <param name="command">The command bytes as the client proposed them; the caller keeps ownership, so
    /// copy what you keep.</param>
    /// <returns>The response for the client and the keys the command changed (empty when it changed nothing).</returns>
    ApplyResult Apply(in ApplyContext context, ReadOnlyMemory<byte> command);

    /// <summary>
    /// Answers a read-only query from the current state. Must not change the state. The peer decides how fresh
    /// the state is (stale, lease or ReadIndex reads); the state machine only answers. A malformed query is a
    /// result that says so, not an exception.
    /// </summary>
    /// <param name="query">The query bytes; the caller keeps ownership.</param>
    /// <returns>The response and the keys the query read.</returns>
    QueryResult Query(ReadOnlyMemory<byte> query);

    /// <summary>
    /// Writes the whole state to <paramref name="output"/>, so that <see cref="RestoreSnapshot"/> on a fresh
    /// instance gives a state machine that answers and continues exactly as this one. Two instances in the same
    /// state must write the same bytes (peers compare and transfer snapshots). The stream stays open; the
    /// caller owns it. The state is unchanged.
    /// </summary>
    void WriteSnapshot(Stream output);

    /// <summary>
    /// Replaces the whole state with the one <see cref="WriteSnapshot"/> wrote to <paramref name="input"/>
    /// (nothing of the previous state survives). The stream holds exactly the bytes <see cref="WriteSnapshot"/>
    /// wrote, nothing before or after (the peer frames them); the format must let a truncated snapshot be told
    /// from a complete one (a count, a length or a trailer). The stream stays open; the caller owns it.
    /// </summary>
    /// <exception cref="InvalidSnapshotException">The snapshot is corrupt, truncated or of a format this
    /// implementation does not read; the state is then unchanged.</exception>
    void RestoreSnapshot(Stream input);

    /// <summary>
    /// Tells the state machine that a client session expired or was closed: it deletes the session's
    /// ephemeral data. The peer calls this as a committed log entry, so it is deterministic exactly as
    /// <see cref="Apply"/>, and comes in log order with the other entries.
    /// </summary>
    /// <param name="context">The log position of the expiry entry; its session id is
    /// <see cref="ApplyContext.NoSession"/> (the entry is the peer's, not a client's).</param>
    /// <param name="sessionId">The session that expired (never <see cref="ApplyContext.NoSession"/>).</param>
    /// <returns>A response (for logs and tests) and the keys deleted.</returns>
    ApplyResult SessionExpired(in ApplyContext context, long sessionId);
}

/// <summary>Where a committed entry sits in the Raft log and who sent it.</summary>
/// <param name="Index">The Raft index of the entry (1 or more). A state machine may keep it as a version, as
/// the key/value store keeps each key's last-modified index.</param>
/// <param name="Term">The term of the entry.</param>
/// <param name="SessionId">The client session that proposed the command, or <see cref="NoSession"/>.</param>
public readonly record struct ApplyContext(ulong Index, ulong Term, long SessionId)
{
    /// <summary>The session id of a command sent without a client session.</summary>
    public const long NoSession = 0;

    /// <summary>Whether the command came from a client session.</summary>
    public bool HasSession => SessionId != NoSession;
}

/// <summary>The outcome of applying one committed entry. Record equality compares <see cref="Response"/> as memory,
/// not content; <see cref="StateMachineConformance.SameResult"/> compares content.</summary>
/// <param name="Response">What the client that proposed the entry receives; the state machine's own encoding.
/// The state machine gives up ownership: it must not change the bytes afterwards.</param>
/// <param name="ChangedKeys">The keys whose data the entry changed, in a deterministic order (watches fire on
/// them); empty when nothing changed.</param>
public sealed record ApplyResult(ReadOnlyMemory<byte> Response, IReadOnlyList<string> ChangedKeys)
{
    /// <summary>A result that changed nothing.</summary>
    public static ApplyResult Unchanged(ReadOnlyMemory<byte> response) => new(response, []);
}

/// <summary>The answer to a read-only query. Record equality compares <see cref="Response"/> as memory, not content;
/// <see cref="StateMachineConformance.SameAnswer"/> compares content.</summary>
/// <param name="Response">What the client receives; the state machine's own encoding. The state machine gives
/// up ownership of the bytes.</param>
/// <param name="ReadKeys">The keys the answer depends on, in a deterministic order.</param>
public sealed record QueryResult(ReadOnlyMemory<byte> Response, IReadOnlyList<string> ReadKeys);

/// <summary>
/// <see cref="IStateMachine.RestoreSnapshot"/> could not read a snapshot: it is corrupt (checksum or structure),
/// truncated, or of an unknown format or version. The state machine's state is unchanged.
/// </summary>
public sealed class InvalidSnapshotException : Exception
{
    /// <summary>Creates the exception with a message that says what was wrong with the snapshot.</summary>
    public InvalidSnapshotException(string message, Exception? innerException = null)
        : base(message, innerException)
    {
    }
}
