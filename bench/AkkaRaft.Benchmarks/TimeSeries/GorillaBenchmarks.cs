using AkkaRaft.TimeSeries.Gorilla;
using BenchmarkDotNet.Attributes;

namespace AkkaRaft.Benchmarks.TimeSeries;

/// <summary>
/// Encode and decode speed of the Gorilla codec: 100 series × 12 two-hour blocks of 120 points at a 60 s cadence.
/// <c>paper-like</c>: 1.5% of points 1–3 s late, 51% of values repeat at random, the rest step by ±1 to ±4
/// (see <see cref="GorillaDataSets.Synthetic"/>); <c>jittering-ints</c>: the same timestamps, integer values jittering
/// by up to ±10 % around a level, so that consecutive XORs change their leading and trailing zero counts (see
/// <see cref="GorillaDataSets.Jittering"/>); <c>regular</c>: exactly 60 s apart and every value repeats, the best case. One operation is one point, so Mean is nanoseconds per point and Allocated is bytes per point.
/// </summary>
[MemoryDiagnoser]
[Config(typeof(GorillaSpeedConfig))]
public class GorillaCodecBenchmarks
{
    private const int SeriesCount = 100;
    private const int BlocksPerSeries = 12;
    private const int PointsPerBlock = 120;
    private const int Points = SeriesCount * BlocksPerSeries * PointsPerBlock;

    /// <summary>Shape of the data: "paper-like", "jittering-ints" or "regular".</summary>
    [Params("paper-like", "jittering-ints", "regular")]
    public string Shape { get; set; } = "paper-like";

    private long[][] _timestamps = [];
    private double[][] _values = [];
    private long[] _headers = [];
    private GorillaBlock[] _blocks = [];
    private GorillaEncoder _encoder = null!;
    private long[] _decodedTimestamps = [];
    private double[] _decodedValues = [];

    /// <summary>Cuts the paper-like series into window-aligned blocks and encodes them once for the decoders.</summary>
    [GlobalSetup]
    public void Setup()
    {
        IReadOnlyList<SeriesData> series = Shape switch
        {
            "regular" => GorillaDataSets.Synthetic(seed: 20150324, SeriesCount, BlocksPerSeries * PointsPerBlock, lateProbability: 0, repeatProbability: 1),
            GorillaDataSets.JitteringInts => GorillaDataSets.Jittering(seed: 20150324, SeriesCount, BlocksPerSeries * PointsPerBlock),
            _ => GorillaDataSets.Synthetic(seed: 20150324, SeriesCount, BlocksPerSeries * PointsPerBlock),
        };
        int blockCount = SeriesCount * BlocksPerSeries;
        _timestamps = new long[blockCount][];
        _values = new double[blockCount][];
        _headers = new long[blockCount];
        _blocks = new GorillaBlock[blockCount];
        long window = GorillaSettings.Default.BlockWindowSeconds;
        int b = 0;
        foreach (SeriesData s in series)
        {
            for (int k = 0; k < BlocksPerSeries; k++, b++)
            {
                _timestamps[b] = s.Timestamps.AsSpan(k * PointsPerBlock, PointsPerBlock).ToArray();
                _values[b] = s.Values.AsSpan(k * PointsPerBlock, PointsPerBlock).ToArray();
                _headers[b] = _timestamps[b][0] - (_timestamps[b][0] % window);
                if (_timestamps[b][^1] >= _headers[b] + window)
                {
                    throw new InvalidOperationException("The synthetic set no longer has 120 points per window.");
                }
            }
        }

        _encoder = new GorillaEncoder("bench", TimestampUnit.Seconds, 0);
        for (b = 0; b < blockCount; b++)
        {
            _encoder.Reset(_headers[b], _headers[b] + window);
            for (int i = 0; i < PointsPerBlock; i++)
            {
                _encoder.TryAppend(_timestamps[b][i], _values[b][i]);
            }

            _blocks[b] = _encoder.Finish();
        }

        _decodedTimestamps = new long[PointsPerBlock];
        _decodedValues = new double[PointsPerBlock];
    }

    /// <summary>Appends every point to a reused encoder (the streaming path; blocks stay open).</summary>
    [Benchmark(OperationsPerInvoke = Points)]
    public int Encode()
    {
        GorillaEncoder encoder = _encoder;
        int appended = 0;
        for (int b = 0; b < _blocks.Length; b++)
        {
            encoder.Reset(_headers[b]);
            long[] timestamps = _timestamps[b];
            double[] values = _values[b];
            for (int i = 0; i < timestamps.Length; i++)
            {
                appended += encoder.TryAppend(timestamps[i], values[i]) == AppendStatus.Appended ? 1 : 0;
            }
        }

        return appended;
    }

    /// <summary>Like <see cref="Encode"/>, and finishes each block (footer, CRC-32C, one immutable array per block).</summary>
    [Benchmark(OperationsPerInvoke = Points)]
    public int EncodeAndFinish()
    {
        GorillaEncoder encoder = _encoder;
        int bytes = 0;
        for (int b = 0; b < _blocks.Length; b++)
        {
            encoder.Reset(_headers[b]);
            long[] timestamps = _timestamps[b];
            double[] values = _values[b];
            for (int i = 0; i < timestamps.Length; i++)
            {
                encoder.TryAppend(timestamps[i], values[i]);
            }

            bytes += encoder.Finish().SizeBytes;
        }

        return bytes;
    }

    /// <summary>Decodes every block into two reused arrays.</summary>
    [Benchmark(OperationsPerInvoke = Points)]
    public long Decode()
    {
        long sum = 0;
        foreach (GorillaBlock block in _blocks)
        {
            sum += block.Decode(_decodedTimestamps, _decodedValues);
        }

        return sum;
    }

    /// <summary>Iterates every block point by point with <c>foreach</c>.</summary>
    [Benchmark(OperationsPerInvoke = Points)]
    public double DecodeIterate()
    {
        double sum = 0;
        foreach (GorillaBlock block in _blocks)
        {
            foreach (DataPoint point in block.GetDecoder())
            {
                sum += point.Value;
            }
        }

        return sum;
    }
}

/// <summary>
/// Compression of each data set, shown in the size columns (bytes per point, the paper's 1.37 beside it, the code
/// mix); the timed part encodes the whole set through series writers, one operation per point.
/// </summary>
[MemoryDiagnoser]
[Config(typeof(GorillaCompressionConfig))]
public class GorillaCompressionBenchmarks
{
    private IReadOnlyList<SeriesData> _data = [];

    /// <summary>Which data set.</summary>
    [Params(GorillaDataSets.PaperLike, GorillaDataSets.DecimalGauges, GorillaDataSets.JitteringInts, GorillaDataSets.SeattleHourly, GorillaDataSets.SeattleAt60S, GorillaDataSets.EarthquakesMs)]
    public string DataSet { get; set; } = GorillaDataSets.PaperLike;

    /// <summary>Loads the data set.</summary>
    [GlobalSetup]
    public void Setup() => _data = GorillaDataSets.Load(DataSet);

    /// <summary>Encodes the whole set through series writers, keeping nothing but the byte count.</summary>
    [Benchmark]
    public long EncodeDataSet()
    {
        long bytes = 0;
        foreach (SeriesData s in _data)
        {
            var writer = new GorillaSeriesWriter(s.Name, GorillaSettings.Default, s.Unit);
            for (int i = 0; i < s.Timestamps.Length; i++)
            {
                if (writer.Append(s.Timestamps[i], s.Values[i]).FinishedBlock is { } block)
                {
                    bytes += block.SizeBytes;
                }
            }

            bytes += writer.FinishOpenBlock()?.SizeBytes ?? 0;
        }

        return bytes;
    }
}
