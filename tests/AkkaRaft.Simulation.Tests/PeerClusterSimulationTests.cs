using System.Diagnostics;
using AkkaRaft.Simulation.Tests.Support;
using AkkaRaft.TestSupport.Linearizability;
using Xunit.Abstractions;

namespace AkkaRaft.Simulation.Tests;

/// <summary>
/// RaftPeer groups of 3 and 5 on the simulation dispatcher, under seeded faults: message loss and long delays,
/// partitions (isolating and one-way), peer crashes that lose unflushed journal writes (leaders also while they
/// save a snapshot), restarts from snapshot plus journal tail. Every history is checked for linearizability,
/// and the final consistent reads after healing show that acknowledged writes survived.
/// Seeds per group size: AKKARAFT_PEER_SEEDS (default 150); one seed only: AKKARAFT_PEER_SEED.
/// </summary>
public sealed class PeerClusterSimulationTests(ITestOutputHelper output)
{
    private const int DefaultSeeds = 150;

    [Fact]
    public void Three_peer_groups_stay_linearizable_and_keep_acknowledged_writes_under_faults_and_crashes() =>
        RunSeeds(nameof(Three_peer_groups_stay_linearizable_and_keep_acknowledged_writes_under_faults_and_crashes),
            seed => new PeerSimulationOptions { Peers = 3, LeaseReads = seed % 2 == 0 }, firstSeed: 1);

    [Fact]
    public void Five_peer_groups_stay_linearizable_and_keep_acknowledged_writes_under_faults_and_crashes() =>
        RunSeeds(nameof(Five_peer_groups_stay_linearizable_and_keep_acknowledged_writes_under_faults_and_crashes),
            seed => new PeerSimulationOptions { Peers = 5, Clients = 5, LeaseReads = seed % 2 == 1 }, firstSeed: 100_001);

    [Fact]
    public void Disks_that_acknowledge_writes_before_flushing_them_lose_acknowledged_writes_and_the_checker_says_so()
    {
        using var noContext = NoSynchronizationContext.Enter();
        var caught = 0;
        var how = "";
        var seed = 500_000;
        for (; seed < 500_100 && caught == 0; seed++)
        {
            var options = new PeerSimulationOptions { Peers = 3, LyingDisks = true, MaxDiskLatencyMs = 400, FaultIntervalMs = 150, Operations = 80 };
            try
            {
                var cluster = new SimulatedPeerCluster(seed, options);
                cluster.Run();
                var check = LinearizabilityChecker.Check(cluster.History.Operations);
                if (!check.IsLinearizable)
                {
                    caught++;
                    how = "history not linearizable on key " + check.Key;
                }
            }
            catch (Exception e) when (e is not Xunit.Sdk.XunitException)
            {
                // A broken invariant surfacing as a crash loop or a stuck run is the bug caught too.
                caught++;
                how = e.GetType().Name + ": " + e.Message.Split('\n')[0];
            }
        }
        output.WriteLine($"lying disks caught at seed {seed - 1}: {how}");
        Assert.True(caught > 0, "100 seeds with disks that lose acknowledged writes all looked linearizable: the simulation is too weak to catch the bug");
    }

    private void RunSeeds(string testName, Func<int, PeerSimulationOptions> options, int firstSeed)
    {
        using var noContext = NoSynchronizationContext.Enter();
        var seeds = SeedsToRun(firstSeed);
        var watch = Stopwatch.StartNew();
        long operations = 0, completed = 0, timedOut = 0, faults = 0, crashes = 0, lost = 0, dropped = 0, delayed = 0, duplicated = 0, batches = 0, events = 0;
        var virtualTime = TimeSpan.Zero;
        foreach (var seed in seeds)
        {
            PeerSimulationReport report;
            CheckResult check;
            try
            {
                var cluster = new SimulatedPeerCluster(seed, options(seed));
                report = cluster.Run();
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
            lost += report.LostChanges;
            dropped += report.Dropped;
            delayed += report.Delayed;
            duplicated += report.Duplicated;
            batches += report.Batches;
            events += report.Events;
            virtualTime += report.VirtualTime;
        }
        // Faults that make every run trivially pass would hide bugs: the runs must crash peers and lose writes.
        Assert.True(crashes > 0, "no run crashed a peer");
        Assert.True(completed > operations / 2, $"only {completed} of {operations} operations completed");
        var line = $"{testName}: {seeds.Count} seeds, {operations} ops ({completed} answered, {timedOut} timed out), {faults} faults, "
            + $"{crashes} crashes losing {lost} unflushed changes, {dropped} messages dropped, {delayed} delayed, {duplicated} duplicated, {batches} journal batches of {events} events, "
            + $"{virtualTime.TotalSeconds:F0} s virtual in {watch.Elapsed.TotalSeconds:F1} s";
        output.WriteLine(line);
        Console.WriteLine(line);
    }

    private static List<int> SeedsToRun(int firstSeed)
    {
        var one = Environment.GetEnvironmentVariable("AKKARAFT_PEER_SEED");
        if (int.TryParse(one, out var single)) return [single];
        var count = int.TryParse(Environment.GetEnvironmentVariable("AKKARAFT_PEER_SEEDS"), out var n) && n > 0 ? n : DefaultSeeds;
        return Enumerable.Range(firstSeed, count).ToList();
    }

    private static string Repro(int seed, string testName) =>
        $"AKKARAFT_PEER_SEED={seed} dotnet test tests/AkkaRaft.Simulation.Tests --filter \"FullyQualifiedName~{testName}\"";
}
