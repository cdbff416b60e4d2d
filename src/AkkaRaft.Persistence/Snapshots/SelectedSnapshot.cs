using AkkaRaft.Actors.Serialization;

namespace AkkaRaft.Persistence.Snapshots;

/// <summary>A loaded snapshot: its metadata and its bytes (checksum already verified).</summary>
/// <param name="Metadata">Which actor, which sequence number, when.</param>
/// <param name="Snapshot">Serializer id, manifest and bytes of the snapshot state.</param>
public sealed record SelectedSnapshot(SnapshotMetadata Metadata, SerializedMessage Snapshot);
