namespace AkkaRaft.TimeSeries.Gorilla;

/// <summary>
/// The bit widths of the timestamp fields, per <see cref="TimestampUnit"/>. A block records its unit in its
/// format byte, so a decoder always knows which table the encoder used.
/// </summary>
/// <remarks>
/// <para>
/// Delta-of-delta D = (t[n] − t[n−1]) − (t[n−1] − t[n−2]) is written as one of five codes (Gorilla §4.1.1):
/// '0' when D = 0, else a prefix '10', '110', '1110' or '1111' followed by a field of w bits. A field of w bits
/// holds D in [−(2^(w−1) − 1), 2^(w−1)]: the paper's ranges are [−63, 64] for 7 bits, [−255, 256] for 9 bits and
/// [−2047, 2048] for 12 bits, and this codec extends the same rule to the 32-bit bucket,
/// [−(2^31 − 1), 2^31]. The field stores D's low w bits; a decoder reads a field value v above 2^(w−1)
/// as v − 2^w.
/// </para>
/// <para>
/// Seconds use the paper's widths exactly: first delta 14 bits, buckets 7, 9, 12 and 32 bits.
/// </para>
/// <para>
/// Milliseconds: first delta 24 bits, buckets 8, 13, 20 and 32 bits (<see cref="MillisecondBucketBits"/>). Why: a
/// collector scraping every N seconds stamps its points with a few milliseconds of scheduling and network
/// jitter, so in milliseconds D is rarely 0 but usually small. The widths are chosen per kind of disturbance:
/// 8 bits ([−127, 128] ms) hold ordinary scheduler and network jitter, which is below 100 ms on a healthy
/// host, in 10 bits per point (the seconds table would spend 12 bits on any jitter beyond ±64 ms); 13 bits
/// ([−4095, 4096] ms) hold a slow scrape or a garbage-collection pause of a few seconds; 20 bits
/// ([−524287, 524288] ms, about ±8.7 minutes) hold a missed or extra sample of series sampled every few
/// seconds to several minutes (a missed 60 s sample gives D = +60000 then −60000); 32 bits hold the rest,
/// about ±24.8 days, more than any block window allows. The first delta is at most one window, and a window
/// is at most <see cref="GorillaSettings.BlockWindowSecondsMax"/> (16384 s = 16,384,000 ms &lt; 2^24), so 24 bits
/// always hold it, as the paper's 14 bits hold up to 16384 s.
/// </para>
/// </remarks>
public static class TimestampCoding
{
    /// <summary>Width of the first delta (first timestamp minus header) for seconds: 14 bits (paper).</summary>
    public const int SecondsFirstDeltaBits = 14;

    /// <summary>Width of the first delta for milliseconds: 24 bits (16,777,216 ms ≈ 4.66 h &gt; the largest window).</summary>
    public const int MillisecondsFirstDeltaBits = 24;

    /// <summary>Field widths after the prefixes '10', '110', '1110', '1111' for seconds (paper §4.1.1).</summary>
    public static ReadOnlySpan<byte> SecondBucketBits => [7, 9, 12, 32];

    /// <summary>Field widths after the prefixes '10', '110', '1110', '1111' for milliseconds (justified above).</summary>
    public static ReadOnlySpan<byte> MillisecondBucketBits => [8, 13, 20, 32];

    /// <summary>The first-delta width for <paramref name="unit"/>.</summary>
    public static int FirstDeltaBits(TimestampUnit unit) =>
        unit == TimestampUnit.Seconds ? SecondsFirstDeltaBits : MillisecondsFirstDeltaBits;

    /// <summary>The four bucket field widths for <paramref name="unit"/>.</summary>
    public static ReadOnlySpan<byte> BucketBits(TimestampUnit unit) =>
        unit == TimestampUnit.Seconds ? SecondBucketBits : MillisecondBucketBits;

    /// <summary>Width of the header timestamp: 32 bits for seconds (uint32), 64 bits for milliseconds.</summary>
    public static int HeaderBits(TimestampUnit unit) => unit == TimestampUnit.Seconds ? 32 : 64;

    /// <summary>The largest timestamp the unit can hold.</summary>
    public static long MaxTimestamp(TimestampUnit unit) =>
        unit == TimestampUnit.Seconds ? uint.MaxValue : long.MaxValue;

    /// <summary>Short suffix for messages: "s" or "ms".</summary>
    public static string Suffix(TimestampUnit unit) => unit == TimestampUnit.Seconds ? "s" : "ms";
}
