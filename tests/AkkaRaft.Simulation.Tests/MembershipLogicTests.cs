using AkkaRaft.Client;
using AkkaRaft.Client.Kv;
using AkkaRaft.Raft.Core;
using AkkaRaft.Simulation.Tests.Support;
using Group = AkkaRaft.Simulation.Tests.PeerClusterBasicTests.Group;

namespace AkkaRaft.Simulation.Tests;

/// <summary>
/// Learners and one-step reconfiguration in simulated groups of the pure peer logic, without faults beyond the ones
/// each scenario sets up: a learner counts towards no quorum until the leader promotes it, promotion waits until it
/// caught up, a user's configuration wins over a pending promotion, and SetConfiguration answers after the final
/// configuration (not the joint one) committed.
/// </summary>
public sealed class MembershipLogicTests
{
    [Fact]
    public void An_empty_joiner_is_a_learner_so_a_three_voter_group_with_one_voter_down_keeps_committing_until_it_is_promoted()
    {
        var group = new Group(seed: 41, learnerPromotionLag: 2);
        var leader = LeaderWithCommittedTerm(group);
        var down = group.Ids.First(id => id != leader);
        group.Simulator.Crash(down);
        group.Simulator.AddJoiningPeer(4);
        // The joiner cannot catch up (cut off): were it a voter, 2 of 4 voters could not commit anything.
        group.Network.Isolate(4, group.Ids);
        var join = group.Simulator.Send(leader, new AddLearner(4, PromoteWhenCaughtUp: true, Timeout: TimeSpan.FromSeconds(30)));

        for (var i = 0; i < 5; i++) Assert.IsType<WriteResult>(group.Ask(leader, new Write(KvCommands.Put("k", $"v{i}"))));

        var status = group.Status(leader);
        Assert.Equal(group.Ids, status.Voters);
        Assert.Contains(status.Members, m => m.NodeId == 4 && !m.IsVoter);
        Assert.Null(join.Answer);

        // Reachable again, it catches up and the leader promotes it; the join is answered then.
        group.Network.HealAll();
        Assert.True(group.Simulator.RunUntil(() => join.Answer is not null, TimeSpan.FromSeconds(10)), "the caught-up learner was not promoted");
        var promoted = Assert.IsType<MembershipChanged>(join.Answer);
        Assert.Equal(new ulong[] { 1, 2, 3, 4 }, promoted.Voters);
        // With one voter of four down, the promoted voter now carries the quorum.
        Assert.IsType<WriteResult>(group.Ask(leader, new Write(KvCommands.Put("k", "after promotion"))));
    }

    [Fact]
    public void A_learner_is_promoted_only_once_its_match_index_is_within_the_promotion_lag()
    {
        var group = new Group(seed: 42, learnerPromotionLag: 5);
        var leader = LeaderWithCommittedTerm(group);
        for (var i = 0; i < 40; i++) Assert.IsType<WriteResult>(group.Ask(leader, new Write(KvCommands.Put($"k{i % 4}", $"v{i}"))));
        group.Simulator.AddJoiningPeer(4);
        group.Network.Isolate(4, group.Ids);
        var join = group.Simulator.Send(leader, new AddLearner(4, PromoteWhenCaughtUp: true, Timeout: TimeSpan.FromSeconds(30)));
        group.Simulator.RunFor(TimeSpan.FromSeconds(2));
        Assert.Null(join.Answer);
        Assert.Equal(new ulong[] { 4 }, group.Simulator.Peer(leader).Logic!.PendingPromotions);

        group.Network.HealAll();
        var promotedAt = TimeSpan.Zero;
        ulong matchWhenPromoted = 0, lastWhenPromoted = 0;
        var seen = group.Simulator.RunUntil(() =>
        {
            var status = group.Status(leader);
            if (status.Voters.Contains(4UL) && promotedAt == TimeSpan.Zero) promotedAt = group.Simulator.Now;
            if (promotedAt == TimeSpan.Zero)
            {
                var member = status.Members.First(m => m.NodeId == 4);
                matchWhenPromoted = member.Progress?.Match ?? 0;
                lastWhenPromoted = status.LastIndex;
            }
            return join.Answer is not null;
        }, TimeSpan.FromSeconds(10));

        Assert.True(seen, "no promotion after the learner could catch up");
        Assert.IsType<MembershipChanged>(join.Answer);
        Assert.True(matchWhenPromoted + (ulong)group.Settings.LearnerPromotionLag >= lastWhenPromoted,
            $"promoted with match {matchWhenPromoted} against last index {lastWhenPromoted}");
        Assert.Empty(group.Simulator.Peer(leader).Logic!.PendingPromotions);
    }

    [Fact]
    public void Two_learners_marked_together_are_promoted_one_change_after_the_other_and_both_answered()
    {
        var group = new Group(seed: 47);
        var leader = LeaderWithCommittedTerm(group);
        var logic = group.Simulator.Peer(leader).Logic!;
        var probes = new List<ProbeClient>();
        foreach (var id in new ulong[] { 4, 5 })
        {
            // Cut off until both are marked, so that neither can be promoted before the other is a learner too.
            group.Simulator.AddJoiningPeer(id);
            group.Network.Isolate(id, group.Ids);
            probes.Add(group.Simulator.Send(leader, new AddLearner(id, PromoteWhenCaughtUp: true, Timeout: TimeSpan.FromSeconds(10))));
            Assert.True(group.Simulator.RunUntil(() => logic.CommittedConfiguration.IsLearner(id), TimeSpan.FromSeconds(2)), $"{id} was not added as a learner");
        }
        Assert.Equal(new ulong[] { 4, 5 }, logic.PendingPromotions);
        group.Network.HealAll();
        var (first, second) = (probes[0], probes[1]);

        Assert.True(group.Simulator.RunUntil(() => first.Answer is not null && second.Answer is not null, TimeSpan.FromSeconds(10)));

        var answers = new[] { Assert.IsType<MembershipChanged>(first.Answer), Assert.IsType<MembershipChanged>(second.Answer) };
        Assert.Equal(new ulong[] { 1, 2, 3, 4, 5 }, group.Status(leader).Voters);
        // One membership change at a time (thesis 4.1): each promotion is its own entry, the later made after the earlier committed.
        var storage = group.Simulator.Peer(leader).Logic!.Storage;
        var changes = storage.Entries(storage.FirstIndex, storage.LastIndex + 1, long.MaxValue)
            .Where(e => e.Type == EntryType.ConfChange).Select(e => (e.Index, Change: ConfChange.Decode(e.Data))).ToList();
        var promotions = changes.Where(c => c.Change.Steps is [{ Type: ConfChangeType.AddVoter, NodeId: >= 4 }]).ToList();
        Assert.Equal(2, promotions.Count);
        Assert.Equal(answers.Select(a => a.Index).Order(), promotions.Select(p => p.Index));
        Assert.Equal(new ulong[] { 1, 2, 3, 4 }, answers.MinBy(a => a.Index)!.Voters);
    }

    [Fact]
    public void A_learner_added_without_promotion_stays_a_learner_after_catching_up()
    {
        var group = new Group(seed: 43);
        var leader = LeaderWithCommittedTerm(group);
        group.Simulator.AddJoiningPeer(4);
        var added = Assert.IsType<MembershipChanged>(group.Ask(leader, new AddLearner(4)));
        Assert.Equal(new ulong[] { 4 }, added.Learners);
        Assert.IsType<WriteResult>(group.Ask(leader, new Write(KvCommands.Put("k", "v"))));
        group.Simulator.RunFor(TimeSpan.FromSeconds(3));

        var status = group.Status(leader);
        Assert.Equal(group.Ids, status.Voters);
        Assert.True(group.Status(4).AppliedIndex >= status.CommitIndex - 1, "the learner did not receive the log");
    }

    [Fact]
    public void A_set_configuration_that_keeps_a_learner_cancels_its_promotion()
    {
        var group = new Group(seed: 44);
        var leader = LeaderWithCommittedTerm(group);
        group.Simulator.AddJoiningPeer(4);
        group.Network.Isolate(4, group.Ids);
        var join = group.Simulator.Send(leader, new AddLearner(4, PromoteWhenCaughtUp: true, Timeout: TimeSpan.FromSeconds(30)));
        group.Simulator.RunFor(TimeSpan.FromSeconds(1));

        var set = Assert.IsType<MembershipChanged>(group.Ask(leader, new SetConfiguration([1, 2, 3], [4], ExpectVoters: [1, 2, 3])));
        Assert.Equal(new ulong[] { 4 }, set.Learners);
        Assert.True(group.Simulator.RunUntil(() => join.Answer is not null, TimeSpan.FromSeconds(1)), "the promotion's client was not answered");
        Assert.Contains("stay a learner", Assert.IsType<RequestRejected>(join.Answer).Reason);

        group.Network.HealAll();
        group.Simulator.RunFor(TimeSpan.FromSeconds(3));
        Assert.Equal(group.Ids, group.Status(leader).Voters);
    }

    [Fact]
    public void A_set_configuration_expecting_other_voters_is_refused_with_the_voters_now_and_changes_nothing()
    {
        var group = new Group(seed: 45);
        var leader = LeaderWithCommittedTerm(group);
        group.Simulator.AddJoiningPeer(4);
        var before = group.Status(leader).LastIndex;

        var refused = Assert.IsType<ConfigurationMismatch>(group.Ask(leader, new SetConfiguration([1, 2, 4], [], ExpectVoters: [1, 2])));

        Assert.Equal(group.Ids, refused.Voters);
        Assert.Equal(before, group.Status(leader).LastIndex);
        Assert.IsType<RequestRejected>(group.Ask(leader, new SetConfiguration([], [4])));
        Assert.IsType<RequestRejected>(group.Ask(leader, new SetConfiguration([1, 4], [4])));
    }

    [Fact]
    public void Replacing_every_voter_in_one_request_is_answered_only_after_the_joint_configuration_was_left()
    {
        var group = new Group(seed: 46);
        var leader = LeaderWithCommittedTerm(group);
        foreach (var id in new ulong[] { 4, 5, 6 }) group.Simulator.AddJoiningPeer(id);
        Assert.IsType<MembershipChanged>(group.Ask(leader, new SetConfiguration([1, 2, 3], [4, 5, 6])));
        Assert.IsType<WriteResult>(group.Ask(leader, new Write(KvCommands.Put("k", "before"))));

        var moved = Assert.IsType<MembershipChanged>(group.Ask(leader, new SetConfiguration([4, 5, 6], [], ExpectVoters: [1, 2, 3])));

        Assert.Equal(new ulong[] { 4, 5, 6 }, moved.Voters);
        Assert.Empty(moved.Learners);
        // The answer names the entry that left the joint configuration, and a majority of the new voters hold it.
        var holders = new ulong[] { 4, 5, 6 }.Count(id =>
        {
            var storage = group.Simulator.Peer(id).Logic!.Storage;
            if (storage.LastIndex < moved.Index || storage.FirstIndex > moved.Index) return false;
            var entry = storage.Entries(moved.Index, moved.Index + 1, long.MaxValue)[0];
            return entry.Type == EntryType.ConfChange && ConfChange.Decode(entry.Data).Transition == ConfChangeTransition.LeaveJoint;
        });
        Assert.True(holders >= 2, $"only {holders} of the new voters hold the entry that left the joint configuration");
        var newLeader = group.Simulator.RunUntil(() => group.Simulator.Leader() is >= 4 and <= 6, TimeSpan.FromSeconds(10));
        Assert.True(newLeader, "no new voter leads after the old ones left");
        var read = Assert.IsType<QueryResponse>(group.Ask(group.Simulator.Leader(), new Query(KvQueries.Get("k"), ReadLevel.Consistent)));
        Assert.True(KvResult.Decode(read.Response).IsOk);
    }

    /// <summary>The leader once it committed an entry of its term (before that it refuses membership changes, thesis 4.1).</summary>
    private static ulong LeaderWithCommittedTerm(Group group)
    {
        var leader = group.WaitForLeader();
        Assert.IsType<WriteResult>(group.Ask(leader, new Write(KvCommands.Put("warm-up", "1"))));
        return leader;
    }
}
