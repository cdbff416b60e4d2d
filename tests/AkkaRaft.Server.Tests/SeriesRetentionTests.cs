using System.Net;
using System.Text;
using System.Text.Json;

namespace AkkaRaft.Server.Tests;

/// <summary>Retention on a running node: the leader proposes the drop of old blocks through the log.</summary>
public sealed class SeriesRetentionTests
{
    [Fact]
    public async Task Blocks_older_than_the_retention_are_dropped_by_the_leader_and_recent_points_stay()
    {
        var dataDir = TestCluster.TempDirectory("retention");
        var node = await InProcessNode.StartAsync("retain", dataDir, new Dictionary<string, string>
        {
            ["akkaraft.time-series.retention"] = "2s",
            ["akkaraft.time-series.retention-check-interval"] = "1s",
        });
        try
        {
            using var client = new HttpClient { BaseAddress = new Uri($"http://{node.Address}") };
            await TestCluster.WaitForLeaderAsync(client, node.Address);
            var now = DateTimeOffset.UtcNow.ToUnixTimeSeconds();
            // "soon-old" is ahead of any cutoff when written (the leader's cutoffs are at least 2 s behind the clock) and
            // behind one a few seconds later; "recent" stays ahead for an hour.
            var body = $"{{\"soon-old\": [[{now + 1}, 1]], \"recent\": [[{now + 3600}, 3]]}}";
            (await client.PostAsync("/series", new StringContent(body, Encoding.UTF8, "application/json"))).EnsureSuccessStatusCode();

            await TestCluster.WaitForAsync(async () => (await client.GetAsync("/series/soon-old")).StatusCode == HttpStatusCode.NotFound,
                "the series older than the retention to be dropped");

            using var recent = JsonDocument.Parse(await client.GetStringAsync("/series/recent"));
            Assert.Equal(3, recent.RootElement.GetProperty("points")[0][1].GetDouble());
            var late = await client.PostAsync("/series/soon-old", new StringContent($"[[{now - 100}, 9]]", Encoding.UTF8, "application/json"));
            Assert.Equal(HttpStatusCode.Conflict, late.StatusCode);
            Assert.Contains("retention", await late.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        }
        finally
        {
            await node.DisposeAsync();
            Directory.Delete(dataDir, recursive: true);
        }
    }
}
