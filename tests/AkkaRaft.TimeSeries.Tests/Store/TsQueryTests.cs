using AkkaRaft.Client.TimeSeries;

namespace AkkaRaft.TimeSeries.Tests.Store;

public sealed class TsQueryTests
{
    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(3)]
    [InlineData(4)]
    public void Downsampled_aggregates_equal_a_plain_computation_over_the_same_points(int seed)
    {
        var random = new Random(seed);
        var ts = new TsHarness();
        var all = new List<TimePoint>();
        var t = random.Next(0, 100);
        for (var batch = 0; batch < 20; batch++)
        {
            var points = new List<TimePoint>();
            for (var i = random.Next(1, 60); i > 0; i--)
            {
                t += random.Next(1, 9);
                points.Add(new TimePoint(t, Math.Round((random.NextDouble() - 0.3) * 1000, random.Next(0, 4))));
            }

            Assert.True(ts.Apply(TsCommands.Append("x", points)).IsOk);
            all.AddRange(points);
        }

        Assert.True(ts.Query(TsQueries.Stats("x")).Stats!.SealedBlocks > 2, "the data should span several sealed blocks");
        for (var q = 0; q < 40; q++)
        {
            long from = random.Next(-10, t);
            long to = from + random.Next(1, t);
            long step = random.Next(1, 200);
            var aggregate = (TsAggregateKind)random.Next(1, 8);

            var answer = ts.Query(TsQueries.Range("x", from, to, step, aggregate));

            Assert.True(answer.IsOk, answer.Message);
            var expected = all.Where(p => p.Timestamp >= from && p.Timestamp < to)
                .GroupBy(p => p.Timestamp / step * step)
                .Select(g => new TimePoint(g.Key, Reference(aggregate, g.Select(p => p.Value).ToList())))
                .ToList();
            Assert.Equal(expected, answer.Points);
        }

        var raw = ts.Query(TsQueries.Range("x", 50, 400));
        Assert.Equal(all.Where(p => p.Timestamp is >= 50 and < 400), raw.Points);
    }

    private static double Reference(TsAggregateKind aggregate, List<double> values)
    {
        switch (aggregate)
        {
            case TsAggregateKind.Avg:
            case TsAggregateKind.Sum:
                var sum = 0.0;
                foreach (var v in values) sum += v;
                return aggregate == TsAggregateKind.Sum ? sum : sum / values.Count;
            case TsAggregateKind.Min: return values.Min();
            case TsAggregateKind.Max: return values.Max();
            case TsAggregateKind.Count: return values.Count;
            case TsAggregateKind.First: return values[0];
            default: return values[^1];
        }
    }

    [Fact]
    public void The_latest_point_is_trrs_GetTimeData()
    {
        var ts = new TsHarness();
        ts.Put("t1", (1427162400, 10), (1427162462, 12), (1427162524, 14));

        var latest = ts.Query(TsQueries.Latest("t1"));

        Assert.Equal([new TimePoint(1427162524, 14)], latest.Points);
    }

    [Fact]
    public void Series_are_listed_by_prefix_in_name_order_with_their_stats()
    {
        var ts = new TsHarness();
        ts.Put("disk/b", (1, 1), (2, 2));
        ts.Put("disk/a", (1, 1));
        ts.Put("mem", (1, 1));

        var listed = ts.Query(TsQueries.List("disk/"));

        Assert.Equal(["disk/a", "disk/b"], listed.Series.Select(s => s.Name));
        Assert.Equal(2ul, listed.Series[1].Points);
        Assert.Empty(ts.Query(TsQueries.List("zzz")).Series);
    }

    [Fact]
    public void Stats_count_points_blocks_and_bytes()
    {
        var ts = new TsHarness();
        ts.Apply(TsCommands.Append("cpu", Enumerable.Range(0, 200).Select(i => new TimePoint(i, 42)).ToArray()));

        var stats = ts.Query(TsQueries.Stats("cpu")).Stats!;

        Assert.Equal(200ul, stats.Points);
        // 60 s windows of at most 50 points: [0,50) full, [50,60), [60,110) full, [110,120), [120,170) full, [170,180)
        // sealed; [180,200) open.
        Assert.Equal(6ul, stats.SealedBlocks);
        Assert.Equal(20ul, stats.OpenPoints);
        Assert.Equal(0, stats.First);
        Assert.Equal(199, stats.Last);
        // A constant value at a constant interval costs about 2 bits per point, plus headers and footers.
        Assert.InRange(stats.BytesPerPoint, 0.1, 1.0);
    }

    [Fact]
    public void A_range_in_milliseconds_over_a_series_in_seconds_is_converted()
    {
        var ts = new TsHarness();
        ts.Put("cpu", (10, 1), (11, 2), (12, 3));

        var answer = ts.Query(TsQueries.Range("cpu", 10_500, 12_000, unit: TimeUnit.Milliseconds));

        Assert.Equal([new TimePoint(11, 2)], answer.Points);
        Assert.Equal(TimeUnit.Seconds, answer.Unit);
    }

    [Fact]
    public void An_answer_over_max_query_points_is_refused_with_advice()
    {
        var ts = new TsHarness(TsHarness.Small with { MaxQueryPoints = 10 });
        ts.Apply(TsCommands.Append("cpu", Enumerable.Range(0, 30).Select(i => new TimePoint(i, i)).ToArray()));

        var answer = ts.Query(TsQueries.Range("cpu"));

        Assert.Equal(TsStatus.TooManyResults, answer.Status);
        Assert.Contains("max-query-points (10)", answer.Message, StringComparison.Ordinal);
        Assert.True(ts.Query(TsQueries.Range("cpu", step: 10, aggregate: TsAggregateKind.Max)).IsOk);
    }

    [Fact]
    public void An_unknown_series_is_not_found()
    {
        Assert.Equal(TsStatus.NotFound, new TsHarness().Query(TsQueries.Range("nope")).Status);
    }
}
