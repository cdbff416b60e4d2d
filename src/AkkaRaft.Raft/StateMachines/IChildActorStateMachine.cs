using Akka.Actor;

namespace AkkaRaft.Raft.StateMachines;

/// <summary>
/// A state machine that keeps part of its state in a child actor of its peer's state machine actor (the time-series
/// store's shards, for one). The state machine actor starts the child (<see cref="ChildProps"/>, named
/// <see cref="ChildName"/>) and sends it, in log order, the commands and queries <see cref="ServedByChild"/> names:
/// a command as <see cref="ChildApply"/>, answered with <see cref="ChildApplied"/>, while everything after it waits
/// (stashed), so entries stay strictly in log order; a query as <see cref="ChildQuery"/>, which the child answers
/// itself. A snapshot gathers the child's part (<see cref="ChildSnapshot"/>) and a restore hands the child its part.
/// Every other command, query and session expiry is applied in-line as for any <see cref="IStateMachine"/>.
/// </summary>
/// <remarks>
/// The child must answer every <see cref="ChildApply"/> and <see cref="ChildSnapshot"/> it is sent, in the order sent:
/// the state machine actor waits for it. A child that fails is a bug (a committed entry cannot be refused); the state
/// machine actor escalates it, the peer fails, and its supervisor starts it again from its journal. The seeded simulation drives <see cref="IStateMachine"/>s with no
/// child; a machine whose <see cref="ChildProps"/> is null is served in-line throughout.
/// </remarks>
public interface IChildActorStateMachine : IStateMachine
{
    /// <summary>The child to start, once, when the state machine actor starts; null when this instance serves everything in-line.</summary>
    Props? ChildProps { get; }

    /// <summary>The child's actor name.</summary>
    string ChildName { get; }

    /// <summary>Whether the child applies this command, or answers this query (its bytes as the client sent them).</summary>
    bool ServedByChild(ReadOnlySpan<byte> commandOrQuery);

    /// <summary>Writes the whole state, as <see cref="IStateMachine.WriteSnapshot"/>, with <paramref name="childPart"/> as the child wrote it.</summary>
    void WriteSnapshot(Stream output, ReadOnlyMemory<byte> childPart);

    /// <summary>
    /// Replaces the in-line state by the snapshot's, as <see cref="IStateMachine.RestoreSnapshot"/>, and returns the
    /// message that makes the child take its part (checked already: the child cannot refuse it).
    /// </summary>
    /// <exception cref="InvalidSnapshotException">The snapshot is corrupt or truncated; nothing changed.</exception>
    object RestoreSnapshotWithChild(Stream input);
}

/// <summary>Apply a committed command; the child answers the sender with <see cref="ChildApplied"/>.</summary>
/// <param name="Context">Where the command sits in the log.</param>
/// <param name="Command">The command bytes as the client proposed them (immutable).</param>
public sealed record ChildApply(ApplyContext Context, ReadOnlyMemory<byte> Command);

/// <summary>The result of the <see cref="ChildApply"/> at <paramref name="Index"/>.</summary>
public sealed record ChildApplied(ulong Index, ApplyResult Result);

/// <summary>
/// Answer <paramref name="Client"/> a query on the state after every command sent before: with
/// <see cref="Answer"/>, as the state machine actor answers a query it serves in-line.
/// </summary>
/// <param name="Query">The query bytes (immutable).</param>
/// <param name="Client">Who waits for the answer.</param>
/// <param name="AnswerAs">The sender to answer as (the peer).</param>
/// <param name="Applied">The last log index applied, named in the answer.</param>
/// <param name="Leader">The leader named in the answer.</param>
/// <param name="Term">The term named in the answer.</param>
/// <param name="Path">How the peer made sure the read is fresh enough.</param>
public sealed record ChildQuery(ReadOnlyMemory<byte> Query, IActorRef Client, IActorRef AnswerAs, ulong Applied, ulong Leader, ulong Term, ReadPath Path)
{
    /// <summary>Sends <paramref name="result"/> to the client as the <see cref="QueryResponse"/> it waits for.</summary>
    public void Answer(QueryResult result)
    {
        ArgumentNullException.ThrowIfNull(result);
        Client.Tell(new QueryResponse(result.Response, Applied, Leader, Path) { Term = Term }, AnswerAs);
    }
}

/// <summary>Write the child's part of a snapshot; the child answers the sender with <see cref="ChildSnapshotPart"/>.</summary>
public sealed record ChildSnapshot
{
    public static ChildSnapshot Instance { get; } = new();
}

/// <summary>The child's part of a snapshot, as <see cref="IChildActorStateMachine.WriteSnapshot(Stream, ReadOnlyMemory{byte})"/> takes it.</summary>
public sealed record ChildSnapshotPart(byte[] Bytes);
