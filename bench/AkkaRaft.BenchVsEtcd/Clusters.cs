using System.Diagnostics;
using System.Globalization;
using System.Net.Sockets;
using System.Text;
using System.Text.Json;

namespace AkkaRaft.BenchVsEtcd;

/// <summary>A 3-member cluster on loopback that the load generator can drive.</summary>
public interface IBenchCluster
{
    /// <summary>Name in the table.</summary>
    string Name { get; }

    /// <summary>The <c>--target</c> of the load generator.</summary>
    string Target { get; }

    /// <summary>Address given to the load generator (it finds the leader itself).</summary>
    string Endpoint { get; }

    /// <summary>What <see cref="HistogramAsync"/> measures, for the diagnostics under the table.</summary>
    string HistogramName { get; }

    /// <summary>
    /// Sum (seconds) and count of the histogram named by <see cref="HistogramName"/> so far, from the members' Prometheus
    /// text, and which member(s) they came from (two readings are comparable only when that is the same).
    /// </summary>
    Task<(double Sum, double Count, string Source)> HistogramAsync(HttpClient http);

    /// <summary>The members' process ids.</summary>
    IReadOnlyList<int> Pids { get; }
}

/// <summary>What the kernel counted for a set of processes: CPU time and context switches, from /proc.</summary>
/// <param name="CpuSeconds">User plus system CPU time of every thread, live or exited.</param>
/// <param name="ContextSwitches">Voluntary and involuntary context switches of the threads alive now.</param>
public readonly record struct ProcessUsage(double CpuSeconds, long ContextSwitches)
{
    // Linux reports CPU time in clock ticks of USER_HZ, 100 on every mainstream kernel.
    private const double TicksPerSecond = 100;

    /// <summary>The usage of <paramref name="pids"/> so far.</summary>
    public static ProcessUsage Of(IReadOnlyList<int> pids)
    {
        double ticks = 0;
        long switches = 0;
        foreach (var pid in pids)
        {
            // Fields after the command name: state is 3rd, utime 14th, stime 15th (proc(5)).
            var stat = File.ReadAllText($"/proc/{pid}/stat");
            var fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
            ticks += double.Parse(fields[11], CultureInfo.InvariantCulture) + double.Parse(fields[12], CultureInfo.InvariantCulture);
            foreach (var task in Directory.EnumerateDirectories($"/proc/{pid}/task"))
            {
                try
                {
                    foreach (var line in File.ReadLines(Path.Combine(task, "status")))
                    {
                        if (line.StartsWith("voluntary_ctxt_switches:", StringComparison.Ordinal) || line.StartsWith("nonvoluntary_ctxt_switches:", StringComparison.Ordinal))
                            switches += long.Parse(line.AsSpan(line.IndexOf(':') + 1).Trim(), CultureInfo.InvariantCulture);
                    }
                }
                catch (IOException)
                {
                    // The thread exited meanwhile.
                }
            }
        }

        return new ProcessUsage(ticks / TicksPerSecond, switches);
    }

    /// <summary>What was used between <paramref name="before"/> and <paramref name="after"/>.</summary>
    public static ProcessUsage operator -(ProcessUsage after, ProcessUsage before) =>
        new(after.CpuSeconds - before.CpuSeconds, after.ContextSwitches - before.ContextSwitches);
}

/// <summary>Reading Prometheus text.</summary>
public static class Prometheus
{
    /// <summary>The value of the sample <paramref name="name"/> (no labels) in <paramref name="text"/>.</summary>
    /// <exception cref="KeyNotFoundException">There is none.</exception>
    public static double Sample(string text, string name)
    {
        foreach (var line in text.Split('\n'))
        {
            if (line.StartsWith(name + " ", StringComparison.Ordinal))
                return double.Parse(line.AsSpan(name.Length + 1), NumberStyles.Float, CultureInfo.InvariantCulture);
        }

        throw new KeyNotFoundException($"no sample {name} in the metrics");
    }
}

/// <summary>Short commands run to completion, echoed first, as build.fsx does.</summary>
public static class Commands
{
    /// <summary>Runs <paramref name="file"/> to completion and returns its standard output.</summary>
    /// <exception cref="InvalidOperationException">It exited with a non-zero code (its standard error is in the message).</exception>
    public static async Task<string> RunAsync(string file, IReadOnlyList<string> arguments, IReadOnlyDictionary<string, string>? environment = null, bool echo = true)
    {
        if (echo) Console.WriteLine($"> {file} {string.Join(' ', arguments)}");
        var start = new ProcessStartInfo(file) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var argument in arguments) start.ArgumentList.Add(argument);
        foreach (var (key, value) in environment ?? new Dictionary<string, string>()) start.Environment[key] = value;
        using var process = Process.Start(start) ?? throw new InvalidOperationException($"{file} could not be started");
        var output = process.StandardOutput.ReadToEndAsync();
        var error = process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync().ConfigureAwait(false);
        if (process.ExitCode != 0) throw new InvalidOperationException($"'{file} {string.Join(' ', arguments)}' exited with {process.ExitCode}: {(await error.ConfigureAwait(false)).Trim()}");
        return await output.ConfigureAwait(false);
    }

    /// <summary>Fails when something already listens on one of <paramref name="ports"/> of 127.0.0.1.</summary>
    /// <exception cref="InvalidOperationException">A port is taken.</exception>
    public static void EnsureFree(string what, params int[] ports)
    {
        foreach (var port in ports)
        {
            using var probe = new TcpClient();
            try
            {
                probe.Connect("127.0.0.1", port);
            }
            catch (SocketException)
            {
                continue; // nothing listens: free
            }

            throw new InvalidOperationException($"port {port} of 127.0.0.1, which {what} needs, is already in use; stop what listens there or pass --port-offset");
        }
    }

    /// <summary>Polls <paramref name="ready"/> every 200 ms until it is true or <paramref name="timeout"/> passes.</summary>
    /// <exception cref="TimeoutException">It never became true; the message says what was awaited.</exception>
    public static async Task WaitUntilAsync(string what, TimeSpan timeout, Func<Task<bool>> ready, ChildProcesses children)
    {
        var stopwatch = Stopwatch.StartNew();
        while (stopwatch.Elapsed < timeout)
        {
            children.EnsureRunning();
            try
            {
                if (await ready().ConfigureAwait(false)) return;
            }
            catch (Exception e) when (e is HttpRequestException or TaskCanceledException or JsonException or KeyNotFoundException or InvalidOperationException)
            {
                // Not up yet.
            }

            await Task.Delay(200).ConfigureAwait(false);
        }

        throw new TimeoutException($"{what} within {timeout.TotalSeconds:0} s");
    }
}

/// <summary>
/// Three etcd members (Debian's etcd-server, 3.4) on loopback, data directories under the run's directory, default
/// settings otherwise (WAL fsync per batch, heartbeat 100 ms, election 1 s). Ports follow etcd's own Procfile: client
/// 2379, 22379, 32379 and peer 2380, 22380, 32380 (plus the port offset).
/// </summary>
public sealed class EtcdCluster : IBenchCluster
{
    private readonly int[] _clientPorts;

    private EtcdCluster(int[] clientPorts, IReadOnlyList<int> pids)
    {
        _clientPorts = clientPorts;
        Pids = pids;
    }

    /// <inheritdoc />
    public IReadOnlyList<int> Pids { get; }

    /// <inheritdoc />
    public string Name => "etcd";

    /// <inheritdoc />
    public string Target => "etcd";

    /// <inheritdoc />
    public string Endpoint => $"127.0.0.1:{_clientPorts[0]}";

    /// <inheritdoc />
    public string HistogramName => "etcd WAL fsync (etcd_disk_wal_fsync_duration_seconds, all 3 members)";

    /// <inheritdoc />
    public async Task<(double Sum, double Count, string Source)> HistogramAsync(HttpClient http)
    {
        double sum = 0, count = 0;
        foreach (var port in _clientPorts)
        {
            var text = await http.GetStringAsync($"http://127.0.0.1:{port}/metrics").ConfigureAwait(false);
            sum += Prometheus.Sample(text, "etcd_disk_wal_fsync_duration_seconds_sum");
            count += Prometheus.Sample(text, "etcd_disk_wal_fsync_duration_seconds_count");
        }

        return (sum, count, "all members");
    }

    /// <summary>Installs etcd-server with apt-get when no etcd is on the PATH (root only; apt-get update first).</summary>
    /// <returns>The etcd executable.</returns>
    /// <exception cref="InvalidOperationException">It is missing and cannot be installed here.</exception>
    public static async Task<string> EnsureInstalledAsync()
    {
        if (Find("etcd") is { } found) return found;
        if (!string.Equals(Environment.UserName, "root", StringComparison.Ordinal))
            throw new InvalidOperationException("etcd is not installed and this user is not root: run `apt-get update && apt-get install -y etcd-server` as root first");
        var environment = new Dictionary<string, string> { ["DEBIAN_FRONTEND"] = "noninteractive" };
        await Commands.RunAsync("apt-get", ["update"], environment).ConfigureAwait(false);
        await Commands.RunAsync("apt-get", ["install", "-y", "--no-install-recommends", "etcd-server"], environment).ConfigureAwait(false);
        return Find("etcd") ?? throw new InvalidOperationException("apt-get installed etcd-server, but no etcd is on the PATH");
    }

    /// <summary>Starts the three members and waits until every one reports itself healthy (a leader is elected).</summary>
    public static async Task<EtcdCluster> StartAsync(string etcd, string directory, int portOffset, ChildProcesses children, HttpClient http)
    {
        var names = new[] { "etcd1", "etcd2", "etcd3" };
        var clientPorts = new[] { 2379, 22379, 32379 }.Select(p => p + portOffset).ToArray();
        var peerPorts = new[] { 2380, 22380, 32380 }.Select(p => p + portOffset).ToArray();
        Commands.EnsureFree("etcd", [.. clientPorts, .. peerPorts]);
        var initialCluster = string.Join(',', names.Select((n, i) => $"{n}=http://127.0.0.1:{peerPorts[i]}"));
        var token = "akkaraft-bench-" + Guid.NewGuid().ToString("N")[..8];
        var pids = new List<int>();
        for (var i = 0; i < names.Length; i++)
        {
            var member = children.Start(names[i], etcd,
            [
                "--name", names[i], "--data-dir", Path.Combine(directory, names[i]),
                "--listen-client-urls", $"http://127.0.0.1:{clientPorts[i]}", "--advertise-client-urls", $"http://127.0.0.1:{clientPorts[i]}",
                "--listen-peer-urls", $"http://127.0.0.1:{peerPorts[i]}", "--initial-advertise-peer-urls", $"http://127.0.0.1:{peerPorts[i]}",
                "--initial-cluster", initialCluster, "--initial-cluster-token", token, "--initial-cluster-state", "new",
                "--logger", "zap", "--log-level", "warn",
            ], Path.Combine(directory, names[i] + ".log"));
            pids.Add(member.Id);
        }

        foreach (var port in clientPorts)
        {
            await Commands.WaitUntilAsync($"etcd on port {port} did not report healthy", TimeSpan.FromSeconds(60), async () =>
            {
                using var document = JsonDocument.Parse(await http.GetStringAsync($"http://127.0.0.1:{port}/health").ConfigureAwait(false));
                return document.RootElement.GetProperty("health").GetString() == "true";
            }, children).ConfigureAwait(false);
        }

        return new EtcdCluster(clientPorts, pids);
    }

    /// <summary>The version line of the etcd executable.</summary>
    public static async Task<string> VersionAsync(string etcd) =>
        (await Commands.RunAsync(etcd, ["--version"], echo: false).ConfigureAwait(false)).Split('\n')[0].Trim();

    private static string? Find(string name) =>
        (Environment.GetEnvironmentVariable("PATH") ?? "/usr/bin:/bin").Split(':')
            .Select(d => Path.Combine(d, name)).FirstOrDefault(File.Exists);
}

/// <summary>
/// Three AkkaRaft nodes on loopback, started as README.md starts them: node01 founds the cluster, node02 and node03
/// <c>-join</c> through its HTTP address; default settings (SQLite journal under each data directory).
/// HTTP on 8091, 8191, 8291 and Raft on 8089, 8189, 8289 (plus the port offset).
/// </summary>
public sealed class AkkaRaftCluster : IBenchCluster
{
    private readonly int[] _httpPorts;

    private AkkaRaftCluster(int[] httpPorts, IReadOnlyList<int> pids)
    {
        _httpPorts = httpPorts;
        Pids = pids;
    }

    /// <inheritdoc />
    public IReadOnlyList<int> Pids { get; }

    /// <inheritdoc />
    public string Name => "AkkaRaft";

    /// <inheritdoc />
    public string Target => "akkaraft";

    /// <inheritdoc />
    public string Endpoint => $"127.0.0.1:{_httpPorts[0]}";

    /// <inheritdoc />
    public string HistogramName => "AkkaRaft commit latency (akkaraft_commit_latency_seconds, leader: proposal to committed)";

    /// <inheritdoc />
    public async Task<(double Sum, double Count, string Source)> HistogramAsync(HttpClient http)
    {
        var leader = await LeaderAddressAsync(http).ConfigureAwait(false);
        var text = await http.GetStringAsync($"http://{leader}/metrics").ConfigureAwait(false);
        return (Prometheus.Sample(text, "akkaraft_commit_latency_seconds_sum"), Prometheus.Sample(text, "akkaraft_commit_latency_seconds_count"), leader);
    }

    /// <summary>Starts node01, waits until it leads, then starts node02 and node03 and waits until all three are voters.</summary>
    /// <param name="akkaraftDll">The Release build of the server (<c>akkaraft.dll</c>).</param>
    /// <param name="settings">path=value settings every node gets with <c>--set</c>.</param>
    /// <param name="environment">Environment variables every node gets.</param>
    public static async Task<AkkaRaftCluster> StartAsync(string akkaraftDll, IReadOnlyList<string> settings, IReadOnlyDictionary<string, string> environment, string directory, int portOffset, ChildProcesses children, HttpClient http)
    {
        var ids = new[] { "node01", "node02", "node03" };
        var httpPorts = new[] { 8091, 8191, 8291 }.Select(p => p + portOffset).ToArray();
        var raftPorts = new[] { 8089, 8189, 8289 }.Select(p => p + portOffset).ToArray();
        Commands.EnsureFree("AkkaRaft", [.. httpPorts, .. raftPorts]);
        var first = $"127.0.0.1:{httpPorts[0]}";
        var pids = new List<int>();
        for (var i = 0; i < ids.Length; i++)
        {
            var arguments = new List<string> { akkaraftDll, "serve", "-id", ids[i], "-haddr", $"127.0.0.1:{httpPorts[i]}", "-raddr", $"127.0.0.1:{raftPorts[i]}" };
            if (i > 0) arguments.AddRange(["-join", first]);
            foreach (var setting in settings) arguments.AddRange(["--set", setting]);
            arguments.Add(Path.Combine(directory, ids[i]));
            pids.Add(children.Start(ids[i], "dotnet", arguments, Path.Combine(directory, ids[i] + ".log"), environment).Id);
            if (i == 0)
            {
                await Commands.WaitUntilAsync($"{ids[0]} did not lead", TimeSpan.FromSeconds(120), async () =>
                {
                    using var status = JsonDocument.Parse(await http.GetStringAsync($"http://{first}/status").ConfigureAwait(false));
                    return status.RootElement.GetProperty("role").GetString() == "leader";
                }, children).ConfigureAwait(false);
            }
        }

        await Commands.WaitUntilAsync("the AkkaRaft cluster did not reach three voters", TimeSpan.FromSeconds(180), async () =>
        {
            using var status = JsonDocument.Parse(await http.GetStringAsync($"http://{first}/status").ConfigureAwait(false));
            var voters = status.RootElement.GetProperty("members").EnumerateArray()
                .Count(m => m.GetProperty("role").GetString() is "leader" or "follower");
            return voters == ids.Length;
        }, children).ConfigureAwait(false);
        return new AkkaRaftCluster(httpPorts, pids);
    }

    /// <summary>The leader's journal counters from its Prometheus text: batches written, entries persisted.</summary>
    /// <remarks>Counters of one leader: two readings are comparable only when <c>Leader</c> is the same.</remarks>
    public async Task<(double Batches, double Entries, string Leader)> JournalCountersAsync(HttpClient http)
    {
        var leader = await LeaderAddressAsync(http).ConfigureAwait(false);
        var text = await http.GetStringAsync($"http://{leader}/metrics").ConfigureAwait(false);
        return (Prometheus.Sample(text, "akkaraft_fsyncs_total"), Prometheus.Sample(text, "akkaraft_entries_persisted_total"), leader);
    }

    private async Task<string> LeaderAddressAsync(HttpClient http)
    {
        using var status = JsonDocument.Parse(await http.GetStringAsync($"http://{Endpoint}/status").ConfigureAwait(false));
        var leader = status.RootElement.GetProperty("leader").GetString();
        return status.RootElement.GetProperty("members").EnumerateArray()
            .Where(m => m.GetProperty("id").GetString() == leader).Select(m => m.GetProperty("httpAddress").GetString()).FirstOrDefault() ?? Endpoint;
    }
}

/// <summary>Text helpers.</summary>
internal static class Text
{
    /// <summary>The last <paramref name="lines"/> lines of a file, or a note that it is missing.</summary>
    public static string Tail(string path, int lines)
    {
        if (!File.Exists(path)) return $"({path} does not exist)";
        var all = File.ReadAllLines(path, Encoding.UTF8);
        return string.Join('\n', all.Skip(Math.Max(0, all.Length - lines)));
    }
}
