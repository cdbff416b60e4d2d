using AkkaRaft.Client;
using AkkaRaft.Client.Kv;
using AkkaRaft.Kv;
using AkkaRaft.Raft.Core.Tracker;
using AkkaRaft.Raft.Peer;
using Group = AkkaRaft.Simulation.Tests.PeerClusterBasicTests.Group;

namespace AkkaRaft.Simulation.Tests;

/// <summary>What a peer's status tells about its group (members and their replication) and its commit latency, in the simulation.</summary>
public sealed class PeerStatusMetricsTests
{
    [Fact]
    public void The_commit_latency_histogram_counts_every_acknowledged_write_once_and_its_sum_grows()
    {
        var group = new Group(seed: 41);
        var leader = group.WaitForLeader();
        var follower = group.Ids.First(id => id != leader);
        Assert.Equal(0, group.Status(leader).CommitLatency.Count);

        var acknowledged = 0;
        for (var i = 0; i < 5; i++)
        {
            // Writes sent to a follower are forwarded and timed by the leader that proposes them.
            var target = i % 2 == 0 ? leader : follower;
            if (group.Ask(target, new Write(KvCommands.Put($"k{i}", "v"))) is WriteResult) acknowledged++;
        }

        var first = group.Status(leader).CommitLatency;
        Assert.Equal(5, acknowledged);
        Assert.Equal(acknowledged, first.Count);
        Assert.Equal(first.Count, first.BucketCounts.Sum());
        Assert.Equal(CommitLatencyHistogram.BucketBoundsSeconds.Count + 1, first.BucketCounts.Count);
        Assert.True(first.Sum > TimeSpan.Zero, "five writes through a simulated disk took no virtual time");

        var probes = Enumerable.Range(0, 20).Select(i => group.Simulator.Send(leader, new Write(KvCommands.Put($"c{i}", "v")))).ToList();
        Assert.True(group.Simulator.RunUntil(() => probes.All(p => p.Answer is not null), TimeSpan.FromSeconds(5)));
        acknowledged += probes.Count(p => p.Answer is WriteResult);

        var second = group.Status(leader).CommitLatency;
        Assert.Equal(25, acknowledged);
        Assert.Equal(acknowledged, second.Count);
        Assert.Equal(second.Count, second.BucketCounts.Sum());
        Assert.True(second.Sum > first.Sum, $"the sum did not grow: {first.Sum} then {second.Sum}");
        foreach (var id in group.Ids.Where(id => id != leader)) Assert.Equal(0, group.Status(id).CommitLatency.Count);
    }

    [Fact]
    public void A_write_that_times_out_is_not_counted_as_committed()
    {
        var group = new Group(seed: 42);
        var leader = group.WaitForLeader();
        Assert.IsType<WriteResult>(group.Ask(leader, new Write(KvCommands.Put("k", "v"))));
        group.Network.Isolate(leader, group.Ids);

        Assert.IsType<RequestTimedOut>(group.Ask(leader, new Write(KvCommands.Put("k", "lost"), TimeSpan.FromMilliseconds(200))));
        Assert.Equal(1, group.Status(leader).CommitLatency.Count);
    }

    [Fact]
    public void The_leader_reports_every_member_with_its_match_index_and_a_follower_reports_the_members_without_progress()
    {
        var group = new Group(seed: 43);
        var leader = group.WaitForLeader();
        for (var i = 0; i < 3; i++) Assert.IsType<WriteResult>(group.Ask(leader, new Write(KvCommands.Put($"k{i}", "v"))));
        group.Simulator.RunFor(TimeSpan.FromMilliseconds(300));

        var status = group.Status(leader);
        Assert.Equal(group.Ids, status.Members.Select(m => m.NodeId));
        Assert.All(status.Members, m => Assert.True(m.IsVoter));
        foreach (var member in status.Members)
        {
            var progress = Assert.IsType<ReplicationProgress>(member.Progress);
            Assert.Equal(status.LastIndex, progress.Match);
            Assert.Equal(status.LastIndex + 1, progress.Next);
            if (member.NodeId != leader) Assert.Equal(ProgressState.Replicate, progress.State);
        }

        var follower = group.Status(group.Ids.First(id => id != leader));
        Assert.Equal(group.Ids, follower.Members.Select(m => m.NodeId));
        Assert.All(follower.Members, m => Assert.Null(m.Progress));
    }

    [Fact]
    public void A_lagging_member_shows_a_match_index_behind_the_others()
    {
        var group = new Group(seed: 44);
        var leader = group.WaitForLeader();
        group.Simulator.RunFor(TimeSpan.FromMilliseconds(200));
        var lagging = group.Ids.First(id => id != leader);
        group.Network.Cut(leader, lagging);
        for (var i = 0; i < 3; i++) Assert.IsType<WriteResult>(group.Ask(leader, new Write(KvCommands.Put($"k{i}", "v"))));

        var status = group.Status(leader);
        var behind = status.Members.Single(m => m.NodeId == lagging).Progress!;
        var upToDate = status.Members.Single(m => m.NodeId != lagging && m.NodeId != leader).Progress!;
        Assert.True(behind.Match + 3 <= upToDate.Match, $"lagging match {behind.Match}, up-to-date match {upToDate.Match}");

        group.Network.HealAll();
        Assert.True(group.Simulator.RunUntil(
            () => group.Status(leader).Members.Single(m => m.NodeId == lagging).Progress!.Match == group.Status(leader).LastIndex,
            TimeSpan.FromSeconds(5)), "the healed member did not catch up");
    }
}
