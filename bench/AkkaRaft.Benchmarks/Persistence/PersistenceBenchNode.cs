using AkkaRaft.Actors;
using AkkaRaft.Actors.Serialization;
using AkkaRaft.Configuration;
using AkkaRaft.Persistence;
using AkkaRaft.Persistence.Journal;
using AkkaRaft.Persistence.Sql;

namespace AkkaRaft.Benchmarks.Persistence;

/// <summary>
/// An actor system with persistence on fresh storage of one plugin, for the persistent-actor benchmarks: a temp
/// directory for SQLite, a fresh schema for PostgreSQL (AKKARAFT_PG_CONNECTION or the local server of
/// <c>.ci/postgres.sh</c>). Disposing stops the system and removes the storage.
/// </summary>
internal sealed class PersistenceBenchNode : IDisposable
{
    private readonly string _directory = Path.Combine(Path.GetTempPath(), "akkaraft-bench-" + Guid.NewGuid().ToString("N"));
    private readonly string _schema = "akkaraft_bench_" + Guid.NewGuid().ToString("N")[..12];
    private readonly PersistencePlugins _plugins;

    /// <summary>Starts the system with <paramref name="plugin"/> (inmem, sqlite or postgresql) as journal and snapshot store.</summary>
    public PersistenceBenchNode(string plugin)
    {
        Plugin = plugin;
        var connection = Environment.GetEnvironmentVariable("AKKARAFT_PG_CONNECTION") is { Length: > 0 } configured
            ? configured
            : "Host=127.0.0.1;Port=5432;Username=akkaraft;Password=akkaraft;Database=akkaraft_test";
        var settings = PersistenceSettings.FromConfig(ConfigurationFactory.ParseString($$"""
            akkaraft.persistence {
              journal.plugin = {{plugin}}
              snapshot-store.plugin = {{plugin}}
              postgresql { connection-string = "{{connection}}", schema = {{_schema}} }
            }
            """).WithFallback(ConfigurationFactory.Default()));
        _plugins = new PersistencePlugins(settings, _directory);
        System = ActorSystem.Create("bench");
        PersistenceExtension.Register(System, _plugins, SerializationRegistry.CreateDefault(), settings);
        Journal = _plugins.GetJournalAsync().AsTask().GetAwaiter().GetResult();
    }

    /// <summary>The plugin.</summary>
    public string Plugin { get; }

    /// <summary>The system, with persistence registered.</summary>
    public ActorSystem System { get; }

    /// <summary>The journal (for its counters).</summary>
    public IJournal Journal { get; }

    /// <summary>Stops the system, closes the plugins and removes the storage.</summary>
    public void Dispose()
    {
        System.Terminate().GetAwaiter().GetResult();
        _plugins.DisposeAsync().AsTask().GetAwaiter().GetResult();
        if (Directory.Exists(_directory))
        {
            Directory.Delete(_directory, recursive: true);
        }

        if (Plugin == "postgresql")
        {
            using var dataSource = Npgsql.NpgsqlDataSource.Create(_plugins.Settings.PostgreSqlConnectionString);
            using var command = dataSource.CreateCommand($"DROP SCHEMA IF EXISTS {_schema} CASCADE;");
            command.ExecuteNonQuery();
        }
    }
}
