using System.Globalization;
using AkkaRaft.Faults.Nemesis;
using AkkaRaft.TestSupport.Linearizability;
using Xunit.Abstractions;

namespace AkkaRaft.Faults.Tests;

/// <summary>
/// The short schedule CI runs on every submission (issue #20, point 4 and 5): real nodes in network namespaces under
/// every kind of fault for 185 seconds, which must stay linearizable, with the link faults' frames really carried by the
/// proxy; 45 seconds of kills, pauses and a partition with TLS between the nodes; then the two deliberate bugs the harness must
/// catch: 30 seconds with stale consistent reads served on purpose, and 20 seconds of disk-full-followers with followers
/// that acknowledge before their write is durable. They need root, <c>ip netns</c> and iptables, and fail (never skip)
/// without them. The seed changes from run to run (set <c>AKKARAFT_FAULTS_SEED</c> to repeat one); a failure names
/// the history file and the command that re-checks it.
/// </summary>
[Collection(FaultRunCollection.Name)]
[Trait("Category", "Faults")]
public sealed class ShortScheduleTests(ITestOutputHelper output)
{
    // Long enough for a seed whose schedule deals every kind once (about 11 seconds a fault, sixteen kinds: about 1 seed
    // in 5 deals them all in 175 seconds), with Slack to spare.
    private static readonly TimeSpan ShortSchedule = TimeSpan.FromSeconds(185);

    // A fault that ends more than a second late moves the rest of the schedule later by as much: disk-full-followers
    // outlasts its hold while the others elect (a second or two), partition-flapping's last flap can run past the hold,
    // and a link fault's heal starts and waits for a dozen `ip netns exec` commands (on a loaded 2-core machine, seed
    // 2042's schedule ran 7.9 s late by its last fault). The seed must deal every kind that much before the end, or the
    // last fault would be skipped. Link faults also hold their whole time from when their links go through the proxy,
    // after finding the leader (seed 38223's schedule, in CI, ran 12 s late before its link-duplicate-reorder).
    private static readonly TimeSpan Slack = TimeSpan.FromSeconds(15);

    [Fact]
    public async Task A_three_node_cluster_stays_linearizable_through_every_kind_of_fault()
    {
        var seed = SeedDealingEveryKind(ShortSchedule - Slack);
        var (report, printed) = await RunAsync(new FaultRunOptions(3, ShortSchedule, seed, OutputRoot()));
        Assert.True(report.Passed, $"the short schedule (seed {seed}) failed:\n{printed}");
        Assert.Equal(FaultSchedule.AllKinds.Count, report.Faults.Count);
        // The link faults really went through the proxy: frames were carried late, twice, and out of order.
        Assert.True(report.Links.FramesOut > 0 && report.Links.MeanDelay > TimeSpan.Zero, $"the link proxy carried no frame (seed {seed}): {report.Links}\n{printed}");
        Assert.True(report.Links.Duplicated > 0, $"the link proxy duplicated no frame (seed {seed}): {report.Links}");
        Assert.True(report.Links.Reordered > 0, $"the link proxy reordered no frame (seed {seed}): {report.Links}");
        Directory.Delete(report.Directory, recursive: true);
    }

    [Fact]
    public async Task A_cluster_with_TLS_between_its_nodes_stays_linearizable_through_kills_pauses_and_a_partition()
    {
        var seed = BaseSeed();
        // A short log (200 entries) makes a node that was down or cut off catch up from a snapshot, through the TLS
        // snapshot port; the link faults cannot run over TLS.
        var options = new FaultRunOptions(3, TimeSpan.FromSeconds(45), seed, OutputRoot())
        {
            RemoteTls = true,
            MaxLogCount = 200,
            Kinds = [FaultKind.KillRandom, FaultKind.KillLeader, FaultKind.PauseFollower, FaultKind.PartitionLeader],
        };
        var (report, printed) = await RunAsync(options);
        Assert.True(report.Passed, $"the TLS run (seed {seed}) failed:\n{printed}");
        foreach (var log in Directory.EnumerateFiles(report.Directory, "n*.log"))
        {
            // Each start of the node said its Raft port (and snapshot port) speaks TLS.
            Assert.Matches(@"listening: .* Raft 10\.77\.0\.\d+:\d+ \(TLS\)", await File.ReadAllTextAsync(log));
        }

        Directory.Delete(report.Directory, recursive: true);
    }

    [Fact]
    public async Task Stale_consistent_reads_served_on_purpose_are_reported_as_a_violation()
    {
        var seed = BaseSeed();
        var (report, printed) = await RunAsync(new FaultRunOptions(3, TimeSpan.FromSeconds(30), seed, OutputRoot()) { UnsafeStaleReads = true });
        Assert.True(report.Check.Verdict == Verdict.NotLinearizable,
            $"with akkaraft.raft.unsafe-stale-consistent-reads = on (seed {seed}) the harness did not catch a stale read:\n{printed}");
        Directory.Delete(report.Directory, recursive: true);
    }

    [Fact]
    public async Task Followers_that_acknowledge_before_fsync_on_purpose_lose_acknowledged_writes_and_are_reported()
    {
        var seed = BaseSeed();
        var options = new FaultRunOptions(3, TimeSpan.FromSeconds(20), seed, OutputRoot()) { UnsafeAckBeforeFsync = true, Kinds = [FaultKind.DiskFullFollowers] };
        var (report, printed) = await RunAsync(options);
        // Either the checker sees an acknowledged write lost, or a follower that lost entries it had acknowledged
        // breaks the peer's invariant when the leader tells it they are committed (docs/FAULTS.md says how often each).
        Assert.True(report.Check.Verdict == Verdict.NotLinearizable || report.BrokenInvariants.Count > 0,
            $"with akkaraft.raft.unsafe-ack-before-fsync = on (seed {seed}) disk-full-followers lost no acknowledged write the harness saw:\n{printed}");
        Assert.False(report.Passed);
        Directory.Delete(report.Directory, recursive: true);
    }

    private async Task<(RunReport Report, string Printed)> RunAsync(FaultRunOptions options)
    {
        using var log = new StringWriter(CultureInfo.InvariantCulture);
        try
        {
            var report = await FaultRun.RunAsync(options, TextWriter.Synchronized(log), CancellationToken.None);
            FaultRun.Print(report, log);
            return (report, log.ToString());
        }
        finally
        {
            output.WriteLine(log.ToString());
        }
    }

    private static string OutputRoot() => Path.Combine(Path.GetTempPath(), "akf-ci");

    private static int BaseSeed() =>
        Environment.GetEnvironmentVariable("AKKARAFT_FAULTS_SEED") is { Length: > 0 } text
            ? int.Parse(text, CultureInfo.InvariantCulture)
            : Environment.TickCount & 0xffff;

    /// <summary>
    /// The first seed from <see cref="BaseSeed"/> on whose schedule every kind of fault fits in <paramref name="duration"/>
    /// (a longer run of the same seed deals the same faults first).
    /// </summary>
    private static int SeedDealingEveryKind(TimeSpan duration)
    {
        for (var seed = BaseSeed(); ; seed++)
        {
            if (FaultSchedule.Create(seed, duration, FaultSchedule.AllKinds).Count >= FaultSchedule.AllKinds.Count) return seed;
        }
    }
}

/// <summary>The fault runs go one at a time (they share the harness's network prefix and its lock), and not beside each other.</summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class FaultRunCollection
{
    /// <summary>The collection's name.</summary>
    public const string Name = "fault runs";
}
