using System.Diagnostics;
using AkkaRaft.Actors;
using AkkaRaft.Persistence;
using AkkaRaft.Persistence.Journal;
using BenchmarkDotNet.Attributes;

namespace AkkaRaft.Benchmarks.Persistence;

/// <summary>
/// Persisting through persistent actors with fsync on: <see cref="Writers"/> concurrent actors, each sent commands one
/// after another (Ask); each command persists <see cref="BatchSize"/> events of 100 bytes with one <c>PersistAll</c> and
/// is answered once its handlers ran. One operation is 256 commands spread over the actors. The latency columns are the
/// Ask round trip of one command (persist latency as a client sees it). PostgreSQL: AKKARAFT_PG_CONNECTION or the local
/// server of <c>.ci/postgres.sh</c>.
/// </summary>
[Config(typeof(PersistenceBenchmarkConfig))]
public class PersistentActorBenchmarks
{
    /// <summary>Commands per benchmark invocation, spread over the actors.</summary>
    public const int CommandsPerInvoke = 256;

    private PersistenceBenchNode _node = null!;
    private IActorRef[] _actors = [];
    private List<long>[] _latencies = [];
    private JournalCountersSnapshot _countersAtStart;
    private long _iterationStart;

    /// <summary>The journal plugin.</summary>
    [Params("inmem", "sqlite", "postgresql")]
    public string Plugin { get; set; } = "inmem";

    /// <summary>Events per command (one PersistAll).</summary>
    [Params(1, 16, 256)]
    public int BatchSize { get; set; }

    /// <summary>Concurrent persistent actors.</summary>
    [Params(1, 64)]
    public int Writers { get; set; }

    /// <summary>Starts a node with the plugin and the actors, and waits until they recovered.</summary>
    [GlobalSetup]
    public void Setup()
    {
        _node = new PersistenceBenchNode(Plugin);
        _actors = Enumerable.Range(0, Writers)
            .Select(i => _node.System.ActorOf(Props.Create(() => new BenchActor($"bench-{i}"))))
            .ToArray();
        Task.WhenAll(_actors.Select(a => a.Ask<long>(0, TimeSpan.FromSeconds(60)))).GetAwaiter().GetResult();
        _latencies = Enumerable.Range(0, Writers).Select(_ => new List<long>(1 << 12)).ToArray();
    }

    /// <summary>Resets the figures.</summary>
    [IterationSetup]
    public void PrepareIteration()
    {
        foreach (var latencies in _latencies)
        {
            latencies.Clear();
        }

        _countersAtStart = _node.Journal.Counters.Snapshot();
        _iterationStart = Stopwatch.GetTimestamp();
    }

    /// <summary>Every actor is sent its commands one after another; the actors run concurrently.</summary>
    [Benchmark]
    public Task Persist()
    {
        var clients = new Task[Writers];
        for (var w = 0; w < Writers; w++)
        {
            clients[w] = SendAsync(w);
        }

        return Task.WhenAll(clients);
    }

    /// <summary>Records the figures of the iteration that just ran.</summary>
    [IterationCleanup]
    public void RecordIteration()
    {
        var figures = PersistenceFigures.Measure(
            _countersAtStart, _node.Journal.Counters.Snapshot(), Stopwatch.GetElapsedTime(_iterationStart), _latencies);
        PersistenceFigures.Write(nameof(PersistentActorBenchmarks), Plugin, BatchSize, Writers, figures);
    }

    /// <summary>Stops the node and removes its storage.</summary>
    [GlobalCleanup]
    public void Cleanup()
    {
        _node.Dispose();
    }

    private async Task SendAsync(int writer)
    {
        var actor = _actors[writer];
        var latencies = _latencies[writer];
        var command = BatchSize;
        for (var i = 0; i < CommandsPerInvoke / Writers; i++)
        {
            var start = Stopwatch.GetTimestamp();
            await actor.Ask<long>(command, TimeSpan.FromSeconds(60)).ConfigureAwait(false);
            latencies.Add(Stopwatch.GetTimestamp() - start);
        }
    }

    /// <summary>Persists the number of 100-byte events a command asks for (0: just reports its sequence number).</summary>
    private sealed class BenchActor : ReceivePersistentActor
    {
        private static readonly byte[] Payload = new byte[100];
        private readonly string _id;

        public BenchActor(string id)
        {
            _id = id;
            Command<int>(count =>
            {
                if (count == 0)
                {
                    Sender.Tell(LastSequenceNr);
                    return;
                }

                PersistAll(Enumerable.Range(0, count).Select(_ => Payload), _ => { });
                Defer(0, _ => Sender.Tell(LastSequenceNr));
            });
        }

        public override string PersistenceId => _id;
    }
}
