using System.Diagnostics;
using System.Net;
using System.Text;
using System.Text.Json;
using Xunit.Abstractions;

namespace AkkaRaft.Server.Tests;

/// <summary>
/// Akka.Cluster's reachability in /status, and no automatic downing: a member whose process is paused (SIGSTOP)
/// for longer than the failure detector's acceptable heartbeat pause shows unreachable on the others and stays a
/// member while the majority keeps committing; resumed (SIGCONT), the same process becomes reachable, catches up
/// and serves a consistent read.
/// </summary>
[Collection(ServerProcessCollection.Name)]
public sealed class ClusterReachabilityTests(ServerProcessFixture fixture, ITestOutputHelper log) : IAsyncLifetime
{
    private readonly HttpClient _http = fixture.Http;

    private ServerProcessCluster Cluster => fixture.Cluster;

    public async Task InitializeAsync()
    {
        log.WriteLine($"three server processes formed a Raft group and an Akka cluster in {fixture.FormedAfter.TotalSeconds:F1}s");
        await Cluster.WaitUntilFormedAsync(_http);
    }

    public Task DisposeAsync() => Task.CompletedTask;

    /// <summary>How <paramref name="observer"/>'s /status shows <paramref name="member"/>: in the Raft configuration, and in the Akka cluster.</summary>
    private async Task<(bool InRaft, bool? Reachable, string? ClusterStatus)> ViewAsync(ServerProcess observer, ServerProcess member)
    {
        var status = await TestCluster.StatusAsync(_http, observer.Http);
        var raft = status.GetProperty("members").EnumerateArray().FirstOrDefault(m => m.GetProperty("id").GetString() == member.Id);
        var akka = status.GetProperty("cluster").EnumerateArray().FirstOrDefault(m => m.GetProperty("address").GetString() == member.Raft);
        return (raft.ValueKind == JsonValueKind.Object,
            raft.ValueKind == JsonValueKind.Object ? raft.GetProperty("reachable").GetBoolean() : null,
            akka.ValueKind == JsonValueKind.Object ? akka.GetProperty("status").GetString() : null);
    }

    [Fact]
    public async Task A_paused_member_should_show_unreachable_stay_a_member_and_catch_up_without_a_restart_when_it_runs_again()
    {
        var leader = await Cluster.LeaderAsync(_http, Cluster.Nodes[0]);
        var paused = Cluster.Nodes.First(n => n != leader);
        var others = Cluster.Nodes.Where(n => n != paused).ToList();
        var pid = paused.Pid;

        var watch = Stopwatch.StartNew();
        await paused.PauseAsync();
        ulong lastWrite = 0;
        try
        {
            foreach (var other in others)
            {
                await Cluster.WaitForAsync(async () => await ViewAsync(other, paused) is (true, false, "up"),
                    $"{other.Id}'s /status to show {paused.Id} unreachable and still up");
            }

            // The majority commits without it. (An election under load answers 503 for a moment: such a write is
            // sent again, through either of the two, until one acknowledges it.)
            for (var i = 0; i < 5; i++)
            {
                var key = $"while-paused-{i}";
                var attempt = 0;
                await Cluster.WaitForAsync(async () =>
                {
                    var via = others[attempt++ % others.Count];
                    using var post = await _http.PostAsync($"http://{via.Http}/key", new StringContent($"{{\"{key}\": \"v{i}\"}}", Encoding.UTF8));
                    if (post.StatusCode != HttpStatusCode.OK) return false;
                    using var answer = JsonDocument.Parse(await post.Content.ReadAsStringAsync());
                    lastWrite = answer.RootElement.GetProperty("index").GetProperty(key).GetUInt64();
                    return true;
                }, $"an acknowledged write of {key} while {paused.Id} is paused");
            }

            // No downing: after all that it is still a member of both, only unreachable.
            foreach (var other in others)
            {
                Assert.Equal((true, false, "up"), await ViewAsync(other, paused));
                var voters = (await TestCluster.StatusAsync(_http, other.Http)).GetProperty("members").GetArrayLength();
                Assert.Equal(3, voters);
            }
        }
        finally
        {
            await paused.ResumeAsync();
            log.WriteLine($"{paused.Id} paused for {watch.Elapsed.TotalSeconds:F1}s");
        }

        foreach (var other in others)
        {
            await Cluster.WaitForAsync(async () => await ViewAsync(other, paused) is (true, true, "up"),
                $"{other.Id}'s /status to show {paused.Id} reachable again");
        }

        await Cluster.WaitForAsync(async () => (await TestCluster.StatusAsync(_http, paused.Http)).GetProperty("appliedIndex").GetUInt64() >= lastWrite,
            $"{paused.Id} to apply the writes made while it was paused (index {lastWrite})");
        using (var read = await _http.GetAsync($"http://{paused.Http}/key/while-paused-4?level=consistent&forward=true"))
        {
            Assert.Equal(HttpStatusCode.OK, read.StatusCode);
            using var document = JsonDocument.Parse(await read.Content.ReadAsStringAsync());
            Assert.Equal("v4", document.RootElement.GetProperty("while-paused-4").GetString());
        }

        log.WriteLine($"{paused.Id} reachable again, caught up and read from {watch.Elapsed.TotalSeconds:F1}s after the pause began");
        Assert.True(paused.IsRunning);
        Assert.Equal(pid, paused.Pid);
    }
}
