using AkkaRaft.Configuration;
using AkkaRaft.Raft.Persistence;

namespace AkkaRaft.Raft.Tests.Persistence;

/// <summary><c>akkaraft.persistence</c> read into <see cref="RaftPersistenceSettings"/>, and the Akka configuration made of it.</summary>
public sealed class RaftPersistenceSettingsTests
{
    [Fact]
    public void Reference_conf_should_choose_SQLite_with_its_documented_defaults()
    {
        var settings = RaftPersistenceSettings.Default;
        Assert.Equal(RaftPersistencePlugin.Sqlite, settings.Plugin);
        Assert.True(settings.AutoInitialize);
        Assert.Equal(16L * 1024 * 1024, settings.MaxEventBytes);
        Assert.Equal(256L * 1024 * 1024, settings.MaxSnapshotBytes);
        Assert.Equal(100, settings.MaxBatchSize);
        Assert.Equal(5000, settings.MaxPendingWrites);
        Assert.Equal(3, settings.WriteParallelism);
        Assert.Equal(1000, settings.ReplayBatchSize);
        Assert.Equal(500, settings.MaxCutEvents);
        Assert.Equal("persistence.db", settings.SqliteFile);
        Assert.Equal("snapshots.db", settings.SqliteSnapshotFile);
        Assert.Equal(TimeSpan.FromSeconds(10), settings.SqliteBusyTimeout);
        Assert.Equal("PostgreSQL.15", settings.PostgreSqlProvider);
        Assert.Equal("akkaraft", settings.PostgreSqlSchema);
    }

    [Fact]
    public void Settings_should_be_read_from_a_users_file()
    {
        var settings = RaftPersistenceSettings.FromConfig(With("""
            akkaraft.persistence {
              plugin = postgresql
              auto-initialize = off
              journal { max-event-bytes = 1MiB, max-batch-size = 7, max-pending-writes = 9, write-parallelism = 1, replay-batch-size = 11 }
              snapshot-store.max-snapshot-bytes = 2MiB
              postgresql { connection-string = "Host=db;Username=u;Password=p;Database=d", provider = "PostgreSQL.13", schema = node_1 }
            }
            """));
        Assert.Equal(RaftPersistencePlugin.PostgreSql, settings.Plugin);
        Assert.False(settings.AutoInitialize);
        Assert.Equal(1024 * 1024, settings.MaxEventBytes);
        Assert.Equal(7, settings.MaxBatchSize);
        Assert.Equal(9, settings.MaxPendingWrites);
        Assert.Equal(1, settings.WriteParallelism);
        Assert.Equal(11, settings.ReplayBatchSize);
        Assert.Equal(2 * 1024 * 1024, settings.MaxSnapshotBytes);
        Assert.Equal("Host=db;Username=u;Password=p;Database=d", settings.PostgreSqlConnectionString);
        Assert.Equal("PostgreSQL.13", settings.PostgreSqlProvider);
        Assert.Equal("node_1", settings.PostgreSqlSchema);
    }

    [Theory]
    [InlineData("akkaraft.persistence.plugin = inmem", "akkaraft.persistence.plugin")]
    [InlineData("akkaraft.persistence.journal.max-event-bytes = 0", "akkaraft.persistence.journal.max-event-bytes")]
    [InlineData("akkaraft.persistence.journal.max-event-bytes = 2GiB", "akkaraft.persistence.journal.max-event-bytes")]
    [InlineData("akkaraft.persistence.journal.max-batch-size = 0", "akkaraft.persistence.journal.max-batch-size")]
    [InlineData("akkaraft.persistence.journal.max-pending-writes = 0", "akkaraft.persistence.journal.max-pending-writes")]
    [InlineData("akkaraft.persistence.journal.write-parallelism = 0", "akkaraft.persistence.journal.write-parallelism")]
    [InlineData("akkaraft.persistence.journal.replay-batch-size = 0", "akkaraft.persistence.journal.replay-batch-size")]
    [InlineData("akkaraft.persistence.journal.max-cut-events = 0", "akkaraft.persistence.journal.max-cut-events")]
    [InlineData("akkaraft.persistence.snapshot-store.max-snapshot-bytes = 0", "akkaraft.persistence.snapshot-store.max-snapshot-bytes")]
    [InlineData("akkaraft.persistence.sqlite.file = \"  \"", "akkaraft.persistence.sqlite.file")]
    [InlineData("akkaraft.persistence.sqlite.snapshot-file = \"\"", "akkaraft.persistence.sqlite.snapshot-file")]
    [InlineData("akkaraft.persistence.sqlite.snapshot-file = \"persistence.db\"", "akkaraft.persistence.sqlite.snapshot-file")]
    [InlineData("akkaraft.persistence.sqlite.snapshot-file = \"./sub/../persistence.db\"", "akkaraft.persistence.sqlite.snapshot-file")]
    [InlineData("akkaraft.persistence.sqlite.busy-timeout = 500ms", "akkaraft.persistence.sqlite.busy-timeout")]
    [InlineData("akkaraft.persistence.sqlite.busy-timeout = 1500ms", "akkaraft.persistence.sqlite.busy-timeout")]
    [InlineData("akkaraft.persistence.postgresql.connection-string = \"Hots=x\"", "akkaraft.persistence.postgresql.connection-string")]
    [InlineData("akkaraft.persistence.postgresql.provider = PostgreSQL15", "akkaraft.persistence.postgresql.provider")]
    [InlineData("akkaraft.persistence.postgresql.schema = \"x; drop\"", "akkaraft.persistence.postgresql.schema")]
    [InlineData("akkaraft.persistence.postgresql.schema = Node", "akkaraft.persistence.postgresql.schema")]
    public void A_bad_setting_should_be_refused_naming_its_key(string line, string key)
    {
        var error = Assert.Throws<ConfigException>(() => RaftPersistenceSettings.FromConfig(With(line)));
        Assert.StartsWith(key + ":", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void AkkaConfig_should_make_the_sql_journal_and_snapshot_store_the_defaults_each_on_its_SQLite_file()
    {
        var directory = Path.Combine(Path.GetTempPath(), "akkaraft data");
        var akka = RaftPersistence.AkkaConfig(RaftPersistenceSettings.Default, directory);

        Assert.Equal(RaftPersistence.JournalPluginId, akka.GetString("akka.persistence.journal.plugin"));
        Assert.Equal(RaftPersistence.SnapshotPluginId, akka.GetString("akka.persistence.snapshot-store.plugin"));
        var journal = Path.GetFullPath(Path.Combine(directory, "persistence.db"));
        var snapshots = Path.GetFullPath(Path.Combine(directory, "snapshots.db"));
        Assert.Equal(journal, RaftPersistence.SqliteFile(RaftPersistenceSettings.Default, directory));
        Assert.Equal(snapshots, RaftPersistence.SqliteSnapshotFile(RaftPersistenceSettings.Default, directory));
        foreach (var (plugin, file) in new[] { (RaftPersistence.JournalPluginId, journal), (RaftPersistence.SnapshotPluginId, snapshots) })
        {
            Assert.Equal("SQLite.MS", akka.GetString(plugin + ".provider-name"));
            var connection = new Microsoft.Data.Sqlite.SqliteConnectionStringBuilder(akka.GetString(plugin + ".connection-string"));
            Assert.Equal(file, connection.DataSource);
            Assert.Equal(10, connection.DefaultTimeout);
            Assert.True(akka.GetBoolean(plugin + ".auto-initialize"));
            Assert.Equal("default", akka.GetString(plugin + ".table-mapping"));
            Assert.StartsWith("Akka.Persistence.Sql.", akka.GetString(plugin + ".class"), StringComparison.Ordinal);
        }

        Assert.Equal(100, akka.GetInt(RaftPersistence.JournalPluginId + ".batch-size"));
        Assert.Equal(5000, akka.GetInt(RaftPersistence.JournalPluginId + ".buffer-size"));
        Assert.Equal(3, akka.GetInt(RaftPersistence.JournalPluginId + ".parallelism"));
        Assert.Equal(1000, akka.GetInt(RaftPersistence.JournalPluginId + ".replay-batch-size"));
    }

    [Fact]
    public void AkkaConfig_should_point_both_plugins_at_PostgreSQL_in_the_schema_when_chosen()
    {
        var settings = RaftPersistenceSettings.Default with
        {
            Plugin = RaftPersistencePlugin.PostgreSql,
            PostgreSqlConnectionString = "Host=db;Password=\"a;b#c\"",
            PostgreSqlSchema = "node_7",
            AutoInitialize = false,
        };
        var akka = RaftPersistence.AkkaConfig(settings, "/data");

        Assert.Null(RaftPersistence.SqliteFile(settings, "/data"));
        foreach (var plugin in new[] { RaftPersistence.JournalPluginId, RaftPersistence.SnapshotPluginId })
        {
            Assert.Equal("PostgreSQL.15", akka.GetString(plugin + ".provider-name"));
            Assert.Equal("Host=db;Password=\"a;b#c\"", akka.GetString(plugin + ".connection-string"));
            Assert.Equal("node_7", akka.GetString(plugin + ".default.schema-name"));
            Assert.False(akka.GetBoolean(plugin + ".auto-initialize"));
        }
    }

    [Fact]
    public void PrepareStorage_should_create_the_SQLite_files_and_their_directory()
    {
        var directory = Path.Combine(Path.GetTempPath(), "akkaraft-raft-persistence-tests", Guid.NewGuid().ToString("N"), "nested");
        try
        {
            var settings = RaftPersistenceSettings.Default;
            RaftPersistence.PrepareStorage(settings, directory);
            Assert.True(File.Exists(RaftPersistence.SqliteFile(settings, directory)));
            Assert.True(File.Exists(RaftPersistence.SqliteSnapshotFile(settings, directory)));
        }
        finally
        {
            Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
            Directory.Delete(Path.GetDirectoryName(directory)!, recursive: true);
        }
    }

    [Fact]
    public void PrepareStorage_should_create_the_PostgreSQL_schema()
    {
        using var storage = TestStorage.Create(RaftPersistencePlugin.PostgreSql);
        using var connection = storage.Open();
        using var command = connection.CreateCommand();
        command.CommandText = $"SELECT count(*) FROM information_schema.schemata WHERE schema_name = '{storage.Settings.PostgreSqlSchema}';";
        Assert.Equal(1L, command.ExecuteScalar());

        // A second node preparing the same schema finds it there.
        RaftPersistence.PrepareStorage(storage.Settings, storage.DataDirectory);
    }

    private static Config With(string hocon) =>
        ConfigurationFactory.ParseString(hocon).WithFallback(ConfigurationFactory.Default());
}
