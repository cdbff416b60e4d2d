using AkkaRaft.Raft.Core;

namespace AkkaRaft.Raft.Peer;

/// <summary>Everything a <see cref="PeerLogic{TClient}"/> is made of besides what it recovered.</summary>
/// <param name="NodeId">This peer's id in its group (not 0).</param>
/// <param name="InitialVoters">The founding voters of a new group (this peer among them); empty for a peer that joins an existing group. Ignored once the journal holds anything.</param>
/// <param name="Settings">Timing and limits (the core's settings among them).</param>
/// <param name="MaxCommandBytes">The longest client command whose entry still fits one journal event, in bytes; longer writes are rejected.</param>
/// <param name="Random">The core's source of election randomness (seeded in tests, for one incarnation only).</param>
internal sealed record PeerLogicSetup(
    ulong NodeId,
    IReadOnlyList<ulong> InitialVoters,
    RaftPeerSettings Settings,
    long MaxCommandBytes,
    IRandomSource Random)
{
    /// <summary>Checks the setup; returns it or throws <see cref="ArgumentException"/> naming what is wrong.</summary>
    public PeerLogicSetup Validate()
    {
        ArgumentOutOfRangeException.ThrowIfZero(NodeId);
        ArgumentNullException.ThrowIfNull(InitialVoters);
        ArgumentNullException.ThrowIfNull(Settings);
        ArgumentNullException.ThrowIfNull(Random);
        ArgumentOutOfRangeException.ThrowIfLessThan(MaxCommandBytes, 1);
        if (InitialVoters.Count > 0 && !InitialVoters.Contains(NodeId))
            throw new ArgumentException($"node {NodeId} founds a group of [{string.Join(",", InitialVoters)}] it is not part of", nameof(InitialVoters));
        Settings.CoreConfig(NodeId);
        return this;
    }
}
