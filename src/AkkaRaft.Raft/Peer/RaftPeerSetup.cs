using AkkaRaft.Persistence.Journal;
using AkkaRaft.Persistence.Snapshots;
using AkkaRaft.Raft.Core;
using AkkaRaft.Raft.StateMachines;

namespace AkkaRaft.Raft.Peer;

/// <summary>Everything a <see cref="RaftPeer"/> is made of. Create one per peer; pass it to <see cref="RaftPeer.Props"/>.</summary>
/// <param name="NodeId">This peer's id in its group (not 0).</param>
/// <param name="InitialVoters">The founding voters of a new group (this peer among them); empty for a peer that joins an existing group and learns the configuration from its leader. Ignored once the journal holds anything.</param>
/// <param name="Transport">How this peer reaches the others.</param>
/// <param name="StateMachineFactory">Makes a fresh state machine (at every start and restart of the peer).</param>
/// <param name="Journal">Where the Raft log and hard state are journaled.</param>
/// <param name="SnapshotStore">Where snapshots are saved.</param>
/// <param name="Settings">Timing and limits.</param>
public sealed record RaftPeerSetup(
    ulong NodeId,
    IReadOnlyList<ulong> InitialVoters,
    IRaftTransport Transport,
    Func<IStateMachine> StateMachineFactory,
    IJournal Journal,
    ISnapshotStore SnapshotStore,
    RaftPeerSettings Settings)
{
    /// <summary>The persistence id of the peer's journal and snapshots; default <c>raft-peer-{NodeId}</c>.</summary>
    public string PersistenceId { get; init; } = $"raft-peer-{NodeId}";

    /// <summary>The source of the core's election randomness; null for a fresh randomly seeded one per incarnation. Tests pass a seeded one.</summary>
    public Func<IRandomSource>? RandomFactory { get; init; }
}
