using AkkaRaft.Client.TimeSeries;
using AkkaRaft.Client.TimeSeries.Protocol;
using AkkaRaft.Raft.StateMachines;
using AkkaRaft.TimeSeries.Gorilla;

namespace AkkaRaft.TimeSeries;

/// <summary>
/// The replicated time-series store (trr's, with what Prometheus and InfluxDB users expect of a small one): series
/// of (timestamp, double) points compressed with Gorilla, grouped into <see cref="SeriesShard"/>s that own each
/// series' open encoder and sealed blocks. One append command carries many points of many series and is one log
/// entry, applied all or nothing.
/// </summary>
/// <remarks>
/// <para>
/// A point at or after the start of its series' open block (Gorilla §4.1: blocks aligned to a window) is stored; one
/// inside the open block but not after its latest point rebuilds the open block with it, and an equal timestamp
/// takes the new value (InfluxDB's last write wins). A point older than the open block is refused with
/// <see cref="TsStatus.OutOfWindow"/>, naming the series and the oldest timestamp it accepts, unless it is already
/// stored bit for bit (a retried write), which counts as a duplicate. Retention (<see cref="TsCommands.DropBefore"/>)
/// comes through the log with its cutoff, so every peer drops the same blocks.
/// </para>
/// <para>
/// Build commands with <see cref="TsCommands"/> and queries with <see cref="TsQueries"/>; decode answers with
/// <see cref="TsResult"/>. Deterministic (no clock, no randomness, ordinal name order), so replicas hold identical
/// state and write identical snapshots. Not thread-safe: its peer's state machine actor is its only caller.
/// </para>
/// <para>
/// This is the synchronous form: the coordinator (<see cref="TimeSeriesCoordinator"/>) and every shard called in-line,
/// for tests and for embedders without actors. A server node runs the actor form (<see cref="Actors.TimeSeriesActor"/>),
/// the same coordinator and shards with each shard in its own actor; both give the same answers and snapshot bytes.
/// </para>
/// </remarks>
public sealed class TimeSeriesStateMachine : IStateMachine
{
    /// <summary>The prefix of a series in <see cref="ApplyResult.ChangedKeys"/> and <see cref="QueryResult.ReadKeys"/>: it holds a
    /// control character, which no key of the key/value store may hold, so keys and series never collide.</summary>
    public const string ChangedKeyPrefix = "\u001Fseries/";

    /// <summary>The snapshot format version this build writes and reads.</summary>
    public const uint SnapshotFormatVersion = TimeSeriesSnapshot.FormatVersion;

    private readonly TimeSeriesSettings _settings;
    private TimeSeriesCoordinator _coordinator;
    private SeriesShard[] _shards;

    /// <summary>Creates an empty store that enforces <paramref name="settings"/>.</summary>
    /// <exception cref="ArgumentOutOfRangeException">A limit in <paramref name="settings"/> is out of its range.</exception>
    public TimeSeriesStateMachine(TimeSeriesSettings settings)
    {
        ArgumentNullException.ThrowIfNull(settings);
        settings.Validate();
        _settings = settings;
        _coordinator = new TimeSeriesCoordinator(settings);
        _shards = TimeSeriesCoordinator.NewShards(settings);
    }

    /// <summary>The limits this store enforces.</summary>
    public TimeSeriesSettings Settings => _settings;

    /// <summary>How many series the store holds.</summary>
    public int SeriesCount => _coordinator.SeriesCount;

    /// <summary>How many series each shard owns.</summary>
    public IReadOnlyList<int> ShardSizes => _shards.Select(s => s.Count).ToArray();

    /// <summary>The retention cutoff last applied (Unix ms), or null before the first.</summary>
    public long? RetentionCutoffMs => _coordinator.RetentionCutoffMs;

    /// <summary>The bytes of a series' sealed blocks, oldest first (tests and tools).</summary>
    internal IReadOnlyList<ReadOnlyMemory<byte>> SealedBlockBytes(string name) =>
        _shards[_coordinator.ShardOf(name)].Find(name)?.Sealed.Select(b => b.Block.Bytes).ToArray() ?? [];

    /// <inheritdoc />
    public ApplyResult Apply(in ApplyContext context, ReadOnlyMemory<byte> command)
    {
        ArgumentOutOfRangeException.ThrowIfZero(context.Index, "context.Index");
        if (_coordinator.Decode(command, out var decoded) is { } refused) return refused;
        if (decoded.OpCase == TsCommand.OpOneofCase.DropBefore)
        {
            if (!_coordinator.StartDrop(decoded.DropBefore.CutoffMs, out var unchanged)) return unchanged!;
            var floorSeconds = _coordinator.RetentionFloor(TimestampUnit.Seconds);
            var floorMilliseconds = _coordinator.RetentionFloor(TimestampUnit.Milliseconds);
            var dropped = new List<DropOutcome>();
            foreach (var shard in _shards) dropped.AddRange(shard.DropBefore(floorSeconds, floorMilliseconds));
            return _coordinator.Dropped(dropped);
        }

        // Two steps, as the actor form takes them: every shard checks its part, and only then does any store.
        var plan = _coordinator.PlanAppend(decoded.Append);
        var prepared = new List<PreparedAppend>();
        var refusals = new List<SeriesRefusal?>();
        for (var s = 0; s < _shards.Length; s++)
        {
            if (plan.ByShard[s] is not { } part) continue;
            var (ready, refusal) = _shards[s].Prepare(part);
            refusals.Add(refusal);
            if (ready is not null) prepared.Add(ready);
        }

        if (_coordinator.Refusal(plan, refusals) is { } failure) return failure;
        var outcomes = new List<SeriesOutcome>();
        foreach (var ready in prepared) outcomes.AddRange(_shards[ready.Shard].Commit(ready));
        return _coordinator.Committed(plan, outcomes);
    }

    /// <inheritdoc />
    /// <remarks>Series belong to no session: nothing changes.</remarks>
    public ApplyResult SessionExpired(in ApplyContext context, long sessionId) => ApplyResult.Unchanged(TsAnswer.Encode(new TsResponse()));

    /// <inheritdoc />
    public QueryResult Query(ReadOnlyMemory<byte> query)
    {
        switch (_coordinator.Route(query))
        {
            case AnsweredQuery answered:
                return answered.Result;
            case SeriesQuery one:
                return _shards[one.Shard].Query(one.Name, one.Query);
            case ListRoute list:
                var stats = new SeriesStats[]?[_shards.Length];
                for (var s = 0; s < _shards.Length; s++)
                {
                    if (list.ByShard[s] is { } names) stats[s] = _shards[s].StatsOf(names);
                }

                return _coordinator.Listed(list, stats);
            case var other:
                throw new InvalidOperationException($"Time-series store invariant broken: the coordinator routed a query to {other}.");
        }
    }

    /// <inheritdoc />
    public void WriteSnapshot(Stream output)
    {
        ArgumentNullException.ThrowIfNull(output);
        _coordinator.WriteSnapshot(output, _shards.Select(s => s.WriteSnapshotPart()).ToArray());
    }

    /// <inheritdoc />
    public void RestoreSnapshot(Stream input)
    {
        ArgumentNullException.ThrowIfNull(input);
        (_coordinator, _shards) = TimeSeriesSnapshot.Read(input, _settings);
    }
}
