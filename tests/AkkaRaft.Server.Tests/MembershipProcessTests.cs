using System.Collections.Concurrent;
using System.Net;
using System.Text;
using System.Text.Json;

namespace AkkaRaft.Server.Tests;

/// <summary>
/// Eight real <c>akkaraft</c> processes: five join one by one (each a learner first, promoted to voter once caught up),
/// three more join with <c>--learner</c> and stay learners, and one <c>POST /config</c> moves the voters from the five
/// to the three while a client keeps writing. Every write acknowledged before, during and after the move is read back
/// from the new voters.
/// </summary>
public sealed class MembershipProcessTests() : ProcessNodesTest("membership")
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

    private static StringContent Json(string json) => new(json, Encoding.UTF8, "application/json");

    private async Task<Dictionary<string, JsonElement>> MembersAsync(ServerProcess node)
    {
        var status = await TestCluster.StatusAsync(_plain, node.Http);
        return status.GetProperty("members").EnumerateArray().ToDictionary(m => m.GetProperty("id").GetString()!, m => m.Clone());
    }

    [Fact]
    public async Task A_five_voter_cluster_moves_to_three_other_nodes_in_one_change_and_keeps_every_acknowledged_write()
    {
        var patience = ServerProcessCluster.Patience;
        var first = AddNode("m1");
        first.Start();
        await TestCluster.WaitForLeaderAsync(_plain, first.Http, patience: patience);
        var old = new List<ServerProcess> { first };
        for (var i = 2; i <= 5; i++)
        {
            var node = AddNode($"m{i}");
            node.Start(join: first.Http);
            old.Add(node);
        }

        // Joiners are promoted once caught up: five voters.
        await TestCluster.WaitForAsync(async () =>
        {
            var members = await MembersAsync(first);
            return members.Count == 5 && members.Values.All(m => m.GetProperty("role").GetString() != "learner");
        }, $"five voters\n{Logs()}", patience);

        var fresh = new List<ServerProcess>();
        for (var i = 6; i <= 8; i++)
        {
            var node = AddNode($"m{i}");
            node.Start(join: first.Http, settings: ["akkaraft.node.learner=on"]);
            fresh.Add(node);
        }

        // --learner: they stay learners, and /status shows how far behind they are.
        await TestCluster.WaitForAsync(async () =>
        {
            var members = await MembersAsync(first);
            return members.Count == 8 && fresh.All(n => members.TryGetValue(n.Id, out var m) && m.GetProperty("role").GetString() == "learner"
                                                        && m.GetProperty("lag").ValueKind == JsonValueKind.Number);
        }, $"three learners with their lag\n{Logs()}", patience);

        // Bad requests lose nothing: unknown node, empty voters, malformed body.
        var unknown = await _follow.PostAsync($"http://{first.Http}/config", Json("{\"voters\": [\"m6\", \"nobody\"]}"));
        Assert.Equal(HttpStatusCode.BadRequest, unknown.StatusCode);
        Assert.Contains("nobody", await unknown.Content.ReadAsStringAsync());
        Assert.Equal(HttpStatusCode.BadRequest, (await _follow.PostAsync($"http://{first.Http}/config", Json("{\"voters\": []}"))).StatusCode);
        Assert.Equal(HttpStatusCode.BadRequest, (await _follow.PostAsync($"http://{first.Http}/config", Json("{\"voters\": \"m6\"}"))).StatusCode);

        // A client writes all along, through any node; only acknowledged writes count.
        var acknowledged = new ConcurrentBag<string>();
        using var stop = new CancellationTokenSource();
        var writer = Task.Run(async () =>
        {
            var all = Nodes.ToList();
            for (var i = 0; !stop.IsCancellationRequested; i++)
            {
                var node = all[i % all.Count];
                try
                {
                    using var response = await _follow.PostAsync($"http://{node.Http}/key", Json($"{{\"w{i}\": \"v{i}\"}}"));
                    if (response.StatusCode == HttpStatusCode.OK) acknowledged.Add($"w{i}");
                }
                catch (Exception e) when (e is HttpRequestException or TaskCanceledException)
                {
                    // No outcome known: not counted.
                }
            }
        });
        await TestCluster.WaitForAsync(() => Task.FromResult(acknowledged.Count >= 20), "writes before the change", patience);

        var oldVoters = string.Join(", ", old.Select(n => $"\"{n.Id}\""));
        var newVoters = string.Join(", ", fresh.Select(n => $"\"{n.Id}\""));
        var moved = await _follow.PostAsync($"http://{old[2].Http}/config", Json($"{{\"voters\": [{newVoters}], \"learners\": [], \"expect\": {{\"voters\": [{oldVoters}]}}}}"));
        var movedBody = await moved.Content.ReadAsStringAsync();
        Assert.True(moved.StatusCode == HttpStatusCode.OK, $"POST /config answered {(int)moved.StatusCode} {movedBody}\n{Logs()}");
        using (var answer = JsonDocument.Parse(movedBody))
        {
            Assert.Equal(fresh.Select(n => n.Id), answer.RootElement.GetProperty("voters").EnumerateArray().Select(e => e.GetString()));
            Assert.Equal(0, answer.RootElement.GetProperty("learners").GetArrayLength());
        }

        var duringChange = acknowledged.Count;
        await TestCluster.WaitForAsync(() => Task.FromResult(acknowledged.Count >= duringChange + 20), $"writes after the change\n{Logs()}", patience);
        await stop.CancelAsync();
        await writer;

        // The same change again, expecting the old voters: refused, naming the voters now.
        var stale = await _follow.PostAsync($"http://{fresh[0].Http}/config", Json($"{{\"voters\": [{oldVoters}], \"expect\": {{\"voters\": [{oldVoters}]}}}}"));
        Assert.Equal(HttpStatusCode.Conflict, stale.StatusCode);
        Assert.Contains("m6", await stale.Content.ReadAsStringAsync());

        // Only the three are members now, one of them leads, and every acknowledged write is there.
        var newLeader = await TestCluster.WaitForLeaderAsync(_plain, fresh[0].Http, members: 3, patience: patience);
        Assert.Contains(newLeader, fresh.Select(n => n.Id));
        foreach (var key in acknowledged)
        {
            using var response = await _follow.GetAsync($"http://{fresh[0].Http}/key/{key}?level=consistent");
            Assert.True(response.StatusCode == HttpStatusCode.OK, $"acknowledged {key} read back {(int)response.StatusCode}\n{Logs()}");
        }

        foreach (var node in fresh)
        {
            await TestCluster.WaitForAsync(async () =>
            {
                foreach (var key in acknowledged)
                {
                    using var response = await _plain.GetAsync($"http://{node.Http}/key/{key}?level=stale");
                    if (response.StatusCode != HttpStatusCode.OK) return false;
                }

                return true;
            }, $"every acknowledged write on {node.Id}", patience);
        }
    }
}
