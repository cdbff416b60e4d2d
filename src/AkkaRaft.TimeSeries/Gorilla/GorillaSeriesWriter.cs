namespace AkkaRaft.TimeSeries.Gorilla;

/// <summary>
/// Writes one series as a sequence of Gorilla blocks aligned to the configured window (Gorilla §4.1: two-hour
/// blocks whose header is the window start). Keeps one open block; when a point does not belong in it (its window
/// ended, it is full, or a delta does not fit the widest bucket) the writer finishes it, hands it back in the
/// <see cref="SeriesAppendResult"/>, and starts the next block with the point. Finished blocks are the caller's
/// to keep; the writer holds only the open one.
/// </summary>
/// <remarks>
/// Not thread-safe: one owner appends. No allocation per point; one per finished block. Windows are at most
/// 2^14 s (<see cref="GorillaSettings.BlockWindowSecondsMax"/>), so inside a window no delta-of-delta can leave the
/// 32-bit bucket and <see cref="AppendStatus.DeltaTooLarge"/> does not arise through the writer; it would be handled
/// like the other reasons (finish, start a new block with the point).
/// </remarks>
public sealed class GorillaSeriesWriter
{
    private readonly GorillaEncoder _encoder;
    private readonly long _window;
    private bool _hasPoints;
    private long _lastTimestamp;

    /// <summary>Creates a writer for one series.</summary>
    /// <param name="seriesName">The series' name, used in error messages.</param>
    /// <param name="settings">Window and block limits.</param>
    /// <param name="unit">The series' timestamp unit; <see cref="GorillaSettings.DefaultTimestampUnit"/> when null.</param>
    public GorillaSeriesWriter(string seriesName, GorillaSettings settings, TimestampUnit? unit = null)
    {
        ArgumentNullException.ThrowIfNull(seriesName);
        ArgumentNullException.ThrowIfNull(settings);
        Settings = settings;
        Unit = unit ?? settings.DefaultTimestampUnit;
        _window = settings.BlockWindowIn(Unit);
        _encoder = new GorillaEncoder(seriesName, Unit, 0, _window, settings.MaxPointsPerBlock);
    }

    /// <summary>The series' name.</summary>
    public string SeriesName => _encoder.SeriesName;

    /// <summary>The series' timestamp unit.</summary>
    public TimestampUnit Unit { get; }

    /// <summary>The settings the writer was made with.</summary>
    public GorillaSettings Settings { get; }

    /// <summary>Window length in <see cref="Unit"/>.</summary>
    public long WindowLength => _window;

    /// <summary>Points in the open block (0 when there is none).</summary>
    public int OpenBlockCount => _hasPoints && !_encoder.IsFinished ? _encoder.Count : 0;

    /// <summary>Header (window start) of the open block; meaningful when <see cref="OpenBlockCount"/> &gt; 0.</summary>
    public long OpenBlockHeader => _encoder.HeaderTimestamp;

    /// <summary>Timestamp of the last accepted point, or null before the first.</summary>
    public long? LastTimestamp => _hasPoints ? _lastTimestamp : null;

    /// <summary>
    /// The open block's bytes so far (format, header, points; no footer), valid until the next call on the writer.
    /// Empty when there is no open block.
    /// </summary>
    public ReadOnlySpan<byte> OpenBlockBytes => OpenBlockCount > 0 ? _encoder.BytesSoFar : default;

    /// <summary>A decoder over the open block, valid until the next call on the writer.</summary>
    /// <exception cref="InvalidOperationException">There is no open block.</exception>
    public GorillaDecoder DecodeOpenBlock()
    {
        if (OpenBlockCount == 0)
        {
            throw new InvalidOperationException($"Series '{SeriesName}' has no open block.");
        }

        return _encoder.DecodeSoFar();
    }

    /// <summary>The start of the window that holds <paramref name="timestamp"/>: the largest multiple of the window ≤ it.</summary>
    public long WindowStartOf(long timestamp) => timestamp - (timestamp % _window);

    /// <summary>
    /// Appends one point. When the point starts a new block, the block it closed is in the result.
    /// </summary>
    /// <param name="timestamp">In <see cref="Unit"/>: 0 to 4,294,967,295 seconds, or 0 to long.MaxValue milliseconds;
    /// strictly after the previous point.</param>
    /// <param name="value">Any double; its exact bits are kept.</param>
    /// <exception cref="NonIncreasingTimestampException">The timestamp is not after the previous one; nothing changed.</exception>
    /// <exception cref="ArgumentOutOfRangeException">The timestamp is outside the unit's range; nothing changed.</exception>
    public SeriesAppendResult Append(long timestamp, double value)
    {
        if (timestamp < 0 || timestamp > TimestampCoding.MaxTimestamp(Unit))
        {
            throw new ArgumentOutOfRangeException(
                nameof(timestamp),
                timestamp,
                $"Series '{SeriesName}': a timestamp in {Unit} must be between 0 and {TimestampCoding.MaxTimestamp(Unit)}.");
        }

        if (_hasPoints && timestamp <= _lastTimestamp)
        {
            throw new NonIncreasingTimestampException(SeriesName, Unit, _lastTimestamp, timestamp);
        }

        if (!_hasPoints || _encoder.IsFinished)
        {
            StartBlock(timestamp);
            Accept(_encoder.TryAppend(timestamp, value), timestamp);
            return new SeriesAppendResult(null, AppendStatus.Appended);
        }

        AppendStatus status = _encoder.TryAppend(timestamp, value);
        if (status == AppendStatus.Appended)
        {
            _lastTimestamp = timestamp;
            return new SeriesAppendResult(null, AppendStatus.Appended);
        }

        // The point does not belong in the open block: close it and start the next with this point.
        GorillaBlock finished = _encoder.Finish();
        StartBlock(timestamp);
        Accept(_encoder.TryAppend(timestamp, value), timestamp);
        return new SeriesAppendResult(finished, status);
    }

    /// <summary>
    /// Finishes the open block and returns it, or null when there is none. The next point starts a new block;
    /// ordering is still enforced against the last point.
    /// </summary>
    public GorillaBlock? FinishOpenBlock()
    {
        if (OpenBlockCount == 0)
        {
            return null;
        }

        return _encoder.Finish();
    }

    private void StartBlock(long timestamp)
    {
        long start = WindowStartOf(timestamp);

        // The last window of the unit's range may be cut short by the range's end; long.MaxValue stands for "no end".
        long end = start > long.MaxValue - _window ? long.MaxValue : start + _window;
        _encoder.Reset(start, end);
    }

    private void Accept(AppendStatus status, long timestamp)
    {
        // A first point at most one window (≤ 2^14 s, < 2^24 ms) after its aligned header always fits: a
        // broken invariant here is a bug in this class, not bad input.
        if (status != AppendStatus.Appended)
        {
            throw new InvalidOperationException(
                $"Series '{SeriesName}': the first point of a fresh block at {timestamp} was refused with {status}.");
        }

        _hasPoints = true;
        _lastTimestamp = timestamp;
    }
}

/// <summary>What <see cref="GorillaSeriesWriter.Append"/> did.</summary>
/// <param name="FinishedBlock">The block this point closed, when it started a new one; the caller stores it.</param>
/// <param name="Reason"><see cref="AppendStatus.Appended"/> when the point went into the open block, else why the
/// previous block was closed (<see cref="AppendStatus.OutsideWindow"/>, <see cref="AppendStatus.BlockFull"/>,
/// <see cref="AppendStatus.DeltaTooLarge"/>).</param>
public readonly record struct SeriesAppendResult(GorillaBlock? FinishedBlock, AppendStatus Reason)
{
    /// <summary>Whether this point closed a block and started a new one.</summary>
    public bool StartedNewBlock => FinishedBlock is not null;
}
