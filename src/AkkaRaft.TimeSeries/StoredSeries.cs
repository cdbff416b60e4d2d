using AkkaRaft.TimeSeries.Gorilla;

namespace AkkaRaft.TimeSeries;

/// <summary>A sealed Gorilla block of a series with the time span of its points.</summary>
/// <param name="Block">The block: compressed bytes with their CRC footer, never re-encoded.</param>
/// <param name="First">Timestamp of its first point.</param>
/// <param name="Last">Timestamp of its last point.</param>
internal sealed record SealedBlock(GorillaBlock Block, long First, long Last);

/// <summary>
/// One series: its sealed blocks in time order and the writer that owns its open Gorilla encoder. Owned by one
/// <see cref="SeriesShard"/>; not thread-safe.
/// </summary>
internal sealed class StoredSeries
{
    private readonly GorillaSettings _codec;

    public StoredSeries(string name, TimestampUnit unit, GorillaSettings codec)
    {
        Name = name;
        Unit = unit;
        _codec = codec;
        Writer = new GorillaSeriesWriter(name, codec, unit);
    }

    public string Name { get; }

    public TimestampUnit Unit { get; }

    /// <summary>Sealed blocks, oldest first; their time spans do not overlap.</summary>
    public List<SealedBlock> Sealed { get; } = [];

    /// <summary>The open block's writer.</summary>
    public GorillaSeriesWriter Writer { get; private set; }

    /// <summary>Points in the sealed blocks.</summary>
    public long SealedPoints { get; private set; }

    /// <summary>Bytes of the sealed blocks, footers included.</summary>
    public long SealedBytes { get; private set; }

    /// <summary>Value of the latest point (meaningful when <see cref="Points"/> &gt; 0).</summary>
    public double LastValue { get; private set; }

    public long Points => SealedPoints + Writer.OpenBlockCount;

    public long? Last => Writer.LastTimestamp is { } last && Writer.OpenBlockCount > 0 ? last : Sealed.Count > 0 ? Sealed[^1].Last : null;

    public long? First => Sealed.Count > 0 ? Sealed[0].First : Writer.OpenBlockCount > 0 ? OpenFirst() : null;

    /// <summary>
    /// The oldest timestamp a new point may have: the start of the open block's window, not before the last sealed
    /// point, and not before <paramref name="retentionFloor"/> (in the series' unit).
    /// </summary>
    public long OldestAccepted(long retentionFloor)
    {
        var floor = retentionFloor;
        if (Writer.OpenBlockCount > 0) floor = Math.Max(floor, Writer.OpenBlockHeader);
        if (Sealed.Count > 0) floor = Math.Max(floor, Sealed[^1].Last + 1);
        return floor;
    }

    /// <summary>
    /// Stores points (sorted by timestamp, distinct, none below <see cref="OldestAccepted"/>). A point after the latest
    /// is appended to the open encoder; one inside the open block's window but not after the latest rebuilds the open
    /// block with it (an equal timestamp takes the new value). Returns how many points were already stored as given.
    /// </summary>
    public int Store(ReadOnlySpan<DataPoint> points)
    {
        if (points.Length == 0) return 0;
        if (Writer.LastTimestamp is { } last && Writer.OpenBlockCount > 0 && points[0].Timestamp <= last)
        {
            return Merge(points);
        }

        foreach (var point in points) Append(point);
        return 0;
    }

    private void Append(DataPoint point)
    {
        var result = Writer.Append(point.Timestamp, point.Value);
        if (result.FinishedBlock is { } finished) Seal(finished);
        LastValue = point.Value;
    }

    private int Merge(ReadOnlySpan<DataPoint> points)
    {
        var open = OpenPoints();
        var merged = new SortedDictionary<long, double>();
        foreach (var p in open) merged[p.Timestamp] = p.Value;
        var duplicates = 0;
        foreach (var p in points)
        {
            if (merged.TryGetValue(p.Timestamp, out var existing) && BitConverter.DoubleToInt64Bits(existing) == BitConverter.DoubleToInt64Bits(p.Value))
            {
                duplicates++;
                continue;
            }

            merged[p.Timestamp] = p.Value;
        }

        // A fresh writer over the merged points: the open block's bytes are exactly those of its points appended in
        // order, so every peer (and a restore from a snapshot) builds the same block.
        Writer = new GorillaSeriesWriter(Name, _codec, Unit);
        foreach (var (t, v) in merged) Append(new DataPoint(t, v));
        return duplicates;
    }

    private void Seal(GorillaBlock block)
    {
        var first = block.FirstTimestamp;
        var last = LastOf(block);
        if (Sealed.Count > 0) Invariant(first > Sealed[^1].Last, $"series '{Name}': a sealed block starting at {first} is not after the previous one, which ends at {Sealed[^1].Last}");
        Sealed.Add(new SealedBlock(block, first, last));
        SealedPoints += block.Count;
        SealedBytes += block.SizeBytes;
    }

    /// <summary>Adds a block read from a snapshot (checked by the caller to follow the previous one).</summary>
    public void RestoreSealed(SealedBlock block)
    {
        Sealed.Add(block);
        SealedPoints += block.Block.Count;
        SealedBytes += block.Block.SizeBytes;
    }

    /// <summary>Rebuilds the open encoder from the open block's points (read from a snapshot).</summary>
    public void RestoreOpen(ReadOnlySpan<DataPoint> points)
    {
        foreach (var p in points)
        {
            var result = Writer.Append(p.Timestamp, p.Value);
            if (result.FinishedBlock is not null) throw new InvalidDataException($"series '{Name}': the open block's points of the snapshot do not fit one block");
            LastValue = p.Value;
        }
    }

    /// <summary>The open block's points, in time order.</summary>
    public DataPoint[] OpenPoints()
    {
        var count = Writer.OpenBlockCount;
        if (count == 0) return [];
        var result = new DataPoint[count];
        var i = 0;
        foreach (var p in Writer.DecodeOpenBlock()) result[i++] = p;
        Invariant(i == count, $"series '{Name}': the open block holds {count} points but decodes to {i}");
        return result;
    }

    /// <summary>
    /// Whether (<paramref name="timestamp"/>, <paramref name="value"/>) is stored in a sealed block, bit for bit: a
    /// retried write below the open block is then a duplicate, not a refusal.
    /// </summary>
    public bool HoldsSealed(long timestamp, double value, Dictionary<int, (long[] T, double[] V)> decoded)
    {
        var index = IndexOfSealed(timestamp);
        if (index < 0) return false;
        if (!decoded.TryGetValue(index, out var block))
        {
            var b = Sealed[index].Block;
            block = (new long[b.Count], new double[b.Count]);
            b.Decode(block.T, block.V);
            decoded[index] = block;
        }

        var at = Array.BinarySearch(block.T, timestamp);
        return at >= 0 && BitConverter.DoubleToInt64Bits(block.V[at]) == BitConverter.DoubleToInt64Bits(value);
    }

    /// <summary>The index of the sealed block whose span holds <paramref name="timestamp"/>, or -1.</summary>
    public int IndexOfSealed(long timestamp)
    {
        int lo = 0, hi = Sealed.Count - 1;
        while (lo <= hi)
        {
            var mid = (lo + hi) >>> 1;
            var block = Sealed[mid];
            if (timestamp < block.First) hi = mid - 1;
            else if (timestamp > block.Last) lo = mid + 1;
            else return mid;
        }

        return -1;
    }

    /// <summary>
    /// Retention: drops sealed blocks whose last point is below <paramref name="floor"/>, and the open block too when its
    /// last point is. Returns the blocks and points dropped.
    /// </summary>
    public (int Blocks, long Points) DropBefore(long floor)
    {
        var blocks = 0;
        long points = 0;
        while (Sealed.Count > 0 && Sealed[0].Last < floor)
        {
            var block = Sealed[0].Block;
            Sealed.RemoveAt(0);
            SealedPoints -= block.Count;
            SealedBytes -= block.SizeBytes;
            blocks++;
            points += block.Count;
        }

        if (Writer.OpenBlockCount > 0 && Writer.LastTimestamp < floor)
        {
            points += Writer.OpenBlockCount;
            blocks++;
            Writer = new GorillaSeriesWriter(Name, _codec, Unit);
        }

        return (blocks, points);
    }

    private long OpenFirst()
    {
        var decoder = Writer.DecodeOpenBlock();
        decoder.MoveNext();
        return decoder.Current.Timestamp;
    }

    internal static long LastOf(GorillaBlock block)
    {
        var decoder = block.GetDecoder();
        var last = 0L;
        while (decoder.MoveNext()) last = decoder.Current.Timestamp;
        return last;
    }

    internal static void Invariant(bool holds, string broken)
    {
        if (!holds) throw new InvalidOperationException($"Time-series store invariant broken: {broken}.");
    }
}
