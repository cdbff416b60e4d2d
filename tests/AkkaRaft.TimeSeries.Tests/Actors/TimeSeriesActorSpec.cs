using Akka.Actor;
using AkkaRaft.Client;
using AkkaRaft.Client.TimeSeries;
using AkkaRaft.Raft.StateMachines;
using AkkaRaft.TimeSeries.Actors;
using AkkaRaft.TimeSeries.Tests.Store;
using Xunit.Abstractions;

namespace AkkaRaft.TimeSeries.Tests.Actors;

/// <summary>
/// The store's actor form: a <see cref="TimeSeriesActor"/> coordinator and one <see cref="SeriesShardActor"/> per shard,
/// driven here as the peer's state machine actor drives it (<see cref="ChildApply"/>, <see cref="ChildQuery"/>,
/// <see cref="ChildSnapshot"/>, a restore message), and held to the synchronous <see cref="TimeSeriesStateMachine"/>.
/// </summary>
public sealed class TimeSeriesActorSpec : Akka.TestKit.Xunit2.TestKit
{
    private readonly ITestOutputHelper _output;

    public TimeSeriesActorSpec(ITestOutputHelper output)
        : base("akka.loglevel = WARNING", "time-series-actor", output) => _output = output;

    private static readonly TimeSpan Wait = TimeSpan.FromSeconds(5);
    private static readonly TimeSeriesSettings Settings = TsHarness.Small;

    private ulong _index;

    private IActorRef Start(string name = TimeSeriesActor.Name) => Sys.ActorOf(TimeSeriesActor.Props(Settings), name);

    private async Task<ApplyResult> ApplyAsync(IActorRef store, byte[] command)
    {
        var index = ++_index;
        store.Tell(new ChildApply(new ApplyContext(index, 1, 0), command));
        var applied = await ExpectMsgAsync<ChildApplied>(Wait);
        Assert.Equal(index, applied.Index);
        return applied.Result;
    }

    private async Task<QueryResponse> QueryAsync(IActorRef store, byte[] query)
    {
        store.Tell(new ChildQuery(query, TestActor, TestActor, _index, 1, 1, ReadPath.Lease));
        return await ExpectMsgAsync<QueryResponse>(Wait);
    }

    private async Task<byte[]> SnapshotAsync(IActorRef store)
    {
        store.Tell(ChildSnapshot.Instance);
        return (await ExpectMsgAsync<ChildSnapshotPart>(Wait)).Bytes;
    }

    private static byte[] Append(params (string Name, (long T, double V)[] Points)[] series) =>
        TsCommands.AppendMany(series.Select(s => new KeyValuePair<string, IReadOnlyList<TimePoint>>(s.Name, s.Points.Select(p => new TimePoint(p.T, p.V)).ToArray())));

    /// <summary>Names of series that fall in three different shards of <see cref="Settings"/>.</summary>
    private static (string A, string B, string C) ThreeShards()
    {
        var byShard = new string?[Settings.Shards];
        for (var i = 0; byShard.Any(n => n is null); i++)
        {
            var name = $"s{i}";
            byShard[SeriesShard.ShardOf(name, Settings.Shards)] ??= name;
        }

        return (byShard[0]!, byShard[1]!, byShard[2]!);
    }

    [Fact]
    public async Task An_append_that_one_shard_refuses_changes_no_shard()
    {
        var store = Start();
        var (a, b, c) = ThreeShards();
        // b's first window (0-59 s) is sealed once a point of the next window (60 s) comes.
        Assert.True(TsResult.Decode((await ApplyAsync(store, Append((a, [(1, 1)]), (b, [(1, 1), (2, 2), (60, 3)])))).Response).IsOk);
        var before = await SnapshotAsync(store);

        // a (first in the append, another shard) is fine, c would be created in a third shard, b's point at 5 s is
        // below its open block: the whole append is refused.
        var refused = TsResult.Decode((await ApplyAsync(store, Append((a, [(2, 2), (3, 3)]), (c, [(1, 1)]), (b, [(5, 9)])))).Response);

        Assert.Equal(TsStatus.OutOfWindow, refused.Status);
        Assert.Equal(b, refused.FailedSeries);
        Assert.Equal(before, await SnapshotAsync(store));
        Assert.Equal(1ul, TsResult.Decode((await QueryAsync(store, TsQueries.Stats(a))).Response).Stats!.Points);
        Assert.Equal(TsStatus.NotFound, TsResult.Decode((await QueryAsync(store, TsQueries.Latest(c))).Response).Status);
    }

    [Fact]
    public async Task A_query_sent_right_after_an_append_waits_for_it_and_sees_it()
    {
        var store = Start();
        var (a, b, _) = ThreeShards();
        var index = ++_index;
        store.Tell(new ChildApply(new ApplyContext(index, 1, 0), Append((a, [(7, 1.5)]), (b, [(8, 2.5)]))));
        store.Tell(new ChildQuery(TsQueries.List("s"), TestActor, TestActor, index, 1, 3, ReadPath.ReadIndex));
        store.Tell(new ChildQuery(TsQueries.Latest(b), TestActor, TestActor, index, 1, 3, ReadPath.ReadIndex));

        Assert.Equal(index, (await ExpectMsgAsync<ChildApplied>(Wait)).Index);
        var listed = await ExpectMsgAsync<QueryResponse>(Wait);
        Assert.Equal(new[] { a, b }.Order(StringComparer.Ordinal), TsResult.Decode(listed.Response).Series.Select(s => s.Name));
        var latest = await ExpectMsgAsync<QueryResponse>(Wait);
        Assert.Equal([new TimePoint(8, 2.5)], TsResult.Decode(latest.Response).Points);
        // Answered as the peer would: its applied index, leader, term and read path.
        Assert.Equal((index, 1ul, 3ul, ReadPath.ReadIndex), (latest.AppliedIndex, latest.Leader, latest.Term, latest.ServedBy));
    }

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(3)]
    public async Task The_actor_form_answers_and_snapshots_as_the_synchronous_store(int seed)
    {
        _output.WriteLine($"seed {seed}");
        var random = new Random(seed);
        var store = Start();
        var machine = new TimeSeriesStateMachine(Settings);
        var t = new long[16];
        var statuses = new HashSet<TsStatus>();
        for (var step = 0; step < 300; step++)
        {
            var roll = random.Next(100);
            if (roll < 55)
            {
                // An append of 1-4 series (of 16: max-series is 8), mostly in order, some late, one in ten in milliseconds.
                var series = new List<(string, (long, double)[])>();
                var units = random.Next(10) == 0 ? TimeUnit.Milliseconds : TimeUnit.Seconds;
                foreach (var s in Enumerable.Range(0, units == TimeUnit.Seconds ? random.Next(1, 5) : 1).Select(_ => random.Next(t.Length)).Distinct())
                {
                    var points = new (long, double)[random.Next(1, 40)];
                    for (var p = 0; p < points.Length; p++)
                    {
                        t[s] += random.Next(60) == 0 ? -random.Next(1, 120) : random.Next(1, 6);
                        points[p] = (Math.Max(0, t[s]), random.Next(4) == 0 ? random.NextDouble() : random.Next(10));
                    }

                    series.Add(($"m{s}", points));
                }

                var command = units == TimeUnit.Seconds
                    ? Append([.. series])
                    : TsCommands.AppendMany(series.Select(x => new KeyValuePair<string, IReadOnlyList<TimePoint>>(x.Item1, x.Item2.Select(p => new TimePoint(p.Item1, p.Item2)).ToArray())), units);
                statuses.Add(await SameApplyAsync(store, machine, command, step, seed));
            }
            else if (roll < 58)
            {
                statuses.Add(await SameApplyAsync(store, machine, TsCommands.DropBefore(random.Next(0, (int)Math.Max(0, t.Max() / 2) + 100) * 1000L), step, seed));
            }
            else if (roll < 95)
            {
                var name = $"m{random.Next(t.Length)}";
                var query = random.Next(5) switch
                {
                    0 => TsQueries.Latest(name),
                    1 => TsQueries.Stats(name),
                    2 => TsQueries.List(random.Next(2) == 0 ? "m" : "m1"),
                    3 => TsQueries.Range(name, step: 30, aggregate: TsAggregateKind.Avg),
                    _ => TsQueries.Range(name, random.Next(0, 200), random.Next(200, 2000)),
                };
                var expected = machine.Query(query).Response.ToArray();
                var actual = (await QueryAsync(store, query)).Response.ToArray();
                Assert.True(expected.SequenceEqual(actual), $"seed {seed}, step {step}: the actor form answered a query otherwise");
            }
            else
            {
                using var stream = new MemoryStream();
                machine.WriteSnapshot(stream);
                var actual = await SnapshotAsync(store);
                Assert.True(stream.ToArray().SequenceEqual(actual), $"seed {seed}, step {step}: the actor form wrote other snapshot bytes");
                if (random.Next(2) == 0)
                {
                    // Both go on from the snapshot: the actor form with new shard actors, open encoders rebuilt.
                    stream.Position = 0;
                    machine.RestoreSnapshot(stream);
                    store.Tell(TimeSeriesActor.RestoreMessage(new MemoryStream(actual), Settings));
                }
            }
        }

        // The sequence went through the shards' refusals and the coordinator's, not only through appends that succeed.
        Assert.Superset(new HashSet<TsStatus> { TsStatus.Ok, TsStatus.OutOfWindow, TsStatus.UnitMismatch, TsStatus.TooManySeries }, statuses);
    }

    private async Task<TsStatus> SameApplyAsync(IActorRef store, TimeSeriesStateMachine machine, byte[] command, int step, int seed)
    {
        var actual = await ApplyAsync(store, command);
        var expected = machine.Apply(new ApplyContext(_index, 1, 0), command);
        Assert.True(expected.Response.Span.SequenceEqual(actual.Response.Span), $"seed {seed}, step {step}: the actor form answered {TsResult.Decode(actual.Response).Status}, the synchronous store {TsResult.Decode(expected.Response).Status}");
        Assert.Equal(expected.ChangedKeys, actual.ChangedKeys);
        return TsResult.Decode(actual.Response).Status;
    }

    [Fact]
    public async Task A_restore_replaces_every_shard_actor_and_rebuilds_the_open_encoders()
    {
        var source = Start("source");
        var (a, b, c) = ThreeShards();
        await ApplyAsync(source, Append((a, [(1, 1), (2, 2), (70, 3)]), (b, [(5, 5)]), (c, [(9, 9)])));
        var snapshot = await SnapshotAsync(source);

        var store = Start();
        await ApplyAsync(store, Append(("other", [(1, 1)])));
        var before = await ShardActorsAsync(store);
        Assert.Equal(Enumerable.Range(0, Settings.Shards).Select(i => $"series-shard-{i}"), before.Select(s => s.Path.Name).Order());
        foreach (var shard in before) Watch(shard);

        using (var stream = new MemoryStream(snapshot)) store.Tell(TimeSeriesActor.RestoreMessage(stream, Settings));

        var stopped = new List<IActorRef>();
        for (var i = 0; i < before.Count; i++) stopped.Add((await ExpectMsgAsync<Terminated>(Wait)).ActorRef);
        Assert.Equal(before.Order(), stopped.Order());
        var after = await ShardActorsAsync(store);
        Assert.Equal(Enumerable.Range(0, Settings.Shards).Select(i => $"series-shard-{i}-r1"), after.Select(s => s.Path.Name).Order());
        Assert.Equal(snapshot, await SnapshotAsync(store));
        Assert.Equal(TsStatus.NotFound, TsResult.Decode((await QueryAsync(store, TsQueries.Latest("other"))).Response).Status);
        // a's open block (70 s) was rebuilt from its points: the next point goes on after it.
        Assert.True(TsResult.Decode((await ApplyAsync(store, Append((a, [(71, 4)])))).Response).IsOk);
        Assert.Equal([new TimePoint(70, 3), new TimePoint(71, 4)], TsResult.Decode((await QueryAsync(store, TsQueries.Range(a, 60))).Response).Points);
    }

    /// <summary>Starts the store under it and tells <paramref name="failures"/> of every failure the store escalates.</summary>
    private sealed class Supervisor : ReceiveActor
    {
        private readonly IActorRef _failures;

        public Supervisor(IActorRef failures)
        {
            _failures = failures;
            var store = Context.ActorOf(TimeSeriesActor.Props(Settings), TimeSeriesActor.Name);
            ReceiveAny(message => store.Forward(message));
        }

        protected override SupervisorStrategy SupervisorStrategy() => new OneForOneStrategy(failure =>
        {
            _failures.Tell(failure);
            return Directive.Stop;
        });
    }

    [Fact]
    public async Task A_shard_that_throws_is_escalated_by_the_coordinator_not_restarted()
    {
        var failures = CreateTestProbe();
        var parent = Sys.ActorOf(Akka.Actor.Props.Create(() => new Supervisor(failures.Ref)), "parent");
        var (a, _, _) = ThreeShards();
        parent.Tell(new ChildApply(new ApplyContext(++_index, 1, 0), Append((a, [(1, 1)]))));
        await ExpectMsgAsync<ChildApplied>(Wait);

        // A commit no prepare came before breaks the shard's invariant: a bug, which must reach the state machine actor.
        Sys.ActorSelection(parent.Path / TimeSeriesActor.Name / "series-shard-0").Tell(CommitAppend.Instance);

        var failure = await failures.ExpectMsgAsync<InvalidOperationException>(Wait);
        Assert.Contains("did not prepare", failure.Message);
    }

    /// <summary>The coordinator's children now (there are as many as shards): each answers an Identify sent to all of them.</summary>
    private async Task<List<IActorRef>> ShardActorsAsync(IActorRef store)
    {
        var probe = CreateTestProbe();
        Sys.ActorSelection(store.Path / "*").Tell(new Identify("shards"), probe.Ref);
        var found = new List<IActorRef>();
        for (var i = 0; i < Settings.Shards; i++) found.Add((await probe.ExpectMsgAsync<ActorIdentity>(Wait)).Subject!);
        await probe.ExpectNoMsgAsync(TimeSpan.FromMilliseconds(300));
        return found;
    }
}
