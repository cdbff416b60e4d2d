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
/// A failure here is a bug of the state machine (a committed entry cannot be refused): it propagates.
/// </summary>
internal sealed class StateMachineHost
{
    private readonly IStateMachine _machine;

    /// <summary>Hosts <paramref name="machine"/>, fresh (nothing applied).</summary>
    public StateMachineHost(IStateMachine machine)
    {
        ArgumentNullException.ThrowIfNull(machine);
        _machine = machine;
    }

    /// <summary>The last log index applied (or restored from a snapshot).</summary>
    public ulong Applied { get; private set; }

    /// <summary>
    /// Applies the next committed entry. Returns true with the state machine's response for a client command; false
    /// for a membership change or a leader's no-op, which the state machine never sees.
    /// </summary>
    /// <exception cref="RaftInvariantException">The entry is not the one after <see cref="Applied"/>.</exception>
    public bool Apply(Entry entry, out ReadOnlyMemory<byte> response)
    {
        ArgumentNullException.ThrowIfNull(entry);
        if (entry.Index != Applied + 1)
        {
            throw new RaftInvariantException("a state machine applies entries strictly in log order",
                $"applied up to {Applied}, next entry is {entry.Index}");
        }
        Applied = entry.Index;
        response = default;
        if (entry.Type != EntryType.Normal || entry.Data.Length == 0) return false;
        var command = ClientCommand.Parser.ParseFrom(entry.Data);
        response = _machine.Apply(new ApplyContext(entry.Index, entry.Term, command.SessionId), command.Command.Memory).Response;
        return true;
    }

    /// <summary>The answer to <paramref name="query"/> on the current state.</summary>
    public QueryResponse Query(byte[] query, ulong leader, ReadPath path) =>
        new(_machine.Query(query).Response, Applied, leader, path);

    /// <summary>Replaces the state by the snapshot <paramref name="data"/> taken at <paramref name="index"/>.</summary>
    /// <exception cref="InvalidSnapshotException">The state machine cannot read the snapshot.</exception>
    public void Restore(byte[] data, ulong index)
    {
        ArgumentNullException.ThrowIfNull(data);
        using var input = new MemoryStream(data, writable: false);
        _machine.RestoreSnapshot(input);
        Applied = index;
    }

    /// <summary>A snapshot of the current state, at <see cref="Applied"/>.</summary>
    public StateMachineSnapshot TakeSnapshot()
    {
        using var output = new MemoryStream();
        _machine.WriteSnapshot(output);
        return new StateMachineSnapshot(Applied, output.ToArray());
    }

    /// <summary>The entry data of a client command.</summary>
    public static byte[] EncodeCommand(byte[] command, long sessionId) =>
        new ClientCommand { Command = ByteString.CopyFrom(command), SessionId = sessionId }.ToByteArray();
}

/// <summary>The state machine's snapshot at <paramref name="Index"/> (everything applied up to it).</summary>
internal sealed record StateMachineSnapshot(ulong Index, byte[] Data);
