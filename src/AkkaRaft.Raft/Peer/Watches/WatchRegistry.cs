using AkkaRaft.Client;
using AkkaRaft.Raft.Core;
using AkkaRaft.Raft.StateMachines;

namespace AkkaRaft.Raft.Peer;

/// <summary>
/// The one-shot watches a peer serves, fired from the entries its state machine applies: each watch fires once, on the
/// first applied entry after its index that changed a key it watches (the <see cref="ApplyResult.ChangedKeys"/>), when
/// its session ends, or when the peer stops leading; then it is gone. Local to the peer, not replicated: a watch lives
/// on the peer that set it (the leader) and dies with it. Deterministic and without a clock, so the simulation runs it
/// as the actor does; the timeouts and the clients' DeathWatch are the actor's, which remove watches through
/// <see cref="Remove"/>.
/// </summary>
/// <remarks>
/// A watch from an index older than what is applied fires at once with the first change after it, found in the history
/// of the last <see cref="WatchSettings.HistoryEntries"/> applied entries' changed keys. From an index older than that
/// history, the first change is not known: a watch on a key that exists and has not changed since (the state machine's
/// <see cref="IKeyVersions"/> says) waits for its next change; any other is refused, since answering a later change
/// would skip the ones before it (and a deleted key leaves no index behind).
/// </remarks>
internal sealed class WatchRegistry
{
    private readonly WatchSettings _settings;
    private readonly SortedDictionary<long, Entry> _watches = new();
    // Exact-key watches by key; prefix watches by prefix, with the lengths of the prefixes watched (a changed key is
    // matched by looking up each of its prefixes of those lengths, not by scanning every prefix watch).
    private readonly Dictionary<string, SortedSet<long>> _byKey = new(StringComparer.Ordinal);
    private readonly Dictionary<string, SortedSet<long>> _byPrefix = new(StringComparer.Ordinal);
    private readonly SortedDictionary<int, int> _prefixLengths = new();
    private readonly Dictionary<long, int> _perSession = new();
    // Each entry's changed keys, and which of them it left absent (null when none: the common case of puts).
    private readonly Queue<(ulong Index, IReadOnlyList<string> Keys, bool[]? Deleted)> _history = new();
    private readonly List<WatchFired> _fired = new();
    private long _lastId;
    // The history holds every change of the entries after this index (up to the last applied one).
    private ulong _historyFrom;

    public WatchRegistry(WatchSettings settings)
    {
        ArgumentNullException.ThrowIfNull(settings);
        _settings = settings;
    }

    /// <summary>How many watches wait.</summary>
    public int Count => _watches.Count;

    /// <summary>
    /// Sets a watch as of <paramref name="applied"/> (the last index applied). Returns the watch's id and null when it
    /// waits; or an answer instead: a <see cref="WatchFired"/> (id 0) when a change after its index is known already,
    /// or a refusal (<see cref="Overloaded"/>, <see cref="RequestRejected"/>).
    /// </summary>
    public (long Id, object? Answer) Add(string key, bool prefix, ulong? afterIndex, long sessionId, ulong applied, IKeyVersions? versions)
    {
        ArgumentNullException.ThrowIfNull(key);
        var after = afterIndex ?? applied;
        if (after < applied)
        {
            if (FiredSince(key, prefix, after, versions) is { } answer) return (0, answer);
        }
        if (_watches.Count >= _settings.MaxWatches)
            return (0, new Overloaded($"{_watches.Count} watches wait on this node (akkaraft.watches.max-watches = {_settings.MaxWatches})"));
        if (sessionId != 0 && _perSession.GetValueOrDefault(sessionId) >= _settings.MaxWatchesPerSession)
            return (0, new Overloaded($"session {sessionId} has {_perSession[sessionId]} watches on this node (akkaraft.watches.max-watches-per-session = {_settings.MaxWatchesPerSession})"));

        var id = ++_lastId;
        _watches.Add(id, new Entry(key, prefix, after, sessionId));
        Index(prefix ? _byPrefix : _byKey, key, id);
        if (prefix) _prefixLengths[key.Length] = _prefixLengths.GetValueOrDefault(key.Length) + 1;
        if (sessionId != 0) _perSession[sessionId] = _perSession.GetValueOrDefault(sessionId) + 1;
        return (id, null);
    }

    /// <summary>The index a waiting watch fires after.</summary>
    public ulong AfterIndexOf(long id) => _watches[id].After;

    /// <summary>What fires at once for a watch from <paramref name="after"/>, or null when it must wait (or is refused: then the refusal).</summary>
    private object? FiredSince(string key, bool prefix, ulong after, IKeyVersions? versions)
    {
        if (after >= _historyFrom)
        {
            foreach (var (index, keys, deleted) in _history)
            {
                if (index <= after) continue;
                for (var i = 0; i < keys.Count; i++)
                {
                    if (Covers(key, prefix, keys[i])) return new WatchFired(0, WatchReason.DataChanged, keys[i], index) { Deleted = deleted?[i] ?? false };
                }
            }
            return null;
        }
        // Older than the history: the first change after the index is not known any more. Only a key that exists and
        // has not changed since the index can wait (its next change is the first). A key that changed since may have
        // changed more than once (its last change is not the first after the index), one that does not exist may have
        // been deleted since, and under a prefix either may have happened: answering the newest change there would skip
        // the changes before it.
        if (!prefix && versions is not null && versions.TryGetLastChange(key, prefix: false, out _, out var changedAt) && changedAt <= after) return null;
        return new RequestRejected(
            $"index {after} is older than this node's watch history (it holds the changes after index {_historyFrom}; akkaraft.watches.history-entries = {_settings.HistoryEntries}), "
            + "so the first change after it is not known: a change or a delete since could be missed"
            + "; read again and watch from the read's index");
    }

    private static bool Covers(string key, bool prefix, string changed) =>
        prefix ? changed.StartsWith(key, StringComparison.Ordinal) : string.Equals(key, changed, StringComparison.Ordinal);

    /// <summary>
    /// The entry at <paramref name="index"/> was applied (and nothing after it yet) and changed
    /// <paramref name="changedKeys"/>: the watches on them fire. <paramref name="versions"/>, when the state machine keeps
    /// them, tells which of the keys the entry left absent (a delete, not a put).
    /// </summary>
    public void Applied(ulong index, IReadOnlyList<string> changedKeys, IKeyVersions? versions = null)
    {
        if (changedKeys.Count == 0) return;
        var deleted = DeletedOf(changedKeys, versions);
        if (_settings.HistoryEntries > 0)
        {
            _history.Enqueue((index, changedKeys, deleted));
            while (_history.Count > _settings.HistoryEntries) _historyFrom = _history.Dequeue().Index;
        }
        else _historyFrom = index;
        if (_watches.Count == 0) return;
        // A watch two changed keys match fires once, with the first of them; in id order, the same on every run.
        SortedDictionary<long, (string Key, bool Deleted)>? firing = null;
        for (var i = 0; i < changedKeys.Count; i++)
        {
            var changed = (changedKeys[i], deleted?[i] ?? false);
            if (_byKey.TryGetValue(changed.Item1, out var exact)) Collect(exact, changed, index, ref firing);
            foreach (var length in _prefixLengths.Keys)
            {
                if (length > changed.Item1.Length) break;
                if (_byPrefix.TryGetValue(changed.Item1[..length], out var under)) Collect(under, changed, index, ref firing);
            }
        }
        if (firing is null) return;
        foreach (var (id, (key, gone)) in firing)
        {
            if (Remove(id)) _fired.Add(new WatchFired(id, WatchReason.DataChanged, key, index) { Deleted = gone });
        }
    }

    /// <summary>Which of <paramref name="keys"/> are absent now, right after their entry; null when none is (or nothing can tell).</summary>
    private static bool[]? DeletedOf(IReadOnlyList<string> keys, IKeyVersions? versions)
    {
        if (versions is null) return null;
        bool[]? deleted = null;
        for (var i = 0; i < keys.Count; i++)
        {
            if (!versions.Exists(keys[i])) (deleted ??= new bool[keys.Count])[i] = true;
        }
        return deleted;
    }

    private void Collect(SortedSet<long> ids, (string Key, bool Deleted) changed, ulong index, ref SortedDictionary<long, (string Key, bool Deleted)>? firing)
    {
        foreach (var id in ids)
        {
            if (_watches[id].After < index) (firing ??= new()).TryAdd(id, changed);
        }
    }

    /// <summary>Session <paramref name="sessionId"/> ended: its watches fire <see cref="WatchReason.SessionExpired"/>.</summary>
    public void SessionEnded(long sessionId)
    {
        if (!_perSession.ContainsKey(sessionId)) return;
        foreach (var id in _watches.Where(w => w.Value.SessionId == sessionId).Select(w => w.Key).ToList())
        {
            Remove(id);
            _fired.Add(new WatchFired(id, WatchReason.SessionExpired, null, 0));
        }
    }

    /// <summary>The peer stopped leading: every watch fires <see cref="WatchReason.LeaderChanged"/>.</summary>
    public void LeadershipLost()
    {
        foreach (var id in _watches.Keys.ToList())
        {
            Remove(id);
            _fired.Add(new WatchFired(id, WatchReason.LeaderChanged, null, 0));
        }
    }

    /// <summary>
    /// The state was replaced by a snapshot at <paramref name="index"/>: the history starts again there. What the
    /// snapshot skipped over is unknown, so waiting watches fire <see cref="WatchReason.LeaderChanged"/> (only a peer that
    /// does not lead installs a snapshot, and watches live on the leader: this is the safe answer should both meet).
    /// </summary>
    public void Restored(ulong index)
    {
        _history.Clear();
        _historyFrom = index;
        LeadershipLost();
    }

    /// <summary>Drops watch <paramref name="id"/> without firing it (it timed out, or its client died); false when it is gone already.</summary>
    public bool Remove(long id)
    {
        if (!_watches.Remove(id, out var watch)) return false;
        var index = watch.Prefix ? _byPrefix : _byKey;
        var ids = index[watch.Key];
        ids.Remove(id);
        if (ids.Count == 0) index.Remove(watch.Key);
        if (watch.Prefix && --_prefixLengths[watch.Key.Length] == 0) _prefixLengths.Remove(watch.Key.Length);
        if (watch.SessionId != 0 && --_perSession[watch.SessionId] == 0) _perSession.Remove(watch.SessionId);
        return true;
    }

    /// <summary>The watches fired since the last call, in order; the list is emptied.</summary>
    public List<WatchFired> TakeFired()
    {
        var fired = new List<WatchFired>(_fired);
        _fired.Clear();
        return fired;
    }

    private static void Index(Dictionary<string, SortedSet<long>> index, string key, long id)
    {
        if (!index.TryGetValue(key, out var ids))
        {
            ids = new SortedSet<long>();
            index.Add(key, ids);
        }
        ids.Add(id);
    }

    /// <summary>The waiting watches in id order.</summary>
    public IEnumerable<(long Id, string Key, bool Prefix, long SessionId, ulong After)> Waiting =>
        _watches.Select(w => (w.Key, w.Value.Key, w.Value.Prefix, w.Value.SessionId, w.Value.After));

    private sealed record Entry(string Key, bool Prefix, ulong After, long SessionId);
}
