using System.Net;
using System.Net.Sockets;
using System.Text;
using System.Text.Json;
using AkkaRaft.Grpc.V1;
using AkkaRaft.Server.Limits;
using Grpc.Core;

namespace AkkaRaft.Server.Tests.Limits;

/// <summary>
/// The limits of akkaraft.client-limits on one in-process node's HTTP and gRPC listeners: each refusal names its
/// setting, and /status stays answerable while the request limits are full. Requests are held in flight with bodies
/// that never arrive, and the test waits until the node counts them before it probes, so nothing depends on timing.
/// </summary>
public sealed class ClientLimitsTests : IAsyncLifetime
{
    private static readonly Dictionary<string, string> Settings = new()
    {
        ["akkaraft.client-limits.max-requests-per-client"] = "2",
        ["akkaraft.client-limits.max-requests"] = "3",
        ["akkaraft.client-limits.max-header-bytes"] = "2KiB",
        // Held requests send no body: the body-rate limit must not end them while the test probes.
        ["akkaraft.client-limits.min-body-rate-grace"] = "60s",
        ["akkaraft.http.max-body-bytes"] = "4096",
        ["akkaraft.sessions.max-sessions"] = "1",
    };

    private GrpcTestNode? _node;
    private readonly List<IDisposable> _held = [];

    private GrpcTestNode Node => _node!;

    private string Http => Node.Node.Address;

    private string Grpc => Node.Grpc.Address.ToString();

    public async Task InitializeAsync()
    {
        _node = await GrpcTestNode.StartAsync("limits", TestCluster.TempDirectory("limits"), Settings);
        using var client = LoopbackClients.HttpFrom("127.0.0.1", Http);
        await TestCluster.WaitForLeaderAsync(client, Http);
    }

    public async Task DisposeAsync()
    {
        foreach (var held in _held) held.Dispose();
        if (_node is not null)
        {
            var dataDir = _node.Node.DataDir;
            await _node.DisposeAsync();
            Directory.Delete(dataDir, recursive: true);
        }
    }

    [Fact]
    public async Task A_client_past_its_request_limit_gets_429_and_the_node_past_its_total_gets_503_while_status_answers()
    {
        var limits = Node.Node.Http.Limits;
        await HoldHttpAsync("127.0.0.1", "/key");
        await HoldHttpAsync("127.0.0.1", "/session");
        await WaitForInFlightAsync(limits, 2);

        using var first = LoopbackClients.HttpFrom("127.0.0.1", Http);
        using var refused = await first.GetAsync("/key/a");
        Assert.Equal(HttpStatusCode.TooManyRequests, refused.StatusCode);
        Assert.Equal("1", refused.Headers.GetValues("Retry-After").Single());
        Assert.Contains("akkaraft.client-limits.max-requests-per-client = 2", await DetailAsync(refused));

        // Another client still has room, until the node's total is reached.
        using var second = LoopbackClients.HttpFrom("127.0.0.2", Http);
        using var put = await second.PostAsync("/key", Json("""{"b":"from another client"}"""));
        Assert.Equal(HttpStatusCode.OK, put.StatusCode);
        await HoldHttpAsync("127.0.0.2", "/key");
        await WaitForInFlightAsync(limits, 3);
        using var third = LoopbackClients.HttpFrom("127.0.0.3", Http);
        using var full = await third.PostAsync("/key", Json("""{"c":"refused"}"""));
        Assert.Equal(HttpStatusCode.ServiceUnavailable, full.StatusCode);
        Assert.Contains("akkaraft.client-limits.max-requests = 3", await DetailAsync(full));

        // What an operator needs to see an overloaded node is not counted.
        using var status = await first.GetAsync("/status");
        Assert.Equal(HttpStatusCode.OK, status.StatusCode);
        using var metrics = await third.GetAsync("/metrics");
        Assert.Equal(HttpStatusCode.OK, metrics.StatusCode);

        // Nothing refused was written; once the held requests end, the client is served again.
        foreach (var held in _held) held.Dispose();
        _held.Clear();
        await WaitForInFlightAsync(limits, 0);
        using var missing = await third.GetAsync("/key/c");
        Assert.Equal(HttpStatusCode.NotFound, missing.StatusCode);
        using var again = await first.GetAsync("/key/b");
        Assert.Equal(HttpStatusCode.OK, again.StatusCode);
        Assert.Equal(1, limits.RefusedPerClient);
        Assert.Equal(1, limits.RefusedTotal);
        var scraped = await first.GetStringAsync("/metrics");
        Assert.Contains("akkaraft_http_requests_refused_total{limit=\"max-requests-per-client\"} 1\n", scraped);
        Assert.Contains("akkaraft_http_requests_refused_total{limit=\"max-requests\"} 1\n", scraped);
    }

    [Fact]
    public async Task A_gRPC_client_past_its_request_limit_gets_RESOURCE_EXHAUSTED_and_the_node_past_its_total_UNAVAILABLE()
    {
        var limits = Node.Grpc.Limits;
        HoldGrpc("127.0.0.1", "/akkaraft.v1.Kv/Put");
        HoldGrpc("127.0.0.1", "/akkaraft.v1.Kv/Get");
        await WaitForInFlightAsync(limits, 2);

        using var first = LoopbackClients.GrpcFrom("127.0.0.1", Grpc);
        var perClient = await GrpcTestNode.FailsAsync(new AkkaRaft.Grpc.V1.Kv.KvClient(first).GetAsync(new GetRequest { Key = Google.Protobuf.ByteString.CopyFromUtf8("a") }));
        Assert.Equal(StatusCode.ResourceExhausted, perClient.StatusCode);
        Assert.Contains("akkaraft.client-limits.max-requests-per-client = 2", perClient.Status.Detail);
        // Cluster/Status is not counted.
        var status = await new Cluster.ClusterClient(first).StatusAsync(new StatusRequest());
        Assert.False(string.IsNullOrEmpty(status.LeaderId));

        HoldGrpc("127.0.0.2", "/akkaraft.v1.Kv/Put");
        await WaitForInFlightAsync(limits, 3);
        using var third = LoopbackClients.GrpcFrom("127.0.0.3", Grpc);
        var total = await GrpcTestNode.FailsAsync(new AkkaRaft.Grpc.V1.Kv.KvClient(third).PutAsync(new PutRequest { Key = Google.Protobuf.ByteString.CopyFromUtf8("g"), Value = Google.Protobuf.ByteString.CopyFromUtf8("refused") }));
        Assert.Equal(StatusCode.Unavailable, total.StatusCode);
        Assert.Contains("akkaraft.client-limits.max-requests = 3", total.Status.Detail);

        foreach (var held in _held) held.Dispose();
        _held.Clear();
        await WaitForInFlightAsync(limits, 0);
        var get = await new AkkaRaft.Grpc.V1.Kv.KvClient(third).GetAsync(new GetRequest { Key = Google.Protobuf.ByteString.CopyFromUtf8("g") });
        Assert.False(get.Found);
    }

    [Fact]
    public async Task A_chunked_body_past_max_body_bytes_is_refused_with_413_naming_the_setting_on_every_route_that_reads_one()
    {
        using var client = LoopbackClients.HttpFrom("127.0.0.1", Http);
        foreach (var path in new[] { "/key", "/session", "/config", "/join" })
        {
            // No Content-Length: the body is chunked, so only counting what arrives can refuse it.
            var content = new StreamContent(new MemoryStream(Encoding.UTF8.GetBytes("{\"k\":\"" + new string('x', 8000) + "\"}")));
            content.Headers.ContentType = new System.Net.Http.Headers.MediaTypeHeaderValue("application/json");
            using var request = new HttpRequestMessage(HttpMethod.Post, path) { Content = content };
            request.Headers.TransferEncodingChunked = true;
            using var response = await client.SendAsync(request);
            Assert.True(response.StatusCode == HttpStatusCode.RequestEntityTooLarge, $"{path}: {(int)response.StatusCode} {await response.Content.ReadAsStringAsync()}");
            Assert.Contains("akkaraft.http.max-body-bytes", await DetailAsync(response));
        }

        using var missing = await client.GetAsync("/key/k");
        Assert.Equal(HttpStatusCode.NotFound, missing.StatusCode);
    }

    [Fact]
    public async Task Headers_past_max_header_bytes_are_refused_with_431_and_the_node_keeps_answering()
    {
        using var client = LoopbackClients.HttpFrom("127.0.0.1", Http);
        using var request = new HttpRequestMessage(HttpMethod.Get, "/status");
        request.Headers.TryAddWithoutValidation("X-Padding", new string('p', 4096));
        using var response = await client.SendAsync(request);
        Assert.Equal(HttpStatusCode.RequestHeaderFieldsTooLarge, response.StatusCode);
        using var status = await client.GetAsync("/status");
        Assert.Equal(HttpStatusCode.OK, status.StatusCode);
    }

    [Fact]
    public async Task A_session_past_max_sessions_is_refused_with_503_over_HTTP_and_RESOURCE_EXHAUSTED_over_gRPC_naming_the_setting()
    {
        using var client = LoopbackClients.HttpFrom("127.0.0.1", Http);
        using var opened = await client.PostAsync("/session", Json("""{"ttl":"30s"}"""));
        Assert.Equal(HttpStatusCode.Created, opened.StatusCode);
        using var refused = await client.PostAsync("/session", Json("""{"ttl":"30s"}"""));
        Assert.Equal(HttpStatusCode.ServiceUnavailable, refused.StatusCode);
        Assert.Contains("akkaraft.sessions.max-sessions = 1", await DetailAsync(refused));

        using var channel = LoopbackClients.GrpcFrom("127.0.0.1", Grpc);
        var error = await GrpcTestNode.FailsAsync(new Session.SessionClient(channel).OpenAsync(new OpenSessionRequest { TtlMs = 30_000 }));
        Assert.Equal(StatusCode.ResourceExhausted, error.StatusCode);
        Assert.Contains("akkaraft.sessions.max-sessions = 1", error.Status.Detail);
    }

    [Fact]
    public async Task A_broken_gRPC_frame_is_INVALID_ARGUMENT_saying_why_and_an_oversized_message_RESOURCE_EXHAUSTED_naming_the_setting()
    {
        using var client = new HttpClient(LoopbackClients.HandlerFrom("127.0.0.1"));
        // A frame declaring 10 bytes that carries 2, and one declaring more than akkaraft.grpc.max-message-bytes (4MiB).
        var (truncated, truncatedDetail) = await CallAsync(client, "/akkaraft.v1.Kv/Put", [0, 0, 0, 0, 10, 0x0A, 0x01]);
        Assert.Equal("3", truncated);
        Assert.Contains("incomplete", truncatedDetail);
        var (oversized, oversizedDetail) = await CallAsync(client, "/akkaraft.v1.Kv/Put", [0, 0x7F, 0, 0, 0, 0x0A]);
        Assert.Equal("8", oversized);
        Assert.Contains("akkaraft.grpc.max-message-bytes", oversizedDetail);
        // Bytes that are not a PutRequest (a length-delimited field whose length runs past the end).
        var (garbage, garbageDetail) = await CallAsync(client, "/akkaraft.v1.Kv/Put", [0, 0, 0, 0, 2, 0x0A, 0x7F]);
        Assert.Equal("3", garbage);
        Assert.Contains("akkaraft.v1.PutRequest", garbageDetail);
    }

    private async Task<(string? Status, string Detail)> CallAsync(HttpClient client, string method, byte[] body)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, $"http://{Grpc}{method}")
        {
            Version = HttpVersion.Version20,
            VersionPolicy = HttpVersionPolicy.RequestVersionExact,
            Content = new ByteArrayContent(body),
        };
        request.Content.Headers.TryAddWithoutValidation("Content-Type", "application/grpc");
        request.Headers.TryAddWithoutValidation("te", "trailers");
        using var response = await client.SendAsync(request);
        await response.Content.ReadAsByteArrayAsync();
        string? Header(string name) =>
            response.TrailingHeaders.TryGetValues(name, out var t) ? t.First() : response.Headers.TryGetValues(name, out var h) ? h.First() : null;
        return (Header("grpc-status"), Uri.UnescapeDataString(Header("grpc-message") ?? ""));
    }

    [Fact]
    public void A_per_client_limit_above_the_total_is_refused_at_start()
    {
        var config = TestCluster.Config("x", "unused", new Dictionary<string, string>
        {
            ["akkaraft.client-limits.max-requests-per-client"] = "10",
            ["akkaraft.client-limits.max-requests"] = "5",
        });
        var error = Assert.Throws<AkkaRaft.Configuration.ConfigException>(() => ClientLimitsSettings.FromConfig(config));
        Assert.Contains("akkaraft.client-limits.max-requests-per-client", error.Message);
    }

    private async Task HoldHttpAsync(string source, string path) => _held.Add(await LoopbackClients.HoldHttpRequestAsync(source, Http, path));

    private void HoldGrpc(string source, string method)
    {
        var (call, release, client) = LoopbackClients.HoldGrpcCall(source, Grpc, method);
        _held.Add(new Releaser(release, call, client));
    }

    private static async Task WaitForInFlightAsync(ClientLimits limits, long count)
    {
        try
        {
            await TestCluster.WaitForAsync(() => Task.FromResult(limits.InFlight == count), $"{count} requests in flight");
        }
        catch (TimeoutException timeout)
        {
            throw new TimeoutException($"{timeout.Message}; the node counts {limits.InFlight}", timeout);
        }
    }

    private static StringContent Json(string json) => new(json, Encoding.UTF8, "application/json");

    private static async Task<string> DetailAsync(HttpResponseMessage response)
    {
        using var problem = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        return problem.RootElement.GetProperty("detail").GetString()!;
    }

    /// <summary>Cancels a held gRPC call (the client resets its stream) when disposed.</summary>
    private sealed class Releaser(CancellationTokenSource release, Task call, HttpClient client) : IDisposable
    {
        public void Dispose()
        {
            release.Cancel();
            _ = call.ContinueWith(t => t.Exception, TaskScheduler.Default);
            client.Dispose();
            release.Dispose();
        }
    }
}
