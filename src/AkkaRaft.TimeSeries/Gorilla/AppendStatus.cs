namespace AkkaRaft.TimeSeries.Gorilla;

/// <summary>
/// What <see cref="GorillaEncoder.TryAppend"/> did with a point. Every status but <see cref="Appended"/> means the
/// point was NOT written and the block is unchanged: the point belongs in a new block, which
/// <see cref="GorillaSeriesWriter"/> starts by itself.
/// </summary>
public enum AppendStatus : byte
{
    /// <summary>The point is in the block.</summary>
    Appended = 0,

    /// <summary>The timestamp is at or after the end of the block's window.</summary>
    OutsideWindow = 1,

    /// <summary>The block already holds its maximum number of points.</summary>
    BlockFull = 2,

    /// <summary>
    /// The delta-of-delta does not fit the widest bucket ('1111' + 32 bits); writing it would corrupt the stream.
    /// </summary>
    DeltaTooLarge = 3,

    /// <summary>The first point is too far after the header for the first-delta field (14 bits in seconds).</summary>
    FirstDeltaTooLarge = 4,
}
