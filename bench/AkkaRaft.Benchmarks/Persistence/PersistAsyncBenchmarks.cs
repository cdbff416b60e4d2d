using System.Diagnostics;
using AkkaRaft.Actors;
using AkkaRaft.Persistence;
using AkkaRaft.Persistence.Journal;
using BenchmarkDotNet.Attributes;

namespace AkkaRaft.Benchmarks.Persistence;

/// <summary>
/// ONE persistent actor sent commands by <see cref="Writers"/> concurrent clients (each awaits its answer before the
/// next, Ask); each command persists one 100-byte event and is answered from its handler. <see cref="Mode"/>
/// <c>Persist</c> holds commands while an event is written (one write per command); <c>PersistAsync</c> lets them in,
/// and the events persisted while a write is in flight go together in the next (group commit inside the actor). One
/// operation is 256 commands. PostgreSQL: AKKARAFT_PG_CONNECTION or the local server of <c>.ci/postgres.sh</c>.
/// </summary>
[Config(typeof(PersistenceBenchmarkConfig))]
public class PersistAsyncBenchmarks
{
    /// <summary>Commands per benchmark invocation, spread over the clients.</summary>
    public const int CommandsPerInvoke = 256;

    private PersistenceBenchNode _node = null!;
    private IActorRef _actor = ActorRefs.Nobody;
    private List<long>[] _latencies = [];
    private JournalCountersSnapshot _countersAtStart;
    private long _iterationStart;

    /// <summary>The journal plugin.</summary>
    [Params("sqlite", "postgresql")]
    public string Plugin { get; set; } = "sqlite";

    /// <summary>Persist (commands held during a write) or PersistAsync (not held; batched).</summary>
    [Params("Persist", "PersistAsync")]
    public string Mode { get; set; } = "Persist";

    /// <summary>Events per command (always one here; a column of the shared figures).</summary>
    [Params(1)]
    public int BatchSize { get; set; } = 1;

    /// <summary>Concurrent clients of the one actor.</summary>
    [Params(1, 64)]
    public int Writers { get; set; }

    /// <summary>Starts a node with the plugin and the actor, and waits until it recovered.</summary>
    [GlobalSetup]
    public void Setup()
    {
        _node = new PersistenceBenchNode(Plugin);
        var async = Mode == "PersistAsync";
        _actor = _node.System.ActorOf(Props.Create(() => new OneActor("one", async)));
        _actor.Ask<long>(0, TimeSpan.FromSeconds(60)).GetAwaiter().GetResult();
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

    /// <summary>Every client sends its commands one after another; the clients run concurrently.</summary>
    [Benchmark]
    public Task Commands()
    {
        var clients = new Task[Writers];
        for (var w = 0; w < Writers; w++)
        {
            clients[w] = SendAsync(_latencies[w]);
        }

        return Task.WhenAll(clients);
    }

    /// <summary>Records the figures of the iteration that just ran.</summary>
    [IterationCleanup]
    public void RecordIteration()
    {
        var figures = PersistenceFigures.Measure(
            _countersAtStart, _node.Journal.Counters.Snapshot(), Stopwatch.GetElapsedTime(_iterationStart), _latencies);
        PersistenceFigures.Write(nameof(PersistAsyncBenchmarks), Plugin, BatchSize, Writers, figures, Mode);
    }

    /// <summary>Stops the node and removes its storage.</summary>
    [GlobalCleanup]
    public void Cleanup()
    {
        _node.Dispose();
    }

    private async Task SendAsync(List<long> latencies)
    {
        for (var i = 0; i < CommandsPerInvoke / Writers; i++)
        {
            var start = Stopwatch.GetTimestamp();
            await _actor.Ask<long>(1, TimeSpan.FromSeconds(60)).ConfigureAwait(false);
            latencies.Add(Stopwatch.GetTimestamp() - start);
        }
    }

    /// <summary>Persists one 100-byte event per command (0: just reports its sequence number) and answers from the handler.</summary>
    private sealed class OneActor : ReceivePersistentActor
    {
        private static readonly byte[] Payload = new byte[100];
        private readonly string _id;

        public OneActor(string id, bool async)
        {
            _id = id;
            Command<int>(count =>
            {
                if (count == 0)
                {
                    Sender.Tell(LastSequenceNr);
                }
                else if (async)
                {
                    PersistAsync(Payload, _ => Sender.Tell(LastSequenceNr));
                }
                else
                {
                    Persist(Payload, _ => Sender.Tell(LastSequenceNr));
                }
            });
        }

        public override string PersistenceId => _id;
    }
}
