namespace AkkaRaft.Raft.Core;

/// <summary>
/// The persisted state as the core sees it: read-only. The application (the actor shell, or a test)
/// writes it from each <see cref="Ready"/> and the core only reads. Indexes are valid in
/// [<see cref="FirstIndex"/> - 1, <see cref="LastIndex"/>] for terms and [<see cref="FirstIndex"/>,
/// <see cref="LastIndex"/>] for entries; the core never asks outside those ranges.
/// </summary>
public interface IRaftStorage
{
    /// <summary>The hard state saved last.</summary>
    HardState HardState { get; }

    /// <summary>Index of the first entry still in the log (the snapshot's index + 1).</summary>
    ulong FirstIndex { get; }

    /// <summary>Index of the last entry (the snapshot's index when the log is empty).</summary>
    ulong LastIndex { get; }

    /// <summary>Term of the entry at <paramref name="index"/>; at FirstIndex - 1, the snapshot's term.</summary>
    /// <exception cref="ArgumentOutOfRangeException">The index is outside [FirstIndex - 1, LastIndex].</exception>
    ulong Term(ulong index);

    /// <summary>
    /// Entries in [<paramref name="lo"/>, <paramref name="hi"/>), at most <paramref name="maxBytes"/> of them
    /// by <see cref="Entry.SizeBytes"/> but always at least one.
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException">The range is outside [FirstIndex, LastIndex + 1).</exception>
    Entry[] Entries(ulong lo, ulong hi, long maxBytes);

    /// <summary>The latest snapshot (index 0 with the initial configuration before the first one).</summary>
    Snapshot Snapshot { get; }
}

/// <summary>
/// An in-memory <see cref="IRaftStorage"/> for tests and the simulation. Its write methods are what the
/// application does with a <see cref="Ready"/>; what it holds is exactly what "survives a crash".
/// </summary>
public sealed class MemoryStorage : IRaftStorage
{
    // _entries[0] is a dummy standing for the snapshot (its index and term), so Term(FirstIndex - 1) works.
    private readonly List<Entry> _entries = new();
    private Snapshot _snapshot;

    /// <summary>Creates storage holding only <paramref name="initial"/> (for a new cluster: <see cref="Snapshot.Initial"/>).</summary>
    public MemoryStorage(Snapshot initial)
    {
        _snapshot = initial;
        _entries.Add(new Entry(initial.Metadata.Term, initial.Metadata.Index, EntryType.Normal, []));
    }

    /// <summary>
    /// Storage for a founding member of a new cluster whose voters are <paramref name="voters"/>: the log starts
    /// with one committed AddVoter entry per voter in term 1 (every founder writes the same ones), so a node
    /// added later learns the whole configuration history from the log.
    /// </summary>
    public static MemoryStorage ForNewCluster(params ulong[] voters)
    {
        var storage = new MemoryStorage(Core.Snapshot.Initial(ConfState.Empty));
        var entries = new Entry[voters.Length];
        for (var i = 0; i < voters.Length; i++)
            entries[i] = new Entry(1, (ulong)i + 1, EntryType.ConfChange, ConfChange.AddVoter(voters[i]).Encode());
        storage.Append(entries);
        storage.SetHardState(new HardState(1, RaftIds.None, (ulong)voters.Length));
        return storage;
    }

    /// <summary>Storage for a node joining an existing cluster: empty log, empty configuration (it learns both from the leader).</summary>
    public static MemoryStorage ForJoiningNode() => new(Core.Snapshot.Initial(ConfState.Empty));

    /// <inheritdoc />
    public HardState HardState { get; private set; }

    /// <inheritdoc />
    public ulong FirstIndex => _entries[0].Index + 1;

    /// <inheritdoc />
    public ulong LastIndex => _entries[0].Index + (ulong)_entries.Count - 1;

    /// <inheritdoc />
    public Snapshot Snapshot => _snapshot;

    /// <summary>Number of entries held (for tests checking compaction).</summary>
    public int EntryCount => _entries.Count - 1;

    /// <inheritdoc />
    public ulong Term(ulong index)
    {
        var offset = _entries[0].Index;
        if (index < offset || index > LastIndex)
            throw new ArgumentOutOfRangeException(nameof(index), index, $"term asked outside [{offset}, {LastIndex}]");
        return _entries[(int)(index - offset)].Term;
    }

    /// <inheritdoc />
    public Entry[] Entries(ulong lo, ulong hi, long maxBytes)
    {
        var offset = _entries[0].Index;
        if (lo <= offset || hi > LastIndex + 1 || lo > hi)
            throw new ArgumentOutOfRangeException(nameof(lo), $"entries asked for [{lo}, {hi}) outside [{offset + 1}, {LastIndex + 1})");
        return RaftLog.LimitBySize(_entries, (int)(lo - offset), (int)(hi - offset), maxBytes);
    }

    /// <summary>Saves the hard state.</summary>
    public void SetHardState(HardState state) => HardState = state;

    /// <summary>Appends entries, first dropping any stored entries at or after the first new index.</summary>
    /// <exception cref="ArgumentException">The entries would leave a gap or overwrite the snapshot.</exception>
    public void Append(IReadOnlyList<Entry> entries)
    {
        if (entries.Count == 0) return;
        var first = entries[0].Index;
        var offset = _entries[0].Index;
        if (first <= offset)
            throw new ArgumentException($"append at {first} would overwrite the snapshot at {offset}", nameof(entries));
        if (first > LastIndex + 1)
            throw new ArgumentException($"append at {first} leaves a gap after last index {LastIndex}", nameof(entries));
        var keep = (int)(first - offset);
        _entries.RemoveRange(keep, _entries.Count - keep);
        for (var i = 0; i < entries.Count; i++) _entries.Add(entries[i]);
    }

    /// <summary>Installs a snapshot received from a leader: the whole log is replaced by it.</summary>
    public void ApplySnapshot(Snapshot snapshot)
    {
        if (snapshot.Metadata.Index <= _snapshot.Metadata.Index)
            throw new ArgumentException($"snapshot at {snapshot.Metadata.Index} is not newer than {_snapshot.Metadata.Index}", nameof(snapshot));
        _snapshot = snapshot;
        _entries.Clear();
        _entries.Add(new Entry(snapshot.Metadata.Term, snapshot.Metadata.Index, EntryType.Normal, []));
    }

    /// <summary>Saves a snapshot taken locally and drops the entries it covers (log compaction).</summary>
    public void Compact(Snapshot snapshot)
    {
        var index = snapshot.Metadata.Index;
        var offset = _entries[0].Index;
        if (index <= offset) return;
        if (index > LastIndex)
            throw new ArgumentException($"compaction to {index} is past the last index {LastIndex}", nameof(snapshot));
        _snapshot = snapshot;
        var drop = (int)(index - offset);
        var dummy = new Entry(_entries[drop].Term, index, EntryType.Normal, []);
        _entries.RemoveRange(0, drop + 1);
        _entries.Insert(0, dummy);
    }

    /// <summary>Does what the application must do with a Ready before sending its messages: snapshot, entries, hard state, compaction.</summary>
    public void Save(Ready ready)
    {
        if (ready.Snapshot is { } snapshot) ApplySnapshot(snapshot);
        Append(ready.Entries);
        if (ready.HardState is { } hardState) SetHardState(hardState);
        if (ready.Compaction is { } compaction) Compact(compaction);
    }
}
