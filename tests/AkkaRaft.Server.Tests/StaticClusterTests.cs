using System.Net;
using System.Text;
using System.Text.Json;

namespace AkkaRaft.Server.Tests;

/// <summary>A cluster founded with --peers (three in-process nodes), membership removal and leadership transfer over HTTP.</summary>
public sealed class StaticClusterTests : IAsyncLifetime
{
    private readonly string _root = TestCluster.TempDirectory("static");
    private readonly List<InProcessNode> _nodes = [];
    private readonly HttpClient _client = new(new HttpClientHandler { AllowAutoRedirect = true });

    public async Task InitializeAsync()
    {
        var ports = new[] { TestCluster.FreePort(), TestCluster.FreePort(), TestCluster.FreePort() };
        var peers = string.Join(",", new[] { "s1", "s2", "s3" }.Select((id, i) => $"{id}=127.0.0.1:{ports[i]}"));
        for (var i = 0; i < 3; i++)
        {
            var id = $"s{i + 1}";
            _nodes.Add(await InProcessNode.StartAsync(id, Path.Combine(_root, id), new Dictionary<string, string>
            {
                ["akkaraft.node.peers"] = TestCluster.Quote(peers),
                ["akkaraft.node.raft-address"] = TestCluster.Quote($"127.0.0.1:{ports[i]}"),
            }));
        }
    }

    public async Task DisposeAsync()
    {
        foreach (var node in _nodes) await node.DisposeAsync();
        _client.Dispose();
        Directory.Delete(_root, recursive: true);
    }

    [Fact]
    public async Task Static_peers_should_elect_a_leader_replicate_and_allow_moving_leadership_removing_a_member_and_joining_it_through_a_follower()
    {
        foreach (var node in _nodes) await TestCluster.WaitForLeaderAsync(_client, node.Address, members: 3);

        var post = await _client.PostAsync($"http://{_nodes[2].Address}/key", new StringContent("{\"static\": \"yes\"}", Encoding.UTF8));
        Assert.Equal(HttpStatusCode.OK, post.StatusCode);
        foreach (var node in _nodes)
        {
            await TestCluster.WaitForAsync(async () => (await _client.GetAsync($"http://{node.Address}/key/static?level=stale")).StatusCode == HttpStatusCode.OK,
                $"the key on {node.Node.Id}");
        }

        // Move leadership to a chosen voter, through any member.
        var leader = (await TestCluster.StatusAsync(_client, _nodes[0].Address)).GetProperty("leader").GetString();
        var target = _nodes.Select(n => n.Node.Id).First(id => id != leader);
        var transfer = await _client.PostAsync($"http://{_nodes[0].Address}/leader", new StringContent(JsonSerializer.Serialize(new { id = target })));
        Assert.Equal(HttpStatusCode.Accepted, transfer.StatusCode);
        await TestCluster.WaitForAsync(async () => (await TestCluster.StatusAsync(_client, _nodes[0].Address)).GetProperty("leader").GetString() == target,
            $"leadership to move to {target}");

        // Remove a follower: the configuration shrinks to two voters.
        var removed = _nodes.Select(n => n.Node.Id).First(id => id != target);
        Assert.Equal(HttpStatusCode.OK, (await _client.DeleteAsync($"http://{_nodes[0].Address}/join/{removed}")).StatusCode);
        var survivor = _nodes.First(n => n.Node.Id != removed);
        await TestCluster.WaitForAsync(async () => (await TestCluster.StatusAsync(_client, survivor.Address)).GetProperty("members").GetArrayLength() == 2,
            "the configuration without the removed member");
        Assert.Equal(HttpStatusCode.NotFound, (await _client.DeleteAsync($"http://{survivor.Address}/join/{removed}")).StatusCode);

        // Join it again through a member that does not lead: the member passes the request on to the leader.
        var follower = _nodes.First(n => n.Node.Id != removed && n.Node.Id != target);
        var again = _nodes.Single(n => n.Node.Id == removed);
        var join = await _client.PostAsync($"http://{follower.Address}/join",
            new StringContent(JsonSerializer.Serialize(new { id = removed, addr = again.Node.RaftAddress.ToString(), http = again.Address })));
        Assert.Equal(HttpStatusCode.OK, join.StatusCode);
        await TestCluster.WaitForAsync(async () => (await TestCluster.StatusAsync(_client, follower.Address)).GetProperty("members").GetArrayLength() == 3,
            "the member back in the configuration");
    }

    [Fact]
    public async Task A_followers_status_should_show_every_members_match_index_from_the_leader_and_none_without_a_leader()
    {
        foreach (var node in _nodes) await TestCluster.WaitForLeaderAsync(_client, node.Address, members: 3);
        var leaderId = (await TestCluster.StatusAsync(_client, _nodes[0].Address)).GetProperty("leader").GetString()!;
        var leader = _nodes.Single(n => n.Node.Id == leaderId);
        var follower = _nodes.First(n => n != leader);
        var post = await _client.PostAsync($"http://{follower.Address}/key", new StringContent("{\"p1\": \"1\", \"p2\": \"2\"}", Encoding.UTF8));
        Assert.Equal(HttpStatusCode.OK, post.StatusCode);
        using (var answer = JsonDocument.Parse(await post.Content.ReadAsStringAsync()))
        {
            var written = answer.RootElement.GetProperty("index").GetProperty("p1").GetUInt64();
            await TestCluster.WaitForAsync(async () =>
            {
                var status = await TestCluster.StatusAsync(_client, follower.Address);
                var members = status.GetProperty("members").EnumerateArray().ToList();
                return status.GetProperty("progressFrom").GetString() == leaderId
                       && members.Count == 3
                       && members.All(m => m.GetProperty("matchIndex").ValueKind == JsonValueKind.Number && m.GetProperty("matchIndex").GetUInt64() >= written);
            }, "the follower's /status to show the leader's match indexes past the write");
        }

        var view = await TestCluster.StatusAsync(_client, follower.Address);
        Assert.Equal("follower", view.GetProperty("role").GetString());
        foreach (var member in view.GetProperty("members").EnumerateArray())
        {
            var id = member.GetProperty("id").GetString();
            var node = _nodes.Single(n => n.Node.Id == id);
            Assert.Equal(id == leaderId ? "leader" : "follower", member.GetProperty("role").GetString());
            Assert.Equal(node.Node.RaftAddress.ToString(), member.GetProperty("raftAddress").GetString());
            Assert.Equal(node.Address, member.GetProperty("httpAddress").GetString());
        }

        // ?members=full: each member's own term, role, journal and last snapshot, as that member tells it.
        using (var fullDocument = JsonDocument.Parse(await _client.GetStringAsync($"http://{follower.Address}/status?members=full")))
        {
            var full = fullDocument.RootElement;
            foreach (var member in full.GetProperty("members").EnumerateArray())
            {
                var own = member.GetProperty("own");
                var id = member.GetProperty("id").GetString();
                Assert.True(own.ValueKind == JsonValueKind.Object, $"{id} told its own view");
                Assert.Equal(full.GetProperty("term").GetUInt64(), own.GetProperty("term").GetUInt64());
                Assert.Equal(id == leaderId ? "leader" : "follower", own.GetProperty("role").GetString());
                Assert.True(own.GetProperty("journalBytes").GetInt64() > 0, $"{id}'s journal has bytes");
                Assert.Equal(JsonValueKind.Number, own.GetProperty("lastSnapshotIndex").ValueKind);
            }
        }

        // Asked for its own view only (as it asks the leader), a follower knows no progress.
        using var localDocument = JsonDocument.Parse(await _client.GetStringAsync($"http://{follower.Address}/status?progress=local"));
        var local = localDocument.RootElement;
        Assert.Equal(JsonValueKind.Null, local.GetProperty("progressFrom").ValueKind);
        Assert.All(local.GetProperty("members").EnumerateArray(), m => Assert.Equal(JsonValueKind.Null, m.GetProperty("matchIndex").ValueKind));

        // Without a quorum the last member knows no leader: no progress, and it says so.
        var last = follower;
        foreach (var node in _nodes.Where(n => n != last).ToList())
        {
            await node.DisposeAsync();
            _nodes.Remove(node);
        }

        await TestCluster.WaitForAsync(async () =>
        {
            var status = await TestCluster.StatusAsync(_client, last.Address);
            return status.GetProperty("leader").ValueKind == JsonValueKind.Null
                   && status.GetProperty("progressFrom").ValueKind == JsonValueKind.Null
                   && status.GetProperty("members").EnumerateArray().All(m => m.GetProperty("matchIndex").ValueKind == JsonValueKind.Null);
        }, "the last member to know no leader and show no match index");
    }
}
