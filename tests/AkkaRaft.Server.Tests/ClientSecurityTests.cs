using System.Net;
using System.Net.Http.Headers;
using System.Net.Security;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using System.Text.Json;
using AkkaRaft.Client.Grpc;
using AkkaRaft.Configuration;
using AkkaRaft.Grpc.V1;
using AkkaRaft.Server.Cli;
using AkkaRaft.Server.Grpc;
using AkkaRaft.Server.Node;
using AkkaRaft.Server.Security;
using AkkaRaft.TestSupport.Certificates;
using Google.Protobuf;
using Grpc.Core;
using Grpc.Net.Client;
using GrpcKv = AkkaRaft.Grpc.V1.Kv;

namespace AkkaRaft.Server.Tests;

/// <summary>
/// Certificates made at run time by a test CA, tokens drawn at run time: nothing of either is in git. The files go to
/// a temporary directory deleted at the end.
/// </summary>
public sealed class SecurityMaterial : IDisposable
{
    public SecurityMaterial()
    {
        Directory.CreateDirectory(Root);
        CaPem = Ca.WritePem(Path.Combine(Root, "ca.pem"));
        foreach (var (name, role) in new[] { ("reader", ClientRole.Read), ("writer", ClientRole.Write), ("admin", ClientRole.Admin) })
        {
            Tokens[role] = AccessTokens.NewToken();
            TokenLines.Add(AccessTokens.Line(name, role, Tokens[role]));
        }

        TokenFile = Path.Combine(Root, "tokens");
        File.WriteAllLines(TokenFile, ["# name role sha256", .. TokenLines]);
        NodeTokenFile = Path.Combine(Root, "node-token");
        File.WriteAllText(NodeTokenFile, Tokens[ClientRole.Admin] + "\n");
    }

    public string Root { get; } = TestCluster.TempDirectory("security");

    public TestCertificateAuthority Ca { get; } = new("AkkaRaft test client CA");

    public string CaPem { get; }

    public Dictionary<ClientRole, string> Tokens { get; } = [];

    public List<string> TokenLines { get; } = [];

    public string TokenFile { get; }

    public string NodeTokenFile { get; }

    /// <summary>A PKCS#12 node certificate (password "test") for <paramref name="name"/>.</summary>
    public string NodeCertificate(string name) => Ca.WriteNode(Path.Combine(Root, $"{name}-{Guid.NewGuid():N}.p12"), name);

    /// <summary>Settings of a node with TLS (this CA) and the three tokens.</summary>
    public Dictionary<string, string> NodeSettings(string name, string clientCertificate = "off") => new()
    {
        ["akkaraft.http.tls.certificate-path"] = TestCluster.Quote(NodeCertificate(name)),
        ["akkaraft.http.tls.certificate-password"] = TestCluster.Quote("test"),
        ["akkaraft.http.tls.ca-certificates-path"] = TestCluster.Quote(CaPem),
        ["akkaraft.http.tls.client-certificate"] = clientCertificate,
        ["akkaraft.http.auth.token-file"] = TestCluster.Quote(TokenFile),
        ["akkaraft.http.auth.node-token-path"] = TestCluster.Quote(NodeTokenFile),
    };

    /// <summary>An HTTPS client that trusts this CA only (the CLI's own trust), presenting <paramref name="clientCertificate"/> when given.</summary>
    public HttpClient Https(X509Certificate2? clientCertificate = null)
    {
        var handler = new ClusterCredentials(null, Ca.AsTrusted()).Handler();
        if (clientCertificate is not null) handler.SslOptions.ClientCertificates = new X509CertificateCollection { clientCertificate };
        return new HttpClient(handler) { Timeout = TimeSpan.FromSeconds(15) };
    }

    public void Dispose()
    {
        try
        {
            Directory.Delete(Root, recursive: true);
        }
        catch (IOException)
        {
        }
    }
}

/// <summary>One node with TLS and tokens on both client ports, shared by the tests of <see cref="ClientSecurityTests"/>.</summary>
public sealed class SecureNodeFixture : IAsyncLifetime
{
    private GrpcTestNode? _node;

    public SecurityMaterial Material { get; } = new();

    internal GrpcTestNode Node => _node!;

    public HttpClient Http { get; private set; } = null!;

    public async Task InitializeAsync()
    {
        var settings = Material.NodeSettings("localhost");
        _node = await GrpcTestNode.StartAsync("secure", Path.Combine(Material.Root, "secure"), settings);
        Http = Material.Https();
        Http.BaseAddress = new Uri($"https://{Node.Node.Address}");
        Http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", Material.Tokens[ClientRole.Read]);
        await TestCluster.WaitForAsync(async () =>
        {
            using var status = await Http.GetAsync("/status");
            using var document = JsonDocument.Parse(await status.Content.ReadAsStringAsync());
            return document.RootElement.GetProperty("role").GetString() == "leader";
        }, "the secure node to lead");
    }

    public async Task DisposeAsync()
    {
        Http.Dispose();
        if (_node is not null) await _node.DisposeAsync();
        Material.Dispose();
    }
}

/// <summary>TLS and bearer tokens with roles on the HTTP and gRPC APIs of a real Kestrel (issue #19, points 1 and 2).</summary>
public sealed class ClientSecurityTests(SecureNodeFixture fixture) : IClassFixture<SecureNodeFixture>
{
    private SecurityMaterial Material => fixture.Material;

    private async Task<HttpResponseMessage> SendAsync(HttpMethod method, string path, ClientRole? role, string? body = null, string? token = null)
    {
        using var request = new HttpRequestMessage(method, path);
        if (body is not null) request.Content = new StringContent(body, Encoding.UTF8, "application/json");
        var credential = token ?? (role is { } r ? Material.Tokens[r] : null);
        // The fixture's client sends the reader's token by default; each request here says its own.
        request.Headers.Authorization = credential is null ? null : new AuthenticationHeaderValue("Bearer", credential);
        using var client = Material.Https();
        client.BaseAddress = fixture.Http.BaseAddress;
        return await client.SendAsync(request);
    }

    private static async Task<JsonElement> ProblemAsync(HttpResponseMessage response)
    {
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        using var document = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        return document.RootElement.Clone();
    }

    [Fact]
    public async Task The_HTTP_API_should_answer_over_HTTPS_and_not_in_plain_HTTP()
    {
        using var status = await SendAsync(HttpMethod.Get, "/status", ClientRole.Read);
        Assert.Equal(HttpStatusCode.OK, status.StatusCode);
        using var document = JsonDocument.Parse(await status.Content.ReadAsStringAsync());
        Assert.Equal($"https://{fixture.Node.Node.Address}", document.RootElement.GetProperty("httpUrl").GetString());

        // A plain request on the TLS port is not served: Kestrel closes the connection.
        using var plain = new HttpClient { Timeout = TimeSpan.FromSeconds(5) };
        await Assert.ThrowsAsync<HttpRequestException>(() => plain.GetAsync($"http://{fixture.Node.Node.Address}/status"));
    }

    [Fact]
    public async Task A_request_without_a_token_or_with_a_wrong_one_should_get_401_with_a_bearer_challenge()
    {
        using var missing = await SendAsync(HttpMethod.Get, "/status", null);
        Assert.Equal(HttpStatusCode.Unauthorized, missing.StatusCode);
        Assert.Equal("Bearer", missing.Headers.WwwAuthenticate.Single().Scheme);
        Assert.Contains("bearer token", (await ProblemAsync(missing)).GetProperty("detail").GetString());

        using var wrong = await SendAsync(HttpMethod.Get, "/status", null, token: AccessTokens.NewToken());
        Assert.Equal(HttpStatusCode.Unauthorized, wrong.StatusCode);
        Assert.Contains("invalid_token", wrong.Headers.WwwAuthenticate.Single().Parameter);

        // A route that does not exist tells an anonymous caller nothing either.
        using var unknown = await SendAsync(HttpMethod.Get, "/no-such-route", null);
        Assert.Equal(HttpStatusCode.Unauthorized, unknown.StatusCode);

        // The web console's files hold no data: a browser loads them without a token, and the page then sends one.
        using var console = await SendAsync(HttpMethod.Get, "/ui/", null);
        Assert.Equal(HttpStatusCode.OK, console.StatusCode);
        Assert.Contains("token", await console.Content.ReadAsStringAsync());
        using var script = await SendAsync(HttpMethod.Get, "/ui/api.js", null);
        Assert.Equal(HttpStatusCode.OK, script.StatusCode);
    }

    [Fact]
    public async Task Each_role_should_reach_its_routes_and_get_403_naming_the_role_above()
    {
        var key = $"sec-{Guid.NewGuid():N}";
        using var readerWrites = await SendAsync(HttpMethod.Post, "/key", ClientRole.Read, $"{{\"{key}\":\"v\"}}");
        Assert.Equal(HttpStatusCode.Forbidden, readerWrites.StatusCode);
        var problem = await ProblemAsync(readerWrites);
        Assert.Equal("write", problem.GetProperty("requiredRole").GetString());
        Assert.Contains("needs role write", problem.GetProperty("detail").GetString());

        // Nothing was written by the refused request.
        using var absent = await SendAsync(HttpMethod.Get, $"/key/{key}", ClientRole.Read);
        Assert.Equal(HttpStatusCode.NotFound, absent.StatusCode);

        using var writerWrites = await SendAsync(HttpMethod.Post, "/key", ClientRole.Write, $"{{\"{key}\":\"v\"}}");
        Assert.Equal(HttpStatusCode.OK, writerWrites.StatusCode);
        using var readerReads = await SendAsync(HttpMethod.Get, $"/key/{key}", ClientRole.Read);
        Assert.Equal(HttpStatusCode.OK, readerReads.StatusCode);

        using var writerTransfers = await SendAsync(HttpMethod.Post, "/leader", ClientRole.Write, "{}");
        Assert.Equal(HttpStatusCode.Forbidden, writerTransfers.StatusCode);
        Assert.Equal("admin", (await ProblemAsync(writerTransfers)).GetProperty("requiredRole").GetString());
        using var writerRemoves = await SendAsync(HttpMethod.Delete, "/join/nobody", ClientRole.Write);
        Assert.Equal(HttpStatusCode.Forbidden, writerRemoves.StatusCode);

        // The admin passes the check (the single-member cluster then has nobody to hand leadership to: not a 401/403).
        using var adminTransfers = await SendAsync(HttpMethod.Post, "/leader", ClientRole.Admin, "{}");
        Assert.NotEqual(HttpStatusCode.Unauthorized, adminTransfers.StatusCode);
        Assert.NotEqual(HttpStatusCode.Forbidden, adminTransfers.StatusCode);
    }

    private GrpcChannel Channel(string? token)
    {
        var handler = new ClusterCredentials(null, Material.Ca.AsTrusted()).Handler();
        var options = new GrpcChannelOptions { HttpHandler = handler, DisposeHttpClient = true };
        if (token is not null)
        {
            options.Credentials = ChannelCredentials.Create(ChannelCredentials.SecureSsl, CallCredentials.FromInterceptor((_, metadata) =>
            {
                metadata.Add("authorization", "Bearer " + token);
                return Task.CompletedTask;
            }));
        }

        return GrpcChannel.ForAddress($"https://{fixture.Node.Grpc.Address}", options);
    }

    [Fact]
    public async Task The_gRPC_API_should_answer_over_TLS_with_UNAUTHENTICATED_and_PERMISSION_DENIED_at_each_role_edge()
    {
        var key = $"sec-grpc-{Guid.NewGuid():N}";
        using (var anonymous = Channel(null))
        {
            var e = await Assert.ThrowsAsync<RpcException>(() => new GrpcKv.KvClient(anonymous).GetAsync(new GetRequest { Key = ByteString.CopyFromUtf8(key) }).ResponseAsync);
            Assert.Equal(StatusCode.Unauthenticated, e.StatusCode);
        }

        using (var wrong = Channel(AccessTokens.NewToken()))
        {
            var e = await Assert.ThrowsAsync<RpcException>(() => new Cluster.ClusterClient(wrong).StatusAsync(new StatusRequest()).ResponseAsync);
            Assert.Equal(StatusCode.Unauthenticated, e.StatusCode);
        }

        using (var reader = Channel(Material.Tokens[ClientRole.Read]))
        {
            var e = await Assert.ThrowsAsync<RpcException>(() => new GrpcKv.KvClient(reader).PutAsync(new PutRequest { Key = ByteString.CopyFromUtf8(key), Value = ByteString.CopyFromUtf8("v") }).ResponseAsync);
            Assert.Equal(StatusCode.PermissionDenied, e.StatusCode);
            Assert.Contains("needs role write", e.Status.Detail);
            Assert.NotNull(await new Cluster.ClusterClient(reader).StatusAsync(new StatusRequest()));
        }

        using (var writer = Channel(Material.Tokens[ClientRole.Write]))
        {
            await new GrpcKv.KvClient(writer).PutAsync(new PutRequest { Key = ByteString.CopyFromUtf8(key), Value = ByteString.CopyFromUtf8("v") });
            var e = await Assert.ThrowsAsync<RpcException>(() => new Cluster.ClusterClient(writer).RemoveAsync(new RemoveRequest { Id = "nobody" }).ResponseAsync);
            Assert.Equal(StatusCode.PermissionDenied, e.StatusCode);
            Assert.Contains("needs role admin", e.Status.Detail);
        }
    }

    [Fact]
    public async Task The_client_library_should_send_its_token_and_trust_the_given_CA()
    {
        var key = $"sec-lib-{Guid.NewGuid():N}";
        var options = new AkkaRaftGrpcClientOptions
        {
            Endpoints = [fixture.Node.Grpc.Address.ToString()],
            UseTls = true,
            CaCertificates = Material.Ca.AsTrusted(),
            Token = Material.Tokens[ClientRole.Write],
            Deadline = TimeSpan.FromSeconds(10),
        };
        using var client = new AkkaRaftGrpcClient(options);
        var kv = new AkkaRaft.Client.Grpc.KvClient(client);
        await kv.PutAsync(key, "library");
        Assert.Equal("library", Encoding.UTF8.GetString((await kv.GetAsync(key)).Entry!.Value.Span));

        using var reader = new AkkaRaftGrpcClient(options with { Token = Material.Tokens[ClientRole.Read] });
        var e = await Assert.ThrowsAsync<RpcException>(() => new AkkaRaft.Client.Grpc.KvClient(reader).PutAsync(key, "no"));
        Assert.Equal(StatusCode.PermissionDenied, e.StatusCode);
    }

    [Fact]
    public void The_access_table_should_name_a_role_for_every_route_and_every_gRPC_method_and_nothing_else()
    {
        // Every route the running HTTP API maps, and every method of the .proto contract (a method added to a .proto
        // without a role fails here, and the node refuses to start with it).
        var routes = fixture.Node.Node.Http.RouteKeys().ToList();
        Assert.Empty(AccessTable.HttpRoutesWithoutRole(routes));
        Assert.Equal(AccessTable.HttpRoutes.Keys.Concat(AccessTable.PublicHttpRoutes).Order(), routes.Distinct().Order());

        var methods = new[] { KvReflection.Descriptor, ClusterReflection.Descriptor, SessionReflection.Descriptor, StatemachineReflection.Descriptor, TimeseriesReflection.Descriptor }
            .SelectMany(file => file.Services)
            .SelectMany(service => service.Methods.Select(m => $"/{service.FullName}/{m.Name}"))
            .ToList();
        Assert.Empty(AccessTable.GrpcMethodsWithoutRole(methods));
        Assert.Equal(AccessTable.GrpcMethods.Keys.Order(), methods.Order());
        Assert.Equal(methods.Order(), fixture.Node.Grpc.MethodNames().Order());
    }
}

/// <summary>Settings that make a node refuse to start, and client certificates.</summary>
public sealed class ClientTlsStartTests : IDisposable
{
    private readonly SecurityMaterial _material = new();

    private Config ConfigWith(Dictionary<string, string> settings) => TestCluster.Config("tls", Path.Combine(_material.Root, "tls"), settings);

    [Fact]
    public void Plain_HTTP_off_loopback_should_be_refused_naming_both_settings_unless_allowed()
    {
        var e = Assert.Throws<ConfigException>(() => ServerSettings.FromConfig(ConfigWith(new() { ["akkaraft.http.address"] = TestCluster.Quote("0.0.0.0:0") })));
        Assert.Contains("akkaraft.http.tls.certificate-path", e.Message);
        Assert.Contains("akkaraft.http.allow-plaintext = on", e.Message);

        var grpc = Assert.Throws<ConfigException>(() => ServerSettings.FromConfig(ConfigWith(new() { ["akkaraft.grpc.address"] = TestCluster.Quote("10.77.0.1:0") })));
        Assert.Contains("akkaraft.grpc.address", grpc.Message);

        Assert.NotNull(ServerSettings.FromConfig(ConfigWith(new() { ["akkaraft.http.address"] = TestCluster.Quote("0.0.0.0:0"), ["akkaraft.http.allow-plaintext"] = "on" })));
        Assert.NotNull(ServerSettings.FromConfig(ConfigWith(new() { ["akkaraft.http.address"] = TestCluster.Quote("0.0.0.0:0"), ["akkaraft.http.tls.certificate-path"] = TestCluster.Quote(_material.NodeCertificate("any")), ["akkaraft.http.tls.certificate-password"] = "test" })));
    }

    [Fact]
    public void A_token_file_with_the_token_itself_instead_of_its_hash_should_be_refused()
    {
        var file = Path.Combine(_material.Root, "bad-tokens");
        File.WriteAllText(file, $"ci write {AccessTokens.NewToken()}\n");
        var e = Assert.Throws<ConfigException>(() => ServerSettings.FromConfig(ConfigWith(new() { ["akkaraft.http.auth.token-file"] = TestCluster.Quote(file) })));
        Assert.Contains("64 hex digits", e.Message);
        // The refusal does not echo the secret it was given.
        Assert.DoesNotContain(File.ReadAllText(file).Split(' ')[2].Trim(), e.Message);
    }

    [Fact]
    public void Inline_token_lines_should_count_as_the_file_does_and_a_node_token_outside_the_table_should_be_refused()
    {
        var token = AccessTokens.NewToken();
        var settings = ServerSettings.FromConfig(ConfigWith(new() { ["akkaraft.http.auth.tokens"] = $"[{TestCluster.Quote(AccessTokens.Line("ops", ClientRole.Admin, token))}]" }));
        Assert.Equal(new TokenHolder("ops", ClientRole.Admin), settings.Security.Tokens.Find(token));
        Assert.Equal(AuthenticationOutcome.Authenticated, settings.Security.Tokens.Authenticate("Bearer " + token, out _));
        Assert.Equal(AuthenticationOutcome.Unknown, settings.Security.Tokens.Authenticate("Basic " + token, out _));

        var stranger = Path.Combine(_material.Root, "stranger-token");
        File.WriteAllText(stranger, AccessTokens.NewToken());
        var e = Assert.Throws<ConfigException>(() => ServerSettings.FromConfig(ConfigWith(new()
        {
            ["akkaraft.http.auth.token-file"] = TestCluster.Quote(_material.TokenFile),
            ["akkaraft.http.auth.node-token-path"] = TestCluster.Quote(stranger),
        })));
        Assert.Contains("none of this node's tokens", e.Message);
    }

    [Fact]
    public async Task A_client_without_a_certificate_should_be_refused_when_client_certificates_are_required()
    {
        var settings = _material.NodeSettings("localhost", clientCertificate: "required");
        await using var node = await GrpcTestNode.StartAsync("mtls", Path.Combine(_material.Root, "mtls"), settings);
        var url = $"https://{node.Node.Address}/status";

        using var without = _material.Https();
        await Assert.ThrowsAsync<HttpRequestException>(() => without.GetAsync(url));

        using var stranger = _material.Https(TestCertificateAuthority.SelfSigned("stranger"));
        await Assert.ThrowsAsync<HttpRequestException>(() => stranger.GetAsync(url));

        using var member = _material.Https(_material.Ca.IssueNode("client"));
        member.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", _material.Tokens[ClientRole.Read]);
        using var answer = await member.GetAsync(url);
        Assert.Equal(HttpStatusCode.OK, answer.StatusCode);
    }

    public void Dispose() => _material.Dispose();
}
