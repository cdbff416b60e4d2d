using AkkaRaft.Client;
using AkkaRaft.Raft.Core;
using AkkaRaft.TestSupport.Simulation;

namespace AkkaRaft.Raft.Tests.Core;

public class ReadTests
{
    [Fact(DisplayName = "Thesis 6.4: ReadIndex is confirmed once a quorum answers a heartbeat, at the commit index of the request")]
    public void Read_index_is_confirmed_by_a_quorum_heartbeat_round()
    {
        var net = new RaftNetwork(3);
        var leader = net.TickUntilLeader();
        net.Propose(leader, "x");
        var commit = net.Raft(leader).CommitIndex;
        Assert.True(net.Raft(leader).ReadIndex(7).IsAccepted);
        net.Stabilize();
        Assert.Equal(new ReadState(commit, 7), Assert.Single(net[leader].Reads));
    }

    [Fact(DisplayName = "Thesis 6.4: a leader cut off from its quorum never confirms a read")]
    public void Isolated_leader_never_confirms_a_read()
    {
        var net = new RaftNetwork(3);
        var leader = net.TickUntilLeader();
        net.Isolate(leader);
        Assert.True(net.Raft(leader).ReadIndex(1).IsAccepted);
        for (var i = 0; i < 30; i++) net.Tick(leader);
        Assert.Empty(net[leader].Reads);
    }

    [Fact(DisplayName = "Thesis 6.4 step 1: a new leader holds reads until it has committed an entry of its term")]
    public void New_leader_holds_reads_until_its_no_op_commits()
    {
        var solo = TestNodes.Leader(TestNodes.Ids(3), []);
        Assert.True(solo.Raft.ReadIndex(5).IsAccepted);
        Assert.DoesNotContain(solo.Drain(), m => m is Heartbeat);
        var afterCommit = solo.Step(new AppendEntriesResponse(2, 1, 1, true, 1, 0, 0));
        var heartbeat = Assert.IsType<Heartbeat>(afterCommit.First(m => m is Heartbeat));
        Assert.Empty(solo.Reads);
        solo.Step(new HeartbeatResponse(2, 1, 1, heartbeat.Round));
        Assert.Equal(new ReadState(1, 5), Assert.Single(solo.Reads));
    }

    [Fact(DisplayName = "Thesis 6.4: reads that arrive while a round is unconfirmed share one later round, sent after they arrived")]
    public void Reads_arriving_during_an_unconfirmed_round_share_the_next_round()
    {
        var solo = TestNodes.Leader(TestNodes.Ids(3), []);
        solo.Step(new AppendEntriesResponse(2, 1, 1, true, 1, 0, 0)); // the no-op commits
        Assert.True(solo.Raft.ReadIndex(1).IsAccepted);
        var first = solo.Drain().OfType<Heartbeat>().ToList();
        Assert.Equal([2UL, 3UL], first.Select(h => h.To).Order());

        for (ulong context = 2; context <= 11; context++) Assert.True(solo.Raft.ReadIndex(context).IsAccepted);
        Assert.Empty(solo.Drain().OfType<Heartbeat>()); // they wait for the round in flight

        // Confirming the first round releases only the first read (its round was sent before the others arrived)
        // and opens one round for the ten that waited.
        var next = solo.Step(new HeartbeatResponse(2, 1, 1, first[0].Round)).OfType<Heartbeat>().ToList();
        Assert.Equal(new ReadState(1, 1), Assert.Single(solo.Reads));
        Assert.Equal(2, next.Count);
        Assert.All(next, h => Assert.True(h.Round > first[0].Round));

        solo.Step(new HeartbeatResponse(3, 1, 1, next[0].Round));
        Assert.Equal(Enumerable.Range(1, 11).Select(c => (ulong)c), solo.Reads.Select(r => r.Context));
    }

    [Fact(DisplayName = "Thesis 6.4: a follower refuses ReadIndex and names the leader")]
    public void Follower_refuses_read_index_with_leader_hint()
    {
        var net = new RaftNetwork(3);
        var leader = net.TickUntilLeader();
        var follower = net.Nodes.Keys.First(id => id != leader);
        var result = net.Raft(follower).ReadIndex(1);
        Assert.Equal((RequestStatus.NotLeader, leader), (result.Status, result.LeaderHint));
    }

    [Fact(DisplayName = "Thesis 6.4.1: under a valid lease the leader answers a read without a round trip, and not after the lease ran out")]
    public void Lease_read_is_immediate_only_while_the_lease_holds()
    {
        var net = new RaftNetwork(3, c => c with { LeaseReads = true });
        var leader = net.TickUntilLeader(400);
        net.TickAll(2);
        Assert.True(net.Raft(leader).LeaseHolds());
        net.Isolate(leader);
        Assert.True(net.Raft(leader).LeaseRead(1).IsAccepted);
        net.Stabilize();
        Assert.Single(net[leader].Reads);
        var ticks = 0;
        while (net.Raft(leader).LeaseHolds())
        {
            net.Tick(leader);
            ticks++;
        }
        Assert.InRange(ticks, 1, net.Raft(leader).Config.ElectionTicks - net.Raft(leader).Config.LeaseDriftMarginTicks);
        if (net.Raft(leader).Role == RaftRole.Leader)
        {
            net.Raft(leader).LeaseRead(2);
            net.Stabilize();
            Assert.Single(net[leader].Reads); // fell back to ReadIndex, which the isolated leader cannot confirm
        }
    }

    [Fact(DisplayName = "Thesis 6.4.1: with lease reads off, a lease read is an ordinary ReadIndex")]
    public void Lease_read_without_lease_reads_is_a_read_index()
    {
        var net = new RaftNetwork(3);
        var leader = net.TickUntilLeader();
        net.Isolate(leader);
        net.Raft(leader).LeaseRead(1);
        net.Stabilize();
        Assert.False(net.Raft(leader).LeaseHolds());
        Assert.Empty(net[leader].Reads);
    }

    [Fact(DisplayName = "Mutation switch: with the quorum check skipped an isolated leader answers reads at once")]
    public void Mutation_switch_lets_an_isolated_leader_serve_reads()
    {
        var net = new RaftNetwork(3, c => c with { Mutations = RaftMutations.ReadsWithoutQuorumCheck });
        var leader = net.TickUntilLeader();
        net.Isolate(leader);
        net.Raft(leader).ReadIndex(1);
        net.Stabilize();
        Assert.Single(net[leader].Reads);
    }
}

public class DroppedReadTests
{
    [Fact(DisplayName = "Thesis 6.4: reads a leader accepted but could not confirm are handed back when it loses leadership")]
    public void Unconfirmed_reads_are_handed_back_on_step_down()
    {
        var solo = TestNodes.Leader(TestNodes.Ids(3), []);
        solo.Raft.ReadIndex(11); // held: nothing committed in the term yet
        solo.Step(new AppendEntriesResponse(2, 1, 1, true, 1, 0, 0));
        solo.Raft.ReadIndex(12); // waiting for a quorum heartbeat round
        solo.Drain();
        solo.Raft.Step(new Heartbeat(3, 1, 9, 0, 1)); // a leader of term 9
        var ready = solo.Raft.GetReady();
        Assert.Equal([11UL, 12UL], ready.DroppedReads.Order());
        Assert.Empty(ready.ReadStates);
        solo.Storage.Save(ready);
        solo.Raft.Advance(ready);
    }
}
