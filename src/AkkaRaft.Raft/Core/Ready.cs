namespace AkkaRaft.Raft.Core;

/// <summary>
/// What the application must do after feeding the core, in this order:
/// <list type="number">
/// <item>persist <see cref="Snapshot"/> (if any), then <see cref="Entries"/> (dropping stored entries from the
/// first new index on), then <see cref="HardState"/> (if any), then <see cref="Compaction"/> (if any);</item>
/// <item>send <see cref="Messages"/> (only after step 1: votes and acknowledgements depend on it; a leader may
/// send them while its own write is in flight, thesis 10.2.1, because it counts itself only after
/// <see cref="RaftNode.Advance"/>);</item>
/// <item>restore the state machine from <see cref="Snapshot"/> if any, then apply <see cref="CommittedEntries"/>
/// in order, and serve the reads in <see cref="ReadStates"/> once applied up to their index;</item>
/// <item>call <see cref="RaftNode.Advance"/> with this Ready.</item>
/// </list>
/// Collections are never null; they are empty when there is nothing to do.
/// </summary>
public sealed class Ready
{
    internal Ready(
        SoftState? softState, HardState? hardState, IReadOnlyList<ReadState> readStates, IReadOnlyList<Entry> entries,
        Snapshot? snapshot, Snapshot? compaction, IReadOnlyList<Entry> committedEntries, IReadOnlyList<RaftMessage> messages,
        IReadOnlyList<ulong> droppedReads)
    {
        DroppedReads = droppedReads;
        SoftState = softState;
        HardState = hardState;
        ReadStates = readStates;
        Entries = entries;
        Snapshot = snapshot;
        Compaction = compaction;
        CommittedEntries = committedEntries;
        Messages = messages;
    }

    /// <summary>The new leader/role, when it changed since the last Ready.</summary>
    public SoftState? SoftState { get; }

    /// <summary>The hard state to persist, when it changed since the last Ready.</summary>
    public HardState? HardState { get; }

    /// <summary>Confirmed reads (thesis 6.4): serve each once applied up to its index.</summary>
    public IReadOnlyList<ReadState> ReadStates { get; }

    /// <summary>
    /// Contexts of ReadIndex requests this node accepted as leader but will never confirm, because it lost
    /// leadership (or its term changed) first: fail them (the read was not served; the client may retry).
    /// </summary>
    public IReadOnlyList<ulong> DroppedReads { get; }

    /// <summary>Entries to persist, in order.</summary>
    public IReadOnlyList<Entry> Entries { get; }

    /// <summary>A snapshot received from the leader, to persist and restore the state machine from.</summary>
    public Snapshot? Snapshot { get; }

    /// <summary>A snapshot the application asked for with <see cref="RaftNode.CompactLog"/>: save it and drop the entries up to its index.</summary>
    public Snapshot? Compaction { get; }

    /// <summary>Entries committed and not yet handed out: apply them in order.</summary>
    public IReadOnlyList<Entry> CommittedEntries { get; }

    /// <summary>Messages to send once the writes above are durable.</summary>
    public IReadOnlyList<RaftMessage> Messages { get; }

    /// <summary>True when something must be written (and synced) before the messages go out.</summary>
    public bool MustPersist => HardState is not null || Entries.Count > 0 || Snapshot is not null || Compaction is not null;
}
