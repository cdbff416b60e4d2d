using System.Diagnostics;
using AkkaRaft.Actors.Serialization;
using AkkaRaft.Persistence;
using AkkaRaft.Persistence.InMemory;
using AkkaRaft.Persistence.Journal;
using AkkaRaft.Persistence.Sql.PostgreSql;
using AkkaRaft.Persistence.Sql.Sqlite;
using BenchmarkDotNet.Attributes;
using Npgsql;

namespace AkkaRaft.Benchmarks.Persistence;

/// <summary>
/// Journal write throughput and latency with fsync on: <see cref="Writers"/> concurrent writers (each one persistence
/// id that awaits its write before the next, as a persistent actor does) each writing atomic batches of
/// <see cref="BatchSize"/> events of 100 bytes. One operation is <see cref="WriteRequestsPerInvoke"/> write requests in
/// all. Events/s, p50/p99 write latency and fsyncs/s are added as columns (<see cref="PersistenceColumns"/>).
/// PostgreSQL: AKKARAFT_PG_CONNECTION or the local server of <c>.ci/postgres.sh</c>.
/// </summary>
[Config(typeof(PersistenceBenchmarkConfig))]
public class JournalWriteBenchmarks
{
    /// <summary>Write requests per benchmark invocation, spread over the writers.</summary>
    public const int WriteRequestsPerInvoke = 256;

    /// <summary>The event payload size, in bytes.</summary>
    public const int EventBytes = 100;

    private IJournal _journal = null!;
    private string? _sqliteDirectory;
    private SqliteDatabase? _sqlite;
    private PostgreSqlDatabase? _postgreSql;
    private string? _postgreSqlSchema;
    private long[] _nextSequenceNr = [];
    private List<long>[] _latencies = [];
    private AtomicWrite[][] _prepared = [];
    private JournalCountersSnapshot _countersAtStart;
    private long _iterationStart;

    /// <summary>The journal plugin.</summary>
    [Params("inmem", "sqlite", "postgresql")]
    public string Plugin { get; set; } = "inmem";

    /// <summary>Events per atomic write.</summary>
    [Params(1, 16, 256)]
    public int BatchSize { get; set; }

    /// <summary>Concurrent writers (persistence ids).</summary>
    [Params(1, 64)]
    public int Writers { get; set; }

    private int WritesPerWriter => WriteRequestsPerInvoke / Writers;

    /// <summary>Opens the journal on fresh storage.</summary>
    [GlobalSetup]
    public void Setup()
    {
        _journal = Plugin switch
        {
            "inmem" => new InMemoryJournal(new InMemoryStore(fsyncOnWrite: true)),
            "sqlite" => OpenSqlite(),
            "postgresql" => OpenPostgreSql(),
            _ => throw new ArgumentException($"unknown plugin {Plugin}"),
        };
        _nextSequenceNr = Enumerable.Repeat(1L, Writers).ToArray();
        _latencies = Enumerable.Range(0, Writers).Select(_ => new List<long>(1 << 16)).ToArray();
        _prepared = new AtomicWrite[Writers][];
    }

    /// <summary>Builds this iteration's events up front (serialization is not what is measured) and resets the figures.</summary>
    [IterationSetup]
    public void PrepareIteration()
    {
        var payload = new byte[EventBytes];
        new Random(BatchSize * 1000 + Writers).NextBytes(payload);
        for (var w = 0; w < Writers; w++)
        {
            _prepared[w] = new AtomicWrite[WritesPerWriter];
            for (var i = 0; i < WritesPerWriter; i++)
            {
                var events = new PersistentEvent[BatchSize];
                for (var e = 0; e < BatchSize; e++)
                {
                    events[e] = new PersistentEvent($"bench-{w}", _nextSequenceNr[w]++, new SerializedMessage(BytesSerializer.Id, "", payload));
                }

                _prepared[w][i] = new AtomicWrite(events);
            }

            _latencies[w].Clear();
        }

        _countersAtStart = _journal.Counters.Snapshot();
        _iterationStart = Stopwatch.GetTimestamp();
    }

    /// <summary>Every writer writes its batches one after another; the writers run concurrently.</summary>
    [Benchmark]
    public Task Persist()
    {
        var writers = new Task[Writers];
        for (var w = 0; w < Writers; w++)
        {
            writers[w] = WriteAsync(w);
        }

        return Task.WhenAll(writers);
    }

    /// <summary>Records the figures of the iteration that just ran (the last one is what the columns show).</summary>
    [IterationCleanup]
    public void RecordIteration()
    {
        var figures = PersistenceFigures.Measure(
            _countersAtStart, _journal.Counters.Snapshot(), Stopwatch.GetElapsedTime(_iterationStart), _latencies);
        PersistenceFigures.Write(nameof(JournalWriteBenchmarks), Plugin, BatchSize, Writers, figures);
    }

    /// <summary>Closes the journal and removes its storage.</summary>
    [GlobalCleanup]
    public void Cleanup()
    {
        _journal.DisposeAsync().AsTask().GetAwaiter().GetResult();
        _sqlite?.ReleasePooledConnections();
        if (_sqliteDirectory is not null)
        {
            Directory.Delete(_sqliteDirectory, recursive: true);
        }

        if (_postgreSql is not null)
        {
            using (var command = _postgreSql.DataSource.CreateCommand($"DROP SCHEMA {_postgreSqlSchema} CASCADE;"))
            {
                command.ExecuteNonQuery();
            }

            _postgreSql.DisposeAsync().AsTask().GetAwaiter().GetResult();
        }
    }

    private async Task WriteAsync(int writer)
    {
        var latencies = _latencies[writer];
        foreach (var write in _prepared[writer])
        {
            var start = Stopwatch.GetTimestamp();
            await _journal.WriteAsync(write).ConfigureAwait(false);
            latencies.Add(Stopwatch.GetTimestamp() - start);
        }
    }

    private SqliteJournal OpenSqlite()
    {
        _sqliteDirectory = Path.Combine(Path.GetTempPath(), "akkaraft-bench-" + Guid.NewGuid().ToString("N"));
        _sqlite = SqliteDatabase.Open(Path.Combine(_sqliteDirectory, "persistence.db"), TimeSpan.FromSeconds(30));
        return new SqliteJournal(_sqlite, PersistenceSettings.Default.GroupCommit);
    }

    private PostgreSqlJournal OpenPostgreSql()
    {
        var connection = Environment.GetEnvironmentVariable("AKKARAFT_PG_CONNECTION") is { Length: > 0 } configured
            ? configured
            : "Host=127.0.0.1;Port=5432;Username=akkaraft;Password=akkaraft;Database=akkaraft_test";
        _postgreSqlSchema = "akkaraft_bench_" + Guid.NewGuid().ToString("N")[..12];
        try
        {
            _postgreSql = PostgreSqlDatabase.OpenAsync(connection, _postgreSqlSchema).GetAwaiter().GetResult();
        }
        catch (NpgsqlException e)
        {
            throw new InvalidOperationException($"PostgreSQL is not reachable ({e.Message}); start it with `bash .ci/postgres.sh`.", e);
        }

        return new PostgreSqlJournal(_postgreSql, PersistenceSettings.Default.GroupCommit);
    }
}
