using AkkaRaft.Raft.Core;

namespace AkkaRaft.Raft.Peer;

public sealed partial class RaftPeer
{
    private PeerStatus Status()
    {
        var counters = new RaftPeerCounters(_journalBatches, _entriesPersisted, _entriesApplied, _snapshotsSaved, _snapshotsInstalled, _recoveredEvents);
        if (!_recovered)
        {
            return new PeerStatus(_setup.NodeId, RaftRole.Follower, 0, RaftIds.None, 0, 0, 0, 0, [], counters) { CommitLatency = CommitLatency() };
        }

        return new PeerStatus(_setup.NodeId, _node.Role, _node.Term, _node.Leader, _node.CommitIndex, _handedIndex,
            _node.FirstIndex, _node.LastIndex, _node.Configuration.Voters, counters)
        {
            Members = Members(),
            CommitLatency = CommitLatency(),
        };
    }

    /// <summary>Every member of the configuration in force, voters first, with the progress only the leader tracks.</summary>
    private List<MemberProgress> Members()
    {
        var configuration = _node.Configuration;
        var progress = _node.ProgressSnapshot(); // empty unless this peer leads
        var members = new List<MemberProgress>(configuration.Voters.Length + configuration.Learners.Length);
        foreach (var id in configuration.AllMembers())
        {
            if (configuration.IsVoter(id)) members.Add(Member(id, isVoter: true));
        }

        foreach (var id in configuration.AllMembers())
        {
            if (!configuration.IsVoter(id)) members.Add(Member(id, isVoter: false));
        }

        return members;

        MemberProgress Member(ulong id, bool isVoter) =>
            new(id, isVoter, progress.TryGetValue(id, out var p) ? new ReplicationProgress(p.State, p.Match, p.Next) : null);
    }
}
