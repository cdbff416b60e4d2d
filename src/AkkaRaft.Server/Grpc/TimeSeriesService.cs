using AkkaRaft.Client.TimeSeries;
using AkkaRaft.Grpc.V1;
using AkkaRaft.Server.Node;
using AkkaRaft.TimeSeries.Gorilla;
using Grpc.Core;
using TimeSeriesBase = AkkaRaft.Grpc.V1.TimeSeries.TimeSeriesBase;

namespace AkkaRaft.Server.Grpc;

/// <summary>
/// <c>akkaraft.v1.TimeSeries</c> (protos/timeseries.proto): the time-series store, each RPC the command or query the
/// HTTP API's <c>/series</c> routes send for the same operation, with the same limits. Fields are checked before
/// anything is proposed (naming the field); the state machine checks them again as it applies.
/// </summary>
public sealed class TimeSeriesService(RaftCalls calls) : TimeSeriesBase
{
    /// <inheritdoc />
    public override async Task<SeriesPutResponse> Put(SeriesPutRequest request, ServerCallContext context)
    {
        RequireTimeSeries();
        var unit = UnitOf(request.Unit, "unit", write: true);
        if (request.Series.Count == 0) throw RaftCalls.Invalid("series", "empty: a Put needs at least one series with points");
        var maxPoints = calls.Node.TimeSeriesSettings.MaxPointsPerCommand;
        var maxTimestamp = TimestampCoding.MaxTimestamp(unit == TimeUnit.Milliseconds ? TimestampUnit.Milliseconds : TimestampUnit.Seconds);
        var indexOf = new Dictionary<string, int>(StringComparer.Ordinal);
        var series = new List<KeyValuePair<string, IReadOnlyList<TimePoint>>>(request.Series.Count);
        var total = 0;
        // In the HTTP API's order: the name, then the points, then the running total against the limit.
        for (var i = 0; i < request.Series.Count; i++)
        {
            var one = request.Series[i];
            var name = calls.SeriesName(one.Name, $"series[{i}].name", prefix: false, write: true);
            if (!indexOf.TryAdd(name, i)) throw RaftCalls.Invalid($"series[{i}].name", $"the series '{ClientText.Shown(name)}' is also series[{indexOf[name]}]: a Put names each series once");
            if (one.Points.Count == 0) throw RaftCalls.Invalid($"series[{i}].points", $"empty: series '{ClientText.Shown(name)}' has no points");
            total += one.Points.Count;
            if (total > maxPoints)
            {
                throw RaftCalls.TooLarge($"series[{i}].points: the Put holds more than {maxPoints} points; the limit is passed in series '{ClientText.Shown(name)}'", "akkaraft.time-series.max-points-per-command");
            }

            var points = new TimePoint[one.Points.Count];
            for (var j = 0; j < points.Length; j++)
            {
                var point = one.Points[j];
                if (point.Timestamp < 0 || point.Timestamp > maxTimestamp)
                {
                    throw RaftCalls.Invalid($"series[{i}].points[{j}].timestamp", $"{point.Timestamp} is outside 0 to {maxTimestamp} {(unit == TimeUnit.Milliseconds ? "milliseconds" : "seconds")}");
                }

                points[j] = new TimePoint(point.Timestamp, point.Value);
            }

            series.Add(new(name, points));
        }

        var (written, term) = await calls.WriteAsync(TsCommands.AppendMany(series, unit), context).ConfigureAwait(false);
        var result = TsResult.Decode(written.Response);
        if (!result.IsOk)
        {
            var field = result.Status == TsStatus.UnitMismatch ? "unit" : result.FailedSeries is { } failed && indexOf.TryGetValue(failed, out var at) ? $"series[{at}]" : "series";
            throw RaftCalls.TsFailure(result, field, write: true);
        }

        return new SeriesPutResponse
        {
            Header = calls.Header(written.Index, written.Leader, term),
            Appended = result.Appended,
            Duplicates = result.Duplicates,
            Created = result.CreatedSeries,
        };
    }

    /// <inheritdoc />
    public override async Task<SeriesGetResponse> Get(SeriesGetRequest request, ServerCallContext context)
    {
        RequireTimeSeries();
        var name = calls.SeriesName(request.Name, "name", prefix: false, write: false);
        var unit = UnitOf(request.Unit, "unit", write: false);
        var aggregate = AggregateOf(request.Aggregate);
        if (request.Step < 0) throw RaftCalls.Invalid("step", $"{request.Step} is negative: a bucket width above 0, or 0 for raw points", write: false);
        if (request.Step > 0 && aggregate == TsAggregateKind.None)
        {
            throw RaftCalls.Invalid("aggregate", $"unset, but step is {request.Step}: a downsampled Get needs an aggregate (avg, min, max, sum, count, first or last)", write: false);
        }

        if (request.Step == 0 && aggregate != TsAggregateKind.None) throw RaftCalls.Invalid("step", "0, but an aggregate is set: it needs a step above 0 (such as 60 with seconds)", write: false);
        var level = RaftCalls.LevelOf(request.Level, "level");
        var query = TsQueries.Range(name, request.HasFrom ? request.From : null, request.HasTo ? request.To : null, request.Step, aggregate, unit);
        var (read, term) = await calls.QueryAsync(query, level, context).ConfigureAwait(false);
        var result = TsResult.Decode(read.Response);
        // After the checks above, the one request the store can still find wrong is a step in ms that is not whole seconds.
        if (!result.IsOk) throw RaftCalls.TsFailure(result, result.Status == TsStatus.InvalidRequest ? "step" : "name", write: false);
        var response = new SeriesGetResponse
        {
            Header = calls.Header(read.AppliedIndex, read.Leader, term),
            Name = name,
            Unit = result.Unit == TimeUnit.Milliseconds ? SeriesUnit.Milliseconds : SeriesUnit.Seconds,
        };
        foreach (var point in result.Points) response.Points.Add(new Point { Timestamp = point.Timestamp, Value = point.Value });
        return response;
    }

    /// <inheritdoc />
    public override async Task<SeriesListResponse> List(SeriesListRequest request, ServerCallContext context)
    {
        RequireTimeSeries();
        var prefix = calls.SeriesName(request.Prefix, "prefix", prefix: true, write: false);
        var level = RaftCalls.LevelOf(request.Level, "level");
        var (read, term) = await calls.QueryAsync(TsQueries.List(prefix), level, context).ConfigureAwait(false);
        var result = TsResult.Decode(read.Response);
        if (!result.IsOk) throw RaftCalls.TsFailure(result, "prefix", write: false);
        var response = new SeriesListResponse { Header = calls.Header(read.AppliedIndex, read.Leader, term) };
        foreach (var stats in result.Series)
        {
            response.Series.Add(new SeriesStats
            {
                Name = stats.Name,
                Unit = stats.Unit == TimeUnit.Milliseconds ? SeriesUnit.Milliseconds : SeriesUnit.Seconds,
                Points = stats.Points,
                Blocks = stats.SealedBlocks + (stats.OpenPoints > 0 ? 1ul : 0ul),
                SealedBlocks = stats.SealedBlocks,
                OpenPoints = stats.OpenPoints,
                Bytes = stats.Bytes,
                BytesPerPoint = stats.BytesPerPoint,
                First = stats.First,
                Last = stats.Last,
                LastValue = stats.LastValue,
            });
        }

        return response;
    }

    /// <summary>A node started with a state machine of the user's own has no time-series store (the HTTP API leaves out /series there).</summary>
    private void RequireTimeSeries()
    {
        if (calls.Node.ServesTimeSeries) return;
        throw new RpcException(new Status(StatusCode.Unimplemented,
            "this node runs a state machine of your own, which has no time series: send its commands through the StateMachine service"));
    }

    private static TimeUnit UnitOf(SeriesUnit unit, string field, bool write) => unit switch
    {
        SeriesUnit.Seconds => TimeUnit.Seconds,
        SeriesUnit.Milliseconds => TimeUnit.Milliseconds,
        _ => throw RaftCalls.Invalid(field, $"unknown unit {(int)unit}: SERIES_UNIT_SECONDS or SERIES_UNIT_MILLISECONDS", write),
    };

    private static TsAggregateKind AggregateOf(SeriesAggregate aggregate) => aggregate switch
    {
        SeriesAggregate.None => TsAggregateKind.None,
        SeriesAggregate.Avg => TsAggregateKind.Avg,
        SeriesAggregate.Min => TsAggregateKind.Min,
        SeriesAggregate.Max => TsAggregateKind.Max,
        SeriesAggregate.Sum => TsAggregateKind.Sum,
        SeriesAggregate.Count => TsAggregateKind.Count,
        SeriesAggregate.First => TsAggregateKind.First,
        SeriesAggregate.Last => TsAggregateKind.Last,
        _ => throw RaftCalls.Invalid("aggregate", $"unknown aggregate {(int)aggregate}: SERIES_AGGREGATE_NONE, _AVG, _MIN, _MAX, _SUM, _COUNT, _FIRST or _LAST", write: false),
    };
}
