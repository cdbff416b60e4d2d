using Akka.Actor;

namespace AkkaRaft.TimeSeries.Actors;

/// <summary>
/// One shard of the time-series store as an actor, a child of the <see cref="TimeSeriesActor"/>: it owns its
/// <see cref="SeriesShard"/> (the open Gorilla encoders and sealed blocks of its series), and nothing else holds a
/// reference to it. It prepares and commits its part of each append, answers queries on its series itself, drops what
/// retention cuts and writes its part of the snapshot, in the order the coordinator sends them.
/// </summary>
/// <remarks>A failure here is a bug (a committed entry cannot be refused): it is thrown, and the coordinator escalates it.</remarks>
internal sealed class SeriesShardActor : ReceiveActor
{
    private readonly SeriesShard _shard;

    /// <summary>The part of the append being decided, held between <see cref="PrepareAppend"/> and its commit or abort.</summary>
    private PreparedAppend? _prepared;

    public SeriesShardActor(SeriesShard shard)
    {
        _shard = shard;
        Receive<PrepareAppend>(prepare =>
        {
            StoredSeries.Invariant(_prepared is null, $"shard {_shard.Index} was asked to prepare an append while it holds another");
            var (ready, refusal) = _shard.Prepare(prepare.Plans);
            _prepared = ready;
            Sender.Tell(new Prepared(_shard.Index, refusal), Self);
        });
        Receive<CommitAppend>(_ =>
        {
            StoredSeries.Invariant(_prepared is not null, $"shard {_shard.Index} was asked to commit an append it did not prepare");
            var outcomes = _shard.Commit(_prepared!);
            _prepared = null;
            Sender.Tell(new CommittedAppend(_shard.Index, outcomes), Self);
        });
        Receive<AbortAppend>(_ => _prepared = null);
        Receive<ShardQuery>(query => query.Reply.Answer(_shard.Query(query.Name, query.Query)));
        Receive<ListStats>(list => Sender.Tell(new ListedStats(_shard.Index, _shard.StatsOf(list.Names)), Self));
        Receive<DropSeriesBefore>(drop =>
        {
            StoredSeries.Invariant(_prepared is null, $"shard {_shard.Index} was asked to drop while it holds an append");
            Sender.Tell(new DroppedSeries(_shard.Index, _shard.DropBefore(drop.FloorSeconds, drop.FloorMilliseconds)), Self);
        });
        Receive<WriteSnapshotPart>(_ => Sender.Tell(_shard.WriteSnapshotPart(), Self));
    }

    /// <summary>The actor of <paramref name="shard"/>, which it takes over.</summary>
    public static Props Props(SeriesShard shard) => Akka.Actor.Props.Create(() => new SeriesShardActor(shard));
}
