using AkkaRaft.Raft.Core;

namespace AkkaRaft.Raft.Peer;

// What the peer reports about itself: role, indexes, members with the leader's view of their replication, the
// counters of this incarnation, and the commit latency of the writes it acknowledged.
internal sealed partial class PeerLogic<TClient>
{
    // Commit latency of acknowledged writes (proposal to hand-off of the committed entry), on the shell's clock.
    private readonly long[] _commitLatencyBuckets = new long[CommitLatencyHistogram.BucketBoundsSeconds.Count + 1];
    private TimeSpan _commitLatencySum;
    private long _commitLatencyCount;

    /// <summary>What this peer knows about itself and its group now.</summary>
    public PeerStatus Status()
    {
        var counters = new RaftPeerCounters(_journalBatches, _entriesPersisted, _entriesApplied, _snapshotsSaved, _snapshotsInstalled, _recoveredEvents);
        if (_node is not { } node)
        {
            return new PeerStatus(_id, RaftRole.Follower, 0, RaftIds.None, 0, 0, 0, 0, [], counters) { CommitLatency = CommitLatency() };
        }

        return new PeerStatus(_id, node.Role, node.Term, node.Leader, node.CommitIndex, _handedIndex,
            node.FirstIndex, node.LastIndex, node.Configuration.Voters, counters)
        {
            Members = Members(node),
            CommitLatency = CommitLatency(),
        };
    }

    /// <summary>Counts one acknowledged write: the state machine applies its entry and answers right after the hand-off.</summary>
    private void RecordCommitLatency(TimeSpan latency)
    {
        // Time never goes back (Begin checks it), so a latency is never negative.
        if (latency < TimeSpan.Zero)
            throw new RaftInvariantException("a write is committed after it was proposed", $"peer {_id}: latency {latency}");
        _commitLatencyBuckets[CommitLatencyHistogram.BucketOf(latency)]++;
        _commitLatencySum += latency;
        _commitLatencyCount++;
    }

    private CommitLatencyHistogram CommitLatency() =>
        new((long[])_commitLatencyBuckets.Clone(), _commitLatencySum, _commitLatencyCount);

    /// <summary>Every member of the configuration in force, voters first, with the progress only the leader tracks.</summary>
    private static List<MemberProgress> Members(RaftNode node)
    {
        var configuration = node.Configuration;
        var progress = node.ProgressSnapshot(); // empty unless this peer leads
        var members = new List<MemberProgress>(configuration.Voters.Length + configuration.Learners.Length);
        var all = configuration.AllMembers();
        foreach (var id in all)
        {
            if (configuration.IsVoter(id)) members.Add(Member(id, isVoter: true));
        }

        foreach (var id in all)
        {
            if (!configuration.IsVoter(id)) members.Add(Member(id, isVoter: false));
        }

        return members;

        MemberProgress Member(ulong id, bool isVoter) =>
            new(id, isVoter, progress.TryGetValue(id, out var p) ? new ReplicationProgress(p.State, p.Match, p.Next) : null);
    }
}
