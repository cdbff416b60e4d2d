using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using Akka.Actor;
using AkkaRaft.Configuration;
using AkkaRaft.Raft.Remoting;
using BenchmarkDotNet.Attributes;
using BenchmarkDotNet.Configs;
using BenchmarkDotNet.Running;

namespace AkkaRaft.Benchmarks.Messaging;

/// <summary>
/// Akka.Remote round trips over one connection, for the record: two actor systems in this process on 127.0.0.1,
/// each configured with the node's remoting section (<see cref="RaftRemoting.AkkaConfig"/>: DotNetty TCP, the
/// frame and buffer sizes of reference.conf), no TLS. A driver actor in one system sends <see cref="PayloadBytes"/>-byte
/// <c>byte[]</c> messages (Akka's built-in ByteArraySerializer, bound to <c>System.Byte[]</c>) to an echo actor in
/// the other and keeps <see cref="InFlight"/> of them outstanding, with DotNetty's write batching
/// (<c>akka.remote.dot-netty.tcp.batching.enabled</c>) on (Akka's default) or off. One invocation is
/// <see cref="RoundTripsPerInvocation"/> round trips; the columns give round trips per second and the p50/p99 of one round trip,
/// measured by the driver in the last invocation.
/// </summary>
[Config(typeof(RemoteBenchmarkConfig))]
public class RemoteRoundTripBenchmarks
{
    private ActorSystem _local = null!;
    private ActorSystem _remote = null!;
    private IActorRef _driver = ActorRefs.Nobody;
    private long[] _latencies = [];

    /// <summary>Bytes per message.</summary>
    [Params(64)]
    public int PayloadBytes { get; set; }

    /// <summary>Messages outstanding at once on the connection.</summary>
    [Params(1, 64)]
    public int InFlight { get; set; }

    /// <summary>DotNetty's write batching on the connection (Akka.Remote's default: on).</summary>
    [Params(true, false)]
    public bool Batching { get; set; }

    /// <summary>Round trips per invocation: fewer one at a time, where each may wait for a batch flush.</summary>
    public int RoundTripsPerInvocation => InFlight == 1 ? 1_000 : 20_000;

    /// <summary>Starts both systems, the echo actor, and the driver with a resolved remote ref (the association is up before measuring).</summary>
    [GlobalSetup]
    public void Setup()
    {
        RemoteFigures.Forget(PayloadBytes, InFlight, Batching);
        _remote = ActorSystem.Create("bench-remote", NodeConfig(Batching));
        _remote.ActorOf(Props.Create(() => new Echo()), "echo");
        _local = ActorSystem.Create("bench-local", NodeConfig(Batching));
        var address = ((ExtendedActorSystem)_remote).Provider.DefaultAddress;
        var echo = _local.ActorSelection($"{address}/user/echo").ResolveOne(TimeSpan.FromSeconds(30)).GetAwaiter().GetResult();
        _latencies = new long[RoundTripsPerInvocation];
        _driver = _local.ActorOf(Props.Create(() => new Driver(echo, new byte[PayloadBytes], _latencies)), "driver");
    }

    /// <summary><see cref="RoundTripsPerInvocation"/> round trips with <see cref="InFlight"/> outstanding.</summary>
    [Benchmark]
    public Task RoundTrip()
    {
        var done = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        _driver.Tell(new Run(RoundTripsPerInvocation, InFlight, done));
        return done.Task;
    }

    /// <summary>Records the last invocation's latencies, then terminates both systems.</summary>
    [GlobalCleanup]
    public void Cleanup()
    {
        var sorted = _latencies.Where(l => l > 0).Order().ToArray();
        if (sorted.Length > 0)
        {
            static double Micros(long ticks) => ticks * 1e6 / Stopwatch.Frequency;
            RemoteFigures.Write(PayloadBytes, InFlight, Batching, new RemoteFigures(RoundTripsPerInvocation, Micros(sorted[sorted.Length / 2]), Micros(sorted[Math.Min(sorted.Length - 1, sorted.Length * 99 / 100)])));
        }

        _local.Terminate().GetAwaiter().GetResult();
        _remote.Terminate().GetAwaiter().GetResult();
    }

    private static Akka.Configuration.Config NodeConfig(bool batching) =>
        Akka.Configuration.ConfigurationFactory.ParseString($"akka.loglevel = WARNING\nakka.stdout-loglevel = WARNING\nakka.remote.dot-netty.tcp.batching.enabled = {(batching ? "on" : "off")}")
            .WithFallback(RaftRemoting.AkkaConfig(RemotingSettings.FromConfig(ConfigurationFactory.Default()), "127.0.0.1", 0));

    private sealed record Run(int Count, int InFlight, TaskCompletionSource Done);

    /// <summary>Keeps the run's in-flight messages going; stamps each send and records the latency of each reply (in send order: one connection keeps order).</summary>
    private sealed class Driver : ReceiveActor
    {
        private readonly long[] _sentAt;
        private Run? _run;
        private int _sent;
        private int _received;

        public Driver(IActorRef echo, byte[] payload, long[] latencies)
        {
            _sentAt = new long[latencies.Length];
            Receive<Run>(run =>
            {
                _run = run;
                _sent = 0;
                _received = 0;
                for (var i = 0; i < run.InFlight && _sent < run.Count; i++) Send(echo, payload);
            });
            Receive<byte[]>(_ =>
            {
                latencies[_received] = Stopwatch.GetTimestamp() - _sentAt[_received];
                _received++;
                if (_received == _run!.Count) _run.Done.TrySetResult();
                else if (_sent < _run.Count) Send(echo, payload);
            });
        }

        private void Send(IActorRef echo, byte[] payload)
        {
            _sentAt[_sent++] = Stopwatch.GetTimestamp();
            echo.Tell(payload, Self);
        }
    }

    private sealed class Echo : ReceiveActor
    {
        public Echo() => Receive<byte[]>(bytes => Sender.Tell(bytes, Self));
    }
}

/// <summary>Round trips per invocation and round-trip latency percentiles of one case (handed to the host's columns through a file).</summary>
/// <param name="RoundTrips">Round trips per invocation.</param>
/// <param name="P50Micros">Median round trip, µs.</param>
/// <param name="P99Micros">99th percentile round trip, µs.</param>
public sealed record RemoteFigures(int RoundTrips, double P50Micros, double P99Micros)
{
    private static string PathOf(int payload, int inFlight, bool batching) =>
        Path.Combine(Path.GetTempPath(), "akkaraft-bench-remote", $"{payload}-{inFlight}-{(batching ? "batching" : "direct")}.json");

    /// <summary>Stores the figures of one case.</summary>
    public static void Write(int payload, int inFlight, bool batching, RemoteFigures figures)
    {
        var path = PathOf(payload, inFlight, batching);
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        File.WriteAllText(path, JsonSerializer.Serialize(figures));
    }

    /// <summary>Removes the stored figures of one case (a case that fails shows none rather than an older run's).</summary>
    public static void Forget(int payload, int inFlight, bool batching) => File.Delete(PathOf(payload, inFlight, batching));

    /// <summary>The stored figures of one case, or null.</summary>
    public static RemoteFigures? Read(BenchmarkCase benchmarkCase) =>
        benchmarkCase.Parameters["PayloadBytes"] is int payload && benchmarkCase.Parameters["InFlight"] is int inFlight
        && benchmarkCase.Parameters["Batching"] is bool batching && File.Exists(PathOf(payload, inFlight, batching))
            ? JsonSerializer.Deserialize<RemoteFigures>(File.ReadAllText(PathOf(payload, inFlight, batching)))
            : null;
}

/// <summary>Round trips per second and the latency percentiles.</summary>
public sealed class RemoteBenchmarkConfig : ManualConfig
{
    /// <summary>The columns.</summary>
    public RemoteBenchmarkConfig()
    {
        AddColumn(new FigureColumn("Remote.round trips/s", "round trips/s", "Round trips per second: round trips per invocation / Mean", (summary, benchmarkCase) =>
            summary[benchmarkCase]?.ResultStatistics is { } statistics && RemoteFigures.Read(benchmarkCase) is { } figures
                ? (figures.RoundTrips * 1e9 / statistics.Mean).ToString("N0", CultureInfo.InvariantCulture)
                : "n/a"));
        AddColumn(FigureColumn.Of("Remote", "p50 µs", "Median round trip in µs (last invocation)", RemoteFigures.Read, f => f.P50Micros, "N0"));
        AddColumn(FigureColumn.Of("Remote", "p99 µs", "99th percentile round trip in µs (last invocation)", RemoteFigures.Read, f => f.P99Micros, "N0"));
    }
}
