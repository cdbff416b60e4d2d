using System.Diagnostics;
using AkkaRaft.Simulation.Tests.Support;
using AkkaRaft.TestSupport.Linearizability;
using Xunit.Abstractions;

namespace AkkaRaft.Simulation.Tests;

/// <summary>
/// Groups of 3 and 5 peers (the pure peer logic, no actors) under seeded faults: message loss, duplicates and long
/// delays, partitions (isolating and one-way), power losses that lose unflushed journal writes (leaders also while they
/// save a snapshot record), restarts from snapshot record plus journal tail, leadership transfers. Every history is
/// checked for linearizability, and the final consistent reads after healing show that acknowledged writes survived.
/// Seeds per group size: AKKARAFT_PEER_SEEDS (default 500); one seed only: AKKARAFT_PEER_SEED (its trace goes to the
/// file AKKARAFT_TRACE names, when set).
/// </summary>
public sealed class PeerClusterSimulationTests(ITestOutputHelper output)
{
    private const int DefaultSeeds = 500;

    [Fact]
    public void Three_peer_groups_stay_linearizable_and_keep_acknowledged_writes_under_faults_and_crashes() =>
        PeerSeeds.Run(output, nameof(Three_peer_groups_stay_linearizable_and_keep_acknowledged_writes_under_faults_and_crashes),
            seed => new PeerSimulationOptions { Peers = 3, LeaseReads = seed % 2 == 0 }, firstSeed: 1, DefaultSeeds);

    [Fact]
    public void A_seed_replays_exactly()
    {
        var first = new SimulatedPeerCluster(77, new PeerSimulationOptions { Peers = 3 });
        var firstReport = first.Run();
        var second = new SimulatedPeerCluster(77, new PeerSimulationOptions { Peers = 3 });
        var secondReport = second.Run();

        Assert.Equal(firstReport, secondReport);
        Assert.Equal(first.History.Operations.Select(o => o.ToString()), second.History.Operations.Select(o => o.ToString()));
    }

    [Fact]
    public void Disks_that_acknowledge_writes_before_flushing_them_lose_acknowledged_writes_and_the_checker_says_so()
    {
        // The simulation's own safety checks are off and a peer that breaks an invariant is restarted (as its
        // supervisor would): the linearizability checker alone must find the lost acknowledged writes.
        var caught = -1;
        CheckResult? check = null;
        for (var seed = 500_000; seed < 500_100 && caught < 0; seed++)
        {
            var options = new PeerSimulationOptions
            {
                Peers = 3,
                LyingDisks = true,
                MaxDiskLatency = TimeSpan.FromMilliseconds(400),
                FaultInterval = TimeSpan.FromMilliseconds(150),
                Operations = 80,
                CheckSafety = false,
                SuperviseInvariantViolations = true,
            };
            var cluster = new SimulatedPeerCluster(seed, options);
            cluster.Run();
            check = LinearizabilityChecker.Check(cluster.History.Operations);
            if (check.Verdict == Verdict.NotLinearizable) caught = seed;
        }

        Assert.True(caught >= 0, "100 seeds with disks that lose acknowledged writes all looked linearizable: the simulation is too weak to catch the bug");
        output.WriteLine($"lying disks caught at seed {caught}:\n{check}");

        // The same seed on honest disks is linearizable: what the checker found is the lying disks' doing.
        var honest = new SimulatedPeerCluster(caught, new PeerSimulationOptions
        {
            Peers = 3,
            MaxDiskLatency = TimeSpan.FromMilliseconds(400),
            FaultInterval = TimeSpan.FromMilliseconds(150),
            Operations = 80,
        });
        honest.Run();
        Assert.True(LinearizabilityChecker.Check(honest.History.Operations).IsLinearizable, $"seed {caught} is not linearizable on honest disks either");
    }
}

/// <summary>The five-peer runs, in their own class so that xunit runs them beside the three-peer ones.</summary>
public sealed class FivePeerClusterSimulationTests(ITestOutputHelper output)
{
    private const int DefaultSeeds = 500;

    [Fact]
    public void Five_peer_groups_stay_linearizable_and_keep_acknowledged_writes_under_faults_and_crashes() =>
        PeerSeeds.Run(output, nameof(Five_peer_groups_stay_linearizable_and_keep_acknowledged_writes_under_faults_and_crashes),
            seed => new PeerSimulationOptions { Peers = 5, Clients = 5, LeaseReads = seed % 2 == 1 }, firstSeed: 100_001, DefaultSeeds);
}

/// <summary>
/// Eight peers: five founding voters and three empty joiners. Under the clients' load, crashes (at most two peers down)
/// and partitions, an operator makes the joiners learners and then replaces all five voters by the three in one
/// SetConfiguration (a joint configuration, thesis 4.3). Linearizable, every acknowledged write survives, the answer
/// comes after the joint configuration was left, and the new voters end in the final configuration.
/// Seeds: AKKARAFT_MEMBERSHIP_SEEDS (default 500).
/// </summary>
public sealed class VoterReplacementSimulationTests(ITestOutputHelper output)
{
    private const int DefaultSeeds = 500;

    [Fact]
    public void Replacing_five_voters_by_three_disjoint_ones_in_one_change_under_load_and_faults_stays_linearizable() =>
        PeerSeeds.Run(output, nameof(Replacing_five_voters_by_three_disjoint_ones_in_one_change_under_load_and_faults_stays_linearizable),
            seed => new PeerSimulationOptions { Peers = 5, Joiners = 3, Clients = 4, Operations = 50, MaxDown = 2, LeaseReads = seed % 2 == 0 },
            firstSeed: 200_001, DefaultSeeds, "AKKARAFT_MEMBERSHIP_SEEDS");
}

/// <summary>Runs many seeds of one kind of group, checks each history, and reports what the runs did.</summary>
internal static class PeerSeeds
{
    public static void Run(ITestOutputHelper output, string testName, Func<int, PeerSimulationOptions> options, int firstSeed, int defaultSeeds,
        string seedsVariable = "AKKARAFT_PEER_SEEDS")
    {
        var seeds = SeedsToRun(firstSeed, defaultSeeds, seedsVariable);
        var traceFile = seeds.Count == 1 ? Environment.GetEnvironmentVariable("AKKARAFT_TRACE") : null;
        using var trace = traceFile is null ? null : new StreamWriter(traceFile);
        var watch = Stopwatch.StartNew();
        long operations = 0, completed = 0, timedOut = 0, faults = 0, crashes = 0, lost = 0, dropped = 0, delayed = 0, duplicated = 0, batches = 0, events = 0, simulated = 0;
        var virtualTime = TimeSpan.Zero;
        var replacedUnderLoad = 0;
        foreach (var seed in seeds)
        {
            PeerSimulationReport report;
            CheckResult check;
            try
            {
                var cluster = new SimulatedPeerCluster(seed, options(seed) with { Trace = trace is null ? null : trace.WriteLine });
                report = cluster.Run();
                if (cluster.Replacement is { } replacement && replacement.DoneAt <= cluster.LoadEndedAt) replacedUnderLoad++;
                check = LinearizabilityChecker.Check(cluster.History.Operations);
            }
            catch (Exception e)
            {
                throw new Xunit.Sdk.XunitException($"seed {seed} failed: {e}\nrepro: {Repro(seed, testName)}");
            }
            Assert.True(check.IsLinearizable, $"seed {seed}: {check.Describe()}\nrepro: {Repro(seed, testName)}");
            operations += report.Operations;
            completed += report.Completed;
            timedOut += report.TimedOut;
            faults += report.Faults;
            crashes += report.Crashes;
            lost += report.LostWrites;
            dropped += report.Dropped;
            delayed += report.Delayed;
            duplicated += report.Duplicated;
            batches += report.Batches;
            events += report.Events;
            simulated += report.SimulatorEvents;
            virtualTime += report.VirtualTime;
        }
        if (seeds.Count > 1)
        {
            // Faults that make every run trivially pass would hide bugs: the runs must crash peers and lose writes.
            Assert.True(crashes > 0, "no run crashed a peer");
            Assert.True(lost > 0, "no crash lost an unflushed write");
            Assert.True(completed > operations / 2, $"only {completed} of {operations} operations completed");
        }
        var line = $"{testName}: {seeds.Count} seeds, {operations} ops ({completed} answered, {timedOut} timed out), {faults} faults, "
            + $"{crashes} crashes losing {lost} unflushed writes, {dropped} messages dropped, {delayed} delayed, {duplicated} duplicated, "
            + $"{batches} journal writes of {events} events, {simulated} simulator events, {virtualTime.TotalSeconds:F0} s virtual in {watch.Elapsed.TotalSeconds:F1} s"
            + (replacedUnderLoad > 0 ? $", voters replaced under load in {replacedUnderLoad} seeds" : "");
        output.WriteLine(line);
        Console.WriteLine(line);
    }

    private static List<int> SeedsToRun(int firstSeed, int defaultSeeds, string seedsVariable)
    {
        if (int.TryParse(Environment.GetEnvironmentVariable("AKKARAFT_PEER_SEED"), out var single)) return [single];
        var count = int.TryParse(Environment.GetEnvironmentVariable(seedsVariable), out var n) && n > 0 ? n : defaultSeeds;
        return Enumerable.Range(firstSeed, count).ToList();
    }

    private static string Repro(int seed, string testName) =>
        $"AKKARAFT_PEER_SEED={seed} dotnet test tests/AkkaRaft.Simulation.Tests -c Release --filter \"FullyQualifiedName~{testName}\"";
}
