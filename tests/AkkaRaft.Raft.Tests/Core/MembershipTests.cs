using AkkaRaft.Client;
using AkkaRaft.Raft.Core;
using AkkaRaft.TestSupport.Simulation;

namespace AkkaRaft.Raft.Tests.Core;

public class MembershipTests
{
    [Fact(DisplayName = "Thesis 4.1: an added voter takes effect when appended, catches up and then votes")]
    public void Added_voter_takes_effect_when_appended_and_catches_up()
    {
        var net = new RaftNetwork(3);
        var leader = net.TickUntilLeader();
        net.Propose(leader, "a");
        net.AddNode(4);
        Assert.True(net.Raft(leader).ProposeConfChange(ConfChange.AddVoter(4)).IsAccepted);
        // In force at once on the leader, before it commits.
        Assert.Equal([1UL, 2, 3, 4], net.Raft(leader).Configuration.Voters);
        net.Stabilize();
        net.TickAll(3);
        foreach (var node in net.Nodes.Values) Assert.Equal([1UL, 2, 3, 4], node.Raft.Configuration.Voters);
        Assert.Equal(["a"], net[4].AppliedCommands());
        Assert.True(net.Raft(4).Promotable);
    }

    [Fact(DisplayName = "Thesis 4.1: only one membership change may be in flight")]
    public void Second_change_is_refused_while_one_is_uncommitted()
    {
        var net = new RaftNetwork(3);
        var leader = net.TickUntilLeader();
        net.Isolate(leader);
        Assert.True(net.Raft(leader).ProposeConfChange(ConfChange.AddVoter(4)).IsAccepted);
        var second = net.Raft(leader).ProposeConfChange(ConfChange.AddVoter(5));
        Assert.Equal(RequestStatus.ConfChangeInProgress, second.Status);
    }

    [Fact(DisplayName = "Thesis 4.1: a new leader refuses membership changes until it has committed an entry of its term")]
    public void New_leader_refuses_changes_before_committing_in_its_term()
    {
        var solo = TestNodes.Leader(TestNodes.Ids(3), []);
        Assert.Equal(RequestStatus.ConfChangeInProgress, solo.Raft.ProposeConfChange(ConfChange.AddVoter(4)).Status);
    }

    [Theory(DisplayName = "Thesis 4.1: invalid changes are rejected with the reason")]
    [InlineData(ConfChangeType.AddVoter, 2UL, "already a voter")]
    [InlineData(ConfChangeType.RemoveNode, 9UL, "not a member")]
    [InlineData(ConfChangeType.AddLearner, 3UL, "is a voter")]
    public void Invalid_changes_are_rejected(ConfChangeType type, ulong node, string reason)
    {
        var net = new RaftNetwork(3);
        var leader = net.TickUntilLeader();
        var result = net.Raft(leader).ProposeConfChange(new ConfChange([new ConfChangeStep(type, node)], ConfChangeTransition.Simple, []));
        Assert.Equal(RequestStatus.Rejected, result.Status);
        Assert.Contains(reason, result.Reason);
    }

    [Fact(DisplayName = "Thesis 4.1: after a follower is removed the quorum is taken among the remaining voters only")]
    public void Removed_follower_no_longer_counts_for_the_quorum()
    {
        var net = new RaftNetwork(3);
        var leader = net.TickUntilLeader();
        var removed = net.Nodes.Keys.First(id => id != leader);
        var other = net.Nodes.Keys.First(id => id != leader && id != removed);
        Assert.True(net.Raft(leader).ProposeConfChange(ConfChange.Remove(removed)).IsAccepted);
        net.Stabilize();
        net.Crash(removed);
        net.Crash(other);
        // Two voters remain and both must agree: with the other down nothing commits, the removed node is not asked.
        var commit = net.Raft(leader).CommitIndex;
        net.Propose(leader, "x");
        Assert.Equal(commit, net.Raft(leader).CommitIndex);
        net.Restart(other);
        net.TickAll(5);
        Assert.Contains("x", net[net.Leader()].AppliedCommands());
        Assert.DoesNotContain(removed, net.Raft(net.Leader()).Configuration.Voters);
    }

    [Fact(DisplayName = "Thesis 4.2.2: a leader that removes itself steps down once the removal commits, and the rest elect a leader")]
    public void Removed_leader_steps_down_after_commit()
    {
        var net = new RaftNetwork(3);
        var leader = net.TickUntilLeader();
        Assert.True(net.Raft(leader).ProposeConfChange(ConfChange.Remove(leader)).IsAccepted);
        Assert.Equal(RaftRole.Leader, net.Raft(leader).Role); // still leads until committed
        net.Stabilize();
        Assert.Equal(RaftRole.Follower, net.Raft(leader).Role);
        Assert.False(net.Raft(leader).Promotable);
        net.TickAll(40);
        var next = net.Leader();
        Assert.NotEqual(0UL, next);
        Assert.NotEqual(leader, next);
        Assert.True(net.Propose(next, "after").IsAccepted);
        net.TickAll(2);
        Assert.Contains("after", net[next].AppliedCommands());
    }

    [Fact(DisplayName = "Thesis 4.1: a follower whose uncommitted configuration entry is overwritten returns to the previous configuration")]
    public void Overwritten_configuration_entry_rolls_back()
    {
        var net = new RaftNetwork(5);
        var leader = net.TickUntilLeader();
        var follower = net.Nodes.Keys.First(id => id != leader);
        // The change reaches only one follower.
        foreach (var id in net.Nodes.Keys)
        {
            if (id != leader && id != follower) net.Cut(leader, id);
        }
        Assert.True(net.Raft(leader).ProposeConfChange(ConfChange.AddVoter(6)).IsAccepted);
        net.Stabilize();
        Assert.Contains(6UL, net.Raft(follower).Configuration.Voters); // in force on append, uncommitted
        net.Heal();
        net.Isolate(leader);
        net.Isolate(follower);
        var rest = net.Nodes.Keys.Where(id => id != leader && id != follower).ToArray();
        ulong newLeader = 0;
        for (var i = 0; i < 100 && newLeader == 0; i++)
        {
            net.TickAll();
            newLeader = rest.FirstOrDefault(id => net.Raft(id).Role == RaftRole.Leader);
        }
        Assert.NotEqual(0UL, newLeader);
        net.Propose(newLeader, "overwrite");
        net.Heal();
        net.TickAll(5);
        Assert.DoesNotContain(6UL, net.Raft(follower).Configuration.Voters);
        Assert.Equal(net.LogTerms(newLeader), net.LogTerms(follower));
    }
}

public class LearnerAndFaultyMembershipTests
{
    [Fact(DisplayName = "Thesis 4.2.1: a learner receives the log but neither votes nor counts for commitment")]
    public void Learner_replicates_without_voting_or_counting()
    {
        var net = new RaftNetwork(3);
        var leader = net.TickUntilLeader();
        net.AddNode(4);
        Assert.True(net.Raft(leader).ProposeConfChange(ConfChange.AddLearner(4)).IsAccepted);
        net.Stabilize();
        net.Propose(leader, "a");
        net.TickAll(2);
        Assert.Equal(["a"], net[4].AppliedCommands());
        Assert.Equal([4UL], net.Raft(4).Configuration.Learners);
        Assert.False(net.Raft(4).Promotable);
        // With both other voters down, the learner's copy does not make a quorum.
        foreach (var id in net.Nodes.Keys.Where(id => id != leader && id != 4).ToList()) net.Crash(id);
        var commit = net.Raft(leader).CommitIndex;
        net.Propose(leader, "b");
        Assert.Equal(commit, net.Raft(leader).CommitIndex);
        // A learner never campaigns however long it waits.
        net.Isolate(4);
        for (var i = 0; i < 50; i++) net.Tick(4);
        Assert.Equal(RaftRole.Follower, net.Raft(4).Role);
    }

    [Theory(DisplayName = "Thesis 4.1: voters added and removed while a fifth of messages are lost end in one agreed configuration and log")]
    [InlineData(1UL)]
    [InlineData(2UL)]
    [InlineData(3UL)]
    public void Membership_changes_under_message_loss_converge(ulong seed)
    {
        var random = new Random((int)seed);
        var net = new RaftNetwork(3, seed: seed);
        net.DropFilter = _ => random.NextDouble() < 0.2;
        ulong next = 4;
        var expected = new List<string>();
        for (var round = 0; round < 6; round++)
        {
            var leader = net.TickUntilLeader();
            Assert.NotEqual(0UL, leader);
            var voters = net.Raft(leader).Configuration.Voters;
            var change = round % 2 == 0 ? ConfChange.AddVoter(next) : ConfChange.Remove(voters.First(v => v != leader));
            if (round % 2 == 0) net.AddNode(next++);
            for (var attempt = 0; attempt < 200 && !net.Raft(net.TickUntilLeader()).ProposeConfChange(change).IsAccepted; attempt++) net.TickAll();
            var command = $"r{round}";
            for (var attempt = 0; attempt < 200; attempt++)
            {
                var current = net.TickUntilLeader();
                if (current != 0 && net.Raft(current).Propose(System.Text.Encoding.UTF8.GetBytes(command)).IsAccepted) break;
                net.TickAll();
            }
            net.TickAll(20);
        }
        net.Heal();
        net.TickAll(30);
        var final = net.Leader();
        var conf = net.Raft(final).Configuration;
        foreach (var id in conf.Voters)
        {
            Assert.Equal(conf.Voters, net.Raft(id).Configuration.Voters);
            Assert.Equal(net.LogTerms(final), net.LogTerms(id));
        }
        Assert.Equal(3, conf.Voters.Length);
    }
}
