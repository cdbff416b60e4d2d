using AkkaRaft.Actors.Serialization;
using AkkaRaft.Persistence.Journal;
using AkkaRaft.Persistence.Snapshots;

namespace AkkaRaft.Persistence.InMemory;

/// <summary>
/// The simulated disk of one node: the journal events and snapshots that <see cref="InMemoryJournal"/> and
/// <see cref="InMemorySnapshotStore"/> keep. It outlives the plugins that use it, so a "restarted" node gets new plugin
/// instances over the same store.
/// <para>
/// The fsync switch: with <see cref="FsyncOnWrite"/> on, every change is flushed before it is acknowledged. With it
/// off, changes are visible at once but stay unflushed until <see cref="Flush"/>; <see cref="Crash"/> then throws away
/// every unflushed change, newest first, exactly as a power loss would. Thread-safe.
/// </para>
/// </summary>
public sealed class InMemoryStore
{
    private readonly object _gate = new();
    private readonly Dictionary<string, EventLog> _events = new(StringComparer.Ordinal);
    private readonly Dictionary<string, SortedDictionary<long, StoredSnapshot>> _snapshots = new(StringComparer.Ordinal);

    // Undo actions of the changes made since the last flush, oldest first.
    private readonly List<Action> _unflushed = new();

    /// <summary>Creates an empty store.</summary>
    /// <param name="fsyncOnWrite">Whether each change is flushed before it is acknowledged (true models a disk with fsync).</param>
    public InMemoryStore(bool fsyncOnWrite = true)
    {
        FsyncOnWrite = fsyncOnWrite;
    }

    /// <summary>Whether every change is flushed before it is acknowledged.</summary>
    public bool FsyncOnWrite { get; }

    /// <summary>How many changes a <see cref="Crash"/> would lose now.</summary>
    public int UnflushedChanges
    {
        get
        {
            lock (_gate)
            {
                return _unflushed.Count;
            }
        }
    }

    /// <summary>Makes every change so far durable; returns how many changes were flushed.</summary>
    public int Flush()
    {
        lock (_gate)
        {
            var count = _unflushed.Count;
            _unflushed.Clear();
            return count;
        }
    }

    /// <summary>Simulates a power loss: every change since the last flush is lost. Returns how many were lost.</summary>
    public int Crash()
    {
        lock (_gate)
        {
            var count = _unflushed.Count;
            for (var i = count - 1; i >= 0; i--)
            {
                _unflushed[i]();
            }

            _unflushed.Clear();
            return count;
        }
    }

    /// <summary>
    /// Flips bits of a stored event's payload without updating its checksum, as a failing disk would (fault injection
    /// for tests and simulations). Returns false when there is no such event.
    /// </summary>
    public bool CorruptEvent(string persistenceId, long sequenceNr)
    {
        lock (_gate)
        {
            if (!_events.TryGetValue(persistenceId, out var log) || !log.Rows.TryGetValue(sequenceNr, out var row))
            {
                return false;
            }

            log.Rows[sequenceNr] = row with { Payload = Flipped(row.Payload) };
            return true;
        }
    }

    /// <summary>Flips bits of a stored snapshot without updating its checksum. Returns false when there is no such snapshot.</summary>
    public bool CorruptSnapshot(string persistenceId, long sequenceNr)
    {
        lock (_gate)
        {
            if (!_snapshots.TryGetValue(persistenceId, out var snapshots) || !snapshots.TryGetValue(sequenceNr, out var row))
            {
                return false;
            }

            snapshots[sequenceNr] = row with { Payload = Flipped(row.Payload) };
            return true;
        }
    }

    internal void Write(IReadOnlyList<AtomicWrite> writes)
    {
        lock (_gate)
        {
            // Check every write before changing anything: the whole list is one atomic transaction.
            var seen = new HashSet<(string, long)>();
            foreach (var write in writes)
            {
                _events.TryGetValue(write.PersistenceId, out var log);
                foreach (var e in write.Events)
                {
                    if ((log is not null && log.Rows.ContainsKey(e.SequenceNr)) || !seen.Add((e.PersistenceId, e.SequenceNr)))
                    {
                        throw new JournalWriteException(
                            $"The inmem journal already holds sequence number {e.SequenceNr} of persistence id '{e.PersistenceId}'; nothing of the write was stored.");
                    }
                }
            }

            foreach (var write in writes)
            {
                if (!_events.TryGetValue(write.PersistenceId, out var log))
                {
                    log = new EventLog();
                    _events.Add(write.PersistenceId, log);
                }

                var previousHighest = log.Highest;
                foreach (var e in write.Events)
                {
                    var payload = e.Payload.Payload.ToArray();
                    var crc = Checksums.ForEvent(e.PersistenceId, e.SequenceNr, e.Payload.SerializerId, e.Payload.Manifest, payload);
                    log.Keys.Add(e.SequenceNr);
                    log.Rows.Add(e.SequenceNr, new StoredRow(e.Payload.SerializerId, e.Payload.Manifest, payload, crc));
                    log.Highest = Math.Max(log.Highest, e.SequenceNr);
                }

                RecordUndo(() =>
                {
                    foreach (var e in write.Events)
                    {
                        log.Keys.Remove(e.SequenceNr);
                        log.Rows.Remove(e.SequenceNr);
                    }

                    log.Highest = previousHighest;
                });
            }
        }
    }

    /// <summary>
    /// Reads events in order; stops at the first row that fails its checksum and returns the error for it, so the
    /// caller can hand out the good events before it and then throw.
    /// </summary>
    internal (List<PersistentEvent> Events, JournalCorruptedException? Corruption) Read(
        string persistenceId, long fromSequenceNr, long toSequenceNr, long max)
    {
        var result = new List<PersistentEvent>();
        lock (_gate)
        {
            if (max <= 0 || fromSequenceNr > toSequenceNr || !_events.TryGetValue(persistenceId, out var log))
            {
                return (result, null);
            }

            foreach (var sequenceNr in log.Keys.GetViewBetween(fromSequenceNr, toSequenceNr))
            {
                var row = log.Rows[sequenceNr];
                try
                {
                    result.Add(Checksums.VerifiedEvent("inmem", persistenceId, sequenceNr, row.SerializerId, row.Manifest, row.Payload, row.Crc));
                }
                catch (JournalCorruptedException corrupted)
                {
                    // The events before the corrupt one are returned with the error, as the SQL plugins' readers do.
                    return (result, corrupted);
                }

                if (result.Count >= max)
                {
                    break;
                }
            }
        }

        return (result, null);
    }

    internal long Highest(string persistenceId)
    {
        lock (_gate)
        {
            return _events.TryGetValue(persistenceId, out var log) ? log.Highest : 0;
        }
    }

    internal void DeleteTo(string persistenceId, long toSequenceNr)
    {
        lock (_gate)
        {
            if (!_events.TryGetValue(persistenceId, out var log) || log.Keys.Count == 0 || toSequenceNr < log.Keys.Min)
            {
                return;
            }

            var removed = new List<(long, StoredRow)>();
            foreach (var sequenceNr in log.Keys.GetViewBetween(log.Keys.Min, toSequenceNr))
            {
                removed.Add((sequenceNr, log.Rows[sequenceNr]));
            }

            foreach (var (sequenceNr, _) in removed)
            {
                log.Keys.Remove(sequenceNr);
                log.Rows.Remove(sequenceNr);
            }

            RecordUndo(() =>
            {
                foreach (var (sequenceNr, row) in removed)
                {
                    log.Keys.Add(sequenceNr);
                    log.Rows.Add(sequenceNr, row);
                }
            });
        }
    }

    internal void SaveSnapshot(SnapshotMetadata metadata, SerializedMessage snapshot)
    {
        lock (_gate)
        {
            if (!_snapshots.TryGetValue(metadata.PersistenceId, out var snapshots))
            {
                snapshots = new SortedDictionary<long, StoredSnapshot>();
                _snapshots.Add(metadata.PersistenceId, snapshots);
            }

            var payload = snapshot.Payload.ToArray();
            var crc = Checksums.ForSnapshot(
                metadata.PersistenceId, metadata.SequenceNr, metadata.TimestampUnixMs, snapshot.SerializerId, snapshot.Manifest, payload);
            var had = snapshots.TryGetValue(metadata.SequenceNr, out var previous);
            snapshots[metadata.SequenceNr] = new StoredSnapshot(metadata.TimestampUnixMs, snapshot.SerializerId, snapshot.Manifest, payload, crc);
            RecordUndo(() =>
            {
                if (had)
                {
                    snapshots[metadata.SequenceNr] = previous!;
                }
                else
                {
                    snapshots.Remove(metadata.SequenceNr);
                }
            });
        }
    }

    internal SelectedSnapshot? LoadSnapshot(string persistenceId, SnapshotSelectionCriteria criteria)
    {
        lock (_gate)
        {
            if (!_snapshots.TryGetValue(persistenceId, out var snapshots))
            {
                return null;
            }

            foreach (var (sequenceNr, row) in snapshots.Reverse())
            {
                var metadata = new SnapshotMetadata(persistenceId, sequenceNr, DateTimeOffset.FromUnixTimeMilliseconds(row.TimestampUnixMs));
                if (!criteria.Matches(metadata))
                {
                    continue;
                }

                return Checksums.VerifiedSnapshot(
                    "inmem", persistenceId, sequenceNr, row.TimestampUnixMs, row.SerializerId, row.Manifest, row.Payload, row.Crc);
            }

            return null;
        }
    }

    internal void DeleteSnapshots(string persistenceId, Func<SnapshotMetadata, bool> selected)
    {
        lock (_gate)
        {
            if (!_snapshots.TryGetValue(persistenceId, out var snapshots))
            {
                return;
            }

            var removed = new List<(long, StoredSnapshot)>();
            foreach (var (sequenceNr, row) in snapshots)
            {
                if (selected(new SnapshotMetadata(persistenceId, sequenceNr, DateTimeOffset.FromUnixTimeMilliseconds(row.TimestampUnixMs))))
                {
                    removed.Add((sequenceNr, row));
                }
            }

            foreach (var (sequenceNr, _) in removed)
            {
                snapshots.Remove(sequenceNr);
            }

            RecordUndo(() =>
            {
                foreach (var (sequenceNr, row) in removed)
                {
                    snapshots[sequenceNr] = row;
                }
            });
        }
    }

    private void RecordUndo(Action undo)
    {
        if (!FsyncOnWrite)
        {
            _unflushed.Add(undo);
        }
    }

    private static byte[] Flipped(byte[] payload)
    {
        var copy = payload.Length == 0 ? new byte[1] : (byte[])payload.Clone();
        copy[copy.Length / 2] ^= 0xA5;
        return copy;
    }

    private sealed class EventLog
    {
        public SortedSet<long> Keys { get; } = new();

        public Dictionary<long, StoredRow> Rows { get; } = new();

        public long Highest { get; set; }
    }

    private sealed record StoredRow(int SerializerId, string Manifest, byte[] Payload, uint Crc);

    private sealed record StoredSnapshot(long TimestampUnixMs, int SerializerId, string Manifest, byte[] Payload, uint Crc);
}
