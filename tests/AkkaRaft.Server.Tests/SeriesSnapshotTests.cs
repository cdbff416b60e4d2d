using System.Net;
using System.Text;
using System.Text.Json;

namespace AkkaRaft.Server.Tests;

/// <summary>
/// The node's series live in shard actors under its state machine actor: a snapshot gathers every shard's part, and a
/// node restarted from that snapshot starts new shard actors from it (open blocks rebuilt) and serves every point.
/// </summary>
public sealed class SeriesSnapshotTests : IAsyncLifetime
{
    private static readonly Dictionary<string, string> Small = new()
    {
        ["akkaraft.raft.max-log-count"] = "10",
        ["akkaraft.time-series.block-window-seconds"] = "60",
        ["akkaraft.time-series.shards"] = "4",
    };

    private readonly string _root = TestCluster.TempDirectory("series-snapshot");
    private readonly HttpClient _client = new();
    private InProcessNode? _node;

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync()
    {
        if (_node is not null) await _node.DisposeAsync();
        _client.Dispose();
        Directory.Delete(_root, recursive: true);
    }

    [Fact]
    public async Task A_node_restarted_from_its_snapshot_serves_every_series_point_and_goes_on_appending()
    {
        var dir = Path.Combine(_root, "n1");
        _node = await InProcessNode.StartAsync("n1", dir, Small);
        await TestCluster.WaitForLeaderAsync(_client, _node.Address);
        var expected = new Dictionary<string, List<long[]>>();
        for (var round = 0; round < 8; round++)
        {
            for (var s = 0; s < 6; s++)
            {
                var name = $"cpu-{s}";
                // 45 s apart: every other point opens a new 60 s block, so each series has sealed blocks and an open one.
                var t = 1_700_000_000L + (round * 45);
                var post = await _client.PostAsync($"http://{_node.Address}/series/{name}", new StringContent($"[[{t}, {round + s}]]", Encoding.UTF8, "application/json"));
                Assert.Equal(HttpStatusCode.OK, post.StatusCode);
                (expected.TryGetValue(name, out var points) ? points : expected[name] = []).Add([t, round + s]);
            }
        }

        await TestCluster.WaitForAsync(async () => (await TestCluster.StatusAsync(_client, _node.Address)).GetProperty("firstIndex").GetUInt64() > 1,
            "the node's log compacted into a snapshot");
        await _node.DisposeAsync();
        _node = null;

        _node = await InProcessNode.StartAsync("n1", dir, Small);
        await TestCluster.WaitForLeaderAsync(_client, _node.Address);
        foreach (var (name, points) in expected) Assert.Equal(points, await PointsAsync(name));

        // The open block of each series was rebuilt: a point a second after the last goes on after it.
        var last = expected["cpu-0"][^1][0];
        var next = await _client.PostAsync($"http://{_node.Address}/series/cpu-0", new StringContent($"[[{last + 1}, 99]]", Encoding.UTF8, "application/json"));
        Assert.Equal(HttpStatusCode.OK, next.StatusCode);
        Assert.Equal([.. expected["cpu-0"], [last + 1, 99]], await PointsAsync("cpu-0"));
    }

    private async Task<List<long[]>> PointsAsync(string name)
    {
        var get = await _client.GetAsync($"http://{_node!.Address}/series/{name}?level=stale");
        Assert.Equal(HttpStatusCode.OK, get.StatusCode);
        using var body = JsonDocument.Parse(await get.Content.ReadAsStringAsync());
        return body.RootElement.GetProperty("points").EnumerateArray().Select(p => new[] { p[0].GetInt64(), (long)p[1].GetDouble() }).ToList();
    }
}
