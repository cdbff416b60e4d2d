using System.Collections.Immutable;
using System.Data;
using System.Diagnostics;
using System.Globalization;
using Akka.Actor;
using Akka.Persistence;
using Akka.Persistence.Sql;
using Akka.Persistence.Sql.Config;
using Akka.Persistence.Sql.Db;
using Akka.Persistence.Sql.Journal;
using Akka.Persistence.Sql.Journal.Dao;
using Akka.Persistence.Sql.Journal.Types;
using AkkaRaft.Raft.Persistence;
using LinqToDB;
using Microsoft.Data.Sqlite;
using AkkaConfig = Akka.Configuration.Config;
using AkkaConfigurationFactory = Akka.Configuration.ConfigurationFactory;

namespace AkkaRaft.Benchmarks.Persistence;

/// <summary>
/// A measurement run by hand (not a BenchmarkDotNet benchmark): what one journal write of a Raft-sized batch costs
/// through Akka.Persistence.Sql's own write path (its Akka.Streams write queue, batching stage and a completion
/// source per write) against the same rows written by the journal's write call itself (<see cref="DirectJournal"/>:
/// the plugin's serializer, connection factory and tables, one transaction, no stream in between). One persistent
/// actor on the SQLite journal a node ships (<see cref="RaftPersistence.AkkaConfig"/>); each command is one
/// <c>PersistAllAsync</c> of three 100-byte events, as a peer's batch of entries and hard state, answered once durable.
/// It asks whether a journal write path of our own would make a put cheaper: the two print the same CPU per write.
/// <code>dotnet run -c Release --project bench/AkkaRaft.Benchmarks -- journal-write-path [seconds] [senders]</code>
/// </summary>
public static class JournalWritePath
{
    /// <summary>The plugin's own write path, then rows written in the write call, twice each, <paramref name="window"/> each after 2 s of warm-up.</summary>
    public static async Task RunAsync(TextWriter output, TimeSpan window, int senders)
    {
        ArgumentNullException.ThrowIfNull(output);
        foreach (var variant in new[] { Plugin, Direct, Plugin, Direct })
        {
            await MeasureAsync(output, variant, window, senders).ConfigureAwait(false);
        }
    }

    private const string Plugin = "plugin";
    private const string Direct = "direct";

    private static async Task MeasureAsync(TextWriter output, string variant, TimeSpan window, int senders)
    {
        var directory = Path.Combine(Path.GetTempPath(), "akkaraft-journal-path", Guid.NewGuid().ToString("N"));
        var settings = RaftPersistenceSettings.Default;
        RaftPersistence.PrepareStorage(settings, directory);
        var journalClass = variant == Plugin ? typeof(SqlWriteJournal) : typeof(DirectJournal);
        var config = AkkaConfigurationFactory.ParseString($"akka.persistence.journal.sql.class = \"{journalClass.AssemblyQualifiedName}\"")
            .WithFallback(AkkaConfigurationFactory.ParseString(SqlPersistThroughput.BenchEventConfig))
            .WithFallback(RaftPersistence.AkkaConfig(settings, directory));
        var system = ActorSystem.Create("bench", config);
        try
        {
            var actor = system.ActorOf(Props.Create(() => new Writer("w-" + variant)));
            await actor.Ask<string>("go", TimeSpan.FromSeconds(30)).ConfigureAwait(false);
            await SqlPersistThroughput.ClosedLoopAsync(senders, TimeSpan.FromSeconds(2), Go(actor)).ConfigureAwait(false);
            var cpuAtStart = Process.GetCurrentProcess().TotalProcessorTime;
            var stopwatch = Stopwatch.StartNew();
            var (writes, latencies) = await SqlPersistThroughput.ClosedLoopAsync(senders, window, Go(actor)).ConfigureAwait(false);
            var seconds = stopwatch.Elapsed.TotalSeconds;
            var cpu = Process.GetCurrentProcess().TotalProcessorTime - cpuAtStart;
            latencies.Sort();
            // CPU per write: the whole process (actor, journal, senders) per acknowledged command.
            await output.WriteLineAsync(string.Create(CultureInfo.InvariantCulture,
                $"{variant,-6} senders {senders,3}: {writes / seconds,8:F0} writes/s  CPU per write {cpu.TotalMicroseconds / writes,6:F0} µs  p50 {latencies[latencies.Count / 2],6:F2} ms  p99 {latencies[(int)(latencies.Count * 0.99)],6:F2} ms")).ConfigureAwait(false);
        }
        finally
        {
            await system.Terminate().ConfigureAwait(false);
            SqliteConnection.ClearAllPools();
            Directory.Delete(directory, recursive: true);
        }
    }

    /// <summary>One command to the writer, answered once its events are durable.</summary>
    private static Func<Task> Go(IActorRef actor) => () => actor.Ask<string>("go", TimeSpan.FromSeconds(30));

    /// <summary>Three events per command in one atomic write (an Append of entries with a hard state, as a peer's batch).</summary>
    private sealed class Writer : ReceivePersistentActor
    {
        private static readonly SqlPersistThroughput.BenchEvent[] Batch = Enumerable.Range(0, 3).Select(_ => new SqlPersistThroughput.BenchEvent(new byte[100])).ToArray();

        public Writer(string id)
        {
            PersistenceId = id;
            Command<string>(_ =>
            {
                var sender = Sender;
                var handled = 0;
                PersistAllAsync(Batch, _ =>
                {
                    if (++handled == Batch.Length) sender.Tell("ok");
                });
            });
        }

        public override string PersistenceId { get; }
    }

    /// <summary>
    /// Akka.Persistence.Sql's journal with its write replaced: the rows its serializer makes, inserted through its
    /// connection factory in one transaction from the write call itself (no write queue, no batching stage, no
    /// completion source). For this measurement only: it does not keep what the plugin's write path keeps for a
    /// concurrent <c>ReadHighestSequenceNr</c>, and a failed row's serialization throws instead of rejecting.
    /// </summary>
    public sealed class DirectJournal : SqlWriteJournal
    {
        private readonly AkkaPersistenceDataConnectionFactory _factory;
        private readonly ByteArrayJournalSerializer _serializer;

        /// <summary>The journal of <paramref name="journalConfig"/> (the plugin's section), as the plugin reads it.</summary>
        public DirectJournal(AkkaConfig journalConfig) : base(journalConfig)
        {
            var config = new JournalConfig(journalConfig.WithFallback(SqlPersistence.DefaultJournalConfiguration));
            _factory = new AkkaPersistenceDataConnectionFactory(config);
            _serializer = new ByteArrayJournalSerializer(config, Context.System.Serialization, config.PluginConfig.TagSeparator, Guid.NewGuid().ToString("N"));
        }

        /// <inheritdoc />
        protected override async Task<IImmutableList<Exception>> WriteMessagesAsync(IEnumerable<AtomicWrite> messages, CancellationToken cancellationToken)
        {
            var tries = _serializer.Serialize(messages, DateTime.UtcNow.Ticks);
            var rows = new List<JournalRow>();
            foreach (var t in tries) rows.AddRange(t.Get());
            await using var connection = _factory.GetConnection();
            await using var transaction = await connection.BeginTransactionAsync(IsolationLevel.Unspecified, cancellationToken).ConfigureAwait(false);
            foreach (var row in rows) await connection.InsertAsync(row, cancellationToken).ConfigureAwait(false);
            await transaction.CommitAsync(cancellationToken).ConfigureAwait(false);
            // No rejections (AsyncWriteJournal reads null as "every write succeeded").
            return null!;
        }
    }
}
