using AkkaRaft.Raft.Core;
using AkkaRaft.Raft.StateMachines;

namespace AkkaRaft.Raft.Peer;

/// <summary>
/// Everything a <see cref="RaftPeer"/> is made of. Create one per peer; pass it to <see cref="RaftPeer.Props"/>. The
/// peer journals through Akka.Persistence: the actor system's configuration must name its journal and snapshot store
/// (<c>RaftPersistence.AkkaConfig</c>) and bind the Raft serializers (<c>reference.conf</c>).
/// </summary>
/// <param name="NodeId">This peer's id in its group (not 0).</param>
/// <param name="InitialVoters">The founding voters of a new group (this peer among them); empty for a peer that joins an existing group and learns the configuration from its leader. Ignored once the journal holds anything.</param>
/// <param name="Transport">How this peer reaches the others.</param>
/// <param name="StateMachineFactory">Makes a fresh state machine (at every start and restart of the peer).</param>
/// <param name="Settings">Timing and limits.</param>
public sealed record RaftPeerSetup(
    ulong NodeId,
    IReadOnlyList<ulong> InitialVoters,
    IRaftTransport Transport,
    Func<IStateMachine> StateMachineFactory,
    RaftPeerSettings Settings)
{
    /// <summary>The persistence id of the peer's journal and snapshots; default <c>raft-peer-{NodeId}</c>.</summary>
    public string PersistenceId { get; init; } = $"raft-peer-{NodeId}";

    /// <summary>
    /// The Akka.Persistence journal plugin id of the Raft log and hard state; null for the system's default. Peers in one process may share a journal (their persistence ids differ) or each name its own.
    /// </summary>
    public string? JournalPluginId { get; init; }

    /// <summary>The snapshot store plugin of the peer's snapshot records; null for the system's default.</summary>
    public string? SnapshotPluginId { get; init; }

    /// <summary>The largest journal event the journal takes (<c>akkaraft.persistence.journal.max-event-bytes</c>): a command whose entry would not fit one event is refused.</summary>
    public long MaxEventBytes { get; init; } = 16L * 1024 * 1024;

    /// <summary>The longest client command <see cref="MaxEventBytes"/> leaves room for: an entry's framing takes the rest.</summary>
    public long MaxCommandBytes => MaxCommandBytesOf(MaxEventBytes);

    /// <summary>The longest client command whose entry fits a journal event of <paramref name="maxEventBytes"/> bytes.</summary>
    public static long MaxCommandBytesOf(long maxEventBytes) => maxEventBytes - RaftJournal.EntryFramingBytes;

    /// <summary>
    /// Most journal events one deletion of a cut deletes (<c>akkaraft.persistence.journal.max-cut-events</c>): a longer cut
    /// after a snapshot goes in steps, one after the other, so journal writes run between them.
    /// </summary>
    public long MaxCutEvents { get; init; } = 500;

    /// <summary>The largest snapshot the snapshot store takes (<c>akkaraft.persistence.snapshot-store.max-snapshot-bytes</c>): the peer warns when Raft's own limit is above it.</summary>
    public long MaxSnapshotStoreBytes { get; init; } = 256L * 1024 * 1024;

    /// <summary>The source of the core's election randomness; null for a fresh randomly seeded one per incarnation. Tests pass a seeded one.</summary>
    public Func<IRandomSource>? RandomFactory { get; init; }

    /// <summary>
    /// The node's snapshot port and files (<see cref="Snapshots.SnapshotTransfer"/>): with one, the core's InstallSnapshot
    /// leaves as a <see cref="Snapshots.SnapshotOffer"/> (metadata only) and its bytes are fetched from the port; without,
    /// it travels whole as one peer message (in-process groups, or snapshots well under the remote frame size). The owner
    /// of the setup disposes it; it outlives the peer's restarts.
    /// </summary>
    public Snapshots.SnapshotTransfer? SnapshotTransfer { get; init; }

    /// <summary>Whether the journal takes writes, shared by the peer's incarnations and read by its node.</summary>
    public JournalHealth JournalHealth { get; init; } = new();
}
