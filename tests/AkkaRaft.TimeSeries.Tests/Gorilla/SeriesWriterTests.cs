using AkkaRaft.TimeSeries.Gorilla;

namespace AkkaRaft.TimeSeries.Tests.Gorilla;

/// <summary>Window alignment, block rolling and the millisecond option of <see cref="GorillaSeriesWriter"/>.</summary>
public sealed class SeriesWriterTests
{
    [Fact]
    public void Block_header_is_the_start_of_the_two_hour_window_holding_the_first_point()
    {
        var writer = new GorillaSeriesWriter("cpu", GorillaSettings.Default);
        writer.Append(1_427_162_462, 12.0); // 2015-03-24 02:01:02
        Assert.Equal(1_427_162_400, writer.OpenBlockHeader); // 02:00:00, a multiple of 7200
        Assert.Equal(0, writer.OpenBlockHeader % 7200);
        GorillaBlock block = writer.FinishOpenBlock()!;
        Assert.Equal(1_427_162_400, block.HeaderTimestamp);
    }

    [Fact]
    public void A_point_in_the_next_window_finishes_the_block_and_returns_it_with_the_reason()
    {
        var writer = new GorillaSeriesWriter("cpu", GorillaSettings.Default);
        Assert.False(writer.Append(7199, 1.0).StartedNewBlock);
        SeriesAppendResult result = writer.Append(7200, 2.0);
        Assert.True(result.StartedNewBlock);
        Assert.Equal(AppendStatus.OutsideWindow, result.Reason);
        Assert.Equal(0, result.FinishedBlock!.HeaderTimestamp);
        Assert.Equal(1, result.FinishedBlock.Count);
        Assert.Equal(7200, writer.OpenBlockHeader);
        Assert.Equal(1, writer.OpenBlockCount);
    }

    [Fact]
    public void A_point_several_windows_later_starts_a_block_aligned_to_its_own_window()
    {
        var writer = new GorillaSeriesWriter("cpu", GorillaSettings.Default);
        writer.Append(10, 1.0);
        writer.Append(7200 * 5 + 123, 2.0);
        Assert.Equal(7200 * 5, writer.OpenBlockHeader);
    }

    [Fact]
    public void Configured_window_is_used_for_alignment()
    {
        var settings = new GorillaSettings(900, TimestampUnit.Seconds, 8192);
        var writer = new GorillaSeriesWriter("cpu", settings);
        writer.Append(1000, 1.0);
        Assert.Equal(900, writer.OpenBlockHeader);
        Assert.True(writer.Append(1800, 1.0).StartedNewBlock);
        Assert.Equal(1800, writer.OpenBlockHeader);
    }

    [Fact]
    public void A_full_block_is_finished_and_the_next_point_starts_a_block_in_the_same_window()
    {
        var settings = new GorillaSettings(7200, TimestampUnit.Seconds, 3);
        var writer = new GorillaSeriesWriter("cpu", settings);
        writer.Append(1, 1.0);
        writer.Append(2, 1.0);
        writer.Append(3, 1.0);
        SeriesAppendResult result = writer.Append(4, 1.0);
        Assert.Equal(AppendStatus.BlockFull, result.Reason);
        Assert.Equal(3, result.FinishedBlock!.Count);
        Assert.Equal(0, writer.OpenBlockHeader);
        Assert.Equal(1, writer.OpenBlockCount);
    }

    [Fact]
    public void Millisecond_series_align_to_the_window_in_milliseconds_and_round_trip()
    {
        var writer = new GorillaSeriesWriter("latency", GorillaSettings.Default, TimestampUnit.Milliseconds);
        Assert.Equal(7_200_000, writer.WindowLength);
        long t0 = 1_427_162_462_123;
        long[] times = [t0, t0 + 999, t0 + 60_001, t0 + 60_002, t0 + 7_200_000];
        var blocks = new List<GorillaBlock>();
        foreach (long t in times)
        {
            if (writer.Append(t, t * 0.001).FinishedBlock is { } finished)
            {
                blocks.Add(finished);
            }
        }

        blocks.Add(writer.FinishOpenBlock()!);
        Assert.Equal(2, blocks.Count);
        Assert.Equal(1_427_162_400_000, blocks[0].HeaderTimestamp);
        Assert.Equal(1_427_169_600_000, blocks[1].HeaderTimestamp);
        Assert.All(blocks, b => Assert.Equal(TimestampUnit.Milliseconds, b.Unit));

        var decoded = new List<DataPoint>();
        foreach (GorillaBlock block in blocks)
        {
            foreach (DataPoint p in GorillaBlock.Open(block.Bytes.Span).GetDecoder())
            {
                decoded.Add(p);
            }
        }

        Assert.Equal(times, decoded.Select(p => p.Timestamp));
        Assert.Equal(times.Select(t => t * 0.001), decoded.Select(p => p.Value));
    }

    [Fact]
    public void Settings_default_unit_applies_when_the_series_does_not_choose_one()
    {
        var settings = new GorillaSettings(7200, TimestampUnit.Milliseconds, 8192);
        Assert.Equal(TimestampUnit.Milliseconds, new GorillaSeriesWriter("a", settings).Unit);
        Assert.Equal(TimestampUnit.Seconds, new GorillaSeriesWriter("b", settings, TimestampUnit.Seconds).Unit);
    }

    [Fact]
    public void Encoder_reports_a_delta_of_delta_beyond_the_widest_bucket_instead_of_writing_it()
    {
        // Without a window (header 0, no end), a gap of 2^31 + 2 seconds after a gap of 1 gives D = 2^31 + 1,
        // one more than the 32-bit bucket holds.
        var encoder = new GorillaEncoder("wide", TimestampUnit.Seconds, 0);
        encoder.TryAppend(0, 1.0);
        encoder.TryAppend(1, 1.0);
        byte[] before = encoder.BytesSoFar.ToArray();
        Assert.Equal(AppendStatus.DeltaTooLarge, encoder.TryAppend(1 + (1L << 31) + 2, 1.0));
        Assert.Equal(before, encoder.BytesSoFar.ToArray());
        Assert.Equal(2, encoder.Count);

        // D = 2^31 exactly is the bucket's top and fits.
        Assert.Equal(AppendStatus.Appended, encoder.TryAppend(1 + (1L << 31) + 1, 1.0));
        GorillaDecoder decoder = encoder.DecodeSoFar();
        decoder.SeekTo(2);
        Assert.Equal(1 + (1L << 31) + 1, decoder.Current.Timestamp);
    }

    [Fact]
    public void Encoder_reports_a_first_point_too_far_after_the_header_for_14_bits()
    {
        var encoder = new GorillaEncoder("far", TimestampUnit.Seconds, 0);
        Assert.Equal(AppendStatus.FirstDeltaTooLarge, encoder.TryAppend(1 << 14, 1.0));
        Assert.Equal(AppendStatus.Appended, encoder.TryAppend((1 << 14) - 1, 1.0));
    }

    [Fact]
    public void Encoder_with_a_window_refuses_points_at_or_after_its_end()
    {
        var encoder = new GorillaEncoder("window", TimestampUnit.Seconds, 7200, 14400);
        Assert.Equal(AppendStatus.OutsideWindow, encoder.TryAppend(14400, 1.0));
        Assert.Equal(AppendStatus.Appended, encoder.TryAppend(14399, 1.0));
        Assert.Equal(AppendStatus.OutsideWindow, encoder.TryAppend(14400, 1.0));
    }

    [Fact]
    public void Bytes_so_far_decode_to_the_points_appended_so_far_without_closing_the_block()
    {
        var encoder = new GorillaEncoder("stream", TimestampUnit.Seconds, 0);
        for (int i = 1; i <= 40; i++)
        {
            encoder.TryAppend(i * 60, i % 7);
            GorillaDecoder decoder = GorillaDecoder.ForOpenBlock(encoder.BytesSoFar.ToArray(), encoder.Count);
            int n = 0;
            foreach (DataPoint p in decoder)
            {
                n++;
                Assert.Equal(new DataPoint(n * 60, n % 7), p);
            }

            Assert.Equal(i, n);
        }

        GorillaBlock block = encoder.Finish();
        Assert.Equal(40, block.Count);
    }

    [Fact]
    public void Finished_block_does_not_change_when_the_encoder_is_reset_and_reused()
    {
        var encoder = new GorillaEncoder("reuse", TimestampUnit.Seconds, 0);
        encoder.TryAppend(5, 1.0);
        GorillaBlock block = encoder.Finish();
        byte[] copy = block.Bytes.ToArray();
        encoder.Reset(7200);
        for (int i = 0; i < 1000; i++)
        {
            encoder.TryAppend(7200 + i, i);
        }

        Assert.Equal(copy, block.Bytes.ToArray());
    }

    [Fact]
    public void Appending_to_a_reused_encoder_allocates_nothing_per_point()
    {
        var encoder = new GorillaEncoder("alloc", TimestampUnit.Seconds, 0);
        var values = new double[8000];
        for (int i = 0; i < values.Length; i++)
        {
            values[i] = (i % 5) * 0.25;
        }

        void EncodeAll()
        {
            encoder.Reset(0);
            long t = 0;
            for (int i = 0; i < values.Length; i++)
            {
                t += 1 + (i % 3);
                encoder.TryAppend(t, values[i]);
            }
        }

        EncodeAll(); // grows the buffer to its working size
        long before = GC.GetAllocatedBytesForCurrentThread();
        EncodeAll();
        long after = GC.GetAllocatedBytesForCurrentThread();
        Assert.Equal(0, after - before);
    }
}
