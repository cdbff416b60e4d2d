using System.Diagnostics;
using System.Net;
using System.Net.Http.Json;
using System.Net.Sockets;
using System.Text.Json;
using AkkaRaft.Configuration;
using AkkaRaft.Server.Http;
using AkkaRaft.Server.Node;

namespace AkkaRaft.Server.Tests;

/// <summary>Helpers shared by the server tests: configurations on free ports, in-process nodes, waiting for a leader.</summary>
internal static class TestCluster
{
    /// <summary>How long a test waits for a condition of the cluster (elections, replication) before it fails.</summary>
    public static readonly TimeSpan Patience = TimeSpan.FromSeconds(20);

    /// <summary>
    /// Where <see cref="FreePort"/> looks: below the kernel's ephemeral range (<c>ip_local_port_range</c>, 32768 and up
    /// by default), which every outgoing connection on the machine draws its local port from. A port the OS hands out
    /// for port 0 is in that range, so between being released here and bound by a node it could become some other
    /// connection's local port: CI saw "Failed to bind to [127.0.0.1:44619]" that way, with the fault harness and
    /// three test assemblies making connections beside it. Nothing takes a port below it unless asked to; the tests'
    /// fixed ports (9200-9499) are below this range.
    /// </summary>
    private const int FirstTestPort = 20000, LastTestPort = 32767;

    private static readonly HashSet<int> HandedOut = [];

    /// <summary>
    /// A port nobody listens on now (bound and released), outside the ephemeral range, and never the same twice in
    /// this process: for static clusters, whose peers must know each other's ports before any node binds.
    /// </summary>
    public static int FreePort()
    {
        lock (HandedOut)
        {
            for (var attempt = 0; attempt < 100; attempt++)
            {
                var port = FreePortIn(FirstTestPort, LastTestPort);
                if (HandedOut.Add(port)) return port;
            }
        }

        throw new InvalidOperationException($"no port from {FirstTestPort} to {LastTestPort} that this process has not handed out already");
    }

    /// <summary>
    /// A port in [<paramref name="first"/>, <paramref name="last"/>] that nothing listens on now, probed from a random
    /// start: for tests that must keep to a range agreed for a shared machine.
    /// </summary>
    public static int FreePortIn(int first, int last)
    {
        var count = last - first + 1;
        var start = Random.Shared.Next(count);
        for (var i = 0; i < count; i++)
        {
            var port = first + ((start + i) % count);
            try
            {
                using var listener = new TcpListener(IPAddress.Loopback, port);
                listener.Start();
                return port;
            }
            catch (SocketException)
            {
                // Taken: the next one.
            }
        }

        throw new InvalidOperationException($"no free port from {first} to {last}");
    }

    /// <summary>A fresh temporary directory.</summary>
    public static string TempDirectory(string name)
    {
        var path = Path.Combine(Path.GetTempPath(), $"akkaraft-{name}-{Guid.NewGuid():N}");
        Directory.CreateDirectory(path);
        return path;
    }

    /// <summary>A node configuration: ports chosen by the OS, short timings, the given extra overrides.</summary>
    public static Config Config(string id, string dataDir, IReadOnlyDictionary<string, string>? extra = null)
    {
        var overrides = new Dictionary<string, string>
        {
            ["akkaraft.node.id"] = Quote(id),
            ["akkaraft.node.data-dir"] = Quote(dataDir),
            ["akkaraft.node.raft-address"] = Quote("127.0.0.1:0"),
            ["akkaraft.http.address"] = Quote("127.0.0.1:0"),
            ["akkaraft.node.directory-refresh-interval"] = "200ms",
            ["akkaraft.node.join-retry-interval"] = "200ms",
            ["akkaraft.raft.election-timeout"] = "300ms",
            ["akkaraft.raft.heartbeat-interval"] = "30ms",
        };
        foreach (var (key, value) in extra ?? new Dictionary<string, string>()) overrides[key] = value;
        return AkkaRaftConfig.Load(null, new Dictionary<string, string?>(), overrides);
    }

    /// <summary>A HOCON string literal.</summary>
    public static string Quote(string text) => JsonSerializer.Serialize(text);

    /// <summary>Polls <paramref name="condition"/> until it holds; fails with <paramref name="what"/> after <see cref="Patience"/>.</summary>
    public static async Task WaitForAsync(Func<Task<bool>> condition, string what, TimeSpan? patience = null)
    {
        var limit = patience ?? Patience;
        var watch = Stopwatch.StartNew();
        while (watch.Elapsed < limit)
        {
            try
            {
                if (await condition()) return;
            }
            catch (HttpRequestException)
            {
                // Not listening yet.
            }
            catch (TaskCanceledException)
            {
            }

            await Task.Delay(50);
        }

        throw new TimeoutException($"gave up after {limit.TotalSeconds}s waiting for {what}");
    }

    /// <summary>The /status of the node at <paramref name="http"/>.</summary>
    public static async Task<JsonElement> StatusAsync(HttpClient client, string http)
    {
        var text = await client.GetStringAsync($"http://{http}/status");
        using var document = JsonDocument.Parse(text);
        return document.RootElement.Clone();
    }

    /// <summary>Waits until the node at <paramref name="http"/> knows a leader whose HTTP address it knows; returns the leader's id.</summary>
    public static async Task<string> WaitForLeaderAsync(HttpClient client, string http, int members = 1, TimeSpan? patience = null)
    {
        string? leader = null;
        await WaitForAsync(async () =>
        {
            var status = await StatusAsync(client, http);
            var known = status.GetProperty("members").EnumerateArray().ToList();
            if (status.GetProperty("leader").ValueKind != JsonValueKind.String || known.Count != members) return false;
            leader = status.GetProperty("leader").GetString();
            return known.All(m => m.GetProperty("httpAddress").ValueKind == JsonValueKind.String);
        }, $"a leader known to {http}", patience);
        return leader!;
    }
}

/// <summary>A node and its HTTP API in this process.</summary>
internal sealed class InProcessNode : IAsyncDisposable
{
    private InProcessNode(AkkaRaftNode node, HttpFrontEnd http, string dataDir)
    {
        Node = node;
        Http = http;
        DataDir = dataDir;
    }

    public AkkaRaftNode Node { get; }

    public HttpFrontEnd Http { get; }

    public string DataDir { get; }

    /// <summary>host:port of the HTTP API.</summary>
    public string Address => Http.Address.ToString();

    public static async Task<InProcessNode> StartAsync(string id, string dataDir, IReadOnlyDictionary<string, string>? extra = null)
    {
        var node = await AkkaRaftNode.StartAsync(TestCluster.Config(id, dataDir, extra));
        var http = await HttpFrontEnd.StartAsync(node);
        return new InProcessNode(node, http, dataDir);
    }

    public async ValueTask DisposeAsync()
    {
        await Http.DisposeAsync();
        await Node.DisposeAsync();
    }
}

/// <summary>One single-node cluster shared by the tests of a class, started with <paramref name="settings"/>.</summary>
public abstract class NodeFixture(string id, IReadOnlyDictionary<string, string> settings) : IAsyncLifetime
{
    private InProcessNode? _node;

    internal InProcessNode Node => _node!;

    /// <summary>A client whose base address is the node's HTTP API (redirects not followed).</summary>
    public HttpClient Client { get; } = new(new HttpClientHandler { AllowAutoRedirect = false });

    public async Task InitializeAsync()
    {
        _node = await InProcessNode.StartAsync(id, TestCluster.TempDirectory(id), settings);
        Client.BaseAddress = new Uri($"http://{_node.Address}");
        await TestCluster.WaitForLeaderAsync(Client, _node.Address);
        // The node writes its own member record into the log once it leads; the tests start once it has, so that a test
        // comparing the log's last index before and after a request does not see that write land in between (CI22).
        await TestCluster.WaitForAsync(async () =>
        {
            using var record = await Client.GetAsync($"/key/{MemberDirectory.KeyOf(id)}?level=stale");
            return record.IsSuccessStatusCode;
        }, $"{id}'s own member record in the log");
    }

    public async Task DisposeAsync()
    {
        Client.Dispose();
        if (_node is not null)
        {
            await _node.DisposeAsync();
            Directory.Delete(_node.DataDir, recursive: true);
        }
    }
}

/// <summary>A node with small key/value limits, for the tests of those limits.</summary>
public sealed class SingleNodeFixture() : NodeFixture("solo", new Dictionary<string, string>
{
    ["akkaraft.kv.max-value-bytes"] = "64",
    ["akkaraft.http.max-body-bytes"] = "4096",
    ["akkaraft.kv.max-batch-keys"] = "3",
});
