using AkkaRaft.Raft.Core;

namespace AkkaRaft.Raft.Peer.Snapshots;

/// <summary>
/// What a leader with a snapshot port sends a follower instead of the core's <see cref="InstallSnapshot"/>: the
/// snapshot's metadata only, and where to fetch its bytes (<see cref="SnapshotTransfer"/>). The follower's peer logic
/// turns it into a fetch, and the fetched, verified bytes into the core's <see cref="InstallSnapshot"/>. It crosses
/// Akka.Remote as a peer message (<c>WireSnapshotOffer</c>); the core never sees it.
/// </summary>
/// <param name="Metadata">What the snapshot covers.</param>
/// <param name="TotalBytes">Length of the snapshot's bytes.</param>
/// <param name="Crc32C">CRC-32C of the whole snapshot's bytes: the fetched copy must match it.</param>
/// <param name="Endpoint">host:port of the leader's snapshot port.</param>
/// <param name="Token">The secret the fetch request must present (16 random bytes per published snapshot): only a node
/// that got this offer over the cluster's remoting can read the snapshot from the port.</param>
public sealed record SnapshotOffer(
    ulong From, ulong To, ulong Term, SnapshotMetadata Metadata, long TotalBytes, uint Crc32C, string Endpoint, byte[] Token)
    : RaftMessage(From, To, Term)
{
    /// <summary>Bytes of <see cref="Token"/>.</summary>
    public const int TokenBytes = 16;

    /// <inheritdoc />
    public override string ToString() =>
        $"SnapshotOffer {{ From = {From}, To = {To}, Term = {Term}, Index = {Metadata.Index}, SnapshotTerm = {Metadata.Term}, TotalBytes = {TotalBytes}, Endpoint = {Endpoint} }}";
}
