namespace AkkaRaft.TimeSeries.Gorilla;

/// <summary>
/// A point's timestamp is not strictly after the previous point of the same series. Nothing is written:
/// the series and its open block are exactly as they were before the call.
/// </summary>
public sealed class NonIncreasingTimestampException : ArgumentException
{
    /// <summary>Creates the exception; the message names the series and both timestamps.</summary>
    public NonIncreasingTimestampException(string seriesName, TimestampUnit unit, long previousTimestamp, long timestamp)
        : base(
            $"Series '{seriesName}' rejected a point at {timestamp} {TimestampCoding.Suffix(unit)}: timestamps must strictly " +
            $"increase, and the previous point is at {previousTimestamp} {TimestampCoding.Suffix(unit)}.",
            nameof(timestamp))
    {
        SeriesName = seriesName;
        Unit = unit;
        PreviousTimestamp = previousTimestamp;
        Timestamp = timestamp;
    }

    /// <summary>The series that rejected the point.</summary>
    public string SeriesName { get; }

    /// <summary>The unit of both timestamps.</summary>
    public TimestampUnit Unit { get; }

    /// <summary>The timestamp of the last point the series accepted.</summary>
    public long PreviousTimestamp { get; }

    /// <summary>The rejected timestamp (equal to or before <see cref="PreviousTimestamp"/>).</summary>
    public long Timestamp { get; }
}

/// <summary>
/// Bytes offered as a Gorilla block are not one: too short, an unknown format, a checksum that does not match,
/// or a bit stream that does not decode to the point count in the footer.
/// </summary>
public sealed class CorruptBlockException : IOException
{
    /// <summary>Creates the exception with a message that says what is wrong.</summary>
    public CorruptBlockException(string message)
        : base(message)
    {
    }
}
