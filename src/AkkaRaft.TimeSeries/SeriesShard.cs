using AkkaRaft.Raft.StateMachines;
using AkkaRaft.TimeSeries.Gorilla;

namespace AkkaRaft.TimeSeries;

/// <summary>One series of an append, checked by the coordinator and routed to the shard of the series.</summary>
/// <param name="Position">Its place in the append (0-based): refusals and counts are reported in this order.</param>
/// <param name="Name">The series.</param>
/// <param name="Unit">The unit of its timestamps.</param>
/// <param name="Points">Its points, sorted by timestamp, distinct (of equal timestamps the last given).</param>
/// <param name="RetentionFloor">The oldest timestamp retention lets in, in <paramref name="Unit"/>.</param>
internal sealed record SeriesPlan(int Position, string Name, TimestampUnit Unit, DataPoint[] Points, long RetentionFloor);

/// <summary>A point of an append older than its series accepts: the append is refused.</summary>
internal sealed record SeriesRefusal(int Position, string Name, TimestampUnit Unit, long Timestamp, long OldestAccepted);

/// <summary>What a shard stored of one series of an append.</summary>
/// <param name="Position">The series' place in the append.</param>
/// <param name="Appended">Points stored that were not stored as given before.</param>
/// <param name="Duplicates">Points already stored bit for bit.</param>
internal readonly record struct SeriesOutcome(int Position, long Appended, long Duplicates);

/// <summary>What retention dropped of one series; <paramref name="Emptied"/> when the series went with it.</summary>
internal readonly record struct DropOutcome(string Name, int Blocks, long Points, bool Emptied);

/// <summary>A shard's part of an append, checked by <see cref="SeriesShard.Prepare"/> and not yet stored.</summary>
internal sealed class PreparedAppend
{
    internal PreparedAppend(int shard, (SeriesPlan Plan, int DuplicatesBelow)[] series)
    {
        Shard = shard;
        Series = series;
    }

    public int Shard { get; }

    internal (SeriesPlan Plan, int DuplicatesBelow)[] Series { get; }
}

/// <summary>
/// A group of series and their storage: each series' open Gorilla encoder and sealed blocks. The coordinator
/// (<see cref="TimeSeriesCoordinator"/>) routes every series to its shard (<see cref="ShardOf"/>); the shard decides
/// and stores its part of an append in two steps (<see cref="Prepare"/>, then <see cref="Commit"/>, so an append
/// that one shard refuses changes no shard), answers queries on its series, drops what retention cuts and writes its
/// series' part of the snapshot. Not thread-safe: one owner at a time (the synchronous
/// <see cref="TimeSeriesStateMachine"/>, or one <see cref="Actors.SeriesShardActor"/>).
/// </summary>
internal sealed partial class SeriesShard(int index, GorillaSettings codec, int maxQueryPoints)
{
    private readonly Dictionary<string, StoredSeries> _series = new(StringComparer.Ordinal);
    private readonly int _maxQueryPoints = maxQueryPoints;

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

    /// <summary>
    /// Checks this shard's part of an append (<paramref name="plans"/>, in append order) without changing anything:
    /// the points below a series' open block (or below retention) must already be stored bit for bit (a retried
    /// write), else the first such point refuses the append.
    /// </summary>
    /// <returns>The prepared part, or the refusal of the earliest series that has such a point.</returns>
    public (PreparedAppend? Prepared, SeriesRefusal? Refusal) Prepare(IReadOnlyList<SeriesPlan> plans)
    {
        var prepared = new (SeriesPlan, int)[plans.Count];
        for (var i = 0; i < plans.Count; i++)
        {
            var plan = plans[i];
            var existing = Find(plan.Name);
            StoredSeries.Invariant(existing is null || existing.Unit == plan.Unit, $"the coordinator routed points in {TsAnswer.UnitName(plan.Unit)} to series '{plan.Name}', which is in {(existing is null ? "" : TsAnswer.UnitName(existing.Unit))}");
            var floor = existing?.OldestAccepted(plan.RetentionFloor) ?? plan.RetentionFloor;
            var below = 0;
            Dictionary<int, (long[] T, double[] V)>? decoded = null;
            while (below < plan.Points.Length && plan.Points[below].Timestamp < floor)
            {
                var p = plan.Points[below];
                if (existing is null || !existing.HoldsSealed(p.Timestamp, p.Value, decoded ??= []))
                {
                    return (null, new SeriesRefusal(plan.Position, plan.Name, plan.Unit, p.Timestamp, floor));
                }

                below++;
            }

            prepared[i] = (plan, below);
        }

        return (new PreparedAppend(Index, prepared), null);
    }

    /// <summary>Stores a part <see cref="Prepare"/> accepted (nothing changed this shard since).</summary>
    /// <returns>What was stored of each series, in append order.</returns>
    public SeriesOutcome[] Commit(PreparedAppend prepared)
    {
        StoredSeries.Invariant(prepared.Shard == Index, $"shard {Index} was asked to commit the part prepared by shard {prepared.Shard}");
        var outcomes = new SeriesOutcome[prepared.Series.Length];
        for (var i = 0; i < outcomes.Length; i++)
        {
            var (plan, below) = prepared.Series[i];
            var series = GetOrCreate(plan.Name, plan.Unit);
            var points = plan.Points.AsSpan(below);
            var duplicates = below + series.Store(points);
            outcomes[i] = new SeriesOutcome(plan.Position, points.Length + below - duplicates, duplicates);
        }

        return outcomes;
    }

    /// <summary>
    /// Retention: drops from every series of the shard the blocks that end below the floor of its unit, and the series
    /// that are left empty.
    /// </summary>
    /// <returns>What was dropped, for each series that lost a block (in no particular order).</returns>
    public List<DropOutcome> DropBefore(long floorSeconds, long floorMilliseconds)
    {
        var dropped = new List<DropOutcome>();
        foreach (var series in _series.Values)
        {
            var (blocks, points) = series.DropBefore(series.Unit == TimestampUnit.Seconds ? floorSeconds : floorMilliseconds);
            if (blocks > 0) dropped.Add(new DropOutcome(series.Name, blocks, points, series.Points == 0));
        }

        foreach (var outcome in dropped)
        {
            if (outcome.Emptied) StoredSeries.Invariant(_series.Remove(outcome.Name), $"shard {Index} does not own the series '{outcome.Name}' it emptied");
        }

        return dropped;
    }

    /// <summary>
    /// This shard's part of the snapshot: each series' record (<see cref="TimeSeriesSnapshot"/>), in ordinal order of
    /// name. The coordinator merges the parts of all shards by name.
    /// </summary>
    public SnapshotPart WriteSnapshotPart()
    {
        var names = _series.Keys.ToArray();
        Array.Sort(names, StringComparer.Ordinal);
        var ends = new int[names.Length];
        var bytes = SnapshotBytes.Write(output =>
        {
            var writer = new TimeSeriesSnapshot.CrcWriter(output);
            for (var i = 0; i < names.Length; i++)
            {
                TimeSeriesSnapshot.WriteSeries(writer, _series[names[i]]);
                ends[i] = checked((int)output.Position);
            }
        });

        return new SnapshotPart(Index, names, ends, bytes);
    }
}

/// <summary>A shard's series records for the snapshot: record i is <c>Bytes[Ends[i-1]..Ends[i]]</c>, of series <c>Names[i]</c>.</summary>
internal sealed record SnapshotPart(int Shard, string[] Names, int[] Ends, byte[] Bytes) : Actors.IShardReply
{
    public ReadOnlySpan<byte> Record(int i) => Bytes.AsSpan((i == 0 ? 0 : Ends[i - 1])..Ends[i]);
}
