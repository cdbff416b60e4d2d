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
        _watches = new WatchRegistry(watches ?? WatchSettings.Defaults);
    }

    /// <summary>The last log index applied (or restored from a snapshot).</summary>
    public ulong Applied { get; private set; }

    /// <summary>
    /// Applies the next committed entry. A membership change or a leader's no-op, which the state machine never sees,
    /// has no answer (null). For a client command, when <paramref name="answer"/> is set, returns what its client is
    /// answered: a <see cref="WriteResult"/>, or for a typed command a <see cref="TypedWriteResult"/>, or a
    /// <see cref="RequestRejected"/> when the state machine could not take it (it changed nothing).
    /// </summary>
    /// <param name="entry">The entry after <see cref="Applied"/>.</param>
    /// <param name="leader">The leader to name in the answer.</param>
    /// <param name="answer">Whether a client waits for the answer (only the leader's proposals have one).</param>
    /// <exception cref="RaftInvariantException">The entry is not the one after <see cref="Applied"/>.</exception>
    public object? Apply(Entry entry, ulong leader, bool answer)
    {
        ArgumentNullException.ThrowIfNull(entry);
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
            var result = _machine.Apply(context, command.Command.Memory);
            _watches.Applied(entry.Index, result.ChangedKeys, _versions);
            if (session is not null && command.Sequence != 0)
                session.Responses.Add(command.Sequence, new SessionTable.SavedResponse(result.Response.ToArray(), entry.Index));
            return answer ? new WriteResult(result.Response, entry.Index, leader) { Term = entry.Term } : null;
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

    /// <summary>Replaces the state by the snapshot <paramref name="data"/> taken at <paramref name="index"/>.</summary>
    /// <exception cref="InvalidSnapshotException">The state machine cannot read the snapshot.</exception>
    public void Restore(byte[] data, ulong index)
    {
        ArgumentNullException.ThrowIfNull(data);
        // The session table is framed in front of the state machine's own bytes (none in a bare state machine's snapshot).
        var start = _locks.ReadFrame(data, _sessions.ReadFrame(data));
        using var input = new MemoryStream(data, start, data.Length - start, writable: false);
        _machine.RestoreSnapshot(input);
        Applied = index;
        _watches.Restored(index);
    }

    /// <summary>A snapshot of the current state, at <see cref="Applied"/>.</summary>
    public StateMachineSnapshot TakeSnapshot()
    {
        using var output = new MemoryStream();
        _sessions.WriteFrame(output);
        _locks.WriteFrame(output);
        _machine.WriteSnapshot(output);
        return new StateMachineSnapshot(Applied, output.ToArray());
    }

    /// <summary>The entry data of a client command; <paramref name="typed"/> for a typed command's frame (<see cref="TypedFrames"/>).</summary>
    public static byte[] EncodeCommand(byte[] command, long sessionId, bool typed = false, ulong sequence = 0, ulong acknowledgedBelow = 0) =>
        new ClientCommand { Command = ByteString.CopyFrom(command), SessionId = sessionId, Typed = typed, Sequence = sequence, AcknowledgedBelow = acknowledgedBelow }.ToByteArray();
}

/// <summary>The state machine's snapshot at <paramref name="Index"/> (everything applied up to it).</summary>
internal sealed record StateMachineSnapshot(ulong Index, byte[] Data);
