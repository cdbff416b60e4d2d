using Akka.Actor;
using BenchmarkDotNet.Attributes;
using BenchmarkDotNet.Configs;

namespace AkkaRaft.Benchmarks.Messaging;

/// <summary>
/// Akka.NET's local messaging, for the record: two <see cref="ReceiveActor"/>s in one actor system on the default
/// dispatcher (Akka's defaults: thread-pool executor, throughput 30, unbounded mailboxes). One operation is one
/// message delivered: <see cref="OneWay"/> sends <see cref="Messages"/> messages from one actor to the other, which
/// counts them; <see cref="PingPong"/> bounces one message back and forth, <see cref="Messages"/> deliveries in all
/// (two per round trip). The message is one preallocated object, so "Allocated" is what Akka allocates per message.
/// </summary>
[Config(typeof(MessagingBenchmarkConfig))]
[MemoryDiagnoser]
public class LocalMessagingBenchmarks
{
    /// <summary>Messages per invocation.</summary>
    public const int Messages = 100_000;

    private ActorSystem _system = null!;
    private IActorRef _sender = ActorRefs.Nobody;
    private IActorRef _ponger = ActorRefs.Nobody;
    private IActorRef _pinger = ActorRefs.Nobody;

    /// <summary>Starts the actor system and the actors.</summary>
    [GlobalSetup]
    public void Setup()
    {
        _system = ActorSystem.Create("bench-local", "akka.loglevel = WARNING\nakka.stdout-loglevel = WARNING");
        var receiver = _system.ActorOf(Props.Create(() => new Counter()), "receiver");
        _sender = _system.ActorOf(Props.Create(() => new Blaster(receiver)), "sender");
        _ponger = _system.ActorOf(Props.Create(() => new Ponger()), "ponger");
        _pinger = _system.ActorOf(Props.Create(() => new Pinger(_ponger)), "pinger");
    }

    /// <summary>One actor tells the other <see cref="Messages"/> messages; done when the last has been received.</summary>
    [Benchmark(OperationsPerInvoke = Messages)]
    public Task OneWay()
    {
        var done = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        _sender.Tell(new Run(Messages, done));
        return done.Task;
    }

    /// <summary>One message bounced between two actors until <see cref="Messages"/> deliveries have happened.</summary>
    [Benchmark(OperationsPerInvoke = Messages)]
    public Task PingPong()
    {
        var done = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        _pinger.Tell(new Run(Messages / 2, done));
        return done.Task;
    }

    /// <summary>Terminates the actor system.</summary>
    [GlobalCleanup]
    public void Cleanup() => _system.Terminate().GetAwaiter().GetResult();

    /// <summary>Starts a run of <paramref name="Count"/> messages (or round trips), completing <paramref name="Done"/> at the end.</summary>
    private sealed record Run(int Count, TaskCompletionSource Done);

    /// <summary>Tells the receiver the run's count first, then the messages.</summary>
    private sealed class Blaster : ReceiveActor
    {
        private static readonly object Message = new();

        public Blaster(IActorRef receiver) =>
            Receive<Run>(run =>
            {
                receiver.Tell(run);
                for (var i = 0; i < run.Count; i++) receiver.Tell(Message);
            });
    }

    /// <summary>Counts messages down to zero, then completes the run.</summary>
    private sealed class Counter : ReceiveActor
    {
        private Run? _run;
        private int _left;

        public Counter()
        {
            Receive<Run>(run =>
            {
                _run = run;
                _left = run.Count;
            });
            ReceiveAny(_ =>
            {
                if (--_left == 0) _run!.Done.TrySetResult();
            });
        }
    }

    /// <summary>Sends the ball; each time it comes back, sends it again until the run's round trips are done.</summary>
    private sealed class Pinger : ReceiveActor
    {
        private static readonly Ball TheBall = new();
        private Run? _run;
        private int _left;

        public Pinger(IActorRef ponger)
        {
            Receive<Run>(run =>
            {
                _run = run;
                _left = run.Count;
                ponger.Tell(TheBall);
            });
            Receive<Ball>(ball =>
            {
                if (--_left == 0) _run!.Done.TrySetResult();
                else Sender.Tell(ball);
            });
        }
    }

    /// <summary>Sends every ball back.</summary>
    private sealed class Ponger : ReceiveActor
    {
        public Ponger() => Receive<Ball>(ball => Sender.Tell(ball));
    }

    private sealed class Ball;
}

/// <summary>Adds messages per second (from the mean time per message) to the messaging benchmarks.</summary>
public sealed class MessagingBenchmarkConfig : ManualConfig
{
    /// <summary>The column.</summary>
    public MessagingBenchmarkConfig() =>
        AddColumn(new FigureColumn("Messaging.msgs/s", "msgs/s", "Messages delivered per second: 1 / Mean", (summary, benchmarkCase) =>
            summary[benchmarkCase]?.ResultStatistics is { } statistics
                ? (1e9 / statistics.Mean).ToString("N0", System.Globalization.CultureInfo.InvariantCulture)
                : "n/a"));
}
