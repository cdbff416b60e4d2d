namespace AkkaRaft.Persistence.Snapshots;

/// <summary>
/// Which actor a snapshot belongs to, the sequence number of the last event it includes, and when it was taken.
/// Stores keep <see cref="Timestamp"/> at millisecond precision; <see cref="Create"/> truncates to that.
/// </summary>
/// <param name="PersistenceId">The id of the persistent actor.</param>
/// <param name="SequenceNr">The sequence number of the last event folded into the snapshot.</param>
/// <param name="Timestamp">When the snapshot was taken (UTC, millisecond precision).</param>
public sealed record SnapshotMetadata(string PersistenceId, long SequenceNr, DateTimeOffset Timestamp)
{
    /// <summary>Metadata with <paramref name="timestamp"/> truncated to whole milliseconds, as stores keep it.</summary>
    public static SnapshotMetadata Create(string persistenceId, long sequenceNr, DateTimeOffset timestamp) =>
        new(persistenceId, sequenceNr, DateTimeOffset.FromUnixTimeMilliseconds(timestamp.ToUnixTimeMilliseconds()));

    /// <summary><see cref="Timestamp"/> in milliseconds since the Unix epoch, as stored.</summary>
    public long TimestampUnixMs => Timestamp.ToUnixTimeMilliseconds();
}
