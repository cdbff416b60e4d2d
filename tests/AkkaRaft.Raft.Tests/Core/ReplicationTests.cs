using AkkaRaft.Client;
using AkkaRaft.Raft.Core;
using AkkaRaft.TestSupport.Simulation;

namespace AkkaRaft.Raft.Tests.Core;

public class ReplicationTests
{
    private static readonly ulong[] LeaderLog = [1, 1, 1, 4, 4, 5, 5, 6, 6, 6];

    public static IEnumerable<object[]> Figure7Followers() =>
    [
        ["a", new ulong[] { 1, 1, 1, 4, 4, 5, 5, 6, 6 }],
        ["b", new ulong[] { 1, 1, 1, 4 }],
        ["c", new ulong[] { 1, 1, 1, 4, 4, 5, 5, 6, 6, 6, 6 }],
        ["d", new ulong[] { 1, 1, 1, 4, 4, 5, 5, 6, 6, 6, 7, 7 }],
        ["e", new ulong[] { 1, 1, 1, 4, 4, 4, 4 }],
        ["f", new ulong[] { 1, 1, 1, 2, 2, 2, 3, 3, 3, 3, 3 }],
    ];

    private static RaftNetwork Figure7Network(ulong[] followerLog) =>
        new(new Dictionary<ulong, MemoryStorage>
        {
            [1] = TestNodes.Storage([1, 2, 3], LeaderLog, new HardState(7, 0, 0)),
            [2] = TestNodes.Storage([1, 2, 3], followerLog, new HardState(7, 0, 0)),
            [3] = TestNodes.Storage([1, 2, 3], [], new HardState(7, 0, 0)),
        }, c => c with { PreVote = false });

    [Theory(DisplayName = "Raft §5.3 Figure 7: the leader makes every follower's log identical to its own")]
    [MemberData(nameof(Figure7Followers))]
    public void Leader_brings_any_follower_log_of_figure_7_in_line(string name, ulong[] followerLog)
    {
        var net = Figure7Network(followerLog);
        net.Campaign(1);
        Assert.Equal(RaftRole.Leader, net.Raft(1).Role);
        var expected = LeaderLog.Append(8UL).ToArray();
        Assert.True(expected.SequenceEqual(net.LogTerms(1)), name);
        Assert.Equal(expected, net.LogTerms(2));
        Assert.Equal(expected, net.LogTerms(3));
        Assert.Equal(11UL, net.Raft(2).CommitIndex);
    }

    [Theory(DisplayName = "Raft §5.3 fast backtracking: a divergent follower is found in a few round trips, not one per entry")]
    [MemberData(nameof(Figure7Followers))]
    public void Conflict_hints_find_the_divergence_in_few_round_trips(string name, ulong[] followerLog)
    {
        var net = Figure7Network(followerLog);
        net.Campaign(1);
        var rejections = net.Delivered.Count(m => m is AppendEntriesResponse { Success: false } r && r.From == 2);
        Assert.True(rejections <= 2, $"case {name}: {rejections} rejections");
    }

    public static IEnumerable<object[]> ConsistencyChecks() =>
    [
        // follower log, prevIndex, prevTerm, success, index, rejectHint, logTermHint
        [new ulong[] { 1, 1, 1 }, 2UL, 1UL, true, 2UL, 0UL, 0UL],
        [new ulong[] { 1, 2, 2 }, 5UL, 3UL, false, 5UL, 3UL, 2UL],
        [new ulong[] { 1, 2, 2 }, 3UL, 1UL, false, 3UL, 1UL, 1UL],
        [Array.Empty<ulong>(), 2UL, 1UL, false, 2UL, 0UL, 0UL],
    ];

    [Theory(DisplayName = "Raft §5.3: AppendEntries fails the consistency check with a hint of where the logs may match")]
    [MemberData(nameof(ConsistencyChecks))]
    public void Consistency_check_answers_with_conflict_hints(ulong[] log, ulong prevIndex, ulong prevTerm, bool success, ulong index, ulong hint, ulong hintTerm)
    {
        var solo = TestNodes.Node(2, TestNodes.Ids(3), log, hardState: new HardState(3, 0, 0));
        var reply = Assert.IsType<AppendEntriesResponse>(Assert.Single(solo.Step(new AppendEntries(1, 2, 3, prevIndex, prevTerm, [], 0))));
        Assert.Equal((success, index, hint, hintTerm), (reply.Success, reply.Index, reply.RejectHint, reply.LogTermHint));
    }

    [Fact(DisplayName = "Raft §5.3: committed commands are applied by every node in the same order")]
    public void Every_node_applies_the_same_commands_in_order()
    {
        var net = new RaftNetwork(5);
        var leader = net.TickUntilLeader();
        foreach (var c in new[] { "a", "b", "c", "d" }) Assert.True(net.Propose(leader, c).IsAccepted);
        net.TickAll(2);
        foreach (var node in net.Nodes.Values) Assert.Equal(["a", "b", "c", "d"], node.AppliedCommands());
    }

    [Fact(DisplayName = "Raft §8: a new leader appends a no-op of its term")]
    public void New_leader_appends_a_no_op()
    {
        var solo = TestNodes.Leader(TestNodes.Ids(3), [1, 1]);
        Assert.Equal(RaftRole.Leader, solo.Raft.Role);
        var last = solo.Storage.Entries(3, 4, long.MaxValue)[0];
        Assert.Equal((2UL, 3UL, 0), (last.Term, last.Index, last.Data.Length));
    }

    [Fact(DisplayName = "Raft §5.4.2 Figure 8: a leader does not commit an entry of an earlier term by counting replicas")]
    public void Leader_does_not_commit_previous_term_entries_by_counting()
    {
        var solo = TestNodes.Leader(TestNodes.Ids(3), [1, 2]);
        Assert.Equal(3UL, solo.Raft.Term);
        solo.Step(new AppendEntriesResponse(2, 1, 3, true, 2, 0, 0));
        Assert.Equal(0UL, solo.Raft.CommitIndex);
        solo.Step(new AppendEntriesResponse(2, 1, 3, true, 3, 0, 0));
        Assert.Equal(3UL, solo.Raft.CommitIndex);
    }

    [Fact(DisplayName = "Raft §5.4.2 mutation switch: with the rule skipped the old-term entry commits by counting")]
    public void Mutation_switch_commits_previous_term_entries_by_counting()
    {
        var config = TestNodes.Config(1) with { Mutations = RaftMutations.CommitPreviousTermsByCounting };
        var solo = TestNodes.Leader(TestNodes.Ids(3), [1, 2], config);
        solo.Step(new AppendEntriesResponse(2, 1, 3, true, 2, 0, 0));
        Assert.Equal(2UL, solo.Raft.CommitIndex);
    }

    [Fact(DisplayName = "Thesis 10.2.1: the leader sends entries before its own write but counts itself only once durable")]
    public void Leader_counts_itself_only_after_its_write_is_durable()
    {
        var solo = TestNodes.Leader(TestNodes.Ids(3), []);
        solo.Step(new AppendEntriesResponse(2, 1, 1, true, 1, 0, 0)); // no-op committed
        Assert.Equal(1UL, solo.Raft.CommitIndex);
        var proposal = solo.Raft.Propose([42]);
        var ready = solo.Raft.GetReady();
        Assert.Contains(ready.Messages, m => m is AppendEntries a && a.Entries.Length == 1 && a.Entries[0].Index == proposal.Index);
        Assert.Single(ready.Entries);
        // The follower acknowledges while the leader's own write is still in flight: one of three is not a quorum.
        solo.Raft.Step(new AppendEntriesResponse(3, 1, 1, true, proposal.Index, 0, 0));
        Assert.Equal(1UL, solo.Raft.CommitIndex);
        solo.Storage.Save(ready);
        solo.Raft.Advance(ready);
        Assert.Equal(proposal.Index, solo.Raft.CommitIndex);
    }

    private static Solo ReplicatingLeader(RaftConfig config)
    {
        var solo = TestNodes.Leader(TestNodes.Ids(2), [], config);
        solo.Step(new AppendEntriesResponse(2, 1, 1, true, 1, 0, 0));
        Assert.Equal(1UL, solo.Raft.CommitIndex);
        return solo;
    }

    [Fact(DisplayName = "Raft §5.3 pipelining: no more than max-inflight-messages AppendEntries are in flight to a follower")]
    public void In_flight_appends_are_bounded_by_count()
    {
        var solo = ReplicatingLeader(TestNodes.Config(1) with { MaxInflightMessages = 3 });
        var sent = 0;
        for (var i = 0; i < 10; i++)
        {
            solo.Raft.Propose(new byte[10]);
            sent += solo.Drain().Count(m => m is AppendEntries { Entries.Length: > 0 });
        }
        Assert.Equal(3, sent);
        // One acknowledgement frees a slot: everything else goes out in one batch.
        var more = solo.Step(new AppendEntriesResponse(2, 1, 1, true, 2, 0, 0));
        var append = Assert.IsType<AppendEntries>(Assert.Single(more, m => m is AppendEntries));
        Assert.Equal(7, append.Entries.Length);
    }

    [Fact(DisplayName = "Raft §5.3 pipelining: in-flight bytes are bounded by max-inflight-bytes")]
    public void In_flight_appends_are_bounded_by_bytes()
    {
        var solo = ReplicatingLeader(TestNodes.Config(1) with { MaxInflightBytes = 200 });
        var sent = 0;
        for (var i = 0; i < 10; i++)
        {
            solo.Raft.Propose(new byte[100]);
            sent += solo.Drain().Count(m => m is AppendEntries { Entries.Length: > 0 });
        }
        Assert.Equal(2, sent); // 124 + 124 bytes reach the 200-byte bound
    }

    [Fact(DisplayName = "Raft §5.3 batching: one AppendEntries carries entries up to max-append-entries-bytes")]
    public void Appends_are_batched_up_to_the_byte_limit()
    {
        var solo = ReplicatingLeader(TestNodes.Config(1) with { MaxAppendEntriesBytes = 300 });
        for (var i = 0; i < 6; i++) solo.Raft.Propose(new byte[100]);
        var appends = solo.Drain().OfType<AppendEntries>().ToList();
        Assert.Equal([2, 2, 2], appends.Select(a => a.Entries.Length));
    }

    [Fact(DisplayName = "Raft §5.3 probing: a follower of unknown position gets one AppendEntries at a time")]
    public void Probing_sends_one_append_at_a_time()
    {
        var solo = TestNodes.Leader(TestNodes.Ids(2), []);
        var sent = 0;
        for (var i = 0; i < 5; i++)
        {
            solo.Raft.Propose(new byte[10]);
            sent += solo.Drain().Count(m => m is AppendEntries);
        }
        Assert.Equal(0, sent); // the first probe went out on election; no answer yet
        var next = solo.Step(new HeartbeatResponse(2, 1, 1, 0));
        Assert.Single(next, m => m is AppendEntries);
    }

    [Fact(DisplayName = "Raft §5 persistence: a restarted node keeps its term, vote and persisted log and loses the rest")]
    public void Restart_keeps_only_what_was_persisted()
    {
        var net = new RaftNetwork(3);
        var leader = net.TickUntilLeader();
        net.Propose(leader, "kept");
        var node = net[leader];
        // Not persisted: proposed but the Ready never processed.
        node.Raft.Propose("lost"u8.ToArray());
        var term = node.Raft.Term;
        var last = node.Storage.LastIndex;
        net.Crash(leader);
        net.Restart(leader);
        Assert.Equal(term, net.Raft(leader).Term);
        Assert.Equal(leader, net.Raft(leader).Vote);
        Assert.Equal(last, net.Raft(leader).LastIndex);
        Assert.Equal(RaftRole.Follower, net.Raft(leader).Role);
    }
}

public class CrashAndTimingTests
{
    [Fact(DisplayName = "Raft §5.5: a crashed follower is retried and catches up after its restart")]
    public void Crashed_follower_catches_up_after_restart()
    {
        var net = new RaftNetwork(3);
        var leader = net.TickUntilLeader();
        var follower = net.Nodes.Keys.First(id => id != leader);
        net.Crash(follower);
        foreach (var c in new[] { "a", "b" }) Assert.True(net.Propose(leader, c).IsAccepted);
        net.Restart(follower);
        net.TickAll(3);
        Assert.Equal(["a", "b"], net[follower].AppliedCommands());
        Assert.Equal(net.LogTerms(leader), net.LogTerms(follower));
    }

    [Fact(DisplayName = "Raft §5.5: a leader that crashes after replicating but before answering leaves the entry to its successor")]
    public void Entry_replicated_by_a_crashed_leader_survives()
    {
        var net = new RaftNetwork(3);
        var leader = net.TickUntilLeader();
        net.Propose(leader, "replicated");
        net.Crash(leader);
        var next = net.TickUntilLeader();
        Assert.NotEqual(leader, next);
        Assert.Contains("replicated", net[next].AppliedCommands());
    }

    [Fact(DisplayName = "Raft §5.6: followers that keep hearing heartbeats never campaign")]
    public void Heartbeats_keep_followers_from_campaigning()
    {
        var net = new RaftNetwork(5);
        var leader = net.TickUntilLeader();
        var term = net.Raft(leader).Term;
        net.TickAll(500);
        Assert.Equal(leader, net.Leader());
        Assert.Equal(term, net.Raft(leader).Term);
        Assert.DoesNotContain(net.Delivered, m => m is RequestVote r && r.Term > term);
    }
}
