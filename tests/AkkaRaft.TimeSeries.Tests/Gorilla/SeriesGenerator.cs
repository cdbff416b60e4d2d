using AkkaRaft.TimeSeries.Gorilla;

namespace AkkaRaft.TimeSeries.Tests.Gorilla;

/// <summary>Seeded random series: regular, jittered and irregular timestamps; values that include every special kind.</summary>
internal static class SeriesGenerator
{
    /// <summary>Bit patterns every value stream should survive.</summary>
    public static readonly ulong[] SpecialValueBits =
    [
        0x0000000000000000, // +0.0
        0x8000000000000000, // −0.0
        0x7FF0000000000000, // +∞
        0xFFF0000000000000, // −∞
        0x7FF8000000000000, // quiet NaN (the default)
        0xFFF8000000000000, // negative quiet NaN
        0x7FF8DEADBEEF0001, // quiet NaN with a payload
        0x7FF0000000000001, // signalling NaN, smallest payload
        0x7FF4000000000000, // signalling NaN
        0xFFFFFFFFFFFFFFFF, // negative NaN, every payload bit set
        0x0000000000000001, // smallest subnormal (double.Epsilon)
        0x800FFFFFFFFFFFFF, // largest negative subnormal
        0x000FFFFFFFFFFFFF, // largest subnormal
        0x0010000000000000, // smallest normal
        0x7FEFFFFFFFFFFFFF, // double.MaxValue
        0xFFEFFFFFFFFFFFFF, // double.MinValue
        0x3FF0000000000000, // 1.0
        0x3FF0000000000001, // 1.0 + one ulp
    ];

    public static ulong NextValueBits(Random random, ulong previous)
    {
        int kind = random.Next(100);
        return kind switch
        {
            < 35 => previous, // repeat
            < 50 => SpecialValueBits[random.Next(SpecialValueBits.Length)],
            < 65 => BitConverter.DoubleToUInt64Bits(BitConverter.UInt64BitsToDouble(previous) + random.Next(-3, 4)),
            < 75 => previous ^ (1UL << random.Next(64)), // one bit anywhere
            < 85 => previous ^ ((ulong)random.NextInt64() >> random.Next(64)), // low bits changed
            < 92 => BitConverter.DoubleToUInt64Bits(Math.Round(random.NextDouble() * 1000, 2)),
            _ => (ulong)random.NextInt64() ^ ((ulong)random.Next() << 63), // any bit pattern
        };
    }

    /// <summary>Next gap after <paramref name="previousGap"/>, at least 1, bounded by <paramref name="maxGap"/>.</summary>
    public static long NextGap(Random random, long previousGap, long regularGap, long maxGap)
    {
        int kind = random.Next(100);
        long gap = kind switch
        {
            < 50 => previousGap, // D = 0
            < 70 => regularGap + random.Next(-3, 4), // jitter
            < 80 => regularGap * random.Next(2, 5), // missed samples
            < 90 => random.NextInt64(1, 5000), // irregular
            < 97 => random.NextInt64(1, 300_000),
            _ => random.NextInt64(1, maxGap + 1), // anything up to the limit
        };
        return Math.Clamp(gap, 1, maxGap);
    }

    public static (long[] Timestamps, ulong[] ValueBits) Series(Random random, long start, int length, long regularGap, long maxGap)
    {
        var timestamps = new long[length];
        var values = new ulong[length];
        long t = start;
        long gap = regularGap;
        ulong v = SpecialValueBits[random.Next(SpecialValueBits.Length)];
        for (int i = 0; i < length; i++)
        {
            if (i > 0)
            {
                gap = NextGap(random, gap, regularGap, maxGap);
                t += gap;
            }

            v = NextValueBits(random, v);
            timestamps[i] = t;
            values[i] = v;
        }

        return (timestamps, values);
    }

    /// <summary>The base seed: AKKARAFT_GORILLA_SEED when set (to reproduce a failure), else a fixed one.</summary>
    public static int BaseSeed =>
        int.TryParse(Environment.GetEnvironmentVariable("AKKARAFT_GORILLA_SEED"), out int seed) ? seed : 20150324;

    /// <summary>How many series the round-trip tests make: AKKARAFT_GORILLA_SERIES when set, else the default.</summary>
    public static int SeriesCount(int fallback) =>
        int.TryParse(Environment.GetEnvironmentVariable("AKKARAFT_GORILLA_SERIES"), out int n) ? n : fallback;

    public static string Describe(int seed, TimestampUnit unit) =>
        $"seed {seed} ({unit}); reproduce with AKKARAFT_GORILLA_SEED={seed} AKKARAFT_GORILLA_SERIES=1";
}
