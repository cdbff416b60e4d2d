using System.Collections.Concurrent;
using System.Diagnostics;
using AkkaRaft.TestSupport.Linearizability;
using AkkaRaft.TestSupport.Simulation;

namespace AkkaRaft.Raft.Tests.Simulation;

/// <summary>The outcome of one seed: its report and, if it went wrong, why.</summary>
internal sealed record SeedOutcome(ulong Seed, SimulationReport? Report, int OperationsChecked, string? Failure, Verdict? Verdict);

/// <summary>Totals over many seeds, printed by the randomized tests.</summary>
internal sealed class SimulationTotals
{
    public int Seeds;
    public long Operations;
    public long Completed;
    public long TimedOut;
    public long Messages;
    public long Elections;
    public long Snapshots;
    public long VirtualMs;
    public readonly SortedDictionary<string, long> Faults = new(StringComparer.Ordinal);
    public readonly List<SeedOutcome> Failures = new();
    public TimeSpan Elapsed;

    public string Describe(string title) =>
        $"{title}: {Seeds} seeds run, {Operations} operations checked ({Completed} returned, {TimedOut} timed out), "
        + $"{Failures.Count} violations, {Elapsed.TotalSeconds:F1} s wall time; "
        + $"{Messages} messages delivered, {Elections} leader terms, {Snapshots} snapshots installed, {VirtualMs / 1000.0:F0} s virtual time; "
        + "faults injected: " + string.Join(", ", Faults.Select(f => $"{f.Key}={f.Value}"));
}

/// <summary>Runs seeds in parallel (each seed is single-threaded and deterministic) and checks each history.</summary>
internal static class SimulationRunner
{
    /// <summary>Runs one seed and checks its history for linearizability.</summary>
    public static SeedOutcome RunSeed(ulong seed, SimulationOptions options)
    {
        var history = new RecorderHistory();
        SimulationReport report;
        try
        {
            report = new ClusterSimulation(seed, options, history).Run();
        }
        catch (SimulationViolationException ex)
        {
            return new SeedOutcome(seed, null, history.Recorder.Count, ex.Message, null);
        }
        var operations = history.Recorder.Operations;
        var result = LinearizabilityChecker.Check(operations);
        var failure = result.IsLinearizable ? null : $"seed {seed}: {result.Verdict}: {result.Describe()}";
        return new SeedOutcome(seed, report, operations.Count, failure, result.Verdict);
    }

    /// <summary>Runs <paramref name="seeds"/> on all cores.</summary>
    public static SimulationTotals RunMany(IEnumerable<ulong> seeds, SimulationOptions options)
    {
        var stopwatch = Stopwatch.StartNew();
        var outcomes = new ConcurrentBag<SeedOutcome>();
        Parallel.ForEach(seeds, new ParallelOptions { MaxDegreeOfParallelism = Environment.ProcessorCount }, seed => outcomes.Add(RunSeed(seed, options)));
        var totals = new SimulationTotals { Elapsed = stopwatch.Elapsed };
        foreach (var outcome in outcomes.OrderBy(o => o.Seed))
        {
            totals.Seeds++;
            totals.Operations += outcome.OperationsChecked;
            if (outcome.Failure is not null) totals.Failures.Add(outcome);
            if (outcome.Report is not { } report) continue;
            totals.Completed += report.Completed;
            totals.TimedOut += report.TimedOut;
            totals.Messages += report.MessagesDelivered;
            totals.Elections += report.Elections;
            totals.Snapshots += report.SnapshotsInstalled;
            totals.VirtualMs += report.VirtualMs;
            foreach (var (kind, count) in report.Faults) totals.Faults[kind] = totals.Faults.GetValueOrDefault(kind) + count;
        }
        return totals;
    }

    /// <summary>Seeds to run: AKKARAFT_SIM_SEED (one seed, to reproduce) or 1..AKKARAFT_SIM_SEEDS (default <paramref name="defaultCount"/>).</summary>
    public static IReadOnlyList<ulong> SeedsFromEnvironment(int defaultCount)
    {
        var single = Environment.GetEnvironmentVariable("AKKARAFT_SIM_SEED");
        if (!string.IsNullOrWhiteSpace(single)) return [ulong.Parse(single, System.Globalization.CultureInfo.InvariantCulture)];
        var count = defaultCount;
        var configured = Environment.GetEnvironmentVariable("AKKARAFT_SIM_SEEDS");
        if (!string.IsNullOrWhiteSpace(configured)) count = int.Parse(configured, System.Globalization.CultureInfo.InvariantCulture);
        var seeds = new ulong[count];
        for (var i = 0; i < count; i++) seeds[i] = (ulong)i + 1;
        return seeds;
    }
}
