using AkkaRaft.Client.TimeSeries;
using AkkaRaft.Client.TimeSeries.Protocol;
using AkkaRaft.TimeSeries.Gorilla;

namespace AkkaRaft.TimeSeries.Tests.Store;

public sealed class TsAppendTests
{
    [Fact]
    public void A_batch_of_points_is_stored_and_read_back_in_time_order()
    {
        var ts = new TsHarness();

        var result = ts.Put("cpu", (130, 3), (100, 1), (110, 2));

        Assert.True(result.IsOk, result.Message);
        Assert.Equal(3ul, result.Appended);
        Assert.Equal(1ul, result.CreatedSeries);
        Assert.Equal([new TimePoint(100, 1), new TimePoint(110, 2), new TimePoint(130, 3)], ts.Query(TsQueries.Range("cpu")).Points);
    }

    [Fact]
    public void A_point_inside_the_open_window_but_before_the_latest_is_stored_in_order()
    {
        var ts = new TsHarness();
        ts.Put("cpu", (120, 1), (150, 3));

        var result = ts.Put("cpu", (130, 2), (150, 4));

        Assert.True(result.IsOk, result.Message);
        Assert.Equal([new TimePoint(120, 1), new TimePoint(130, 2), new TimePoint(150, 4)], ts.Query(TsQueries.Range("cpu")).Points);
    }

    [Fact]
    public void A_point_older_than_the_open_block_is_refused_naming_the_series_and_the_oldest_time_accepted()
    {
        var ts = new TsHarness();
        ts.Put("cpu", (100, 1), (130, 2)); // window [60, 120) sealed by the point at 130; open block [120, 180)

        var result = ts.Put("cpu", (119, 9), (140, 3));

        Assert.Equal(TsStatus.OutOfWindow, result.Status);
        Assert.Equal("cpu", result.FailedSeries);
        Assert.Equal(120, result.OldestAccepted);
        Assert.Contains("'cpu'", result.Message, StringComparison.Ordinal);
        Assert.Contains("oldest timestamp it accepts is 120", result.Message, StringComparison.Ordinal);
        // All or nothing: the point at 140 was not stored either.
        Assert.Equal([new TimePoint(100, 1), new TimePoint(130, 2)], ts.Query(TsQueries.Range("cpu")).Points);
    }

    [Fact]
    public void A_retried_batch_is_counted_as_duplicates_and_changes_nothing_even_below_the_open_block()
    {
        var ts = new TsHarness();
        var batch = TsCommands.Append("cpu", [new TimePoint(100, 1), new TimePoint(110, 2), new TimePoint(130, 3)]);
        ts.Apply(batch);
        var before = ts.Snapshot();

        var retried = ts.Apply(batch);

        Assert.True(retried.IsOk, retried.Message);
        Assert.Equal(3ul, retried.Duplicates);
        Assert.Equal(0ul, retried.Appended);
        Assert.Equal(before, ts.Snapshot());
    }

    [Fact]
    public void A_full_block_is_sealed_and_the_points_stay_readable()
    {
        var ts = new TsHarness(TsHarness.Small with { Codec = new GorillaSettings(7200, TimestampUnit.Seconds, 50) });
        var points = Enumerable.Range(0, 120).Select(i => new TimePoint(1_000 + i, i * 0.5)).ToArray();

        ts.Apply(TsCommands.Append("cpu", points));

        var stats = ts.Query(TsQueries.Stats("cpu")).Stats!;
        Assert.Equal(120ul, stats.Points);
        Assert.Equal(2ul, stats.SealedBlocks);
        Assert.Equal(20ul, stats.OpenPoints);
        Assert.Equal(points, ts.Query(TsQueries.Range("cpu")).Points);
    }

    [Fact]
    public void Several_series_in_one_write_are_applied_all_or_nothing()
    {
        var ts = new TsHarness();
        ts.Put("b", (500, 1));

        var result = ts.Apply(TsCommands.AppendMany([
            new("a", [new TimePoint(100, 1)]),
            new("b", [new TimePoint(10, 1)]),
        ]));

        Assert.Equal(TsStatus.OutOfWindow, result.Status);
        Assert.Equal("b", result.FailedSeries);
        Assert.Equal(TsStatus.NotFound, ts.Query(TsQueries.Latest("a")).Status);
    }

    [Fact]
    public void A_series_keeps_its_unit_and_refuses_points_in_the_other()
    {
        var ts = new TsHarness();
        ts.Apply(TsCommands.Append("cpu", 1_700_000_000_000, 1, TimeUnit.Milliseconds));

        var result = ts.Apply(TsCommands.Append("cpu", 1_700_000_001, 2));

        Assert.Equal(TsStatus.UnitMismatch, result.Status);
        Assert.Contains("milliseconds", result.Message, StringComparison.Ordinal);
        Assert.Equal(TimeUnit.Milliseconds, ts.Query(TsQueries.Latest("cpu")).Unit);
    }

    [Theory]
    [InlineData("", TsStatus.InvalidName)]
    [InlineData("a\nb", TsStatus.InvalidName)]
    [InlineData("seventeen-bytes!!", TsStatus.NameTooLong)]
    public void A_bad_series_name_is_refused(string name, TsStatus expected)
    {
        var ts = new TsHarness();

        var result = ts.Put(name, (1, 1));

        Assert.Equal(expected, result.Status);
        Assert.Equal(0, ts.Machine.SeriesCount);
    }

    [Fact]
    public void A_write_over_max_points_per_command_is_refused()
    {
        var ts = new TsHarness();
        var points = Enumerable.Range(0, 501).Select(i => new TimePoint(i, i)).ToArray();

        var result = ts.Apply(TsCommands.Append("cpu", points));

        Assert.Equal(TsStatus.TooManyPoints, result.Status);
        Assert.Contains("max-points-per-command (500)", result.Message, StringComparison.Ordinal);
        Assert.Equal(0, ts.Machine.SeriesCount);
    }

    [Fact]
    public void A_write_that_would_pass_max_series_is_refused()
    {
        var ts = new TsHarness();
        for (var i = 0; i < 8; i++) Assert.True(ts.Put($"s{i}", (1, 1)).IsOk);

        var result = ts.Put("s8", (1, 1));

        Assert.Equal(TsStatus.TooManySeries, result.Status);
        Assert.Equal("s8", result.FailedSeries);
        Assert.True(ts.Put("s0", (2, 2)).IsOk, "an existing series still takes points");
    }

    [Fact]
    public void A_timestamp_beyond_uint32_seconds_is_refused()
    {
        var ts = new TsHarness();

        var result = ts.Put("cpu", (1L << 32, 1));

        Assert.Equal(TsStatus.TimestampOutOfRange, result.Status);
    }

    [Fact]
    public void Retention_drops_whole_old_blocks_and_then_refuses_points_older_than_its_cutoff()
    {
        var ts = new TsHarness();
        ts.Put("cpu", (10, 1), (70, 2), (130, 3)); // blocks [0,60) and [60,120) sealed, [120,180) open
        ts.Put("old", (5, 1));

        var dropped = ts.Apply(TsCommands.DropBefore(100_000)); // 100 s

        Assert.Equal(3ul, dropped.DroppedBlocks); // cpu's two sealed blocks (last points 10 and 70), and the only block of 'old'
        Assert.Equal(1ul, dropped.DroppedSeries);
        Assert.Equal([new TimePoint(130, 3)], ts.Query(TsQueries.Range("cpu")).Points);
        Assert.Equal(TsStatus.NotFound, ts.Query(TsQueries.Stats("old")).Status);
        var late = ts.Put("old", (50, 1));
        Assert.Equal(TsStatus.OutOfWindow, late.Status);
        Assert.Equal(100, late.OldestAccepted);
        Assert.Contains("retention", late.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_malformed_command_is_a_result_not_an_exception()
    {
        var ts = new TsHarness();

        Assert.Equal(TsStatus.InvalidRequest, ts.Apply([TsCommands.Marker, 0xFF, 0xFF]).Status);
        Assert.Equal(TsStatus.InvalidRequest, ts.Apply([0x0A, 0x01]).Status);
    }

    /// <summary>An append as written before points were packed: the timestamps and values as repeated fields.</summary>
    private static byte[] Unpacked(string series, TimePoint[] points, int dropValues = 0)
    {
        var one = new SeriesPoints { Name = Google.Protobuf.ByteString.CopyFromUtf8(series) };
        one.Timestamps.AddRange(points.Select(p => p.Timestamp));
        one.Values.AddRange(points.Skip(dropValues).Select(p => p.Value));
        return TsCommands.Encode(new TsCommand { Append = new AppendOp { Series = { one } } });
    }

    [Fact]
    public void An_append_written_before_packing_still_applies_as_the_same_points()
    {
        TimePoint[] points = [new(130, 3), new(100, 1), new(110, 2), new(110, 2.5)];
        var old = new TsHarness();
        var packed = new TsHarness();

        var oldResult = old.Apply(Unpacked("cpu", points));
        var packedResult = packed.Apply(TsCommands.Append("cpu", points));

        Assert.True(oldResult.IsOk, oldResult.Message);
        Assert.Equal(3ul, oldResult.Appended);
        Assert.Equal([new TimePoint(100, 1), new TimePoint(110, 2.5), new TimePoint(130, 3)], old.Query(TsQueries.Range("cpu")).Points);
        Assert.Equal(old.Snapshot(), packed.Snapshot());
        Assert.Equal(oldResult.Appended, packedResult.Appended);
    }

    [Fact]
    public void Points_given_in_time_order_are_stored_as_the_same_points_given_shuffled()
    {
        var random = new Random(7);
        var points = Enumerable.Range(0, 400).Select(i => new TimePoint(1_000 + (i * 3), random.Next(100))).ToArray();
        var inOrder = new TsHarness(TsHarness.Small with { MaxPointsPerCommand = 1_000 });
        var shuffled = new TsHarness(TsHarness.Small with { MaxPointsPerCommand = 1_000 });

        inOrder.Apply(TsCommands.Append("cpu", points));
        shuffled.Apply(TsCommands.Append("cpu", points.OrderBy(_ => random.Next()).ToArray()));

        Assert.Equal(points, inOrder.Query(TsQueries.Range("cpu")).Points);
        Assert.Equal(inOrder.Snapshot(), shuffled.Snapshot());
    }

    [Fact]
    public void Points_packed_wrongly_or_given_in_both_forms_are_refused_naming_the_series_and_nothing_is_written()
    {
        var ts = new TsHarness();
        ts.Put("cpu", (100, 1));
        var before = ts.Snapshot();
        var good = new SeriesPoints { Name = Google.Protobuf.ByteString.CopyFromUtf8("mem"), Packed = Google.Protobuf.ByteString.CopyFrom(PointPacking.Pack([new TimePoint(100, 1), new TimePoint(110, 2)])) };
        var cut = good.Clone();
        cut.Packed = Google.Protobuf.ByteString.CopyFrom(good.Packed.Span[..^1]);
        var both = good.Clone();
        both.Timestamps.Add(120);
        both.Values.Add(3);
        var mismatched = Unpacked("mem", [new TimePoint(100, 1), new TimePoint(110, 2)], dropValues: 1);

        foreach (var (what, command) in new[]
                 {
                     ("cut short", TsCommands.Encode(new TsCommand { Append = new AppendOp { Series = { cut } } })),
                     ("both forms", TsCommands.Encode(new TsCommand { Append = new AppendOp { Series = { both } } })),
                     ("unequal repeated fields", mismatched),
                 })
        {
            var result = ts.Apply(command);
            Assert.True(result.Status == TsStatus.InvalidRequest, $"{what}: {result.Status} {result.Message}");
            Assert.Equal("mem", result.FailedSeries);
            Assert.Contains("'mem'", result.Message, StringComparison.Ordinal);
        }

        Assert.Equal(before, ts.Snapshot());
    }
}
