using Akka.Actor;
using AkkaRaft.Raft.Core;
using AkkaRaft.Raft.Peer.Protocol;
using AkkaRaft.Raft.StateMachines;
using Google.Protobuf;

namespace AkkaRaft.Raft.Peer;

// The messages between a RaftPeer and its state machine child. The peer sends them in log order and the
// mailbox keeps that order, so a query sent after a batch of entries is answered on the state after them.

/// <summary>Committed entries to apply, in order, with the client to answer for some of them.</summary>
/// <param name="Entries">Consecutive committed entries.</param>
/// <param name="Replies">For each entry, the client waiting for its result (null when none).</param>
/// <param name="Leader">The leader to name in the answers.</param>
internal sealed record ApplyEntries(IReadOnlyList<Entry> Entries, IActorRef?[] Replies, ulong Leader);

/// <summary>Replace the state by a snapshot's (received from the leader, or loaded at start).</summary>
internal sealed record RestoreStateMachine(byte[] Data, ulong Index);

/// <summary>Answer a query on the current state.</summary>
internal sealed record ServeQuery(byte[] Query, IActorRef Client, ulong Leader, ReadPath Path);

/// <summary>Write a snapshot of the current state; the answer is <see cref="StateMachineSnapshot"/>.</summary>
internal sealed record TakeStateMachineSnapshot
{
    public static TakeStateMachineSnapshot Instance { get; } = new();
}

/// <summary>The state machine's snapshot at <paramref name="Index"/> (everything applied up to it).</summary>
internal sealed record StateMachineSnapshot(ulong Index, byte[] Data);

/// <summary>
/// Runs an <see cref="IStateMachine"/> as the child of a <see cref="RaftPeer"/>: applies committed entries
/// strictly in log order, answers the clients waiting for them, serves queries and writes snapshots. A
/// failure here is a bug of the state machine (committed entries cannot be refused): the peer escalates it.
/// </summary>
internal sealed class StateMachineActor : ReceiveActor
{
    private readonly IStateMachine _machine;
    private ulong _applied;

    public StateMachineActor(IStateMachine machine)
    {
        _machine = machine;
        Receive<ApplyEntries>(OnApply);
        Receive<RestoreStateMachine>(OnRestore);
        Receive<ServeQuery>(OnQuery);
        Receive<TakeStateMachineSnapshot>(_ => OnSnapshot());
    }

    private void OnApply(ApplyEntries batch)
    {
        var entries = batch.Entries;
        for (var i = 0; i < entries.Count; i++)
        {
            var entry = entries[i];
            if (entry.Index != _applied + 1)
            {
                throw new RaftInvariantException("a state machine applies entries strictly in log order",
                    $"applied up to {_applied}, next entry is {entry.Index}");
            }
            _applied = entry.Index;
            if (entry.Type != EntryType.Normal || entry.Data.Length == 0) continue; // membership change or leader no-op
            var command = ClientCommand.Parser.ParseFrom(entry.Data);
            var result = _machine.Apply(new ApplyContext(entry.Index, entry.Term, command.SessionId), command.Command.Memory);
            batch.Replies[i]?.Tell(new WriteResult(result.Response, entry.Index, batch.Leader), Context.Parent);
        }
    }

    private void OnRestore(RestoreStateMachine restore)
    {
        using var input = new MemoryStream(restore.Data, writable: false);
        _machine.RestoreSnapshot(input);
        _applied = restore.Index;
    }

    private void OnQuery(ServeQuery query)
    {
        var result = _machine.Query(query.Query);
        query.Client.Tell(new QueryResponse(result.Response, _applied, query.Leader, query.Path), Context.Parent);
    }

    private void OnSnapshot()
    {
        using var output = new MemoryStream();
        _machine.WriteSnapshot(output);
        Sender.Tell(new StateMachineSnapshot(_applied, output.ToArray()), Self);
    }

    /// <summary>The entry data of a client command.</summary>
    internal static byte[] EncodeCommand(byte[] command, long sessionId) =>
        new ClientCommand { Command = ByteString.CopyFrom(command), SessionId = sessionId }.ToByteArray();
}
