namespace AkkaRaft.Raft.Core.Tracker;

/// <summary>
/// The AppendEntries in flight to one follower: a ring of (last index, bytes), bounded both in count and in
/// bytes. The leader stops sending when either bound is reached and frees slots as acknowledgements arrive.
/// </summary>
internal sealed class Inflights
{
    private readonly ulong[] _indexes;
    private readonly long[] _bytes;
    private readonly long _maxBytes;
    private int _start;

    public Inflights(int maxCount, long maxBytes)
    {
        _indexes = new ulong[maxCount];
        _bytes = new long[maxCount];
        _maxBytes = maxBytes;
    }

    public int Count { get; private set; }

    public long Bytes { get; private set; }

    public bool Full => Count == _indexes.Length || Bytes >= _maxBytes;

    public void Add(ulong lastIndex, long bytes)
    {
        if (Count == _indexes.Length)
        {
            throw new RaftInvariantException("in-flight AppendEntries stay within max-inflight-messages",
                $"adding index {lastIndex} with {Count} of {_indexes.Length} in flight");
        }
        var slot = (_start + Count) % _indexes.Length;
        _indexes[slot] = lastIndex;
        _bytes[slot] = bytes;
        Count++;
        Bytes += bytes;
    }

    /// <summary>Frees every message whose last index is ≤ <paramref name="index"/> (acknowledged).</summary>
    public void FreeLE(ulong index)
    {
        while (Count > 0 && _indexes[_start] <= index)
        {
            Bytes -= _bytes[_start];
            _start = (_start + 1) % _indexes.Length;
            Count--;
        }
        if (Count == 0) _start = 0;
    }

    /// <summary>Frees the oldest message: a heartbeat answer shows the follower is alive though an append may be lost.</summary>
    public void FreeFirstOne()
    {
        if (Count == 0) return;
        Bytes -= _bytes[_start];
        _start = (_start + 1) % _indexes.Length;
        Count--;
    }

    public void Reset()
    {
        Count = 0;
        Bytes = 0;
        _start = 0;
    }
}
