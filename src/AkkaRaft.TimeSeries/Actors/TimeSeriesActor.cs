using Akka.Actor;
using AkkaRaft.Client.TimeSeries;
using AkkaRaft.Client.TimeSeries.Protocol;
using AkkaRaft.Raft.StateMachines;
using AkkaRaft.TimeSeries.Gorilla;

namespace AkkaRaft.TimeSeries.Actors;

/// <summary>
/// The time-series store as actors: this coordinator, the child of a peer's state machine actor
/// (<see cref="IChildActorStateMachine"/>), and one <see cref="SeriesShardActor"/> per shard as its children
/// (<c>series-shard-{n}</c>). It holds the <see cref="TimeSeriesCoordinator"/> (name index, limits, retention cutoff);
/// the points are the shards'. The same logic as the synchronous <see cref="TimeSeriesStateMachine"/>, so both give
/// the same answers and the same snapshot bytes.
/// </summary>
/// <remarks>
/// <para>
/// An append is all or nothing across shards, so it takes two steps: every shard it touches prepares its part (and
/// may refuse it); when none refuses, each commits and answers what it stored, else each forgets its part. While the
/// coordinator waits for its shards' answers (an append, a retention drop, series by prefix, a snapshot) everything
/// else sent to it waits in its stash, so the shards see everything in log order.
/// </para>
/// <para>
/// A restore stops the shard actors after whatever was sent to them before (a <see cref="PoisonPill"/>, which waits
/// its turn in their mailboxes, so a query sent before is still answered) and starts new ones, named with the
/// restore's number (<c>series-shard-{n}-r{k}</c>), over the shards read from the snapshot.
/// </para>
/// <para>
/// Supervision: a shard that throws is a bug (a committed entry cannot be refused); the failure is escalated to the
/// state machine actor, which escalates it to the peer: the peer fails and its supervisor starts it again from its journal.
/// </para>
/// </remarks>
public sealed class TimeSeriesActor : ReceiveActor, IWithUnboundedStash
{
    /// <summary>The actor name the state machine actor gives it.</summary>
    public const string Name = "time-series";

    private readonly TimeSeriesSettings _settings;
    private TimeSeriesCoordinator _coordinator;
    private IActorRef[] _shards = [];
    private int _restores;

    // The gathering under way: how many answers are missing, the answers by shard, what to do with them.
    private int _missing;
    private IShardReply?[] _replies = [];
    private Action<IShardReply?[]>? _then;

    /// <summary>An empty store enforcing <paramref name="settings"/> (validated by <see cref="Props"/>, which callers use).</summary>
    public TimeSeriesActor(TimeSeriesSettings settings)
    {
        ArgumentNullException.ThrowIfNull(settings);
        _settings = settings;
        _coordinator = new TimeSeriesCoordinator(settings);
        StartShards(TimeSeriesCoordinator.NewShards(settings));
        Receive<ChildApply>(OnApply);
        Receive<ChildQuery>(OnQuery);
        Receive<ChildSnapshot>(_ =>
        {
            var requester = Sender;
            Gather(AllShards(), _ => WriteSnapshotPart.Instance, parts =>
            {
                var shardParts = parts.Cast<SnapshotPart>().ToArray();
                requester.Tell(new ChildSnapshotPart(SnapshotBytes.Write(output => _coordinator.WriteSnapshot(output, shardParts))), Self);
            });
        });
        Receive<RestoreTimeSeries>(restore =>
        {
            foreach (var shard in _shards) shard.Tell(PoisonPill.Instance, Self);
            _restores++;
            _coordinator = restore.Coordinator;
            StartShards(restore.Shards);
        });
    }

    /// <inheritdoc />
    public IStash Stash { get; set; } = null!;

    /// <summary>The store's actors, empty, enforcing <paramref name="settings"/>.</summary>
    /// <exception cref="ArgumentOutOfRangeException">A limit in <paramref name="settings"/> is out of its range.</exception>
    public static Props Props(TimeSeriesSettings settings)
    {
        ArgumentNullException.ThrowIfNull(settings);
        settings.Validate();
        return Akka.Actor.Props.Create(() => new TimeSeriesActor(settings));
    }

    /// <summary>
    /// Reads a time-series snapshot (the bytes <see cref="TimeSeriesStateMachine.WriteSnapshot"/> writes) into the
    /// message that makes a <see cref="TimeSeriesActor"/> replace its whole store with it.
    /// </summary>
    /// <exception cref="InvalidSnapshotException">The snapshot is corrupt, truncated or of another version.</exception>
    public static object RestoreMessage(Stream snapshot, TimeSeriesSettings settings)
    {
        ArgumentNullException.ThrowIfNull(snapshot);
        ArgumentNullException.ThrowIfNull(settings);
        var (coordinator, shards) = TimeSeriesSnapshot.Read(snapshot, settings);
        return new RestoreTimeSeries(coordinator, shards);
    }

    /// <summary>The message that empties a <see cref="TimeSeriesActor"/>'s store.</summary>
    public static object EmptyMessage(TimeSeriesSettings settings)
    {
        ArgumentNullException.ThrowIfNull(settings);
        return new RestoreTimeSeries(new TimeSeriesCoordinator(settings), TimeSeriesCoordinator.NewShards(settings));
    }

    /// <summary>Whether the store serves this command or query (it starts with <see cref="TsCommands.Marker"/>).</summary>
    public static bool Serves(ReadOnlySpan<byte> commandOrQuery) => TsCommands.IsTimeSeries(commandOrQuery);

    protected override SupervisorStrategy SupervisorStrategy() => new OneForOneStrategy(_ => Directive.Escalate);

    private void StartShards(SeriesShard[] shards)
    {
        StoredSeries.Invariant(shards.Length == _settings.Shards, $"{shards.Length} shards were given for a store of {_settings.Shards}");
        _shards = new IActorRef[shards.Length];
        for (var i = 0; i < shards.Length; i++)
        {
            StoredSeries.Invariant(shards[i].Index == i, $"shard {shards[i].Index} was given in the place of shard {i}");
            var name = _restores == 0 ? $"series-shard-{i}" : $"series-shard-{i}-r{_restores}";
            _shards[i] = Context.ActorOf(SeriesShardActor.Props(shards[i]), name);
        }
    }

    private void OnApply(ChildApply apply)
    {
        var requester = Sender;
        var index = apply.Context.Index;
        void Reply(ApplyResult result) => requester.Tell(new ChildApplied(index, result), Self);

        if (_coordinator.Decode(apply.Command, out var decoded) is { } refused)
        {
            Reply(refused);
            return;
        }

        if (decoded.OpCase == TsCommand.OpOneofCase.DropBefore)
        {
            if (!_coordinator.StartDrop(decoded.DropBefore.CutoffMs, out var unchanged))
            {
                Reply(unchanged!);
                return;
            }

            var drop = new DropSeriesBefore(_coordinator.RetentionFloor(TimestampUnit.Seconds), _coordinator.RetentionFloor(TimestampUnit.Milliseconds));
            Gather(AllShards(), _ => drop, dropped => Reply(_coordinator.Dropped(dropped.OfType<DroppedSeries>().SelectMany(d => d.Outcomes))));
            return;
        }

        var plan = _coordinator.PlanAppend(decoded.Append);
        var touched = new List<int>();
        for (var s = 0; s < plan.ByShard.Length; s++)
        {
            if (plan.ByShard[s] is not null) touched.Add(s);
        }

        Gather(touched, s => new PrepareAppend(plan.ByShard[s]!), prepared =>
        {
            var refusals = new List<SeriesRefusal?>(touched.Count);
            foreach (var s in touched) refusals.Add(((Prepared)prepared[s]!).Refusal);
            if (_coordinator.Refusal(plan, refusals) is { } failure)
            {
                foreach (var s in touched) _shards[s].Tell(AbortAppend.Instance, Self);
                Reply(failure);
                return;
            }

            Gather(touched, _ => CommitAppend.Instance, committed =>
            {
                var outcomes = new List<SeriesOutcome>(plan.Plans.Length);
                foreach (var s in touched) outcomes.AddRange(((CommittedAppend)committed[s]!).Outcomes);
                Reply(_coordinator.Committed(plan, outcomes));
            });
        });
    }

    private void OnQuery(ChildQuery query)
    {
        switch (_coordinator.Route(query.Query))
        {
            case AnsweredQuery answered:
                query.Answer(answered.Result);
                break;
            case SeriesQuery one:
                _shards[one.Shard].Tell(new ShardQuery(one.Name, one.Query, query), Self);
                break;
            case ListRoute list:
                var asked = new List<int>();
                for (var s = 0; s < list.ByShard.Length; s++)
                {
                    if (list.ByShard[s] is not null) asked.Add(s);
                }

                Gather(asked, s => new ListStats(list.ByShard[s]!), stats =>
                    query.Answer(_coordinator.Listed(list, stats.Select(r => (r as ListedStats)?.Stats).ToArray())));
                break;
            case var other:
                throw new InvalidOperationException($"Time-series store invariant broken: the coordinator routed a query to {other}.");
        }
    }

    private List<int> AllShards() => Enumerable.Range(0, _shards.Length).ToList();

    /// <summary>
    /// Asks each of <paramref name="shards"/> its <paramref name="ask"/> and, once all answered, runs
    /// <paramref name="then"/> with the answers by shard (null for a shard not asked); meanwhile everything else waits.
    /// </summary>
    private void Gather(List<int> shards, Func<int, object> ask, Action<IShardReply?[]> then)
    {
        var replies = new IShardReply?[_shards.Length];
        if (shards.Count == 0)
        {
            then(replies);
            return;
        }

        _replies = replies;
        _missing = shards.Count;
        _then = then;
        foreach (var s in shards) _shards[s].Tell(ask(s), Self);
        BecomeStacked(Gathering);
    }

    private void Gathering()
    {
        Receive<IShardReply>(reply =>
        {
            StoredSeries.Invariant(_replies[reply.Shard] is null, $"shard {reply.Shard} answered twice");
            _replies[reply.Shard] = reply;
            if (--_missing > 0) return;
            var then = _then!;
            var replies = _replies;
            _then = null;
            _replies = [];
            UnbecomeStacked();
            // The next step may gather again (an append's commit after its prepare): the stash waits for it.
            then(replies);
            if (_then is null) Stash.UnstashAll();
        });
        ReceiveAny(_ => Stash.Stash());
    }
}
