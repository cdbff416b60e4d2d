using AkkaRaft.Raft.Core;
using AkkaRaft.Raft.Peer.Protocol;
using AkkaRaft.Raft.Protos;
using Google.Protobuf;
using RaftSnapshot = AkkaRaft.Raft.Core.Snapshot;
using RaftSnapshotMetadata = AkkaRaft.Raft.Core.SnapshotMetadata;

namespace AkkaRaft.Raft.Peer;

/// <summary>The journal events of one <see cref="Ready"/> and, when it cuts the log, the snapshot record to save after them.</summary>
/// <param name="Events">The events, written as one atomic write (one fsync).</param>
/// <param name="SnapshotRecord">The snapshot record to save at the last event's sequence number (then the events up to it are deleted); or null.</param>
internal sealed record JournalBatch(IReadOnlyList<RaftJournalEvent> Events, PeerSnapshotRecord? SnapshotRecord);

/// <summary>
/// The journal format of a <see cref="RaftPeer"/>: the Raft log and hard state as protobuf journal events, and the
/// snapshot record it saves in the snapshot store. The peer persists them (it is a persistent actor) and rebuilds its
/// storage from them on recovery.
/// </summary>
/// <remarks>
/// A Ready becomes one atomic journal write: <c>LogTruncated</c> (when it replaces stored entries),
/// <c>EntriesAppended</c> (one or more, each at most <see cref="MaxEntriesBytesPerEvent"/> of entries, so no event
/// outgrows the journal's event limit), <c>HardStateSet</c>. A Ready that cuts the log (a local compaction, or a
/// snapshot installed from the leader) adds <c>SnapshotTaken</c>; the snapshot record (state-machine snapshot, hard
/// state and the log tail after the snapshot) is then saved at that event's sequence number and the events up to it
/// are deleted. For an installed snapshot only <c>SnapshotTaken</c> is journaled: its entries follow the snapshot, so
/// they must not be replayed without it. A <c>SnapshotTaken</c> with no record at its sequence number (a crash
/// between the two writes, or a compaction whose record was not written while an earlier one was being saved) is
/// skipped on recovery: the events before it are still in the journal (they are deleted only once a record is saved),
/// and for an installed snapshot nothing depending on it was sent before its record was durable.
/// </remarks>
internal static class RaftJournal
{
    /// <summary>Entry bytes one EntriesAppended event holds at most (one entry always goes, whatever its size).</summary>
    public const long MaxEntriesBytesPerEvent = 1024 * 1024;

    /// <summary>Bytes an entry adds around its command in a journal event (term, index, type, lengths, command header), rounded up.</summary>
    public const int EntryFramingBytes = 128;

    /// <summary>The empty storage a peer starts from before anything is recovered.</summary>
    public static MemoryStorage EmptyStorage() => new(RaftSnapshot.Initial(ConfState.Empty));

    /// <summary>
    /// The storage and journal events of a founding member that has never written anything: one AddVoter per founder,
    /// all committed, as every founder writes them.
    /// </summary>
    public static (MemoryStorage Storage, List<RaftJournalEvent> Events) Bootstrap(IReadOnlyList<ulong> initialVoters)
    {
        var founders = MemoryStorage.ForNewCluster([.. initialVoters]);
        var events = new List<RaftJournalEvent>();
        AddAppended(events, founders.Entries(founders.FirstIndex, founders.LastIndex + 1, long.MaxValue));
        events.Add(HardStateEvent(founders.HardState));
        return (founders, events);
    }

    /// <summary>
    /// Turns the durable part of <paramref name="ready"/> into journal events and, when it cuts the log, the snapshot
    /// record built from <paramref name="durable"/> with the Ready applied.
    /// </summary>
    public static JournalBatch Prepare(Ready ready, MemoryStorage durable)
    {
        var events = new List<RaftJournalEvent>(4);
        var cutsLog = ready.Snapshot is not null || ready.Compaction is not null;
        if (ready.Snapshot is null)
        {
            if (ready.Entries.Count > 0)
            {
                var first = ready.Entries[0].Index;
                if (first <= durable.LastIndex) events.Add(new RaftJournalEvent { LogTruncated = new LogTruncated { AfterIndex = first - 1 } });
                AddAppended(events, ready.Entries);
            }
            if (ready.HardState is { } hard) events.Add(HardStateEvent(hard));
        }
        if (!cutsLog) return new JournalBatch(events, null);

        var after = Clone(durable);
        after.Save(ready);
        var snapshot = after.Snapshot;
        events.Add(new RaftJournalEvent { SnapshotTaken = new SnapshotTaken { Index = snapshot.Metadata.Index, Term = snapshot.Metadata.Term } });
        return new JournalBatch(events, ToRecord(after));
    }

    /// <summary>Appends the entries as EntriesAppended events of at most <see cref="MaxEntriesBytesPerEvent"/> each.</summary>
    private static void AddAppended(List<RaftJournalEvent> events, IReadOnlyList<Entry> entries)
    {
        EntriesAppended? current = null;
        long bytes = 0;
        foreach (var entry in entries)
        {
            var proto = RaftProtoTypes.ToProto(entry);
            var size = proto.CalculateSize();
            if (current is null || (bytes > 0 && bytes + size > MaxEntriesBytesPerEvent))
            {
                current = new EntriesAppended();
                events.Add(new RaftJournalEvent { EntriesAppended = current });
                bytes = 0;
            }
            current.Entries.Add(proto);
            bytes += size;
        }
    }

    private static RaftJournalEvent HardStateEvent(HardState hard) =>
        new() { HardState = new HardStateSet { Term = hard.Term, Vote = hard.Vote, Commit = hard.Commit } };

    /// <summary>Applies a replayed event to <paramref name="storage"/>.</summary>
    /// <exception cref="InvalidDataException">The event does not fit the log it is replayed onto.</exception>
    public static void Replay(MemoryStorage storage, RaftJournalEvent e, long sequenceNr, string persistenceId)
    {
        switch (e.EventCase)
        {
            case RaftJournalEvent.EventOneofCase.EntriesAppended:
                storage.Append(RaftProtoTypes.ToEntries(e.EntriesAppended.Entries));
                break;
            case RaftJournalEvent.EventOneofCase.LogTruncated:
                // The EntriesAppended that follows in the same batch replaces the tail; check it is where it says.
                if (e.LogTruncated.AfterIndex > storage.LastIndex)
                    throw new InvalidDataException($"journal event {sequenceNr} of '{persistenceId}' truncates after {e.LogTruncated.AfterIndex}, past the last index {storage.LastIndex}");
                break;
            case RaftJournalEvent.EventOneofCase.HardState:
                storage.SetHardState(new HardState(e.HardState.Term, e.HardState.Vote, e.HardState.Commit));
                break;
            case RaftJournalEvent.EventOneofCase.SnapshotTaken:
                // Its record was not saved (a crash between the two writes): the log before it stands.
                break;
            default:
                throw new InvalidDataException($"journal event {sequenceNr} of '{persistenceId}' holds no event");
        }
    }

    private static MemoryStorage Clone(MemoryStorage source)
    {
        var copy = new MemoryStorage(source.Snapshot);
        if (source.LastIndex >= source.FirstIndex) copy.Append(source.Entries(source.FirstIndex, source.LastIndex + 1, long.MaxValue));
        copy.SetHardState(source.HardState);
        return copy;
    }

    private static PeerSnapshotRecord ToRecord(MemoryStorage storage)
    {
        var snapshot = storage.Snapshot;
        var conf = snapshot.Metadata.ConfState;
        var hard = storage.HardState;
        var record = new PeerSnapshotRecord
        {
            Index = snapshot.Metadata.Index,
            Term = snapshot.Metadata.Term,
            ConfState = RaftProtoTypes.ToProto(conf),
            // The snapshot's bytes never change once taken: the record refers to them rather than copying tens of MB.
            StateMachine = UnsafeByteOperations.UnsafeWrap(snapshot.Data),
            HardState = new HardStateSet { Term = hard.Term, Vote = hard.Vote, Commit = hard.Commit },
        };
        if (storage.LastIndex >= storage.FirstIndex)
        {
            foreach (var entry in storage.Entries(storage.FirstIndex, storage.LastIndex + 1, long.MaxValue)) record.Tail.Add(RaftProtoTypes.ToProto(entry));
        }
        return record;
    }

    /// <summary>The storage a snapshot record describes.</summary>
    public static MemoryStorage FromRecord(PeerSnapshotRecord record)
    {
        var conf = RaftProtoTypes.ToConfState(record.ConfState);
        var storage = new MemoryStorage(new RaftSnapshot(new RaftSnapshotMetadata(record.Index, record.Term, conf), record.StateMachine.ToByteArray()));
        if (record.Tail.Count > 0)
        {
            storage.Append(RaftProtoTypes.ToEntries(record.Tail));
        }
        var hard = record.HardState ?? new HardStateSet();
        storage.SetHardState(new HardState(hard.Term, hard.Vote, hard.Commit));
        return storage;
    }
}
