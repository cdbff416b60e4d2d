namespace AkkaRaft.Raft.Core;

/// <summary>
/// The log as the algorithm sees it: the persisted part (read from <see cref="IRaftStorage"/>) followed by
/// the unstable part, plus the commit and applied indexes. Checks "commit never goes back" and "never
/// overwrite a committed entry" on every change.
/// </summary>
internal sealed class RaftLog
{
    private readonly IRaftStorage _storage;
    private readonly long _maxCommittedBytesPerReady;
    private ulong _committed;

    public readonly Unstable Unstable = new();

    public RaftLog(IRaftStorage storage, long maxCommittedBytesPerReady)
    {
        _storage = storage;
        _maxCommittedBytesPerReady = maxCommittedBytesPerReady;
        var first = storage.FirstIndex;
        Unstable.Offset = storage.LastIndex + 1;
        _committed = first - 1;
        Applied = first - 1;
    }

    public IRaftStorage Storage => _storage;

    /// <summary>Highest index known committed. Never decreases.</summary>
    public ulong Committed => _committed;

    /// <summary>Highest index handed to the application for applying.</summary>
    public ulong Applied { get; private set; }

    public ulong FirstIndex => Unstable.TryFirstIndex(out var i) ? i : _storage.FirstIndex;

    public ulong LastIndex => Unstable.TryLastIndex(out var i) ? i : _storage.LastIndex;

    /// <summary>Last index that is durable (excludes the unstable tail).</summary>
    public ulong StableLastIndex => Unstable.Entries.Count > 0 ? Unstable.Offset - 1 : LastIndex;

    public ulong LastTerm => TermOrZero(LastIndex);

    public bool TryTerm(ulong index, out ulong term)
    {
        term = 0;
        var dummy = FirstIndex - 1;
        if (index < dummy || index > LastIndex) return false;
        if (Unstable.TryTerm(index, out term)) return true;
        if (index + 1 < _storage.FirstIndex || index > _storage.LastIndex) return false;
        term = _storage.Term(index);
        return true;
    }

    public ulong TermOrZero(ulong index) => TryTerm(index, out var t) ? t : 0;

    public bool MatchTerm(ulong index, ulong term) => TryTerm(index, out var t) && t == term;

    /// <summary>§5.4.1: is a log ending at (lastIndex, lastTerm) at least as up to date as ours?</summary>
    public bool IsUpToDate(ulong lastIndex, ulong lastTerm)
    {
        var ourTerm = LastTerm;
        return lastTerm > ourTerm || (lastTerm == ourTerm && lastIndex >= LastIndex);
    }

    /// <summary>
    /// The follower side of AppendEntries (Raft §5.3): if our log has (prevIndex, prevTerm), append the new
    /// entries after dropping conflicting ones and advance the commit. Returns false when the consistency check fails.
    /// </summary>
    public bool MaybeAppend(ulong prevIndex, ulong prevTerm, ulong leaderCommit, Entry[] entries, out ulong lastNewIndex, out ulong conflictIndex)
    {
        lastNewIndex = 0;
        conflictIndex = 0;
        if (!MatchTerm(prevIndex, prevTerm)) return false;
        lastNewIndex = prevIndex + (ulong)entries.Length;
        var conflictAt = FindConflict(entries);
        if (conflictAt >= 0)
        {
            conflictIndex = entries[conflictAt].Index;
            if (conflictIndex <= _committed)
            {
                throw new RaftInvariantException("an entry is never overwritten below the commit index",
                    $"conflicting entry at index {conflictIndex} term {entries[conflictAt].Term}, commit index {_committed}");
            }
            AppendFrom(entries, conflictAt);
        }
        CommitTo(Math.Min(leaderCommit, lastNewIndex));
        return true;
    }

    /// <summary>Position in <paramref name="entries"/> of the first entry we do not already hold, or -1.</summary>
    private int FindConflict(Entry[] entries)
    {
        for (var i = 0; i < entries.Length; i++)
        {
            if (!MatchTerm(entries[i].Index, entries[i].Term)) return i;
        }
        return -1;
    }

    /// <summary>
    /// For a rejected AppendEntries at <paramref name="index"/> with leader term <paramref name="term"/>: the
    /// largest index ≤ index whose term is ≤ term, with that term (0 if unknown). Fast backtracking.
    /// </summary>
    public (ulong Index, ulong Term) FindConflictByTerm(ulong index, ulong term)
    {
        for (; index > 0; index--)
        {
            if (!TryTerm(index, out var ourTerm)) return (index, 0);
            if (ourTerm <= term) return (index, ourTerm);
        }
        return (0, 0);
    }

    /// <summary>Appends leader-created entries (or a follower's accepted ones) from position <paramref name="from"/>.</summary>
    public ulong AppendFrom(IReadOnlyList<Entry> entries, int from)
    {
        if (from >= entries.Count) return LastIndex;
        var after = entries[from].Index - 1;
        if (after < _committed)
        {
            throw new RaftInvariantException("an entry is never overwritten below the commit index",
                $"append after index {after}, commit index {_committed}");
        }
        Unstable.TruncateAndAppend(entries, from);
        return LastIndex;
    }

    public void CommitTo(ulong index)
    {
        if (index <= _committed) return;
        if (index > LastIndex)
        {
            throw new RaftInvariantException("the commit index never passes the last log index",
                $"commit to {index}, last index {LastIndex}");
        }
        _committed = index;
    }

    /// <summary>Sets the commit index from persisted state at startup.</summary>
    public void InitCommitted(ulong commit)
    {
        if (commit < _committed || commit > LastIndex)
        {
            throw new RaftInvariantException("the persisted commit index lies within the persisted log",
                $"commit {commit}, log [{FirstIndex - 1}, {LastIndex}]");
        }
        _committed = commit;
    }

    /// <summary>Commits up to <paramref name="maxIndex"/> if the entry there is of <paramref name="term"/> (Raft §5.4.2).</summary>
    public bool MaybeCommit(ulong maxIndex, ulong term, bool anyTerm)
    {
        if (maxIndex <= _committed) return false;
        if (!anyTerm && TermOrZero(maxIndex) != term) return false;
        CommitTo(maxIndex);
        return true;
    }

    public void AppliedTo(ulong index)
    {
        if (index == 0) return;
        if (index > _committed || index < Applied)
        {
            throw new RaftInvariantException("applied index stays within [applied, commit]",
                $"applied to {index}, previous applied {Applied}, commit {_committed}");
        }
        Applied = index;
    }

    public void StableTo(ulong index, ulong term) => Unstable.StableTo(index, term);

    public void StableSnapTo(ulong index) => Unstable.StableSnapTo(index);

    /// <summary>Replaces the log by a snapshot from the leader (Raft §7).</summary>
    public void Restore(Snapshot snapshot)
    {
        var index = snapshot.Metadata.Index;
        if (index <= _committed)
        {
            throw new RaftInvariantException("a snapshot never rolls back committed entries",
                $"snapshot index {index}, commit index {_committed}");
        }
        _committed = index;
        Unstable.Restore(snapshot);
    }

    public Snapshot CurrentSnapshot => Unstable.Snapshot ?? _storage.Snapshot;

    public bool HasNextCommittedEntries => _committed > Applied && Applied + 1 >= FirstIndex;

    public IReadOnlyList<Entry> NextCommittedEntries()
    {
        var lo = Math.Max(Applied + 1, FirstIndex);
        if (lo > _committed) return Array.Empty<Entry>();
        return Slice(lo, _committed + 1, _maxCommittedBytesPerReady);
    }

    /// <summary>Entries in [lo, hi) limited by <paramref name="maxBytes"/> (at least one). Caller ensures the range is in the log.</summary>
    public Entry[] Slice(ulong lo, ulong hi, long maxBytes)
    {
        if (lo >= hi) return Array.Empty<Entry>();
        if (lo < FirstIndex || hi > LastIndex + 1)
        {
            throw new RaftInvariantException("log slices stay within the log",
                $"slice [{lo}, {hi}) of log [{FirstIndex}, {LastIndex + 1})");
        }
        Entry[]? stored = null;
        if (lo < Unstable.Offset)
        {
            stored = _storage.Entries(lo, Math.Min(hi, Unstable.Offset), maxBytes);
            if ((ulong)stored.Length < Math.Min(hi, Unstable.Offset) - lo) return stored;
        }
        if (hi <= Unstable.Offset) return stored!;
        var from = (int)(Math.Max(lo, Unstable.Offset) - Unstable.Offset);
        var to = (int)(hi - Unstable.Offset);
        if (stored is null) return LimitBySize(Unstable.Entries, from, to, maxBytes);
        long used = 0;
        foreach (var e in stored) used += e.SizeBytes;
        var count = 0;
        for (var i = from; i < to; i++)
        {
            used += Unstable.Entries[i].SizeBytes;
            if (used > maxBytes) break;
            count++;
        }
        var result = new Entry[stored.Length + count];
        stored.CopyTo(result, 0);
        Unstable.Entries.CopyTo(from, result, stored.Length, count);
        return result;
    }

    /// <summary>list[from..to) cut at <paramref name="maxBytes"/>, but at least one entry.</summary>
    internal static Entry[] LimitBySize(List<Entry> list, int from, int to, long maxBytes)
    {
        if (from >= to) return Array.Empty<Entry>();
        long used = list[from].SizeBytes;
        var end = from + 1;
        while (end < to)
        {
            used += list[end].SizeBytes;
            if (used > maxBytes) break;
            end++;
        }
        var result = new Entry[end - from];
        list.CopyTo(from, result, 0, end - from);
        return result;
    }
}
