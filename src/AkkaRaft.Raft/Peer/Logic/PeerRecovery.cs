using AkkaRaft.Raft.Core;
using AkkaRaft.Raft.Peer.Protocol;

namespace AkkaRaft.Raft.Peer;

/// <summary>What a peer recovered from its journal and snapshot store, to start a <see cref="PeerLogic{TClient}"/> from.</summary>
/// <param name="Storage">The Raft log, hard state and snapshot the journal describes.</param>
/// <param name="LastSequenceNr">The highest sequence number the journal ever gave this peer (0: it never wrote anything).</param>
/// <param name="RecoveredEvents">Journal events replayed on top of the snapshot record.</param>
internal sealed record RecoveredPeer(MemoryStorage Storage, long LastSequenceNr, long RecoveredEvents)
{
    /// <summary>A peer whose journal and snapshot store hold nothing.</summary>
    public static RecoveredPeer Empty() => new(RaftJournal.EmptyStorage(), 0, 0);
}

/// <summary>
/// Rebuilds a peer's storage from what its snapshot store and journal hold: the newest snapshot record (if any),
/// then every journal event after it, in order. The actor shell feeds it from its recovery handlers; the simulation
/// from its simulated disk. Checks every event against the log it is replayed onto.
/// </summary>
internal sealed class PeerRecovery
{
    private readonly string _persistenceId;
    private MemoryStorage _storage = RaftJournal.EmptyStorage();
    private long _offeredSequenceNr;
    private long _lastReplayedSequenceNr;
    private long _events;
    private bool _completed;

    /// <summary>Recovery of the peer whose journal is <paramref name="persistenceId"/> (named in error messages).</summary>
    public PeerRecovery(string persistenceId) => _persistenceId = persistenceId;

    /// <summary>The newest snapshot record, saved at <paramref name="sequenceNr"/>; comes before any event.</summary>
    /// <exception cref="InvalidDataException">An event was replayed already, or a record came twice.</exception>
    public void Offer(PeerSnapshotRecord record, long sequenceNr)
    {
        ArgumentNullException.ThrowIfNull(record);
        CheckOpen();
        if (_events > 0 || _offeredSequenceNr > 0)
            throw new InvalidDataException($"the snapshot record of '{_persistenceId}' at {sequenceNr} came after recovery had started (events {_events}, record at {_offeredSequenceNr})");
        _storage = RaftJournal.FromRecord(record);
        _offeredSequenceNr = sequenceNr;
        _lastReplayedSequenceNr = sequenceNr;
    }

    /// <summary>Replays journal event <paramref name="sequenceNr"/>.</summary>
    /// <exception cref="InvalidDataException">The event does not follow the previous one or does not fit the log.</exception>
    public void Replay(RaftJournalEvent journalEvent, long sequenceNr)
    {
        ArgumentNullException.ThrowIfNull(journalEvent);
        CheckOpen();
        if (sequenceNr <= _lastReplayedSequenceNr)
            throw new InvalidDataException($"journal event {sequenceNr} of '{_persistenceId}' replayed after event {_lastReplayedSequenceNr}: events replay in increasing order after the snapshot record");
        RaftJournal.Replay(_storage, journalEvent, sequenceNr, _persistenceId);
        _lastReplayedSequenceNr = sequenceNr;
        _events++;
    }

    /// <summary>Recovery is over; <paramref name="lastSequenceNr"/> is the highest sequence number of the journal (deleted events count).</summary>
    /// <exception cref="InvalidDataException">The journal's highest sequence number is below what was replayed.</exception>
    public RecoveredPeer Complete(long lastSequenceNr)
    {
        CheckOpen();
        if (lastSequenceNr < _lastReplayedSequenceNr)
            throw new InvalidDataException($"the journal of '{_persistenceId}' says its highest sequence number is {lastSequenceNr}, but event {_lastReplayedSequenceNr} was recovered");
        _completed = true;
        return new RecoveredPeer(_storage, lastSequenceNr, _events);
    }

    private void CheckOpen()
    {
        if (_completed) throw new InvalidOperationException($"the recovery of '{_persistenceId}' is complete already");
    }
}
