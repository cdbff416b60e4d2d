using System.Diagnostics;
using System.Globalization;
using System.Text;
using System.Text.Json;

namespace AkkaRaft.Server.Tests;

/// <summary>
/// Real <c>akkaraft</c> processes founding a static cluster (<c>-peers</c>) on loopback ports, with short Raft and
/// Akka.Cluster timings so that elections, cluster formation and failure detection take a fraction of a second.
/// </summary>
internal sealed class ServerProcessCluster : IAsyncDisposable
{
    /// <summary>Akka.Cluster timings for tests: gossip and leader actions five times as often as by default, and a
    /// member marked unreachable after about a second without heartbeats (reference.conf: 3s).</summary>
    public static readonly IReadOnlyList<string> FastClusterSettings =
    [
        "akka.cluster.gossip-interval=200ms", "akka.cluster.leader-actions-interval=200ms", "akka.cluster.periodic-tasks-initial-delay=200ms",
        "akka.cluster.unreachable-nodes-reaper-interval=200ms", "akka.cluster.seed-node-timeout=2s",
        "akka.cluster.failure-detector.heartbeat-interval=200ms", "akka.cluster.failure-detector.acceptable-heartbeat-pause=1s",
        "akka.cluster.failure-detector.expected-response-after=200ms",
    ];

    /// <summary>
    /// How long a test waits for the processes (start, elections, cluster formation, failure detection): longer than
    /// in-process tests, since three fresh .NET processes start at once on a shared machine.
    /// </summary>
    public static readonly TimeSpan Patience = TimeSpan.FromSeconds(90);

    private readonly string _root;

    private ServerProcessCluster(string root, IReadOnlyList<ServerProcess> nodes)
    {
        _root = root;
        Nodes = nodes;
    }

    /// <summary>The nodes, in the order of the peers list.</summary>
    public IReadOnlyList<ServerProcess> Nodes { get; }

    /// <summary>
    /// Starts <paramref name="count"/> nodes (<c>p1</c>, <c>p2</c>, ...) founding one cluster and waits until it is
    /// formed (<see cref="WaitUntilFormedAsync"/>); kills them when it is not. <paramref name="settings"/> are more
    /// <c>--set key=value</c> overrides for every node.
    /// </summary>
    public static async Task<ServerProcessCluster> StartFormedAsync(int count, HttpClient client, IReadOnlyList<string>? settings = null)
    {
        var cluster = Start(count, settings);
        try
        {
            await cluster.WaitUntilFormedAsync(client);
            return cluster;
        }
        catch
        {
            await cluster.DisposeAsync();
            throw;
        }
    }

    /// <summary>Polls <paramref name="condition"/> until it holds; fails with <paramref name="what"/> and the nodes' logs after <see cref="Patience"/>.</summary>
    public async Task WaitForAsync(Func<Task<bool>> condition, string what)
    {
        var watch = Stopwatch.StartNew();
        while (watch.Elapsed < Patience)
        {
            try
            {
                if (await condition()) return;
            }
            catch (Exception e) when (e is HttpRequestException or TaskCanceledException)
            {
                // Not listening yet, or paused.
            }

            await Task.Delay(100);
        }

        throw new TimeoutException($"gave up after {Patience.TotalSeconds}s waiting for {what}\n{Logs()}");
    }

    private static ServerProcessCluster Start(int count, IReadOnlyList<string>? settings)
    {
        var ids = Enumerable.Range(1, count).Select(i => $"p{i}").ToList();
        var rafts = ids.Select(_ => $"127.0.0.1:{TestCluster.FreePort()}").ToList();
        var peers = string.Join(",", ids.Select((id, i) => $"{id}={rafts[i]}"));
        var root = TestCluster.TempDirectory("processes");
        var nodes = ids.Select((id, i) => new ServerProcess(id, $"127.0.0.1:{TestCluster.FreePort()}", rafts[i], Path.Combine(root, id), peers)).ToList();
        var cluster = new ServerProcessCluster(root, nodes);
        foreach (var node in nodes) node.Start(settings: settings);
        return cluster;
    }

    /// <summary>Everything the nodes printed, for a failure message.</summary>
    public string Logs() => string.Join("\n", Nodes.Select(n => $"--- {n.Id}\n{n.Log}"));

    /// <summary>Waits until every node knows a leader and every node's Akka cluster has every node up and reachable.</summary>
    public async Task WaitUntilFormedAsync(HttpClient client)
    {
        foreach (var node in Nodes)
        {
            await WaitForAsync(async () =>
            {
                var status = await TestCluster.StatusAsync(client, node.Http);
                var cluster = status.GetProperty("cluster").EnumerateArray().ToList();
                return status.GetProperty("leader").ValueKind == JsonValueKind.String
                       && cluster.Count == Nodes.Count
                       && cluster.All(m => m.GetProperty("status").GetString() == "up" && m.GetProperty("reachable").GetBoolean())
                       && status.GetProperty("members").EnumerateArray().All(m => m.GetProperty("httpAddress").ValueKind == JsonValueKind.String);
            }, $"{node.Id} to know a leader and see every node up in the Akka cluster");
        }
    }

    /// <summary>The node that leads, as <paramref name="asked"/> knows it (waiting out an election in progress).</summary>
    public async Task<ServerProcess> LeaderAsync(HttpClient client, ServerProcess asked)
    {
        ServerProcess? leader = null;
        await WaitForAsync(async () =>
        {
            var id = (await TestCluster.StatusAsync(client, asked.Http)).GetProperty("leader").GetString();
            leader = Nodes.FirstOrDefault(n => n.Id == id);
            return leader is not null;
        }, $"{asked.Id} to know a leader");
        return leader!;
    }

    public async ValueTask DisposeAsync()
    {
        foreach (var node in Nodes) await node.KillAsync();
        try
        {
            Directory.Delete(_root, recursive: true);
        }
        catch (IOException)
        {
            // A killed process may still hold a file for a moment; the temporary directory is left behind.
        }
    }
}

/// <summary>
/// One <c>akkaraft serve</c> process: a member of a static cluster when <paramref name="peers"/> is given, otherwise
/// a founder, or a node that joins through the member <see cref="Start"/> names.
/// </summary>
internal sealed class ServerProcess(string id, string http, string raft, string dataDir, string? peers = null)
{
    private readonly StringBuilder _log = new();
    private Process? _process;

    public string Id => id;

    /// <summary>host:port of the HTTP API.</summary>
    public string Http => http;

    /// <summary>host:port of the actor system (Akka.Remote, Akka.Cluster).</summary>
    public string Raft => raft;

    public string DataDir => dataDir;

    /// <summary>The process id; throws when it is not running.</summary>
    public int Pid => _process?.Id ?? throw new InvalidOperationException($"{id} is not running");

    /// <summary>Whether the process started by <see cref="Start"/> is still the one running.</summary>
    public bool IsRunning => _process is { HasExited: false };

    public string Log
    {
        get
        {
            lock (_log) return _log.ToString();
        }
    }

    /// <summary>
    /// Starts the process; with <paramref name="join"/>, it joins through that member's HTTP address;
    /// <paramref name="settings"/> are more <c>--set key=value</c> overrides.
    /// </summary>
    public void Start(string? join = null, IReadOnlyList<string>? settings = null)
    {
        var start = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        start.ArgumentList.Add(Path.Combine(AppContext.BaseDirectory, "akkaraft.dll"));
        foreach (var arg in new[] { "serve", "-id", id, "-haddr", http, "-raddr", raft })
        {
            start.ArgumentList.Add(arg);
        }

        foreach (var (option, value) in new[] { ("-peers", peers), ("-join", join) })
        {
            if (value is null) continue;
            start.ArgumentList.Add(option);
            start.ArgumentList.Add(value);
        }

        foreach (var set in new[]
                 {
                     "akkaraft.raft.election-timeout=300ms", "akkaraft.raft.heartbeat-interval=30ms", "akkaraft.node.directory-refresh-interval=200ms",
                     "akkaraft.node.join-retry-interval=200ms",
                 }.Concat(ServerProcessCluster.FastClusterSettings).Concat(settings ?? []))
        {
            start.ArgumentList.Add("--set");
            start.ArgumentList.Add(set);
        }

        start.ArgumentList.Add(dataDir);
        _process = Process.Start(start)!;
        _process.OutputDataReceived += (_, e) => Append(e.Data);
        _process.ErrorDataReceived += (_, e) => Append(e.Data);
        _process.BeginOutputReadLine();
        _process.BeginErrorReadLine();
    }

    private void Append(string? line)
    {
        if (line is null) return;
        lock (_log) _log.AppendLine(line);
    }

    /// <summary>SIGSTOP: the process stops running (no heartbeats, no answers) but keeps its state and sockets.</summary>
    public Task PauseAsync() => SignalAsync("-STOP");

    /// <summary>SIGCONT: a paused process runs again where it stopped.</summary>
    public Task ResumeAsync() => SignalAsync("-CONT");

    private async Task SignalAsync(string signal)
    {
        using var kill = Process.Start("kill", [signal, Pid.ToString(CultureInfo.InvariantCulture)]);
        await kill.WaitForExitAsync();
        Assert.Equal(0, kill.ExitCode);
    }

    /// <summary>SIGKILL (after SIGCONT, in case it is paused).</summary>
    public async Task KillAsync()
    {
        if (_process is null) return;
        if (!_process.HasExited)
        {
            await ResumeAsync();
            _process.Kill(entireProcessTree: true);
            await _process.WaitForExitAsync();
        }

        _process.Dispose();
        _process = null;
    }

    /// <summary>SIGTERM (a graceful stop), then the exit code.</summary>
    public async Task<int> TerminateAsync()
    {
        await SignalAsync("-TERM");
        var process = _process!;
        using var timeout = new CancellationTokenSource(TestCluster.Patience);
        await process.WaitForExitAsync(timeout.Token);
        var code = process.ExitCode;
        process.Dispose();
        _process = null;
        return code;
    }
}

/// <summary>
/// One three-node process cluster shared, one test after another, by the tests of the "server processes"
/// collection: starting three .NET processes and forming the cluster is most of such a test's time. Each test
/// leaves it formed (every node up, reachable and in the Raft group) for the next.
/// </summary>
public sealed class ServerProcessFixture : IAsyncLifetime
{
    private ServerProcessCluster? _cluster;

    /// <summary>A client for the nodes' HTTP APIs, following redirects.</summary>
    public HttpClient Http { get; } = new(new HttpClientHandler { AllowAutoRedirect = true }) { Timeout = TimeSpan.FromSeconds(15) };

    /// <summary>How long the cluster took to form.</summary>
    public TimeSpan FormedAfter { get; private set; }

    internal ServerProcessCluster Cluster => _cluster!;

    public async Task InitializeAsync()
    {
        var watch = Stopwatch.StartNew();
        _cluster = await ServerProcessCluster.StartFormedAsync(3, Http);
        FormedAfter = watch.Elapsed;
    }

    public async Task DisposeAsync()
    {
        if (_cluster is not null) await _cluster.DisposeAsync();
        Http.Dispose();
    }
}

/// <summary>
/// The tests that share <see cref="ServerProcessFixture"/>; they run one after another, and not beside other test
/// classes: three processes starting and a SIGSTOP timed against failure detection want the machine to themselves,
/// and the other classes' 300ms election timeouts do not want three busy processes beside them either.
/// </summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class ServerProcessCollection : ICollectionFixture<ServerProcessFixture>
{
    /// <summary>The collection's name.</summary>
    public const string Name = "server processes";
}


/// <summary>
/// A test class that starts <c>akkaraft</c> processes of its own (<see cref="Nodes"/>, data under <see cref="Root"/>):
/// after each test they are killed, the class's HTTP clients disposed (<see cref="DisposeClients"/>) and the
/// directory deleted.
/// </summary>
public abstract class ProcessNodesTest(string name) : IAsyncLifetime
{
    /// <summary>The processes the test started; each is killed after the test.</summary>
    internal List<ServerProcess> Nodes { get; } = [];

    /// <summary>The temporary directory under which the nodes keep their data.</summary>
    protected string Root { get; } = TestCluster.TempDirectory(name);

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync()
    {
        foreach (var node in Nodes) await node.KillAsync();
        DisposeClients();
        try
        {
            Directory.Delete(Root, recursive: true);
        }
        catch (IOException)
        {
            // A killed process may still hold a file for a moment; the temporary directory is left behind.
        }
    }

    /// <summary>Disposes the HTTP clients the test class holds.</summary>
    protected abstract void DisposeClients();

    /// <summary>Every node's log, for a failure's message.</summary>
    protected string Logs() => string.Join("\n", Nodes.Select(n => $"--- {n.Id}\n{n.Log}"));

    /// <summary>The running node that a running node (of <paramref name="among"/>, or all) names as the leader, or null.</summary>
    internal async Task<ServerProcess?> LeaderAsync(HttpClient http, IReadOnlyList<ServerProcess>? among = null)
    {
        foreach (var node in (among ?? Nodes).Where(n => n.IsRunning))
        {
            try
            {
                var id = (await TestCluster.StatusAsync(http, node.Http)).GetProperty("leader").GetString();
                if (Nodes.FirstOrDefault(n => n.Id == id) is { IsRunning: true } leader) return leader;
            }
            catch (Exception e) when (e is HttpRequestException or TaskCanceledException or InvalidOperationException)
            {
                // Down, electing, or no leader named yet: ask the next one.
            }
        }

        return null;
    }

    /// <summary>Polls <paramref name="condition"/> until it holds; a timeout names <paramref name="what"/> and carries the nodes' logs.</summary>
    protected async Task WaitForAsync(Func<Task<bool>> condition, string what)
    {
        var watch = Stopwatch.StartNew();
        while (watch.Elapsed < ServerProcessCluster.Patience)
        {
            try
            {
                if (await condition()) return;
            }
            catch (Exception e) when (e is HttpRequestException or TaskCanceledException or KeyNotFoundException or InvalidOperationException)
            {
                // Not answerable yet (a node restarting, an election): ask again.
            }

            await Task.Delay(50);
        }

        throw new TimeoutException($"gave up after {ServerProcessCluster.Patience.TotalSeconds}s waiting for {what}\n{Logs()}");
    }
}
