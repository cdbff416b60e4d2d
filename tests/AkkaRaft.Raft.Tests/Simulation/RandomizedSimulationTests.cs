using AkkaRaft.TestSupport.Simulation;
using Xunit.Abstractions;

namespace AkkaRaft.Raft.Tests.Simulation;

/// <summary>
/// The figures of the Raft core: many seeds of 200 client operations with every fault kind, each history
/// checked for linearizability. AKKARAFT_SIM_SEEDS overrides the seed count (the soak runs 20,000);
/// AKKARAFT_SIM_SEED reruns one seed and writes its trace to a file whose path is printed.
/// </summary>
[Trait("Category", "Simulation")]
public class RandomizedSimulationTests(ITestOutputHelper output)
{
    private const int DefaultSeeds = 1000;

    [Fact(DisplayName = "Simulation: 3-node clusters under every fault kind stay linearizable")]
    public void Three_node_clusters_stay_linearizable_under_all_faults() =>
        RunAndCheck(Options(3), nameof(Three_node_clusters_stay_linearizable_under_all_faults));

    [Fact(DisplayName = "Simulation: 5-node clusters under every fault kind stay linearizable")]
    public void Five_node_clusters_stay_linearizable_under_all_faults() =>
        RunAndCheck(Options(5), nameof(Five_node_clusters_stay_linearizable_under_all_faults));

    [Fact(DisplayName = "Simulation: 5-node clusters whose voters are replaced in joint changes (some by disjoint sets) stay linearizable")]
    public void Joint_changes_stay_linearizable() =>
        RunAndCheck(Options(5) with { JointChanges = true, FaultIntervalMs = 100 }, nameof(Joint_changes_stay_linearizable), defaultSeeds: 500);

    [Fact(DisplayName = "Simulation: 3-node clusters serving lease reads under clock drift stay linearizable")]
    public void Lease_reads_under_clock_drift_stay_linearizable() =>
        RunAndCheck(Options(3) with { LeaseReads = true }, nameof(Lease_reads_under_clock_drift_stay_linearizable), defaultSeeds: 300);

    [Fact(DisplayName = "Simulation: 5-node clusters without pre-vote and check-quorum, with tight flow-control limits, stay linearizable")]
    public void Plain_raft_with_tight_limits_stays_linearizable() =>
        RunAndCheck(Options(5) with
        {
            Configure = c => c with { PreVote = false, CheckQuorum = false, MaxInflightMessages = 1, MaxAppendEntriesBytes = 1 },
        }, nameof(Plain_raft_with_tight_limits_stays_linearizable), defaultSeeds: 300);

    /// <summary>The options of the randomized runs for a cluster of <paramref name="nodes"/> (one client per node, at least 4).</summary>
    internal static SimulationOptions Options(int nodes) => new() { Nodes = nodes, Clients = Math.Max(4, nodes) };

    private void RunAndCheck(SimulationOptions options, string method, int defaultSeeds = DefaultSeeds)
    {
        var seeds = SimulationRunner.SeedsFromEnvironment(defaultSeeds);
        if (seeds.Count == 1)
        {
            // Reproducing one seed: keep a trace of what happened (role changes, faults, configurations).
            var trace = Path.Combine(Path.GetTempPath(), $"akkaraft-sim-{options.Nodes}n-seed-{seeds[0]}.trace");
            var lines = new List<string>();
            options = options with { Trace = lines.Add };
            output.WriteLine($"trace of seed {seeds[0]}: {trace}");
            Console.WriteLine($"trace of seed {seeds[0]}: {trace}");
            try
            {
                RunAndReport(options, method, seeds);
            }
            finally
            {
                File.WriteAllLines(trace, lines);
            }
            return;
        }
        RunAndReport(options, method, seeds);
    }

    private void RunAndReport(SimulationOptions options, string method, IReadOnlyList<ulong> seeds)
    {
        var totals = SimulationRunner.RunMany(seeds, options);
        var variant = options.LeaseReads ? " lease-read" : options.JointChanges ? " joint-change" : options.Configure is null ? "" : " plain-raft tight-limits";
        var summary = totals.Describe($"{options.Nodes}-node{variant} simulation");
        output.WriteLine(summary);
        Console.WriteLine(summary);
        foreach (var failure in totals.Failures.Take(5))
        {
            var line = $"FAILED {failure.Failure}{Environment.NewLine}  reproduce: AKKARAFT_SIM_SEED={failure.Seed} dotnet test tests/AkkaRaft.Raft.Tests --filter \"FullyQualifiedName~RandomizedSimulationTests.{method}\"";
            output.WriteLine(line);
            Console.WriteLine(line);
        }
        Assert.True(totals.Failures.Count == 0,
            $"{totals.Failures.Count} of {totals.Seeds} seeds failed; first: seed {totals.Failures.FirstOrDefault()?.Seed}. "
            + $"Reproduce: AKKARAFT_SIM_SEED={totals.Failures.FirstOrDefault()?.Seed} dotnet test tests/AkkaRaft.Raft.Tests --filter \"FullyQualifiedName~RandomizedSimulationTests.{method}\"");
        Assert.True(totals.Completed > totals.Operations / 2, $"only {totals.Completed} of {totals.Operations} operations returned: the runs are not exercising much");
    }
}
