namespace AkkaRaft.Raft.Peer.Snapshots;

/// <summary>What a <see cref="SnapshotTransfer"/> reports to its observer.</summary>
public enum SnapshotTransferEventKind
{
    /// <summary>This node published a snapshot file for fetching (<see cref="SnapshotTransferEvent.Offset"/>: its length).</summary>
    Published,

    /// <summary>The snapshot port refused a connection or request (<see cref="SnapshotTransferEvent.Detail"/>: why).</summary>
    Refused,

    /// <summary>The snapshot port streamed a snapshot from <see cref="SnapshotTransferEvent.Offset"/> to its end.</summary>
    Served,

    /// <summary>A fetch started: the leader streams from <see cref="SnapshotTransferEvent.Offset"/> (0, or where a cut one stopped).</summary>
    FetchStarted,

    /// <summary>A fetched chunk passed its CRC and was kept: verified up to <see cref="SnapshotTransferEvent.Offset"/>.</summary>
    ChunkVerified,

    /// <summary>A fetch failed (<see cref="SnapshotTransferEvent.Detail"/>); what was verified up to <see cref="SnapshotTransferEvent.Offset"/> is kept.</summary>
    FetchFailed,

    /// <summary>A fetch completed and the whole passed its CRC (<see cref="SnapshotTransferEvent.Offset"/>: its length).</summary>
    FetchCompleted,

    /// <summary>The snapshot directory cannot be written now (read-only, full; <see cref="SnapshotTransferEvent.Detail"/>: why).</summary>
    DirectoryUnwritable,
}

/// <summary>One thing a <see cref="SnapshotTransfer"/> did, for logs, metrics and tests.</summary>
/// <param name="Kind">What happened.</param>
/// <param name="Index">The snapshot's index (0 when a refused request named none).</param>
/// <param name="Term">The snapshot's term.</param>
/// <param name="Offset">A byte offset; see <paramref name="Kind"/>.</param>
/// <param name="Detail">Why, for a refusal or a failure; empty otherwise.</param>
public sealed record SnapshotTransferEvent(SnapshotTransferEventKind Kind, ulong Index, ulong Term, long Offset, string Detail = "");
