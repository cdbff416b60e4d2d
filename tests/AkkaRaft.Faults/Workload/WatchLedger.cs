using System.Globalization;

namespace AkkaRaft.Faults.Workload;

/// <summary>One change a watch reported, or one write a client made: a key, the log index, put or delete.</summary>
internal readonly record struct WatchChange(string Key, ulong Index, bool Deleted)
{
    public override string ToString() => $"{(Deleted ? "delete" : "put")} of {Key} at {Index.ToString(CultureInfo.InvariantCulture)}";
}

/// <summary>
/// What one watch client wrote under its prefix and what its watcher saw, and the check of the two. The server's
/// one-shot watch from index n answers the FIRST change after n (WatchRegistry: from its history when the change
/// happened already, else when it applies), so a watcher that re-arms at the index it was last answered sees every
/// change, one per answer, in log order. That is what etcd's users rely on, and what is checked:
/// <list type="number">
/// <item>the indexes seen strictly increase: nothing seen twice, nothing out of order, across leader changes;</item>
/// <item>each event is a write: the acknowledged write at that index, with the same key and kind, or (at an index no
/// acknowledged write has) a write of that key and kind whose answer never came, which may have applied;</item>
/// <item>none is missed: every acknowledged write above the index a stretch of watching started from and at or below
/// the last index that stretch saw is among its events; and once the watcher is caught up (a watch from its last
/// index timed out after the writers stopped and the cluster healed), every acknowledged write above the start.</item>
/// </list>
/// A stretch ends only when a node refuses the index as older than its watch history (akkaraft.watches.history-entries,
/// or a snapshot installed since): then the watcher reads again and starts a new stretch from the read's index, as the
/// refusal says; changes in between are not expected. Not thread-safe: the workload locks around it.
/// </summary>
internal sealed class WatchLedger(string prefix)
{
    private readonly Dictionary<ulong, WatchChange> _acknowledged = [];
    private readonly HashSet<(string Key, bool Deleted)> _unknown = [];
    // Every write of each key in the order sent, to tell the story of an event no write explains.
    private readonly Dictionary<string, List<(ulong Index, string Line)>> _writes = new(StringComparer.Ordinal);
    private readonly List<(ulong From, List<WatchChange> Events)> _stretches = [];
    // How each event was answered (node, time), by index, and how the watcher was found caught up: for the story of a violation.
    private readonly Dictionary<ulong, string> _answered = [];
    private string _quiet = "";
    private bool _caughtUp;

    /// <summary>The prefix the client writes and watches.</summary>
    public string Prefix { get; } = prefix;

    /// <summary>Writes acknowledged (with their index).</summary>
    public int Acknowledged => _acknowledged.Count;

    /// <summary>Writes whose answer never came: they may have applied, at an index nobody knows.</summary>
    public int UnknownWrites { get; private set; }

    /// <summary>Writes that certainly changed nothing (a delete of an absent key, a 503).</summary>
    public int FailedWrites { get; private set; }

    /// <summary>Events the watcher saw.</summary>
    public int Events => _stretches.Sum(s => s.Events.Count);

    /// <summary>Events at an index no acknowledged write has (writes whose answer never came, which applied).</summary>
    public int EventsOfUnansweredWrites => _stretches.Sum(s => s.Events.Count(e => !_acknowledged.ContainsKey(e.Index)));

    /// <summary>Stretches of watching after the first (each after a refusal for an index older than the watch history).</summary>
    public int Restarts => Math.Max(0, _stretches.Count - 1);

    /// <summary>Whether the watcher has started its first stretch.</summary>
    public bool Started => _stretches.Count > 0;

    /// <summary>Whether a watch from the last index seen timed out after the writes stopped.</summary>
    public bool CaughtUp => _caughtUp;

    /// <summary>The index the watcher re-arms from: the last one seen, or the start of its stretch.</summary>
    public ulong LastIndex => _stretches.Count == 0 ? 0 : _stretches[^1].Events.Count > 0 ? _stretches[^1].Events[^1].Index : _stretches[^1].From;

    /// <summary>A write was acknowledged at <paramref name="change"/>'s index.</summary>
    public void Acknowledge(WatchChange change, string why = "")
    {
        _acknowledged[change.Index] = change;
        Wrote(change.Key, change.Index, $"{(change.Deleted ? "delete" : "put")} acknowledged at {change.Index.ToString(CultureInfo.InvariantCulture)}{why}");
    }

    /// <summary>A write of <paramref name="key"/> got no certain answer (<paramref name="why"/> says which, for the story of a violation).</summary>
    public void Unknown(string key, bool deleted, string why = "")
    {
        _unknown.Add((key, deleted));
        UnknownWrites++;
        Wrote(key, 0, $"{(deleted ? "delete" : "put")} unanswered{why}");
    }

    /// <summary>A write of <paramref name="key"/> certainly changed nothing (<paramref name="why"/>: its answer).</summary>
    public void Fail(string key, bool deleted, string why = "")
    {
        FailedWrites++;
        Wrote(key, 0, $"{(deleted ? "delete" : "put")} failed{why}");
    }

    private void Wrote(string key, ulong index, string line)
    {
        if (!_writes.TryGetValue(key, out var writes)) _writes.Add(key, writes = []);
        writes.Add((index, line));
    }

    /// <summary>The writes of <paramref name="key"/> sent between the last one acknowledged before <paramref name="index"/> and the first acknowledged after it.</summary>
    private string WritesAround(string key, ulong index)
    {
        if (!_writes.TryGetValue(key, out var writes)) return "none";
        var from = writes.FindLastIndex(w => w.Index != 0 && w.Index < index);
        var to = writes.FindIndex(w => w.Index > index);
        var around = writes.Skip(Math.Max(0, from)).Take((to < 0 ? writes.Count : to + 1) - Math.Max(0, from)).Select(w => w.Line).ToList();
        return around.Count <= 12 ? string.Join("; ", around) : string.Join("; ", around.Take(6)) + $"; … {around.Count - 12} more …; " + string.Join("; ", around.TakeLast(6));
    }

    /// <summary>The watcher starts a stretch from <paramref name="index"/> (a read's index): it expects every change after it.</summary>
    public void Start(ulong index)
    {
        _stretches.Add((index, []));
        _caughtUp = false;
    }

    /// <summary>The watcher was answered <paramref name="change"/>.</summary>
    public void Saw(WatchChange change, string why = "")
    {
        if (_stretches.Count == 0) throw new InvalidOperationException("a watcher saw a change before it started");
        _stretches[^1].Events.Add(change);
        _answered[change.Index] = why;
    }

    /// <summary>A watch from <see cref="LastIndex"/>, set after the writers stopped, timed out: nothing was left to see.</summary>
    public void Quiet(string why = "")
    {
        _caughtUp = true;
        _quiet = $"a watch from {LastIndex.ToString(CultureInfo.InvariantCulture)} timed out{why}";
    }

    /// <summary>The events of a stretch just before and just after <paramref name="index"/>, with how they were answered.</summary>
    private string Neighbours(List<WatchChange> events, ulong index)
    {
        var after = events.FindIndex(e => e.Index > index);
        var before = (after < 0 ? events.Count : after) - 1;
        var told = new List<string>();
        if (before >= 0) told.Add($"the event before it: the {events[before]}{_answered.GetValueOrDefault(events[before].Index)}");
        if (after >= 0) told.Add($"the event after it: the {events[after]}{_answered.GetValueOrDefault(events[after].Index)}");
        else if (_caughtUp) told.Add($"then caught up: {_quiet}");
        return string.Join("; ", told);
    }

    /// <summary>What broke the watch's promises, one line each, at most <paramref name="limit"/>.</summary>
    public IReadOnlyList<string> Violations(int limit = 10)
    {
        var violations = new List<string>();
        ulong previous = 0;
        var seen = new HashSet<ulong>();
        foreach (var (from, events) in _stretches)
        {
            foreach (var e in events)
            {
                if (e.Index <= previous)
                    violations.Add($"{Prefix}: the {e} came after index {previous} ({(seen.Contains(e.Index) ? "seen twice" : "out of order")})");
                previous = Math.Max(previous, e.Index);
                seen.Add(e.Index);
                if (_acknowledged.TryGetValue(e.Index, out var written))
                {
                    if (written != e) violations.Add($"{Prefix}: a watch answered the {e}, but the write acknowledged at {e.Index} was the {written}");
                }
                else if (!e.Key.StartsWith(Prefix, StringComparison.Ordinal) || !_unknown.Contains((e.Key, e.Deleted)))
                {
                    violations.Add($"{Prefix}: a watch answered the {e}, which no write explains (no write acknowledged at {e.Index}, no unanswered {(e.Deleted ? "delete" : "put")} of {e.Key}; "
                                   + $"its writes around it, in the order sent: {WritesAround(e.Key, e.Index)})");
                }
            }
        }

        for (var i = 0; i < _stretches.Count; i++)
        {
            var (from, events) = _stretches[i];
            var last = i == _stretches.Count - 1 && _caughtUp ? ulong.MaxValue : events.Count > 0 ? events[^1].Index : from;
            var indexes = events.Select(e => e.Index).ToHashSet();
            foreach (var missed in _acknowledged.Values.Where(w => w.Index > from && w.Index <= last && !indexes.Contains(w.Index)).OrderBy(w => w.Index))
            {
                var upTo = last == ulong.MaxValue ? "until it was caught up" : $"up to {last}";
                violations.Add($"{Prefix}: the acknowledged {missed} was never answered to a watcher that watched from {from} {upTo} ({events.Count} events; {Neighbours(events, missed.Index)})");
            }
        }

        return violations.Take(limit).ToList();
    }
}
