using System.Net;
using System.Text;
using System.Text.Json;
using Xunit.Abstractions;

namespace AkkaRaft.Server.Tests;

/// <summary>
/// Three real <c>akkaraft</c> processes: points are ingested in batches while the leader is killed with SIGKILL, and
/// every acknowledged point is then read back from every node.
/// </summary>
public sealed class SeriesProcessTests(ITestOutputHelper log) : ProcessNodesTest("series-processes")
{
    private const int BatchPoints = 100;
    private readonly HttpClient _plain = new(new HttpClientHandler { AllowAutoRedirect = false }) { Timeout = TimeSpan.FromSeconds(15) };
    private readonly HttpClient _follow = new(new HttpClientHandler { AllowAutoRedirect = true }) { Timeout = TimeSpan.FromSeconds(15) };

    /// <inheritdoc />
    protected override void DisposeClients()
    {
        _plain.Dispose();
        _follow.Dispose();
    }

    /// <summary>
    /// Posts one batch through the nodes in turn until one acknowledges it, as a client would: a batch that timed out
    /// may have committed, and sent again its points are duplicates, not errors.
    /// </summary>
    private async Task<(int Attempts, ulong Duplicates)> IngestAcknowledgedAsync(string body, IReadOnlyList<ServerProcess> via)
    {
        var attempt = 0;
        ulong duplicates = 0;
        await TestCluster.WaitForAsync(async () =>
        {
            var node = via[attempt++ % via.Count];
            using var response = await _follow.PostAsync($"http://{node.Http}/series", new StringContent(body, Encoding.UTF8, "application/json"));
            if (response.StatusCode != HttpStatusCode.OK) return false;
            using var answer = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
            duplicates = answer.RootElement.GetProperty("duplicates").GetUInt64();
            return true;
        }, $"an acknowledged batch\n{Logs()}", ServerProcessCluster.Patience);
        return (attempt, duplicates);
    }

    private static string Batch(int batch, Dictionary<string, List<(long T, double V)>> acknowledged, out Dictionary<string, List<(long T, double V)>> points)
    {
        points = [];
        foreach (var series in acknowledged.Keys)
        {
            var list = new List<(long, double)>();
            for (var i = 0; i < BatchPoints; i++)
            {
                long t = 1_700_000_000 + (batch * BatchPoints) + i;
                list.Add((t, Math.Round(Math.Sin(t) * 100, 3) + series.Length));
            }

            points[series] = list;
        }

        return JsonSerializer.Serialize(points.ToDictionary(p => p.Key, p => p.Value.Select(x => new object[] { x.T, x.V }).ToArray()));
    }

    [Fact]
    public async Task Every_point_acknowledged_while_the_leader_is_killed_is_read_back_from_every_node()
    {
        var ids = new[] { "s1", "s2", "s3" };
        // Six distinct ports (a free port is not reserved: the same one could come back twice).
        var ports = new HashSet<int>();
        while (ports.Count < 2 * ids.Length) ports.Add(TestCluster.FreePortIn(9200, 9299));
        var free = new Queue<int>(ports);
        var rafts = ids.Select(_ => $"127.0.0.1:{free.Dequeue()}").ToList();
        var peers = string.Join(",", ids.Select((id, i) => $"{id}={rafts[i]}"));
        for (var i = 0; i < ids.Length; i++)
        {
            Nodes.Add(new ServerProcess(ids[i], $"127.0.0.1:{free.Dequeue()}", rafts[i], Path.Combine(Root, ids[i]), peers));
        }

        foreach (var node in Nodes) node.Start();
        // Three .NET processes starting at once on a shared machine: the processes' patience, not the in-process one.
        foreach (var node in Nodes) await TestCluster.WaitForLeaderAsync(_plain, node.Http, members: 3, ServerProcessCluster.Patience);

        var acknowledged = new Dictionary<string, List<(long T, double V)>> { ["ingest/cpu"] = [], ["ingest/mem"] = [] };
        var batch = 0;
        for (; batch < 10; batch++)
        {
            var body = Batch(batch, acknowledged, out var points);
            await IngestAcknowledgedAsync(body, Nodes);
            foreach (var (series, list) in points) acknowledged[series].AddRange(list);
        }

        var leaderId = (await TestCluster.StatusAsync(_plain, Nodes[0].Http)).GetProperty("leader").GetString();
        var leader = Nodes.Single(n => n.Id == leaderId);
        // Kill the leader while a batch is in flight: its fate is unknown until the client gets an answer.
        var body10 = Batch(batch, acknowledged, out var inFlight);
        var send = _follow.PostAsync($"http://{leader.Http}/series", new StringContent(body10, Encoding.UTF8, "application/json"));
        await leader.KillAsync();
        try
        {
            (await send).Dispose();
        }
        catch (Exception e) when (e is HttpRequestException or TaskCanceledException)
        {
            // The connection died with the leader.
        }

        var survivors = Nodes.Where(n => n != leader).ToList();
        var (attempts, duplicates) = await IngestAcknowledgedAsync(body10, survivors);
        log.WriteLine($"the batch in flight at the kill was acknowledged after {attempts} attempts, {duplicates} of its points already stored");
        foreach (var (series, list) in inFlight) acknowledged[series].AddRange(list);
        for (batch++; batch < 20; batch++)
        {
            var body = Batch(batch, acknowledged, out var points);
            await IngestAcknowledgedAsync(body, survivors);
            foreach (var (series, list) in points) acknowledged[series].AddRange(list);
        }

        leader.Start();
        foreach (var node in Nodes)
        {
            foreach (var (series, expected) in acknowledged)
            {
                string? last = null;
                await TestCluster.WaitForAsync(async () =>
                {
                    using var response = await _plain.GetAsync($"http://{node.Http}/series/{series}?level=stale");
                    if (response.StatusCode != HttpStatusCode.OK) return false;
                    last = await response.Content.ReadAsStringAsync();
                    using var document = JsonDocument.Parse(last);
                    var points = document.RootElement.GetProperty("points").EnumerateArray().Select(p => (p[0].GetInt64(), p[1].GetDouble())).ToList();
                    return points.SequenceEqual(expected);
                }, $"every acknowledged point of {series} on {node.Id} (last answer {last?[..Math.Min(200, last.Length)]})\n{Logs()}", ServerProcessCluster.Patience);
            }
        }

        Assert.Equal(20 * BatchPoints, acknowledged["ingest/cpu"].Count);
    }
}
