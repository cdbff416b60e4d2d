using System.Numerics;
using AkkaRaft.TimeSeries.Gorilla;

namespace AkkaRaft.Benchmarks.TimeSeries;

/// <summary>Size figures of one data set encoded with the default settings (2 h windows).</summary>
/// <param name="Points">Points encoded.</param>
/// <param name="Blocks">Blocks produced.</param>
/// <param name="BlockBytes">Sum of finished block sizes: format, header, points, padding and footer.</param>
/// <param name="PointBytes">BlockBytes without format byte, header and footer (the points and padding).</param>
/// <param name="TimestampZeroShare">Share of later points whose delta-of-delta is 0 (the '0' code).</param>
/// <param name="ValueSameShare">Share of later points whose value repeats ('0').</param>
/// <param name="ValueReuseShare">Share written with '10' (inside the previous window).</param>
/// <param name="ValueNewWindowShare">Share written with '11' (a new window).</param>
public sealed record CompressionFigures(
    long Points,
    long Blocks,
    long BlockBytes,
    long PointBytes,
    double TimestampZeroShare,
    double ValueSameShare,
    double ValueReuseShare,
    double ValueNewWindowShare)
{
    /// <summary>The paper's figure: 1.37 bytes per point over 2 h blocks (Gorilla §4.1).</summary>
    public const double PaperBytesPerPoint = 1.37;

    /// <summary>Whole blocks divided by points.</summary>
    public double BytesPerPoint => (double)BlockBytes / Points;

    /// <summary>Point bits only (no block header or footer) divided by points.</summary>
    public double PointBytesPerPoint => (double)PointBytes / Points;

    /// <summary>16 raw bytes (8 timestamp, 8 value) over <see cref="BytesPerPoint"/>.</summary>
    public double Ratio => 16.0 / BytesPerPoint;
}

/// <summary>Encodes a data set with the public API and measures it.</summary>
public static class GorillaCompression
{
    private static readonly Dictionary<string, CompressionFigures> Cache = new();

    /// <summary>Measures the named data set (once).</summary>
    public static CompressionFigures Measure(string dataSet)
    {
        lock (Cache)
        {
            if (!Cache.TryGetValue(dataSet, out CompressionFigures? figures))
            {
                figures = Measure(GorillaDataSets.Load(dataSet), GorillaSettings.Default);
                Cache[dataSet] = figures;
            }

            return figures;
        }
    }

    /// <summary>Encodes every series through a <see cref="GorillaSeriesWriter"/>, checks it decodes back, and sums sizes.</summary>
    public static CompressionFigures Measure(IReadOnlyList<SeriesData> series, GorillaSettings settings)
    {
        long points = 0;
        long blocks = 0;
        long blockBytes = 0;
        long pointBytes = 0;
        long later = 0;
        long timestampZero = 0;
        long valueSame = 0;
        long valueReuse = 0;
        long valueNew = 0;
        foreach (SeriesData data in series)
        {
            var writer = new GorillaSeriesWriter(data.Name, settings, data.Unit);
            var finished = new List<GorillaBlock>();
            for (int i = 0; i < data.Timestamps.Length; i++)
            {
                if (writer.Append(data.Timestamps[i], data.Values[i]).FinishedBlock is { } block)
                {
                    finished.Add(block);
                }
            }

            if (writer.FinishOpenBlock() is { } last)
            {
                finished.Add(last);
            }

            int headerBytes = 1 + (TimestampCoding.HeaderBits(data.Unit) / 8);
            int k = 0;
            foreach (GorillaBlock block in finished)
            {
                blocks++;
                blockBytes += block.SizeBytes;
                pointBytes += block.SizeBytes - headerBytes - 6;
                foreach (DataPoint p in GorillaBlock.Open(block.Bytes.Span).GetDecoder())
                {
                    if (p.Timestamp != data.Timestamps[k] || BitConverter.DoubleToUInt64Bits(p.Value) != BitConverter.DoubleToUInt64Bits(data.Values[k]))
                    {
                        throw new InvalidOperationException($"{data.Name}: point {k} did not round-trip.");
                    }

                    k++;
                }

                CountCodes(block, ref later, ref timestampZero, ref valueSame, ref valueReuse, ref valueNew);
            }

            points += data.Timestamps.Length;
        }

        return new CompressionFigures(
            points,
            blocks,
            blockBytes,
            pointBytes,
            (double)timestampZero / later,
            (double)valueSame / later,
            (double)valueReuse / later,
            (double)valueNew / later);
    }

    /// <summary>
    /// Replays the encoder's choices over a decoded block to count which codes it used. This mirrors the rules
    /// (Gorilla §4.1.2) to report the mix next to the paper's; the codec itself is not involved.
    /// </summary>
    private static void CountCodes(GorillaBlock block, ref long later, ref long timestampZero, ref long same, ref long reuse, ref long fresh)
    {
        long previousTime = block.HeaderTimestamp;
        long previousDelta = 0;
        ulong previousBits = 0;
        int windowLeading = 64;
        int windowTrailing = 64;
        bool first = true;
        foreach (DataPoint p in block.GetDecoder())
        {
            ulong bits = BitConverter.DoubleToUInt64Bits(p.Value);
            long delta = p.Timestamp - previousTime;
            if (!first)
            {
                later++;
                if (delta == previousDelta)
                {
                    timestampZero++;
                }

                ulong xor = bits ^ previousBits;
                if (xor == 0)
                {
                    same++;
                }
                else
                {
                    int leading = Math.Min(BitOperations.LeadingZeroCount(xor), 31);
                    int trailing = BitOperations.TrailingZeroCount(xor);
                    if (BitOperations.LeadingZeroCount(xor) >= windowLeading && trailing >= windowTrailing)
                    {
                        reuse++;
                    }
                    else
                    {
                        fresh++;
                        windowLeading = leading;
                        windowTrailing = trailing;
                    }
                }
            }

            first = false;
            previousDelta = delta;
            previousTime = p.Timestamp;
            previousBits = bits;
        }
    }
}
