using AkkaRaft.Simulation.Tests.Support;
using AkkaRaft.TestSupport.Linearizability;
using Xunit.Abstractions;

namespace AkkaRaft.Simulation.Tests;

/// <summary>
/// Client sessions under the seeded faults of <see cref="PeerClusterSimulationTests"/> (loss, duplicates, delays,
/// partitions, crashes that lose unflushed writes, leadership transfers): every client writes through a session with
/// sequence numbers and retries each write, to whichever peer it now believes leads, until it is answered. Every put
/// must apply at most once (<see cref="SimulatedPeerCluster.WritesAppliedTwice"/>) and every history must be
/// linearizable. Seeds per group size: AKKARAFT_SESSION_SEEDS (default 500 for 3 peers and 500 for 5); one seed only:
/// AKKARAFT_PEER_SEED.
/// </summary>
public sealed class SessionSimulationTests(ITestOutputHelper output)
{
    private const int DefaultSeeds = 500;

    [Fact]
    public void Three_peer_groups_apply_every_session_write_at_most_once_and_stay_linearizable_while_clients_retry_through_faults() =>
        PeerSeeds.Run(output, nameof(Three_peer_groups_apply_every_session_write_at_most_once_and_stay_linearizable_while_clients_retry_through_faults),
            seed => Options(3, seed), firstSeed: 100_001, Seeds(), seedsVariable: "AKKARAFT_SESSION_SEEDS");

    [Fact]
    public void Retrying_the_same_writes_without_sequence_numbers_applies_some_twice_and_the_check_sees_it()
    {
        // The control experiment: the same clients, retrying the same way, but without exactly once. If no seed applied
        // a write twice, the simulation would be too gentle for the exactly-once check to mean anything.
        for (var seed = 200_001; seed <= 200_100; seed++)
        {
            var cluster = new SimulatedPeerCluster(seed, Options(3, seed) with { ExactlyOnce = false });
            cluster.Run();
            if (cluster.WritesAppliedTwice() is { Count: > 0 } twice)
            {
                output.WriteLine($"seed {seed}: {twice[0]}");
                return;
            }
        }
        Assert.Fail("100 seeds of retried writes without sequence numbers never applied a write twice: the faults are too gentle");
    }

    [Fact]
    public void A_session_seed_replays_exactly()
    {
        var first = new SimulatedPeerCluster(100_077, Options(3, 100_077));
        var firstReport = first.Run();
        var second = new SimulatedPeerCluster(100_077, Options(3, 100_077));
        Assert.Equal(firstReport, second.Run());
        Assert.Equal(first.History.Operations.Select(o => o.ToString()), second.History.Operations.Select(o => o.ToString()));
    }

    internal static PeerSimulationOptions Options(int peers, int seed) =>
        new() { Peers = peers, SessionClients = true, LeaseReads = seed % 2 == 0, Operations = 60 };

    internal static int Seeds() =>
        int.TryParse(Environment.GetEnvironmentVariable("AKKARAFT_SESSION_SEEDS"), out var n) && n > 0 ? n : DefaultSeeds;
}

/// <summary>The five-peer session runs, in their own class so that xunit runs them beside the three-peer ones.</summary>
public sealed class FivePeerSessionSimulationTests(ITestOutputHelper output)
{
    [Fact]
    public void Five_peer_groups_apply_every_session_write_at_most_once_and_stay_linearizable_while_clients_retry_through_faults() =>
        PeerSeeds.Run(output, nameof(Five_peer_groups_apply_every_session_write_at_most_once_and_stay_linearizable_while_clients_retry_through_faults),
            seed => SessionSimulationTests.Options(5, seed), firstSeed: 150_001, SessionSimulationTests.Seeds(), seedsVariable: "AKKARAFT_SESSION_SEEDS");
}
