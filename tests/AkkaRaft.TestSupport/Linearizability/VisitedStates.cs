namespace AkkaRaft.TestSupport.Linearizability;

/// <summary>
/// The memo of the search, with subsumption for operations of unknown outcome. A search state is (K, U, v):
/// the known-outcome operations linearized, the unknown-outcome operations linearized, and the register value.
/// State (K, U, v) can do everything (K, U', v) can when U ⊆ U' — an unknown operation still available may
/// always be left out — so once (K, U, v) was visited, (K, U', v) is pruned. Without unknown operations this is
/// Porcupine's plain memo of (linearized set, value).
/// </summary>
/// <remarks>
/// Storage is flat: an open-addressing table of groups keyed by (K, v), each group a linked list of the minimal
/// U sets visited (a new set removes the supersets it subsumes). Adding a state allocates only on growth.
/// </remarks>
internal sealed class VisitedStates
{
    private const int InitialGroupSlots = 256;
    private const int InitialSets = 128;

    private readonly int _knownWords;
    private readonly int _unknownWords;
    private readonly int _groupStride;
    private ulong[] _groupKeys;    // per group: K words, then v
    private ulong[] _groupHashes;  // per group
    private int[] _groupHead;      // per group: first set index + 1; 0 = empty list
    private int[] _slots;          // group index + 1; 0 = empty
    private int _groups;
    private ulong[] _sets;         // per set: U words
    private int[] _nextSet;        // per set: next set index + 1 in its group; 0 = end
    private int _setsUsed;
    private int _freeSet;          // head of the free list of sets removed as subsumed, index + 1

    /// <summary>Creates an empty memo for <paramref name="knownWords"/> words of K and <paramref name="unknownWords"/> words of U.</summary>
    public VisitedStates(int knownWords, int unknownWords)
    {
        _knownWords = knownWords;
        _unknownWords = unknownWords;
        _groupStride = knownWords + 1;
        _slots = new int[InitialGroupSlots];
        _groupHashes = new ulong[InitialGroupSlots / 2];
        _groupHead = new int[InitialGroupSlots / 2];
        _groupKeys = new ulong[(InitialGroupSlots / 2) * _groupStride];
        _sets = new ulong[InitialSets * Math.Max(unknownWords, 1)];
        _nextSet = new int[InitialSets];
    }

    /// <summary>Number of states added so far (states visited by the search); never decreases.</summary>
    public long Count { get; private set; }

    /// <summary>
    /// Records state (<paramref name="known"/>, <paramref name="unknown"/>, <paramref name="value"/>), whose
    /// (K, v) hash is <paramref name="hash"/>; false when it equals or is subsumed by a state already visited.
    /// </summary>
    public bool Add(ulong[] known, ulong[] unknown, int value, ulong hash)
    {
        var group = FindOrAddGroup(known, value, hash);
        var u = unknown.AsSpan(0, _unknownWords);
        var previous = 0;
        var current = _groupHead[group];
        while (current != 0)
        {
            var set = current - 1;
            var stored = _sets.AsSpan(set * _unknownWords, _unknownWords);
            var next = _nextSet[set];
            if (IsSubset(stored, u)) return false;
            if (IsSubset(u, stored))
            {
                // The new state subsumes this one: unlink it, it would never prune anything the new one does not.
                if (previous == 0) _groupHead[group] = next;
                else _nextSet[previous - 1] = next;
                _nextSet[set] = _freeSet;
                _freeSet = current;
            }
            else
            {
                previous = current;
            }

            current = next;
        }

        var index = AllocateSet();
        u.CopyTo(_sets.AsSpan(index * _unknownWords, _unknownWords));
        _nextSet[index] = _groupHead[group];
        _groupHead[group] = index + 1;
        Count++;
        return true;
    }

    private static bool IsSubset(ReadOnlySpan<ulong> subset, ReadOnlySpan<ulong> superset)
    {
        for (var i = 0; i < subset.Length; i++)
        {
            if ((subset[i] & ~superset[i]) != 0) return false;
        }

        return true;
    }

    private int AllocateSet()
    {
        if (_freeSet != 0)
        {
            var reused = _freeSet - 1;
            _freeSet = _nextSet[reused];
            return reused;
        }

        if (_setsUsed == _nextSet.Length)
        {
            Array.Resize(ref _nextSet, _nextSet.Length * 2);
            Array.Resize(ref _sets, _nextSet.Length * Math.Max(_unknownWords, 1));
        }

        return _setsUsed++;
    }

    private int FindOrAddGroup(ulong[] known, int value, ulong hash)
    {
        var key = known.AsSpan(0, _knownWords);
        var mask = _slots.Length - 1;
        var slot = (int)(hash ^ (hash >> 32)) & mask;
        while (true)
        {
            var stored = _slots[slot];
            if (stored == 0) break;
            var group = stored - 1;
            if (_groupHashes[group] == hash)
            {
                var offset = group * _groupStride;
                if (_groupKeys[offset + _knownWords] == (uint)value && _groupKeys.AsSpan(offset, _knownWords).SequenceEqual(key)) return group;
            }

            slot = (slot + 1) & mask;
        }

        if (_groups == _groupHashes.Length)
        {
            Grow();
            mask = _slots.Length - 1;
            slot = (int)(hash ^ (hash >> 32)) & mask;
            while (_slots[slot] != 0) slot = (slot + 1) & mask;
        }

        var added = _groups++;
        var at = added * _groupStride;
        key.CopyTo(_groupKeys.AsSpan(at, _knownWords));
        _groupKeys[at + _knownWords] = (uint)value;
        _groupHashes[added] = hash;
        _groupHead[added] = 0;
        _slots[slot] = added + 1;
        return added;
    }

    /// <summary>Doubles the group capacity, keeping the load factor of the slot table at most one half.</summary>
    private void Grow()
    {
        var capacity = _groupHashes.Length * 2;
        Array.Resize(ref _groupHashes, capacity);
        Array.Resize(ref _groupHead, capacity);
        Array.Resize(ref _groupKeys, capacity * _groupStride);
        _slots = new int[capacity * 2];
        var mask = _slots.Length - 1;
        for (var group = 0; group < _groups; group++)
        {
            var hash = _groupHashes[group];
            var slot = (int)(hash ^ (hash >> 32)) & mask;
            while (_slots[slot] != 0) slot = (slot + 1) & mask;
            _slots[slot] = group + 1;
        }
    }
}
