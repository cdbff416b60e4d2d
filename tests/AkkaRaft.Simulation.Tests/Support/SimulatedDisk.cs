using AkkaRaft.Raft.Peer;
using AkkaRaft.Raft.Peer.Protocol;

namespace AkkaRaft.Simulation.Tests.Support;

/// <summary>
/// One peer's journal and snapshot store in the simulation. A write is accepted at once and becomes durable only when
/// its fsync completes, a seeded latency later; only then is it acknowledged. The journal and the snapshot store are
/// two stores (two plugins, often two databases): each completes its own writes in order, but nothing orders a journal
/// write after a snapshot write. <see cref="Crash"/> is a power loss: every write not yet durable is gone and never
/// acknowledged. <see cref="Stop"/> is a process that dies while the machine stays up: what it wrote reaches the disk,
/// but nobody is told.
/// </summary>
/// <remarks>
/// Sequence numbers are the journal's, as Akka.Persistence gives them: consecutive per write, never reused for a
/// durable event, continuing after the highest durable one when a peer recovers (deleted events count).
/// </remarks>
internal sealed class SimulatedDisk
{
    private readonly PeerSimulator _simulator;
    private readonly SimPeer _peer;
    private readonly List<(long SequenceNr, RaftJournalEvent Event)> _events = new();
    private readonly List<(long SequenceNr, PeerSnapshotRecord Record)> _records = new();
    private readonly Lane _journal = new();
    private readonly Lane _snapshotStore = new();
    private long _highestSequenceNr;
    private long _nextSequenceNr = 1;
    private bool _flushScheduled;

    /// <summary>The disk of <paramref name="peer"/>.</summary>
    public SimulatedDisk(PeerSimulator simulator, SimPeer peer)
    {
        _simulator = simulator;
        _peer = peer;
    }

    /// <summary>Longest fsync.</summary>
    public TimeSpan MaxLatency { get; init; } = TimeSpan.FromMilliseconds(8);

    /// <summary>
    /// The bug to catch: acknowledge each write at once and make it durable only at the next periodic flush (every
    /// <see cref="MaxLatency"/>), so a crash loses writes the peer already relied on (a disk cache that lies about fsync).
    /// </summary>
    public bool AcknowledgeBeforeFlush { get; init; }

    /// <summary>When set, the next journal write fails (nothing of it is stored; the peer stops) and the switch turns off.</summary>
    public bool FailNextWrite { get; set; }

    /// <summary>Incremented on every crash and stop: acknowledgements of an earlier epoch are lost.</summary>
    public int Epoch { get; private set; }

    /// <summary>Writes lost by crashes so far.</summary>
    public int LostWrites { get; private set; }

    /// <summary>Journal writes made durable so far (one fsync each).</summary>
    public long JournalWrites { get; private set; }

    /// <summary>Journal events made durable so far.</summary>
    public long JournalEvents { get; private set; }

    /// <summary>The highest sequence number ever made durable.</summary>
    public long HighestSequenceNr => _highestSequenceNr;

    /// <summary>Writes accepted and not yet durable.</summary>
    public int PendingWrites => _journal.Pending.Count + _snapshotStore.Pending.Count;

    // ------------------------------------------------------------------ what the peer does

    /// <summary>Writes one batch of events atomically; when durable, the peer hears <see cref="PeerLogic{TClient}.BatchDurable"/>.</summary>
    public void Persist(IReadOnlyList<RaftJournalEvent> events, long token)
    {
        if (events.Count == 0) throw new InvalidOperationException($"peer {_peer.Id} persisted an empty batch");
        var first = _nextSequenceNr;
        _nextSequenceNr += events.Count;
        var failed = FailNextWrite;
        FailNextWrite = false;
        Accept(_journal, new DiskWrite(DiskWriteKind.Events, Epoch) { Events = events, FirstSequenceNr = first, Token = token, Failed = failed });
    }

    /// <summary>Saves a snapshot record at <paramref name="sequenceNr"/>; when durable, the peer hears <see cref="PeerLogic{TClient}.SnapshotRecordSaved"/>.</summary>
    public void SaveSnapshot(PeerSnapshotRecord record, long sequenceNr)
    {
        if (sequenceNr >= _nextSequenceNr)
            throw new InvalidOperationException($"peer {_peer.Id} saves a snapshot record at {sequenceNr}, past its last event {_nextSequenceNr - 1}");
        Accept(_snapshotStore, new DiskWrite(DiskWriteKind.SnapshotRecord, Epoch) { Record = record, FirstSequenceNr = sequenceNr });
    }

    /// <summary>Deletes the events up to <paramref name="sequenceNr"/> and the snapshot records before it (one write to each store).</summary>
    public void DeleteUpTo(long sequenceNr)
    {
        Accept(_journal, new DiskWrite(DiskWriteKind.DeleteEvents, Epoch) { FirstSequenceNr = sequenceNr });
        Accept(_snapshotStore, new DiskWrite(DiskWriteKind.DeleteRecords, Epoch) { FirstSequenceNr = sequenceNr });
    }

    // ------------------------------------------------------------------ what happens to the machine

    /// <summary>Power loss: writes not yet durable are gone, and no acknowledgement of this epoch arrives any more.</summary>
    public void Crash()
    {
        LostWrites += PendingWrites;
        _journal.Clear();
        _snapshotStore.Clear();
        Epoch++;
        _nextSequenceNr = _highestSequenceNr + 1;
    }

    /// <summary>The peer's process died, the machine did not: what it wrote reaches the disk, unacknowledged.</summary>
    public void Stop()
    {
        FlushAll();
        Epoch++;
        _nextSequenceNr = _highestSequenceNr + 1;
    }

    /// <summary>What a peer starting on this disk recovers: the newest snapshot record and the events after it.</summary>
    public RecoveredPeer Recover(string persistenceId)
    {
        if (PendingWrites > 0) throw new InvalidOperationException($"peer {_peer.Id} recovers while {PendingWrites} writes are in flight");
        var recovery = new PeerRecovery(persistenceId);
        long from = 0;
        if (_records.Count > 0)
        {
            var (sequenceNr, record) = _records[^1];
            // Checked right after it is read: a record is only ever saved after the events up to it.
            if (sequenceNr > _highestSequenceNr)
                throw new InvalidOperationException($"peer {_peer.Id}: snapshot record at {sequenceNr} beyond the journal's highest event {_highestSequenceNr}");
            recovery.Offer(record, sequenceNr);
            from = sequenceNr;
        }
        foreach (var (sequenceNr, journalEvent) in _events)
        {
            if (sequenceNr > from) recovery.Replay(journalEvent, sequenceNr);
        }
        return recovery.Complete(_highestSequenceNr);
    }

    // ------------------------------------------------------------------ the simulated fsync

    private void Accept(Lane lane, DiskWrite write)
    {
        write.Lane = lane;
        lane.Pending.Enqueue(write);
        if (AcknowledgeBeforeFlush)
        {
            // The lie: acknowledged now, durable at the next flush of the page cache.
            _simulator.ScheduleDisk(_peer, _simulator.Now, write);
            if (!_flushScheduled)
            {
                _flushScheduled = true;
                _simulator.ScheduleCall(_simulator.Now + MaxLatency, () =>
                {
                    _flushScheduled = false;
                    FlushAll();
                });
            }
            return;
        }
        // Each store completes its writes in the order they were made: each after the one before it.
        var start = lane.LastCompletion > _simulator.Now ? lane.LastCompletion : _simulator.Now;
        lane.LastCompletion = start + _simulator.Random.Upto(MaxLatency);
        _simulator.ScheduleDisk(_peer, lane.LastCompletion, write);
    }

    /// <summary>The fsync of <paramref name="write"/> completed (or, on a lying disk, its acknowledgement is due).</summary>
    internal void Complete(DiskWrite write)
    {
        if (write.Epoch != Epoch) return;
        if (!AcknowledgeBeforeFlush)
        {
            var head = write.Lane!.Pending.Dequeue();
            if (!ReferenceEquals(head, write)) throw new InvalidOperationException($"peer {_peer.Id}: a store completed its writes out of order");
            if (!write.Failed) MakeDurable(write);
        }
        _simulator.Acknowledge(_peer, write);
    }

    private void FlushAll()
    {
        foreach (var lane in new[] { _journal, _snapshotStore })
        {
            while (lane.Pending.Count > 0)
            {
                var write = lane.Pending.Dequeue();
                if (!write.Failed) MakeDurable(write);
            }
        }
    }

    private void MakeDurable(DiskWrite write)
    {
        switch (write.Kind)
        {
            case DiskWriteKind.Events:
                var events = write.Events!;
                for (var i = 0; i < events.Count; i++) _events.Add((write.FirstSequenceNr + i, events[i]));
                _highestSequenceNr = Math.Max(_highestSequenceNr, write.LastSequenceNr);
                JournalWrites++;
                JournalEvents += events.Count;
                break;
            case DiskWriteKind.SnapshotRecord:
                _records.Add((write.FirstSequenceNr, write.Record!));
                _records.Sort((a, b) => a.SequenceNr.CompareTo(b.SequenceNr));
                break;
            case DiskWriteKind.DeleteEvents:
                _events.RemoveAll(e => e.SequenceNr <= write.FirstSequenceNr);
                break;
            case DiskWriteKind.DeleteRecords:
                _records.RemoveAll(r => r.SequenceNr < write.FirstSequenceNr);
                break;
        }
    }

    /// <summary>The writes of one store, in the order they complete.</summary>
    internal sealed class Lane
    {
        public Queue<DiskWrite> Pending { get; } = new();

        public TimeSpan LastCompletion { get; set; }

        public void Clear()
        {
            Pending.Clear();
            LastCompletion = TimeSpan.Zero;
        }
    }
}

internal enum DiskWriteKind
{
    Events,
    SnapshotRecord,
    DeleteEvents,
    DeleteRecords,
}

/// <summary>One write to a simulated disk, from acceptance to acknowledgement.</summary>
internal sealed class DiskWrite(DiskWriteKind kind, int epoch)
{
    public DiskWriteKind Kind { get; } = kind;

    /// <summary>The disk's epoch when the write was made: a crash or stop since then loses its acknowledgement.</summary>
    public int Epoch { get; } = epoch;

    public IReadOnlyList<RaftJournalEvent>? Events { get; init; }

    public PeerSnapshotRecord? Record { get; init; }

    /// <summary>Events: the first event's sequence number; snapshot record: its sequence number; deletes: the sequence number deleted up to.</summary>
    public long FirstSequenceNr { get; init; }

    public long LastSequenceNr => Kind == DiskWriteKind.Events ? FirstSequenceNr + Events!.Count - 1 : FirstSequenceNr;

    public long Token { get; init; }

    /// <summary>The store it goes to.</summary>
    public SimulatedDisk.Lane? Lane { get; set; }

    /// <summary>The write fails: nothing of it is stored, and the peer stops when told.</summary>
    public bool Failed { get; init; }
}
