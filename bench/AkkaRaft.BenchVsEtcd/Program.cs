using System.CommandLine;
using System.Globalization;
using System.Text;
using System.Text.Json;

namespace AkkaRaft.BenchVsEtcd;

/// <summary>
/// AkkaRaft against etcd 3.4, side by side on this machine: both as 3-member clusters on loopback, both driven by
/// bench/AkkaRaft.LoadGen (closed loop, 256-byte values over 1,000 keys) with the same rows: puts with 1, 16 and 64
/// clients, linearizable gets and stale gets with 64 clients. Prints ONE table with each system's throughput, p50 and
/// p99 per row and their ratios. Every cluster member is killed at the end, also on failure or Ctrl+C.
/// </summary>
public static class Program
{
    /// <summary>One row of the comparison.</summary>
    /// <param name="Label">What the row measures.</param>
    /// <param name="Clients">Concurrent closed-loop clients.</param>
    /// <param name="ReadPercent">100 for gets, 0 for puts.</param>
    /// <param name="Level">AkkaRaft's read level; for etcd, stale = serializable range, otherwise linearizable.</param>
    public sealed record Row(string Label, int Clients, int ReadPercent, string Level)
    {
        /// <summary>The row's name for <c>--rows</c>: put-1, put-16, put-64, linearizable-get-64, stale-get-64.</summary>
        public string Id => $"{Label.Replace(' ', '-')}-{Clients}";
    }

    /// <summary>What one load generator run reported.</summary>
    public sealed record Figures(double Throughput, double P50Ms, double P99Ms, long Errors);

    /// <summary>The rows, in the order they run (puts first, so the gets find the keys).</summary>
    public static readonly Row[] Rows =
    [
        new("put", 1, 0, "default"),
        new("put", 16, 0, "default"),
        new("put", 64, 0, "default"),
        new("linearizable get", 64, 100, "consistent"),
        new("stale get", 64, 100, "stale"),
    ];

    /// <summary>Parses the options and runs the comparison.</summary>
    public static int Main(string[] args)
    {
        var root = Directory.GetCurrentDirectory();
        var akkaraft = new Option<string>("--akkaraft") { Description = "The server's Release build.", DefaultValueFactory = _ => Path.Combine(root, "src/AkkaRaft.Server/bin/Release/net10.0/akkaraft.dll") };
        var loadgen = new Option<string>("--loadgen") { Description = "The load generator's Release build.", DefaultValueFactory = _ => Path.Combine(root, "bench/AkkaRaft.LoadGen/bin/Release/net10.0/akkaraft-loadgen.dll") };
        var duration = new Option<double>("--duration") { Description = "Measured seconds per row and system.", DefaultValueFactory = _ => 10 };
        var warmup = new Option<double>("--warmup") { Description = "Seconds of load before measuring, per row and system.", DefaultValueFactory = _ => 2 };
        var portOffset = new Option<int>("--port-offset") { Description = "Added to every port (etcd 2379/2380..., AkkaRaft 8091/8089...).", DefaultValueFactory = _ => 0 };
        var set = new Option<string[]>("--akkaraft-set") { Description = "A setting every AkkaRaft node starts with (its --set path=value), to measure a configuration value (repeatable).", Arity = ArgumentArity.ZeroOrMore };
        var environment = new Option<string[]>("--akkaraft-env") { Description = "An environment variable every AkkaRaft node starts with (NAME=value), e.g. a .NET runtime setting (repeatable).", Arity = ArgumentArity.ZeroOrMore };
        var clusterWarmup = new Option<double>("--cluster-warmup") { Description = "Seconds of unreported load (64 clients, puts and consistent gets) on each cluster before the first row, so the .NET JIT has compiled the server's hot paths (etcd is compiled ahead of time).", DefaultValueFactory = _ => 15 };
        var rows = new Option<string[]>("--rows") { Description = "Run only these rows: " + string.Join(", ", Rows.Select(r => r.Id)) + " (repeatable; default all).", Arity = ArgumentArity.ZeroOrMore };
        var command = new RootCommand("bench-vs-etcd: AkkaRaft and etcd 3.4, 3 members each on loopback, under the same closed-loop load") { akkaraft, loadgen, duration, warmup, portOffset, set, environment, rows, clusterWarmup };
        command.SetAction(async (result, _) =>
        {
            var options = new Options(result.GetValue(akkaraft)!, result.GetValue(loadgen)!, result.GetValue(duration), result.GetValue(warmup), result.GetValue(portOffset), result.GetValue(set) ?? [], result.GetValue(environment) ?? [], result.GetValue(rows) ?? [], result.GetValue(clusterWarmup));
            try
            {
                return await RunAsync(options).ConfigureAwait(false);
            }
            catch (Exception e) when (e is InvalidOperationException or TimeoutException or HttpRequestException or IOException)
            {
                await Console.Error.WriteLineAsync($"bench-vs-etcd: {e.Message}").ConfigureAwait(false);
                return 1;
            }
        });
        return command.Parse(args).Invoke();
    }

    private sealed record Options(string AkkaraftDll, string LoadgenDll, double Duration, double Warmup, int PortOffset, string[] AkkaraftSettings, string[] AkkaraftEnvironment, string[] RowIds, double ClusterWarmup);

    private static async Task<int> RunAsync(Options options)
    {
        foreach (var file in new[] { options.AkkaraftDll, options.LoadgenDll })
        {
            if (!File.Exists(file)) throw new InvalidOperationException($"{file} is missing: build it in Release first (build.fsx bench-vs-etcd does)");
        }

        var unknown = options.RowIds.Where(id => Rows.All(r => r.Id != id)).ToList();
        if (unknown.Count > 0) throw new InvalidOperationException($"unknown row {string.Join(", ", unknown)}; the rows are {string.Join(", ", Rows.Select(r => r.Id))}");
        var rows = Rows.Where(r => options.RowIds.Length == 0 || options.RowIds.Contains(r.Id)).ToArray();
        var environment = new Dictionary<string, string>();
        foreach (var pair in options.AkkaraftEnvironment)
        {
            var equals = pair.IndexOf('=', StringComparison.Ordinal);
            if (equals <= 0) throw new InvalidOperationException($"--akkaraft-env takes NAME=value, not '{pair}'");
            environment[pair[..equals]] = pair[(equals + 1)..];
        }

        var etcd = await EtcdCluster.EnsureInstalledAsync().ConfigureAwait(false);
        var etcdVersion = await EtcdCluster.VersionAsync(etcd).ConfigureAwait(false);
        var directory = Directory.CreateTempSubdirectory("akkaraft-vs-etcd-").FullName;
        Console.WriteLine($"bench-vs-etcd: data and logs under {directory}; {etcdVersion}; load average at start {LoadAverage()}");
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(5) };
        using var children = new ChildProcesses();
        var failed = true;
        try
        {
            var etcdCluster = await EtcdCluster.StartAsync(etcd, directory, options.PortOffset, children, http).ConfigureAwait(false);
            var akkaraftCluster = await AkkaRaftCluster.StartAsync(options.AkkaraftDll, options.AkkaraftSettings, environment, directory, options.PortOffset, children, http).ConfigureAwait(false);
            Console.WriteLine("bench-vs-etcd: both clusters are up");
            if (options.ClusterWarmup > 0)
            {
                var warmupRow = new Row("warm-up", 64, 50, "consistent");
                foreach (IBenchCluster cluster in new IBenchCluster[] { etcdCluster, akkaraftCluster })
                {
                    var figures = await LoadAsync(options with { Duration = options.ClusterWarmup, Warmup = 0 }, cluster, warmupRow).ConfigureAwait(false);
                    Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"  {cluster.Name,-8} warm-up (not reported): {figures.Throughput:N0} ops/s"));
                }
            }

            var results = new List<(Row Row, Figures AkkaRaft, Figures Etcd, double EntriesPerBatch)>();
            var diagnostics = new StringBuilder();
            for (var i = 0; i < rows.Length; i++)
            {
                var row = rows[i];
                // Alternate which system goes first, so a drift in the machine's load does not favour one of them.
                IBenchCluster[] order = i % 2 == 0 ? [etcdCluster, akkaraftCluster] : [akkaraftCluster, etcdCluster];
                Figures? ours = null, theirs = null;
                var entriesPerBatch = double.NaN;
                foreach (var cluster in order)
                {
                    children.EnsureRunning();
                    var before = cluster is AkkaRaftCluster a && row.ReadPercent == 0 ? await a.JournalCountersAsync(http).ConfigureAwait(false) : default;
                    var histogramBefore = row.ReadPercent == 0 ? await cluster.HistogramAsync(http).ConfigureAwait(false) : default;
                    var usageBefore = ProcessUsage.Of(cluster.Pids);
                    var figures = await LoadAsync(options, cluster, row).ConfigureAwait(false);
                    var usage = ProcessUsage.Of(cluster.Pids) - usageBefore;
                    // Requests answered over warm-up and measured time together, at the measured rate.
                    var requests = figures.Throughput * (options.Warmup + options.Duration);
                    diagnostics.Append(CultureInfo.InvariantCulture,
                        $"  {row.Label} x{row.Clients}: {cluster.Name} members used {usage.CpuSeconds / requests * 1e6:0} µs CPU and {usage.ContextSwitches / requests:0.0} context switches per request ({usage.CpuSeconds:0.0} CPU s in all)\n");
                    if (row.ReadPercent == 0)
                    {
                        var histogramAfter = await cluster.HistogramAsync(http).ConfigureAwait(false);
                        var count = histogramAfter.Count - histogramBefore.Count;
                        if (histogramAfter.Source != histogramBefore.Source)
                        {
                            diagnostics.Append(CultureInfo.InvariantCulture,
                                $"  {row.Label} x{row.Clients}: {cluster.HistogramName}: leadership moved during the cell ({histogramBefore.Source} to {histogramAfter.Source}); no mean\n");
                        }
                        else
                        {
                            diagnostics.Append(CultureInfo.InvariantCulture,
                                $"  {row.Label} x{row.Clients}: {cluster.HistogramName}: mean {(count > 0 ? (histogramAfter.Sum - histogramBefore.Sum) / count * 1000 : double.NaN):0.00} ms over {count:0}\n");
                        }
                    }

                    if (cluster is AkkaRaftCluster b && row.ReadPercent == 0)
                    {
                        var after = await b.JournalCountersAsync(http).ConfigureAwait(false);
                        // A new leader's counters say nothing about the cell: no figure rather than a wrong one.
                        entriesPerBatch = after.Leader == before.Leader ? (after.Entries - before.Entries) / Math.Max(1, after.Batches - before.Batches) : double.NaN;
                    }

                    Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                        $"  {cluster.Name,-8} {row.Label} x{row.Clients}: {figures.Throughput:N0} ops/s, p50 {figures.P50Ms:0.00} ms, p99 {figures.P99Ms:0.00} ms, errors {figures.Errors}"));
                    if (cluster is AkkaRaftCluster) ours = figures;
                    else theirs = figures;
                }

                results.Add((row, ours!, theirs!, entriesPerBatch));
            }

            children.EnsureRunning();
            Console.WriteLine();
            Console.WriteLine(Table(results, options, etcdVersion));
            Console.WriteLine("Where the time goes (each cell, warm-up included; CPU and context switches of the 3 members' processes from /proc):");
            Console.WriteLine(diagnostics.ToString());
            failed = false;
            return 0;
        }
        finally
        {
            children.KillAll();
            if (failed)
            {
                foreach (var log in Directory.EnumerateFiles(directory, "*.log"))
                {
                    Console.Error.WriteLine($"--- last lines of {log}");
                    Console.Error.WriteLine(Text.Tail(log, 15));
                }

                Console.Error.WriteLine($"bench-vs-etcd: data and logs kept under {directory}");
            }
            else
            {
                Directory.Delete(directory, recursive: true);
            }
        }
    }

    /// <summary>Runs the load generator once against <paramref name="cluster"/> and reads its JSON report.</summary>
    private static async Task<Figures> LoadAsync(Options options, IBenchCluster cluster, Row row)
    {
        var arguments = new List<string>
        {
            options.LoadgenDll, "--target", cluster.Target, "--endpoints", cluster.Endpoint,
            "--clients", row.Clients.ToString(CultureInfo.InvariantCulture), "--keys", "1000", "--value-bytes", "256",
            "--read-percent", row.ReadPercent.ToString(CultureInfo.InvariantCulture), "--level", row.Level,
            "--duration", options.Duration.ToString(CultureInfo.InvariantCulture), "--warmup", options.Warmup.ToString(CultureInfo.InvariantCulture), "--json",
        };
        var output = await Commands.RunAsync("dotnet", arguments).ConfigureAwait(false);
        using var report = JsonDocument.Parse(output);
        var json = report.RootElement;
        var latencies = json.GetProperty(row.ReadPercent == 100 ? "get" : "put");
        var figures = new Figures(json.GetProperty("throughput").GetDouble(), latencies.GetProperty("p50Ms").GetDouble(), latencies.GetProperty("p99Ms").GetDouble(), json.GetProperty("errors").GetInt64());
        if (latencies.GetProperty("count").GetInt64() == 0) throw new InvalidOperationException($"{cluster.Name} answered no {row.Label} at all ({figures.Errors} errors)");
        return figures;
    }

    private static string Table(List<(Row Row, Figures AkkaRaft, Figures Etcd, double EntriesPerBatch)> results, Options options, string etcdVersion)
    {
        var text = new StringBuilder();
        text.Append(CultureInfo.InvariantCulture,
            $"AkkaRaft vs {etcdVersion}: 3 members each on 127.0.0.1, closed loop, 256-byte values over 1,000 keys, {options.Warmup:0.#} s warm-up + {options.Duration:0.#} s per cell after {options.ClusterWarmup:0.#} s of unreported load on each cluster; {Environment.ProcessorCount} cores; load average at the end {LoadAverage()}\n");
        if (options.AkkaraftSettings.Length > 0) text.Append(CultureInfo.InvariantCulture, $"AkkaRaft nodes started with --set {string.Join(" --set ", options.AkkaraftSettings)}\n");
        if (options.AkkaraftEnvironment.Length > 0) text.Append(CultureInfo.InvariantCulture, $"AkkaRaft nodes started with environment {string.Join(' ', options.AkkaraftEnvironment)}\n");
        text.Append('\n');
        text.Append("| row | clients | AkkaRaft ops/s | p50 ms | p99 ms | etcd ops/s | p50 ms | p99 ms | ops/s AkkaRaft/etcd | p99 AkkaRaft/etcd | AkkaRaft entries/batch | errors (A/e) |\n");
        text.Append("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|\n");
        foreach (var (row, ours, theirs, entriesPerBatch) in results)
        {
            var batch = double.IsNaN(entriesPerBatch) ? "-" : entriesPerBatch.ToString("0.0", CultureInfo.InvariantCulture);
            text.Append(CultureInfo.InvariantCulture,
                $"| {row.Label} | {row.Clients} | {ours.Throughput:N0} | {ours.P50Ms:0.00} | {ours.P99Ms:0.00} | {theirs.Throughput:N0} | {theirs.P50Ms:0.00} | {theirs.P99Ms:0.00} | **{ours.Throughput / theirs.Throughput:0.00}×** | {ours.P99Ms / theirs.P99Ms:0.00} | {batch} | {ours.Errors}/{theirs.Errors} |\n");
        }

        text.Append("\nTargets: AkkaRaft's throughput at least 2× etcd's on every row; AkkaRaft's p99 at 1 client no higher than etcd's.\n");
        foreach (var (row, ours, theirs, _) in results)
        {
            var ratio = ours.Throughput / theirs.Throughput;
            if (ratio < 2) text.Append(CultureInfo.InvariantCulture, $"  short: {row.Label} x{row.Clients} at {ratio:0.00}×\n");
            if (row.Clients == 1 && ours.P99Ms > theirs.P99Ms) text.Append(CultureInfo.InvariantCulture, $"  short: p99 at 1 client {ours.P99Ms:0.00} ms against etcd's {theirs.P99Ms:0.00} ms\n");
        }

        return text.ToString();
    }

    private static string LoadAverage() =>
        File.Exists("/proc/loadavg") ? string.Join(' ', File.ReadAllText("/proc/loadavg").Split(' ').Take(3)) : "unknown";
}
