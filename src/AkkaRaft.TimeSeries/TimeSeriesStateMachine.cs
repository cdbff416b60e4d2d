using System.Text;
using AkkaRaft.Client.TimeSeries;
using AkkaRaft.Client.TimeSeries.Protocol;
using AkkaRaft.Raft.StateMachines;
using AkkaRaft.TimeSeries.Gorilla;
using Google.Protobuf;

namespace AkkaRaft.TimeSeries;

/// <summary>
/// The replicated time-series store (trr's, with what Prometheus and InfluxDB users expect of a small one): series
/// of (timestamp, double) points compressed with Gorilla, grouped into <see cref="SeriesShard"/>s that own each
/// series' open encoder and sealed blocks. One append command carries many points of many series and is one log
/// entry, applied all or nothing.
/// </summary>
/// <remarks>
/// <para>
/// A point at or after the start of its series' open block (Gorilla §4.1: blocks aligned to a window) is stored; one
/// inside the open block but not after its latest point rebuilds the open block with it, and an equal timestamp
/// takes the new value (InfluxDB's last write wins). A point older than the open block is refused with
/// <see cref="TsStatus.OutOfWindow"/>, naming the series and the oldest timestamp it accepts, unless it is already
/// stored bit for bit (a retried write), which counts as a duplicate. Retention (<see cref="TsCommands.DropBefore"/>)
/// comes through the log with its cutoff, so every peer drops the same blocks.
/// </para>
/// <para>
/// Build commands with <see cref="TsCommands"/> and queries with <see cref="TsQueries"/>; decode answers with
/// <see cref="TsResult"/>. Deterministic (no clock, no randomness, ordinal name order), so replicas hold identical
/// state and write identical snapshots. Not thread-safe: its peer's state machine actor is its only caller.
/// </para>
/// </remarks>
public sealed partial class TimeSeriesStateMachine : IStateMachine
{
    /// <summary>The prefix of a series in <see cref="ApplyResult.ChangedKeys"/> and <see cref="QueryResult.ReadKeys"/>: it holds a
    /// control character, which no key of the key/value store may hold, so keys and series never collide.</summary>
    public const string ChangedKeyPrefix = "\u001Fseries/";

    private static readonly UTF8Encoding StrictUtf8 = new(false, true);

    private readonly TimeSeriesSettings _settings;
    private SeriesShard[] _shards;
    private SortedSet<string> _names = new(StringComparer.Ordinal);
    private long? _retentionCutoffMs;

    /// <summary>Creates an empty store that enforces <paramref name="settings"/>.</summary>
    /// <exception cref="ArgumentOutOfRangeException">A limit in <paramref name="settings"/> is out of its range.</exception>
    public TimeSeriesStateMachine(TimeSeriesSettings settings)
    {
        ArgumentNullException.ThrowIfNull(settings);
        settings.Validate();
        _settings = settings;
        _shards = NewShards();
    }

    /// <summary>The limits this store enforces.</summary>
    public TimeSeriesSettings Settings => _settings;

    /// <summary>How many series the store holds.</summary>
    public int SeriesCount => _names.Count;

    /// <summary>How many series each shard owns.</summary>
    public IReadOnlyList<int> ShardSizes => _shards.Select(s => s.Count).ToArray();

    /// <summary>The retention cutoff last applied (Unix ms), or null before the first.</summary>
    public long? RetentionCutoffMs => _retentionCutoffMs;

    /// <summary>The bytes of a series' sealed blocks, oldest first (tests and tools).</summary>
    internal IReadOnlyList<ReadOnlyMemory<byte>> SealedBlockBytes(string name) =>
        Find(name)?.Sealed.Select(b => b.Block.Bytes).ToArray() ?? [];

    /// <inheritdoc />
    public ApplyResult Apply(in ApplyContext context, ReadOnlyMemory<byte> command)
    {
        ArgumentOutOfRangeException.ThrowIfZero(context.Index, "context.Index");
        if (!TsCommands.IsTimeSeries(command.Span)) return Failed(TsStatus.InvalidRequest, $"The {command.Length} bytes are not a time-series command (they do not start with its marker).");
        TsCommand decoded;
        try
        {
            decoded = TsCommand.Parser.ParseFrom(command.Span[1..]);
        }
        catch (InvalidProtocolBufferException)
        {
            // The parser's message is left out: a result must be the same on every peer.
            return Failed(TsStatus.InvalidRequest, $"The {command.Length} bytes are not a time-series command.");
        }

        return decoded.OpCase switch
        {
            TsCommand.OpOneofCase.Append => Append(decoded.Append),
            TsCommand.OpOneofCase.DropBefore => DropBefore(decoded.DropBefore.CutoffMs),
            _ => Failed(TsStatus.InvalidRequest, "The time-series command names no operation."),
        };
    }

    /// <inheritdoc />
    /// <remarks>Series belong to no session: nothing changes.</remarks>
    public ApplyResult SessionExpired(in ApplyContext context, long sessionId) => ApplyResult.Unchanged(Encode(new TsResponse()));

    /// <summary>What an append will do to one series, decided before anything changes.</summary>
    private readonly record struct SeriesPlan(string Name, TimestampUnit Unit, DataPoint[] Points, int DuplicatesBelow);

    private ApplyResult Append(AppendOp append)
    {
        if (append.Series.Count == 0) return Failed(TsStatus.InvalidRequest, "The append names no series.");
        var total = 0L;
        var plans = new SeriesPlan[append.Series.Count];
        var seen = new HashSet<string>(StringComparer.Ordinal);
        var created = 0;
        for (var i = 0; i < append.Series.Count; i++)
        {
            var one = append.Series[i];
            if (!TryName(one.Name, out var name)) return Failed(TsStatus.InvalidName, $"The name of series {i + 1} of the append is not valid UTF-8.");
            if (_settings.CheckName(name, out var problem) is var nameStatus && nameStatus != TsStatus.Ok) return SeriesFailed(nameStatus, name, problem);
            if (!seen.Add(name)) return SeriesFailed(TsStatus.InvalidRequest, name, $"The series '{Shown(name)}' appears more than once in the append.");
            if (one.Timestamps.Count != one.Values.Count)
            {
                return SeriesFailed(TsStatus.InvalidRequest, name, $"Series '{Shown(name)}' has {one.Timestamps.Count} timestamps but {one.Values.Count} values.");
            }

            if (one.Timestamps.Count == 0) return SeriesFailed(TsStatus.InvalidRequest, name, $"Series '{Shown(name)}' has no points.");
            total += one.Timestamps.Count;
            if (total > _settings.MaxPointsPerCommand)
            {
                return SeriesFailed(TsStatus.TooManyPoints, name,
                    $"The append holds more than max-points-per-command ({_settings.MaxPointsPerCommand}) points; the limit is passed in series '{Shown(name)}'. Nothing was written.");
            }

            var unit = one.Milliseconds ? TimestampUnit.Milliseconds : TimestampUnit.Seconds;
            var existing = Find(name);
            if (existing is not null && existing.Unit != unit)
            {
                return SeriesFailed(TsStatus.UnitMismatch, name,
                    $"Series '{Shown(name)}' holds timestamps in {UnitName(existing.Unit)}; the points were sent in {UnitName(unit)}. Nothing was written.");
            }

            if (existing is null && _names.Count + ++created > _settings.MaxSeries)
            {
                return SeriesFailed(TsStatus.TooManySeries, name,
                    $"Creating series '{Shown(name)}' would pass max-series ({_settings.MaxSeries}); the store holds {_names.Count}. Nothing was written.");
            }

            var points = Sorted(one);
            var max = TimestampCoding.MaxTimestamp(unit);
            if (points[0].Timestamp < 0 || points[^1].Timestamp > max)
            {
                var bad = points[0].Timestamp < 0 ? points[0].Timestamp : points[^1].Timestamp;
                return SeriesFailed(TsStatus.TimestampOutOfRange, name,
                    $"Series '{Shown(name)}': the timestamp {bad} is outside 0 to {max} {UnitName(unit)}. Nothing was written.");
            }

            var floor = existing?.OldestAccepted(RetentionFloor(unit)) ?? RetentionFloor(unit);
            var below = 0;
            Dictionary<int, (long[] T, double[] V)>? decoded = null;
            while (below < points.Length && points[below].Timestamp < floor)
            {
                var p = points[below];
                if (existing is null || !existing.HoldsSealed(p.Timestamp, p.Value, decoded ??= []))
                {
                    return OutOfWindow(name, unit, p.Timestamp, floor);
                }

                below++;
            }

            plans[i] = new SeriesPlan(name, unit, points[below..], below);
        }

        var response = new TsResponse { CreatedSeries = (ulong)created };
        var changed = new List<string>(plans.Length);
        foreach (var plan in plans)
        {
            var shard = _shards[SeriesShard.ShardOf(plan.Name, _shards.Length)];
            var series = shard.GetOrCreate(plan.Name, plan.Unit);
            _names.Add(plan.Name);
            var duplicates = plan.DuplicatesBelow + series.Store(plan.Points);
            response.Duplicates += (ulong)duplicates;
            response.Appended += (ulong)(plan.Points.Length + plan.DuplicatesBelow - duplicates);
            if (plan.Points.Length + plan.DuplicatesBelow > duplicates) changed.Add(ChangedKeyPrefix + plan.Name);
        }

        return new ApplyResult(Encode(response), changed);
    }

    private ApplyResult OutOfWindow(string name, TimestampUnit unit, long timestamp, long floor)
    {
        var why = _retentionCutoffMs is not null && floor == RetentionFloor(unit)
            ? "older than the retention horizon"
            : "older than the series' open block, whose blocks before it are sealed";
        var response = new TsResponse
        {
            Status = (TsStatusCode)TsStatus.OutOfWindow,
            Message = $"Series '{Shown(name)}': the point at {timestamp} {UnitName(unit)} is {why}; the oldest timestamp it accepts is {floor}. Nothing was written.",
            FailedSeries = ByteString.CopyFromUtf8(name),
            OldestAccepted = floor,
        };
        return ApplyResult.Unchanged(Encode(response));
    }

    /// <summary>The points of one series sorted by timestamp; of equal timestamps, the last given wins.</summary>
    private static DataPoint[] Sorted(SeriesPoints one)
    {
        var count = one.Timestamps.Count;
        var order = new (long T, int I)[count];
        for (var i = 0; i < count; i++) order[i] = (one.Timestamps[i], i);
        Array.Sort(order);
        var points = new List<DataPoint>(count);
        for (var i = 0; i < count; i++)
        {
            if (i + 1 < count && order[i + 1].T == order[i].T) continue;
            points.Add(new DataPoint(order[i].T, one.Values[order[i].I]));
        }

        return [.. points];
    }

    private ApplyResult DropBefore(long cutoffMs)
    {
        var response = new TsResponse();
        if (_retentionCutoffMs is { } current && cutoffMs <= current)
        {
            // A cutoff never moves back: a late or repeated proposal changes nothing.
            return ApplyResult.Unchanged(Encode(response));
        }

        _retentionCutoffMs = cutoffMs;
        var changed = new List<string>();
        var emptied = new List<string>();
        foreach (var name in _names)
        {
            var series = Find(name)!;
            var (blocks, points) = series.DropBefore(RetentionFloor(series.Unit));
            if (blocks == 0) continue;
            response.DroppedBlocks += (ulong)blocks;
            response.DroppedPoints += (ulong)points;
            changed.Add(ChangedKeyPrefix + name);
            if (series.Points == 0) emptied.Add(name);
        }

        foreach (var name in emptied)
        {
            _shards[SeriesShard.ShardOf(name, _shards.Length)].Remove(name);
            _names.Remove(name);
        }

        response.DroppedSeries = (ulong)emptied.Count;
        return new ApplyResult(Encode(response), changed);
    }

    /// <summary>The oldest timestamp retention lets in, in <paramref name="unit"/> (0 without retention).</summary>
    private long RetentionFloor(TimestampUnit unit)
    {
        if (_retentionCutoffMs is not { } cutoff || cutoff <= 0) return 0;
        return unit == TimestampUnit.Milliseconds ? cutoff : (cutoff / 1000) + (cutoff % 1000 == 0 ? 0 : 1);
    }

    private StoredSeries? Find(string name) => _shards[SeriesShard.ShardOf(name, _shards.Length)].Find(name);

    private SeriesShard[] NewShards()
    {
        var shards = new SeriesShard[_settings.Shards];
        for (var i = 0; i < shards.Length; i++) shards[i] = new SeriesShard(i, _settings.Codec);
        return shards;
    }

    private static bool TryName(ByteString bytes, out string name)
    {
        try
        {
            name = StrictUtf8.GetString(bytes.Span);
            return true;
        }
        catch (DecoderFallbackException)
        {
            name = "";
            return false;
        }
    }

    internal static string UnitName(TimestampUnit unit) => unit == TimestampUnit.Seconds ? "seconds" : "milliseconds";

    private static string Shown(string name) => TimeSeriesSettings.Shown(name);

    private static ApplyResult Failed(TsStatus status, string message) =>
        ApplyResult.Unchanged(Encode(new TsResponse { Status = (TsStatusCode)status, Message = message }));

    private static ApplyResult SeriesFailed(TsStatus status, string name, string message) =>
        ApplyResult.Unchanged(Encode(new TsResponse { Status = (TsStatusCode)status, Message = message, FailedSeries = ByteString.CopyFromUtf8(name) }));

    private static byte[] Encode(TsResponse response) => response.ToByteArray();
}
