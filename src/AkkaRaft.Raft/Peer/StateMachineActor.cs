using Akka.Actor;
using AkkaRaft.Raft.Core;
using AkkaRaft.Raft.StateMachines;

namespace AkkaRaft.Raft.Peer;

// The messages between a RaftPeer and its state machine child, one per state machine effect of its PeerLogic. The
// peer sends them in log order and the mailbox keeps that order, so a query sent after a batch of entries is
// answered on the state after them.

/// <summary>Committed entries to apply, in order, with the client to answer for some of them.</summary>
/// <param name="Entries">Consecutive committed entries.</param>
/// <param name="Replies">For each entry, the client waiting for its result (null when none); null when no entry has one.</param>
/// <param name="Leader">The leader to name in the answers.</param>
internal sealed record ApplyEntries(IReadOnlyList<Entry> Entries, IActorRef?[]? Replies, ulong Leader);

/// <summary>Replace the state by a snapshot's (received from the leader, or loaded at start).</summary>
internal sealed record RestoreStateMachine(byte[] Data, ulong Index);

/// <summary>Answer a query on the current state; <paramref name="Typed"/> when it is a typed query's frame.</summary>
internal sealed record ServeQuery(byte[] Query, bool Typed, IActorRef Client, ulong Leader, ReadPath Path);

/// <summary>Write a snapshot of the current state; the answer is <see cref="StateMachineSnapshot"/>.</summary>
internal sealed record TakeStateMachineSnapshot
{
    public static TakeStateMachineSnapshot Instance { get; } = new();
}

/// <summary>
/// Runs an <see cref="IStateMachine"/> (through a <see cref="StateMachineHost"/>) as the child of a <see cref="RaftPeer"/>:
/// applies committed entries strictly in log order, answers the clients waiting for them, serves queries and writes
/// snapshots. A failure here is a bug of the state machine (committed entries cannot be refused): the peer escalates it.
/// </summary>
internal sealed class StateMachineActor : ReceiveActor
{
    private readonly StateMachineHost _host;

    public StateMachineActor(IStateMachine machine)
    {
        _host = new StateMachineHost(machine);
        Receive<ApplyEntries>(OnApply);
        Receive<RestoreStateMachine>(restore => _host.Restore(restore.Data, restore.Index));
        Receive<ServeQuery>(query => query.Client.Tell(_host.Query(query.Query, query.Typed, query.Leader, query.Path), Context.Parent));
        Receive<TakeStateMachineSnapshot>(_ => Sender.Tell(_host.TakeSnapshot(), Self));
    }

    private void OnApply(ApplyEntries batch)
    {
        var entries = batch.Entries;
        for (var i = 0; i < entries.Count; i++)
        {
            var client = batch.Replies?[i];
            if (_host.Apply(entries[i], batch.Leader, answer: client is not null) is { } answer) client!.Tell(answer, Context.Parent);
        }
    }
}
