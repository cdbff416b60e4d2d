using AkkaRaft.Raft.Core;
using AkkaRaft.Raft.Peer.Protocol;
using AkkaRaft.Raft.StateMachines;
using Google.Protobuf;

namespace AkkaRaft.Raft.Peer;

/// <summary>
/// Runs an <see cref="IStateMachine"/> for a peer, with no I/O of its own: applies committed entries strictly in log
/// order (decoding the client command each carries), answers queries, restores and writes snapshots. The actor shell
/// wraps it in the state machine child; the simulation calls it directly from the
/// <see cref="PeerEffectKind.ApplyEntries"/>, <see cref="PeerEffectKind.ServeQuery"/>,
/// <see cref="PeerEffectKind.RestoreStateMachine"/> and <see cref="PeerEffectKind.TakeStateMachineSnapshot"/> effects.
/// Typed commands and queries (<see cref="TypedWrite"/>, <see cref="TypedQuery"/>) go to a
/// <see cref="TypedStateMachine{TCommand,TQuery}"/> as frames, and their answers come back as objects.
/// A failure here is a bug of the state machine (a committed entry cannot be refused): it propagates.
/// </summary>
internal sealed partial class StateMachineHost
{
    private readonly IStateMachine _machine;
    private readonly IKeyVersions? _versions;
    private readonly ITypedStateMachine? _typed;
    private readonly IChildActorStateMachine? _child;
    private PendingApply? _pending;
    private readonly SessionTable _sessions = new();
    private readonly LockTable _locks = new();
    private readonly WatchRegistry _watches;

    /// <summary>Hosts <paramref name="machine"/>, fresh (nothing applied), serving watches within <paramref name="watches"/> (the defaults when null).</summary>
    public StateMachineHost(IStateMachine machine, WatchSettings? watches = null)
    {
        ArgumentNullException.ThrowIfNull(machine);
        _machine = machine;
        _versions = machine as IKeyVersions;
        _typed = machine as ITypedStateMachine;
        _child = machine is IChildActorStateMachine { ChildProps: not null } child ? child : null;
        _watches = new WatchRegistry(watches ?? WatchSettings.Defaults);
    }

    /// <summary>The last log index applied (or restored from a snapshot).</summary>
    public ulong Applied { get; private set; }

    /// <summary>The machine's child actor, when part of its state lives in one (<see cref="IChildActorStateMachine"/>).</summary>
    public IChildActorStateMachine? Child => _child;

    /// <summary>Whether an entry's command is with the child (<see cref="DeferredApply"/>) and not yet <see cref="Complete"/>d.</summary>
    public bool Deferring => _pending is not null;

    /// <summary>
    /// Applies the next committed entry. A membership change or a leader's no-op, which the state machine never sees,
    /// has no answer (null). For a client command, when <paramref name="answer"/> is set, returns what its client is
    /// answered: a <see cref="WriteResult"/>, or for a typed command a <see cref="TypedWriteResult"/>, or a
    /// <see cref="RequestRejected"/> when the state machine could not take it (it changed nothing).
    /// </summary>
    /// <param name="entry">The entry after <see cref="Applied"/>.</param>
    /// <param name="leader">The leader to name in the answer.</param>
    /// <param name="answer">Whether a client waits for the answer (only the leader's proposals have one).</param>
    /// <remarks>
    /// A command the machine's child serves (<see cref="IChildActorStateMachine.ServedByChild"/>) comes back as a
    /// <see cref="DeferredApply"/>: the caller sends it to the child and hands its result to <see cref="Complete"/>
    /// before it applies the next entry. Session checks and retries are decided here first, as for any command.
    /// </remarks>
    /// <exception cref="RaftInvariantException">The entry is not the one after <see cref="Applied"/>, or a deferred
    /// entry is not complete yet.</exception>
    public object? Apply(Entry entry, ulong leader, bool answer)
    {
        ArgumentNullException.ThrowIfNull(entry);
        if (_pending is not null)
        {
            throw new RaftInvariantException("a state machine applies entries strictly in log order",
                $"entry {entry.Index} came while entry {_pending.Index} is still with the state machine's child");
        }
        if (entry.Index != Applied + 1)
        {
            throw new RaftInvariantException("a state machine applies entries strictly in log order",
                $"applied up to {Applied}, next entry is {entry.Index}");
        }
        Applied = entry.Index;
        if (entry.Type != EntryType.Normal || entry.Data.Length == 0) return null;
        var command = ClientCommand.Parser.ParseFrom(entry.Data);
        if (command.Session is { } sessionEntry) return ApplySessionEntry(entry, sessionEntry, leader, answer);
        var context = new ApplyContext(entry.Index, entry.Term, command.SessionId);
        SessionTable.Session? session = null;
        if (command.SessionId != ApplyContext.NoSession)
        {
            // Thesis 6.3: a command of a session that does not live is refused, the same way on every peer.
            if (!_sessions.TryGet(command.SessionId, out session))
                return answer ? new SessionNotFound(command.SessionId, $"session {command.SessionId} has expired or was closed (or never opened); the write at index {entry.Index} applied nothing") : null;
            if (command.Sequence != 0 && !command.Typed)
            {
                session.Acknowledge(command.AcknowledgedBelow);
                if (session.Responses.TryGetValue(command.Sequence, out var saved))
                {
                    // A retry: the first outcome, with its index; nothing is applied again.
                    return answer ? new WriteResult(saved.Response, saved.Index, leader) { Term = entry.Term } : null;
                }
                if (command.Sequence < session.AcknowledgedBelow)
                {
                    return answer
                        ? new RequestRejected($"write {command.Sequence} of session {command.SessionId} was acknowledged already (the client acknowledged everything below {session.AcknowledgedBelow}), so its response is gone; it applied nothing now")
                        : null;
                }
                if (session.Responses.Count >= session.MaxResponses)
                {
                    return answer
                        ? new RequestRejected($"session {command.SessionId} keeps {session.Responses.Count} unacknowledged responses, the most it may (akkaraft.sessions.max-unacknowledged-responses = {session.MaxResponses}); acknowledge answers received (Write.AcknowledgedBelow) before writing more. Write {command.Sequence} applied nothing")
                        : null;
                }
            }
        }
        if (!command.Typed)
        {
            if (_child is not null && _child.ServedByChild(command.Command.Span))
            {
                _pending = new PendingApply(entry.Index, entry.Term, session, command.Sequence, leader, answer);
                return new DeferredApply(new ChildApply(context, command.Command.Memory));
            }
            return Finish(entry.Index, entry.Term, session, command.Sequence, _machine.Apply(context, command.Command.Memory), leader, answer);
        }

        if (_typed is null)
        {
            // The leader refuses typed commands for such a state machine before proposing them; this one came from a
            // leader that thought otherwise. Every peer skips it alike.
            return answer
                ? new RequestRejected($"a typed command committed at index {entry.Index}, but this state machine ({_machine.GetType().Name}) takes no typed commands; it changed nothing")
                : null;
        }

        var typed = _typed.ApplyTyped(context, command.Command.Memory);
        if (!answer) return null;
        return typed.Refusal is { } refusal
            ? new RequestRejected($"{refusal} (it committed at index {entry.Index} and changed nothing)")
            : new TypedWriteResult(typed.Response!, entry.Index, leader);
    }

    /// <summary>
    /// Finishes the entry the child applied (<see cref="DeferredApply"/>): what <see cref="Apply"/> does after the
    /// state machine applied a command (watches, the session's saved response) and the answer for its client.
    /// </summary>
    /// <exception cref="RaftInvariantException">No entry is with the child, or another one is.</exception>
    public object? Complete(ChildApplied applied)
    {
        ArgumentNullException.ThrowIfNull(applied);
        if (_pending is not { } pending)
            throw new RaftInvariantException("a child's result completes the entry sent to it", $"the result of entry {applied.Index} came, but no entry is with the child");
        if (pending.Index != applied.Index)
            throw new RaftInvariantException("a child's result completes the entry sent to it", $"entry {pending.Index} is with the child, but the result of entry {applied.Index} came");
        _pending = null;
        return Finish(pending.Index, pending.Term, pending.Session, pending.Sequence, applied.Result, pending.Leader, pending.Answer);
    }

    private object? Finish(ulong index, ulong term, SessionTable.Session? session, ulong sequence, ApplyResult result, ulong leader, bool answer)
    {
        _watches.Applied(index, result.ChangedKeys, _versions);
        if (session is not null && sequence != 0)
            session.Responses.Add(sequence, new SessionTable.SavedResponse(result.Response.ToArray(), index));
        return answer ? new WriteResult(result.Response, index, leader) { Term = term } : null;
    }

    /// <summary>An entry of a session, or none, whose command is with the child.</summary>
    private sealed record PendingApply(ulong Index, ulong Term, SessionTable.Session? Session, ulong Sequence, ulong Leader, bool Answer);

    /// <summary>Opens, closes or expires a session; a session that ends is handed to the state machine (its ephemeral data goes).</summary>
    private object? ApplySessionEntry(Entry entry, SessionEntry sessionEntry, ulong leader, bool answer)
    {
        switch (sessionEntry.Kind)
        {
            case SessionEntries.Open:
                var ttl = TimeSpan.FromMilliseconds(sessionEntry.TtlMs);
                _sessions.Open((long)entry.Index, ttl, Math.Max(1, sessionEntry.MaxResponses));
                return answer ? new SessionOpened((long)entry.Index, ttl, leader) { Term = entry.Term } : null;
            case SessionEntries.Close:
            case SessionEntries.Expire:
                var id = sessionEntry.SessionId;
                if (!_sessions.Remove(id))
                    return answer ? new SessionNotFound(id, $"session {id} had expired or was closed already") : null;
                var ended = _machine.SessionExpired(new ApplyContext(entry.Index, entry.Term, ApplyContext.NoSession), id);
                // Its ephemeral keys went at this index (their watches fire), its locks pass on, its watches fire.
                _watches.Applied(entry.Index, ended.ChangedKeys, _versions);
                _locks.SessionEnded(id, entry.Index);
                _watches.SessionEnded(id);
                return answer ? new SessionClosed(id, entry.Index, leader) { Term = entry.Term } : null;
            case SessionEntries.AcquireLock:
                return ApplyAcquire(entry, sessionEntry, leader, answer);
            case SessionEntries.ReleaseLock:
                return ApplyRelease(entry, sessionEntry, leader, answer);
            default:
                // A kind this version does not know changes nothing, alike on every peer of this version.
                return answer ? new RequestRejected($"the session entry at index {entry.Index} has the unknown kind {sessionEntry.Kind}; it changed nothing") : null;
        }
    }

    /// <summary>The live client sessions, as the entries applied so far left them.</summary>
    public SessionTable Sessions => _sessions;

    /// <summary>
    /// The answer to a query on the current state: a <see cref="QueryResponse"/>, or for a typed query a
    /// <see cref="TypedQueryResponse"/>, or a <see cref="RequestRejected"/> when the state machine cannot read it.
    /// </summary>
    public object Query(byte[] query, bool typed, ulong leader, ulong term, ReadPath path)
    {
        if (!typed) return new QueryResponse(_machine.Query(query).Response, Applied, leader, path) { Term = term };
        if (_typed is null) return new RequestRejected($"this state machine ({_machine.GetType().Name}) takes no typed queries; send Query with its bytes");
        var answer = _typed.QueryTyped(query);
        return answer.Refusal is { } refusal ? new RequestRejected(refusal) : new TypedQueryResponse(answer.Response!, Applied, leader, path);
    }

    /// <summary>
    /// Replaces the state by the snapshot <paramref name="data"/> taken at <paramref name="index"/>. Returns the
    /// message that hands the machine's child its part (send it to <see cref="Child"/>), or null when it has none.
    /// </summary>
    /// <exception cref="InvalidSnapshotException">The state machine cannot read the snapshot.</exception>
    public object? Restore(byte[] data, ulong index)
    {
        ArgumentNullException.ThrowIfNull(data);
        NotDeferring("restores a snapshot");
        // The session table is framed in front of the state machine's own bytes (none in a bare state machine's snapshot).
        var start = _locks.ReadFrame(data, _sessions.ReadFrame(data));
        using var input = new MemoryStream(data, start, data.Length - start, writable: false, publiclyVisible: true);
        object? toChild = null;
        if (_child is not null) toChild = _child.RestoreSnapshotWithChild(input);
        else _machine.RestoreSnapshot(input);
        Applied = index;
        _watches.Restored(index);
        return toChild;
    }

    /// <summary>Room for the session and lock frames and the machine's own part beside a child's part.</summary>
    private const int SmallPartsBytes = 1 << 20;

    /// <summary>
    /// A snapshot of the current state, at <see cref="Applied"/>; with a child, <paramref name="childPart"/> is its
    /// part (<see cref="ChildSnapshotPart"/>), taken after every entry applied so far and before any other.
    /// </summary>
    public StateMachineSnapshot TakeSnapshot(ChildSnapshotPart? childPart = null)
    {
        NotDeferring("takes a snapshot");
        if ((_child is null) != (childPart is null))
            throw new RaftInvariantException("a snapshot holds the child's part exactly when the state machine has a child", $"child: {_child is not null}, part given: {childPart is not null}");
        // One pass, not SnapshotBytes' two: the state machine's own part (the keys) would be serialized twice. Sized for
        // the child's part, which is most of the bytes when there is one, so the stream does not grow through copies.
        using var output = new MemoryStream(childPart is null ? 0 : childPart.Bytes.Length + SmallPartsBytes);
        _sessions.WriteFrame(output);
        _locks.WriteFrame(output);
        if (_child is not null) _child.WriteSnapshot(output, childPart!.Bytes);
        else _machine.WriteSnapshot(output);
        return new StateMachineSnapshot(Applied, output.ToArray());
    }

    private void NotDeferring(string what)
    {
        if (_pending is not null)
            throw new RaftInvariantException($"the state machine {what} only between entries", $"entry {_pending.Index} is still with the state machine's child");
    }

    /// <summary>The entry data of a client command; <paramref name="typed"/> for a typed command's frame (<see cref="TypedFrames"/>).</summary>
    public static byte[] EncodeCommand(byte[] command, long sessionId, bool typed = false, ulong sequence = 0, ulong acknowledgedBelow = 0) =>
        new ClientCommand { Command = ByteString.CopyFrom(command), SessionId = sessionId, Typed = typed, Sequence = sequence, AcknowledgedBelow = acknowledgedBelow }.ToByteArray();
}

/// <summary>An entry whose command the state machine's child applies: send it <paramref name="Apply"/>, then <see cref="StateMachineHost.Complete"/>.</summary>
internal sealed record DeferredApply(ChildApply Apply);

/// <summary>The state machine's snapshot at <paramref name="Index"/> (everything applied up to it).</summary>
internal sealed record StateMachineSnapshot(ulong Index, byte[] Data);
