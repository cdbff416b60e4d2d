using System.Diagnostics;
using AkkaRaft.Client.Grpc;
using AkkaRaft.Server.Grpc;
using Grpc.Core;
using static AkkaRaft.Server.Tests.GrpcTestNode;
using GrpcReadLevel = AkkaRaft.Grpc.V1.ReadLevel;

namespace AkkaRaft.Server.Tests;

/// <summary>
/// The .NET client library (AkkaRaft.Client.Grpc) against three in-process nodes founding a static cluster: it finds
/// the leader from a follower's trailers, gets past a dead endpoint, waits for a node that is not listening yet, and
/// keeps writing through a new leader when the old one stops.
/// </summary>
public sealed class GrpcClientLibraryTests : IAsyncLifetime
{
    private readonly string _root = TestCluster.TempDirectory("grpc-client");
    private readonly List<GrpcTestNode> _nodes = [];
    private readonly List<AkkaRaftGrpcClient> _clients = [];

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync()
    {
        foreach (var client in _clients) client.Dispose();
        foreach (var node in _nodes) await node.DisposeAsync();
        Directory.Delete(_root, recursive: true);
    }

    private async Task StartClusterAsync()
    {
        var ids = new[] { "l1", "l2", "l3" };
        var ports = ids.Select(_ => TestCluster.FreePort()).ToArray();
        var peers = string.Join(",", ids.Select((id, i) => $"{id}=127.0.0.1:{ports[i]}"));
        for (var i = 0; i < ids.Length; i++)
        {
            _nodes.Add(await GrpcTestNode.StartAsync(ids[i], Path.Combine(_root, ids[i]), new Dictionary<string, string>
            {
                ["akkaraft.node.peers"] = TestCluster.Quote(peers),
                ["akkaraft.node.raft-address"] = TestCluster.Quote($"127.0.0.1:{ports[i]}"),
                ["akkaraft.http.shutdown-timeout"] = "2s",
            }));
        }
    }

    private async Task<(GrpcTestNode Leader, GrpcTestNode Follower)> RolesAsync()
    {
        var leaderId = "";
        foreach (var node in _nodes) leaderId = await WaitForLeaderAsync(node, members: _nodes.Count);
        return (_nodes.Single(n => n.Id == leaderId), _nodes.First(n => n.Id != leaderId));
    }

    private AkkaRaftGrpcClient Client(params string[] endpoints) => Client(new AkkaRaftGrpcClientOptions { Endpoints = endpoints, JitterSeed = 17 });

    private AkkaRaftGrpcClient Client(AkkaRaftGrpcClientOptions options)
    {
        var client = new AkkaRaftGrpcClient(options);
        _clients.Add(client);
        return client;
    }

    private static string GrpcOf(GrpcTestNode node) => node.Grpc.Address.ToString();

    [Fact]
    public async Task A_client_given_only_a_followers_endpoint_follows_the_leader_and_puts_and_gets()
    {
        await StartClusterAsync();
        var (leader, follower) = await RolesAsync();
        var client = Client(GrpcOf(follower));
        var kv = new KvClient(client);

        var put = await kv.PutAsync("lib/a", "1");
        var got = await kv.GetAsync("lib/a");

        // The leader answered itself: the follower named it in its trailers and the client went there (no forward header).
        Assert.Equal(leader.Id, put.Header.MemberId);
        Assert.Equal(GrpcOf(leader), client.LastLeader);
        Assert.Equal(GrpcOf(leader), client.CurrentEndpoint);
        Assert.Equal([GrpcOf(follower), GrpcOf(leader)], client.Endpoints);
        Assert.Equal("1", got.Entry?.ValueText);
        Assert.Equal(put.ModIndex, got.Entry!.ModIndex);
        Assert.Equal(leader.Id, got.Header.MemberId);

        // Compares are values; the cluster client goes to the same leader.
        var lost = await kv.CompareAndSwapAsync("lib/a", "2", expectedModIndex: put.ModIndex + 100);
        Assert.False(lost.Swapped);
        Assert.Equal(put.ModIndex, lost.ModIndex);
        var won = await kv.CompareAndSwapAsync("lib/a", "2", expectedModIndex: put.ModIndex);
        Assert.True(won.Swapped);
        var status = await new ClusterClient(client).StatusAsync();
        Assert.Equal(leader.Id, status.Id);
        Assert.Equal(3, status.Members.Count);
    }

    [Fact]
    public async Task A_client_given_a_dead_endpoint_and_a_live_one_succeeds()
    {
        await StartClusterAsync();
        var (leader, follower) = await RolesAsync();
        var dead = $"127.0.0.1:{TestCluster.FreePort()}";
        var kv = new KvClient(Client(dead, GrpcOf(follower)));

        var put = await kv.PutAsync("dead/a", "1");
        var got = await kv.GetAsync("dead/a", GrpcReadLevel.Consistent);

        Assert.Equal(leader.Id, put.Header.MemberId);
        Assert.Equal("1", got.Entry?.ValueText);
    }

    [Fact]
    public async Task A_client_started_before_its_node_listens_succeeds_once_the_node_starts_within_the_deadline()
    {
        var grpcPort = TestCluster.FreePort();
        var client = Client(new AkkaRaftGrpcClientOptions { Endpoints = [$"127.0.0.1:{grpcPort}"], Deadline = TimeSpan.FromSeconds(60), JitterSeed = 5 });
        var kv = new KvClient(client);

        var put = kv.PutAsync("ready/a", "1");
        await Task.Delay(TimeSpan.FromSeconds(1));
        Assert.False(put.IsCompleted, $"the put ended before any node listened: {put.Exception?.InnerException?.Message}");

        _nodes.Add(await GrpcTestNode.StartAsync("r1", Path.Combine(_root, "r1"), new Dictionary<string, string>
        {
            // The port the client was given before the node started.
            ["akkaraft.grpc.address"] = TestCluster.Quote($"127.0.0.1:{grpcPort}"),
        }));

        var written = await put;
        Assert.Equal("r1", written.Header.MemberId);
        Assert.Equal("1", (await kv.GetAsync("ready/a")).Entry?.ValueText);
    }

    [Fact]
    public async Task The_leader_stops_mid_run_and_the_client_keeps_writing_through_the_new_leader()
    {
        await StartClusterAsync();
        var (leader, _) = await RolesAsync();
        var client = Client(new AkkaRaftGrpcClientOptions { Endpoints = [.. _nodes.Select(GrpcOf)], Deadline = TimeSpan.FromSeconds(20), JitterSeed = 23 });
        var kv = new KvClient(client);
        var acknowledged = new Dictionary<string, string>();
        var unknown = new List<(string Key, WriteOutcomeUnknownException Failure)>();
        var next = 0;

        async Task<string?> PutNextAsync()
        {
            var key = $"run/{next:D4}";
            var value = $"v{next++}";
            try
            {
                var put = await kv.PutAsync(key, value);
                acknowledged[key] = value;
                return put.Header.MemberId;
            }
            catch (WriteOutcomeUnknownException e)
            {
                // A put in flight while the leader stopped: it may or may not have committed, and was not sent again.
                unknown.Add((key, e));
                return null;
            }
        }

        for (var i = 0; i < 10; i++) Assert.Equal(leader.Id, await PutNextAsync());

        // Writes go on while the leader stops (it hands leadership over first); each is answered, by it or by the new
        // leader, or ends unknown because its connection broke under it.
        _nodes.Remove(leader);
        var stopping = leader.DisposeAsync().AsTask();
        var writingSince = Stopwatch.StartNew();
        while (!stopping.IsCompleted)
        {
            Assert.True(writingSince.Elapsed < TimeSpan.FromMinutes(1), $"{leader.Id} has not stopped after {next - 10} puts");
            await PutNextAsync();
        }

        await stopping;
        var answeredAfterStop = new List<string?>();
        for (var i = 0; i < 10; i++) answeredAfterStop.Add(await PutNextAsync());

        Assert.All(answeredAfterStop, member => Assert.True(member is not null && member != leader.Id, $"a put after {leader.Id} stopped was answered by {member ?? "nobody (outcome unknown)"}"));
        // No write waits out its deadline for a member that is gone (CI53: a put made as the leader's connection
        // closed waited 20 s for it to come back, and ended unknown though it was never sent).
        Assert.All(unknown, u => Assert.True(u.Failure.StatusCode != StatusCode.DeadlineExceeded, $"{u.Key}: {u.Failure.Message}"));
        foreach (var (key, value) in acknowledged)
        {
            var got = await kv.GetAsync(key, GrpcReadLevel.Consistent);
            Assert.True(got.Found, $"{key} was acknowledged but is not there");
            Assert.Equal(value, got.Entry!.ValueText);
        }
    }
}

/// <summary>
/// The client library against the shared three-process cluster: the leader process is killed (SIGKILL, no handover,
/// its port simply gone) and the client, given every member, keeps writing through the new leader.
/// </summary>
[Collection(ServerProcessCollection.Name)]
public sealed class GrpcClientLibraryProcessTests(ServerProcessFixture fixture)
{
    [Fact]
    public async Task The_leader_process_is_killed_and_the_client_writes_on_through_the_new_leader()
    {
        var cluster = fixture.Cluster;
        var grpc = new Dictionary<string, string>();
        await cluster.WaitForAsync(async () =>
        {
            foreach (var node in cluster.Nodes)
            {
                var status = await TestCluster.StatusAsync(fixture.Http, node.Http);
                if (status.GetProperty("grpcAddress").GetString() is { Length: > 0 } address) grpc[node.Id] = address;
            }

            return grpc.Count == cluster.Nodes.Count;
        }, "every process's gRPC address in its /status");
        using var client = new AkkaRaftGrpcClient(new AkkaRaftGrpcClientOptions { Endpoints = [.. grpc.Values], Deadline = TimeSpan.FromSeconds(30), JitterSeed = 29 });
        var kv = new KvClient(client);
        var run = Guid.NewGuid().ToString("N");
        var acknowledged = new Dictionary<string, string>();
        for (var i = 0; i < 5; i++)
        {
            await kv.PutAsync($"kill/{run}/before-{i}", $"v{i}");
            acknowledged[$"kill/{run}/before-{i}"] = $"v{i}";
        }

        var leader = cluster.Nodes.Single(n => grpc[n.Id] == client.LastLeader);
        await leader.KillAsync();
        try
        {
            var answeredBy = new HashSet<string>();
            var unknown = new List<string>();
            for (var i = 0; answeredBy.Count == 0 || acknowledged.Count < 15; i++)
            {
                Assert.True(i < 30, $"{acknowledged.Count - 5} puts acknowledged after the kill, of {i}; outcome unknown: {string.Join("; ", unknown)}");
                try
                {
                    var put = await kv.PutAsync($"kill/{run}/after-{i}", $"v{i}");
                    acknowledged[$"kill/{run}/after-{i}"] = $"v{i}";
                    answeredBy.Add(put.Header.MemberId);
                }
                catch (WriteOutcomeUnknownException e)
                {
                    // Sent on the dead leader's connection before the client saw it close: the client cannot tell
                    // whether it arrived, so it says so and does not send it again.
                    unknown.Add(e.Message);
                }
            }

            Assert.DoesNotContain(leader.Id, answeredBy);
            Assert.NotEqual(grpc[leader.Id], client.LastLeader);
            foreach (var (key, value) in acknowledged)
            {
                var got = await kv.GetAsync(key, GrpcReadLevel.Consistent);
                Assert.Equal(value, got.Entry?.ValueText);
            }
        }
        finally
        {
            // The shared cluster is left formed for the next test.
            leader.Start();
            await cluster.WaitUntilFormedAsync(fixture.Http);
        }
    }
}
