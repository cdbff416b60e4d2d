using System.Data.Common;
using AkkaRaft.Raft.Persistence;
using Microsoft.Data.Sqlite;
using Npgsql;
using AkkaConfig = Akka.Configuration.Config;

namespace AkkaRaft.Raft.Tests.Persistence;

/// <summary>
/// A database of one test alone: a SQLite file in a new temporary directory, or a new schema on the PostgreSQL server
/// of <c>.ci/postgres.sh</c> (<c>AKKARAFT_PG_CONNECTION</c>). Prepared with <see cref="RaftPersistence.PrepareStorage"/>
/// as a node is; removed on dispose.
/// </summary>
public sealed class TestStorage : IDisposable
{
    /// <summary>The server the PostgreSQL tests use unless <c>AKKARAFT_PG_CONNECTION</c> names another.</summary>
    public const string DefaultPostgreSqlConnection = "Host=127.0.0.1;Port=5432;Username=akkaraft;Password=akkaraft;Database=akkaraft_test";

    private TestStorage(RaftPersistenceSettings settings, string dataDirectory)
    {
        Settings = settings;
        DataDirectory = dataDirectory;
    }

    /// <summary>The settings: reference.conf's, with this test's file or schema.</summary>
    public RaftPersistenceSettings Settings { get; }

    /// <summary>The node data directory (a new temporary directory, also for PostgreSQL).</summary>
    public string DataDirectory { get; }

    /// <summary>The Akka configuration of the test system: what <see cref="RaftPersistence.AkkaConfig"/> ships, and the test serializer.</summary>
    public AkkaConfig AkkaConfig => TestEventSerializer.Config.WithFallback(RaftPersistence.AkkaConfig(Settings, DataDirectory));

    /// <summary>The connection string the journal uses.</summary>
    public string ConnectionString => Settings.Plugin == RaftPersistencePlugin.Sqlite
        ? RaftPersistence.SqliteConnectionString(Settings, DataDirectory)
        : Settings.PostgreSqlConnectionString;

    /// <summary>The connection string the snapshot store uses (on SQLite, its own file).</summary>
    public string SnapshotConnectionString => Settings.Plugin == RaftPersistencePlugin.Sqlite
        ? RaftPersistence.SqliteSnapshotConnectionString(Settings, DataDirectory)
        : Settings.PostgreSqlConnectionString;

    /// <summary>The linq2db provider the journal and snapshot store use.</summary>
    public string Provider => Settings.Plugin == RaftPersistencePlugin.Sqlite ? RaftPersistence.SqliteProvider : Settings.PostgreSqlProvider;

    /// <summary>The journal table's name as SQL names it (schema-qualified on PostgreSQL).</summary>
    public string JournalTable => Settings.Plugin == RaftPersistencePlugin.Sqlite ? "journal" : $"{Settings.PostgreSqlSchema}.journal";

    /// <summary>The snapshot table's name as SQL names it (schema-qualified on PostgreSQL).</summary>
    public string SnapshotTable => Settings.Plugin == RaftPersistencePlugin.Sqlite ? "snapshot" : $"{Settings.PostgreSqlSchema}.snapshot";

    /// <summary>Creates and prepares a database for one test.</summary>
    public static TestStorage Create(RaftPersistencePlugin plugin)
    {
        var directory = Path.Combine(Path.GetTempPath(), "akkaraft-raft-persistence-tests", Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(directory);
        var settings = RaftPersistenceSettings.Default with
        {
            Plugin = plugin,
            PostgreSqlConnectionString = Environment.GetEnvironmentVariable("AKKARAFT_PG_CONNECTION") is { Length: > 0 } pg ? pg : DefaultPostgreSqlConnection,
            PostgreSqlSchema = "t_" + Guid.NewGuid().ToString("N"),
        };
        var storage = new TestStorage(settings, directory);
        RaftPersistence.PrepareStorage(settings, directory);
        return storage;
    }

    /// <summary>Runs one statement on a connection of its own to the journal's database; returns the rows it changed.</summary>
    public int Execute(string sql) => Execute(Open(), sql);

    /// <summary>Runs one statement on a connection of its own to the snapshot store's database (on SQLite its own file).</summary>
    public int ExecuteOnSnapshots(string sql) => Execute(OpenSnapshots(), sql);

    private static int Execute(DbConnection opened, string sql)
    {
        using var connection = opened;
        using var command = connection.CreateCommand();
        command.CommandText = sql;
        return command.ExecuteNonQuery();
    }

    /// <summary>Opens a connection of the test's own to the database.</summary>
    public DbConnection Open()
    {
        DbConnection connection = Settings.Plugin == RaftPersistencePlugin.Sqlite
            ? new SqliteConnection(ConnectionString)
            : new NpgsqlConnection(ConnectionString);
        connection.Open();
        return connection;
    }

    /// <summary>Opens a connection of the test's own to the snapshot store's database.</summary>
    public DbConnection OpenSnapshots()
    {
        if (Settings.Plugin != RaftPersistencePlugin.Sqlite) return Open();
        var connection = new SqliteConnection(SnapshotConnectionString);
        connection.Open();
        return connection;
    }

    /// <summary>Removes the directory and, on PostgreSQL, the schema with its tables.</summary>
    public void Dispose()
    {
        if (Settings.Plugin == RaftPersistencePlugin.PostgreSql)
        {
            Execute($"DROP SCHEMA IF EXISTS {Settings.PostgreSqlSchema} CASCADE;");
            NpgsqlConnection.ClearAllPools();
        }
        else
        {
            SqliteConnection.ClearAllPools();
        }

        Directory.Delete(DataDirectory, recursive: true);
    }
}
