namespace AkkaRaft.Persistence.Snapshots;

/// <summary>
/// Selects snapshots by sequence number and timestamp, both ranges inclusive. Loading picks the matching snapshot with
/// the highest sequence number; deleting removes every matching one.
/// </summary>
/// <param name="MaxSequenceNr">Highest sequence number selected.</param>
/// <param name="MaxTimestamp">Latest timestamp selected.</param>
/// <param name="MinSequenceNr">Lowest sequence number selected.</param>
/// <param name="MinTimestamp">Earliest timestamp selected.</param>
public sealed record SnapshotSelectionCriteria(
    long MaxSequenceNr, DateTimeOffset MaxTimestamp, long MinSequenceNr, DateTimeOffset MinTimestamp)
{
    /// <summary>Selects snapshots up to <paramref name="maxSequenceNr"/>, any time.</summary>
    public SnapshotSelectionCriteria(long maxSequenceNr)
        : this(maxSequenceNr, DateTimeOffset.MaxValue, 0, DateTimeOffset.MinValue)
    {
    }

    /// <summary>Selects every snapshot (the latest one when loading).</summary>
    public static SnapshotSelectionCriteria Latest { get; } = new(long.MaxValue);

    /// <summary>Selects no snapshot: recovery then replays every event.</summary>
    public static SnapshotSelectionCriteria None { get; } = new(0, DateTimeOffset.MinValue, 1, DateTimeOffset.MaxValue);

    /// <summary>Whether the snapshot described by <paramref name="metadata"/> is selected.</summary>
    public bool Matches(SnapshotMetadata metadata)
    {
        ArgumentNullException.ThrowIfNull(metadata);
        return metadata.SequenceNr >= MinSequenceNr && metadata.SequenceNr <= MaxSequenceNr
            && metadata.TimestampUnixMs >= MinTimestampUnixMs && metadata.TimestampUnixMs <= MaxTimestampUnixMs;
    }

    /// <summary><see cref="MinTimestamp"/> as stored: milliseconds since the Unix epoch.</summary>
    public long MinTimestampUnixMs => MinTimestamp.ToUnixTimeMilliseconds();

    /// <summary><see cref="MaxTimestamp"/> as stored: milliseconds since the Unix epoch.</summary>
    public long MaxTimestampUnixMs => MaxTimestamp.ToUnixTimeMilliseconds();
}
