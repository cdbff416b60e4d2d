using AkkaRaft.Client;
using AkkaRaft.Raft.Core;
using AkkaRaft.TestSupport.Linearizability;
using AkkaRaft.TestSupport.Simulation;

namespace AkkaRaft.Raft.Tests.Simulation;

/// <summary>
/// Raft §5.4.2, Figure 8, played step by step on five cores with a client history: with the current-term
/// commit rule skipped, a put is acknowledged and later overwritten, and the linearizability checker rejects
/// the history; with the rule in place the same schedule leaves the put unacknowledged and the history is fine.
/// </summary>
public class Figure8MutationTests
{
    private static CheckResult PlayFigure8(RaftMutations mutations)
    {
        var net = new RaftNetwork(5, c => c with { PreVote = false, CheckQuorum = false, MaxAppendEntriesBytes = 1, Mutations = mutations });
        var history = new HistoryRecorder();
        long time = 0;

        // (a) S1 leads term 2 and gets a put onto S2 only.
        net.Campaign(1);
        Assert.Equal(RaftRole.Leader, net.Raft(1).Role);
        foreach (var other in new ulong[] { 3, 4, 5 }) net.Cut(1, other);
        var put = history.Invoke(1, new KvInput(KvOpKind.Put, "x", "1"), ++time);
        var proposal = net.Raft(1).Propose("put x 1"u8.ToArray());
        net.Stabilize();
        var putIndex = proposal.Index;

        // (b) S1 crashes; S5 wins term 3 with S3 and S4 and appends at the same index, but nobody receives it.
        net.Crash(1);
        net.Heal();
        net.DropFilter = m => m.From == 5 && m is AppendEntries;
        net.Campaign(5);
        Assert.Equal(RaftRole.Leader, net.Raft(5).Role);
        Assert.Equal(3UL, net.Raft(5).Term);
        net.Crash(5);

        // (c) S1 restarts and wins term 4; its old-term entry reaches S3 (a majority holds it) but its own
        //     term-4 entry reaches only S2, and S3/S4 never hear S1's commit index.
        net.Restart(1);
        net.DropFilter = m => m.From == 1 && (m.To == 4 ? m is AppendEntries or Heartbeat
            : m.To == 3 && (m is Heartbeat || m is AppendEntries a
                && (a.LeaderCommit >= putIndex || (net[3].Storage.LastIndex >= putIndex && a.Entries.Any(e => e.Index > putIndex)))));
        net.Campaign(1);
        if (net.Raft(1).Role != RaftRole.Leader) net.Campaign(1);
        Assert.Equal(RaftRole.Leader, net.Raft(1).Role);
        Assert.Equal(4UL, net.Raft(1).Term);
        if (net[1].Applied.Any(e => e.Index == putIndex && e.Term == proposal.Term)) history.Return(put, KvOutput.Written, ++time);
        else history.Timeout(put);

        // (d) S1 crashes, S2 is cut off; S5 wins term 5 with S3 and S4 and overwrites the put's index.
        net.Crash(1);
        net.DropFilter = null;
        net.Isolate(2);
        net.Restart(5);
        for (var i = 0; i < 3 && net.Raft(5).Role != RaftRole.Leader; i++) net.Campaign(5);
        Assert.Equal(RaftRole.Leader, net.Raft(5).Role);

        // (e) A client reads x at the new leader.
        var get = history.Invoke(2, new KvInput(KvOpKind.Get, "x"), ++time);
        Assert.True(net.Raft(5).ReadIndex(1).IsAccepted);
        net.Stabilize();
        var read = Assert.Single(net[5].Reads);
        Assert.True(net.Raft(5).AppliedIndex >= read.Index);
        var value = net[5].AppliedCommands().Contains("put x 1") ? "1" : null;
        history.Return(get, KvOutput.Read(value), ++time);
        return LinearizabilityChecker.Check(history.Operations);
    }

    [Fact(DisplayName = "Mutation: Raft §5.4.2 Figure 8 with the current-term commit rule skipped is caught by the checker")]
    public void Figure_8_with_the_rule_skipped_is_not_linearizable()
    {
        var result = PlayFigure8(RaftMutations.CommitPreviousTermsByCounting);
        Assert.Equal(Verdict.NotLinearizable, result.Verdict);
        Assert.Equal("x", result.Key);
    }

    [Fact(DisplayName = "Raft §5.4.2 Figure 8: with the current-term commit rule the same schedule is linearizable")]
    public void Figure_8_with_the_rule_is_linearizable()
    {
        var result = PlayFigure8(RaftMutations.None);
        Assert.Equal(Verdict.Linearizable, result.Verdict);
    }
}
