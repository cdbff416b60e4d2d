using System.Text;
using AkkaRaft.Client.TimeSeries.Protocol;
using Google.Protobuf;

namespace AkkaRaft.Client.TimeSeries;

/// <summary>How a time-series command or query ended. Every failure changed nothing.</summary>
public enum TsStatus
{
    /// <summary>Done.</summary>
    Ok = 0,

    /// <summary>The bytes are not a time-series request, or the request is malformed (points without values, a series named twice, a bad step).</summary>
    InvalidRequest = 1,

    /// <summary>The series name is empty, not UTF-8, or holds a control character.</summary>
    InvalidName = 2,

    /// <summary>The series name is longer than <c>akkaraft.time-series.max-series-name-bytes</c>.</summary>
    NameTooLong = 3,

    /// <summary>The command holds more points than <c>akkaraft.time-series.max-points-per-command</c>.</summary>
    TooManyPoints = 4,

    /// <summary>The command would create more series than <c>akkaraft.time-series.max-series</c> allows.</summary>
    TooManySeries = 5,

    /// <summary>A point is older than the series' open block (or the retention horizon) and is not already stored;
    /// <see cref="TsResult.OldestAccepted"/> is the oldest timestamp the series still accepts.</summary>
    OutOfWindow = 6,

    /// <summary>The series does not exist.</summary>
    NotFound = 7,

    /// <summary>The points' unit is not the series' unit.</summary>
    UnitMismatch = 8,

    /// <summary>A timestamp is outside what the unit can hold (0 to 4,294,967,295 s, or 0 to long.MaxValue ms).</summary>
    TimestampOutOfRange = 9,

    /// <summary>The answer would hold more points or series than <c>akkaraft.time-series.max-query-points</c> allows.</summary>
    TooManyResults = 10,
}

/// <summary>The stats of one series.</summary>
/// <param name="Name">The series.</param>
/// <param name="Unit">Its timestamp unit.</param>
/// <param name="Points">Points stored.</param>
/// <param name="SealedBlocks">Sealed (finished) Gorilla blocks.</param>
/// <param name="OpenPoints">Points in the open block.</param>
/// <param name="Bytes">Bytes of the sealed blocks as stored (CRC footers included) plus the open block so far.</param>
/// <param name="First">Earliest timestamp.</param>
/// <param name="Last">Latest timestamp.</param>
/// <param name="LastValue">Value of the latest point.</param>
public sealed record TsSeriesStats(string Name, TimeUnit Unit, ulong Points, ulong SealedBlocks, ulong OpenPoints, ulong Bytes, long First, long Last, double LastValue)
{
    /// <summary>Bytes per point (0 for no points); the Gorilla paper reports 1.37 on its data.</summary>
    public double BytesPerPoint => Points == 0 ? 0 : (double)Bytes / Points;
}

/// <summary>The decoded answer to a time-series command or query.</summary>
public sealed class TsResult
{
    private TsResult(TsResponse response)
    {
        Status = (TsStatus)response.Status;
        Message = response.Message;
        FailedSeries = response.FailedSeries.IsEmpty ? null : Encoding.UTF8.GetString(response.FailedSeries.Span);
        OldestAccepted = response.OldestAccepted;
        Appended = response.Appended;
        Duplicates = response.Duplicates;
        CreatedSeries = response.CreatedSeries;
        Unit = response.Milliseconds ? TimeUnit.Milliseconds : TimeUnit.Seconds;
        var points = new TimePoint[Math.Min(response.Timestamps.Count, response.Values.Count)];
        for (var i = 0; i < points.Length; i++) points[i] = new TimePoint(response.Timestamps[i], response.Values[i]);
        Points = points;
        Series = response.Series.Select(ToStats).ToArray();
        Stats = response.Stats is { } stats ? ToStats(stats) : null;
        DroppedBlocks = response.DroppedBlocks;
        DroppedPoints = response.DroppedPoints;
        DroppedSeries = response.DroppedSeries;
    }

    /// <summary>How it ended.</summary>
    public TsStatus Status { get; }

    /// <summary>Whether it succeeded.</summary>
    public bool IsOk => Status == TsStatus.Ok;

    /// <summary>What went wrong, for people; empty on success.</summary>
    public string Message { get; }

    /// <summary>The series a failure is about, if one.</summary>
    public string? FailedSeries { get; }

    /// <summary>For <see cref="TsStatus.OutOfWindow"/>: the oldest timestamp the failed series accepts, in its unit.</summary>
    public long OldestAccepted { get; }

    /// <summary>Append: points stored (new or with a new value).</summary>
    public ulong Appended { get; }

    /// <summary>Append: points that were already stored with the same value (a retried write).</summary>
    public ulong Duplicates { get; }

    /// <summary>Append: series the command created.</summary>
    public ulong CreatedSeries { get; }

    /// <summary>Range and latest: the unit of <see cref="Points"/> (the series' unit).</summary>
    public TimeUnit Unit { get; }

    /// <summary>Range: the points (or buckets) in time order; latest: the one point.</summary>
    public IReadOnlyList<TimePoint> Points { get; }

    /// <summary>List: the series, in ordinal order of name.</summary>
    public IReadOnlyList<TsSeriesStats> Series { get; }

    /// <summary>Stats: the series' stats.</summary>
    public TsSeriesStats? Stats { get; }

    /// <summary>Retention: blocks dropped.</summary>
    public ulong DroppedBlocks { get; }

    /// <summary>Retention: points dropped.</summary>
    public ulong DroppedPoints { get; }

    /// <summary>Retention: series left with no point and removed.</summary>
    public ulong DroppedSeries { get; }

    /// <summary>Decodes a response of the time-series state machine.</summary>
    /// <exception cref="InvalidDataException">The bytes are not a time-series response.</exception>
    public static TsResult Decode(ReadOnlySpan<byte> response)
    {
        try
        {
            return new TsResult(TsResponse.Parser.ParseFrom(response));
        }
        catch (InvalidProtocolBufferException e)
        {
            throw new InvalidDataException($"The {response.Length} bytes are not a time-series response.", e);
        }
    }

    /// <inheritdoc cref="Decode(ReadOnlySpan{byte})"/>
    public static TsResult Decode(ReadOnlyMemory<byte> response) => Decode(response.Span);

    private static TsSeriesStats ToStats(SeriesStats s) => new(
        Encoding.UTF8.GetString(s.Name.Span), s.Milliseconds ? TimeUnit.Milliseconds : TimeUnit.Seconds,
        s.Points, s.SealedBlocks, s.OpenPoints, s.Bytes, s.First, s.Last, s.LastValue);
}
