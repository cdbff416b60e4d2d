using System.Net;
using System.Text;
using System.Text.Json;

namespace AkkaRaft.Server.Tests;

/// <summary>
/// A snapshot larger than one chunk crosses Akka.Remote in pieces: a node that joins a cluster whose log was
/// compacted is sent the leader's snapshot in at least 8 InstallSnapshot chunks (each below the remote frame size),
/// reassembles and restores it, and then serves every key from its own state.
/// </summary>
public sealed class SnapshotTransferTests : IAsyncLifetime
{
    private const int ChunkBytes = 16 * 1024;
    private const int Keys = 40;
    private const int ValueBytes = 8 * 1024;

    private static readonly Dictionary<string, string> Small = new()
    {
        ["akkaraft.raft.snapshot-chunk-bytes"] = $"{ChunkBytes}",
        ["akkaraft.raft.max-log-count"] = "10",
    };

    private readonly string _root = TestCluster.TempDirectory("snapshot");
    private readonly List<InProcessNode> _nodes = [];
    private readonly HttpClient _client = new(new HttpClientHandler { AllowAutoRedirect = true });

    public async Task InitializeAsync() => _nodes.Add(await InProcessNode.StartAsync("n1", Path.Combine(_root, "n1"), Small));

    public async Task DisposeAsync()
    {
        foreach (var node in _nodes) await node.DisposeAsync();
        _client.Dispose();
        Directory.Delete(_root, recursive: true);
    }

    [Fact]
    public async Task A_joining_node_should_install_a_snapshot_of_many_chunks_over_remoting_and_serve_every_key_from_it()
    {
        var founder = _nodes[0];
        await TestCluster.WaitForLeaderAsync(_client, founder.Address);
        var values = new Dictionary<string, string>();
        for (var i = 0; i < Keys; i++)
        {
            var key = $"big-{i}";
            values[key] = new string((char)('a' + i % 26), ValueBytes);
            var put = await _client.PostAsync($"http://{founder.Address}/key", new StringContent(JsonSerializer.Serialize(new Dictionary<string, string> { [key] = values[key] })));
            Assert.Equal(HttpStatusCode.OK, put.StatusCode);
        }

        // The founder has compacted its log: a new member can only be brought up to date by its snapshot, which holds
        // every value (Keys x ValueBytes = 320KiB), so at least 20 chunks of 16KiB.
        await TestCluster.WaitForAsync(async () => (await TestCluster.StatusAsync(_client, founder.Address)).GetProperty("firstIndex").GetUInt64() > 1,
            "the founder's log compacted into a snapshot");
        Assert.True(Keys * ValueBytes >= 8 * ChunkBytes);

        var joiner = await InProcessNode.StartAsync("n2", Path.Combine(_root, "n2"), new Dictionary<string, string>(Small)
        {
            ["akkaraft.node.join"] = TestCluster.Quote(founder.Address),
        });
        _nodes.Add(joiner);
        var join = await _client.PostAsync($"http://{founder.Address}/join",
            new StringContent(JsonSerializer.Serialize(new { id = "n2", addr = joiner.Node.RaftAddress.ToString(), http = joiner.Address })));
        Assert.Equal(HttpStatusCode.OK, join.StatusCode);

        var leaderCommit = (await TestCluster.StatusAsync(_client, founder.Address)).GetProperty("commitIndex").GetUInt64();
        await TestCluster.WaitForAsync(async () =>
        {
            var status = await TestCluster.StatusAsync(_client, joiner.Address);
            return status.GetProperty("lastSnapshot").GetProperty("installed").GetInt64() >= 1
                && status.GetProperty("appliedIndex").GetUInt64() >= leaderCommit;
        }, "the joiner to install the snapshot and catch up");

        foreach (var (key, value) in values)
        {
            var read = await _client.GetAsync($"http://{joiner.Address}/key/{key}?level=stale");
            Assert.Equal(HttpStatusCode.OK, read.StatusCode);
            using var body = JsonDocument.Parse(await read.Content.ReadAsStringAsync());
            Assert.Equal(value, body.RootElement.GetProperty(key).GetString());
        }
    }
}
