using AkkaRaft.TimeSeries.Gorilla;
using Xunit.Sdk;

namespace AkkaRaft.TimeSeries.Tests.Gorilla;

/// <summary>Whatever goes in comes out, bit for bit, through finished blocks and through open ones.</summary>
public sealed class RoundTripTests
{
    private static readonly GorillaSettings Settings = GorillaSettings.Default;

    [Theory]
    [InlineData(TimestampUnit.Seconds, 2000)]
    [InlineData(TimestampUnit.Milliseconds, 1000)]
    public void Thousands_of_random_series_round_trip_bit_for_bit_through_the_series_writer(TimestampUnit unit, int series)
    {
        int baseSeed = SeriesGenerator.BaseSeed;
        for (int i = 0; i < SeriesGenerator.SeriesCount(series); i++)
        {
            int seed = baseSeed + i;
            try
            {
                RoundTripThroughWriter(seed, unit);
            }
            catch (Exception e)
            {
                throw new XunitException($"{SeriesGenerator.Describe(seed, unit)}: {e}");
            }
        }
    }

    [Fact]
    public void Every_special_value_follows_every_other_special_value_exactly()
    {
        ulong[] specials = SeriesGenerator.SpecialValueBits;
        var encoder = new GorillaEncoder("specials", TimestampUnit.Seconds, 0);
        var expected = new List<ulong>();
        long t = 0;
        foreach (ulong a in specials)
        {
            foreach (ulong b in specials)
            {
                Assert.Equal(AppendStatus.Appended, encoder.TryAppend(t++, BitConverter.UInt64BitsToDouble(a)));
                Assert.Equal(AppendStatus.Appended, encoder.TryAppend(t++, BitConverter.UInt64BitsToDouble(b)));
                expected.Add(a);
                expected.Add(b);
            }
        }

        GorillaBlock block = GorillaBlock.Open(encoder.Finish().Bytes.Span);
        var actual = new List<ulong>();
        foreach (DataPoint point in block.GetDecoder())
        {
            actual.Add(BitConverter.DoubleToUInt64Bits(point.Value));
        }

        Assert.Equal(expected, actual);
    }

    [Fact]
    public void Random_series_round_trip_through_the_encoder_with_widest_deltas_and_open_block_reads()
    {
        // Straight on the encoder, without windows: gaps up to 2^31 seconds exercise the 32-bit bucket and
        // DeltaTooLarge, and the open block is decoded at random moments.
        int baseSeed = SeriesGenerator.BaseSeed;
        for (int i = 0; i < SeriesGenerator.SeriesCount(300); i++)
        {
            int seed = baseSeed + i;
            try
            {
                RoundTripThroughEncoder(seed);
            }
            catch (Exception e)
            {
                throw new XunitException($"{SeriesGenerator.Describe(seed, TimestampUnit.Seconds)}: {e}");
            }
        }
    }

    [Fact]
    public void Integer_series_jittering_around_a_level_round_trip_bit_for_bit_through_every_decoding_path()
    {
        // The shape where every XOR changes its leading and trailing zero counts (the benchmarks' jittering-ints):
        // a level, and at each point that level plus a uniform integer offset of up to ±10 % of it. Levels from 1
        // to 10^15, either sign, every cadence; blocks decoded in bulk, point by point, and half and half.
        int baseSeed = SeriesGenerator.BaseSeed;
        for (int i = 0; i < SeriesGenerator.SeriesCount(400); i++)
        {
            int seed = baseSeed + i;
            TimestampUnit unit = i % 3 == 2 ? TimestampUnit.Milliseconds : TimestampUnit.Seconds;
            try
            {
                RoundTripJittering(seed, unit);
            }
            catch (Exception e)
            {
                throw new XunitException($"{SeriesGenerator.Describe(seed, unit)}: {e}");
            }
        }
    }

    private static void RoundTripJittering(int seed, TimestampUnit unit)
    {
        var random = new Random(seed);
        var writer = new GorillaSeriesWriter($"jitter-{seed}", Settings, unit);
        long level = (long)Math.Pow(10, random.NextDouble() * 15) * (random.Next(4) == 0 ? -1 : 1);
        long spread = Math.Abs(level) / 10;
        long cadence = unit == TimestampUnit.Seconds ? new long[] { 1, 10, 60 }[random.Next(3)] : new long[] { 1, 250, 1000 }[random.Next(3)];
        int length = random.Next(1, 3000);
        var timestamps = new long[length];
        var values = new ulong[length];
        long t = random.NextInt64(0, 1L << 31);
        for (int i = 0; i < length; i++)
        {
            t += i == 0 ? 0 : cadence + (random.Next(60) == 0 ? random.Next(1, 4) : 0);
            timestamps[i] = t;
            values[i] = BitConverter.DoubleToUInt64Bits(level + random.NextInt64(-spread, spread + 1));
        }

        var blocks = new List<GorillaBlock>();
        for (int i = 0; i < length; i++)
        {
            if (writer.Append(timestamps[i], BitConverter.UInt64BitsToDouble(values[i])).FinishedBlock is { } finished)
            {
                blocks.Add(finished);
            }
        }

        // The open block, in bulk, before it is finished.
        int openCount = writer.OpenBlockCount;
        var openTimestamps = new long[openCount];
        var openValues = new double[openCount];
        Assert.Equal(openCount, writer.DecodeOpenBlock().DecodeAll(openTimestamps, openValues));
        for (int j = 0; j < openCount; j++)
        {
            int k = length - openCount + j;
            Expect(seed, k, timestamps[k], values[k], new DataPoint(openTimestamps[j], openValues[j]));
        }

        blocks.Add(writer.FinishOpenBlock() ?? throw new XunitException($"seed {seed}: no open block at the end"));
        int first = 0;
        foreach (GorillaBlock original in blocks)
        {
            GorillaBlock block = GorillaBlock.Open(original.Bytes.Span);
            int n = block.Count;
            var bulkTimestamps = new long[n];
            var bulkValues = new double[n];
            Assert.Equal(n, block.Decode(bulkTimestamps, bulkValues));

            // Point by point for a random number of points, then the rest in bulk.
            int iterated = random.Next(n + 1);
            GorillaDecoder mixed = block.GetDecoder();
            for (int j = 0; j < iterated; j++)
            {
                Assert.True(mixed.MoveNext());
                Expect(seed, first + j, timestamps[first + j], values[first + j], mixed.Current);
            }

            var restTimestamps = new long[n - iterated];
            var restValues = new double[n - iterated];
            Assert.Equal(n - iterated, mixed.DecodeAll(restTimestamps, restValues));
            for (int j = 0; j < n; j++)
            {
                int k = first + j;
                Expect(seed, k, timestamps[k], values[k], new DataPoint(bulkTimestamps[j], bulkValues[j]));
                if (j >= iterated)
                {
                    Expect(seed, k, timestamps[k], values[k], new DataPoint(restTimestamps[j - iterated], restValues[j - iterated]));
                }
            }

            first += n;
        }

        Assert.True(first == length, $"seed {seed}: decoded {first} of {length} points");
    }

    private static void RoundTripThroughWriter(int seed, TimestampUnit unit)
    {
        var random = new Random(seed);
        var writer = new GorillaSeriesWriter($"series-{seed}", Settings, unit);
        long window = writer.WindowLength;
        long regular = unit == TimestampUnit.Seconds
            ? new long[] { 1, 10, 60, 300 }[random.Next(4)]
            : new long[] { 1, 100, 1000, 60_000 }[random.Next(4)];
        long maxGap = window * 3;
        int length = random.Next(1, 400);
        long last = TimestampCoding.MaxTimestamp(unit) - ((long)length * maxGap);
        long start = random.Next(10) switch
        {
            < 3 => random.NextInt64(0, 3) * window, // on a window boundary
            9 => last - random.NextInt64(0, window), // near the end of the unit's range
            _ => random.NextInt64(0, unit == TimestampUnit.Seconds ? last : 4_000_000_000_000L),
        };
        (long[] timestamps, ulong[] values) = SeriesGenerator.Series(random, start, length, regular, maxGap);

        var blocks = new List<GorillaBlock>();
        for (int i = 0; i < length; i++)
        {
            SeriesAppendResult result = writer.Append(timestamps[i], BitConverter.UInt64BitsToDouble(values[i]));
            if (result.FinishedBlock is { } finished)
            {
                blocks.Add(finished);
            }

            if (random.Next(50) == 0)
            {
                CheckOpenBlock(seed, writer, timestamps, values, i);
            }
        }

        blocks.Add(writer.FinishOpenBlock() ?? throw new XunitException($"seed {seed}: no open block at the end"));

        int k = 0;
        foreach (GorillaBlock original in blocks)
        {
            GorillaBlock block = GorillaBlock.Open(original.Bytes.Span);
            Assert.Equal(unit, block.Unit);
            long header = block.HeaderTimestamp;
            Assert.Equal(0, header % window);
            foreach (DataPoint point in block.GetDecoder())
            {
                Assert.True(point.Timestamp >= header && point.Timestamp < header + window, $"seed {seed}: point {k} at {point.Timestamp} is outside the block window starting {header}");
                Expect(seed, k, timestamps[k], values[k], point);
                k++;
            }
        }

        Assert.True(k == length, $"seed {seed}: decoded {k} of {length} points");

        // The bulk decoder gives the same points.
        k = 0;
        foreach (GorillaBlock block in blocks)
        {
            var decodedTimestamps = new long[block.Count];
            var decodedValues = new double[block.Count];
            Assert.Equal(block.Count, block.Decode(decodedTimestamps, decodedValues));
            for (int j = 0; j < block.Count; j++, k++)
            {
                Expect(seed, k, timestamps[k], values[k], new DataPoint(decodedTimestamps[j], decodedValues[j]));
            }
        }
    }

    private static void CheckOpenBlock(int seed, GorillaSeriesWriter writer, long[] timestamps, ulong[] values, int lastIndex)
    {
        int count = writer.OpenBlockCount;
        int first = lastIndex - count + 1;
        GorillaDecoder decoder = writer.DecodeOpenBlock();
        for (int j = first; j <= lastIndex; j++)
        {
            Assert.True(decoder.MoveNext());
            Expect(seed, j, timestamps[j], values[j], decoder.Current);
        }

        Assert.False(decoder.MoveNext());
    }

    private static void RoundTripThroughEncoder(int seed)
    {
        var random = new Random(seed);
        int length = random.Next(1, 500);
        long maxGap = random.Next(2) == 0 ? 100_000 : 1L << 31;
        (long[] timestamps, ulong[] values) = SeriesGenerator.Series(random, random.NextInt64(0, 1000), length, 60, maxGap);
        var encoder = new GorillaEncoder($"raw-{seed}", TimestampUnit.Milliseconds, 0);
        var blocks = new List<GorillaBlock>();
        int blockStart = 0;
        for (int i = 0; i < length; i++)
        {
            double value = BitConverter.UInt64BitsToDouble(values[i]);
            AppendStatus status = encoder.TryAppend(timestamps[i], value);
            if (status != AppendStatus.Appended)
            {
                Assert.True(status is AppendStatus.DeltaTooLarge or AppendStatus.FirstDeltaTooLarge, $"seed {seed}: unexpected {status}");
                blocks.Add(encoder.Finish());
                encoder.Reset(timestamps[i]);
                blockStart = i;
                Assert.Equal(AppendStatus.Appended, encoder.TryAppend(timestamps[i], value));
            }

            if (random.Next(20) == 0)
            {
                GorillaDecoder open = encoder.DecodeSoFar();
                for (int j = blockStart; j <= i; j++)
                {
                    Assert.True(open.MoveNext());
                    Expect(seed, j, timestamps[j], values[j], open.Current);
                }
            }
        }

        blocks.Add(encoder.Finish());
        int k = 0;
        foreach (GorillaBlock block in blocks)
        {
            foreach (DataPoint point in GorillaBlock.Open(block.Bytes.Span).GetDecoder())
            {
                Expect(seed, k, timestamps[k], values[k], point);
                k++;
            }
        }

        Assert.Equal(length, k);
    }

    private static void Expect(int seed, int index, long timestamp, ulong valueBits, DataPoint actual)
    {
        ulong actualBits = BitConverter.DoubleToUInt64Bits(actual.Value);
        if (actual.Timestamp != timestamp || actualBits != valueBits)
        {
            throw new XunitException(
                $"seed {seed}: point {index} expected ({timestamp}, 0x{valueBits:X16}) but decoded ({actual.Timestamp}, 0x{actualBits:X16})");
        }
    }
}
