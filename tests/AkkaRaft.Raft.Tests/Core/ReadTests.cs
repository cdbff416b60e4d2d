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

    [Fact(DisplayName = "Thesis 6.4: a follower gets its read index from the leader, confirmed by a quorum round, at the leader's commit index")]
    public void Follower_read_index_comes_from_the_leader_after_a_quorum_round()
    {
        var net = new RaftNetwork(3);
        var leader = net.TickUntilLeader();
        var follower = net.Nodes.Keys.First(id => id != leader);
        var other = net.Nodes.Keys.First(id => id != leader && id != follower);
        // The follower has not heard of the last commit yet: only the leader's index makes the read linearizable.
        net.Cut(leader, follower);
        net.Propose(leader, "x");
        var commit = net.Raft(leader).CommitIndex;
        Assert.True(net.Raft(follower).CommitIndex < commit);
        net.Heal();
        net.Delivered.Clear();

        Assert.True(net.Raft(follower).ReadIndex(7).IsAccepted);
        net.Stabilize();

        Assert.Equal(new ReadState(commit, 7), Assert.Single(net[follower].Reads));
        Assert.Empty(net[leader].Reads);
        Assert.Contains(net.Delivered, m => m is ReadIndexRequest r && r.From == follower && r.To == leader);
        Assert.Contains(net.Delivered, m => m is HeartbeatResponse h && h.From == other); // the quorum round
        Assert.Contains(net.Delivered, m => m is ReadIndexResponse { Granted: true } r && r.To == follower && r.Index == commit);
    }

    [Fact(DisplayName = "Thesis 6.4: reads that reach a follower while its request is in flight share the next request, sent when the answer comes")]
    public void Follower_batches_reads_behind_the_request_in_flight()
    {
        var net = new RaftNetwork(3);
        var leader = net.TickUntilLeader();
        var follower = net.Nodes.Keys.First(id => id != leader);
        net.Delivered.Clear();
        var held = new List<RaftMessage>();
        net.DropFilter = m => { if (m is ReadIndexResponse) held.Add(m); return m is ReadIndexResponse; };
        Assert.True(net.Raft(follower).ReadIndex(1).IsAccepted);
        net.Stabilize();
        for (ulong context = 2; context <= 11; context++) Assert.True(net.Raft(follower).ReadIndex(context).IsAccepted);
        net.Stabilize();
        Assert.Single(net.Delivered, m => m is ReadIndexRequest);

        net.DropFilter = null;
        net.Raft(follower).Step(Assert.Single(held));
        net.Stabilize();
        Assert.Equal(2, net.Delivered.Count(m => m is ReadIndexRequest));
        Assert.Equal(Enumerable.Range(1, 11).Select(c => (ulong)c), net[follower].Reads.Select(r => r.Context));
    }

    [Fact(DisplayName = "Thesis 6.4: a follower gives up on a request unanswered for an election timeout, fails its reads and sends the next")]
    public void Follower_gives_up_on_a_lost_request()
    {
        var net = new RaftNetwork(3);
        var leader = net.TickUntilLeader();
        var follower = net.Nodes.Keys.First(id => id != leader);
        net.DropFilter = m => m is ReadIndexRequest; // lost on the way
        Assert.True(net.Raft(follower).ReadIndex(1).IsAccepted);
        Assert.True(net.Raft(follower).ReadIndex(2).IsAccepted);
        net.Stabilize();
        net.DropFilter = null;
        for (var i = 0; i < net.Raft(follower).Config.ElectionTicks; i++)
        {
            net.Tick(leader); // the leader's heartbeats keep the follower following
            net.Tick(follower);
        }
        net.Stabilize();
        Assert.Equal([1UL], net[follower].DroppedReads);
        Assert.Equal([2UL], net[follower].Reads.Select(r => r.Context));
    }

    [Fact(DisplayName = "Thesis 6.4: a follower that restarted ignores the answer to a read its previous incarnation asked for")]
    public void Restarted_follower_ignores_an_answer_meant_for_its_previous_incarnation()
    {
        // CI23's violation (seed 58676): a follower restarted after a failed journal write while an answer to one of its
        // read requests was still on the way. Its new incarnation's first request had the same id, took that answer, and
        // served a read at an index from before writes that had completed before the read began.
        var net = new RaftNetwork(3);
        var leader = net.TickUntilLeader();
        var follower = net.Nodes.Keys.First(id => id != leader);
        var held = new List<RaftMessage>();
        net.DropFilter = m => { if (m is ReadIndexResponse) held.Add(m); return m is ReadIndexResponse; };
        Assert.True(net.Raft(follower).ReadIndex(1).IsAccepted);
        net.Stabilize();
        var oldAnswer = Assert.IsType<ReadIndexResponse>(Assert.Single(held));
        var staleIndex = oldAnswer.Index;

        net.Crash(follower);
        net.Restart(follower);
        net.Propose(leader, "written after the old answer");
        net.Tick(leader); // the restarted follower hears from the leader again
        Assert.True(net.Raft(follower).CommitIndex > staleIndex);
        held.Clear();
        Assert.True(net.Raft(follower).ReadIndex(2).IsAccepted);
        net.Stabilize();
        Assert.Single(held); // the answer to the new request, held back for now

        net.DropFilter = null;
        net.Raft(follower).Step(oldAnswer);
        net.Stabilize();
        Assert.Empty(net[follower].Reads);

        net.Raft(follower).Step(held[0]);
        net.Stabilize();
        var read = Assert.Single(net[follower].Reads);
        Assert.Equal((2UL, net.Raft(leader).CommitIndex), (read.Context, read.Index));
        Assert.True(read.Index > staleIndex);
    }

    [Fact(DisplayName = "Thesis 6.4: a leader cut off from its quorum never grants a follower's read")]
    public void Isolated_leader_never_grants_a_follower_read()
    {
        var net = new RaftNetwork(3);
        var leader = net.TickUntilLeader();
        var follower = net.Nodes.Keys.First(id => id != leader);
        var other = net.Nodes.Keys.First(id => id != leader && id != follower);
        net.Cut(leader, other);
        net.DropFilter = m => m is HeartbeatResponse && m.To == leader; // the follower's answers to rounds are lost too
        Assert.True(net.Raft(follower).ReadIndex(3).IsAccepted);
        net.Stabilize();
        Assert.Empty(net[follower].Reads);
        Assert.DoesNotContain(net.Delivered, m => m is ReadIndexResponse { Granted: true });
    }

    [Fact(DisplayName = "Thesis 6.4: a follower drops the reads it forwarded when it stops following the leader")]
    public void Follower_drops_forwarded_reads_when_it_campaigns()
    {
        var net = new RaftNetwork(3, c => c with { PreVote = true });
        var leader = net.TickUntilLeader();
        var follower = net.Nodes.Keys.First(id => id != leader);
        net.DropFilter = m => m is ReadIndexRequest; // the leader never hears of it
        Assert.True(net.Raft(follower).ReadIndex(5).IsAccepted);
        net.Stabilize();
        Assert.Empty(net[follower].DroppedReads);

        net.Isolate(follower);
        net.Campaign(follower);
        Assert.Equal([5UL], net[follower].DroppedReads);
        Assert.Empty(net[follower].Reads);
    }

    [Fact(DisplayName = "Thesis 6.4: a leader that steps down refuses the follower reads it had not confirmed, and a non-leader refuses at once")]
    public void Deposed_leader_refuses_pending_follower_reads()
    {
        var solo = TestNodes.Leader(TestNodes.Ids(3), []);
        solo.Step(new AppendEntriesResponse(2, 1, 1, true, 1, 0, 0)); // the no-op commits
        solo.Step(new ReadIndexRequest(2, 1, 1, Context: 9));
        Assert.DoesNotContain(solo.Drain(), m => m is ReadIndexResponse);

        var answers = solo.Step(new Heartbeat(3, 1, 2, 0, 1)); // node 3 leads term 2
        var refusal = Assert.IsType<ReadIndexResponse>(Assert.Single(answers, m => m is ReadIndexResponse));
        Assert.Equal((2UL, 9UL, false), (refusal.To, refusal.Context, refusal.Granted));

        var again = solo.Step(new ReadIndexRequest(2, 1, 2, Context: 10));
        Assert.False(Assert.IsType<ReadIndexResponse>(Assert.Single(again, m => m is ReadIndexResponse)).Granted);
    }

    [Fact(DisplayName = "Thesis 6.4: a node that knows no leader refuses ReadIndex")]
    public void Node_without_a_leader_refuses_read_index()
    {
        var net = new RaftNetwork(3);
        var result = net.Raft(1).ReadIndex(1);
        Assert.Equal((RequestStatus.NotLeader, RaftIds.None), (result.Status, result.LeaderHint));
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
