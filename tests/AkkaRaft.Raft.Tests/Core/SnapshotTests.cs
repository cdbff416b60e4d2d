using AkkaRaft.Raft.Core;
using AkkaRaft.TestSupport.Simulation;

namespace AkkaRaft.Raft.Tests.Core;

public class SnapshotTests
{
    private static (RaftNetwork Net, ulong Leader, ulong Lagging, byte[] Data) CompactedClusterWithLaggingFollower()
    {
        var net = new RaftNetwork(3);
        var leader = net.TickUntilLeader();
        var lagging = net.Nodes.Keys.First(id => id != leader);
        net.Isolate(lagging);
        for (var i = 0; i < 20; i++) net.Propose(leader, $"c{i}");
        var data = Enumerable.Range(0, 1000).Select(i => (byte)i).ToArray();
        var applied = net.Raft(leader).AppliedIndex;
        Assert.True(net.Raft(leader).CompactLog(applied, data));
        net.Stabilize();
        Assert.Equal(applied + 1, net.Raft(leader).FirstIndex);
        Assert.Equal(0, net[leader].Storage.EntryCount);
        return (net, leader, lagging, data);
    }

    [Fact(DisplayName = "Raft §7: a follower behind the compacted log receives the snapshot, whole, and catches up")]
    public void Lagging_follower_is_sent_the_snapshot()
    {
        var (net, leader, lagging, data) = CompactedClusterWithLaggingFollower();
        net.Heal();
        net.TickAll(3);
        net.Propose(leader, "after");
        net.TickAll(2);
        var sent = Assert.Single(net.Delivered.OfType<InstallSnapshot>(), m => m.To == lagging);
        Assert.Equal(data, sent.Snapshot.Data);
        Assert.Equal(data, net[lagging].RestoredSnapshot!.Data);
        Assert.Equal(data, net[lagging].Storage.Snapshot.Data);
        Assert.Equal(["after"], net[lagging].AppliedCommands());
        Assert.Equal(net.Raft(leader).CommitIndex, net.Raft(lagging).CommitIndex);
    }

    [Fact(DisplayName = "Raft §7: a lost snapshot is sent again after an election timeout of unanswered heartbeats, not at every one")]
    public void Lost_snapshot_is_sent_again_after_an_election_timeout()
    {
        var (net, leader, lagging, data) = CompactedClusterWithLaggingFollower();
        net.Heal();
        var dropped = false;
        net.DropFilter = m =>
        {
            if (dropped || m is not InstallSnapshot) return false;
            dropped = true;
            return true;
        };
        var electionTicks = net.Raft(leader).Config.ElectionTicks;
        net.TickAll(electionTicks - 2);
        Assert.True(dropped);
        Assert.DoesNotContain(net.Delivered.OfType<InstallSnapshot>(), m => m.To == lagging);
        net.TickAll(4);
        Assert.Single(net.Delivered.OfType<InstallSnapshot>(), m => m.To == lagging);
        Assert.Equal(data, net[lagging].Storage.Snapshot.Data);
        Assert.Equal(net.Raft(leader).LastIndex, net.Raft(lagging).LastIndex);
    }

    [Fact(DisplayName = "Raft §7: a snapshot that covers no more than the follower's commit index is not installed")]
    public void Snapshot_not_newer_than_commit_is_ignored()
    {
        var solo = TestNodes.Node(2, TestNodes.Ids(3), [1, 1, 1], hardState: new HardState(1, 0, 3));
        var metadata = new SnapshotMetadata(2, 1, ConfState.OfVoters(1, 2, 3));
        var reply = solo.Step(new InstallSnapshot(1, 2, 1, new Snapshot(metadata, [1, 2, 3])));
        var response = Assert.IsType<AppendEntriesResponse>(Assert.Single(reply));
        Assert.Equal((true, 3UL), (response.Success, response.Index));
        Assert.Equal(0UL, solo.Storage.Snapshot.Metadata.Index);
    }

    [Fact(DisplayName = "Raft §7: compaction is refused beyond the applied index")]
    public void Compaction_beyond_applied_is_refused()
    {
        var net = new RaftNetwork(1);
        net.TickUntilLeader();
        net.Propose(1, "a");
        Assert.False(net.Raft(1).CompactLog(net.Raft(1).AppliedIndex + 1, [1]));
        Assert.True(net.Raft(1).CompactLog(net.Raft(1).AppliedIndex, [1]));
    }

    [Fact(DisplayName = "Raft §7: a node restarted after compaction resumes from its snapshot")]
    public void Restart_after_compaction_resumes_from_snapshot()
    {
        var (net, leader, _, data) = CompactedClusterWithLaggingFollower();
        net.Propose(leader, "tail");
        net.Crash(leader);
        net.Restart(leader);
        Assert.Equal(data, net[leader].RestoredSnapshot!.Data);
        net.Heal();
        net.TickUntilLeader();
        net.TickAll(3);
        Assert.Contains("tail", net[leader].AppliedCommands());
    }
}
