using System.Globalization;
using System.Text.Json;
using AkkaRaft.TimeSeries.Gorilla;

namespace AkkaRaft.Benchmarks.TimeSeries;

/// <summary>One series of a data set: its unit, timestamps and values.</summary>
public sealed record SeriesData(string Name, TimestampUnit Unit, long[] Timestamps, double[] Values);

/// <summary>
/// The data sets the Gorilla benchmarks measure: a synthetic set shaped like the paper's production data, and
/// public real-world series from the npm package vega-datasets (never committed: install it beside the repository,
/// see docs/BENCHMARKS.md, and point <c>AKKARAFT_VEGA_DATASETS</c> at it).
/// </summary>
public static class GorillaDataSets
{
    /// <summary>Synthetic: 1000 series × 24 h at 60 s, jittered timestamps, integer values mostly repeating or changing little.</summary>
    public const string PaperLike = "paper-like";

    /// <summary>The paper-like set with one-decimal values instead of integers (a harder case, for contrast).</summary>
    public const string DecimalGauges = "decimal-gauges";

    /// <summary>Synthetic: the paper-like timestamps, integer values jittering by up to ±10 % around a level (no repeats).</summary>
    public const string JitteringInts = "jittering-ints";

    /// <summary>vega-datasets data/seattle-weather-hourly-normals.csv: pressure, temperature, wind; hourly, as stamped.</summary>
    public const string SeattleHourly = "seattle-hourly";

    /// <summary>The same three Seattle series, values in order, restamped every 60 s (the paper's cadence).</summary>
    public const string SeattleAt60S = "seattle-at-60s";

    /// <summary>vega-datasets data/earthquakes.json: event time (ms, irregular) and magnitude, in millisecond mode.</summary>
    public const string EarthquakesMs = "earthquakes-ms";

    /// <summary>The version of vega-datasets the figures in docs/BENCHMARKS.md were measured with.</summary>
    public const string VegaDatasetsVersion = "3.2.1";

    /// <summary>2015-03-24 00:00:00 UTC, a window boundary, where the synthetic series start.</summary>
    private const long SyntheticStartSeconds = 1_427_155_200;

    private static readonly Dictionary<string, IReadOnlyList<SeriesData>> Cache = new();

    /// <summary>Loads (once) the named data set.</summary>
    public static IReadOnlyList<SeriesData> Load(string name)
    {
        lock (Cache)
        {
            if (!Cache.TryGetValue(name, out IReadOnlyList<SeriesData>? data))
            {
                data = name switch
                {
                    PaperLike => Synthetic(seed: 20150324, seriesCount: 1000, pointsPerSeries: 1440),
                    DecimalGauges => Synthetic(seed: 20150324, seriesCount: 1000, pointsPerSeries: 1440, decimals: true),
                    JitteringInts => Jittering(seed: 20150324, seriesCount: 1000, pointsPerSeries: 1440),
                    SeattleHourly => Seattle(restampEvery60S: false),
                    SeattleAt60S => Seattle(restampEvery60S: true),
                    EarthquakesMs => Earthquakes(),
                    _ => throw new ArgumentException($"Unknown Gorilla data set '{name}'.", nameof(name)),
                };
                Cache[name] = data;
            }

            return data;
        }
    }

    /// <summary>
    /// Shaped after what Gorilla §4.1 reports of Facebook's data: points every 60 s; about 96% of timestamps with
    /// delta-of-delta 0 (here a point is late by 1–3 s with probability 1.5%, which disturbs three
    /// delta-of-deltas); about half of all values equal to the previous one (here 51%, the paper's figure); and
    /// values that "do not change significantly" from their neighbours, in series that, as the paper says of many
    /// ODS sources, store integers: the other 49% step by ±1 to ±4 from the previous value. With
    /// <paramref name="decimals"/> the values carry one decimal and step by ±0.1 to ±0.4 instead, which a binary
    /// XOR cannot shrink as well (0.1 has no short binary form).
    /// </summary>
    /// <param name="seed">Seed of the generator; the same seed gives the same set.</param>
    /// <param name="seriesCount">Number of series.</param>
    /// <param name="pointsPerSeries">Points per series, 60 s apart.</param>
    /// <param name="decimals">One-decimal values instead of integers.</param>
    /// <param name="lateProbability">Chance that a point is 1–3 s late (0.015 for the paper-like set).</param>
    /// <param name="repeatProbability">Chance that a value repeats the previous one (0.51, the paper's share).</param>
    public static IReadOnlyList<SeriesData> Synthetic(
        int seed,
        int seriesCount,
        int pointsPerSeries,
        bool decimals = false,
        double lateProbability = 0.015,
        double repeatProbability = 0.51)
    {
        var random = new Random(seed);
        var result = new List<SeriesData>(seriesCount);
        for (int s = 0; s < seriesCount; s++)
        {
            var timestamps = new long[pointsPerSeries];
            var values = new double[pointsPerSeries];
            double level = decimals ? Math.Round(random.NextDouble() * 100, 1) : random.Next(0, 1000);
            for (int i = 0; i < pointsPerSeries; i++)
            {
                long late = random.NextDouble() < lateProbability ? random.Next(1, 4) : 0;
                timestamps[i] = SyntheticStartSeconds + (60L * i) + late;
                if (i > 0 && random.NextDouble() >= repeatProbability)
                {
                    int step = random.Next(1, 5) * (random.Next(2) == 0 ? -1 : 1);
                    level = decimals ? Math.Round(level + (step / 10.0), 1) : level + step;
                }

                values[i] = level;
            }

            result.Add(new SeriesData($"synthetic-{s}", TimestampUnit.Seconds, timestamps, values));
        }

        return result;
    }

    /// <summary>
    /// Integer gauges that jitter around a level instead of drifting: each series has a level between 1,000 and
    /// 100,000 and every value is that level plus a uniform integer offset of up to ±10 % of it, drawn afresh at
    /// each point. Values almost never repeat, and since the low bits of each value are random, consecutive XORs
    /// differ in both their leading and their trailing zero counts: the encoder writes a random mix of '10' and
    /// '11' with 10 to 20 meaningful bits, the case where the paper-like set's many '0' codes do not help a decoder.
    /// Timestamps as in <see cref="Synthetic"/> (every 60 s, 1.5 % of points 1–3 s late).
    /// </summary>
    /// <param name="seed">Seed of the generator; the same seed gives the same set.</param>
    /// <param name="seriesCount">Number of series.</param>
    /// <param name="pointsPerSeries">Points per series, 60 s apart.</param>
    /// <param name="lateProbability">Chance that a point is 1–3 s late.</param>
    public static IReadOnlyList<SeriesData> Jittering(int seed, int seriesCount, int pointsPerSeries, double lateProbability = 0.015)
    {
        var random = new Random(seed);
        var result = new List<SeriesData>(seriesCount);
        for (int s = 0; s < seriesCount; s++)
        {
            var timestamps = new long[pointsPerSeries];
            var values = new double[pointsPerSeries];
            int level = random.Next(1_000, 100_001);
            int spread = level / 10;
            for (int i = 0; i < pointsPerSeries; i++)
            {
                long late = random.NextDouble() < lateProbability ? random.Next(1, 4) : 0;
                timestamps[i] = SyntheticStartSeconds + (60L * i) + late;
                values[i] = level + random.Next(-spread, spread + 1);
            }

            result.Add(new SeriesData($"jittering-{s}", TimestampUnit.Seconds, timestamps, values));
        }

        return result;
    }

    /// <summary>Where vega-datasets is installed: <c>AKKARAFT_VEGA_DATASETS</c>, else /tmp/akkaraft-vega/node_modules/vega-datasets.</summary>
    public static string VegaDirectory =>
        Environment.GetEnvironmentVariable("AKKARAFT_VEGA_DATASETS") is { Length: > 0 } dir
            ? dir
            : "/tmp/akkaraft-vega/node_modules/vega-datasets";

    private static string VegaFile(string relative)
    {
        string path = Path.Combine(VegaDirectory, relative);
        if (!File.Exists(path))
        {
            throw new FileNotFoundException(
                $"{path} is missing. Install the data outside the repository: " +
                $"mkdir -p /tmp/akkaraft-vega && npm install --prefix /tmp/akkaraft-vega vega-datasets@{VegaDatasetsVersion} " +
                "(or set AKKARAFT_VEGA_DATASETS to the package directory).",
                path);
        }

        return path;
    }

    private static IReadOnlyList<SeriesData> Seattle(bool restampEvery60S)
    {
        // date,pressure,temperature,wind — e.g. 2010-01-01T01:00:00,1016.6,4.0,3.8 (hourly normals of one year).
        string[] lines = File.ReadAllLines(VegaFile("data/seattle-weather-hourly-normals.csv"));
        var timestamps = new List<long>();
        var columns = new[] { new List<double>(), new List<double>(), new List<double>() };
        foreach (string line in lines.Skip(1))
        {
            if (line.Length == 0)
            {
                continue;
            }

            string[] fields = line.Split(',');
            var date = DateTime.Parse(fields[0], CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal | DateTimeStyles.AdjustToUniversal);
            timestamps.Add(new DateTimeOffset(date, TimeSpan.Zero).ToUnixTimeSeconds());
            for (int c = 0; c < 3; c++)
            {
                columns[c].Add(double.Parse(fields[c + 1], CultureInfo.InvariantCulture));
            }
        }

        long[] stamps = restampEvery60S
            ? Enumerable.Range(0, timestamps.Count).Select(i => SyntheticStartSeconds + (60L * i)).ToArray()
            : timestamps.ToArray();
        string[] names = ["pressure", "temperature", "wind"];
        return Enumerable.Range(0, 3)
            .Select(c => new SeriesData($"seattle.{names[c]}", TimestampUnit.Seconds, stamps, columns[c].ToArray()))
            .ToList();
    }

    private static IReadOnlyList<SeriesData> Earthquakes()
    {
        using JsonDocument doc = JsonDocument.Parse(File.ReadAllText(VegaFile("data/earthquakes.json")));
        var events = new SortedDictionary<long, double>();
        foreach (JsonElement feature in doc.RootElement.GetProperty("features").EnumerateArray())
        {
            JsonElement properties = feature.GetProperty("properties");
            long time = properties.GetProperty("time").GetInt64();
            JsonElement mag = properties.GetProperty("mag");
            double magnitude = mag.ValueKind == JsonValueKind.Number ? mag.GetDouble() : double.NaN;
            events.TryAdd(time, magnitude); // a series takes one point per millisecond: keep the first
        }

        return [new SeriesData("earthquakes.magnitude", TimestampUnit.Milliseconds, events.Keys.ToArray(), events.Values.ToArray())];
    }
}
