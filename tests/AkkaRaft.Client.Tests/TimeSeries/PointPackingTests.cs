using AkkaRaft.Client.TimeSeries;

namespace AkkaRaft.Client.Tests.TimeSeries;

public sealed class PointPackingTests
{
    private static (long[] Timestamps, double[] Values) Unpack(byte[] packed)
    {
        Assert.True(PointPacking.TryReadCount(packed, out var count));
        var points = new TimePoint[count];
        Assert.True(PointPacking.TryUnpack(packed, points));
        return (points.Select(p => p.Timestamp).ToArray(), points.Select(p => p.Value).ToArray());
    }

    private static void AssertRoundTrip(TimePoint[] points)
    {
        var (timestamps, values) = Unpack(PointPacking.Pack(points));

        Assert.Equal(points.Select(p => p.Timestamp), timestamps);
        // Bit for bit: NaN payloads and the sign of zero survive.
        Assert.Equal(points.Select(p => BitConverter.DoubleToInt64Bits(p.Value)), values.Select(BitConverter.DoubleToInt64Bits));
    }

    [Fact]
    public void Regular_timestamps_and_jittering_integer_values_take_about_four_bytes_a_point()
    {
        var random = new Random(20261207);
        var points = Enumerable.Range(0, 1_000).Select(i => new TimePoint(1_700_000_000 + i, 1_000 + random.Next(-100, 101))).ToArray();

        var packed = PointPacking.Pack(points);

        AssertRoundTrip(points);
        Assert.InRange(packed.Length, 3_000, 5_000);
    }

    [Fact]
    public void A_repeated_value_at_a_regular_interval_takes_two_bytes_a_point()
    {
        var points = Enumerable.Range(0, 1_000).Select(i => new TimePoint(1_700_000_000_000 + (i * 10_000L), 42.5)).ToArray();

        var packed = PointPacking.Pack(points);

        AssertRoundTrip(points);
        Assert.True(packed.Length <= (2 * points.Length) + 16, $"{packed.Length} bytes for {points.Length} points");
    }

    [Fact]
    public void Any_order_and_extreme_timestamps_and_special_values_round_trip_exactly()
    {
        AssertRoundTrip([]);
        AssertRoundTrip([new TimePoint(5, 1)]);
        AssertRoundTrip(
        [
            new TimePoint(long.MaxValue, double.NaN),
            new TimePoint(long.MinValue, -0.0),
            new TimePoint(0, double.PositiveInfinity),
            new TimePoint(-1, double.Epsilon),
            new TimePoint(long.MaxValue, BitConverter.Int64BitsToDouble(unchecked((long)0xFFF8_0000_DEAD_BEEF))),
            new TimePoint(3, double.MaxValue),
            new TimePoint(3, 0.1),
        ]);
    }

    [Fact]
    public void Random_points_round_trip_for_many_seeds()
    {
        for (var seed = 0; seed < 200; seed++)
        {
            var random = new Random(seed);
            var points = new TimePoint[random.Next(0, 300)];
            for (var i = 0; i < points.Length; i++)
            {
                var bits = random.Next(4) == 0 ? random.NextInt64() : random.NextInt64(-1_000, 1_000);
                points[i] = new TimePoint(bits, random.Next(3) switch
                {
                    0 => random.Next(-50, 50),
                    1 => random.NextDouble() * 1e6,
                    _ => BitConverter.Int64BitsToDouble(random.NextInt64(long.MinValue, long.MaxValue)),
                });
            }

            try
            {
                AssertRoundTrip(points);
            }
            catch (Exception e)
            {
                throw new InvalidOperationException($"seed {seed}", e);
            }
        }
    }

    [Fact]
    public void Cut_short_or_padded_or_garbled_bytes_are_refused_not_misread()
    {
        var packed = PointPacking.Pack([new TimePoint(100, 1.5), new TimePoint(110, 2.5), new TimePoint(120, 2.5)]);
        var points = new TimePoint[3];

        for (var length = 0; length < packed.Length; length++)
        {
            var cut = packed.AsSpan(0, length);
            Assert.False(PointPacking.TryReadCount(cut, out var count) && PointPacking.TryUnpack(cut, points), $"cut to {length} bytes, count {count}");
        }

        Assert.False(PointPacking.TryUnpack([.. packed, 0], points));
        // A control byte whose counts pass 8 bytes.
        Assert.False(PointPacking.TryUnpack([1, 0, 0x90], points));
        // An overlong varint.
        Assert.False(PointPacking.TryReadCount([0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0x7F], out _));
        // Destinations too short for the count.
        Assert.False(PointPacking.TryUnpack(packed, new TimePoint[2]));
    }

    [Fact]
    public void A_count_larger_than_the_bytes_could_hold_is_refused_before_any_array_is_sized_by_it()
    {
        // 2^31 points claimed in six bytes.
        byte[] claim = [0x80, 0x80, 0x80, 0x80, 0x08, 0];

        Assert.False(PointPacking.TryReadCount(claim, out var count));
        Assert.Equal(0, count);
    }
}
