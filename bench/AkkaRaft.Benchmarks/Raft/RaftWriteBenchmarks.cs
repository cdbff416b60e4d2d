using AkkaRaft.Client;
using AkkaRaft.Client.Kv;
using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using Akka.Actor;
using AkkaRaft.Kv;
using AkkaRaft.Raft.Peer;
using BenchmarkDotNet.Attributes;
using BenchmarkDotNet.Configs;
using BenchmarkDotNet.Running;

namespace AkkaRaft.Benchmarks.Raft;

/// <summary>
/// Write throughput and latency of an in-process 3-peer <see cref="RaftPeer"/> group on Akka.NET
/// (<see cref="SqlitePeerGroup"/>: one actor system, Akka.Persistence.Sql on one SQLite file per peer):
/// <see cref="Clients"/> concurrent clients, each sending its next key/value put (100-byte value, 1,000 keys) to the
/// leader once the previous one is acknowledged (committed on a quorum and applied). Columns: writes/s, p50/p99
/// latency, journal batches per committed entry over the three peers, and committed entries per leader journal batch
/// (the group-commit gain: <see cref="RaftPeerCounters.EntriesPersisted"/> / <see cref="RaftPeerCounters.JournalBatches"/>).
/// </summary>
/// <remarks>
/// <c>AKKARAFT_BENCH_JOURNAL</c> adds HOCON keys to every peer's journal section (e.g.
/// <c>batch-size = 400, parallelism = 1</c>), to measure Akka.Persistence.Sql's batching settings.
/// </remarks>
[Config(typeof(RaftBenchmarkConfig))]
public class RaftWriteBenchmarks
{
    private const int KeyCount = 1000;
    private static readonly TimeSpan WriteTimeout = TimeSpan.FromSeconds(20);
    private SqlitePeerGroup _group = null!;
    private byte[][] _commands = [];
    private long[][] _latencies = [];
    private RaftPeerCounters _leaderAtStart = null!;
    private RaftPeerCounters[] _allAtStart = [];
    private long _started;
    private TimeSpan _cpuAtStart;
    private long _leaderChangesAtStart;

    /// <summary>Concurrent clients.</summary>
    [Params(1, 16, 64, 256)]
    public int Clients { get; set; }

    // About 1 to 2 s per iteration at each client count on the 2-core machine.
    private int WritesPerClient => Clients switch { 1 => 512, 16 => 128, 64 => 64, _ => 32 };

    /// <summary>Starts the group on fresh SQLite files and waits for its leader.</summary>
    [GlobalSetup]
    public void Setup()
    {
        RaftFigures.Forget(Clients);
        var overrides = (Environment.GetEnvironmentVariable("AKKARAFT_BENCH_JOURNAL") ?? "").Replace(",", "\n", StringComparison.Ordinal);
        _group = SqlitePeerGroup.StartAsync(overrides).GetAwaiter().GetResult();
        var value = new string('v', 100);
        _commands = Enumerable.Range(0, KeyCount).Select(k => KvCommands.Put("bench/" + k.ToString(CultureInfo.InvariantCulture), value)).ToArray();
    }

    /// <summary>Resets the figures of the iteration.</summary>
    [IterationSetup]
    public void StartIteration()
    {
        _latencies = Enumerable.Range(0, Clients).Select(_ => new long[WritesPerClient]).ToArray();
        _leaderAtStart = _group.LeaderCountersAsync().GetAwaiter().GetResult();
        _allAtStart = _group.AllCountersAsync().GetAwaiter().GetResult();
        _leaderChangesAtStart = _group.LeaderChanges;
        _cpuAtStart = Process.GetCurrentProcess().TotalProcessorTime;
        _started = Stopwatch.GetTimestamp();
    }

    /// <summary>Every client writes its share, one write at a time.</summary>
    [Benchmark]
    public Task Writes()
    {
        var clients = new Task[Clients];
        for (var c = 0; c < clients.Length; c++) clients[c] = ClientAsync(c);
        return Task.WhenAll(clients);
    }

    private async Task ClientAsync(int client)
    {
        var latencies = _latencies[client];
        for (var i = 0; i < latencies.Length; i++)
        {
            var command = _commands[(client * 7919 + i) % KeyCount];
            var start = Stopwatch.GetTimestamp();
            // A generous commit timeout: on a shared machine a write can take over the default second, and a
            // timed-out write is ambiguous (it may still commit), which would end the case.
            var answer = await _group.Leader.Ask<object>(new Write(command, WriteTimeout, NotLeaderPolicy.Reject), TimeSpan.FromSeconds(30)).ConfigureAwait(false);
            for (var retry = 0; answer is NotLeader && retry < 1000; retry++)
            {
                // Leadership moved (a loaded machine can delay heartbeats past the election timeout): a client
                // retries at the new leader, as the HTTP API's clients do; the wait counts in the write's latency.
                await Task.Delay(10).ConfigureAwait(false);
                answer = await _group.Leader.Ask<object>(new Write(command, WriteTimeout, NotLeaderPolicy.Reject), TimeSpan.FromSeconds(30)).ConfigureAwait(false);
            }

            if (answer is not WriteResult) throw new InvalidOperationException($"write not acknowledged: {answer}");
            latencies[i] = Stopwatch.GetTimestamp() - start;
        }
    }

    /// <summary>Records the figures of the iteration that just ran.</summary>
    [IterationCleanup]
    public void RecordIteration()
    {
        var elapsed = Stopwatch.GetElapsedTime(_started);
        var cpu = Process.GetCurrentProcess().TotalProcessorTime - _cpuAtStart;
        var leader = _group.LeaderCountersAsync().GetAwaiter().GetResult();
        var all = _group.AllCountersAsync().GetAwaiter().GetResult();
        var latencies = _latencies.SelectMany(l => l).Order().ToArray();
        var writes = latencies.Length;
        var entries = leader.EntriesPersisted - _leaderAtStart.EntriesPersisted;
        var batches = leader.JournalBatches - _leaderAtStart.JournalBatches;
        long allBatches = 0;
        for (var i = 0; i < all.Length; i++) allBatches += all[i].JournalBatches - _allAtStart[i].JournalBatches;
        RaftFigures.Write(Clients, new RaftFigures(
            writes / elapsed.TotalSeconds,
            Milliseconds(latencies[writes / 2]),
            Milliseconds(latencies[Math.Min(writes - 1, writes * 99 / 100)]),
            (double)allBatches / writes,
            batches == 0 ? 0 : (double)entries / batches,
            cpu.TotalMicroseconds / writes,
            _group.LeaderChanges - _leaderChangesAtStart));
    }

    /// <summary>Stops the group and removes its files.</summary>
    [GlobalCleanup]
    public void Cleanup() => _group.DisposeAsync().AsTask().GetAwaiter().GetResult();

    private static double Milliseconds(long stopwatchTicks) => stopwatchTicks * 1000.0 / Stopwatch.Frequency;
}

/// <summary>What one case measured in its last iteration (handed from the benchmark process to the host's columns through a file).</summary>
/// <param name="WritesPerSecond">Acknowledged writes per second.</param>
/// <param name="P50Milliseconds">Median write latency.</param>
/// <param name="P99Milliseconds">99th percentile write latency.</param>
/// <param name="BatchesPerEntry">Journal batches (one transaction and fsync each) on all three peers per committed write.</param>
/// <param name="EntriesPerBatch">Entries per leader journal batch.</param>
/// <param name="CpuMicrosPerWrite">CPU time of the whole process (three peers, their journals, the clients) per acknowledged write, µs.</param>
/// <param name="LeaderChanges">Elections won by another peer during the iteration (entries per batch then mixes two leaders' counters).</param>
public sealed record RaftFigures(double WritesPerSecond, double P50Milliseconds, double P99Milliseconds, double BatchesPerEntry, double EntriesPerBatch, double CpuMicrosPerWrite, long LeaderChanges)
{
    private static string PathOf(int clients) => Path.Combine(Path.GetTempPath(), "akkaraft-bench-raft", $"clients-{clients}.json");

    /// <summary>Stores the figures of one case.</summary>
    public static void Write(int clients, RaftFigures figures)
    {
        var path = PathOf(clients);
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        File.WriteAllText(path, JsonSerializer.Serialize(figures));
    }

    /// <summary>Removes the stored figures of one case (a case that fails shows none rather than an older run's).</summary>
    public static void Forget(int clients) => File.Delete(PathOf(clients));

    /// <summary>The stored figures of one case, or null.</summary>
    public static RaftFigures? Read(BenchmarkCase benchmarkCase) =>
        benchmarkCase.Parameters["Clients"] is int clients && File.Exists(PathOf(clients))
            ? JsonSerializer.Deserialize<RaftFigures>(File.ReadAllText(PathOf(clients)))
            : null;
}

/// <summary>Adds the Raft figures to the write benchmark.</summary>
public sealed class RaftBenchmarkConfig : ManualConfig
{
    /// <summary>The columns.</summary>
    public RaftBenchmarkConfig()
    {
        static FigureColumn Column(string name, string legend, Func<RaftFigures, double> figure, string format) =>
            FigureColumn.Of("Raft", name, legend, RaftFigures.Read, figure, format);

        AddColumn(
            Column("writes/s", "Acknowledged writes per second (last iteration)", f => f.WritesPerSecond, "N0"),
            Column("p50 ms", "Median write latency in milliseconds (last iteration)", f => f.P50Milliseconds, "N2"),
            Column("p99 ms", "99th percentile write latency in milliseconds (last iteration)", f => f.P99Milliseconds, "N2"),
            Column("batches/entry", "Journal batches (one transaction each) on the three peers per committed write", f => f.BatchesPerEntry, "N2"),
            Column("entries/batch", "Entries per leader journal batch: the group-commit gain", f => f.EntriesPerBatch, "N1"),
            Column("CPU µs/write", "CPU time of the process (3 peers, journals, clients) per acknowledged write", f => f.CpuMicrosPerWrite, "N0"),
            Column("leader changes", "Elections won by another peer during the iteration", f => f.LeaderChanges, "N0"));
    }
}
