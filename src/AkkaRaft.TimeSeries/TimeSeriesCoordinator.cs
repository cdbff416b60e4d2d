using System.Runtime.InteropServices;
using System.Text;
using AkkaRaft.Client.TimeSeries;
using AkkaRaft.Client.TimeSeries.Protocol;
using AkkaRaft.Raft.StateMachines;
using AkkaRaft.TimeSeries.Gorilla;
using Google.Protobuf;

namespace AkkaRaft.TimeSeries;

/// <summary>An append as the coordinator checked it: each shard's part, and the first series it refused itself.</summary>
internal sealed class AppendPlan
{
    internal AppendPlan(SeriesPlan[] plans, bool[] created, List<SeriesPlan>?[] byShard, int failedAt, ApplyResult? failure)
    {
        Plans = plans;
        Created = created;
        ByShard = byShard;
        FailedAt = failedAt;
        Failure = failure;
    }

    /// <summary>The series of the append up to the first refused one, by position.</summary>
    public SeriesPlan[] Plans { get; }

    /// <summary>By position: whether the series is new.</summary>
    public bool[] Created { get; }

    /// <summary>By shard: the series the shard must prepare (null when none), in append order.</summary>
    public List<SeriesPlan>?[] ByShard { get; }

    /// <summary>The position of the first series the coordinator refused; int.MaxValue when none.</summary>
    public int FailedAt { get; }

    /// <summary>The answer to give when no series before <see cref="FailedAt"/> is refused by its shard.</summary>
    public ApplyResult? Failure { get; }
}

/// <summary>Where a query goes.</summary>
internal abstract record QueryRoute;

/// <summary>Answered by the coordinator (a malformed query, a bad name).</summary>
internal sealed record AnsweredQuery(QueryResult Result) : QueryRoute;

/// <summary>A query on one series, answered by the shard of the series.</summary>
internal sealed record SeriesQuery(int Shard, string Name, TsQuery Query) : QueryRoute;

/// <summary>Series by prefix: the stats of <paramref name="Names"/> (in order), <paramref name="ByShard"/> asked of each shard.</summary>
internal sealed record ListRoute(IReadOnlyList<string> Names, List<string>?[] ByShard) : QueryRoute;

/// <summary>
/// The part of the time-series store above its shards: decodes commands and queries, checks names and limits, the
/// index of series names (for max-series and series by prefix) and their units, the retention cutoff; splits an
/// append into each shard's part and adds up the shards' answers; merges the shards' parts of a snapshot. Holds no
/// points. Pure (no clock, no I/O): the synchronous <see cref="TimeSeriesStateMachine"/> calls it with its shards
/// in-line, the <see cref="Actors.TimeSeriesActor"/> with its shard actors' answers.
/// </summary>
internal sealed class TimeSeriesCoordinator
{
    private static readonly UTF8Encoding StrictUtf8 = new(false, true);

    private readonly TimeSeriesSettings _settings;
    private readonly SortedSet<string> _names;
    private readonly Dictionary<string, TimestampUnit> _units;

    /// <summary>An empty store's coordinator.</summary>
    public TimeSeriesCoordinator(TimeSeriesSettings settings)
        : this(settings, new Dictionary<string, TimestampUnit>(StringComparer.Ordinal), null)
    {
    }

    /// <summary>A restored store's coordinator: the series and their units, and the retention cutoff.</summary>
    public TimeSeriesCoordinator(TimeSeriesSettings settings, Dictionary<string, TimestampUnit> units, long? retentionCutoffMs)
    {
        _settings = settings;
        _units = units;
        _names = new SortedSet<string>(units.Keys, StringComparer.Ordinal);
        RetentionCutoffMs = retentionCutoffMs;
    }

    /// <summary>How many series the store holds.</summary>
    public int SeriesCount => _names.Count;

    /// <summary>The retention cutoff last applied (Unix ms), or null before the first.</summary>
    public long? RetentionCutoffMs { get; private set; }

    /// <summary>The shard of a series.</summary>
    public int ShardOf(string name) => SeriesShard.ShardOf(name, _settings.Shards);

    /// <summary>Empty shards for this store's settings.</summary>
    public static SeriesShard[] NewShards(TimeSeriesSettings settings)
    {
        var shards = new SeriesShard[settings.Shards];
        for (var i = 0; i < shards.Length; i++) shards[i] = new SeriesShard(i, settings.Codec, settings.MaxQueryPoints);
        return shards;
    }

    /// <summary>Decodes a command; a refusal (it changes nothing) when it is not one.</summary>
    public ApplyResult? Decode(ReadOnlyMemory<byte> command, out TsCommand decoded)
    {
        decoded = null!;
        if (!TsCommands.IsTimeSeries(command.Span)) return TsAnswer.Refused(TsStatus.InvalidRequest, $"The {command.Length} bytes are not a time-series command (they do not start with its marker).");
        try
        {
            decoded = TsCommand.Parser.ParseFrom(command.Span[1..]);
        }
        catch (InvalidProtocolBufferException)
        {
            // The parser's message is left out: a result must be the same on every peer.
            return TsAnswer.Refused(TsStatus.InvalidRequest, $"The {command.Length} bytes are not a time-series command.");
        }

        return decoded.OpCase is TsCommand.OpOneofCase.Append or TsCommand.OpOneofCase.DropBefore
            ? null
            : TsAnswer.Refused(TsStatus.InvalidRequest, "The time-series command names no operation.");
    }

    /// <summary>
    /// Checks an append series by series in its order (name, repeats, points, limits, unit, timestamps) and splits it
    /// into each shard's part. It stops at the first series it refuses: only the series before it go to their shards
    /// (whose refusal of an earlier series is the answer instead, as a check in append order gives).
    /// </summary>
    public AppendPlan PlanAppend(AppendOp append)
    {
        var count = append.Series.Count;
        var plans = new List<SeriesPlan>(count);
        var created = new List<bool>(count);
        var byShard = new List<SeriesPlan>?[_settings.Shards];
        if (count == 0) return new AppendPlan([], [], byShard, 0, TsAnswer.Refused(TsStatus.InvalidRequest, "The append names no series."));
        var total = 0L;
        var seen = new HashSet<string>(StringComparer.Ordinal);
        var createdCount = 0;
        for (var i = 0; i < count; i++)
        {
            var failure = Check(append.Series[i], i, seen, ref total, ref createdCount, out var checkedPlan);
            if (failure is not null) return new AppendPlan([.. plans], [.. created], byShard, i, failure);
            var plan = checkedPlan!;
            plans.Add(plan);
            created.Add(!_units.ContainsKey(plan.Name));
            (byShard[ShardOf(plan.Name)] ??= []).Add(plan);
        }

        return new AppendPlan([.. plans], [.. created], byShard, int.MaxValue, null);
    }

    private ApplyResult? Check(SeriesPoints one, int position, HashSet<string> seen, ref long total, ref int created, out SeriesPlan? plan)
    {
        plan = null;
        if (!TryName(one.Name, out var name)) return TsAnswer.Refused(TsStatus.InvalidName, $"The name of series {position + 1} of the append is not valid UTF-8.");
        if (_settings.CheckName(name, out var problem) is var nameStatus && nameStatus != TsStatus.Ok) return TsAnswer.SeriesRefused(nameStatus, name, problem);
        if (!seen.Add(name)) return TsAnswer.SeriesRefused(TsStatus.InvalidRequest, name, $"The series '{Shown(name)}' appears more than once in the append.");
        var packed = !one.Packed.IsEmpty;
        if (packed && (one.Timestamps.Count > 0 || one.Values.Count > 0))
        {
            return TsAnswer.SeriesRefused(TsStatus.InvalidRequest, name, $"Series '{Shown(name)}' gives its points both packed and unpacked.");
        }

        int pointCount;
        if (packed)
        {
            if (!PointPacking.TryReadCount(one.Packed.Span, out pointCount)) return NotPacked(name);
        }
        else if (one.Timestamps.Count != one.Values.Count)
        {
            return TsAnswer.SeriesRefused(TsStatus.InvalidRequest, name, $"Series '{Shown(name)}' has {one.Timestamps.Count} timestamps but {one.Values.Count} values.");
        }
        else
        {
            pointCount = one.Timestamps.Count;
        }

        if (pointCount == 0) return TsAnswer.SeriesRefused(TsStatus.InvalidRequest, name, $"Series '{Shown(name)}' has no points.");
        total += pointCount;
        if (total > _settings.MaxPointsPerCommand)
        {
            return TsAnswer.SeriesRefused(TsStatus.TooManyPoints, name,
                $"The append holds more than max-points-per-command ({_settings.MaxPointsPerCommand}) points; the limit is passed in series '{Shown(name)}'. Nothing was written.");
        }

        // Counted first, so that no array is sized by a count the limit refuses.
        var given = new DataPoint[pointCount];
        if (packed)
        {
            // Unpacked straight into the store's points: TimePoint and DataPoint are the same 16 bytes (a long, then a double).
            if (!PointPacking.TryUnpack(one.Packed.Span, MemoryMarshal.Cast<DataPoint, TimePoint>(given.AsSpan()))) return NotPacked(name);
        }
        else
        {
            for (var i = 0; i < pointCount; i++) given[i] = new DataPoint(one.Timestamps[i], one.Values[i]);
        }

        var unit = one.Milliseconds ? TimestampUnit.Milliseconds : TimestampUnit.Seconds;
        var exists = _units.TryGetValue(name, out var existingUnit);
        if (exists && existingUnit != unit)
        {
            return TsAnswer.SeriesRefused(TsStatus.UnitMismatch, name,
                $"Series '{Shown(name)}' holds timestamps in {UnitName(existingUnit)}; the points were sent in {UnitName(unit)}. Nothing was written.");
        }

        if (!exists && _names.Count + ++created > _settings.MaxSeries)
        {
            return TsAnswer.SeriesRefused(TsStatus.TooManySeries, name,
                $"Creating series '{Shown(name)}' would pass max-series ({_settings.MaxSeries}); the store holds {_names.Count}. Nothing was written.");
        }

        var points = Sorted(given);
        var max = TimestampCoding.MaxTimestamp(unit);
        if (points[0].Timestamp < 0 || points[^1].Timestamp > max)
        {
            var bad = points[0].Timestamp < 0 ? points[0].Timestamp : points[^1].Timestamp;
            return TsAnswer.SeriesRefused(TsStatus.TimestampOutOfRange, name,
                $"Series '{Shown(name)}': the timestamp {bad} is outside 0 to {max} {UnitName(unit)}. Nothing was written.");
        }

        plan = new SeriesPlan(position, name, unit, points, RetentionFloor(unit));
        return null;
    }

    /// <summary>
    /// The answer when the append is refused: the earliest of the shards' refusals if it comes before the series the
    /// coordinator refused, else the coordinator's; null when nothing refuses it (then every shard commits).
    /// </summary>
    public ApplyResult? Refusal(AppendPlan plan, IEnumerable<SeriesRefusal?> refusals)
    {
        SeriesRefusal? first = null;
        foreach (var refusal in refusals)
        {
            if (refusal is not null && (first is null || refusal.Position < first.Position)) first = refusal;
        }

        return first is not null && first.Position < plan.FailedAt ? OutOfWindow(first) : plan.Failure;
    }

    private ApplyResult OutOfWindow(SeriesRefusal refusal)
    {
        var why = RetentionCutoffMs is not null && refusal.OldestAccepted == RetentionFloor(refusal.Unit)
            ? "older than the retention horizon"
            : "older than the series' open block, whose blocks before it are sealed";
        var response = new TsResponse
        {
            Status = (TsStatusCode)TsStatus.OutOfWindow,
            Message = $"Series '{Shown(refusal.Name)}': the point at {refusal.Timestamp} {UnitName(refusal.Unit)} is {why}; the oldest timestamp it accepts is {refusal.OldestAccepted}. Nothing was written.",
            FailedSeries = ByteString.CopyFromUtf8(refusal.Name),
            OldestAccepted = refusal.OldestAccepted,
        };
        return ApplyResult.Unchanged(TsAnswer.Encode(response));
    }

    /// <summary>Records the series an append stored (its shards' <paramref name="outcomes"/>) and answers it.</summary>
    public ApplyResult Committed(AppendPlan plan, IEnumerable<SeriesOutcome> outcomes)
    {
        StoredSeries.Invariant(plan.Failure is null, "an append the coordinator refused was committed");
        var byPosition = new SeriesOutcome?[plan.Plans.Length];
        foreach (var outcome in outcomes)
        {
            StoredSeries.Invariant(byPosition[outcome.Position] is null, $"two shards stored series {outcome.Position} of the append");
            byPosition[outcome.Position] = outcome;
        }

        var response = new TsResponse();
        var changed = new List<string>(byPosition.Length);
        for (var i = 0; i < byPosition.Length; i++)
        {
            StoredSeries.Invariant(byPosition[i] is not null, $"no shard stored series {i} ('{plan.Plans[i].Name}') of the append");
            var outcome = byPosition[i]!.Value;
            var name = plan.Plans[i].Name;
            if (plan.Created[i])
            {
                response.CreatedSeries++;
                _names.Add(name);
                _units.Add(name, plan.Plans[i].Unit);
            }

            response.Duplicates += (ulong)outcome.Duplicates;
            response.Appended += (ulong)outcome.Appended;
            if (outcome.Appended > 0) changed.Add(TimeSeriesStateMachine.ChangedKeyPrefix + name);
        }

        return new ApplyResult(TsAnswer.Encode(response), changed);
    }

    /// <summary>
    /// Starts a retention drop: false (with its answer) when <paramref name="cutoffMs"/> does not move the cutoff on
    /// (a late or repeated proposal changes nothing); else the cutoff moves and every shard drops below
    /// <see cref="RetentionFloor"/>.
    /// </summary>
    public bool StartDrop(long cutoffMs, out ApplyResult? unchanged)
    {
        unchanged = null;
        if (RetentionCutoffMs is { } current && cutoffMs <= current)
        {
            unchanged = ApplyResult.Unchanged(TsAnswer.Encode(new TsResponse()));
            return false;
        }

        RetentionCutoffMs = cutoffMs;
        return true;
    }

    /// <summary>Forgets the series the shards emptied and answers the drop, series in ordinal order of name.</summary>
    public ApplyResult Dropped(IEnumerable<DropOutcome> outcomes)
    {
        var all = outcomes.ToList();
        all.Sort((a, b) => string.CompareOrdinal(a.Name, b.Name));
        var response = new TsResponse();
        var changed = new List<string>(all.Count);
        foreach (var outcome in all)
        {
            response.DroppedBlocks += (ulong)outcome.Blocks;
            response.DroppedPoints += (ulong)outcome.Points;
            changed.Add(TimeSeriesStateMachine.ChangedKeyPrefix + outcome.Name);
            if (!outcome.Emptied) continue;
            response.DroppedSeries++;
            StoredSeries.Invariant(_names.Remove(outcome.Name) && _units.Remove(outcome.Name), $"a shard emptied the series '{outcome.Name}', which the index does not hold");
        }

        return new ApplyResult(TsAnswer.Encode(response), changed);
    }

    /// <summary>The oldest timestamp retention lets in, in <paramref name="unit"/> (0 without retention).</summary>
    public long RetentionFloor(TimestampUnit unit)
    {
        if (RetentionCutoffMs is not { } cutoff || cutoff <= 0) return 0;
        return unit == TimestampUnit.Milliseconds ? cutoff : (cutoff / 1000) + (cutoff % 1000 == 0 ? 0 : 1);
    }

    /// <summary>Decodes a query and says who answers it.</summary>
    public QueryRoute Route(ReadOnlyMemory<byte> query)
    {
        if (!TsCommands.IsTimeSeries(query.Span)) return new AnsweredQuery(TsAnswer.Query(TsStatus.InvalidRequest, $"The {query.Length} bytes are not a time-series query (they do not start with its marker)."));
        TsQuery decoded;
        try
        {
            decoded = TsQuery.Parser.ParseFrom(query.Span[1..]);
        }
        catch (InvalidProtocolBufferException)
        {
            return new AnsweredQuery(TsAnswer.Query(TsStatus.InvalidRequest, $"The {query.Length} bytes are not a time-series query."));
        }

        return decoded.OpCase switch
        {
            TsQuery.OpOneofCase.Range => ToSeries(decoded.Range.Name, decoded),
            TsQuery.OpOneofCase.Latest => ToSeries(decoded.Latest.Name, decoded),
            TsQuery.OpOneofCase.Stats => ToSeries(decoded.Stats.Name, decoded),
            TsQuery.OpOneofCase.List => List(decoded.List.Prefix),
            _ => new AnsweredQuery(TsAnswer.Query(TsStatus.InvalidRequest, "The time-series query names no operation.")),
        };
    }

    private QueryRoute ToSeries(ByteString nameBytes, TsQuery query)
    {
        if (!TryName(nameBytes, out var name)) return new AnsweredQuery(TsAnswer.Query(TsStatus.InvalidName, "The series name is not valid UTF-8."));
        if (_settings.CheckName(name, out var problem) is var status && status != TsStatus.Ok) return new AnsweredQuery(TsAnswer.Query(status, problem));
        return new SeriesQuery(ShardOf(name), name, query);
    }

    private QueryRoute List(ByteString prefixBytes)
    {
        if (!TryName(prefixBytes, out var prefix)) return new AnsweredQuery(TsAnswer.Query(TsStatus.InvalidName, "The series prefix is not valid UTF-8."));
        if (_settings.CheckName(prefix, out var problem, prefix: true) is var status && status != TsStatus.Ok) return new AnsweredQuery(TsAnswer.Query(status, problem));
        var found = new List<string>();
        var byShard = new List<string>?[_settings.Shards];
        var names = _names.Count == 0 || string.CompareOrdinal(prefix, _names.Max) > 0 ? [] : _names.GetViewBetween(prefix, _names.Max!);
        foreach (var name in names)
        {
            if (!name.StartsWith(prefix, StringComparison.Ordinal)) break;
            if (found.Count == _settings.MaxQueryPoints)
            {
                return new AnsweredQuery(TsAnswer.Query(TsStatus.TooManyResults, $"More than max-query-points ({_settings.MaxQueryPoints}) series start with '{Shown(prefix)}'; use a longer prefix."));
            }

            found.Add(name);
            (byShard[ShardOf(name)] ??= []).Add(name);
        }

        return new ListRoute(found, byShard);
    }

    /// <summary>Answers series by prefix from each shard's stats (<paramref name="stats"/>[shard] in the order it was asked).</summary>
    public QueryResult Listed(ListRoute list, IReadOnlyList<SeriesStats[]?> stats)
    {
        var response = new TsResponse();
        var read = new List<string>(list.Names.Count);
        var next = new int[_settings.Shards];
        foreach (var name in list.Names)
        {
            var shard = ShardOf(name);
            var one = stats[shard]![next[shard]++];
            StoredSeries.Invariant(one.Name.Span.SequenceEqual(Encoding.UTF8.GetBytes(name)), $"shard {shard} answered the stats of another series than '{name}'");
            response.Series.Add(one);
            read.Add(TimeSeriesStateMachine.ChangedKeyPrefix + name);
        }

        return new QueryResult(TsAnswer.Encode(response), read);
    }

    /// <summary>
    /// Writes the snapshot (<see cref="TimeSeriesSnapshot"/>) from each shard's part (<paramref name="parts"/>[shard]),
    /// series in ordinal order of name across shards: the same bytes whichever way the shards are run.
    /// </summary>
    public void WriteSnapshot(Stream output, IReadOnlyList<SnapshotPart> parts)
    {
        var writer = TimeSeriesSnapshot.WriteHeader(output, RetentionCutoffMs, _names.Count);
        var next = new int[parts.Count];
        foreach (var name in _names)
        {
            var shard = ShardOf(name);
            var part = parts[shard];
            StoredSeries.Invariant(part.Shard == shard, $"the snapshot part of shard {part.Shard} came in the place of shard {shard}'s");
            var i = next[shard]++;
            StoredSeries.Invariant(i < part.Names.Length && part.Names[i] == name, $"shard {shard}'s snapshot part does not hold the series '{name}' next");
            writer.Bytes(part.Record(i));
        }

        for (var s = 0; s < parts.Count; s++)
        {
            StoredSeries.Invariant(next[s] == parts[s].Names.Length, $"shard {s} holds {parts[s].Names.Length} series but the index names {next[s]} of them");
        }

        TimeSeriesSnapshot.WriteTrailer(output, writer);
    }

    internal static bool TryName(ByteString bytes, out string name)
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

    private static ApplyResult NotPacked(string name) =>
        TsAnswer.SeriesRefused(TsStatus.InvalidRequest, name, $"The packed points of series '{Shown(name)}' are cut short or malformed.");

    /// <summary>The points of one series sorted by timestamp; of equal timestamps, the last given wins.</summary>
    private static DataPoint[] Sorted(DataPoint[] given)
    {
        // What a collector sends: already in order, so no sort and no copy.
        if (IsIncreasing(given)) return given;

        var count = given.Length;
        var order = new (long T, int I)[count];
        for (var i = 0; i < count; i++) order[i] = (given[i].Timestamp, i);
        Array.Sort(order);
        var points = new List<DataPoint>(count);
        for (var i = 0; i < count; i++)
        {
            if (i + 1 < count && order[i + 1].T == order[i].T) continue;
            points.Add(new DataPoint(order[i].T, given[order[i].I].Value));
        }

        return [.. points];
    }

    private static bool IsIncreasing(DataPoint[] points)
    {
        for (var i = 1; i < points.Length; i++)
        {
            if (points[i].Timestamp <= points[i - 1].Timestamp) return false;
        }

        return true;
    }

    private static string UnitName(TimestampUnit unit) => TsAnswer.UnitName(unit);

    private static string Shown(string name) => TsAnswer.Shown(name);
}
