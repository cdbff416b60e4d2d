using AkkaRaft.Raft.Core;

namespace AkkaRaft.Raft.Tests.Core;

public class InvariantTests
{
    [Fact(DisplayName = "Invariant: an entry below the commit index is never overwritten (the exception names it and the values)")]
    public void Overwriting_a_committed_entry_throws_naming_the_invariant()
    {
        var storage = TestNodes.Storage([1, 2, 3], [1, 1, 1]);
        var log = new RaftLog(storage, long.MaxValue);
        log.InitCommitted(3);
        var ex = Assert.Throws<RaftInvariantException>(() =>
            log.MaybeAppend(1, 1, 3, [new Entry(2, 2, EntryType.Normal, [])], out _, out _));
        Assert.Equal("an entry is never overwritten below the commit index", ex.Invariant);
        Assert.Contains("index 2", ex.Message);
        Assert.Contains("commit index 3", ex.Message);
    }

    [Fact(DisplayName = "Invariant: a leader telling a follower to commit past its log is caught")]
    public void Commit_past_the_last_index_throws()
    {
        var solo = TestNodes.Node(2, TestNodes.Ids(3), [1, 1], hardState: new HardState(1, 0, 0));
        var ex = Assert.Throws<RaftInvariantException>(() => solo.Raft.Step(new Heartbeat(1, 2, 1, 9, 1)));
        Assert.Contains("commit to 9, last index 2", ex.Message);
    }

    [Fact(DisplayName = "Invariant: two leaders in one term are caught")]
    public void Second_leader_in_a_term_throws()
    {
        var solo = TestNodes.Leader(TestNodes.Ids(3), []);
        var ex = Assert.Throws<RaftInvariantException>(() => solo.Raft.Step(new AppendEntries(2, 1, solo.Raft.Term, 0, 0, [], 0)));
        Assert.Equal("at most one leader per term", ex.Invariant);
    }

    [Fact(DisplayName = "Invariant: persisted state with a commit index past the log is refused at start")]
    public void Inconsistent_storage_is_refused()
    {
        var ex = Assert.Throws<RaftInvariantException>(() => TestNodes.Node(1, TestNodes.Ids(3), [1], hardState: new HardState(1, 0, 5)));
        Assert.Contains("commit 5", ex.Message);
    }

    [Fact(DisplayName = "Invariant: the applied index never passes the commit index")]
    public void Applying_past_commit_throws()
    {
        var log = new RaftLog(TestNodes.Storage([1], [1, 1]), long.MaxValue);
        log.InitCommitted(1);
        var ex = Assert.Throws<RaftInvariantException>(() => log.AppliedTo(2));
        Assert.Contains("applied to 2", ex.Message);
    }

    public static IEnumerable<object[]> BadConfigs() =>
    [
        [new RaftConfig { NodeId = 0 }, "node-id"],
        [new RaftConfig { NodeId = 1, ElectionTicks = 1 }, "election-ticks"],
        [new RaftConfig { NodeId = 1, HeartbeatTicks = 10, ElectionTicks = 10 }, "heartbeat-ticks"],
        [new RaftConfig { NodeId = 1, LeaseReads = true, CheckQuorum = false }, "lease-reads"],
        [new RaftConfig { NodeId = 1, MaxInflightMessages = 0 }, "max-inflight-messages"],
        [new RaftConfig { NodeId = 1, MaxInflightBytes = 0 }, "max-inflight-bytes"],
        [new RaftConfig { NodeId = 1, MaxAppendEntriesBytes = 0 }, "max-append-entries-bytes"],
        [new RaftConfig { NodeId = 1, MaxSnapshotBytes = 0 }, "max-snapshot-bytes"],
        [new RaftConfig { NodeId = 1, MaxPendingReads = 0 }, "max-pending-reads"],
    ];

    [Theory(DisplayName = "Config: an invalid setting is refused with its name")]
    [MemberData(nameof(BadConfigs))]
    public void Invalid_setting_is_refused_naming_it(RaftConfig config, string setting)
    {
        var ex = Assert.Throws<ArgumentException>(() => new RaftNode(config, MemoryStorage.ForNewCluster(1), new SeededRandomSource(1)));
        Assert.Contains($"akkaraft.raft.{setting}", ex.Message);
    }

    [Fact(DisplayName = "Ready protocol: taking a Ready before advancing the previous one is refused")]
    public void Ready_before_advance_is_refused()
    {
        var solo = TestNodes.Node(1, TestNodes.Ids(1), []);
        solo.Raft.Campaign();
        solo.Raft.GetReady();
        Assert.False(solo.Raft.HasReady);
        Assert.Throws<InvalidOperationException>(() => solo.Raft.GetReady());
    }

    [Fact(DisplayName = "Step: a message addressed to another node is refused")]
    public void Message_for_another_node_is_refused()
    {
        var solo = TestNodes.Node(1, TestNodes.Ids(3), []);
        Assert.Throws<ArgumentException>(() => solo.Raft.Step(new Heartbeat(2, 3, 1, 0, 0)));
    }

    public static IEnumerable<object[]> MalformedMessages() =>
    [
        [new AppendEntries(2, 1, 1, 0, 0, [new Entry(1, 2, EntryType.Normal, [])], 0), "has index 2, expected 1"],
        [new AppendEntries(2, 1, 1, 0, 0, [new Entry(5, 1, EntryType.Normal, [])], 0), "has term 5"],
        [new AppendEntries(2, 1, 3, 0, 0, [new Entry(2, 1, EntryType.Normal, []), new Entry(1, 2, EntryType.Normal, [])], 0), "has term 1"],
        [new InstallSnapshot(2, 1, 1, new Snapshot(new SnapshotMetadata(5, 1, null!), [1, 2, 3])), "without metadata or data"],
    ];

    [Theory(DisplayName = "Step: a malformed message from the network is refused before it changes anything")]
    [MemberData(nameof(MalformedMessages))]
    public void Malformed_message_is_refused_without_effect(RaftMessage message, string reason)
    {
        var solo = TestNodes.Node(1, TestNodes.Ids(3), []);
        var ex = Assert.Throws<ArgumentException>(() => solo.Raft.Step(message));
        Assert.Contains(reason, ex.Message);
        Assert.Equal(0UL, solo.Raft.Term);
        Assert.Equal(RaftIds.None, solo.Raft.Leader);
    }

    [Fact(DisplayName = "ConfChange: encoding round-trips and malformed data is refused")]
    public void Conf_change_encoding_round_trips()
    {
        var change = new ConfChange([new ConfChangeStep(ConfChangeType.AddLearner, 77)], ConfChangeTransition.Simple, [9, 8]);
        var decoded = ConfChange.Decode(change.Encode());
        Assert.Equal(change.Steps, decoded.Steps);
        Assert.Equal(change.Context, decoded.Context);
        Assert.Throws<FormatException>(() => ConfChange.Decode([1, 2, 3]));
    }
}
