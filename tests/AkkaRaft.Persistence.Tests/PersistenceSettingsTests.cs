using AkkaRaft.Configuration;
using AkkaRaft.Persistence.InMemory;
using AkkaRaft.Persistence.Sql;
using AkkaRaft.Persistence.Sql.PostgreSql;
using AkkaRaft.Persistence.Sql.Sqlite;
using AkkaRaft.Persistence.Tests.Support;
using Microsoft.Data.Sqlite;
using static AkkaRaft.Persistence.Tests.Support.Events;

namespace AkkaRaft.Persistence.Tests;

public sealed class PersistenceSettingsTests
{
    private static Config With(string hocon) =>
        ConfigurationFactory.ParseString(hocon).WithFallback(ConfigurationFactory.Default());

    [Fact]
    public void The_reference_configuration_picks_sqlite_with_fsync_and_group_commit_limits()
    {
        var settings = PersistenceSettings.Default;

        Assert.Equal("sqlite", settings.JournalPlugin);
        Assert.Equal("sqlite", settings.SnapshotStorePlugin);
        Assert.Equal(1024, settings.GroupCommit.MaxBatchSize);
        Assert.Equal(4L * 1024 * 1024, settings.GroupCommit.MaxBatchBytes);
        Assert.Equal("persistence.db", settings.SqliteFile);
        Assert.True(settings.InMemoryFsync);
    }

    [Fact]
    public void Settings_are_read_from_the_configuration()
    {
        var settings = PersistenceSettings.FromConfig(With("""
            akkaraft.persistence {
              journal { plugin = postgresql, max-batch-size = 16, max-batch-bytes = 64KiB }
              snapshot-store.plugin = inmem
              postgresql.schema = "node_7"
              inmem.fsync = off
            }
            """));

        Assert.Equal(("postgresql", "inmem", 16, 65536L, "node_7", false),
            (settings.JournalPlugin, settings.SnapshotStorePlugin, settings.GroupCommit.MaxBatchSize,
             settings.GroupCommit.MaxBatchBytes, settings.PostgreSqlSchema, settings.InMemoryFsync));
    }

    [Theory]
    [InlineData("akkaraft.persistence.journal.plugin = mongodb", "akkaraft.persistence.journal.plugin")]
    [InlineData("akkaraft.persistence.journal.max-batch-size = 0", "akkaraft.persistence.journal.max-batch-size")]
    [InlineData("akkaraft.persistence.postgresql.schema = \"x; drop\"", "akkaraft.persistence.postgresql.schema")]
    [InlineData("akkaraft.persistence.sqlite.busy-timeout = 10ms", "akkaraft.persistence.sqlite.busy-timeout")]
    public void A_bad_setting_is_refused_naming_its_path(string hocon, string path)
    {
        var error = Assert.Throws<ConfigException>(() => PersistenceSettings.FromConfig(With(hocon)));

        Assert.StartsWith(path, error.Message);
    }

    [Fact]
    public async Task The_sqlite_plugin_keeps_one_database_file_under_the_data_directory()
    {
        var directory = SqliteFiles.NewTempDirectory();
        try
        {
            await using (var plugins = new PersistencePlugins(PersistenceSettings.Default, directory))
            {
                var journal = await plugins.GetJournalAsync();
                var snapshots = await plugins.GetSnapshotStoreAsync();

                Assert.IsType<SqliteJournal>(journal);
                Assert.IsType<SqliteSnapshotStore>(snapshots);
                Assert.Same(journal, await plugins.GetJournalAsync("sqlite"));
                await journal.WriteAsync(Write("p", 1, 1));
            }

            Assert.True(File.Exists(Path.Combine(directory, "persistence.db")));
        }
        finally
        {
            SqliteConnection.ClearAllPools();
            SqliteFiles.DeleteDirectory(directory);
        }
    }

    [Fact]
    public async Task An_actor_may_name_another_plugin_than_the_default()
    {
        await using var plugins = new PersistencePlugins(PersistenceSettings.Default, "/nonexistent-never-opened");

        Assert.IsType<InMemoryJournal>(await plugins.GetJournalAsync("inmem"));
        Assert.IsType<InMemorySnapshotStore>(await plugins.GetSnapshotStoreAsync("inmem"));
        await Assert.ThrowsAsync<ArgumentException>(async () => await plugins.GetJournalAsync("cassandra"));
    }

    [Fact]
    public async Task The_postgresql_plugin_uses_the_configured_connection_string_and_schema()
    {
        await PostgresTestDatabase.EnsureReachableAsync();
        var schema = PostgresTestDatabase.NewSchemaName();
        var settings = PersistenceSettings.FromConfig(With($$"""
            akkaraft.persistence {
              journal.plugin = postgresql
              postgresql { connection-string = "{{PostgresTestDatabase.ConnectionString}}", schema = {{schema}} }
            }
            """));
        try
        {
            await using var plugins = new PersistencePlugins(settings, "/unused");
            var journal = await plugins.GetJournalAsync();

            await journal.WriteAsync(Write("p", 1, 2));

            Assert.Equal(schema, Assert.IsType<PostgreSqlJournal>(journal).Database.Schema);
            Assert.Equal(2, await journal.ReadHighestSequenceNrAsync("p"));
        }
        finally
        {
            await PostgresTestDatabase.DropSchemaAsync(schema);
        }
    }
}
