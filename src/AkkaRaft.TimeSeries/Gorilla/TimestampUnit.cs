namespace AkkaRaft.TimeSeries.Gorilla;

/// <summary>
/// The unit of a series' timestamps, chosen once per series and recorded in every block header.
/// </summary>
public enum TimestampUnit : byte
{
    /// <summary>
    /// Unix seconds as an unsigned 32-bit number (0 to 4,294,967,295), as in the Gorilla paper and trr.
    /// Block headers hold 32 bits; the first delta takes 14 bits; delta-of-delta buckets are the paper's.
    /// </summary>
    Seconds = 0,

    /// <summary>
    /// Unix milliseconds as a non-negative signed 64-bit number. Block headers hold 64 bits; the first delta
    /// takes 24 bits; delta-of-delta buckets are sized for millisecond jitter (see <see cref="TimestampCoding"/>).
    /// </summary>
    Milliseconds = 1,
}
