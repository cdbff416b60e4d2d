using AkkaRaft.Client;
using AkkaRaft.Client.Kv;
using System.Text;
using AkkaRaft.Kv;
using AkkaRaft.Raft.Core;
using AkkaRaft.Raft.Peer;
using AkkaRaft.Simulation.Tests.Support;

namespace AkkaRaft.Simulation.Tests;

/// <summary>Plain scenarios of a simulated 3-peer group (the pure peer logic) without faults: writes, reads, forwarding, restarts, snapshots, membership.</summary>
public sealed class PeerClusterBasicTests
{
    [Fact]
    public void A_three_peer_group_elects_a_leader_and_answers_a_write_with_the_result_and_the_leader()
    {
        var group = new Group(seed: 11);
        var leader = group.WaitForLeader();
        var answer = group.Ask(leader, new Write(KvCommands.Put("k", "v1")));
        var written = Assert.IsType<WriteResult>(answer);
        Assert.Equal(leader, written.Leader);
        Assert.True(KvResult.Decode(written.Response).IsOk);
        var read = Assert.IsType<QueryResponse>(group.Ask(leader, new Query(KvQueries.Get("k"), ReadLevel.Consistent)));
        Assert.Equal("v1", Value(read));
        Assert.Equal(ReadPath.ReadIndex, read.ServedBy);
    }

    [Fact]
    public void A_follower_forwards_a_write_to_the_leader_or_answers_not_leader_with_the_hint_as_the_request_asks()
    {
        var group = new Group(seed: 12);
        var leader = group.WaitForLeader();
        group.Simulator.RunFor(TimeSpan.FromMilliseconds(200));
        var follower = group.Ids.First(id => id != leader);

        var forwarded = Assert.IsType<WriteResult>(group.Ask(follower, new Write(KvCommands.Put("k", "via follower"))));
        Assert.Equal(leader, forwarded.Leader);
        var refused = Assert.IsType<NotLeader>(group.Ask(follower, new Write(KvCommands.Put("k", "refused"), OnNotLeader: NotLeaderPolicy.Reject)));
        Assert.Equal(leader, refused.LeaderHint);

        var read = Assert.IsType<QueryResponse>(group.Ask(follower, new Query(KvQueries.Get("k"), ReadLevel.Consistent, OnNotLeader: NotLeaderPolicy.Reject)));
        Assert.Equal("via follower", Value(read));
        Assert.Equal(ReadPath.FollowerReadIndex, read.ServedBy); // answered by the follower itself
        Assert.IsType<NotLeader>(group.Ask(follower, new Query(KvQueries.Get("k"), ReadLevel.Default, OnNotLeader: NotLeaderPolicy.Reject)));
    }

    [Fact]
    public void An_empty_command_is_rejected_and_nothing_is_proposed()
    {
        var group = new Group(seed: 13);
        var leader = group.WaitForLeader();
        var before = group.Status(leader).LastIndex;
        Assert.IsType<RequestRejected>(group.Ask(leader, new Write([])));
        Assert.Equal(before, group.Status(leader).LastIndex);
    }

    [Fact]
    public void A_default_read_says_it_fell_back_to_read_index_when_lease_reads_are_off_and_uses_the_lease_when_on()
    {
        var off = new Group(seed: 14);
        var leader = off.WaitForLeader();
        off.Ask(leader, new Write(KvCommands.Put("k", "v")));
        Assert.Equal(ReadPath.ReadIndex, Assert.IsType<QueryResponse>(off.Ask(leader, new Query(KvQueries.Get("k")))).ServedBy);

        var on = new Group(seed: 14, leaseReads: true);
        leader = on.WaitForLeader();
        on.Ask(leader, new Write(KvCommands.Put("k", "v")));
        on.Simulator.RunFor(TimeSpan.FromMilliseconds(200));
        var read = Assert.IsType<QueryResponse>(on.Ask(leader, new Query(KvQueries.Get("k"))));
        Assert.Equal(ReadPath.Lease, read.ServedBy);
        Assert.Equal("v", Value(read));
    }

    [Fact]
    public void A_write_that_cannot_commit_times_out_with_the_request_timeout()
    {
        var group = new Group(seed: 15);
        var leader = group.WaitForLeader();
        group.Network.Isolate(leader, group.Ids);
        var answer = group.Ask(leader, new Write(KvCommands.Put("k", "lost"), TimeSpan.FromMilliseconds(200)));
        Assert.Equal(TimeSpan.FromMilliseconds(200), Assert.IsType<RequestTimedOut>(answer).After);
    }

    [Fact]
    public void Group_commit_puts_writes_that_arrive_during_a_journal_write_into_one_batch()
    {
        var group = new Group(seed: 16);
        var leader = group.WaitForLeader();
        group.Simulator.RunFor(TimeSpan.FromMilliseconds(200));
        var before = group.Status(leader).Counters;
        var probes = Enumerable.Range(0, 50).Select(i => group.Simulator.Send(leader, new Write(KvCommands.Put($"k{i}", "v")))).ToList();
        Assert.True(group.Simulator.RunUntil(() => probes.All(p => p.Answer is not null), TimeSpan.FromSeconds(5)));
        Assert.All(probes, p => Assert.IsType<WriteResult>(p.Answer));
        var after = group.Status(leader).Counters;
        var entries = after.EntriesPersisted - before.EntriesPersisted;
        var batches = after.JournalBatches - before.JournalBatches;
        Assert.True(entries >= 50, $"{entries} entries persisted");
        Assert.True(batches < entries / 5, $"{batches} journal batches for {entries} entries");
    }

    [Fact]
    public void Every_request_gets_exactly_one_answer()
    {
        var group = new Group(seed: 23);
        var leader = group.WaitForLeader();
        var follower = group.Ids.First(id => id != leader);
        var probes = new List<ProbeClient>();
        for (var i = 0; i < 20; i++)
        {
            probes.Add(group.Simulator.Send(i % 2 == 0 ? leader : follower, new Write(KvCommands.Put($"k{i % 3}", $"v{i}"))));
            probes.Add(group.Simulator.Send(i % 2 == 0 ? follower : leader, new Query(KvQueries.Get($"k{i % 3}"), (ReadLevel)(i % 3))));
        }
        probes.Add(group.Simulator.Send(leader, new Write([])));
        probes.Add(group.Simulator.Send(follower, new AddVoter(9)));

        Assert.True(group.Simulator.RunUntil(() => probes.All(p => p.Answer is not null), TimeSpan.FromSeconds(5)));
        group.Simulator.RunFor(TimeSpan.FromSeconds(2));
        Assert.All(probes, p => Assert.Equal(0, p.ExtraAnswers));
    }

    [Fact]
    public void Peers_compact_their_logs_and_a_restarted_group_recovers_from_snapshot_plus_tail_losing_nothing_acknowledged()
    {
        var group = new Group(seed: 17, maxLogCount: 10);
        var leader = group.WaitForLeader();
        for (var i = 0; i < 35; i++) Assert.IsType<WriteResult>(group.Ask(leader, new Write(KvCommands.Put($"k{i % 7}", $"v{i}"))));
        group.Simulator.RunFor(TimeSpan.FromMilliseconds(300));
        foreach (var id in group.Ids)
        {
            var status = group.Status(id);
            Assert.True(status.FirstIndex > 20, $"peer {id} still holds its log from {status.FirstIndex}");
            Assert.True(status.Counters.SnapshotsSaved > 0);
        }

        foreach (var id in group.Ids) group.Simulator.Crash(id);
        foreach (var id in group.Ids) group.Simulator.Start(id);
        leader = group.WaitForLeader();
        for (var k = 0; k < 7; k++)
        {
            var read = Assert.IsType<QueryResponse>(group.Ask(leader, new Query(KvQueries.Get($"k{k}"), ReadLevel.Consistent)));
            Assert.Equal($"v{28 + k}", Value(read));
        }
        Assert.True(group.Status(leader).FirstIndex > 20, "the restarted leader rebuilt its log without the snapshot");
    }

    [Fact]
    public void A_lagging_follower_receives_the_snapshot_and_catches_up()
    {
        var group = new Group(seed: 18, maxLogCount: 10);
        var leader = group.WaitForLeader();
        var lagging = group.Ids.First(id => id != leader);
        group.Simulator.Crash(lagging);
        for (var i = 0; i < 30; i++) Assert.IsType<WriteResult>(group.Ask(leader, new Write(KvCommands.Put($"k{i % 5}", $"v{i}"))));
        group.Simulator.Start(lagging);
        Assert.True(group.Simulator.RunUntil(() => group.Status(lagging).AppliedIndex >= group.Status(leader).CommitIndex, TimeSpan.FromSeconds(10)));
        Assert.True(group.Status(lagging).Counters.SnapshotsInstalled > 0, "the follower caught up without a snapshot");
        var read = Assert.IsType<QueryResponse>(group.Ask(lagging, new Query(KvQueries.Get("k4"), ReadLevel.Stale)));
        Assert.Equal("v29", Value(read));
        Assert.Equal(ReadPath.Local, read.ServedBy);
    }

    [Fact]
    public void A_voter_added_through_the_log_joins_with_an_empty_journal_and_catches_up()
    {
        var group = new Group(seed: 19);
        var leader = group.WaitForLeader();
        Assert.IsType<WriteResult>(group.Ask(leader, new Write(KvCommands.Put("k", "before join"))));
        group.Simulator.AddJoiningPeer(4);
        var changed = Assert.IsType<MembershipChanged>(group.Ask(leader, new AddVoter(4)));
        Assert.Equal(new ulong[] { 1, 2, 3, 4 }, changed.Voters);
        Assert.True(group.Simulator.RunUntil(() => group.Status(4).AppliedIndex >= changed.Index, TimeSpan.FromSeconds(10)));
        Assert.Equal("before join", Value(Assert.IsType<QueryResponse>(group.Ask(4, new Query(KvQueries.Get("k"), ReadLevel.Stale)))));
        Assert.IsType<RequestRejected>(group.Ask(leader, new AddVoter(0)));
    }

    [Fact]
    public void A_failed_journal_write_stops_the_leader_which_starts_again_from_its_disk_and_the_group_goes_on()
    {
        var group = new Group(seed: 20);
        var leader = group.WaitForLeader();
        Assert.IsType<WriteResult>(group.Ask(leader, new Write(KvCommands.Put("k", "before"))));
        group.Simulator.Peer(leader).Disk.FailNextWrite = true;
        // The client whose write was in the failed batch is not answered (the peer stopped): its own timeout tells it.
        var failed = group.Simulator.Send(leader, new Write(KvCommands.Put("k", "failed write")));
        group.Simulator.RunFor(TimeSpan.FromSeconds(1));
        Assert.Null(failed.Answer);
        Assert.Equal(1, group.Simulator.Restarts);
        Assert.True(group.Status(leader).Counters.RecoveredEvents > 0, "the peer did not recover from its journal after the failure");

        var newLeader = group.WaitForLeader();
        Assert.IsType<WriteResult>(group.Ask(newLeader, new Write(KvCommands.Put("k", "after"))));
        Assert.Equal("after", Value(Assert.IsType<QueryResponse>(group.Ask(newLeader, new Query(KvQueries.Get("k"), ReadLevel.Consistent)))));
    }

    [Fact]
    public void A_command_too_large_for_one_journal_event_is_refused_naming_the_setting_and_the_group_goes_on()
    {
        var group = new Group(seed: 21);
        var leader = group.WaitForLeader();
        var huge = new byte[group.MaxCommandBytes + 1];

        var refused = Assert.IsType<RequestRejected>(group.Ask(leader, new Write(huge)));

        Assert.Contains("max-event-bytes", refused.Reason);
        Assert.IsType<WriteResult>(group.Ask(leader, new Write(KvCommands.Put("k", "small"))));
    }

    [Fact]
    public void A_crash_loses_only_what_was_not_durable_and_the_restarted_peer_recovers_the_rest()
    {
        var group = new Group(seed: 22);
        var leader = group.WaitForLeader();
        for (var i = 0; i < 5; i++) Assert.IsType<WriteResult>(group.Ask(leader, new Write(KvCommands.Put("k", $"v{i}"))));
        var follower = group.Ids.First(id => id != leader);
        group.Simulator.RunFor(TimeSpan.FromMilliseconds(200));
        var durable = group.Status(follower).LastIndex;

        group.Simulator.Crash(follower);
        group.Simulator.Start(follower);

        var recovered = group.Status(follower);
        Assert.Equal(durable, recovered.LastIndex);
        Assert.True(recovered.Counters.RecoveredEvents > 0);
        Assert.True(group.Simulator.RunUntil(() => group.Status(follower).AppliedIndex >= group.Status(leader).CommitIndex, TimeSpan.FromSeconds(5)));
        Assert.Equal("v4", Value(Assert.IsType<QueryResponse>(group.Ask(follower, new Query(KvQueries.Get("k"), ReadLevel.Stale)))));
    }

    private static string? Value(QueryResponse read)
    {
        var result = KvResult.Decode(read.Response);
        return result.Status == KvStatus.Ok ? Encoding.UTF8.GetString(result.Pair!.Value.Span) : null;
    }

    /// <summary>A small fault-free group of simulated peers. AKKARAFT_TRACE names a file to trace the run to.</summary>
    internal sealed class Group
    {
        public Group(int seed, int peers = 3, int maxLogCount = 10_000, bool leaseReads = false, int learnerPromotionLag = 100)
        {
            var defaults = RaftPeerSettings.Default;
            Settings = defaults with
            {
                MaxLogCount = maxLogCount,
                Core = defaults.Core with { LeaseReads = leaseReads },
                LearnerPromotionLag = learnerPromotionLag,
            };
            Action<string>? trace = null;
            if (Environment.GetEnvironmentVariable("AKKARAFT_TRACE") is { } tracePath)
            {
                var writer = new StreamWriter(tracePath, append: true) { AutoFlush = true };
                trace = writer.WriteLine;
            }
            var options = new PeerSimulatorOptions { Peers = peers, Settings = Settings, MaxDiskLatency = TimeSpan.FromMilliseconds(5), Trace = trace };
            MaxCommandBytes = options.MaxCommandBytes;
            Simulator = new PeerSimulator(seed, options);
            Ids = Enumerable.Range(1, peers).Select(i => (ulong)i).ToArray();
        }

        public PeerSimulator Simulator { get; }

        public SimulatedNetwork Network => Simulator.Network;

        public ulong[] Ids { get; }

        public RaftPeerSettings Settings { get; }

        public long MaxCommandBytes { get; }

        public ulong WaitForLeader()
        {
            Assert.True(Simulator.RunUntil(() => Simulator.Leader() != 0, TimeSpan.FromSeconds(10)), "no leader within 10 s of virtual time");
            return Simulator.Leader();
        }

        public object Ask(ulong peer, object request) => Simulator.Ask(peer, request);

        public PeerStatus Status(ulong id) => Simulator.Status(id);
    }
}
