using AkkaRaft.Actors.Serialization;
using AkkaRaft.Persistence.Journal;
using AkkaRaft.Persistence.Snapshots;
using AkkaRaft.Raft.Core;
using AkkaRaft.Raft.Peer.Protocol;
using Google.Protobuf;
using PersistenceSnapshotMetadata = AkkaRaft.Persistence.Snapshots.SnapshotMetadata;
using RaftSnapshot = AkkaRaft.Raft.Core.Snapshot;
using RaftSnapshotMetadata = AkkaRaft.Raft.Core.SnapshotMetadata;
using AkkaRaft.Raft.Protos;

namespace AkkaRaft.Raft.Peer;

/// <summary>The durable part of one <see cref="Ready"/>: the journal batch and, when the log is cut, the snapshot record.</summary>
/// <param name="Events">The events of the batch, sequence numbers assigned (one atomic write, one fsync); empty when none.</param>
/// <param name="SnapshotRecord">The snapshot record to save at the batch's last sequence number, then delete the events up to it; or null.</param>
/// <param name="SnapshotSequenceNr">That sequence number.</param>
internal sealed record JournalBatch(IReadOnlyList<PersistentEvent> Events, SerializedMessage? SnapshotRecord, long SnapshotSequenceNr);

/// <summary>What recovery rebuilt.</summary>
/// <param name="Storage">The log, hard state and snapshot as durably stored.</param>
/// <param name="RecoveredEvents">Journal events replayed.</param>
/// <param name="HighestSequenceNr">The highest journal sequence number (the next event gets this + 1).</param>
internal sealed record RecoveredLog(MemoryStorage Storage, long RecoveredEvents, long HighestSequenceNr);

/// <summary>
/// The journal format of a <see cref="RaftPeer"/>: the Raft log and hard state as protobuf journal events, the
/// snapshot record in the snapshot store, and recovery from both. The persistence id is the peer's.
/// </summary>
/// <remarks>
/// A Ready becomes one atomic journal write: <c>LogTruncated</c> (when it replaces stored entries),
/// <c>EntriesAppended</c>, <c>HardStateSet</c>. A Ready that cuts the log (a local compaction, or a snapshot
/// installed from the leader) adds <c>SnapshotTaken</c>; the snapshot record (state-machine snapshot, hard state
/// and the log tail after the snapshot) is then saved at that event's sequence number and the events up to it
/// are deleted. For an installed snapshot only <c>SnapshotTaken</c> is journaled: its entries follow the
/// snapshot, so they must not be replayed without it. A <c>SnapshotTaken</c> with no record at its sequence
/// number (a crash between the two writes) is skipped on recovery: nothing depending on it was sent.
/// </remarks>
internal sealed class RaftJournal
{
    /// <summary>The manifest of journal events.</summary>
    public const string EventManifest = "akkaraft.raft.peer.RaftJournalEvent";

    /// <summary>The manifest of snapshot records.</summary>
    public const string SnapshotManifest = "akkaraft.raft.peer.PeerSnapshotRecord";

    private readonly string _persistenceId;
    private readonly IJournal _journal;
    private readonly ISnapshotStore _snapshots;
    private long _highestSequenceNr;

    public RaftJournal(string persistenceId, IJournal journal, ISnapshotStore snapshots)
    {
        _persistenceId = persistenceId;
        _journal = journal;
        _snapshots = snapshots;
    }

    /// <summary>The journal's counters (transactions and fsyncs).</summary>
    public JournalCounters Counters => _journal.Counters;

    /// <summary>
    /// Rebuilds the stored state: the latest snapshot record, then every event after it. A peer that has never
    /// written anything and is a founding member (<paramref name="initialVoters"/> not empty) journals the
    /// bootstrap entries first (one AddVoter per founder, all committed, as every founder writes them).
    /// </summary>
    /// <exception cref="InvalidDataException">A stored event or record is not of this format.</exception>
    public async Task<RecoveredLog> RecoverAsync(IReadOnlyList<ulong> initialVoters, CancellationToken cancellationToken)
    {
        var storage = new MemoryStorage(RaftSnapshot.Initial(ConfState.Empty));
        long from = 1;
        var selected = await _snapshots.LoadAsync(_persistenceId, SnapshotSelectionCriteria.Latest, cancellationToken);
        long recordSequenceNr = 0;
        if (selected is not null)
        {
            if (selected.Snapshot.Manifest != SnapshotManifest)
                throw new InvalidDataException($"snapshot of '{_persistenceId}' at {selected.Metadata.SequenceNr} has manifest '{selected.Snapshot.Manifest}', expected '{SnapshotManifest}'");
            storage = FromRecord(PeerSnapshotRecord.Parser.ParseFrom(selected.Snapshot.Payload.Span));
            recordSequenceNr = selected.Metadata.SequenceNr;
            from = recordSequenceNr + 1;
        }
        long replayed = 0;
        long highest = recordSequenceNr;
        await foreach (var stored in _journal.ReplayAsync(_persistenceId, from, long.MaxValue, long.MaxValue, cancellationToken))
        {
            if (stored.Payload.Manifest != EventManifest)
                throw new InvalidDataException($"journal event {stored.SequenceNr} of '{_persistenceId}' has manifest '{stored.Payload.Manifest}', expected '{EventManifest}'");
            Replay(storage, RaftJournalEvent.Parser.ParseFrom(stored.Payload.Payload.Span), stored.SequenceNr);
            replayed++;
            highest = stored.SequenceNr;
        }
        highest = Math.Max(highest, await _journal.ReadHighestSequenceNrAsync(_persistenceId, cancellationToken));
        _highestSequenceNr = highest;
        if (highest == 0 && initialVoters.Count > 0)
        {
            var founders = MemoryStorage.ForNewCluster([.. initialVoters]);
            var bootstrap = new List<RaftJournalEvent>
            {
                AppendedEvent(founders.Entries(founders.FirstIndex, founders.LastIndex + 1, long.MaxValue)),
                HardStateEvent(founders.HardState),
            };
            await _journal.WriteAsync(new AtomicWrite(Assign(bootstrap)), cancellationToken);
            return new RecoveredLog(founders, replayed, _highestSequenceNr);
        }
        return new RecoveredLog(storage, replayed, highest);
    }

    /// <summary>
    /// Turns the durable part of <paramref name="ready"/> into a journal batch (assigning sequence numbers) and, when
    /// it cuts the log, the snapshot record built from <paramref name="durable"/> with the Ready applied. Called from
    /// the actor; the returned batch is then written by <see cref="WriteAsync"/> off the actor.
    /// </summary>
    public JournalBatch Prepare(Ready ready, MemoryStorage durable)
    {
        var events = new List<RaftJournalEvent>(4);
        var cutsLog = ready.Snapshot is not null || ready.Compaction is not null;
        if (ready.Snapshot is null)
        {
            if (ready.Entries.Count > 0)
            {
                var first = ready.Entries[0].Index;
                if (first <= durable.LastIndex) events.Add(new RaftJournalEvent { LogTruncated = new LogTruncated { AfterIndex = first - 1 } });
                events.Add(AppendedEvent(ready.Entries));
            }
            if (ready.HardState is { } hard) events.Add(HardStateEvent(hard));
        }
        if (!cutsLog) return new JournalBatch(events.Count == 0 ? [] : Assign(events), null, 0);

        var after = Clone(durable);
        after.Save(ready);
        var snapshot = after.Snapshot;
        events.Add(new RaftJournalEvent { SnapshotTaken = new SnapshotTaken { Index = snapshot.Metadata.Index, Term = snapshot.Metadata.Term } });
        var assigned = Assign(events);
        var record = ToRecord(after);
        return new JournalBatch(assigned, new SerializedMessage(ProtobufSerializer.Id, SnapshotManifest, record.ToByteArray()), assigned[^1].SequenceNr);
    }

    /// <summary>Writes <paramref name="batch"/>: the events in one atomic write, then the snapshot record and the deletion it allows.</summary>
    public async Task WriteAsync(JournalBatch batch, DateTimeOffset now)
    {
        if (batch.Events.Count > 0) await _journal.WriteAsync(new AtomicWrite(batch.Events)).ConfigureAwait(false);
        if (batch.SnapshotRecord is not { } record) return;
        await _snapshots.SaveAsync(PersistenceSnapshotMetadata.Create(_persistenceId, batch.SnapshotSequenceNr, now), record).ConfigureAwait(false);
        await _journal.DeleteMessagesToAsync(_persistenceId, batch.SnapshotSequenceNr).ConfigureAwait(false);
        await _snapshots.DeleteAsync(_persistenceId, new SnapshotSelectionCriteria(batch.SnapshotSequenceNr - 1)).ConfigureAwait(false);
    }

    private List<PersistentEvent> Assign(List<RaftJournalEvent> events)
    {
        var result = new List<PersistentEvent>(events.Count);
        foreach (var e in events)
        {
            var payload = new SerializedMessage(ProtobufSerializer.Id, EventManifest, e.ToByteArray());
            result.Add(new PersistentEvent(_persistenceId, ++_highestSequenceNr, payload));
        }
        return result;
    }

    private static RaftJournalEvent AppendedEvent(IReadOnlyList<Entry> entries)
    {
        var appended = new EntriesAppended();
        foreach (var entry in entries) appended.Entries.Add(RaftProtoTypes.ToProto(entry));
        return new RaftJournalEvent { EntriesAppended = appended };
    }

    private static RaftJournalEvent HardStateEvent(HardState hard) =>
        new() { HardState = new HardStateSet { Term = hard.Term, Vote = hard.Vote, Commit = hard.Commit } };

    private void Replay(MemoryStorage storage, RaftJournalEvent e, long sequenceNr)
    {
        switch (e.EventCase)
        {
            case RaftJournalEvent.EventOneofCase.EntriesAppended:
                storage.Append(RaftProtoTypes.ToEntries(e.EntriesAppended.Entries));
                break;
            case RaftJournalEvent.EventOneofCase.LogTruncated:
                // The EntriesAppended that follows in the same batch replaces the tail; check it is where it says.
                if (e.LogTruncated.AfterIndex > storage.LastIndex)
                    throw new InvalidDataException($"journal event {sequenceNr} of '{_persistenceId}' truncates after {e.LogTruncated.AfterIndex}, past the last index {storage.LastIndex}");
                break;
            case RaftJournalEvent.EventOneofCase.HardState:
                storage.SetHardState(new HardState(e.HardState.Term, e.HardState.Vote, e.HardState.Commit));
                break;
            case RaftJournalEvent.EventOneofCase.SnapshotTaken:
                // Its record was not saved (a crash between the two writes): the log before it stands.
                break;
            default:
                throw new InvalidDataException($"journal event {sequenceNr} of '{_persistenceId}' holds no event");
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
            StateMachine = ByteString.CopyFrom(snapshot.Data),
            HardState = new HardStateSet { Term = hard.Term, Vote = hard.Vote, Commit = hard.Commit },
        };
        if (storage.LastIndex >= storage.FirstIndex)
        {
            foreach (var entry in storage.Entries(storage.FirstIndex, storage.LastIndex + 1, long.MaxValue)) record.Tail.Add(RaftProtoTypes.ToProto(entry));
        }
        return record;
    }

    private static MemoryStorage FromRecord(PeerSnapshotRecord record)
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
