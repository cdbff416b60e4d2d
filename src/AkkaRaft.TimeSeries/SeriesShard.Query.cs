using System.Buffers;
using AkkaRaft.Client.TimeSeries;
using AkkaRaft.Client.TimeSeries.Protocol;
using AkkaRaft.Raft.StateMachines;
using AkkaRaft.TimeSeries.Gorilla;
using Google.Protobuf;

namespace AkkaRaft.TimeSeries;

// Queries on the series of one shard: raw points in [from, to), downsampling into buckets [k·step, (k+1)·step) with an
// aggregate (only non-empty buckets, as InfluxDB's GROUP BY time() without fill), the latest point, per-series stats.
// Series by prefix is the coordinator's (it holds the name index), with the stats each shard gives (StatsOf).
internal sealed partial class SeriesShard
{
    /// <summary>
    /// Answers a query on one series of this shard (range, latest or stats; the coordinator checked the name and
    /// routed it here): <see cref="TsStatus.NotFound"/> when the shard does not hold the series.
    /// </summary>
    public QueryResult Query(string name, TsQuery query)
    {
        var series = Find(name);
        if (series is null) return new QueryResult(TsAnswer.Failed(TsStatus.NotFound, $"The series '{TsAnswer.Shown(name)}' does not exist."), [TimeSeriesStateMachine.ChangedKeyPrefix + name]);
        return query.OpCase switch
        {
            TsQuery.OpOneofCase.Range => Range(series, query.Range),
            TsQuery.OpOneofCase.Latest => Latest(series),
            TsQuery.OpOneofCase.Stats => Stats(series),
            _ => throw new InvalidOperationException($"Time-series store invariant broken: shard {Index} was routed a {query.OpCase} query, which names no single series."),
        };
    }

    /// <summary>The stats of each of <paramref name="names"/> (all held by this shard), in the order given.</summary>
    public SeriesStats[] StatsOf(IReadOnlyList<string> names)
    {
        var stats = new SeriesStats[names.Count];
        for (var i = 0; i < stats.Length; i++)
        {
            var series = Find(names[i]);
            StoredSeries.Invariant(series is not null, $"shard {Index} does not hold the listed series '{names[i]}'");
            stats[i] = StatsOf(series!);
        }

        return stats;
    }

    private QueryResult Range(StoredSeries series, RangeQuery range)
    {
        var aggregate = (TsAggregateKind)range.Aggregate;
        if (!Enum.IsDefined(aggregate)) return TsAnswer.Query(TsStatus.InvalidRequest, $"The aggregate {(int)range.Aggregate} is not one of avg, min, max, sum, count, first, last.");
        if (range.Step < 0 || (range.Step == 0) != (aggregate == TsAggregateKind.None))
        {
            return TsAnswer.Query(TsStatus.InvalidRequest, "A downsampled query needs both a step above 0 and an aggregate; a raw one neither.");
        }

        var queryUnit = range.Milliseconds ? TimestampUnit.Milliseconds : TimestampUnit.Seconds;
        var from = range.HasFrom ? ToSeriesUnit(range.From, queryUnit, series.Unit) : long.MinValue;
        var to = range.HasTo ? ToSeriesUnit(range.To, queryUnit, series.Unit) : long.MaxValue;
        var step = range.Step;
        if (step > 0 && queryUnit != series.Unit)
        {
            if (queryUnit == TimestampUnit.Seconds) step = step > long.MaxValue / 1000 ? long.MaxValue : step * 1000;
            else if (step % 1000 != 0) return TsAnswer.Query(TsStatus.InvalidRequest, $"Series '{TsAnswer.Shown(series.Name)}' is in seconds; a step of {range.Step} ms is not a whole number of seconds.");
            else step /= 1000;
        }

        var response = new TsResponse { Milliseconds = series.Unit == TimestampUnit.Milliseconds };
        if (step == 0 && from < to)
        {
            // A raw answer's fields are sized once, to the points of the blocks in range, instead of doubling.
            var bound = RawPointsBound(series, from, to, _maxQueryPoints);
            response.Timestamps.Capacity = bound;
            response.Values.Capacity = bound;
        }

        var sink = new RangeSink(response, step, aggregate, _maxQueryPoints);
        if (from < to && !Scan(series, from, to, ref sink))
        {
            return new QueryResult(TsAnswer.Failed(TsStatus.TooManyResults,
                $"The answer for series '{TsAnswer.Shown(series.Name)}' holds more than max-query-points ({_maxQueryPoints}) points; narrow the range or downsample with a larger step."), [TimeSeriesStateMachine.ChangedKeyPrefix + series.Name]);
        }

        if (!sink.Finish()) return new QueryResult(TsAnswer.Failed(TsStatus.TooManyResults, $"The answer for series '{TsAnswer.Shown(series.Name)}' holds more than max-query-points ({_maxQueryPoints}) buckets; use a larger step."), [TimeSeriesStateMachine.ChangedKeyPrefix + series.Name]);
        return new QueryResult(TsAnswer.Encode(response), [TimeSeriesStateMachine.ChangedKeyPrefix + series.Name]);
    }

    /// <summary>Feeds every point of <paramref name="series"/> with from ≤ t &lt; to to <paramref name="sink"/>, in time order;
    /// false when the sink is full.</summary>
    /// <remarks>Each block that overlaps the range is decoded whole by the bulk decoder into two pooled arrays, and the
    /// points in range (found by binary search, timestamps being increasing) go to the sink from there.</remarks>
    private static bool Scan(StoredSeries series, long from, long to, ref RangeSink sink)
    {
        var timestamps = ArrayPool<long>.Shared.Rent(ScanBufferPoints);
        var values = ArrayPool<double>.Shared.Rent(ScanBufferPoints);
        try
        {
            foreach (var sealedBlock in series.Sealed)
            {
                if (sealedBlock.Last < from) continue;
                if (sealedBlock.First >= to) return true;
                var block = sealedBlock.Block;
                Fit(ref timestamps, ref values, block.Count);
                var count = block.Decode(timestamps, values);
                if (!Feed(timestamps, values, count, from, to, ref sink, out var reachedEnd)) return false;
                if (reachedEnd) return true;
            }

            var open = series.Writer.OpenBlockCount;
            if (open > 0)
            {
                Fit(ref timestamps, ref values, open);
                var count = series.Writer.DecodeOpenBlock().DecodeAll(timestamps, values);
                return Feed(timestamps, values, count, from, to, ref sink, out _);
            }

            return true;
        }
        finally
        {
            ArrayPool<long>.Shared.Return(timestamps);
            ArrayPool<double>.Shared.Return(values);
        }
    }

    /// <summary>At most <paramref name="max"/>: the points of the blocks of <paramref name="series"/> that overlap [from, to).</summary>
    private static int RawPointsBound(StoredSeries series, long from, long to, int max)
    {
        long bound = 0;
        foreach (var sealedBlock in series.Sealed)
        {
            if (sealedBlock.Last < from) continue;
            if (sealedBlock.First >= to || bound >= max) break;
            bound += sealedBlock.Block.Count;
        }

        bound += series.Writer.OpenBlockCount;
        return (int)Math.Min(bound, max);
    }

    /// <summary>Points per block the scan's first arrays hold (a block of the default settings holds at most 8192).</summary>
    private const int ScanBufferPoints = 1024;

    private static void Fit(ref long[] timestamps, ref double[] values, int count)
    {
        if (timestamps.Length >= count) return;
        ArrayPool<long>.Shared.Return(timestamps);
        ArrayPool<double>.Shared.Return(values);
        timestamps = ArrayPool<long>.Shared.Rent(count);
        values = ArrayPool<double>.Shared.Rent(count);
    }

    /// <summary>Feeds the decoded points with from ≤ t &lt; to to the sink; <paramref name="reachedEnd"/> when a point at or
    /// after <paramref name="to"/> was met. False when the sink is full.</summary>
    private static bool Feed(long[] timestamps, double[] values, int count, long from, long to, ref RangeSink sink, out bool reachedEnd)
    {
        var first = from <= timestamps[0] ? 0 : LowerBound(timestamps, count, from);
        var end = to > timestamps[count - 1] ? count : LowerBound(timestamps, count, to);
        reachedEnd = end < count;
        for (var i = first; i < end; i++)
        {
            if (!sink.Add(new DataPoint(timestamps[i], values[i]))) return false;
        }

        return true;
    }

    /// <summary>The first index of the increasing <paramref name="timestamps"/>[0..count) whose timestamp is ≥ <paramref name="t"/>.</summary>
    private static int LowerBound(long[] timestamps, int count, long t)
    {
        int lo = 0, hi = count;
        while (lo < hi)
        {
            var mid = (lo + hi) >>> 1;
            if (timestamps[mid] < t) lo = mid + 1;
            else hi = mid;
        }

        return lo;
    }

    /// <summary>Collects raw points, or folds them into buckets with one aggregate.</summary>
    private struct RangeSink(TsResponse response, long step, TsAggregateKind aggregate, int max)
    {
        private bool _open;
        private long _bucket;
        private long _count;
        private double _sum, _min, _max, _first, _last;

        public bool Add(DataPoint p)
        {
            if (step == 0)
            {
                if (response.Timestamps.Count == max) return false;
                response.Timestamps.Add(p.Timestamp);
                response.Values.Add(p.Value);
                return true;
            }

            // Points come in time order (none before the open bucket), so one at least a step past the bucket's start
            // starts another: no division per point.
            if (!_open || p.Timestamp - _bucket >= step)
            {
                if (_open && !Flush()) return false;
                var bucket = BucketOf(p.Timestamp, step);
                _open = true;
                _bucket = bucket;
                _count = 0;
                _sum = 0;
                _min = double.PositiveInfinity;
                _max = double.NegativeInfinity;
                _first = p.Value;
            }

            _count++;
            _sum += p.Value;
            _min = Math.Min(_min, p.Value);
            _max = Math.Max(_max, p.Value);
            _last = p.Value;
            return true;
        }

        public bool Finish() => !_open || Flush();

        private bool Flush()
        {
            if (response.Timestamps.Count == max) return false;
            response.Timestamps.Add(_bucket);
            response.Values.Add(aggregate switch
            {
                TsAggregateKind.Avg => _sum / _count,
                TsAggregateKind.Min => _min,
                TsAggregateKind.Max => _max,
                TsAggregateKind.Sum => _sum,
                TsAggregateKind.Count => _count,
                TsAggregateKind.First => _first,
                _ => _last,
            });
            _open = false;
            return true;
        }
    }

    /// <summary>The start of the bucket of width <paramref name="step"/> that holds <paramref name="timestamp"/> (≥ 0).</summary>
    internal static long BucketOf(long timestamp, long step) => timestamp - (timestamp % step);

    /// <summary>A bound in <paramref name="from"/> units as the first timestamp in <paramref name="to"/> units not below it.</summary>
    private static long ToSeriesUnit(long bound, TimestampUnit from, TimestampUnit to)
    {
        if (from == to) return bound;
        if (from == TimestampUnit.Seconds)
        {
            return bound > long.MaxValue / 1000 ? long.MaxValue : bound < long.MinValue / 1000 ? long.MinValue : bound * 1000;
        }

        // Milliseconds to seconds: the first whole second at or after the bound (t s ≥ b ms ⇔ t ≥ ⌈b / 1000⌉).
        return (bound / 1000) + (bound % 1000 > 0 ? 1 : 0);
    }

    private static QueryResult Latest(StoredSeries series)
    {
        var response = new TsResponse { Milliseconds = series.Unit == TimestampUnit.Milliseconds };
        response.Timestamps.Add(series.Last!.Value);
        response.Values.Add(series.LastValue);
        return new QueryResult(TsAnswer.Encode(response), [TimeSeriesStateMachine.ChangedKeyPrefix + series.Name]);
    }

    private static QueryResult Stats(StoredSeries series) =>
        new(TsAnswer.Encode(new TsResponse { Stats = StatsOf(series), Milliseconds = series.Unit == TimestampUnit.Milliseconds }), [TimeSeriesStateMachine.ChangedKeyPrefix + series.Name]);

    private static SeriesStats StatsOf(StoredSeries series) => new()
    {
        Name = ByteString.CopyFromUtf8(series.Name),
        Milliseconds = series.Unit == TimestampUnit.Milliseconds,
        Points = (ulong)series.Points,
        SealedBlocks = (ulong)series.Sealed.Count,
        OpenPoints = (ulong)series.Writer.OpenBlockCount,
        Bytes = (ulong)(series.SealedBytes + series.Writer.OpenBlockBytes.Length),
        First = series.First ?? 0,
        Last = series.Last ?? 0,
        LastValue = series.LastValue,
    };
}
