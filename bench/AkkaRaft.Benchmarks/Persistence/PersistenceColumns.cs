using AkkaRaft.Persistence.Journal;
using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using BenchmarkDotNet.Columns;
using BenchmarkDotNet.Configs;
using BenchmarkDotNet.Reports;
using BenchmarkDotNet.Running;

namespace AkkaRaft.Benchmarks.Persistence;

/// <summary>
/// What the benchmark process measured in the last iteration of one case. The benchmark runs in a child process, so
/// it hands these to the host's columns through a small file per case in the temp directory.
/// </summary>
/// <param name="EventsPerSecond">Events stored per second.</param>
/// <param name="P50Microseconds">Median latency of one write request, in microseconds.</param>
/// <param name="P99Microseconds">99th percentile latency of one write request, in microseconds.</param>
/// <param name="FsyncsPerSecond">Transactions flushed to stable storage per second.</param>
/// <param name="RequestsPerFsync">Write requests per flush: what group commit buys.</param>
public sealed record PersistenceFigures(
    double EventsPerSecond, double P50Microseconds, double P99Microseconds, double FsyncsPerSecond, double RequestsPerFsync)
{
    /// <summary>
    /// The figures of one iteration: what the journal counted since <paramref name="atStart"/>, over
    /// <paramref name="elapsed"/>, with the write latencies (in <see cref="Stopwatch"/> ticks) each writer recorded.
    /// </summary>
    public static PersistenceFigures Measure(
        JournalCountersSnapshot atStart, JournalCountersSnapshot atEnd, TimeSpan elapsed, IEnumerable<List<long>> latencyTicks)
    {
        var counted = atEnd.Since(atStart);
        var sorted = latencyTicks.SelectMany(l => l).Order().ToArray();
        return new PersistenceFigures(
            EventsPerSecond: counted.Events / elapsed.TotalSeconds,
            P50Microseconds: PercentileMicroseconds(sorted, 0.50),
            P99Microseconds: PercentileMicroseconds(sorted, 0.99),
            FsyncsPerSecond: counted.Fsyncs / elapsed.TotalSeconds,
            RequestsPerFsync: counted.Fsyncs == 0 ? 0 : (double)counted.WriteRequests / counted.Fsyncs);
    }

    private static double PercentileMicroseconds(long[] sortedTicks, double fraction)
    {
        if (sortedTicks.Length == 0)
        {
            return 0;
        }

        var index = Math.Min(sortedTicks.Length - 1, (int)Math.Ceiling(fraction * sortedTicks.Length) - 1);
        return sortedTicks[Math.Max(0, index)] * 1_000_000.0 / Stopwatch.Frequency;
    }

    private static string PathOf(string benchmark, string plugin, int batchSize, int writers, string mode) =>
        Path.Combine(Path.GetTempPath(), "akkaraft-bench-persistence", $"{benchmark}-{plugin}-{batchSize}-{writers}{(mode.Length > 0 ? "-" + mode : "")}.json");

    /// <summary>Stores the figures of one case of the benchmark class <paramref name="benchmark"/> (<paramref name="mode"/>: its Mode parameter, if it has one).</summary>
    public static void Write(string benchmark, string plugin, int batchSize, int writers, PersistenceFigures figures, string mode = "")
    {
        var path = PathOf(benchmark, plugin, batchSize, writers, mode);
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        File.WriteAllText(path, JsonSerializer.Serialize(figures));
    }

    /// <summary>The stored figures of one case, or null when it did not run.</summary>
    public static PersistenceFigures? Read(BenchmarkCase benchmarkCase)
    {
        if (benchmarkCase.Parameters["Plugin"] is not string plugin
            || benchmarkCase.Parameters["BatchSize"] is not int batchSize
            || benchmarkCase.Parameters["Writers"] is not int writers)
        {
            return null;
        }

        var mode = benchmarkCase.Parameters.Items.Any(p => p.Name == "Mode") ? benchmarkCase.Parameters["Mode"] as string ?? "" : "";
        var path = PathOf(benchmarkCase.Descriptor.Type.Name, plugin, batchSize, writers, mode);
        return File.Exists(path) ? JsonSerializer.Deserialize<PersistenceFigures>(File.ReadAllText(path)) : null;
    }
}

/// <summary>Adds the persistence figures to the journal benchmarks.</summary>
public sealed class PersistenceBenchmarkConfig : ManualConfig
{
    /// <summary>The columns: events/s, p50 and p99 write latency, fsyncs/s and write requests per fsync.</summary>
    public PersistenceBenchmarkConfig()
    {
        static FigureColumn Column(string name, string legend, Func<PersistenceFigures, double> figure, string format) =>
            FigureColumn.Of("Persistence", name, legend, PersistenceFigures.Read, figure, format);

        AddColumn(
            Column("events/s", "Events stored per second (last iteration)", f => f.EventsPerSecond, "N0"),
            Column("p50 us", "Median write latency in microseconds (last iteration)", f => f.P50Microseconds, "N0"),
            Column("p99 us", "99th percentile write latency in microseconds (last iteration)", f => f.P99Microseconds, "N0"),
            Column("fsyncs/s", "Flushes to stable storage per second (last iteration)", f => f.FsyncsPerSecond, "N0"),
            Column("writes/fsync", "Write requests per flush: the group-commit gain", f => f.RequestsPerFsync, "N1"));
    }
}
