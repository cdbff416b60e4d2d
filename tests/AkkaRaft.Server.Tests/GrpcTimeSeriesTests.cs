using System.Globalization;
using System.Net;
using System.Text.Json;
using AkkaRaft.Grpc.V1;
using AkkaRaft.Server.Grpc;
using Google.Protobuf;
using Grpc.Core;
using static AkkaRaft.Server.Tests.GrpcTestNode;
using TimeSeriesClient = AkkaRaft.Grpc.V1.TimeSeries.TimeSeriesClient;

namespace AkkaRaft.Server.Tests;

/// <summary>One node with small time-series limits and its gRPC API, shared by the tests of a class.</summary>
public sealed class GrpcSeriesNodeFixture : IAsyncLifetime
{
    private readonly string _dataDir = TestCluster.TempDirectory("grpc-ts");
    private GrpcTestNode? _node;

    internal GrpcTestNode Node => _node!;

    internal TimeSeriesClient Series { get; private set; } = null!;

    public async Task InitializeAsync()
    {
        _node = await GrpcTestNode.StartAsync("t1", _dataDir, new Dictionary<string, string>
        {
            ["akkaraft.time-series.max-points-per-command"] = "10",
            ["akkaraft.time-series.max-series-name-bytes"] = "16",
            ["akkaraft.time-series.max-query-points"] = "5",
            // Minute blocks: a point in a later minute seals the block before it.
            ["akkaraft.time-series.block-window-seconds"] = "60",
        });
        Series = new TimeSeriesClient(_node.Channel);
        await WaitForLeaderAsync(_node, members: 1);
    }

    public async Task DisposeAsync()
    {
        if (_node is not null) await _node.DisposeAsync();
        Directory.Delete(_dataDir, recursive: true);
    }
}

/// <summary>Every RPC of <c>akkaraft.v1.TimeSeries</c> on one node, through a real gRPC channel, against values computed here.</summary>
public sealed class GrpcTimeSeriesTests(GrpcSeriesNodeFixture fixture) : IClassFixture<GrpcSeriesNodeFixture>
{
    private TimeSeriesClient Series => fixture.Series;

    private static SeriesPoints Points(string name, params (long T, double V)[] points)
    {
        var series = new SeriesPoints { Name = name };
        foreach (var (t, v) in points) series.Points.Add(new Point { Timestamp = t, Value = v });
        return series;
    }

    private static SeriesPutRequest PutOf(params SeriesPoints[] series)
    {
        var request = new SeriesPutRequest();
        request.Series.AddRange(series);
        return request;
    }

    private async Task<string[]> NamesAsync(string prefix) =>
        (await Series.ListAsync(new SeriesListRequest { Prefix = prefix, Level = ReadLevel.Consistent })).Series.Select(s => s.Name).ToArray();

    [Fact]
    public async Task Put_writes_a_batch_in_one_entry_and_Get_reads_it_back_by_range_and_downsampled()
    {
        // Not aligned to the minute, so that buckets start before the first point.
        const long t0 = 1_700_000_000;
        var cpu = Enumerable.Range(0, 7).Select(k => (T: t0 + 17 * k, V: k * 1.5 + (k % 2 == 0 ? 10 : 0))).ToArray();
        var put = await Series.PutAsync(PutOf(Points("cpu", cpu), Points("mem", (t0, 71), (t0 + 30, 72.5))));
        Assert.Equal(9ul, put.Appended);
        Assert.Equal(0ul, put.Duplicates);
        Assert.Equal(2ul, put.Created);
        Assert.True(put.Header.Index > 0);
        Assert.Equal("t1", put.Header.LeaderId);

        // [from, to): the points k = 1..4.
        var range = await Series.GetAsync(new SeriesGetRequest { Name = "cpu", From = t0 + 17, To = t0 + 17 * 5, Level = ReadLevel.Consistent });
        Assert.Equal(cpu[1..5].Select(p => (p.T, p.V)), range.Points.Select(p => (p.Timestamp, p.Value)));
        Assert.Equal(SeriesUnit.Seconds, range.Unit);
        Assert.True(range.Header.Index >= put.Header.Index, $"served at {range.Header.Index}, after the put at {put.Header.Index}");

        // The same range asked in milliseconds: the points come back in the series' own unit (seconds).
        var inMs = await Series.GetAsync(new SeriesGetRequest { Name = "cpu", From = (t0 + 17) * 1000, To = (t0 + 17 * 5) * 1000, Unit = SeriesUnit.Milliseconds });
        Assert.Equal(range.Points, inMs.Points);
        Assert.Equal(SeriesUnit.Seconds, inMs.Unit);

        // Minute buckets [k*60, (k+1)*60), each at its start.
        var buckets = cpu.GroupBy(p => p.T - p.T % 60).OrderBy(g => g.Key).ToArray();
        foreach (var (aggregate, expected) in new (SeriesAggregate, Func<IEnumerable<(long T, double V)>, double>)[]
                 {
                     (SeriesAggregate.Avg, b => b.Average(p => p.V)),
                     (SeriesAggregate.Max, b => b.Max(p => p.V)),
                     (SeriesAggregate.Min, b => b.Min(p => p.V)),
                     (SeriesAggregate.Sum, b => b.Sum(p => p.V)),
                     (SeriesAggregate.Count, b => b.Count()),
                     (SeriesAggregate.First, b => b.First().V),
                     (SeriesAggregate.Last, b => b.Last().V),
                 })
        {
            var down = await Series.GetAsync(new SeriesGetRequest { Name = "cpu", Step = 60, Aggregate = aggregate });
            Assert.Equal(buckets.Select(b => b.Key), down.Points.Select(p => p.Timestamp));
            for (var i = 0; i < buckets.Length; i++) Assert.Equal(expected(buckets[i]), down.Points[i].Value, 9);
        }

        // Sent again (a retry whose answer was lost): every point is a duplicate, nothing changes.
        var again = await Series.PutAsync(PutOf(Points("cpu", cpu), Points("mem", (t0, 71), (t0 + 30, 72.5))));
        Assert.Equal((0ul, 9ul, 0ul), (again.Appended, again.Duplicates, again.Created));
        Assert.Equal(2, (await Series.GetAsync(new SeriesGetRequest { Name = "mem" })).Points.Count);
    }

    [Fact]
    public async Task List_names_the_series_under_a_prefix_in_order_with_their_stats()
    {
        await Series.PutAsync(PutOf(Points("ls/b", (100, 1), (160, 2), (220, 3)), Points("ls/a", (100, 1)), Points("lsx", (100, 1))));
        var list = await Series.ListAsync(new SeriesListRequest { Prefix = "ls/" });
        Assert.Equal(["ls/a", "ls/b"], list.Series.Select(s => s.Name));
        var b = list.Series[1];
        Assert.Equal((3ul, 100L, 220L, 3.0), (b.Points, b.First, b.Last, b.LastValue));
        Assert.Equal(SeriesUnit.Seconds, b.Unit);
        // Three minutes with block-window-seconds = 60: two sealed blocks and the open one.
        Assert.Equal((2ul, 1ul, 3ul), (b.SealedBlocks, b.OpenPoints, b.Blocks));
        Assert.True(b.Bytes > 0);
        Assert.Equal((double)b.Bytes / b.Points, b.BytesPerPoint, 9);
    }

    [Fact]
    public async Task Bad_points_are_INVALID_ARGUMENT_naming_the_field_and_write_nothing()
    {
        var none = await FailsAsync(Series.PutAsync(new SeriesPutRequest()));
        Assert.Equal(StatusCode.InvalidArgument, none.StatusCode);
        Assert.StartsWith("series:", none.Status.Detail);

        var control = await FailsAsync(Series.PutAsync(PutOf(Points("inv/a", (100, 1)), Points("inv/\nb", (100, 1)))));
        Assert.Equal(StatusCode.InvalidArgument, control.StatusCode);
        Assert.StartsWith("series[1].name: The series name 'inv/\nb' holds the control character U+000A", control.Status.Detail);

        var empty = await FailsAsync(Series.PutAsync(PutOf(Points("inv/a", (100, 1)), Points("inv/b"))));
        Assert.Equal(StatusCode.InvalidArgument, empty.StatusCode);
        Assert.StartsWith("series[1].points:", empty.Status.Detail);

        var negative = await FailsAsync(Series.PutAsync(PutOf(Points("inv/a", (100, 1), (-5, 2)))));
        Assert.Equal(StatusCode.InvalidArgument, negative.StatusCode);
        Assert.StartsWith("series[0].points[1].timestamp: -5 is outside 0 to 4294967295 seconds", negative.Status.Detail);

        // Milliseconds sent as seconds: past what a timestamp in seconds holds.
        var millis = await FailsAsync(Series.PutAsync(PutOf(Points("inv/a", (1_700_000_000_000, 1)))));
        Assert.Equal(StatusCode.InvalidArgument, millis.StatusCode);
        Assert.StartsWith("series[0].points[0].timestamp:", millis.Status.Detail);

        var twice = await FailsAsync(Series.PutAsync(PutOf(Points("inv/a", (100, 1)), Points("inv/a", (160, 1)))));
        Assert.Equal(StatusCode.InvalidArgument, twice.StatusCode);
        Assert.StartsWith("series[1].name:", twice.Status.Detail);
        Assert.Contains("also series[0]", twice.Status.Detail);

        var unit = await FailsAsync(Series.PutAsync(new SeriesPutRequest { Series = { Points("inv/a", (100, 1)) }, Unit = (SeriesUnit)5 }));
        Assert.Equal(StatusCode.InvalidArgument, unit.StatusCode);
        Assert.StartsWith("unit:", unit.Status.Detail);
        Assert.Empty(await NamesAsync("inv/"));

        // The HTTP API refuses the same name with the same sentence.
        using var http = new HttpClient();
        using var posted = await http.PostAsync($"http://{fixture.Node.Node.Address}/series/{Uri.EscapeDataString("inv/\nb")}", new StringContent("[[100, 1]]"));
        Assert.Equal(HttpStatusCode.BadRequest, posted.StatusCode);
        var problem = JsonDocument.Parse(await posted.Content.ReadAsStringAsync()).RootElement.GetProperty("detail").GetString()!;
        Assert.Contains(problem.TrimEnd('.'), control.Status.Detail);
    }

    [Fact]
    public async Task Bad_reads_are_INVALID_ARGUMENT_naming_the_field_and_a_missing_series_is_NOT_FOUND()
    {
        await Series.PutAsync(PutOf(Points("rd/a", (100, 1))));
        var stepOnly = await FailsAsync(Series.GetAsync(new SeriesGetRequest { Name = "rd/a", Step = 60 }));
        Assert.Equal(StatusCode.InvalidArgument, stepOnly.StatusCode);
        Assert.StartsWith("aggregate:", stepOnly.Status.Detail);

        var aggregateOnly = await FailsAsync(Series.GetAsync(new SeriesGetRequest { Name = "rd/a", Aggregate = SeriesAggregate.Avg }));
        Assert.Equal(StatusCode.InvalidArgument, aggregateOnly.StatusCode);
        Assert.StartsWith("step:", aggregateOnly.Status.Detail);

        // The series is in seconds: a step in milliseconds must be whole seconds (the store's own check).
        var fraction = await FailsAsync(Series.GetAsync(new SeriesGetRequest { Name = "rd/a", Step = 1500, Aggregate = SeriesAggregate.Avg, Unit = SeriesUnit.Milliseconds }));
        Assert.Equal(StatusCode.InvalidArgument, fraction.StatusCode);
        Assert.StartsWith("step:", fraction.Status.Detail);

        var name = await FailsAsync(Series.GetAsync(new SeriesGetRequest { Name = "" }));
        Assert.Equal(StatusCode.InvalidArgument, name.StatusCode);
        Assert.StartsWith("name:", name.Status.Detail);

        var level = await FailsAsync(Series.GetAsync(new SeriesGetRequest { Name = "rd/a", Level = (ReadLevel)7 }));
        Assert.StartsWith("level:", level.Status.Detail);

        var prefix = await FailsAsync(Series.ListAsync(new SeriesListRequest { Prefix = "rd/\t" }));
        Assert.Equal(StatusCode.InvalidArgument, prefix.StatusCode);
        Assert.StartsWith("prefix:", prefix.Status.Detail);

        var missing = await FailsAsync(Series.GetAsync(new SeriesGetRequest { Name = "rd/never" }));
        Assert.Equal(StatusCode.NotFound, missing.StatusCode);
        Assert.Contains("'rd/never' does not exist", missing.Status.Detail);
    }

    [Fact]
    public async Task Too_much_is_RESOURCE_EXHAUSTED_naming_the_setting_and_writes_nothing()
    {
        var eleven = await FailsAsync(Series.PutAsync(PutOf(
            Points("big/a", Enumerable.Range(0, 6).Select(i => (100L + i, 1.0)).ToArray()),
            Points("big/b", Enumerable.Range(0, 5).Select(i => (100L + i, 1.0)).ToArray()))));
        Assert.Equal(StatusCode.ResourceExhausted, eleven.StatusCode);
        Assert.StartsWith("series[1].points:", eleven.Status.Detail);
        Assert.Contains("akkaraft.time-series.max-points-per-command", eleven.Status.Detail);

        var longName = new string('n', 17);
        var name = await FailsAsync(Series.PutAsync(PutOf(Points(longName, (100, 1)))));
        Assert.Equal(StatusCode.ResourceExhausted, name.StatusCode);
        Assert.StartsWith("series[0].name:", name.Status.Detail);
        Assert.Contains("akkaraft.time-series.max-series-name-bytes", name.Status.Detail);
        Assert.Empty(await NamesAsync("big/"));
        Assert.Empty(await NamesAsync(longName[..16]));

        // Over the HTTP API the same name is a 413 with the same sentence.
        using var http = new HttpClient();
        using var posted = await http.PostAsync($"http://{fixture.Node.Node.Address}/series/{longName}", new StringContent("[[100, 1]]"));
        Assert.Equal(HttpStatusCode.RequestEntityTooLarge, posted.StatusCode);
        var problem = JsonDocument.Parse(await posted.Content.ReadAsStringAsync()).RootElement.GetProperty("detail").GetString()!;
        Assert.Contains(problem.TrimEnd('.'), name.Status.Detail);

        // Six points read raw are more than max-query-points (5); one bucket is not.
        await Series.PutAsync(PutOf(Points("big/q", Enumerable.Range(0, 6).Select(i => (100L + i, 1.0)).ToArray())));
        var raw = await FailsAsync(Series.GetAsync(new SeriesGetRequest { Name = "big/q" }));
        Assert.Equal(StatusCode.ResourceExhausted, raw.StatusCode);
        Assert.StartsWith("name:", raw.Status.Detail);
        Assert.Contains("akkaraft.time-series.max-query-points", raw.Status.Detail);
        var counted = await Series.GetAsync(new SeriesGetRequest { Name = "big/q", Step = 3600, Aggregate = SeriesAggregate.Count });
        Assert.Equal(6.0, Assert.Single(counted.Points).Value);
    }

    [Fact]
    public async Task A_point_older_than_its_series_accepts_is_FAILED_PRECONDITION_with_the_oldest_accepted_time()
    {
        await Series.PutAsync(PutOf(Points("old/a", (6000, 1))));
        // A point in a later minute seals the block of the first.
        await Series.PutAsync(PutOf(Points("old/a", (6125, 2))));

        var late = await FailsAsync(Series.PutAsync(PutOf(Points("old/b", (6000, 1)), Points("old/a", (6010, 3)))));
        Assert.Equal(StatusCode.FailedPrecondition, late.StatusCode);
        Assert.StartsWith("series[1]:", late.Status.Detail);
        var oldest = long.Parse(late.Trailers.GetValue(RaftCalls.OldestAcceptedTrailer)!, CultureInfo.InvariantCulture);
        Assert.InRange(oldest, 6011, 6125);
        Assert.Contains($"the oldest timestamp it accepts is {oldest}", late.Status.Detail);
        // All or nothing: the other series of the Put was not created.
        Assert.Equal(["old/a"], await NamesAsync("old/"));

        // A point already stored is a duplicate, not an error; one at the oldest accepted time is taken.
        Assert.Equal(1ul, (await Series.PutAsync(PutOf(Points("old/a", (6000, 1))))).Duplicates);
        Assert.Equal(1ul, (await Series.PutAsync(PutOf(Points("old/a", (oldest, 4))))).Appended);

        var unit = await FailsAsync(Series.PutAsync(new SeriesPutRequest { Series = { Points("old/a", (6_200_000, 5)) }, Unit = SeriesUnit.Milliseconds }));
        Assert.Equal(StatusCode.FailedPrecondition, unit.StatusCode);
        Assert.StartsWith("unit:", unit.Status.Detail);
        Assert.Contains("seconds", unit.Status.Detail);
    }

    [Fact]
    public async Task StateMachine_on_a_node_of_AkkaRafts_own_stores_is_UNIMPLEMENTED()
    {
        var machine = new AkkaRaft.Grpc.V1.StateMachine.StateMachineClient(fixture.Node.Channel);
        var apply = await FailsAsync(machine.ApplyAsync(new ApplyRequest { Command = ByteString.CopyFromUtf8("raft") }));
        Assert.Equal(StatusCode.Unimplemented, apply.StatusCode);
        Assert.Contains("use the Kv and TimeSeries services", apply.Status.Detail);
        var query = await FailsAsync(machine.QueryAsync(new QueryRequest { Query = ByteString.CopyFromUtf8("raft") }));
        Assert.Equal(StatusCode.Unimplemented, query.StatusCode);
    }
}

/// <summary>
/// Two in-process nodes founding a static cluster: what a follower answers to TimeSeries calls, the calls it passes
/// on, and a Put that cannot commit.
/// </summary>
public sealed class GrpcTimeSeriesClusterTests : IAsyncLifetime
{
    private readonly string _root = TestCluster.TempDirectory("grpc-ts-cluster");
    private readonly List<GrpcTestNode> _nodes = [];

    public async Task InitializeAsync() => _nodes.AddRange(await GrpcTestNode.StartStaticClusterAsync(_root, ["s1", "s2"], GrpcTestNode.LeaderWithoutQuorumStays));

    public async Task DisposeAsync()
    {
        foreach (var node in _nodes) await node.DisposeAsync();
        Directory.Delete(_root, recursive: true);
    }

    [Fact]
    public async Task A_follower_answers_UNAVAILABLE_naming_the_leader_passes_calls_on_when_asked_and_a_Put_without_quorum_is_DEADLINE_EXCEEDED()
    {
        var leaderId = "";
        foreach (var node in _nodes) leaderId = await WaitForLeaderAsync(node, members: 2);
        var leader = _nodes.Single(n => n.Id == leaderId);
        var follower = _nodes.Single(n => n.Id != leaderId);
        var toLeader = new TimeSeriesClient(leader.Channel);
        var toFollower = new TimeSeriesClient(follower.Channel);
        var put = new SeriesPutRequest { Series = { new SeriesPoints { Name = "f/cpu", Points = { new Point { Timestamp = 100, Value = 0.5 } } } } };

        var refused = await FailsAsync(toFollower.PutAsync(put));
        Assert.Equal(StatusCode.Unavailable, refused.StatusCode);
        Assert.Equal(leader.Id, refused.Trailers.GetValue(RaftCalls.LeaderIdTrailer));
        Assert.Equal(leader.Grpc.Address.ToString(), refused.Trailers.GetValue(RaftCalls.LeaderAddressTrailer));
        Assert.Equal(StatusCode.NotFound, (await FailsAsync(toLeader.GetAsync(new SeriesGetRequest { Name = "f/cpu", Level = ReadLevel.Consistent }))).StatusCode);

        var forwarded = await toFollower.PutAsync(put, Forward);
        Assert.Equal(1ul, forwarded.Appended);
        Assert.Equal(leader.Id, forwarded.Header.LeaderId);
        var read = await toLeader.GetAsync(new SeriesGetRequest { Name = "f/cpu", Level = ReadLevel.Consistent });
        Assert.True(read.Header.Index >= forwarded.Header.Index);
        Assert.Equal(0.5, Assert.Single(read.Points).Value);

        // A default read is the leader's; a consistent one the follower serves after a read index from the leader.
        var defaultRead = await FailsAsync(toFollower.GetAsync(new SeriesGetRequest { Name = "f/cpu" }));
        Assert.Equal(StatusCode.Unavailable, defaultRead.StatusCode);
        Assert.Equal(leader.Grpc.Address.ToString(), defaultRead.Trailers.GetValue(RaftCalls.LeaderAddressTrailer));
        Assert.Single((await toFollower.GetAsync(new SeriesGetRequest { Name = "f/cpu" }, Forward)).Points);
        Assert.Single((await toFollower.GetAsync(new SeriesGetRequest { Name = "f/cpu", Level = ReadLevel.Consistent })).Points);
        Assert.Equal(["f/cpu"], (await toFollower.ListAsync(new SeriesListRequest { Prefix = "f/" }, Forward)).Series.Select(s => s.Name));

        // Without its follower the leader cannot commit: after akkaraft.grpc.request-timeout (1s, shorter than the
        // call's deadline) the Put is DEADLINE_EXCEEDED, saying that it may still commit.
        await follower.DisposeAsync();
        _nodes.Remove(follower);
        var timedOut = await FailsAsync(toLeader.PutAsync(put, deadline: DateTime.UtcNow.AddSeconds(30)));
        Assert.Equal(StatusCode.DeadlineExceeded, timedOut.StatusCode);
        Assert.Contains("may still commit", timedOut.Status.Detail);
    }
}
