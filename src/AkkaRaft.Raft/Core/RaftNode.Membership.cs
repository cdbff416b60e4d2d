namespace AkkaRaft.Raft.Core;

// Membership (thesis 4.1): a configuration takes effect as soon as its entry is in the log, committed or
// not, so the history of configurations in the log is kept to roll back when a follower's uncommitted
// tail is replaced, and to know the configuration at any index a snapshot is taken at.
public sealed partial class RaftNode
{
    private readonly List<(ulong Index, ConfState Conf)> _confHistory = new();

    private ulong LatestConfIndex => _confHistory[^1].Index;

    private void LoadConfHistory(SnapshotMetadata snapshot, IRaftStorage storage)
    {
        _confHistory.Clear();
        _confHistory.Add((snapshot.Index, snapshot.ConfState));
        // A restart re-reads the configuration changes in the persisted log (committed or not).
        var conf = snapshot.ConfState;
        var next = storage.FirstIndex;
        var last = storage.LastIndex;
        while (next <= last)
        {
            var batch = storage.Entries(next, last + 1, 4L * 1024 * 1024);
            foreach (var entry in batch)
            {
                if (entry.Type != EntryType.ConfChange) continue;
                conf = ConfChanger.Apply(conf, ConfChange.Decode(entry.Data));
                _confHistory.Add((entry.Index, conf));
            }
            next += (ulong)batch.Length;
        }
        _tracker.SetConfig(conf, last + 1);
    }

    private void ResetConfHistory(ulong index, ConfState conf)
    {
        _confHistory.Clear();
        _confHistory.Add((index, conf));
        ApplyConf(conf);
    }

    /// <summary>Entries from position <paramref name="from"/> were appended: apply the configuration changes among them.</summary>
    private void OnEntriesAppended(IReadOnlyList<Entry> entries, int from)
    {
        var changed = false;
        var conf = _tracker.Conf;
        for (var i = from; i < entries.Count; i++)
        {
            var entry = entries[i];
            if (entry.Type != EntryType.ConfChange) continue;
            conf = ConfChanger.Apply(conf, ConfChange.Decode(entry.Data));
            _confHistory.Add((entry.Index, conf));
            changed = true;
        }
        if (changed) ApplyConf(conf);
    }

    /// <summary>A follower replaced its log from <paramref name="conflictIndex"/> on with the leader's entries.</summary>
    private void OnFollowerEntriesAppended(Entry[] entries, ulong conflictIndex)
    {
        var rolledBack = false;
        while (_confHistory.Count > 1 && _confHistory[^1].Index >= conflictIndex)
        {
            _confHistory.RemoveAt(_confHistory.Count - 1);
            rolledBack = true;
        }
        if (rolledBack) ApplyConf(_confHistory[^1].Conf);
        OnEntriesAppended(entries, (int)(conflictIndex - entries[0].Index));
    }

    private void ApplyConf(ConfState conf)
    {
        _tracker.SetConfig(conf, _log.LastIndex + 1);
        if (_role != RaftRole.Leader) return;
        if (_leadTransferee != RaftIds.None && !_tracker.IsVoter(_leadTransferee)) _leadTransferee = RaftIds.None;
        // A smaller quorum may commit at once; new members need their first probe.
        if (MaybeCommit()) BroadcastAfterCommit();
        _pendingBroadcast = true;
    }

    /// <summary>The configuration in force at <paramref name="index"/>.</summary>
    private ConfState ConfStateAt(ulong index)
    {
        for (var i = _confHistory.Count - 1; i >= 0; i--)
        {
            if (_confHistory[i].Index <= index) return _confHistory[i].Conf;
        }
        return _confHistory[0].Conf;
    }

    /// <summary>After compaction to <paramref name="index"/>, only the configuration in force there is still needed as the base.</summary>
    private void TrimConfHistory(ulong index)
    {
        var keepFrom = 0;
        for (var i = 0; i < _confHistory.Count; i++)
        {
            if (_confHistory[i].Index <= index) keepFrom = i;
        }
        if (keepFrom > 0) _confHistory.RemoveRange(0, keepFrom);
    }
}
