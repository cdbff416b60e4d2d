using Akka.Actor;
using AkkaRaft.Benchmarks.Raft;
using AkkaRaft.Client;
using AkkaRaft.Client.Kv;
using BenchmarkDotNet.Attributes;
using BenchmarkDotNet.Configs;
using BenchmarkDotNet.Engines;
using BenchmarkDotNet.Jobs;
using BenchmarkDotNet.Toolchains.InProcess.Emit;

namespace AkkaRaft.Benchmarks.Watches;

/// <summary>
/// Watch fan-out on an in-process 3-peer group on SQLite (<see cref="SqlitePeerGroup"/>): the time from one write sent
/// to the leader until the last of <see cref="Watchers"/> watcher actors, each with a one-shot watch on the written key,
/// has its <see cref="WatchFired"/>. <see cref="WriteOnly"/> is the same write with no watch set (its commit and apply),
/// so the difference is what the fan-out adds. Each iteration sets fresh watches first (untimed: one-shot watches are
/// gone once they fired).
/// </summary>
[Config(typeof(WatchFanOutConfig))]
public class WatchFanOutBenchmarks
{
    private const string Key = "bench/watched";
    private SqlitePeerGroup _group = null!;
    private Countdown _fired = null!;
    private int _round;

    /// <summary>Watchers of the key, each its own actor with its own watch.</summary>
    [Params(1000)]
    public int Watchers { get; set; }

    [GlobalSetup]
    public void Setup() => _group = SqlitePeerGroup.StartAsync().GetAwaiter().GetResult();

    [GlobalCleanup]
    public void Cleanup() => _group.DisposeAsync().AsTask().GetAwaiter().GetResult();

    /// <summary>Sets a fresh watch on the key from each of <see cref="Watchers"/> new actors and waits until every one is set.</summary>
    [IterationSetup(Target = nameof(ChangeToLastWatcher))]
    public void SetWatches()
    {
        _round++;
        var set = new Countdown(Watchers);
        _fired = new Countdown(Watchers);
        var leader = _group.Leader;
        for (var i = 0; i < Watchers; i++)
        {
            var watch = new Watch(Key, Timeout: TimeSpan.FromMinutes(1));
            _group.System.ActorOf(Props.Create(() => new Watcher(leader, watch, set, _fired)), $"watcher-{_round}-{i}");
        }

        if (!set.Done.Wait(TimeSpan.FromSeconds(60))) throw new TimeoutException($"only {Watchers - set.Left} of {Watchers} watches were set");
    }

    /// <summary>One write, and the wait for the last watcher to hear of it.</summary>
    [Benchmark]
    public void ChangeToLastWatcher()
    {
        _group.Leader.Tell(new Write(KvCommands.Put(Key, "v" + _round)), ActorRefs.NoSender);
        if (!_fired.Done.Wait(TimeSpan.FromSeconds(60))) throw new TimeoutException($"{_fired.Left} of {Watchers} watchers did not hear of the change");
    }

    /// <summary>The same write with no watch on the key: commit and apply alone.</summary>
    [Benchmark(Baseline = true)]
    public void WriteOnly()
    {
        var answer = _group.Leader.Ask<object>(new Write(KvCommands.Put("bench/unwatched", "v")), TimeSpan.FromSeconds(60)).GetAwaiter().GetResult();
        if (answer is not WriteResult) throw new InvalidOperationException($"the write was answered {answer}");
    }

    /// <summary>Counts down to zero once.</summary>
    private sealed class Countdown(int count)
    {
        private int _left = count;

        public ManualResetEventSlim Done { get; } = new();

        public int Left => Volatile.Read(ref _left);

        public void Signal()
        {
            if (Interlocked.Decrement(ref _left) == 0) Done.Set();
        }
    }

    /// <summary>Sets its watch, counts it set, and counts its firing; then stops.</summary>
    private sealed class Watcher : ReceiveActor
    {
        private readonly IActorRef _leader;
        private readonly Watch _watch;

        public Watcher(IActorRef leader, Watch watch, Countdown set, Countdown fired)
        {
            _leader = leader;
            _watch = watch;
            Receive<WatchSet>(_ => set.Signal());
            Receive<WatchFired>(_ =>
            {
                fired.Signal();
                Context.Stop(Self);
            });
            ReceiveAny(other => throw new InvalidOperationException($"the watch was answered {other}"));
        }

        protected override void PreStart() => _leader.Tell(_watch, Self);
    }
}

/// <summary>
/// One invocation per iteration (each sets fresh watches first), run in this process: building a separate benchmark
/// executable takes longer than BenchmarkDotNet's build timeout on the shared 2-core machine.
/// </summary>
public sealed class WatchFanOutConfig : ManualConfig
{
    /// <summary>The job.</summary>
    public WatchFanOutConfig() =>
        AddJob(Job.Default.WithToolchain(InProcessEmitToolchain.Instance).WithStrategy(RunStrategy.Monitoring)
            .WithLaunchCount(1).WithWarmupCount(3).WithIterationCount(20).WithInvocationCount(1).WithUnrollFactor(1));
}
