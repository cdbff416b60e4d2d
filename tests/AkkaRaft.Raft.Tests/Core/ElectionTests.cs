using AkkaRaft.Client;
using AkkaRaft.Raft.Core;
using AkkaRaft.TestSupport.Simulation;

namespace AkkaRaft.Raft.Tests.Core;

public class ElectionTests
{
    [Theory(DisplayName = "Raft §5.2: a follower that hears from no leader for its election timeout campaigns and wins")]
    [InlineData(1)]
    [InlineData(3)]
    [InlineData(5)]
    public void Follower_without_leader_campaigns_and_a_majority_elects_it(int size)
    {
        var net = new RaftNetwork(size);
        var leader = net.TickUntilLeader();
        Assert.NotEqual(0UL, leader);
        foreach (var node in net.Nodes.Values)
        {
            Assert.Equal(leader, node.Raft.Leader);
            Assert.Equal(net.Raft(leader).Term, node.Raft.Term);
        }
    }

    public static IEnumerable<object[]> VoteTallies() =>
    [
        // size, granted voters, rejected voters, expected role of node 1
        [1, Array.Empty<ulong>(), Array.Empty<ulong>(), RaftRole.Leader],
        [3, new ulong[] { 2 }, Array.Empty<ulong>(), RaftRole.Leader],
        [3, Array.Empty<ulong>(), new ulong[] { 2 }, RaftRole.Candidate],
        [3, Array.Empty<ulong>(), new ulong[] { 2, 3 }, RaftRole.Follower],
        [5, new ulong[] { 2 }, Array.Empty<ulong>(), RaftRole.Candidate],
        [5, new ulong[] { 2, 3 }, Array.Empty<ulong>(), RaftRole.Leader],
        [5, new ulong[] { 2 }, new ulong[] { 3, 4 }, RaftRole.Candidate],
        [5, new ulong[] { 2 }, new ulong[] { 3, 4, 5 }, RaftRole.Follower],
        [5, Array.Empty<ulong>(), new ulong[] { 2, 3, 4 }, RaftRole.Follower],
    ];

    [Theory(DisplayName = "Raft §5.2: a candidate wins with votes from a majority, loses when a majority refuses, waits otherwise")]
    [MemberData(nameof(VoteTallies))]
    public void Candidate_outcome_follows_the_majority_of_votes(int size, ulong[] granted, ulong[] rejected, RaftRole expected)
    {
        var solo = TestNodes.Node(1, TestNodes.Ids(size), []);
        solo.Raft.Campaign();
        solo.Drain();
        foreach (var id in granted) solo.Raft.Step(new RequestVoteResponse(id, 1, 1, false, true));
        foreach (var id in rejected) solo.Raft.Step(new RequestVoteResponse(id, 1, 1, false, false));
        Assert.Equal(expected, solo.Raft.Role);
        Assert.Equal(1UL, solo.Raft.Term);
    }

    public static IEnumerable<object[]> VoteRequests() =>
    [
        // voter's vote in term 1, candidate, expected granted
        [RaftIds.None, 2UL, true],
        [RaftIds.None, 3UL, true],
        [2UL, 2UL, true],
        [2UL, 3UL, false],
        [3UL, 2UL, false],
        [3UL, 3UL, true],
    ];

    [Theory(DisplayName = "Raft §5.2: each server votes for at most one candidate per term, first come first served")]
    [MemberData(nameof(VoteRequests))]
    public void Voter_grants_at_most_one_vote_per_term(ulong votedFor, ulong candidate, bool expected)
    {
        var solo = TestNodes.Node(1, TestNodes.Ids(3), [], hardState: new HardState(1, votedFor, 0));
        var replies = solo.Step(new RequestVote(candidate, 1, 1, 0, 0, false, false));
        var reply = Assert.IsType<RequestVoteResponse>(Assert.Single(replies));
        Assert.Equal(expected, reply.Granted);
        Assert.Equal(expected ? candidate : votedFor, solo.Raft.Vote);
        Assert.Equal(solo.Raft.Vote, solo.Storage.HardState.Vote);
    }

    public static IEnumerable<object[]> UpToDateChecks() =>
    [
        // voter log terms: [1, 1, 2] (last index 3, last term 2); candidate last index/term; granted
        [3UL, 2UL, true],   // same
        [4UL, 2UL, true],   // longer, same term
        [2UL, 2UL, false],  // shorter, same last term
        [9UL, 1UL, false],  // longer but older last term
        [1UL, 3UL, true],   // shorter but newer last term
    ];

    [Theory(DisplayName = "Raft §5.4.1: a vote is granted only to a candidate whose log is at least as up to date")]
    [MemberData(nameof(UpToDateChecks))]
    public void Vote_requires_an_up_to_date_log(ulong lastIndex, ulong lastTerm, bool granted)
    {
        var solo = TestNodes.Node(1, TestNodes.Ids(3), [1, 1, 2]);
        var replies = solo.Step(new RequestVote(2, 1, 3, lastIndex, lastTerm, false, false));
        var reply = Assert.IsType<RequestVoteResponse>(Assert.Single(replies));
        Assert.Equal(granted, reply.Granted);
    }

    [Fact(DisplayName = "Raft §5.1: a server that sees a higher term adopts it and becomes a follower")]
    public void Leader_seeing_a_higher_term_becomes_follower()
    {
        var solo = TestNodes.Leader(TestNodes.Ids(3), []);
        Assert.Equal(RaftRole.Leader, solo.Raft.Role);
        solo.Step(new Heartbeat(2, 1, 5, 0, 1));
        Assert.Equal(RaftRole.Follower, solo.Raft.Role);
        Assert.Equal(5UL, solo.Raft.Term);
        Assert.Equal(2UL, solo.Raft.Leader);
        Assert.Equal(5UL, solo.Storage.HardState.Term);
    }

    [Fact(DisplayName = "Raft §5.1: a request with a stale term is rejected and tells the sender the current term")]
    public void Stale_leader_is_told_the_newer_term()
    {
        var solo = TestNodes.Node(1, TestNodes.Ids(3), [], TestNodes.Config(1, checkQuorum: true), new HardState(4, 0, 0));
        var replies = solo.Step(new AppendEntries(2, 1, 3, 0, 0, [], 0));
        var reply = Assert.IsType<AppendEntriesResponse>(Assert.Single(replies));
        Assert.Equal(4UL, reply.Term);
        Assert.Equal(RaftIds.None, solo.Raft.Leader);
    }

    [Fact(DisplayName = "Raft §5.2: a candidate that hears from a leader of its term becomes its follower")]
    public void Candidate_hearing_from_leader_of_same_term_follows_it()
    {
        var solo = TestNodes.Node(1, TestNodes.Ids(3), []);
        solo.Raft.Campaign();
        solo.Drain();
        Assert.Equal(RaftRole.Candidate, solo.Raft.Role);
        solo.Step(new AppendEntries(2, 1, 1, 0, 0, [], 0));
        Assert.Equal(RaftRole.Follower, solo.Raft.Role);
        Assert.Equal(2UL, solo.Raft.Leader);
    }

    [Fact(DisplayName = "Raft §5.2: election timeouts are randomized in [election-ticks, 2 x election-ticks)")]
    public void Election_timeouts_are_randomized_within_bounds()
    {
        var seen = new HashSet<int>();
        for (ulong seed = 1; seed <= 200; seed++)
        {
            var storage = MemoryStorage.ForNewCluster(1, 2, 3);
            var node = new RaftNode(new RaftConfig { NodeId = 1, ElectionTicks = 10, PreVote = false }, storage, new SeededRandomSource(seed));
            var ticks = 0;
            while (node.Role == RaftRole.Follower)
            {
                node.Tick();
                ticks++;
                Assert.True(ticks < 20, $"seed {seed}: no campaign after {ticks} ticks");
            }
            Assert.InRange(ticks, 10, 19);
            seen.Add(ticks);
        }
        Assert.True(seen.Count >= 8, $"only {seen.Count} distinct timeouts");
    }

    [Fact(DisplayName = "Raft §5.2 dueling candidates: a split vote is resolved by a later election")]
    public void Dueling_candidates_resolve_by_a_later_election()
    {
        var net = new RaftNetwork(3, c => c with { PreVote = false, CheckQuorum = false });
        net.Cut(1, 3);
        net.Campaign(1);
        net.Campaign(3);
        // 1 won with 2's vote; 3 could not (2 had voted in that term) and is a candidate.
        Assert.Equal(RaftRole.Leader, net.Raft(1).Role);
        Assert.Equal(RaftRole.Candidate, net.Raft(3).Role);
        net.Heal();
        // 3's next campaign, with a higher term, unseats 1 but cannot win: its log lacks 1's no-op.
        net.Campaign(3);
        Assert.Equal(RaftRole.Follower, net.Raft(1).Role);
        Assert.NotEqual(RaftRole.Leader, net.Raft(3).Role);
        var leader = net.TickUntilLeader();
        Assert.NotEqual(3UL, leader);
        Assert.True(net.Raft(leader).Term >= 3);
    }

    [Fact(DisplayName = "Thesis 9.6: a partitioned node pre-votes without raising its term, and does not disrupt on rejoin")]
    public void Rejoining_node_does_not_disrupt_thanks_to_pre_vote()
    {
        var net = new RaftNetwork(3);
        var leader = net.TickUntilLeader();
        var term = net.Raft(leader).Term;
        var other = net.Nodes.Keys.First(id => id != leader);
        net.Isolate(other);
        for (var i = 0; i < 100; i++) net.Tick(other);
        Assert.Equal(term, net.Raft(other).Term);
        Assert.Equal(RaftRole.PreCandidate, net.Raft(other).Role);
        net.Heal();
        net.TickAll(5);
        Assert.Equal(leader, net.Leader());
        Assert.Equal(term, net.Raft(leader).Term);
        Assert.Equal(leader, net.Raft(other).Leader);
    }

    [Fact(DisplayName = "Thesis 9.6 contrast: without pre-vote the rejoining node's higher term deposes the leader")]
    public void Without_pre_vote_a_rejoining_node_disrupts()
    {
        var net = new RaftNetwork(3, c => c with { PreVote = false, CheckQuorum = false });
        var leader = net.TickUntilLeader();
        var term = net.Raft(leader).Term;
        var other = net.Nodes.Keys.First(id => id != leader);
        net.Isolate(other);
        for (var i = 0; i < 100; i++) net.Tick(other);
        Assert.True(net.Raft(other).Term > term);
        net.Heal();
        net.TickAll(30);
        // The old leader was deposed by the higher term, whoever leads now.
        Assert.True(net.Raft(leader).Term > term);
    }

    [Fact(DisplayName = "Thesis 6.2 check-quorum: a leader that hears from no quorum for an election timeout steps down")]
    public void Leader_cut_off_from_quorum_steps_down()
    {
        var net = new RaftNetwork(3);
        var leader = net.TickUntilLeader();
        net.Isolate(leader);
        for (var i = 0; i < 2 * net.Raft(leader).Config.ElectionTicks; i++) net.Tick(leader);
        Assert.Equal(RaftRole.Follower, net.Raft(leader).Role);
    }

    [Fact(DisplayName = "Thesis 6.2 contrast: without check-quorum the cut-off leader goes on believing it leads")]
    public void Without_check_quorum_a_cut_off_leader_stays_leader()
    {
        var net = new RaftNetwork(3, c => c with { CheckQuorum = false, LeaseReads = false });
        var leader = net.TickUntilLeader();
        net.Isolate(leader);
        for (var i = 0; i < 2 * net.Raft(leader).Config.ElectionTicks; i++) net.Tick(leader);
        Assert.Equal(RaftRole.Leader, net.Raft(leader).Role);
    }

    [Fact(DisplayName = "Thesis 4.2.3: a follower that hears from its leader ignores vote requests (leader stickiness)")]
    public void Follower_in_lease_ignores_vote_requests()
    {
        var net = new RaftNetwork(3, c => c with { PreVote = false });
        var leader = net.TickUntilLeader();
        var term = net.Raft(leader).Term;
        var candidate = net.Nodes.Keys.First(id => id != leader);
        net.CutOneWay(leader, candidate); // the candidate stops hearing from the leader, the third node does not
        for (var i = 0; i < 30; i++) net.Tick(candidate);
        Assert.True(net.Raft(candidate).Term > term);
        var third = net.Nodes.Keys.First(id => id != leader && id != candidate);
        Assert.Equal(leader, net.Raft(third).Leader);
        Assert.Equal(term, net.Raft(third).Term);
    }
}
