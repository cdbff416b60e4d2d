using System.Diagnostics;
using System.Globalization;
using System.Runtime.CompilerServices;
using Akka.Actor;
using Akka.Actor.Setup;
using Akka.Persistence;
using Akka.Persistence.Sql.Config;
using Akka.Serialization;
using AkkaRaft.Raft.Persistence;
using LinqToDB;
using LinqToDB.Data;
using Microsoft.Data.Sqlite;
using Npgsql;
using AkkaConfigurationFactory = Akka.Configuration.ConfigurationFactory;

namespace AkkaRaft.Benchmarks.Persistence;

/// <summary>
/// A measurement run once by hand, not a BenchmarkDotNet benchmark: ONE persistent actor on the journal
/// <see cref="RaftPersistence.AkkaConfig"/> ships (SQLite file in WAL with synchronous FULL, or PostgreSQL), sent
/// commands by 64 concurrent senders that each await the answer (Ask) before the next. Each command is answered from
/// its persist handler: <c>Persist</c> (commands wait while an event is written), <c>PersistAsync</c> (events persisted
/// while a write is in flight go together in the next write), <c>PersistAll</c> (16 events per command, one atomic
/// write). linq2db's trace (through a <see cref="DataOptionsSetup"/> of the same provider and connection string) counts
/// the committed SQL transactions that insert journal rows. Run it from any entry point:
/// <code>await AkkaRaft.Benchmarks.Persistence.SqlPersistThroughput.RunAsync(Console.Out, TimeSpan.FromSeconds(10));</code>
/// PostgreSQL: AKKARAFT_PG_CONNECTION or the local server of <c>.ci/postgres.sh</c>.
/// </summary>
public static class SqlPersistThroughput
{
    /// <summary>Concurrent senders.</summary>
    public const int Senders = 64;

    /// <summary>Events per PersistAll command.</summary>
    public const int EventsPerPersistAll = 16;

    /// <summary>Bytes of each event's payload.</summary>
    public const int EventBytes = 100;

    /// <summary>The persist call a command makes.</summary>
    public enum Mode
    {
        /// <summary>Persist: one event, commands stashed while it is written.</summary>
        Persist,

        /// <summary>PersistAsync: one event, commands keep coming in.</summary>
        PersistAsync,

        /// <summary>PersistAll: <see cref="EventsPerPersistAll"/> events in one atomic write.</summary>
        PersistAll,
    }

    /// <summary>What one backend and mode did in the measured window.</summary>
    public sealed record Result(string Backend, Mode Mode, double Seconds, long Commands, long Events, long Transactions, long Inserts, TimeSpan Cpu)
    {
        /// <inheritdoc />
        public override string ToString() => string.Create(CultureInfo.InvariantCulture,
            $"| {Backend,-10} | {Mode,-12} | {Commands / Seconds,10:F0} | {Events / Seconds,10:F0} | {Transactions / Seconds,8:F0} | {(double)Events / Math.Max(1, Transactions),8:F2} | {(double)Inserts / Math.Max(1, Transactions),8:F2} | {Cpu.TotalMicroseconds / Math.Max(1, Transactions),8:F0} |");
    }

    /// <summary>Measures every mode on SQLite then PostgreSQL, <paramref name="window"/> each after a 2s warm-up, and writes a table.</summary>
    public static async Task<IReadOnlyList<Result>> RunAsync(TextWriter output, TimeSpan window)
    {
        ArgumentNullException.ThrowIfNull(output);
        var results = new List<Result>();
        // CPU µs/txn: CPU time of this whole process (actor, journal, senders, the trace that counts) per transaction.
        await output.WriteLineAsync("| backend    | mode         | commands/s |   events/s |  txn/s | events/txn | INSERTs/txn | CPU µs/txn |").ConfigureAwait(false);
        await output.WriteLineAsync("|---|---|---:|---:|---:|---:|---:|---:|").ConfigureAwait(false);
        foreach (var plugin in new[] { RaftPersistencePlugin.Sqlite, RaftPersistencePlugin.PostgreSql })
        {
            foreach (var mode in Enum.GetValues<Mode>())
            {
                var result = await MeasureAsync(plugin, mode, window).ConfigureAwait(false);
                results.Add(result);
                await output.WriteLineAsync(result.ToString()).ConfigureAwait(false);
            }
        }

        return results;
    }

    private static async Task<Result> MeasureAsync(RaftPersistencePlugin plugin, Mode mode, TimeSpan window)
    {
        var directory = Path.Combine(Path.GetTempPath(), "akkaraft-sql-persist-bench", Guid.NewGuid().ToString("N"));
        var settings = RaftPersistenceSettings.Default with
        {
            Plugin = plugin,
            PostgreSqlConnectionString = Environment.GetEnvironmentVariable("AKKARAFT_PG_CONNECTION") is { Length: > 0 } pg
                ? pg
                : "Host=127.0.0.1;Port=5432;Username=akkaraft;Password=akkaraft;Database=akkaraft_test",
            PostgreSqlSchema = "bench_" + Guid.NewGuid().ToString("N"),
        };
        RaftPersistence.PrepareStorage(settings, directory);
        var connectionString = plugin == RaftPersistencePlugin.Sqlite
            ? RaftPersistence.SqliteConnectionString(settings, directory)
            : settings.PostgreSqlConnectionString;
        var provider = plugin == RaftPersistencePlugin.Sqlite ? RaftPersistence.SqliteProvider : settings.PostgreSqlProvider;

        var counter = new TransactionCounter();
        var config = AkkaConfigurationFactory.ParseString(BenchEventConfig).WithFallback(RaftPersistence.AkkaConfig(settings, directory));
        var setup = BootstrapSetup.Create().WithConfig(config)
            .And(new DataOptionsSetup(new DataOptions().UseConnectionString(provider, connectionString).UseTracing(TraceLevel.Verbose, counter.Trace)));
        var system = ActorSystem.Create("bench", setup);
        try
        {
            var actor = system.ActorOf(Props.Create(() => new BenchActor("bench-" + mode)));
            await actor.Ask<Ack>(new BenchCommand(Mode.Persist), TimeSpan.FromSeconds(30)).ConfigureAwait(false);

            await DriveAsync(actor, mode, TimeSpan.FromSeconds(2)).ConfigureAwait(false);
            counter.Reset();
            var cpuAtStart = Process.GetCurrentProcess().TotalProcessorTime;
            var stopwatch = Stopwatch.StartNew();
            var commands = await DriveAsync(actor, mode, window).ConfigureAwait(false);
            var seconds = stopwatch.Elapsed.TotalSeconds;
            var cpu = Process.GetCurrentProcess().TotalProcessorTime - cpuAtStart;
            var (transactions, inserts) = counter.Read();
            var events = mode == Mode.PersistAll ? commands * EventsPerPersistAll : commands;
            return new Result(plugin == RaftPersistencePlugin.Sqlite ? "sqlite" : "postgresql", mode, seconds, commands, events, transactions, inserts, cpu);
        }
        finally
        {
            await system.Terminate().ConfigureAwait(false);
            if (plugin == RaftPersistencePlugin.PostgreSql)
            {
                await using var connection = new NpgsqlConnection(settings.PostgreSqlConnectionString);
                await connection.OpenAsync().ConfigureAwait(false);
                await using var drop = new NpgsqlCommand($"DROP SCHEMA {settings.PostgreSqlSchema} CASCADE;", connection);
                await drop.ExecuteNonQueryAsync().ConfigureAwait(false);
            }

            SqliteConnection.ClearAllPools();
            if (Directory.Exists(directory))
            {
                Directory.Delete(directory, recursive: true);
            }
        }
    }

    private static async Task<long> DriveAsync(IActorRef actor, Mode mode, TimeSpan duration)
    {
        var command = new BenchCommand(mode);
        var (commands, _) = await ClosedLoopAsync(Senders, duration, () => actor.Ask<Ack>(command, TimeSpan.FromSeconds(30))).ConfigureAwait(false);
        return commands;
    }

    /// <summary>
    /// Closed loop: each of <paramref name="senders"/> makes <paramref name="call"/>, waits for it, makes it again, until
    /// <paramref name="duration"/> has passed; the calls completed and their latencies in ms (unsorted).
    /// </summary>
    public static async Task<(long Calls, List<double> LatenciesMs)> ClosedLoopAsync(int senders, TimeSpan duration, Func<Task> call)
    {
        ArgumentNullException.ThrowIfNull(call);
        long calls = 0;
        var latencies = new List<double>();
        var deadline = Stopwatch.GetTimestamp() + (long)(duration.TotalSeconds * Stopwatch.Frequency);
        await Task.WhenAll(Enumerable.Range(0, senders).Select(async _ =>
        {
            var mine = new List<double>();
            while (Stopwatch.GetTimestamp() < deadline)
            {
                var started = Stopwatch.GetTimestamp();
                await call().ConfigureAwait(false);
                mine.Add(Stopwatch.GetElapsedTime(started).TotalMilliseconds);
                Interlocked.Increment(ref calls);
            }

            lock (latencies) latencies.AddRange(mine);
        })).ConfigureAwait(false);
        return (calls, latencies);
    }

    /// <summary>The Akka configuration that binds <see cref="BenchEvent"/> to <see cref="BenchEventSerializer"/>, quietly logged.</summary>
    public static string BenchEventConfig { get; } = $$"""
        akka.loglevel = WARNING
        akka.actor.serializers.bench-event = "{{typeof(BenchEventSerializer).AssemblyQualifiedName}}"
        akka.actor.serialization-bindings { "{{typeof(BenchEvent).AssemblyQualifiedName}}" = bench-event }
        """;

    /// <summary>A command: persist in this mode, answer <see cref="Ack"/> from the (last) handler.</summary>
    private sealed record BenchCommand(Mode Mode);

    /// <summary>The answer to a command.</summary>
    private sealed class Ack
    {
        public static readonly Ack Instance = new();
    }

    /// <summary>The event: <see cref="EventBytes"/> bytes.</summary>
    public sealed record BenchEvent(byte[] Payload);

    /// <summary>Serializer of <see cref="BenchEvent"/>: the payload as it is.</summary>
    public sealed class BenchEventSerializer(ExtendedActorSystem system) : SerializerWithStringManifest(system)
    {
        /// <inheritdoc />
        public override int Identifier => 9901;

        /// <inheritdoc />
        public override string Manifest(object o) => "B";

        /// <inheritdoc />
        public override byte[] ToBinary(object obj) => ((BenchEvent)obj).Payload;

        /// <inheritdoc />
        public override object FromBinary(byte[] bytes, string manifest) => new BenchEvent(bytes);
    }

    private sealed class BenchActor : ReceivePersistentActor
    {
        private static readonly BenchEvent Event = new(new byte[EventBytes]);
        private static readonly BenchEvent[] Batch = Enumerable.Repeat(Event, EventsPerPersistAll).ToArray();

        public BenchActor(string persistenceId)
        {
            PersistenceId = persistenceId;
            Command<BenchCommand>(c =>
            {
                var sender = Sender;
                switch (c.Mode)
                {
                    case Mode.Persist:
                        Persist(Event, _ => sender.Tell(Ack.Instance));
                        break;
                    case Mode.PersistAsync:
                        PersistAsync(Event, _ => sender.Tell(Ack.Instance));
                        break;
                    case Mode.PersistAll:
                        var handled = 0;
                        PersistAll(Batch, _ =>
                        {
                            if (++handled == EventsPerPersistAll)
                            {
                                sender.Tell(Ack.Instance);
                            }
                        });
                        break;
                }
            });
        }

        public override string PersistenceId { get; }
    }

    /// <summary>
    /// Counts, from linq2db's trace, the committed transactions that inserted journal rows and those INSERT statements.
    /// (Transaction objects cannot be told apart by identity: Npgsql reuses one per physical connection.)
    /// </summary>
    private sealed class TransactionCounter
    {
        private readonly Lock _gate = new();
        private readonly ConditionalWeakTable<DataConnection, StrongBox<bool>> _insertedInTransaction = new();
        private long _transactions;
        private long _inserts;

        public void Reset()
        {
            lock (_gate)
            {
                _transactions = 0;
                _inserts = 0;
            }
        }

        public (long Transactions, long Inserts) Read()
        {
            lock (_gate)
            {
                return (_transactions, _inserts);
            }
        }

        public void Trace(TraceInfo info)
        {
            if (info.TraceInfoStep != TraceInfoStep.AfterExecute || info.DataConnection is not { } connection)
            {
                return;
            }

            lock (_gate)
            {
                var inserted = _insertedInTransaction.GetValue(connection, _ => new StrongBox<bool>());
                switch (info.Operation)
                {
                    case TraceOperation.BeginTransaction:
                        inserted.Value = false;
                        break;
                    case TraceOperation.CommitTransaction:
                        if (inserted.Value)
                        {
                            _transactions++;
                        }

                        inserted.Value = false;
                        break;
                    case TraceOperation.ExecuteNonQuery or TraceOperation.ExecuteScalar or TraceOperation.ExecuteReader
                        when info.Command?.CommandText is { } sql && IsJournalInsert(sql):
                        _inserts++;
                        inserted.Value = true;
                        break;
                }
            }
        }

        private static bool IsJournalInsert(string sql) =>
            sql.StartsWith("INSERT", StringComparison.OrdinalIgnoreCase)
            && sql.Contains("journal", StringComparison.Ordinal)
            && !sql.Contains("journal_metadata", StringComparison.Ordinal);
    }
}
