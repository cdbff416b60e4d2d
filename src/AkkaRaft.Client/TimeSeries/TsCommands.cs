using System.Text;
using AkkaRaft.Client.TimeSeries.Protocol;
using Google.Protobuf;

namespace AkkaRaft.Client.TimeSeries;

/// <summary>One point of a time series: a timestamp (Unix seconds or milliseconds) and a value.</summary>
/// <param name="Timestamp">Unix seconds, or milliseconds when the command or answer says so.</param>
/// <param name="Value">The value, kept bit for bit.</param>
public readonly record struct TimePoint(long Timestamp, double Value);

/// <summary>The unit of timestamps in a time-series request or answer.</summary>
public enum TimeUnit
{
    /// <summary>Unix seconds (the Gorilla paper's uint32 seconds).</summary>
    Seconds = 0,

    /// <summary>Unix milliseconds.</summary>
    Milliseconds = 1,
}

/// <summary>
/// Builds the bytes of time-series writes, to propose to Raft (the command of a <c>Write</c>); decode the answer
/// with <see cref="TsResult.Decode(ReadOnlySpan{byte})"/>.
/// </summary>
/// <remarks>
/// Every time-series command and query starts with <see cref="Marker"/>, then a protobuf message. A node that serves
/// keys and series in one Raft group routes by that first byte: no key/value command starts with it (their first byte
/// is the tag of a field numbered below 16). Names and points are checked when the command is applied (and by the
/// server before proposing); only what cannot be encoded at all throws here.
/// </remarks>
public static class TsCommands
{
    /// <summary>The first byte of every time-series command and query.</summary>
    public const byte Marker = 0xF5;

    /// <summary>Appends <paramref name="points"/> to the series <paramref name="series"/> (created by its first point).</summary>
    /// <param name="series">The series' name.</param>
    /// <param name="points">The points, in any order; a timestamp given twice keeps its last value.</param>
    /// <param name="unit">The unit of the timestamps; a new series takes it, an existing one must have it.</param>
    /// <exception cref="ArgumentException">The name holds an unpaired surrogate.</exception>
    public static byte[] Append(string series, IReadOnlyList<TimePoint> points, TimeUnit unit = TimeUnit.Seconds) =>
        AppendMany([new KeyValuePair<string, IReadOnlyList<TimePoint>>(series, points)], unit);

    /// <summary>One point (trr's <c>PutTimeData(key, t, v)</c>).</summary>
    /// <exception cref="ArgumentException">The name holds an unpaired surrogate.</exception>
    public static byte[] Append(string series, long timestamp, double value, TimeUnit unit = TimeUnit.Seconds) =>
        Append(series, [new TimePoint(timestamp, value)], unit);

    /// <summary>Points of several series in one log entry, applied all or nothing.</summary>
    /// <exception cref="ArgumentException">A name holds an unpaired surrogate.</exception>
    public static byte[] AppendMany(IEnumerable<KeyValuePair<string, IReadOnlyList<TimePoint>>> series, TimeUnit unit = TimeUnit.Seconds)
    {
        ArgumentNullException.ThrowIfNull(series);
        var append = new AppendOp();
        foreach (var (name, points) in series)
        {
            ArgumentNullException.ThrowIfNull(points);
            append.Series.Add(new SeriesPoints
            {
                Name = NameBytes(name),
                Milliseconds = unit == TimeUnit.Milliseconds,
                Packed = UnsafeByteOperations.UnsafeWrap(PointPacking.Pack(points)),
            });
        }

        return Encode(new TsCommand { Append = append });
    }

    /// <summary>Retention: drops every block whose points are all older than <paramref name="cutoffUnixMs"/>.</summary>
    public static byte[] DropBefore(long cutoffUnixMs) => Encode(new TsCommand { DropBefore = new DropBeforeOp { CutoffMs = cutoffUnixMs } });

    /// <summary>Whether <paramref name="request"/> is a time-series command or query (it starts with <see cref="Marker"/>).</summary>
    public static bool IsTimeSeries(ReadOnlySpan<byte> request) => request.Length > 0 && request[0] == Marker;

    internal static byte[] Encode(IMessage message)
    {
        var bytes = new byte[1 + message.CalculateSize()];
        bytes[0] = Marker;
        message.WriteTo(bytes.AsSpan(1));
        return bytes;
    }

    internal static ByteString NameBytes(string name, [System.Runtime.CompilerServices.CallerArgumentExpression(nameof(name))] string? what = null)
    {
        ArgumentNullException.ThrowIfNull(name, what);
        try
        {
            return ByteString.CopyFrom(new UTF8Encoding(false, true).GetBytes(name));
        }
        catch (EncoderFallbackException e)
        {
            throw new ArgumentException("The series name holds an unpaired surrogate and has no UTF-8 form.", what, e);
        }
    }
}

/// <summary>The aggregate of a downsampled range query.</summary>
public enum TsAggregateKind
{
    /// <summary>No downsampling: raw points.</summary>
    None = 0,

    /// <summary>Mean of the bucket's values.</summary>
    Avg = 1,

    /// <summary>Smallest value.</summary>
    Min = 2,

    /// <summary>Largest value.</summary>
    Max = 3,

    /// <summary>Sum, in time order.</summary>
    Sum = 4,

    /// <summary>Number of points.</summary>
    Count = 5,

    /// <summary>Value of the earliest point.</summary>
    First = 6,

    /// <summary>Value of the latest point.</summary>
    Last = 7,
}

/// <summary>Builds the bytes of time-series queries (the query of a <c>Query</c>).</summary>
public static class TsQueries
{
    /// <summary>
    /// Points of <paramref name="series"/> with <paramref name="from"/> ≤ t &lt; <paramref name="to"/> (null: unbounded), in
    /// <paramref name="unit"/>; with a <paramref name="step"/> above 0 and an aggregate, one point per non-empty bucket
    /// [k·step, (k+1)·step), timestamped by its start.
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="step"/> is negative, or a step is given without an aggregate (or the reverse).</exception>
    /// <exception cref="ArgumentException">The name holds an unpaired surrogate.</exception>
    public static byte[] Range(string series, long? from = null, long? to = null, long step = 0, TsAggregateKind aggregate = TsAggregateKind.None, TimeUnit unit = TimeUnit.Seconds)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(step);
        if ((step == 0) != (aggregate == TsAggregateKind.None))
        {
            throw new ArgumentOutOfRangeException(nameof(step), step, "A downsampled query needs both a step above 0 and an aggregate; a raw one neither.");
        }

        var range = new RangeQuery { Name = TsCommands.NameBytes(series), Milliseconds = unit == TimeUnit.Milliseconds, Step = step, Aggregate = (TsAggregate)aggregate };
        if (from is { } f) range.From = f;
        if (to is { } t) range.To = t;
        return TsCommands.Encode(new TsQuery { Range = range });
    }

    /// <summary>The latest point of <paramref name="series"/> (trr's <c>GetTimeData</c>).</summary>
    /// <exception cref="ArgumentException">The name holds an unpaired surrogate.</exception>
    public static byte[] Latest(string series) => TsCommands.Encode(new TsQuery { Latest = new LatestQuery { Name = TsCommands.NameBytes(series) } });

    /// <summary>The series whose names start with <paramref name="prefix"/>, in ordinal order, with their stats.</summary>
    /// <exception cref="ArgumentException">The prefix holds an unpaired surrogate.</exception>
    public static byte[] List(string prefix) => TsCommands.Encode(new TsQuery { List = new ListQuery { Prefix = TsCommands.NameBytes(prefix) } });

    /// <summary>Points, blocks and bytes of <paramref name="series"/>.</summary>
    /// <exception cref="ArgumentException">The name holds an unpaired surrogate.</exception>
    public static byte[] Stats(string series) => TsCommands.Encode(new TsQuery { Stats = new StatsQuery { Name = TsCommands.NameBytes(series) } });
}
