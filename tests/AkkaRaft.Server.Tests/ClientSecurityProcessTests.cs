using System.CommandLine;
using System.Diagnostics;
using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using AkkaRaft.Grpc.V1;
using AkkaRaft.Server.Cli;
using AkkaRaft.Server.Grpc;
using AkkaRaft.Server.Security;
using Grpc.Core;
using Grpc.Net.Client;

namespace AkkaRaft.Server.Tests;

/// <summary>
/// Real <c>akkaraft serve</c> processes with TLS and tokens on their client ports: the CLI against them, a three-node
/// cluster whose members call each other over https with tokens, and a node that refuses plain HTTP off loopback.
/// </summary>
public sealed class ClientSecurityProcessTests() : ProcessNodesTest("security-processes")
{
    private readonly SecurityMaterial _material = new();
    private readonly List<HttpClient> _clients = [];

    protected override void DisposeClients()
    {
        foreach (var client in _clients) client.Dispose();
        _material.Dispose();
    }

    /// <summary>The --set overrides of a node with TLS (its own certificate) and the shared token table.</summary>
    private IReadOnlyList<string> SecureSettings(string id) =>
        _material.NodeSettings("localhost").Select(kv => $"{kv.Key}={kv.Value}").ToList();

    private HttpClient Client(ClientRole role)
    {
        var client = _material.Https();
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", _material.Tokens[role]);
        _clients.Add(client);
        return client;
    }

    private static async Task<JsonElement> StatusAsync(HttpClient client, ServerProcess node)
    {
        using var document = JsonDocument.Parse(await client.GetStringAsync($"https://{node.Http}/status"));
        return document.RootElement.Clone();
    }

    private void AssertNoTokenInLogs()
    {
        foreach (var node in Nodes)
        {
            foreach (var token in _material.Tokens.Values) Assert.DoesNotContain(token, node.Log);
        }
    }

    private (int Exit, string Out, string Err) Cli(IReadOnlyDictionary<string, string?> environment, params string[] args)
    {
        var output = new StringWriter();
        var error = new StringWriter();
        var exit = AkkaRaftCommandLine.Run(args, new CliEnvironment(new Dictionary<string, string?>(environment)), new InvocationConfiguration { Output = output, Error = error });
        return (exit, output.ToString(), error.ToString());
    }

    [Fact]
    public async Task The_CLI_should_reach_a_secure_node_with_token_or_AKKARAFT_TOKEN_and_the_node_should_never_log_a_token()
    {
        var node = new ServerProcess("s1", $"127.0.0.1:{TestCluster.FreePort()}", $"127.0.0.1:{TestCluster.FreePort()}", Path.Combine(Root, "s1"));
        Nodes.Add(node);
        node.Start(settings: SecureSettings("s1"));
        var reader = Client(ClientRole.Read);
        await WaitForAsync(async () => (await StatusAsync(reader, node)).GetProperty("role").GetString() == "leader", "s1 to lead");

        string[] Endpoint(params string[] args) => [.. args, "--endpoints", node.Http, "--cacert", _material.CaPem];
        var none = new Dictionary<string, string?>();
        var put = Cli(none, Endpoint("kv", "put", "secure/k", "v", "--token", _material.Tokens[ClientRole.Write]));
        Assert.True(put.Exit == 0, put.Err);

        var anonymous = Cli(none, Endpoint("kv", "get", "secure/k"));
        Assert.Equal(1, anonymous.Exit);
        Assert.Contains("401", anonymous.Err);

        var asReader = new Dictionary<string, string?> { [ApiClient.TokenVariable] = _material.Tokens[ClientRole.Read] };
        Assert.Equal("v", Cli(asReader, Endpoint("kv", "get", "secure/k")).Out.Trim());
        var readerPuts = Cli(asReader, Endpoint("kv", "put", "secure/k", "w"));
        Assert.Equal(1, readerPuts.Exit);
        Assert.Contains("403", readerPuts.Err);
        Assert.Contains("needs role write", readerPuts.Err);

        // The CLI as its own process, its token in its environment only.
        var start = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var arg in Endpoint(Path.Combine(AppContext.BaseDirectory, "akkaraft.dll"), "kv", "get", "secure/k")) start.ArgumentList.Add(arg);
        start.Environment[ApiClient.TokenVariable] = _material.Tokens[ClientRole.Read];
        using (var cli = Process.Start(start)!)
        {
            var text = await cli.StandardOutput.ReadToEndAsync();
            var errors = await cli.StandardError.ReadToEndAsync();
            await cli.WaitForExitAsync();
            Assert.True(cli.ExitCode == 0, errors);
            Assert.Equal("v", text.Trim());
        }

        // token new: a token, then the line that goes into the token file (its hash, not the token).
        var made = Cli(none, "token", "new", "--name", "ci", "--role", "write");
        var lines = made.Out.Trim().Split('\n');
        Assert.Equal(AccessTokens.Line("ci", ClientRole.Write, lines[0].Trim()), lines[1].Trim());
        Assert.DoesNotContain(lines[0].Trim(), lines[1]);

        // token hash: the line of a token read from standard input, never from the command line.
        var hash = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardInput = true, UseShellExecute = false };
        foreach (var arg in new[] { Path.Combine(AppContext.BaseDirectory, "akkaraft.dll"), "token", "hash", "--name", "ops", "--role", "admin" }) hash.ArgumentList.Add(arg);
        using (var hashing = Process.Start(hash)!)
        {
            await hashing.StandardInput.WriteLineAsync(_material.Tokens[ClientRole.Admin]);
            hashing.StandardInput.Close();
            var line = await hashing.StandardOutput.ReadToEndAsync();
            await hashing.WaitForExitAsync();
            Assert.Equal(AccessTokens.Line("ops", ClientRole.Admin, _material.Tokens[ClientRole.Admin]), line.Trim());
        }

        AssertNoTokenInLogs();
    }

    [Fact]
    public async Task A_node_off_loopback_without_TLS_should_refuse_to_start_naming_both_settings()
    {
        var start = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var arg in new[] { Path.Combine(AppContext.BaseDirectory, "akkaraft.dll"), "serve", "-id", "open", "-haddr", $"0.0.0.0:{TestCluster.FreePort()}", "-raddr", $"127.0.0.1:{TestCluster.FreePort()}", Path.Combine(Root, "open") })
        {
            start.ArgumentList.Add(arg);
        }

        using var process = Process.Start(start)!;
        var errors = await process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync();
        Assert.Equal(AkkaRaftCommandLine.ExitBadInput, process.ExitCode);
        Assert.Contains("akkaraft.http.tls.certificate-path", errors);
        Assert.Contains("akkaraft.http.allow-plaintext = on", errors);
    }

    [Fact]
    public async Task A_cluster_with_TLS_and_tokens_should_forward_a_write_join_a_node_through_a_follower_and_report_progress()
    {
        var rafts = new[] { TestCluster.FreePort(), TestCluster.FreePort() };
        var peers = $"p1=127.0.0.1:{rafts[0]},p2=127.0.0.1:{rafts[1]}";
        for (var i = 0; i < 2; i++)
        {
            var node = new ServerProcess($"p{i + 1}", $"127.0.0.1:{TestCluster.FreePort()}", $"127.0.0.1:{rafts[i]}", Path.Combine(Root, $"p{i + 1}"), peers);
            Nodes.Add(node);
            node.Start(settings: SecureSettings(node.Id));
        }

        var reader = Client(ClientRole.Read);
        ServerProcess? leader = null;
        await WaitForAsync(async () =>
        {
            var id = (await StatusAsync(reader, Nodes[0])).GetProperty("leader").GetString();
            leader = Nodes.FirstOrDefault(n => n.Id == id);
            return leader is not null && (await StatusAsync(reader, Nodes[1])).GetProperty("leader").GetString() == id;
        }, "p1 and p2 to agree on a leader");
        var follower = Nodes.First(n => n != leader);

        // p3 joins through the follower: the follower relays POST /join to the leader over https with p3's node token.
        var joiner = new ServerProcess("p3", $"127.0.0.1:{TestCluster.FreePort()}", $"127.0.0.1:{TestCluster.FreePort()}", Path.Combine(Root, "p3"));
        Nodes.Add(joiner);
        joiner.Start(join: follower.Http, settings: SecureSettings("p3"));
        await WaitForAsync(async () =>
            (await StatusAsync(reader, leader!)).GetProperty("members").EnumerateArray().Any(m => m.GetProperty("id").GetString() == "p3" && m.GetProperty("role").GetString() == "follower"),
            "p3 to join as a voter");
        await WaitForAsync(() => Task.FromResult(joiner.Log.Contains("joined the cluster through", StringComparison.Ordinal)), "p3 to say it joined");

        // Who leads now (the membership change may have moved leadership), as every member sees it.
        await WaitForAsync(async () =>
        {
            var id = (await StatusAsync(reader, joiner)).GetProperty("leader").GetString();
            leader = Nodes.FirstOrDefault(n => n.Id == id);
            foreach (var node in Nodes)
            {
                if ((await StatusAsync(reader, node)).GetProperty("leader").GetString() != id) return false;
            }

            return leader is not null;
        }, "the three members to agree on a leader");
        follower = Nodes.First(n => n != leader);

        // A write sent to the follower with ?forward=true commits; without it, the follower redirects to the leader's https address.
        var writer = Client(ClientRole.Write);
        using (var forwarded = await writer.PostAsync($"https://{follower.Http}/key?forward=true", new StringContent("{\"secure/fwd\":\"ok\"}", Encoding.UTF8, "application/json")))
        {
            Assert.Equal(HttpStatusCode.OK, forwarded.StatusCode);
        }

        var handler = new ClusterCredentials(null, _material.Ca.AsTrusted()).Handler();
        handler.AllowAutoRedirect = false;
        using (var noRedirects = new HttpClient(handler))
        {
            noRedirects.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", _material.Tokens[ClientRole.Write]);
            using var redirect = await noRedirects.PostAsync($"https://{follower.Http}/key", new StringContent("{\"secure/r\":\"x\"}", Encoding.UTF8, "application/json"));
            Assert.Equal(HttpStatusCode.TemporaryRedirect, redirect.StatusCode);
            Assert.Equal($"https://{leader!.Http}/key", redirect.Headers.Location?.ToString());
        }

        using (var read = await reader.GetAsync($"https://{leader.Http}/key/secure/fwd?level=consistent"))
        {
            Assert.Equal(HttpStatusCode.OK, read.StatusCode);
        }

        // The follower learns the members' match indexes from the leader's /status, asked over https with its node token.
        await WaitForAsync(async () =>
        {
            var status = await StatusAsync(reader, follower);
            return status.GetProperty("progressFrom").ValueKind == JsonValueKind.String
                   && status.GetProperty("members").EnumerateArray().All(m => m.GetProperty("matchIndex").ValueKind == JsonValueKind.Number)
                   && status.GetProperty("members").EnumerateArray().All(m => m.GetProperty("httpUrl").GetString()!.StartsWith("https://", StringComparison.Ordinal));
        }, "the follower's /status to show the leader's progress");

        // A gRPC call only the leader serves, sent to the follower with forward: true, is passed on over TLS with the
        // caller's token: the leader's own answer comes back, neither UNAUTHENTICATED nor "could not be reached".
        var followerGrpc = (await StatusAsync(reader, follower)).GetProperty("grpcAddress").GetString();
        using (var channel = GrpcChannel.ForAddress($"https://{followerGrpc}", new GrpcChannelOptions { HttpHandler = new ClusterCredentials(null, _material.Ca.AsTrusted()).Handler(), DisposeHttpClient = true }))
        {
            var cluster = new Cluster.ClusterClient(channel);
            Metadata Headers(ClientRole role) => new() { { RaftCalls.ForwardHeader, "true" }, { "authorization", "Bearer " + _material.Tokens[role] } };
            var (code, detail) = (StatusCode.OK, "");
            try
            {
                await cluster.RemoveAsync(new RemoveRequest { Id = "nobody" }, Headers(ClientRole.Admin));
            }
            catch (RpcException e)
            {
                (code, detail) = (e.StatusCode, e.Status.Detail);
            }

            Assert.True(code is not (StatusCode.Unauthenticated or StatusCode.PermissionDenied or StatusCode.Unavailable), $"{code}: {detail}");
            var denied = await Assert.ThrowsAsync<RpcException>(() => cluster.RemoveAsync(new RemoveRequest { Id = "nobody" }, Headers(ClientRole.Write)).ResponseAsync);
            Assert.Equal(StatusCode.PermissionDenied, denied.StatusCode);
        }

        AssertNoTokenInLogs();
    }
}
