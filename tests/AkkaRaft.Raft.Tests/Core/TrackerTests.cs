using AkkaRaft.Client;
using AkkaRaft.Raft.Core.Quorum;
using AkkaRaft.Raft.Core.Tracker;

namespace AkkaRaft.Raft.Tests.Core;

public class TrackerTests
{
    [Theory(DisplayName = "Raft §5.3/§5.4: the commit candidate is the highest index held by a majority")]
    [InlineData(new ulong[] { 5 }, 5UL)]
    [InlineData(new ulong[] { 5, 3 }, 3UL)]
    [InlineData(new ulong[] { 5, 3, 1 }, 3UL)]
    [InlineData(new ulong[] { 5, 3, 1, 0 }, 1UL)]
    [InlineData(new ulong[] { 9, 9, 2, 2, 1 }, 2UL)]
    [InlineData(new ulong[] { 9, 9, 9, 2, 1 }, 9UL)]
    public void Quorum_index_is_the_majority_match(ulong[] matches, ulong expected)
    {
        var voters = Enumerable.Range(1, matches.Length).Select(i => (ulong)i).ToArray();
        var config = new MajorityConfig(voters);
        Assert.Equal(expected, config.QuorumValue(id => matches[id - 1]));
    }

    [Fact(DisplayName = "Thesis 4.3 data model: a joint configuration needs a majority of both halves")]
    public void Joint_configuration_needs_both_majorities()
    {
        var joint = new JointConfig(new MajorityConfig([1, 2, 3]), new MajorityConfig([3, 4, 5]));
        ulong[] match = [0, 7, 7, 7, 2, 2];
        Assert.Equal(2UL, joint.QuorumValue(id => match[id]));
        bool?[] votes = [null, true, true, null, false, false];
        Assert.Equal(VoteResult.Lost, joint.Tally(id => votes[id]));
        votes[4] = true;
        votes[5] = null;
        Assert.Equal(VoteResult.Pending, joint.Tally(id => votes[id])); // outgoing half undecided
        votes[3] = true;
        Assert.Equal(VoteResult.Won, joint.Tally(id => votes[id]));
    }

    [Theory(DisplayName = "Raft §5.3: a rejection moves a probing follower's next index back, ignoring stale ones")]
    // state, match, next, rejected, hint, expected accepted, expected next
    [InlineData(ProgressState.Probe, 0UL, 10UL, 9UL, 4UL, true, 5UL)]
    [InlineData(ProgressState.Probe, 0UL, 10UL, 5UL, 4UL, false, 10UL)]   // stale: not the last probe
    [InlineData(ProgressState.Probe, 3UL, 10UL, 9UL, 1UL, true, 4UL)]     // never below match + 1
    [InlineData(ProgressState.Replicate, 5UL, 12UL, 4UL, 0UL, false, 12UL)] // below match: duplicate
    [InlineData(ProgressState.Replicate, 5UL, 12UL, 8UL, 0UL, true, 6UL)]
    public void Rejection_moves_next_back(ProgressState state, ulong match, ulong next, ulong rejected, ulong hint, bool accepted, ulong expectedNext)
    {
        var progress = new Progress(next, 4, 1000, false) { Match = match, State = state };
        Assert.Equal(accepted, progress.MaybeDecrTo(rejected, hint));
        Assert.Equal(expectedNext, progress.Next);
    }

    [Fact(DisplayName = "Raft §5.3 flow control: in-flight appends are freed by acknowledgement, bounded by count and bytes")]
    public void Inflights_are_bounded_and_freed_in_order()
    {
        var inflights = new Inflights(3, 250);
        inflights.Add(5, 100);
        inflights.Add(7, 100);
        Assert.False(inflights.Full);
        inflights.Add(9, 100);
        Assert.True(inflights.Full);
        inflights.FreeLE(7);
        Assert.Equal((1, 100L), (inflights.Count, inflights.Bytes));
        inflights.Add(11, 200);
        Assert.True(inflights.Full); // 300 bytes >= 250
        inflights.FreeFirstOne();
        Assert.Equal((1, 200L), (inflights.Count, inflights.Bytes));
        Assert.Throws<AkkaRaft.Raft.Core.RaftInvariantException>(() =>
        {
            var full = new Inflights(1, 1000);
            full.Add(1, 1);
            full.Add(2, 1);
        });
    }
}
