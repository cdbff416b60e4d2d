using System.Diagnostics;
using AkkaRaft.Actors;
using AkkaRaft.Actors.Serialization;
using AkkaRaft.Remote;
using AkkaRaft.Remote.Actors;
using BenchmarkDotNet.Attributes;

namespace AkkaRaft.Benchmarks.Remote;

/// <summary>
/// Actor messages between two actor systems in one process over loopback TCP (plain, with the cluster secret).
/// Payloads are byte arrays (BytesSerializer), so the figures measure remoting, not a message codec.
/// One-way: messages per second from one sender to one remote receiver, until the last one has arrived.
/// Request–reply: Ask round trips one at a time; p50/p99 over every measured round trip are printed at cleanup
/// (BenchmarkDotNet's own percentiles are over iterations, not single round trips).
/// </summary>
[MemoryDiagnoser]
public class RemoteMessagingBenchmarks
{
    private const int OneWayBatch = 10_000;
    private const int RoundTripBatch = 200;

    private ActorSystem _a = null!;
    private ActorSystem _b = null!;
    private IActorRef _sink = null!;
    private IActorRef _echo = null!;
    private CountingSink.Gate _gate = null!;
    private byte[] _payload = null!;
    private readonly List<long> _roundTripTicks = new(1 << 20);

    /// <summary>Payload size in bytes.</summary>
    [Params(64, 4096)]
    public int PayloadBytes { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        var settings = new RemoteSettings { Port = 0, ClusterSecret = "bench" };
        _a = ActorSystem.Create("a");
        _b = ActorSystem.Create("b");
        RemoteActorRefProvider.Start(_a, settings, SerializationRegistry.CreateDefault(), new QuietLog());
        var bRemote = RemoteActorRefProvider.Start(_b, settings, SerializationRegistry.CreateDefault(), new QuietLog());
        _gate = new CountingSink.Gate();
        _b.ActorOf(Props.Create(() => new CountingSink(_gate)), "sink");
        _b.ActorOf(Props.Create(() => new BytesEcho()), "echo");
        _sink = _a.ResolveActorRef($"{bRemote.Address}/user/sink");
        _echo = _a.ResolveActorRef($"{bRemote.Address}/user/echo");
        _payload = new byte[PayloadBytes];
        Random.Shared.NextBytes(_payload);
        _echo.Ask<byte[]>(_payload, TimeSpan.FromSeconds(10)).GetAwaiter().GetResult();
    }

    [Benchmark(OperationsPerInvoke = OneWayBatch)]
    public Task OneWay()
    {
        var done = _gate.Expect(OneWayBatch);
        for (var i = 0; i < OneWayBatch; i++) _sink.Tell(_payload, null);
        return done;
    }

    [Benchmark(OperationsPerInvoke = RoundTripBatch)]
    public async Task RequestReply()
    {
        for (var i = 0; i < RoundTripBatch; i++)
        {
            var start = Stopwatch.GetTimestamp();
            await _echo.Ask<byte[]>(_payload, TimeSpan.FromSeconds(10)).ConfigureAwait(false);
            _roundTripTicks.Add(Stopwatch.GetTimestamp() - start);
        }
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        if (_roundTripTicks.Count > 0)
        {
            // Drop the first tenth (jitting, pilot and warm-up runs) before taking percentiles.
            var measured = _roundTripTicks.Skip(_roundTripTicks.Count / 10).Order().ToArray();
            double Us(double percentile) => measured[(int)Math.Min(measured.Length - 1, percentile * measured.Length)] * 1e6 / Stopwatch.Frequency;
            Console.WriteLine($"// RemoteRequestReply payload={PayloadBytes}B round trips={measured.Length} p50={Us(0.50):0.0}us p99={Us(0.99):0.0}us");
        }
        _a.Dispose();
        _b.Dispose();
    }

    private sealed class QuietLog : IRemoteLog
    {
        public void Log(RemoteLogLevel level, string message)
        {
        }
    }

    /// <summary>Counts byte arrays and completes the current expectation when enough have arrived.</summary>
    private sealed class CountingSink : ReceiveActor
    {
        public CountingSink(Gate gate) => Receive<byte[]>(_ => gate.Arrived());

        public sealed class Gate
        {
            private TaskCompletionSource _done = new();
            private int _remaining;

            public Task Expect(int count)
            {
                _done = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
                Volatile.Write(ref _remaining, count);
                return _done.Task;
            }

            public void Arrived()
            {
                if (Interlocked.Decrement(ref _remaining) == 0) _done.TrySetResult();
            }
        }
    }

    private sealed class BytesEcho : ReceiveActor
    {
        public BytesEcho() => Receive<byte[]>(bytes => Sender.Tell(bytes, Self));
    }
}
