using System.Net;
using System.Text;
using System.Text.Json;
using AkkaRaft.Raft.Peer.Snapshots;
using AkkaRaft.TestSupport.Certificates;

namespace AkkaRaft.Server.Tests;

/// <summary>
/// A snapshot travels outside Akka.Remote: a node that joins a cluster whose log was compacted is offered the
/// leader's snapshot (metadata only, as a peer message), fetches its bytes from the leader's snapshot port in at least 8
/// CRC-checked chunks (sent by sendfile, or through TLS when the cluster has <c>akkaraft.remote.tls</c>), restores it,
/// and then serves every key from its own state. In CI the
/// snapshot is 320KiB in 16KiB chunks; <c>AKKARAFT_SOAK_SNAPSHOT_MB</c> (set by <c>build.fsx soak</c>) makes it that
/// many MiB in 512KiB chunks.
/// </summary>
public sealed class SnapshotTransferTests : IAsyncLifetime
{
    private static readonly int SoakMegabytes = int.TryParse(Environment.GetEnvironmentVariable("AKKARAFT_SOAK_SNAPSHOT_MB"), out var mb) && mb > 0 ? mb : 0;
    private static readonly int ChunkBytes = SoakMegabytes > 0 ? 512 * 1024 : 16 * 1024;
    private static readonly int ValueBytes = SoakMegabytes > 0 ? 256 * 1024 : 8 * 1024;
    private static readonly int Keys = SoakMegabytes > 0 ? SoakMegabytes * 4 : 40;

    private static readonly Dictionary<string, string> Small = new()
    {
        ["akkaraft.raft.snapshot-chunk-bytes"] = $"{ChunkBytes}",
        ["akkaraft.raft.max-log-count"] = "10",
        // A soak snapshot is bigger than the default limits of one value and one snapshot.
        ["akkaraft.kv.max-value-bytes"] = $"{Math.Max(ValueBytes, 1024 * 1024)}",
        ["akkaraft.http.max-body-bytes"] = $"{2 * Math.Max(ValueBytes, 1024 * 1024)}",
    };

    private readonly string _root = TestCluster.TempDirectory("snapshot");
    private readonly List<InProcessNode> _nodes = [];
    private readonly HttpClient _client = new(new HttpClientHandler { AllowAutoRedirect = true });

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync()
    {
        foreach (var node in _nodes) await node.DisposeAsync();
        _client.Dispose();
        Directory.Delete(_root, recursive: true);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task A_joining_node_should_fetch_a_snapshot_of_many_chunks_from_the_leaders_snapshot_port_and_serve_every_key_from_it(bool remoteTls)
    {
        var settings = new Dictionary<string, string>(Small);
        if (remoteTls)
        {
            var ca = new TestCertificateAuthority("snapshot-e2e-ca");
            settings["akkaraft.remote.tls.enabled"] = "on";
            settings["akkaraft.remote.tls.ca-certificates-path"] = TestCluster.Quote(ca.WritePem(Path.Combine(_root, "ca.pem")));
            settings["akkaraft.remote.tls.certificate-password"] = "test";
            // One certificate for both nodes: membership is the CA's signature, not a name.
            settings["akkaraft.remote.tls.certificate-path"] = TestCluster.Quote(ca.WriteNode(Path.Combine(_root, "node.p12"), "node"));
        }

        var founder = await InProcessNode.StartAsync("n1", Path.Combine(_root, "n1"), settings);
        _nodes.Add(founder);
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
        // every value (Keys x ValueBytes: 320KiB in CI), so at least 20 chunks of 16KiB.
        await TestCluster.WaitForAsync(async () => (await TestCluster.StatusAsync(_client, founder.Address)).GetProperty("firstIndex").GetUInt64() > 1,
            "the founder's log compacted into a snapshot");
        Assert.True(Keys * ValueBytes >= 8 * ChunkBytes);

        var joiner = await InProcessNode.StartAsync("n2", Path.Combine(_root, "n2"), new Dictionary<string, string>(settings)
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
        }, "the joiner to install the snapshot and catch up", SoakMegabytes > 0 ? TimeSpan.FromMinutes(10) : null);

        // The bytes came from the founder's snapshot port, chunk by verified chunk, not through remoting.
        Assert.True(founder.Node.Snapshots!.Count(SnapshotTransferEventKind.Served) >= 1, "the founder's snapshot port served nothing");
        Assert.True(joiner.Node.Snapshots!.Count(SnapshotTransferEventKind.ChunkVerified) >= 8, "the joiner verified fewer than 8 chunks");
        Assert.True(joiner.Node.Snapshots.Count(SnapshotTransferEventKind.FetchCompleted) >= 1, "the joiner completed no fetch");
        Assert.Equal(remoteTls, founder.Node.Snapshots.Encrypted);
        Assert.Equal(remoteTls, joiner.Node.Snapshots.Encrypted);

        foreach (var (key, value) in values)
        {
            var read = await _client.GetAsync($"http://{joiner.Address}/key/{key}?level=stale");
            Assert.Equal(HttpStatusCode.OK, read.StatusCode);
            using var body = JsonDocument.Parse(await read.Content.ReadAsStringAsync());
            Assert.Equal(value, body.RootElement.GetProperty(key).GetString());
        }
    }
}
