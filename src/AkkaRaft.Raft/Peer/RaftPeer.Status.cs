using AkkaRaft.Raft.Core;

namespace AkkaRaft.Raft.Peer;

public sealed partial class RaftPeer
{
    private PeerStatus Status()
    {
        var counters = new RaftPeerCounters(_journalBatches, _entriesPersisted, _entriesApplied, _snapshotsSaved, _snapshotsInstalled, _recoveredEvents);
        if (!_recovered) return new PeerStatus(_setup.NodeId, RaftRole.Follower, 0, RaftIds.None, 0, 0, 0, 0, [], counters);
        return new PeerStatus(_setup.NodeId, _node.Role, _node.Term, _node.Leader, _node.CommitIndex, _handedIndex,
            _node.FirstIndex, _node.LastIndex, _node.Configuration.Voters, counters);
    }
}
