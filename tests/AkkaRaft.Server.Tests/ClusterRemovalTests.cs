using System.Net;
using Akka.Actor;
using Akka.Cluster;

namespace AkkaRaft.Server.Tests;

/// <summary>
/// Akka.Cluster follows Raft: the founders of a static cluster form one Akka cluster, and a node removed from the
/// Raft configuration (<c>DELETE /join/{id}</c>) is downed and removed from it by the Raft leader's node, while the
/// removed node's actor system keeps running.
/// </summary>
public sealed class ClusterRemovalTests : IAsyncLifetime
{
    private readonly string _root = TestCluster.TempDirectory("removal");
    private readonly List<InProcessNode> _nodes = [];
    private readonly HttpClient _http = new(new HttpClientHandler { AllowAutoRedirect = true });

    public async Task InitializeAsync()
    {
        var ports = new[] { TestCluster.FreePort(), TestCluster.FreePort(), TestCluster.FreePort() };
        var peers = string.Join(",", new[] { "r1", "r2", "r3" }.Select((id, i) => $"{id}=127.0.0.1:{ports[i]}"));
        for (var i = 0; i < 3; i++)
        {
            var id = $"r{i + 1}";
            var settings = new Dictionary<string, string>
            {
                ["akkaraft.node.peers"] = TestCluster.Quote(peers),
                ["akkaraft.node.raft-address"] = TestCluster.Quote($"127.0.0.1:{ports[i]}"),
            };
            foreach (var setting in ServerProcessCluster.FastClusterSettings)
            {
                var equals = setting.IndexOf('=');
                settings[setting[..equals]] = setting[(equals + 1)..];
            }

            _nodes.Add(await InProcessNode.StartAsync(id, Path.Combine(_root, id), settings));
        }
    }

    public async Task DisposeAsync()
    {
        foreach (var node in _nodes) await node.DisposeAsync();
        _http.Dispose();
        Directory.Delete(_root, recursive: true);
    }

    private static Address AddressOf(InProcessNode node) => Cluster.Get(node.Node.System).SelfAddress;

    [Fact]
    public async Task A_node_removed_from_raft_should_be_removed_from_the_akka_cluster_and_keep_its_actor_system()
    {
        foreach (var node in _nodes)
        {
            await TestCluster.WaitForAsync(() => Task.FromResult(node.Node.Cluster.State.Members.Count(m => m.Status == MemberStatus.Up) == 3),
                $"{node.Node.Id} to see the three founders up in the Akka cluster");
        }

        var leaderId = await TestCluster.WaitForLeaderAsync(_http, _nodes[0].Address, members: 3);
        var removed = _nodes.First(n => n.Node.Id != leaderId);
        var survivors = _nodes.Where(n => n != removed).ToList();
        var removedAddress = AddressOf(removed);

        using (var delete = await _http.DeleteAsync($"http://{survivors[0].Address}/join/{removed.Node.Id}"))
        {
            Assert.Equal(HttpStatusCode.OK, delete.StatusCode);
        }

        foreach (var survivor in survivors)
        {
            await TestCluster.WaitForAsync(() => Task.FromResult(!survivor.Node.Cluster.State.Members.Any(m => m.Address == removedAddress)),
                $"{survivor.Node.Id}'s Akka cluster to no longer list {removed.Node.Id}");
            Assert.Equal(2, survivor.Node.Cluster.State.Members.Count(m => m.Status == MemberStatus.Up));
            Assert.Equal(2, (await TestCluster.StatusAsync(_http, survivor.Address)).GetProperty("members").GetArrayLength());
        }

        // The removed node learns it was downed; its cluster extension stops, its actor system (and HTTP API) do not.
        await TestCluster.WaitForAsync(() => Task.FromResult(removed.Node.Cluster.IsTerminated), $"{removed.Node.Id} to learn it was downed");
        Assert.False(removed.Node.System.WhenTerminated.IsCompleted);
        Assert.Equal(HttpStatusCode.OK, (await _http.GetAsync($"http://{removed.Address}/status")).StatusCode);
    }
}
