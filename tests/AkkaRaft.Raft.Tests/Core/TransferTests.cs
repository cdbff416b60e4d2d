using AkkaRaft.Client;
using AkkaRaft.Raft.Core;
using AkkaRaft.TestSupport.Simulation;

namespace AkkaRaft.Raft.Tests.Core;

public class TransferTests
{
    [Fact(DisplayName = "Thesis 3.10: leadership moves to an up-to-date target through TimeoutNow in the next term")]
    public void Transfer_to_up_to_date_follower_makes_it_leader()
    {
        var net = new RaftNetwork(3);
        var leader = net.TickUntilLeader();
        var term = net.Raft(leader).Term;
        var target = net.Nodes.Keys.First(id => id != leader);
        Assert.True(net.Raft(leader).TransferLeadership(target).IsAccepted);
        net.Stabilize();
        Assert.Equal(target, net.Leader());
        Assert.Equal(term + 1, net.Raft(target).Term);
        Assert.Contains(net.Delivered, m => m is TimeoutNow t && t.To == target);
    }

    [Fact(DisplayName = "Thesis 3.10: proposals are refused while transferring, and the transfer is abandoned after an election timeout")]
    public void Proposals_are_refused_during_transfer_until_it_is_abandoned()
    {
        var net = new RaftNetwork(3);
        var leader = net.TickUntilLeader();
        var target = net.Nodes.Keys.First(id => id != leader);
        net.Crash(target);
        Assert.True(net.Raft(leader).TransferLeadership(target).IsAccepted);
        Assert.Equal(RequestStatus.TransferInProgress, net.Raft(leader).Propose([1]).Status);
        net.Tick(leader, net.Raft(leader).Config.ElectionTicks);
        Assert.Equal(RaftIds.None, net.Raft(leader).LeadTransferee);
        Assert.Equal(RaftRole.Leader, net.Raft(leader).Role);
        Assert.True(net.Raft(leader).Propose([1]).IsAccepted);
    }

    [Fact(DisplayName = "Thesis 3.10: a lagging target is first brought up to date, then takes over with the whole log")]
    public void Lagging_target_is_caught_up_before_taking_over()
    {
        var net = new RaftNetwork(3);
        var leader = net.TickUntilLeader();
        var target = net.Nodes.Keys.First(id => id != leader);
        net.Isolate(target);
        foreach (var c in new[] { "a", "b", "c" }) net.Propose(leader, c);
        net.Heal();
        Assert.True(net.Raft(leader).TransferLeadership(target).IsAccepted);
        net.Stabilize();
        Assert.Equal(target, net.Leader());
        net.Propose(target, "d");
        net.TickAll(2);
        foreach (var node in net.Nodes.Values) Assert.Equal(["a", "b", "c", "d"], node.AppliedCommands());
    }

    [Fact(DisplayName = "Thesis 3.10: transfer under load keeps every accepted command")]
    public void Transfer_under_load_loses_no_accepted_command()
    {
        var net = new RaftNetwork(5);
        var leader = net.TickUntilLeader();
        var accepted = new List<string>();
        for (var i = 0; i < 40; i++)
        {
            var current = net.Leader();
            var command = $"c{i}";
            if (net.Raft(current).Propose(System.Text.Encoding.UTF8.GetBytes(command)).IsAccepted) accepted.Add(command);
            if (i % 10 == 5)
            {
                var target = net.Nodes.Keys.First(id => id != current);
                net.Raft(current).TransferLeadership(target);
            }
            net.Stabilize();
            net.TickAll();
        }
        net.TickAll(5);
        Assert.True(accepted.Count >= 30, $"only {accepted.Count} accepted");
        foreach (var node in net.Nodes.Values) Assert.Equal(accepted, node.AppliedCommands());
        Assert.NotEqual(leader, net.Leader());
    }

    [Fact(DisplayName = "Thesis 3.10: a transfer to a node that is not a voter is rejected")]
    public void Transfer_to_non_voter_is_rejected()
    {
        var net = new RaftNetwork(3);
        var leader = net.TickUntilLeader();
        Assert.Equal(RequestStatus.Rejected, net.Raft(leader).TransferLeadership(9).Status);
    }
}
