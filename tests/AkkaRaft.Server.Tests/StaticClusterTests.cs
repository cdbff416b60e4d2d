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
}
