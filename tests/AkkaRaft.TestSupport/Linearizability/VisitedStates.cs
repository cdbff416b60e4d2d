namespace AkkaRaft.TestSupport.Linearizability;

/// <summary>
/// The memo of the search: a hash set of (linearized-operation bitset, register value) pairs, stored flat in one
/// array (open addressing, linear probing) so that adding a state allocates nothing but amortized growth.
/// </summary>
internal sealed class VisitedStates
{
    private const int InitialSlots = 256;

    private readonly int _words;
    private readonly int _stride;
    private ulong[] _arena;   // per state: the bitset words, then the value
    private ulong[] _hashes;  // per state
    private int[] _slots;     // state index + 1; 0 = empty
    private int _count;

    /// <summary>Creates an empty set for bitsets of <paramref name="words"/> 64-bit words.</summary>
    public VisitedStates(int words)
    {
        _words = words;
        _stride = words + 1;
        _slots = new int[InitialSlots];
        _hashes = new ulong[InitialSlots / 2];
        _arena = new ulong[(InitialSlots / 2) * _stride];
    }

    /// <summary>Number of states in the set.</summary>
    public int Count => _count;

    /// <summary>Adds (<paramref name="bits"/>, <paramref name="value"/>) with its precomputed <paramref name="hash"/>; false when it was already there.</summary>
    public bool Add(ulong[] bits, int value, ulong hash)
    {
        var key = bits.AsSpan(0, _words);
        var mask = _slots.Length - 1;
        var slot = (int)(hash ^ (hash >> 32)) & mask;
        while (true)
        {
            var stored = _slots[slot];
            if (stored == 0) break;
            var index = stored - 1;
            if (_hashes[index] == hash)
            {
                var offset = index * _stride;
                if (_arena[offset + _words] == (ulong)(uint)value && _arena.AsSpan(offset, _words).SequenceEqual(key)) return false;
            }

            slot = (slot + 1) & mask;
        }

        if (_count == _hashes.Length)
        {
            Grow();
            return AddNew(key, value, hash);
        }

        Store(slot, key, value, hash);
        return true;
    }

    private bool AddNew(ReadOnlySpan<ulong> key, int value, ulong hash)
    {
        var mask = _slots.Length - 1;
        var slot = (int)(hash ^ (hash >> 32)) & mask;
        while (_slots[slot] != 0) slot = (slot + 1) & mask;
        Store(slot, key, value, hash);
        return true;
    }

    private void Store(int slot, ReadOnlySpan<ulong> key, int value, ulong hash)
    {
        var offset = _count * _stride;
        key.CopyTo(_arena.AsSpan(offset, _words));
        _arena[offset + _words] = (uint)value;
        _hashes[_count] = hash;
        _count++;
        _slots[slot] = _count;
    }

    /// <summary>Doubles the capacity, keeping the load factor of the slot table at most one half.</summary>
    private void Grow()
    {
        var capacity = _hashes.Length * 2;
        Array.Resize(ref _hashes, capacity);
        Array.Resize(ref _arena, capacity * _stride);
        _slots = new int[capacity * 2];
        var mask = _slots.Length - 1;
        for (var index = 0; index < _count; index++)
        {
            var hash = _hashes[index];
            var slot = (int)(hash ^ (hash >> 32)) & mask;
            while (_slots[slot] != 0) slot = (slot + 1) & mask;
            _slots[slot] = index + 1;
        }
    }
}
