using AkkaRaft.Raft.Core;

namespace AkkaRaft.Raft.Peer;

// Log compaction (Raft §7): after max-log-count entries or max-log-bytes of them have been handed to the state
// machine since the last snapshot, the state machine is asked for a snapshot; the core then cuts the log at its
// index in the next Ready, whose batch saves the snapshot record and deletes the journal up to it. A snapshot larger
// than max-log-bytes is taken again only once the log has grown by log-to-snapshot-ratio times its size (or by
// max-log-bytes-ceiling, the log being held in memory until then): a snapshot writes the whole state, so without that
// a store that only grows (a time series) would rewrite all of itself every max-log-bytes.
internal sealed partial class PeerLogic<TClient>
{
    private long _appliedSinceSnapshot;
    private long _appliedBytesSinceSnapshot;
    private long _lastSnapshotBytes;
    private bool _snapshotRequested;

    /// <summary>
    /// The state machine's snapshot asked for by <see cref="PeerEffectKind.TakeStateMachineSnapshot"/>: everything up to
    /// <paramref name="index"/> applied, as <paramref name="data"/>.
    /// </summary>
    /// <exception cref="RaftInvariantException">No snapshot was asked for, or it covers entries never handed over.</exception>
    public PeerEffects<TClient> StateMachineSnapshotTaken(ulong index, byte[] data, TimeSpan now)
    {
        ArgumentNullException.ThrowIfNull(data);
        Begin(now);
        if (!_snapshotRequested)
            throw new RaftInvariantException("a state machine snapshot comes only when asked for", $"peer {_id}: snapshot at {index} not asked for");
        if (index > _handedIndex)
            throw new RaftInvariantException("a state machine snapshot covers only entries handed to it", $"peer {_id}: snapshot at {index}, handed up to {_handedIndex}");
        _snapshotRequested = false;
        // Compaction may be refused (one already pending, or the index not past the current snapshot, say after a
        // snapshot from the leader was installed meanwhile): the next trigger retries.
        if (_node!.CompactLog(index, data)) ResetSnapshotTrigger(data.Length);
        Pump();
        return Done();
    }

    /// <summary>
    /// A leader offers a snapshot whose bytes are on its snapshot port. One that covers no more than this peer has
    /// committed is answered by the core at once (its data is never looked at: the core acknowledges what it holds);
    /// one from an older term is dropped, as the core would drop it; any other is fetched.
    /// </summary>
    private void OnSnapshotOffered(Snapshots.SnapshotOffer offer)
    {
        if (offer.Term < _node!.Term) return;
        if (offer.Metadata.Index <= _node.CommitIndex)
        {
            _node.Step(new InstallSnapshot(offer.From, offer.To, offer.Term, new Snapshot(offer.Metadata, [])));
            return;
        }
        _effects.Add(PeerEffect<TClient>.FetchSnapshot(offer));
    }

    private void MaybeRequestSnapshot()
    {
        if (_snapshotRequested) return;
        if (_appliedSinceSnapshot < _settings.MaxLogCount && _appliedBytesSinceSnapshot < _settings.MaxLogBytes) return;
        if (_lastSnapshotBytes > _settings.MaxLogBytes
            && _appliedBytesSinceSnapshot < Math.Min(_settings.LogToSnapshotRatio * _lastSnapshotBytes, _settings.MaxLogBytesCeiling)) return;
        _snapshotRequested = true;
        _effects.Add(PeerEffect<TClient>.TakeSnapshot());
    }

    /// <summary>Counts the log from zero again after a snapshot of <paramref name="snapshotBytes"/> was taken or installed.</summary>
    private void ResetSnapshotTrigger(long snapshotBytes)
    {
        _lastSnapshotBytes = snapshotBytes;
        _appliedSinceSnapshot = 0;
        _appliedBytesSinceSnapshot = 0;
    }
}
