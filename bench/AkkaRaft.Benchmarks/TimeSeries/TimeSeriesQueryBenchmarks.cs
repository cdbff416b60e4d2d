using AkkaRaft.Client.TimeSeries;
using AkkaRaft.Raft.StateMachines;
using AkkaRaft.TimeSeries;
using BenchmarkDotNet.Attributes;

namespace AkkaRaft.Benchmarks.TimeSeries;

/// <summary>
/// Range queries through the time-series state machine's query path (<see cref="TimeSeriesStateMachine.Query"/>: the
/// protobuf query, the block scan, the sink, the protobuf answer), not the codec alone: 10 series × 10 days at 60 s
/// (120 sealed two-hour blocks each), written through the log's commands in 1,000-point batches. Each invocation asks
/// every series for its whole range, either raw (14,400 points per answer) or as hourly averages (240 buckets).
/// One operation is one point scanned, so Mean is nanoseconds per point.
/// </summary>
[MemoryDiagnoser]
[Config(typeof(GorillaSpeedConfig))]
public class TimeSeriesQueryBenchmarks
{
    private const int SeriesCount = 10;
    private const int PointsPerSeries = 14_400;
    private const int Points = SeriesCount * PointsPerSeries;
    private const int BatchPoints = 1_000;

    private TimeSeriesStateMachine _machine = null!;
    private byte[][] _queries = [];

    /// <summary>Shape of the values: "paper-like" or "jittering-ints" (<see cref="GorillaDataSets"/>).</summary>
    [Params(GorillaDataSets.PaperLike, GorillaDataSets.JitteringInts)]
    public string Shape { get; set; } = GorillaDataSets.PaperLike;

    /// <summary>"raw" (every point in the answer) or "avg-1h" (hourly averages).</summary>
    [Params("raw", "avg-1h")]
    public string Query { get; set; } = "raw";

    /// <summary>Fills a state machine through its commands and builds one query per series.</summary>
    [GlobalSetup]
    public void Setup()
    {
        IReadOnlyList<SeriesData> data = Shape == GorillaDataSets.JitteringInts
            ? GorillaDataSets.Jittering(seed: 20150324, SeriesCount, PointsPerSeries)
            : GorillaDataSets.Synthetic(seed: 20150324, SeriesCount, PointsPerSeries);
        _machine = new TimeSeriesStateMachine(TimeSeriesSettings.Default);
        ulong index = 0;
        foreach (SeriesData s in data)
        {
            for (int from = 0; from < PointsPerSeries; from += BatchPoints)
            {
                int to = Math.Min(from + BatchPoints, PointsPerSeries);
                var points = new TimePoint[to - from];
                for (int i = from; i < to; i++)
                {
                    points[i - from] = new TimePoint(s.Timestamps[i], s.Values[i]);
                }

                Apply(TsCommands.Append(s.Name, points), ref index);
            }

            // One point in the next window seals the last block, so that every queried point is in a sealed block.
            Apply(TsCommands.Append(s.Name, s.Timestamps[^1] + 7200, 0), ref index);
        }

        long start = data[0].Timestamps[0];
        long end = start + (60L * PointsPerSeries);
        _queries = data
            .Select(s => Query == "raw"
                ? TsQueries.Range(s.Name, start, end)
                : TsQueries.Range(s.Name, start, end, step: 3600, aggregate: TsAggregateKind.Avg))
            .ToArray();

        int expected = Query == "raw" ? PointsPerSeries : PointsPerSeries / 60;
        TsResult answer = TsResult.Decode(_machine.Query(_queries[0]).Response);
        if (!answer.IsOk || answer.Points.Count != expected)
        {
            throw new InvalidOperationException($"The query answered {answer.Points.Count} points ({answer.Message}); expected {expected}.");
        }
    }

    /// <summary>Asks every series for its whole range.</summary>
    [Benchmark(OperationsPerInvoke = Points)]
    public int RangeQuery()
    {
        int bytes = 0;
        foreach (byte[] query in _queries)
        {
            bytes += _machine.Query(query).Response.Length;
        }

        return bytes;
    }

    private void Apply(byte[] command, ref ulong index)
    {
        TsResult result = TsResult.Decode(_machine.Apply(new ApplyContext(++index, 1, ApplyContext.NoSession), command).Response);
        if (!result.IsOk)
        {
            throw new InvalidOperationException($"The append was refused: {result.Message}");
        }
    }
}
