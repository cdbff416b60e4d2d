using AkkaRaft.TimeSeries.Gorilla;

namespace AkkaRaft.TimeSeries.Tests.Gorilla;

/// <summary>Bad input gets a clear error and changes nothing.</summary>
public sealed class ErrorTests
{
    [Fact]
    public void Equal_timestamp_is_rejected_with_an_error_naming_the_series_and_both_timestamps()
    {
        var writer = new GorillaSeriesWriter("host-1.cpu", GorillaSettings.Default);
        writer.Append(1_427_162_462, 1.0);
        var error = Assert.Throws<NonIncreasingTimestampException>(() => writer.Append(1_427_162_462, 2.0));
        Assert.Equal("host-1.cpu", error.SeriesName);
        Assert.Equal(1_427_162_462, error.PreviousTimestamp);
        Assert.Equal(1_427_162_462, error.Timestamp);
        Assert.Contains("'host-1.cpu'", error.Message, StringComparison.Ordinal);
        Assert.Contains("1427162462 s", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Earlier_timestamp_is_rejected_naming_both_and_leaves_the_open_block_unchanged()
    {
        var writer = new GorillaSeriesWriter("host-1.mem", GorillaSettings.Default, TimestampUnit.Milliseconds);
        writer.Append(5_000, 1.0);
        writer.Append(6_000, 2.0);
        byte[] before = writer.OpenBlockBytes.ToArray();

        var error = Assert.Throws<NonIncreasingTimestampException>(() => writer.Append(5_500, 3.0));
        Assert.Equal(
            "Series 'host-1.mem' rejected a point at 5500 ms: timestamps must strictly increase, and the previous point is at 6000 ms. (Parameter 'timestamp')",
            error.Message);
        Assert.Equal(before, writer.OpenBlockBytes.ToArray());
        Assert.Equal(2, writer.OpenBlockCount);
        Assert.Equal(6_000, writer.LastTimestamp);
    }

    [Fact]
    public void Ordering_is_enforced_across_blocks()
    {
        var writer = new GorillaSeriesWriter("s", GorillaSettings.Default);
        writer.Append(7_300, 1.0); // window 7200..14399
        writer.FinishOpenBlock();
        var error = Assert.Throws<NonIncreasingTimestampException>(() => writer.Append(100, 1.0));
        Assert.Equal(7_300, error.PreviousTimestamp);
    }

    [Fact]
    public void Encoder_rejects_non_increasing_timestamps_with_the_same_error()
    {
        var encoder = new GorillaEncoder("raw", TimestampUnit.Seconds, 0);
        encoder.TryAppend(10, 1.0);
        var error = Assert.Throws<NonIncreasingTimestampException>(() => encoder.TryAppend(9, 1.0));
        Assert.Equal("raw", error.SeriesName);
        Assert.Equal((10, 9), (error.PreviousTimestamp, error.Timestamp));
        Assert.Equal(1, encoder.Count);
    }

    [Theory]
    [InlineData(-1L)]
    [InlineData(4_294_967_296L)]
    public void Seconds_timestamp_outside_uint32_is_rejected_naming_the_series(long timestamp)
    {
        var writer = new GorillaSeriesWriter("temps", GorillaSettings.Default);
        var error = Assert.Throws<ArgumentOutOfRangeException>(() => writer.Append(timestamp, 1.0));
        Assert.Contains("'temps'", error.Message, StringComparison.Ordinal);
        Assert.Contains("4294967295", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Largest_uint32_second_is_accepted()
    {
        var writer = new GorillaSeriesWriter("end-of-time", GorillaSettings.Default);
        writer.Append(uint.MaxValue - 1, 1.0);
        writer.Append(uint.MaxValue, 2.0);
        GorillaDecoder decoder = GorillaBlock.Open(writer.FinishOpenBlock()!.Bytes.Span).GetDecoder();
        decoder.SeekTo(uint.MaxValue);
        Assert.Equal(new DataPoint(uint.MaxValue, 2.0), decoder.Current);
    }

    [Fact]
    public void First_point_before_the_block_header_is_rejected()
    {
        var encoder = new GorillaEncoder("early", TimestampUnit.Seconds, 7200);
        var error = Assert.Throws<ArgumentOutOfRangeException>(() => encoder.TryAppend(7199, 1.0));
        Assert.Contains("before the block header 7200 s", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Appending_to_a_finished_block_is_an_error_until_reset()
    {
        var encoder = new GorillaEncoder("done", TimestampUnit.Seconds, 0);
        encoder.TryAppend(1, 1.0);
        encoder.Finish();
        Assert.Throws<InvalidOperationException>(() => encoder.TryAppend(2, 1.0));
        Assert.Throws<InvalidOperationException>(() => encoder.Finish());
        encoder.Reset(7200);
        Assert.Equal(AppendStatus.Appended, encoder.TryAppend(7201, 1.0));
    }

    [Theory]
    [InlineData(0, 8192, "block-window-seconds")]
    [InlineData(16385, 8192, "block-window-seconds")]
    [InlineData(7200, 0, "max-points-per-block")]
    [InlineData(7200, 65536, "max-points-per-block")]
    public void Settings_out_of_range_name_the_setting(int window, int maxPoints, string key)
    {
        var error = Assert.Throws<ArgumentOutOfRangeException>(() => new GorillaSettings(window, TimestampUnit.Seconds, maxPoints));
        Assert.Contains($"akkaraft.time-series.{key}", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Largest_settings_are_accepted()
    {
        var settings = new GorillaSettings(16384, TimestampUnit.Milliseconds, 65535);
        Assert.Equal(16_384_000, settings.BlockWindowIn(TimestampUnit.Milliseconds));
    }

    [Theory]
    [InlineData("seconds", TimestampUnit.Seconds)]
    [InlineData(" Milliseconds ", TimestampUnit.Milliseconds)]
    [InlineData("ms", TimestampUnit.Milliseconds)]
    [InlineData("s", TimestampUnit.Seconds)]
    public void Timestamp_unit_setting_parses(string text, TimestampUnit unit) =>
        Assert.Equal(unit, GorillaSettings.ParseUnit(text));

    [Fact]
    public void Unknown_timestamp_unit_setting_is_quoted_in_the_error()
    {
        var error = Assert.Throws<FormatException>(() => GorillaSettings.ParseUnit("minutes"));
        Assert.Contains("'minutes'", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Open_block_bytes_with_an_unknown_format_byte_are_refused()
    {
        Assert.Throws<CorruptBlockException>(() => GorillaDecoder.ForOpenBlock(new byte[] { 0x30, 0, 0, 0, 0 }, 0));
        Assert.Throws<CorruptBlockException>(() => GorillaDecoder.ForOpenBlock(new byte[] { 0x11, 0, 0 }, 0));
    }
}

public sealed class RangeEndTests
{
    [Fact]
    public void Largest_millisecond_timestamp_is_accepted_and_round_trips()
    {
        var writer = new GorillaSeriesWriter("end-of-ms", GorillaSettings.Default, TimestampUnit.Milliseconds);
        writer.Append(long.MaxValue - 1, 1.0);
        writer.Append(long.MaxValue, 2.0);
        GorillaBlock block = GorillaBlock.Open(writer.FinishOpenBlock()!.Bytes.Span);
        GorillaDecoder decoder = block.GetDecoder();
        Assert.True(decoder.SeekTo(long.MaxValue));
        Assert.Equal(new DataPoint(long.MaxValue, 2.0), decoder.Current);
        Assert.Equal(long.MaxValue - (long.MaxValue % 7_200_000), block.HeaderTimestamp);
    }
}
