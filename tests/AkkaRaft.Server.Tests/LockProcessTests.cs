using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net;
using System.Text;
using System.Text.Json;
using AkkaRaft.TestSupport.Locks;
using Xunit.Abstractions;

namespace AkkaRaft.Server.Tests;

/// <summary>
/// A lock stays mutually exclusive against three real <c>akkaraft</c> processes while 16 clients contend for it and the
/// node serving its holder (the leader) is killed with SIGKILL. Each client keeps its session alive through whichever
/// node answers, so the holder's session outlives its node: the lock passes on only when the holder releases it through
/// another node, never because a node died. Every client records its hold intervals [acquired, released] on one clock
/// (acquired when the 200 arrived, released before the DELETE was sent) and its fencing tokens; the checker finds no two
/// intervals that overlap and tokens that grow with every acquisition. Ports 9340-9345.
/// </summary>
public sealed class LockProcessTests(ITestOutputHelper output) : ProcessNodesTest("locks")
{
    private const int Clients = 16;
    private readonly HttpClient _http = new(new HttpClientHandler { AllowAutoRedirect = true }) { Timeout = TimeSpan.FromSeconds(30) };
    private readonly Stopwatch _clock = Stopwatch.StartNew();
    private readonly ConcurrentBag<LockHold> _holds = [];
    private readonly ConcurrentQueue<string> _lost = [];
    private int _holding;

    /// <inheritdoc />
    protected override void DisposeClients() => _http.Dispose();

    [Fact]
    public async Task A_lock_is_held_by_one_client_at_a_time_while_sixteen_contend_and_the_holders_node_is_killed()
    {
        StartCluster(9340);
        await WaitForAsync(async () => await LeaderAsync(_http) is not null, "a leader");

        using var stop = new CancellationTokenSource();
        var clients = Enumerable.Range(0, Clients).Select(i => Task.Run(() => ClientAsync(i, stop.Token))).ToList();

        // Contention first; then kill the leader, which serves the lock, while a client holds it.
        await WaitForAsync(() => Task.FromResult(_holds.Count >= 10), "ten acquisitions before the kill");
        await WaitForAsync(() => Task.FromResult(Volatile.Read(ref _holding) > 0), "a client to hold the lock");
        var leader = await LeaderAsync(_http);
        await leader!.KillAsync();
        var killedAt = _clock.Elapsed;
        output.WriteLine($"first acquisition at {_holds.Min(h => h.Acquired).TotalSeconds:F1}s; killed {leader.Id} (the leader) at {killedAt.TotalSeconds:F1}s with {_holds.Count} acquisitions done and a holder in place");

        await WaitForAsync(() => Task.FromResult(_holds.Count(h => h.Acquired > killedAt) >= 10), "ten acquisitions after the kill");
        await stop.CancelAsync();
        await Task.WhenAll(clients);

        Assert.True(_lost.IsEmpty, $"a client's session ended while it kept it alive: {string.Join("; ", _lost)}\n{Logs()}");
        var holds = _holds.OrderBy(h => h.Acquired).ToList();
        output.WriteLine($"{holds.Count} acquisitions by {holds.Select(h => h.Client).Distinct().Count()} clients, {holds.Count(h => h.Acquired > killedAt)} after the kill");
        var violations = LockChecker.Overlaps(holds);
        Assert.True(violations.Count == 0, $"overlapping holds:\n{string.Join("\n", violations)}");
        var reordered = LockChecker.TokensOutOfOrder(holds);
        Assert.True(reordered.Count == 0, $"fencing tokens that do not grow with the acquisitions:\n{string.Join("\n", reordered)}");
    }

    /// <summary>One client: a session kept alive through any node, and a loop of acquire, hold, release until stopped.</summary>
    private async Task ClientAsync(int client, CancellationToken stop)
    {
        var session = await OpenSessionAsync();
        using var keeping = CancellationTokenSource.CreateLinkedTokenSource(stop);
        var keeper = KeepAliveAsync(session, keeping.Token);
        var random = new Random(client);
        while (!stop.IsCancellationRequested)
        {
            var (status, body) = await SendAsync(client, HttpMethod.Post, $"/lock/the-lock?session={session}&wait=3s");
            if (status == HttpStatusCode.Conflict) continue;
            if (status != HttpStatusCode.OK) throw new InvalidOperationException($"client {client}: POST /lock answered {(int)status} {body}\n{Logs()}");
            var acquired = _clock.Elapsed;
            Interlocked.Increment(ref _holding);
            using var json = JsonDocument.Parse(body);
            var token = json.RootElement.GetProperty("fencingToken").GetUInt64();
            await Task.Delay(random.Next(20, 120), CancellationToken.None);
            Interlocked.Decrement(ref _holding);
            var released = _clock.Elapsed;
            _holds.Add(new LockHold(client, acquired, released, token));
            var (unlocked, detail) = await SendAsync(client, HttpMethod.Delete, $"/lock/the-lock?session={session}");
            // 404: a retried DELETE whose first try applied (the node died before answering).
            if (unlocked is not (HttpStatusCode.OK or HttpStatusCode.NotFound)) throw new InvalidOperationException($"client {client}: DELETE /lock answered {(int)unlocked} {detail}");
        }

        await keeping.CancelAsync();
        await keeper;
        await SendAsync(client, HttpMethod.Delete, $"/session/{session}");
    }

    private async Task<string> OpenSessionAsync()
    {
        var (status, body) = await SendAsync(0, HttpMethod.Post, "/session", "{\"ttl\":\"10s\"}");
        if (status != HttpStatusCode.Created) throw new InvalidOperationException($"POST /session answered {(int)status} {body}");
        using var json = JsonDocument.Parse(body);
        return json.RootElement.GetProperty("id").GetString()!;
    }

    /// <summary>Keeps the session alive every second through whichever node answers (a stalled one gets a second).</summary>
    private async Task KeepAliveAsync(string session, CancellationToken stop)
    {
        while (!stop.IsCancellationRequested)
        {
            foreach (var node in Nodes.Where(n => n.IsRunning))
            {
                try
                {
                    using var patience = CancellationTokenSource.CreateLinkedTokenSource(stop);
                    patience.CancelAfter(TimeSpan.FromSeconds(1));
                    using var response = await _http.PutAsync($"http://{node.Http}/session/{session}", null, patience.Token);
                    if (response.StatusCode == HttpStatusCode.NotFound && !stop.IsCancellationRequested) _lost.Enqueue($"session {session}: {node.Id} answered 404");
                    if (response.StatusCode == HttpStatusCode.OK) break;
                }
                catch (Exception e) when (e is HttpRequestException or TaskCanceledException)
                {
                }
            }

            try
            {
                await Task.Delay(1000, stop);
            }
            catch (TaskCanceledException)
            {
                return;
            }
        }
    }

    /// <summary>Sends to the running nodes in turn (starting at the client's own) until one answers other than 503/504.</summary>
    private async Task<(HttpStatusCode Status, string Body)> SendAsync(int client, HttpMethod method, string path, string? body = null)
    {
        var watch = Stopwatch.StartNew();
        for (var attempt = client; ; attempt++)
        {
            var running = Nodes.Where(n => n.IsRunning).ToList();
            var node = running[attempt % running.Count];
            try
            {
                using var request = new HttpRequestMessage(method, $"http://{node.Http}{path}");
                if (body is not null) request.Content = new StringContent(body, Encoding.UTF8, "application/json");
                using var response = await _http.SendAsync(request);
                if (response.StatusCode is not (HttpStatusCode.ServiceUnavailable or HttpStatusCode.GatewayTimeout))
                    return (response.StatusCode, await response.Content.ReadAsStringAsync());
            }
            catch (Exception e) when (e is HttpRequestException or TaskCanceledException)
            {
                // Down or electing: the next node.
            }

            if (watch.Elapsed > ServerProcessCluster.Patience) throw new TimeoutException($"no node answered {method} {path}\n{Logs()}");
            await Task.Delay(100);
        }
    }

    private void StartCluster(int firstPort)
    {
        var ids = new[] { "l1", "l2", "l3" };
        var peers = string.Join(",", ids.Select((nodeId, i) => $"{nodeId}=127.0.0.1:{firstPort + 2 * i + 1}"));
        for (var i = 0; i < ids.Length; i++)
        {
            var node = new ServerProcess(ids[i], $"127.0.0.1:{firstPort + 2 * i}", $"127.0.0.1:{firstPort + 2 * i + 1}", Path.Combine(Root, ids[i]), peers);
            Nodes.Add(node);
            node.Start();
        }
    }
}

/// <summary>The checker itself: it must catch an overlap and a token that goes back, or the process test proves nothing.</summary>
public sealed class LockCheckerTests
{
    private static TimeSpan Ms(double ms) => TimeSpan.FromMilliseconds(ms);

    [Fact]
    public void Disjoint_holds_with_growing_tokens_pass_and_an_overlap_or_a_token_going_back_is_caught()
    {
        var good = new[] { new LockHold(1, Ms(0), Ms(10), 5), new LockHold(2, Ms(11), Ms(20), 9), new LockHold(1, Ms(21), Ms(30), 12) };
        Assert.Empty(LockChecker.Overlaps(good));
        Assert.Empty(LockChecker.TokensOutOfOrder(good));

        // The third begins inside the second.
        var overlap = new[] { new LockHold(1, Ms(0), Ms(50), 5), new LockHold(2, Ms(51), Ms(60), 9), new LockHold(3, Ms(55), Ms(70), 12) };
        Assert.Single(LockChecker.Overlaps(overlap));
        var backwards = new[] { new LockHold(1, Ms(0), Ms(10), 9), new LockHold(2, Ms(11), Ms(20), 5) };
        Assert.Single(LockChecker.TokensOutOfOrder(backwards));

        // A hold whose session may have ended counts only up to when the session was last known alive.
        var lost = new LockHold(1, Ms(0), Ms(50), 5) { KnownUntil = Ms(20) };
        Assert.Empty(LockChecker.Overlaps([lost, new LockHold(2, Ms(30), Ms(60), 9)]));
        Assert.Single(LockChecker.Overlaps([lost, new LockHold(2, Ms(15), Ms(60), 9)]));
    }
}
