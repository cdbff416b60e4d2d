using AkkaRaft.TimeSeries.Gorilla;

namespace AkkaRaft.TimeSeries;

/// <summary>
/// A group of series and their storage: each series' open Gorilla encoder and sealed blocks. The
/// <see cref="TimeSeriesStateMachine"/> routes every committed append to the shard of its series
/// (<see cref="ShardOf"/>); a shard is touched only by its state machine's thread.
/// </summary>
internal sealed class SeriesShard(int index, GorillaSettings codec)
{
    private readonly Dictionary<string, StoredSeries> _series = new(StringComparer.Ordinal);

    /// <summary>This shard's number.</summary>
    public int Index { get; } = index;

    /// <summary>How many series the shard owns.</summary>
    public int Count => _series.Count;

    /// <summary>The shard of <paramref name="name"/> among <paramref name="shards"/>: FNV-1a over its UTF-16 code units,
    /// the same on every peer and every run (string.GetHashCode is randomized per process).</summary>
    public static int ShardOf(string name, int shards)
    {
        var hash = 2166136261u;
        foreach (var c in name)
        {
            hash = (hash ^ c) * 16777619u;
        }

        return (int)(hash % (uint)shards);
    }

    public StoredSeries? Find(string name) => _series.GetValueOrDefault(name);

    public StoredSeries GetOrCreate(string name, TimestampUnit unit)
    {
        if (!_series.TryGetValue(name, out var series))
        {
            series = new StoredSeries(name, unit, codec);
            _series.Add(name, series);
        }

        return series;
    }

    public void Remove(string name) => StoredSeries.Invariant(_series.Remove(name), $"shard {Index} does not own the series '{name}' it was asked to remove");
}
