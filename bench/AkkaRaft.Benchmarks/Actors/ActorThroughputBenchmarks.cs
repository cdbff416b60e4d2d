using System.Threading.Channels;
using AkkaRaft.Actors;
using BenchmarkDotNet.Attributes;

namespace AkkaRaft.Benchmarks.Actors;

/// <summary>
/// Actor messaging against a bare <see cref="Channel{T}"/> between tasks, the floor, in the same run: one-way
/// throughput between two actors, request–reply ping-pong, and fan-out from one sender to <see cref="FanOut"/>
/// receivers. Each operation is one message delivered; the message is one preallocated object, so the allocation
/// column shows what the kernel (or the channel) allocates per message.
/// Run: <c>dotnet run -c Release --project bench/AkkaRaft.Benchmarks -- --filter '*ActorThroughput*' --job short</c>.
/// </summary>
[MemoryDiagnoser]
[MinColumn]
[MaxColumn]
public class ActorThroughputBenchmarks
{
    private const int Messages = 100_000;
    private const int FanOut = 4;
    private static readonly object Message = new();

    private ActorSystem _system = null!;
    private IActorRef _sender = null!;
    private IActorRef _receiver = null!;
    private IActorRef _pinger = null!;
    private IActorRef _fanOutSource = null!;

    /// <summary>Starts the actor system and the actors (once per benchmark).</summary>
    [GlobalSetup]
    public void Setup()
    {
        _system = ActorSystem.Create("bench", ActorSystemSettings.Default with { StdoutLogLevel = LogLevel.Off });
        _receiver = _system.ActorOf(Props.Create(() => new Counter()), "receiver");
        _sender = _system.ActorOf(Props.Create(() => new Blaster()), "sender");
        var ponger = _system.ActorOf(Props.Create(() => new Ponger()), "ponger");
        _pinger = _system.ActorOf(Props.Create(() => new Pinger(ponger)), "pinger");
        var workers = Enumerable.Range(0, FanOut).Select(i => _system.ActorOf(Props.Create(() => new Counter()), "worker-" + i)).ToArray();
        _fanOutSource = _system.ActorOf(Props.Create(() => new FanOutSource(workers)), "fan-out");
    }

    /// <summary>Stops the actor system.</summary>
    [GlobalCleanup]
    public void Cleanup() => _system.Terminate().Wait(TimeSpan.FromSeconds(10));

    /// <summary>One actor tells <see cref="Messages"/> messages to another.</summary>
    [Benchmark(OperationsPerInvoke = Messages)]
    public void OneWay_Actor()
    {
        var done = new CountdownEvent(1);
        _receiver.Tell(new Expect(Messages, done), null);
        _sender.Tell(new Blast(_receiver, Messages), null);
        done.Wait();
    }

    /// <summary>One task writes <see cref="Messages"/> messages into a channel another task reads.</summary>
    [Benchmark(OperationsPerInvoke = Messages)]
    public void OneWay_Channel()
    {
        var channel = Channel.CreateUnbounded<object>(new UnboundedChannelOptions { SingleReader = true });
        var reader = Task.Run(async () =>
        {
            for (var i = 0; i < Messages; i++) await channel.Reader.ReadAsync();
        });
        var writer = Task.Run(() =>
        {
            for (var i = 0; i < Messages; i++) channel.Writer.TryWrite(Message);
        });
        Task.WaitAll(reader, writer);
    }

    /// <summary><see cref="Messages"/> request–reply round trips between two actors (each is two messages).</summary>
    [Benchmark(OperationsPerInvoke = Messages)]
    public void PingPong_Actor()
    {
        var done = new CountdownEvent(1);
        _pinger.Tell(new Expect(Messages, done), null);
        done.Wait();
    }

    /// <summary><see cref="Messages"/> request–reply round trips between two tasks over two channels.</summary>
    [Benchmark(OperationsPerInvoke = Messages)]
    public void PingPong_Channel()
    {
        var requests = Channel.CreateUnbounded<object>(new UnboundedChannelOptions { SingleReader = true });
        var replies = Channel.CreateUnbounded<object>(new UnboundedChannelOptions { SingleReader = true });
        var pinger = Task.Run(async () =>
        {
            for (var i = 0; i < Messages; i++)
            {
                requests.Writer.TryWrite(Message);
                await replies.Reader.ReadAsync();
            }
        });
        var ponger = Task.Run(async () =>
        {
            for (var i = 0; i < Messages; i++)
            {
                var m = await requests.Reader.ReadAsync();
                replies.Writer.TryWrite(m);
            }
        });
        Task.WaitAll(pinger, ponger);
    }

    /// <summary>One actor tells each of <see cref="FanOut"/> actors <see cref="Messages"/> messages.</summary>
    [Benchmark(OperationsPerInvoke = Messages * FanOut)]
    public void FanOut_Actor()
    {
        var done = new CountdownEvent(FanOut);
        _fanOutSource.Tell(new Expect(Messages, done), null);
        done.Wait();
    }

    /// <summary>One task writes <see cref="Messages"/> messages into each of <see cref="FanOut"/> channels read by their own tasks.</summary>
    [Benchmark(OperationsPerInvoke = Messages * FanOut)]
    public void FanOut_Channel()
    {
        var channels = new Channel<object>[FanOut];
        var readers = new Task[FanOut + 1];
        for (var k = 0; k < FanOut; k++)
        {
            var channel = channels[k] = Channel.CreateUnbounded<object>(new UnboundedChannelOptions { SingleReader = true });
            readers[k] = Task.Run(async () =>
            {
                for (var i = 0; i < Messages; i++) await channel.Reader.ReadAsync();
            });
        }
        readers[FanOut] = Task.Run(() =>
        {
            for (var i = 0; i < Messages; i++)
            {
                foreach (var channel in channels) channel.Writer.TryWrite(Message);
            }
        });
        Task.WaitAll(readers);
    }

    private sealed record Expect(int Count, CountdownEvent Done);

    private sealed record Blast(IActorRef Target, int Count);

    /// <summary>Counts messages and signals when the expected number arrived.</summary>
    private sealed class Counter : UntypedActor
    {
        private int _left;
        private CountdownEvent? _done;

        protected override void OnReceive(object message)
        {
            if (message is Expect expect)
            {
                _left = expect.Count;
                _done = expect.Done;
                return;
            }
            if (--_left == 0) _done!.Signal();
        }
    }

    /// <summary>Tells the messages of a <see cref="Blast"/>.</summary>
    private sealed class Blaster : UntypedActor
    {
        protected override void OnReceive(object message)
        {
            var blast = (Blast)message;
            var self = Self;
            for (var i = 0; i < blast.Count; i++) blast.Target.Tell(Message, self);
        }
    }

    private sealed class Ponger : UntypedActor
    {
        protected override void OnReceive(object message) => Sender.Tell(message, Self);
    }

    private sealed class Pinger(IActorRef ponger) : UntypedActor
    {
        private int _left;
        private CountdownEvent? _done;

        protected override void OnReceive(object message)
        {
            if (message is Expect expect)
            {
                _left = expect.Count;
                _done = expect.Done;
                ponger.Tell(Message, Self);
                return;
            }
            if (--_left == 0) _done!.Signal();
            else ponger.Tell(Message, Self);
        }
    }

    private sealed class FanOutSource(IActorRef[] workers) : UntypedActor
    {
        protected override void OnReceive(object message)
        {
            var expect = (Expect)message;
            foreach (var worker in workers) worker.Tell(expect, Self);
            var self = Self;
            for (var i = 0; i < expect.Count; i++)
            {
                foreach (var worker in workers) worker.Tell(Message, self);
            }
        }
    }
}
