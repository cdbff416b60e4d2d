using System.Diagnostics;
using System.Net;
using System.Text;
using System.Text.Json;

namespace AkkaRaft.Server.Tests;

/// <summary>
/// Three real <c>akkaraft</c> processes on loopback ports, started as raftdb's README starts its nodes: raftdb's
/// requests work against them, a follower redirects or forwards writes, every read level answers on every node, and
/// after the leader is killed with SIGKILL and restarted every acknowledged key is on every node.
/// </summary>
public sealed class ClusterProcessTests() : ProcessNodesTest("cluster")
{
    private readonly HttpClient _plain = new(new HttpClientHandler { AllowAutoRedirect = false }) { Timeout = TimeSpan.FromSeconds(15) };
    private readonly HttpClient _follow = new(new HttpClientHandler { AllowAutoRedirect = true }) { Timeout = TimeSpan.FromSeconds(15) };

    /// <inheritdoc />
    protected override void DisposeClients()
    {
        _plain.Dispose();
        _follow.Dispose();
    }

    private ServerProcess AddNode(string id)
    {
        var node = new ServerProcess(id, $"127.0.0.1:{TestCluster.FreePort()}", $"127.0.0.1:{TestCluster.FreePort()}", Path.Combine(Root, id));
        Nodes.Add(node);
        return node;
    }

    private static StringContent Body(string json) => new(json, Encoding.UTF8, "application/x-www-form-urlencoded");

    /// <summary>Writes until a node acknowledges (an election in progress answers 503; a timeout is ambiguous and not counted).</summary>
    private async Task WriteAcknowledgedAsync(string key, string value, IReadOnlyList<ServerProcess> via)
    {
        var attempt = 0;
        await TestCluster.WaitForAsync(async () =>
        {
            var node = via[attempt++ % via.Count];
            using var response = await _follow.PostAsync($"http://{node.Http}/key", Body($"{{\"{key}\": \"{value}\"}}"));
            return response.StatusCode == HttpStatusCode.OK;
        }, $"an acknowledged write of {key}\n{Logs()}");
    }

    private async Task<string?> ReadAsync(ServerProcess node, string key, string level, HttpClient client)
    {
        using var response = await client.GetAsync($"http://{node.Http}/key/{key}?level={level}");
        if (response.StatusCode != HttpStatusCode.OK) return null;
        using var document = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        return document.RootElement.GetProperty(key).GetString();
    }

    [Fact]
    public async Task A_three_node_cluster_should_serve_raftdb_requests_and_keep_acknowledged_writes_through_a_leader_crash()
    {
        var node01 = AddNode("node01");
        node01.Start();
        await TestCluster.WaitForLeaderAsync(_plain, node01.Http, patience: ServerProcessCluster.Patience);
        var node02 = AddNode("node02");
        var node03 = AddNode("node03");
        node02.Start(join: node01.Http);
        node03.Start(join: node01.Http);
        foreach (var node in Nodes)
        {
            await TestCluster.WaitForLeaderAsync(_plain, node.Http, members: 3, patience: ServerProcessCluster.Patience);
        }

        // raftdb's README, host names replaced by our addresses.
        var post = await _follow.PostAsync($"http://{node01.Http}/key", Body("{\"foo\": \"bar\"}")); // curl -X POST host:8091/key -d '{"foo": "bar"}' -L
        Assert.Equal(HttpStatusCode.OK, post.StatusCode);
        Assert.Equal("{\"foo\":\"bar\"}", (await _follow.GetStringAsync($"http://{node01.Http}/key/foo")).Trim()); // curl -X GET host:8091/key/foo -L
        Assert.Equal(HttpStatusCode.OK, (await _follow.DeleteAsync($"http://{node01.Http}/key/foo")).StatusCode); // curl -X DELETE host:8091/key/foo -L
        Assert.Equal(HttpStatusCode.NotFound, (await _follow.GetAsync($"http://{node01.Http}/key/foo")).StatusCode);
        (await _follow.PostAsync($"http://{node01.Http}/key", Body("{\"foo\": \"bar\"}"))).EnsureSuccessStatusCode();
        foreach (var level in new[] { "stale", "default", "consistent" }) // curl -X GET host:8091/key/foo?level=... [-L]
        {
            await TestCluster.WaitForAsync(async () => await ReadAsync(node01, "foo", level, _follow) == "bar", $"foo at level {level}");
        }

        // A follower answers 307 to the leader's HTTP address, or forwards with ?forward=true.
        var leaderId = (await TestCluster.StatusAsync(_plain, node02.Http)).GetProperty("leader").GetString();
        var leader = Nodes.Single(n => n.Id == leaderId);
        var follower = Nodes.First(n => n != leader);
        var redirected = await _plain.PostAsync($"http://{follower.Http}/key", Body("{\"via\": \"redirect\"}"));
        Assert.Equal(HttpStatusCode.TemporaryRedirect, redirected.StatusCode);
        Assert.Equal($"http://{leader.Http}/key", redirected.Headers.Location!.ToString());
        Assert.Equal(HttpStatusCode.OK, (await _follow.PostAsync($"http://{follower.Http}/key", Body("{\"via\": \"redirect\"}"))).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await _plain.PostAsync($"http://{follower.Http}/key?forward=true", Body("{\"forwarded\": \"yes\"}"))).StatusCode);

        // Every level from every node.
        foreach (var node in Nodes)
        {
            await TestCluster.WaitForAsync(async () => await ReadAsync(node, "forwarded", "stale", _plain) == "yes", $"a stale read of 'forwarded' on {node.Id}");
            Assert.Equal("yes", await ReadAsync(node, "forwarded", "default", _follow));
            Assert.Equal("yes", await ReadAsync(node, "forwarded", "consistent", _follow));
            Assert.Equal("yes", (await JsonDocument.ParseAsync(await _plain.GetStreamAsync($"http://{node.Http}/key/forwarded?level=consistent&forward=true")))
                .RootElement.GetProperty("forwarded").GetString());
        }

        // A follower answers a consistent read itself (a read index from the leader), with no redirect; a default read
        // still redirects to the leader, as raftdb's does.
        using (var consistent = await _plain.GetAsync($"http://{follower.Http}/key/forwarded?level=consistent"))
        {
            Assert.Equal(HttpStatusCode.OK, consistent.StatusCode);
            Assert.Equal("yes", JsonDocument.Parse(await consistent.Content.ReadAsStringAsync()).RootElement.GetProperty("forwarded").GetString());
        }
        using (var byDefault = await _plain.GetAsync($"http://{follower.Http}/key/forwarded?level=default"))
        {
            Assert.Equal(HttpStatusCode.TemporaryRedirect, byDefault.StatusCode);
        }

        // kill -9 the leader, keep writing through the others, restart it: every acknowledged key is on every node.
        var acknowledged = new List<string>();
        for (var i = 0; i < 5; i++)
        {
            await WriteAcknowledgedAsync($"before-{i}", $"v{i}", Nodes);
            acknowledged.Add($"before-{i}");
        }

        // The leader now: elections may have moved it since the redirect above, on a loaded machine.
        ServerProcess? current = null;
        await WaitForAsync(async () => (current = await LeaderAsync(_plain)) is not null, "a leader before the kill");
        leader = current!;
        await leader.KillAsync();
        var survivors = Nodes.Where(n => n != leader).ToList();
        for (var i = 0; i < 5; i++)
        {
            await WriteAcknowledgedAsync($"after-{i}", $"v{i}", survivors);
            acknowledged.Add($"after-{i}");
        }

        leader.Start(); // a restarted node rejoins as itself, without -join
        // Starting a .NET process is not what this test measures: on a loaded 2-core machine it took 10 s here (1.6 s
        // quiet), which the 20 s catch-up wait below must not pay for. The process patience covers the start.
        await WaitForAsync(async () =>
        {
            using var status = await _plain.GetAsync($"http://{leader.Http}/status");
            return status.IsSuccessStatusCode;
        }, $"{leader.Id} to answer again after its restart");
        foreach (var node in Nodes)
        {
            foreach (var key in acknowledged)
            {
                await TestCluster.WaitForAsync(async () => await ReadAsync(node, key, "stale", _plain) is not null, $"{key} on {node.Id}\n{Logs()}");
            }
        }

        // SIGTERM: a graceful stop that exits 0.
        Assert.Equal(0, await follower.TerminateAsync());
        Assert.Contains($"node {follower.Id} stopped", follower.Log);
    }
}
