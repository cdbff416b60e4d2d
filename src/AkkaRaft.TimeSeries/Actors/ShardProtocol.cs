using AkkaRaft.Client.TimeSeries.Protocol;
using AkkaRaft.Raft.StateMachines;

namespace AkkaRaft.TimeSeries.Actors;

// The messages between the time-series coordinator actor and its shard actors. Local only (they carry the shard's
// plans and answers as objects, never serialized). The coordinator sends a shard everything in log order and its
// mailbox keeps that order; a shard answers the coordinator (or, for a query, the client) in the order asked.

/// <summary>An answer a shard gives the coordinator, which gathers one from each shard it asked.</summary>
internal interface IShardReply
{
    /// <summary>The shard that answers.</summary>
    int Shard { get; }
}

/// <summary>Check this shard's part of an append and hold it; answered with <see cref="Prepared"/>.</summary>
internal sealed record PrepareAppend(IReadOnlyList<SeriesPlan> Plans);

/// <summary>The shard holds its part of the append (<paramref name="Refusal"/> null), or refuses it.</summary>
internal sealed record Prepared(int Shard, SeriesRefusal? Refusal) : IShardReply;

/// <summary>Store the part held since <see cref="PrepareAppend"/>; answered with <see cref="CommittedAppend"/>.</summary>
internal sealed record CommitAppend
{
    public static CommitAppend Instance { get; } = new();
}

/// <summary>Forget the part held since <see cref="PrepareAppend"/> (another shard refused the append); no answer.</summary>
internal sealed record AbortAppend
{
    public static AbortAppend Instance { get; } = new();
}

/// <summary>What the shard stored of each series of its part.</summary>
internal sealed record CommittedAppend(int Shard, SeriesOutcome[] Outcomes) : IShardReply;

/// <summary>Retention: drop below these floors; answered with <see cref="DroppedSeries"/>.</summary>
internal sealed record DropSeriesBefore(long FloorSeconds, long FloorMilliseconds);

/// <summary>What retention dropped in the shard.</summary>
internal sealed record DroppedSeries(int Shard, List<DropOutcome> Outcomes) : IShardReply;

/// <summary>The stats of these series of the shard, for series by prefix; answered with <see cref="ListedStats"/>.</summary>
internal sealed record ListStats(IReadOnlyList<string> Names);

/// <summary>The stats asked for, in the order asked.</summary>
internal sealed record ListedStats(int Shard, SeriesStats[] Stats) : IShardReply;

/// <summary>Write the shard's part of the snapshot; answered with a <see cref="SnapshotPart"/>.</summary>
internal sealed record WriteSnapshotPart
{
    public static WriteSnapshotPart Instance { get; } = new();
}

/// <summary>A query on one series of the shard; the shard answers the client through <paramref name="Reply"/>.</summary>
internal sealed record ShardQuery(string Name, TsQuery Query, ChildQuery Reply);

/// <summary>Replace the whole store: a coordinator and shards read from a snapshot, handed over to the actors.</summary>
internal sealed record RestoreTimeSeries(TimeSeriesCoordinator Coordinator, SeriesShard[] Shards);
