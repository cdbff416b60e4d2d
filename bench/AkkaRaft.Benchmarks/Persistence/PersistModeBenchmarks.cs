using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using Akka.Actor;
using Akka.Persistence;
using AkkaRaft.Configuration;
using AkkaRaft.Raft.Persistence;
using BenchmarkDotNet.Attributes;
using BenchmarkDotNet.Configs;
using BenchmarkDotNet.Running;
using Npgsql;
using AkkaConfigurationFactory = Akka.Configuration.ConfigurationFactory;

namespace AkkaRaft.Benchmarks.Persistence;

/// <summary>
/// One persistent actor on the journal a node uses (<see cref="RaftPersistence.AkkaConfig"/>: Akka.Persistence.Sql
/// on a SQLite file in WAL mode, or on PostgreSQL), sent commands by <see cref="Senders"/> concurrent senders (64;
/// 1 shows the latency of one write alone) that each wait for the answer (Ask) before sending the next. Each command persists 100-byte <c>byte[]</c> events and is
/// answered from its handler: <c>Persist</c> (one event; the actor stashes commands while it is written),
/// <c>PersistAsync</c> (one event; commands keep coming, and what arrives during a write goes in the next one),
/// <c>PersistAll</c> (<see cref="EventsPerPersistAll"/> events in one atomic write; commands stashed meanwhile).
/// Columns: events/s, commands/s, p50/p99 of one command, from the last iteration.
/// PostgreSQL: <c>AKKARAFT_PG_CONNECTION</c>, or the local server of <c>.ci/postgres.sh</c>; tables in schema
/// <c>akkaraft_bench</c>, dropped at the end.
/// </summary>
[Config(typeof(PersistBenchmarkConfig))]
public class PersistModeBenchmarks
{
    /// <summary>Events per PersistAll command.</summary>
    public const int EventsPerPersistAll = 16;

    private const string Schema = "akkaraft_bench";
    private ActorSystem _system = null!;
    private string _directory = "";
    private IActorRef _writer = ActorRefs.Nobody;
    private long[][] _latencies = [];
    private long _started;
    private TimeSpan _cpuAtStart;

    /// <summary>The journal: sqlite or postgresql.</summary>
    [Params("sqlite", "postgresql")]
    public string Backend { get; set; } = "sqlite";

    /// <summary>Concurrent senders.</summary>
    [Params(1, 64)]
    public int Senders { get; set; }

    /// <summary>The persist call of each command.</summary>
    [Params(PersistMode.Persist, PersistMode.PersistAsync, PersistMode.PersistAll)]
    public PersistMode Mode { get; set; }

    // About a second per iteration on this machine for the slowest case.
    private int CommandsPerSender => Senders == 1 ? 256 : Mode == PersistMode.Persist ? 8 : 32;

    /// <summary>Starts the actor system on a fresh SQLite file or schema, and the writer.</summary>
    [GlobalSetup]
    public void Setup()
    {
        PersistFigures.Forget(Backend, Senders, Mode);
        _directory = Directory.CreateTempSubdirectory("akkaraft-bench-persist-").FullName;
        var connection = Environment.GetEnvironmentVariable("AKKARAFT_PG_CONNECTION") ?? "Host=127.0.0.1;Port=5432;Username=akkaraft;Password=akkaraft;Database=akkaraft_test";
        if (Backend == "postgresql") Sql(connection, $"DROP SCHEMA IF EXISTS {Schema} CASCADE; CREATE SCHEMA {Schema};");
        var resolved = ConfigurationFactory.ParseString($$"""
            akkaraft.persistence.journal.plugin = {{Backend}}
            akkaraft.persistence.postgresql.connection-string = {{JsonSerializer.Serialize(connection)}}
            akkaraft.persistence.postgresql.schema = {{Schema}}
            """).WithFallback(ConfigurationFactory.Default());
        var settings = RaftPersistenceSettings.FromConfig(resolved);
        RaftPersistence.PrepareStorage(settings, _directory);
        _system = ActorSystem.Create("bench-persist", AkkaConfigurationFactory.ParseString("akka.loglevel = WARNING\nakka.stdout-loglevel = WARNING")
            .WithFallback(RaftPersistence.AkkaConfig(settings, _directory))
            .WithFallback(AkkaHandover.ToAkkaConfig(resolved)));
        _writer = _system.ActorOf(Props.Create(() => new Writer("bench-" + Guid.NewGuid().ToString("N"))), "writer");
        // Recovery and table creation happen before anything is measured.
        _writer.Ask<Written>(new Command(PersistMode.Persist), TimeSpan.FromSeconds(60)).GetAwaiter().GetResult();
    }

    /// <summary>Resets the figures of the iteration.</summary>
    [IterationSetup]
    public void StartIteration()
    {
        _latencies = Enumerable.Range(0, Senders).Select(_ => new long[CommandsPerSender]).ToArray();
        _cpuAtStart = Process.GetCurrentProcess().TotalProcessorTime;
        _started = Stopwatch.GetTimestamp();
    }

    /// <summary>Every sender sends its commands, one at a time.</summary>
    [Benchmark]
    public Task Commands()
    {
        var senders = new Task[Senders];
        for (var s = 0; s < senders.Length; s++) senders[s] = SenderAsync(_latencies[s]);
        return Task.WhenAll(senders);
    }

    private async Task SenderAsync(long[] latencies)
    {
        var command = new Command(Mode);
        for (var i = 0; i < latencies.Length; i++)
        {
            var start = Stopwatch.GetTimestamp();
            await _writer.Ask<Written>(command, TimeSpan.FromSeconds(60)).ConfigureAwait(false);
            latencies[i] = Stopwatch.GetTimestamp() - start;
        }
    }

    /// <summary>Records the figures of the iteration that just ran.</summary>
    [IterationCleanup]
    public void RecordIteration()
    {
        var seconds = Stopwatch.GetElapsedTime(_started).TotalSeconds;
        var cpu = Process.GetCurrentProcess().TotalProcessorTime - _cpuAtStart;
        var all = _latencies.SelectMany(l => l).Order().ToArray();
        var events = all.Length * (Mode == PersistMode.PersistAll ? EventsPerPersistAll : 1);
        static double Ms(long ticks) => ticks * 1000.0 / Stopwatch.Frequency;
        PersistFigures.Write(Backend, Senders, Mode, new PersistFigures(events / seconds, all.Length / seconds, Ms(all[all.Length / 2]), Ms(all[Math.Min(all.Length - 1, all.Length * 99 / 100)]), cpu.TotalMicroseconds / all.Length));
    }

    /// <summary>Terminates the actor system, removes the file or drops the schema.</summary>
    [GlobalCleanup]
    public void Cleanup()
    {
        _system.Terminate().GetAwaiter().GetResult();
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        if (Backend == "postgresql")
        {
            NpgsqlConnection.ClearAllPools();
            Sql(Environment.GetEnvironmentVariable("AKKARAFT_PG_CONNECTION") ?? "Host=127.0.0.1;Port=5432;Username=akkaraft;Password=akkaraft;Database=akkaraft_test", $"DROP SCHEMA IF EXISTS {Schema} CASCADE;");
        }

        try
        {
            Directory.Delete(_directory, recursive: true);
        }
        catch (IOException)
        {
            // Left to the temp directory's cleanup.
        }
    }

    private static void Sql(string connectionString, string sql)
    {
        using var connection = new NpgsqlConnection(connectionString);
        connection.Open();
        using var command = new NpgsqlCommand(sql, connection);
        command.ExecuteNonQuery();
    }

    /// <summary>Persist events the command's way, then answer <see cref="Written"/>.</summary>
    private sealed record Command(PersistMode Mode);

    private sealed record Written
    {
        public static Written Instance { get; } = new();
    }

    /// <summary>The persistent actor: answers each command from the handler of its (last) event.</summary>
    private sealed class Writer : ReceivePersistentActor
    {
        private static readonly byte[] Payload = new byte[100];
        private static readonly byte[][] Batch = Enumerable.Range(0, EventsPerPersistAll).Select(_ => Payload).ToArray();

        public Writer(string persistenceId)
        {
            PersistenceId = persistenceId;
            Recover<byte[]>(_ => { });
            Command<Command>(command =>
            {
                var sender = Sender;
                switch (command.Mode)
                {
                    case PersistMode.Persist:
                        Persist(Payload, _ => sender.Tell(Written.Instance));
                        break;
                    case PersistMode.PersistAsync:
                        PersistAsync(Payload, _ => sender.Tell(Written.Instance));
                        break;
                    default:
                        var left = Batch.Length;
                        PersistAll(Batch, _ =>
                        {
                            if (--left == 0) sender.Tell(Written.Instance);
                        });
                        break;
                }
            });
        }

        public override string PersistenceId { get; }
    }
}

/// <summary>How each command persists.</summary>
public enum PersistMode
{
    /// <summary>Persist: one event; commands stashed while it is written.</summary>
    Persist,

    /// <summary>PersistAsync: one event; commands keep coming in.</summary>
    PersistAsync,

    /// <summary>PersistAll: several events in one atomic write; commands stashed meanwhile.</summary>
    PersistAll,
}

/// <summary>What one case measured in its last iteration.</summary>
/// <param name="EventsPerSecond">Events persisted per second.</param>
/// <param name="CommandsPerSecond">Commands answered per second.</param>
/// <param name="P50Milliseconds">Median command latency.</param>
/// <param name="P99Milliseconds">99th percentile command latency.</param>
/// <param name="CpuMicrosPerCommand">CPU time of the whole process (actor, journal, senders) per command, µs.</param>
public sealed record PersistFigures(double EventsPerSecond, double CommandsPerSecond, double P50Milliseconds, double P99Milliseconds, double CpuMicrosPerCommand)
{
    private static string PathOf(string backend, int senders, PersistMode mode) => Path.Combine(Path.GetTempPath(), "akkaraft-bench-persist", $"{backend}-{senders}-{mode}.json");

    /// <summary>Stores the figures of one case.</summary>
    public static void Write(string backend, int senders, PersistMode mode, PersistFigures figures)
    {
        var path = PathOf(backend, senders, mode);
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        File.WriteAllText(path, JsonSerializer.Serialize(figures));
    }

    /// <summary>Removes the stored figures of one case (a case that fails shows none rather than an older run's).</summary>
    public static void Forget(string backend, int senders, PersistMode mode) => File.Delete(PathOf(backend, senders, mode));

    /// <summary>The stored figures of one case, or null.</summary>
    public static PersistFigures? Read(BenchmarkCase benchmarkCase) =>
        benchmarkCase.Parameters["Backend"] is string backend && benchmarkCase.Parameters["Senders"] is int senders
        && benchmarkCase.Parameters["Mode"] is PersistMode mode && File.Exists(PathOf(backend, senders, mode))
            ? JsonSerializer.Deserialize<PersistFigures>(File.ReadAllText(PathOf(backend, senders, mode)))
            : null;
}

/// <summary>The persistence columns.</summary>
public sealed class PersistBenchmarkConfig : ManualConfig
{
    /// <summary>The columns.</summary>
    public PersistBenchmarkConfig()
    {
        static FigureColumn Column(string name, string legend, Func<PersistFigures, double> figure, string format) =>
            FigureColumn.Of("Persist", name, legend, PersistFigures.Read, figure, format);

        AddColumn(
            Column("events/s", "Events persisted per second (last iteration)", f => f.EventsPerSecond, "N0"),
            Column("commands/s", "Commands answered per second (last iteration)", f => f.CommandsPerSecond, "N0"),
            Column("p50 ms", "Median command latency in ms (last iteration)", f => f.P50Milliseconds, "N2"),
            Column("p99 ms", "99th percentile command latency in ms (last iteration)", f => f.P99Milliseconds, "N2"),
            Column("CPU µs/command", "CPU time of the process (actor, journal, senders) per command", f => f.CpuMicrosPerCommand, "N0"));
    }
}
