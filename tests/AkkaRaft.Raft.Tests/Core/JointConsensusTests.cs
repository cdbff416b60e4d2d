using AkkaRaft.Client;
using AkkaRaft.Raft.Core;
using AkkaRaft.TestSupport.Simulation;

namespace AkkaRaft.Raft.Tests.Core;

/// <summary>Thesis 4.3: any number of voters changed in one step, through a joint configuration of the old and the new.</summary>
public class JointConsensusTests
{
    private static ConfChangeStep Voter(ulong id) => new(ConfChangeType.AddVoter, id);

    private static ConfChangeStep Learner(ulong id) => new(ConfChangeType.AddLearner, id);

    private static ConfChangeStep Remove(ulong id) => new(ConfChangeType.RemoveNode, id);

    [Fact(DisplayName = "Thesis 4.3: every voter replaced by a disjoint set in one change; the old leader hands over and the new set serves")]
    public void Every_voter_is_replaced_in_one_change()
    {
        var net = new RaftNetwork(3);
        var leader = net.TickUntilLeader();
        net.Propose(leader, "before");
        foreach (var id in new ulong[] { 4, 5, 6 }) net.AddNode(id);
        var change = ConfChange.Reaching(net.Raft(leader).Configuration, [4, 5, 6], [])!;
        Assert.Equal(ConfChangeTransition.Joint, change.Transition);
        Assert.True(net.Raft(leader).ProposeConfChange(change).IsAccepted);
        // In force at once, joint: the old voters go out, the new come in.
        var joint = net.Raft(leader).Configuration;
        Assert.Equal([4UL, 5, 6], joint.Voters);
        Assert.Equal([1UL, 2, 3], joint.VotersOutgoing);
        Assert.True(joint.AutoLeave);

        net.Stabilize();
        net.TickAll(60);
        var next = net.Leader();
        Assert.Contains(next, new ulong[] { 4, 5, 6 });
        foreach (var id in new ulong[] { 4, 5, 6 })
        {
            var conf = net.Raft(id).Configuration;
            Assert.Equal([4UL, 5, 6], conf.Voters);
            Assert.Empty(conf.VotersOutgoing);
            Assert.False(conf.AutoLeave);
        }
        Assert.NotEqual(RaftRole.Leader, net.Raft(leader).Role);
        Assert.False(net.Raft(leader).Promotable);
        Assert.True(net.Propose(next, "after").IsAccepted);
        net.TickAll(3);
        foreach (var id in new ulong[] { 4, 5, 6 }) Assert.Equal(["before", "after"], net[id].AppliedCommands());
    }

    [Fact(DisplayName = "Thesis 4.3: in a joint configuration nothing commits without a majority of the old voters and of the new")]
    public void Joint_configuration_needs_both_majorities()
    {
        var net = new RaftNetwork(3);
        var leader = net.TickUntilLeader();
        foreach (var id in new ulong[] { 4, 5, 6 }) net.AddNode(id);
        // The new voters cannot be reached: the joint entry itself cannot commit, so the old voters alone decide nothing.
        foreach (var id in new ulong[] { 4, 5, 6 }) net.Isolate(id);
        var change = ConfChange.Reaching(net.Raft(leader).Configuration, [4, 5, 6], [])!;
        var accepted = net.Raft(leader).ProposeConfChange(change);
        Assert.True(accepted.IsAccepted);
        net.Propose(leader, "x");
        net.Stabilize();
        Assert.True(net.Raft(leader).CommitIndex < accepted.Index, $"committed {net.Raft(leader).CommitIndex} with only the old majority");
        Assert.NotEmpty(net.Raft(leader).Configuration.VotersOutgoing);

        // The new voters come back: both majorities hold the entries, which commit, and the joint configuration is left.
        net.Heal();
        net.TickAll(60);
        var next = net.Leader();
        Assert.Equal(["x"], net[next].AppliedCommands());
        Assert.Equal([4UL, 5, 6], net.Raft(next).Configuration.Voters);
        Assert.Empty(net.Raft(next).Configuration.VotersOutgoing);
    }

    [Fact(DisplayName = "Thesis 4.3: the new voters alone commit nothing while the old ones cannot be reached")]
    public void New_voters_alone_commit_nothing()
    {
        var net = new RaftNetwork(3);
        var leader = net.TickUntilLeader();
        foreach (var id in new ulong[] { 4, 5, 6 }) net.AddNode(id);
        // The old followers cannot be reached: a majority of the new voters holds the entry, but not of the old.
        foreach (var id in net.Nodes.Keys.Where(id => id <= 3 && id != leader).ToList()) net.Isolate(id);
        var change = ConfChange.Reaching(net.Raft(leader).Configuration, [4, 5, 6], [])!;
        var accepted = net.Raft(leader).ProposeConfChange(change);
        Assert.True(accepted.IsAccepted);
        net.Stabilize();
        Assert.True(net.Raft(leader).CommitIndex < accepted.Index, $"committed {net.Raft(leader).CommitIndex} with only the new majority");
        Assert.All(new ulong[] { 4, 5, 6 }, id => Assert.True(net.Raft(id).LastIndex >= accepted.Index));
    }

    [Fact(DisplayName = "Thesis 4.3: a candidate in a joint configuration needs the votes of both majorities")]
    public void Election_in_a_joint_configuration_needs_both_majorities()
    {
        var net = new RaftNetwork(3);
        var leader = net.TickUntilLeader();
        var (a, b) = (net.Nodes.Keys.First(id => id != leader), net.Nodes.Keys.Last(id => id != leader));
        net.AddNode(4);
        net.AddNode(5);
        var change = new ConfChange([Voter(4), Voter(5), Remove(a), Remove(b)], ConfChangeTransition.JointExplicit, []);
        Assert.True(net.Raft(leader).ProposeConfChange(change).IsAccepted);
        net.Stabilize();
        // Joint {leader,4,5} & {leader,a,b}, left only on request. With the leader, 4 and 5 down, a and b are an
        // outgoing majority but no incoming one; with 4 back, still none; with 5 back too, both.
        net.Crash(leader);
        net.Crash(4);
        net.Crash(5);
        for (var i = 0; i < 200; i++) net.TickAll();
        Assert.Equal(0UL, net.Leader());
        net.Restart(4);
        for (var i = 0; i < 200; i++) net.TickAll();
        Assert.Equal(0UL, net.Leader());
        net.Restart(5);
        var next = net.TickUntilLeader();
        Assert.Contains(next, new[] { a, b, 4UL, 5UL });

        // And the other way round: 4 and 5 are an incoming majority (with the old leader gone) but no outgoing one.
        net.Crash(a);
        net.Crash(b);
        for (var i = 0; i < 200; i++) net.TickAll();
        Assert.Equal(0UL, net.Leader());
    }

    [Fact(DisplayName = "Thesis 4.3: an explicit joint configuration stays until it is left, and then only its incoming half votes")]
    public void Explicit_joint_configuration_is_left_on_request()
    {
        var net = new RaftNetwork(3);
        var leader = net.TickUntilLeader();
        net.AddNode(4);
        var change = new ConfChange([Voter(4), Remove(3)], ConfChangeTransition.JointExplicit, []);
        Assert.True(net.Raft(leader).ProposeConfChange(change).IsAccepted);
        net.Stabilize();
        net.TickAll(10);
        leader = net.Leader();
        Assert.Equal([1UL, 2, 3], net.Raft(leader).Configuration.VotersOutgoing);

        var leave = net.Raft(leader).ProposeConfChange(ConfChange.LeaveJoint());
        Assert.True(leave.IsAccepted, leave.Reason);
        net.Stabilize();
        foreach (var id in new ulong[] { 1, 2, 4 })
        {
            Assert.Equal([1UL, 2, 4], net.Raft(id).Configuration.Voters);
            Assert.Empty(net.Raft(id).Configuration.VotersOutgoing);
        }
        // (When the leader was 3, it stepped down once the change committed: wait for the next one to settle in.)
        var current = net.TickUntilLeader();
        net.TickAll(5);
        var again = net.Raft(current).ProposeConfChange(ConfChange.LeaveJoint());
        Assert.Equal(RequestStatus.Rejected, again.Status);
        Assert.Contains("not joint", again.Reason);
    }

    [Fact(DisplayName = "Thesis 4.3: a voter demoted to learner votes in the outgoing half until the joint configuration is left")]
    public void Demoted_voter_becomes_a_learner_when_the_joint_configuration_is_left()
    {
        var net = new RaftNetwork(3);
        var leader = net.TickUntilLeader();
        var demoted = net.Nodes.Keys.First(id => id != leader);
        var change = ConfChange.Reaching(net.Raft(leader).Configuration, net.Nodes.Keys.Where(id => id != demoted).ToArray(), [demoted])!;
        Assert.Equal(ConfChangeTransition.Joint, change.Transition); // a demotion cannot be a simple change
        Assert.True(net.Raft(leader).ProposeConfChange(change).IsAccepted);
        var joint = net.Raft(leader).Configuration;
        Assert.Equal([demoted], joint.LearnersNext);
        Assert.True(joint.IsVoter(demoted));

        net.Stabilize();
        var conf = net.Raft(net.Leader()).Configuration;
        Assert.Equal([demoted], conf.Learners);
        Assert.Empty(conf.LearnersNext);
        Assert.False(conf.IsVoter(demoted));
        Assert.False(net.Raft(demoted).Promotable);
        net.Propose(net.Leader(), "a");
        net.TickAll(2);
        Assert.Equal(["a"], net[demoted].AppliedCommands());
    }

    [Fact(DisplayName = "Thesis 4.3: a leader elected while a joint configuration is being left leaves it after committing in its term")]
    public void New_leader_leaves_an_automatic_joint_configuration()
    {
        var net = new RaftNetwork(3);
        var leader = net.TickUntilLeader();
        net.AddNode(4);
        net.AddNode(5);
        // The joint entry reaches everyone, but the leader crashes before its LeaveJoint entry goes out: the others
        // only learn that the joint entry committed from the next leader.
        Assert.True(net.Raft(leader).ProposeConfChange(ConfChange.Joint(Voter(4), Voter(5), Remove(leader))).IsAccepted);
        net.DropFilter = m => m is AppendEntries append && append.Entries.Any(IsLeaveJoint);
        net.Stabilize();
        net.Crash(leader);
        net.DropFilter = null;
        Assert.All(net.Nodes.Keys.Where(id => id != leader), id => Assert.NotEmpty(net.Raft(id).Configuration.VotersOutgoing));

        var next = net.TickUntilLeader();
        Assert.NotEqual(leader, next);
        net.Stabilize();
        net.TickAll(60);
        var final = net.Raft(net.Leader()).Configuration;
        Assert.Empty(final.VotersOutgoing);
        Assert.Equal(new ulong[] { 1, 2, 3, 4, 5 }.Where(id => id != leader), final.Voters);
    }

    private static bool IsLeaveJoint(Entry entry) =>
        entry.Type == EntryType.ConfChange && ConfChange.Decode(entry.Data).Transition == ConfChangeTransition.LeaveJoint;

    [Fact(DisplayName = "Thesis 4.3: a node restarted inside a joint configuration reads it back from its log")]
    public void Restart_inside_a_joint_configuration_keeps_it()
    {
        var net = new RaftNetwork(3);
        var leader = net.TickUntilLeader();
        net.AddNode(4);
        Assert.True(net.Raft(leader).ProposeConfChange(new ConfChange([Voter(4)], ConfChangeTransition.JointExplicit, [])).IsAccepted);
        net.Stabilize();
        var follower = net.Nodes.Keys.First(id => id != leader && id != 4);
        var before = net.Raft(follower).Configuration;
        net.Crash(follower);
        net.Restart(follower);
        var after = net.Raft(follower).Configuration;
        Assert.Equal(before.Voters, after.Voters);
        Assert.Equal(before.VotersOutgoing, after.VotersOutgoing);
        Assert.False(after.AutoLeave);
    }

    [Theory(DisplayName = "Thesis 4.3: joint changes that cannot apply are refused with the reason")]
    [InlineData("already a voter")]
    [InlineData("no voter")]
    [InlineData("not a member")]
    [InlineData("at least one step")]
    public void Invalid_joint_changes_are_refused(string reason)
    {
        var net = new RaftNetwork(3);
        var leader = net.TickUntilLeader();
        ConfChangeStep[] steps = reason switch
        {
            "already a voter" => [Voter(4), Voter(2)],
            "no voter" => [Remove(1), Remove(2), Remove(3)],
            "not a member" => [Voter(4), Remove(9)],
            _ => [],
        };
        var result = net.Raft(leader).ProposeConfChange(ConfChange.Joint(steps));
        Assert.Equal(RequestStatus.Rejected, result.Status);
        Assert.Contains(reason, result.Reason);
        Assert.Empty(net.Raft(leader).Configuration.VotersOutgoing);
    }

    [Fact(DisplayName = "Thesis 4.3: a joint configuration is not entered twice, and a simple change waits until it is left")]
    public void Changes_inside_a_joint_configuration_are_refused()
    {
        var net = new RaftNetwork(3);
        var leader = net.TickUntilLeader();
        net.AddNode(4);
        Assert.True(net.Raft(leader).ProposeConfChange(new ConfChange([Voter(4)], ConfChangeTransition.JointExplicit, [])).IsAccepted);
        net.Stabilize();
        var twice = net.Raft(leader).ProposeConfChange(ConfChange.Joint(Remove(2)));
        Assert.Equal(RequestStatus.Rejected, twice.Status);
        Assert.Contains("already joint", twice.Reason);
        var simple = net.Raft(leader).ProposeConfChange(ConfChange.Remove(2));
        Assert.Equal(RequestStatus.Rejected, simple.Status);
        Assert.Contains("joint", simple.Reason);
    }

    [Fact(DisplayName = "ConfChange.Reaching: one added or removed voter is a simple change, more or a demotion a joint one, none is null")]
    public void Reaching_picks_the_transition()
    {
        var three = ConfState.OfVoters(1, 2, 3);
        Assert.Null(ConfChange.Reaching(three, [1, 2, 3], []));
        var add = ConfChange.Reaching(three, [1, 2, 3, 4], [])!;
        Assert.Equal(ConfChangeTransition.Simple, add.Transition);
        Assert.Equal([Voter(4)], add.Steps);
        var learner = ConfChange.Reaching(three, [1, 2, 3], [7])!;
        Assert.Equal(ConfChangeTransition.Simple, learner.Transition);
        var replace = ConfChange.Reaching(three, [1, 2, 4], [])!;
        Assert.Equal(ConfChangeTransition.Joint, replace.Transition);
        Assert.Equal([Remove(3), Voter(4)], replace.Steps);
        var applied = ConfChanger.Apply(three, replace);
        Assert.Equal([1UL, 2, 4], applied.Voters);
        Assert.Equal([1UL, 2, 3], applied.VotersOutgoing);
        Assert.Equal([1UL, 2, 4], ConfChanger.Apply(applied, ConfChange.LeaveJoint()).Voters);
    }

    [Theory(DisplayName = "ConfChange: every transition survives encoding, and an unknown one is refused")]
    [InlineData(ConfChangeTransition.Simple)]
    [InlineData(ConfChangeTransition.Joint)]
    [InlineData(ConfChangeTransition.JointExplicit)]
    [InlineData(ConfChangeTransition.LeaveJoint)]
    public void Transitions_round_trip(ConfChangeTransition transition)
    {
        ConfChangeStep[] steps = transition == ConfChangeTransition.LeaveJoint ? [] : [Voter(4), Remove(2)];
        var change = new ConfChange(steps, transition, [9]);
        var decoded = ConfChange.Decode(change.Encode());
        Assert.Equal(transition, decoded.Transition);
        Assert.Equal(steps, decoded.Steps);
        var bytes = change.Encode();
        bytes[1] = 42;
        Assert.Contains("unknown ConfChange transition 42", Assert.Throws<FormatException>(() => ConfChange.Decode(bytes)).Message);
    }
}
