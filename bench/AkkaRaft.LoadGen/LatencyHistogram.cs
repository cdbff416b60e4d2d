namespace AkkaRaft.LoadGen;

/// <summary>
/// An HDR-style latency histogram: values in microseconds, counted in log-linear buckets (each power of two split
/// into 64 linear sub-buckets above 128µs, exact below), so every recorded value is kept to within 1/64 (under 2%)
/// from 1µs to days, in fixed memory. Not thread-safe: one per client, merged at the end.
/// </summary>
public sealed class LatencyHistogram
{
    /// <summary>Width of the index space per magnitude; values below it are counted exactly.</summary>
    public const int SubBucketCount = 128;

    private const int SubBucketBits = 7;
    private const int Magnitudes = 40;

    private readonly long[] _counts = new long[(Magnitudes + 1) * SubBucketCount];
    private long _max;

    /// <summary>Values recorded.</summary>
    public long Count { get; private set; }

    /// <summary>The largest value recorded, in microseconds.</summary>
    public long Max => _max;

    /// <summary>Records one value in microseconds (negative values count as 0).</summary>
    public void Record(long micros)
    {
        var value = Math.Max(0, micros);
        _counts[IndexOf(value)]++;
        Count++;
        if (value > _max) _max = value;
    }

    /// <summary>Adds every count of <paramref name="other"/>.</summary>
    public void Add(LatencyHistogram other)
    {
        ArgumentNullException.ThrowIfNull(other);
        for (var i = 0; i < _counts.Length; i++) _counts[i] += other._counts[i];
        Count += other.Count;
        _max = Math.Max(_max, other._max);
    }

    /// <summary>The value at <paramref name="percentile"/> (0 to 100), in microseconds: the highest value of the bucket that reaches it.</summary>
    /// <exception cref="ArgumentOutOfRangeException">The percentile is outside 0..100.</exception>
    public long ValueAtPercentile(double percentile)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(percentile, 0);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(percentile, 100);
        if (Count == 0) return 0;
        var target = Math.Max(1, (long)Math.Ceiling(percentile / 100 * Count));
        long seen = 0;
        for (var i = 0; i < _counts.Length; i++)
        {
            seen += _counts[i];
            if (seen >= target) return Math.Min(HighestOf(i), _max);
        }

        return _max;
    }

    private static int IndexOf(long value)
    {
        if (value < SubBucketCount) return (int)value;
        // Keep the 7 highest bits: value >> magnitude is in [64, 128).
        var magnitude = (int)Math.Min(64 - long.LeadingZeroCount(value) - SubBucketBits, Magnitudes);
        var sub = (int)Math.Min(value >> magnitude, SubBucketCount - 1);
        return magnitude * SubBucketCount + sub;
    }

    private static long HighestOf(int index)
    {
        var magnitude = index / SubBucketCount;
        long sub = index % SubBucketCount;
        // Bucket (magnitude, sub) holds the values v with v >> magnitude == sub.
        return ((sub + 1) << magnitude) - 1;
    }
}
