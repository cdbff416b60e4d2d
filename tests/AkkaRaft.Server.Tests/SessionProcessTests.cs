using System.Diagnostics;
using System.Net;
using System.Text;
using System.Text.Json;
using Xunit.Abstractions;

namespace AkkaRaft.Server.Tests;

/// <summary>
/// Client sessions over HTTP against three real <c>akkaraft</c> processes (issue #14): an ephemeral key lives while its
/// client keeps the session alive, also through kill -9 of the leader and its restart, and is gone once the client
/// stops; a write with <c>seq</c> is applied once however often it is sent; closing a session deletes its keys at once.
/// The processes listen on ports 9310-9315 and 9320-9325.
/// </summary>
public sealed class SessionProcessTests(ITestOutputHelper output) : ProcessNodesTest("sessions")
{
    private readonly HttpClient _http = new(new HttpClientHandler { AllowAutoRedirect = true }) { Timeout = TimeSpan.FromSeconds(10) };
    // A keep-alive the cluster answered 404: the session expired although the client kept it alive.
    private string? _lostSession;

    /// <inheritdoc />
    protected override void DisposeClients()
    {
        _http.Dispose();
    }

    [Fact]
    public async Task An_ephemeral_key_outlives_a_killed_leader_while_its_session_is_kept_alive_and_goes_once_the_client_stops()
    {
        StartCluster(9310);
        foreach (var node in Nodes) await WaitForAsync(async () => (await TestCluster.StatusAsync(_http, node.Http)).GetProperty("leader").ValueKind == JsonValueKind.String, $"{node.Id} to know a leader");

        // POST /session {"ttl":"3s"} -> 201 {"id","ttl"}.
        // A TTL well above what a loaded machine's stalls (seconds, with three processes on two shared cores) take.
        using var opened = await SendAsync(HttpMethod.Post, "/session", "{\"ttl\":\"10s\"}");
        Assert.Equal(HttpStatusCode.Created, opened.StatusCode);
        using var openedJson = JsonDocument.Parse(await opened.Content.ReadAsStringAsync());
        var id = openedJson.RootElement.GetProperty("id").GetString()!;
        Assert.Equal("10s", openedJson.RootElement.GetProperty("ttl").GetString());

        using var keepAlive = new CancellationTokenSource();
        var keeper = KeepAliveAsync(id, keepAlive.Token);

        using (var written = await SendAsync(HttpMethod.Post, $"/key?session={id}&ephemeral=true", "{\"eph\":\"mine\"}"))
            Assert.Equal(HttpStatusCode.OK, written.StatusCode);

        // kill -9 the leader while the client keeps its session alive: the key stays, on the survivors and, after its
        // restart, on the killed node too.
        ServerProcess? leader = null;
        await WaitForAsync(async () => (leader = await LeaderAsync(_http)) is not null, "a leader");
        await leader!.KillAsync();
        var survivors = Nodes.Where(n => n != leader).ToList();
        await WaitForAsync(async () => await LeaderAsync(_http, survivors) is { } l && l != leader, "a new leader among the survivors");
        // Longer than a TTL after the new leader's: it would have expired the session by now without the keep-alives.
        await Task.Delay(TimeSpan.FromSeconds(15));
        Assert.True(_lostSession is null, $"the session expired while its client kept it alive: {_lostSession}\n{Logs()}");
        Assert.Equal("mine", await ReadAsync(survivors[0], "eph", "consistent"));
        using (var kept = await SendAsync(HttpMethod.Put, $"/session/{id}", null, survivors))
            Assert.Equal(HttpStatusCode.OK, kept.StatusCode);
        leader.Start();
        await WaitForAsync(async () => await ReadAsync(leader, "eph", "stale") == "mine", "the restarted node to hold the ephemeral key");
        Assert.True(_lostSession is null, $"the session expired while its client kept it alive: {_lostSession}\n{Logs()}");

        // The client stops: the key goes, through the log, on every node, and the session is gone.
        await keepAlive.CancelAsync();
        await keeper;
        var stopped = Stopwatch.StartNew();
        await WaitForAsync(async () => await StatusOfReadAsync(survivors[0], "eph") == HttpStatusCode.NotFound, "the ephemeral key to go after the client stopped");
        output.WriteLine($"the ephemeral key went {stopped.Elapsed.TotalSeconds:F1}s after the last keep-alive (ttl 10s, election timeout 300ms)");
        foreach (var node in Nodes)
            await WaitForAsync(async () => await StatusOfReadAsync(node, "eph", "stale") == HttpStatusCode.NotFound, $"{node.Id} to have deleted the ephemeral key");
        using (var late = await SendAsync(HttpMethod.Put, $"/session/{id}", null))
            Assert.Equal(HttpStatusCode.NotFound, late.StatusCode);
    }

    [Fact]
    public async Task A_write_with_a_sequence_number_is_applied_once_and_a_closed_session_takes_its_ephemeral_keys_with_it()
    {
        StartCluster(9320);
        foreach (var node in Nodes) await WaitForAsync(async () => (await TestCluster.StatusAsync(_http, node.Http)).GetProperty("leader").ValueKind == JsonValueKind.String, $"{node.Id} to know a leader");
        using var opened = await SendAsync(HttpMethod.Post, "/session", "{\"ttl\":\"30s\"}");
        using var openedJson = JsonDocument.Parse(await opened.Content.ReadAsStringAsync());
        var id = openedJson.RootElement.GetProperty("id").GetString()!;

        using var first = await SendAsync(HttpMethod.Post, $"/key?session={id}&seq=1", "{\"once\":\"a\"}");
        var firstBody = await first.Content.ReadAsStringAsync();
        Assert.Equal(HttpStatusCode.OK, first.StatusCode);
        using (var other = await SendAsync(HttpMethod.Post, "/key", "{\"once\":\"b\"}"))
            Assert.Equal(HttpStatusCode.OK, other.StatusCode);
        // The client did not hear the answer and sends write 1 again: the first answer, the same index, nothing applied.
        using var retry = await SendAsync(HttpMethod.Post, $"/key?session={id}&seq=1", "{\"once\":\"a\"}");
        Assert.Equal(HttpStatusCode.OK, retry.StatusCode);
        Assert.Equal(firstBody, await retry.Content.ReadAsStringAsync());
        Assert.Equal("b", await ReadAsync(Nodes[0], "once", "consistent"));

        using (var eph = await SendAsync(HttpMethod.Post, $"/key?session={id}&ephemeral=true", "{\"e1\":\"x\",\"e2\":\"y\"}"))
            Assert.Equal(HttpStatusCode.OK, eph.StatusCode);
        Assert.Equal("x", await ReadAsync(Nodes[1], "e1", "consistent"));

        using (var closed = await SendAsync(HttpMethod.Delete, $"/session/{id}", null))
            Assert.Equal(HttpStatusCode.NoContent, closed.StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, await StatusOfReadAsync(Nodes[2], "e1"));
        Assert.Equal(HttpStatusCode.NotFound, await StatusOfReadAsync(Nodes[2], "e2"));
        Assert.Equal("b", await ReadAsync(Nodes[2], "once", "consistent"));
        using (var again = await SendAsync(HttpMethod.Delete, $"/session/{id}", null))
            Assert.Equal(HttpStatusCode.NotFound, again.StatusCode);
        using (var late = await SendAsync(HttpMethod.Post, $"/key?session={id}", "{\"late\":\"z\"}"))
            Assert.Equal(HttpStatusCode.NotFound, late.StatusCode);
        using (var bad = await SendAsync(HttpMethod.Post, "/key?ephemeral=true", "{\"e3\":\"z\"}"))
            Assert.Equal(HttpStatusCode.BadRequest, bad.StatusCode);
        using (var badTtl = await SendAsync(HttpMethod.Post, "/session", "{\"ttl\":\"10 parsecs\"}"))
            Assert.Equal(HttpStatusCode.BadRequest, badTtl.StatusCode);
    }

    private void StartCluster(int firstPort)
    {
        var ids = new[] { "s1", "s2", "s3" };
        var peers = string.Join(",", ids.Select((nodeId, i) => $"{nodeId}=127.0.0.1:{firstPort + 2 * i + 1}"));
        for (var i = 0; i < ids.Length; i++)
        {
            var node = new ServerProcess(ids[i], $"127.0.0.1:{firstPort + 2 * i}", $"127.0.0.1:{firstPort + 2 * i + 1}", Path.Combine(Root, ids[i]), peers);
            Nodes.Add(node);
            node.Start();
        }
    }

    /// <summary>Keeps the session alive every 500ms through whichever node answers, until cancelled.</summary>
    private async Task KeepAliveAsync(string id, CancellationToken stop)
    {
        while (!stop.IsCancellationRequested)
        {
            foreach (var node in Nodes.Where(n => n.IsRunning))
            {
                try
                {
                    // A node stalled by the loaded machine must not hold up the keep-alives: the next one is tried.
                    using var patience = CancellationTokenSource.CreateLinkedTokenSource(stop);
                    patience.CancelAfter(TimeSpan.FromSeconds(1));
                    using var response = await _http.PutAsync($"http://{node.Http}/session/{id}", null, patience.Token);
                    if (response.StatusCode == HttpStatusCode.NotFound && !stop.IsCancellationRequested)
                        _lostSession ??= $"{node.Id} answered 404: {await response.Content.ReadAsStringAsync(CancellationToken.None)}";
                    if (response.StatusCode == HttpStatusCode.OK) break;
                }
                catch (Exception e) when (e is HttpRequestException or TaskCanceledException)
                {
                    // That node is down or electing: the next one.
                }
            }

            try
            {
                await Task.Delay(500, stop);
            }
            catch (TaskCanceledException)
            {
                return;
            }
        }
    }

    /// <summary>Sends to the running nodes in turn until one answers with something other than 503/504 (an election).</summary>
    private async Task<HttpResponseMessage> SendAsync(HttpMethod method, string path, string? body, IReadOnlyList<ServerProcess>? via = null)
    {
        var watch = Stopwatch.StartNew();
        while (true)
        {
            foreach (var node in (via ?? Nodes).Where(n => n.IsRunning))
            {
                try
                {
                    using var request = new HttpRequestMessage(method, $"http://{node.Http}{path}");
                    if (body is not null) request.Content = new StringContent(body, Encoding.UTF8, "application/json");
                    var response = await _http.SendAsync(request);
                    if (response.StatusCode is not (HttpStatusCode.ServiceUnavailable or HttpStatusCode.GatewayTimeout)) return response;
                    response.Dispose();
                }
                catch (Exception e) when (e is HttpRequestException or TaskCanceledException)
                {
                    // Down or electing.
                }
            }

            if (watch.Elapsed > ServerProcessCluster.Patience) throw new TimeoutException($"no node answered {method} {path}\n{Logs()}");
            await Task.Delay(200);
        }
    }

    private async Task<string?> ReadAsync(ServerProcess node, string key, string level)
    {
        using var response = await _http.GetAsync($"http://{node.Http}/key/{key}?level={level}");
        if (response.StatusCode != HttpStatusCode.OK) return null;
        using var document = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        return document.RootElement.GetProperty(key).GetString();
    }

    private async Task<HttpStatusCode> StatusOfReadAsync(ServerProcess node, string key, string level = "consistent")
    {
        using var response = await _http.GetAsync($"http://{node.Http}/key/{key}?level={level}");
        return response.StatusCode;
    }
}
