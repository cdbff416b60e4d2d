using AkkaRaft.Persistence.Journal;
using AkkaRaft.Persistence.Sql.Sqlite;
using AkkaRaft.Persistence.Tests.Support;
using Microsoft.Data.Sqlite;
using static AkkaRaft.Persistence.Tests.Support.Events;

namespace AkkaRaft.Persistence.Tests.Sql;

public sealed class SqliteDatabaseTests : IDisposable
{
    private readonly string _directory = SqliteFiles.NewTempDirectory();

    private string DatabasePath => Path.Combine(_directory, "node-1", "persistence.db");

    public void Dispose()
    {
        SqliteConnection.ClearAllPools();
        SqliteFiles.DeleteDirectory(_directory);
    }

    private static T Scalar<T>(string path, string sql)
    {
        using var connection = new SqliteConnection($"Data Source={path};Pooling=False");
        connection.Open();
        using var command = connection.CreateCommand();
        command.CommandText = sql;
        return (T)command.ExecuteScalar()!;
    }

    [Fact]
    public void Opening_creates_the_directory_the_file_in_wal_mode_and_schema_version_1()
    {
        var database = SqliteDatabase.Open(DatabasePath, TimeSpan.FromSeconds(5));
        database.ReleasePooledConnections();

        Assert.True(File.Exists(DatabasePath));
        Assert.Equal("wal", Scalar<string>(DatabasePath, "PRAGMA journal_mode;"));
        Assert.Equal(1L, Scalar<long>(DatabasePath, "SELECT MAX(version) FROM schema_version;"));
    }

    [Fact]
    public void Connections_of_the_database_run_with_synchronous_full()
    {
        var database = SqliteDatabase.Open(DatabasePath, TimeSpan.FromSeconds(5));
        using var connection = database.OpenConnection();
        using var command = connection.CreateCommand();
        command.CommandText = "PRAGMA synchronous;";

        // 2 is FULL: the WAL is fsynced at every commit.
        Assert.Equal(2L, (long)command.ExecuteScalar()!);
    }

    [Fact]
    public void Opening_twice_keeps_the_data_and_the_schema()
    {
        SqliteDatabase.Open(DatabasePath, TimeSpan.FromSeconds(5)).ReleasePooledConnections();
        var again = SqliteDatabase.Open(DatabasePath, TimeSpan.FromSeconds(5));
        again.ReleasePooledConnections();

        Assert.Equal(1L, Scalar<long>(DatabasePath, "SELECT COUNT(*) FROM schema_version;"));
    }

    [Fact]
    public void A_file_with_a_newer_schema_version_is_refused_clearly_and_left_unchanged()
    {
        SqliteDatabase.Open(DatabasePath, TimeSpan.FromSeconds(5)).ReleasePooledConnections();
        Scalar<long>(DatabasePath, "INSERT INTO schema_version (version, applied_at_unix_ms) VALUES (7, 0) RETURNING version;");

        var error = Assert.Throws<PersistenceSchemaException>(() => SqliteDatabase.Open(DatabasePath, TimeSpan.FromSeconds(5)));
        SqliteConnection.ClearAllPools();

        Assert.Contains("version 7", error.Message);
        Assert.Contains("version 1", error.Message);
        Assert.Contains(DatabasePath, error.Message);
        Assert.Equal(2L, Scalar<long>(DatabasePath, "SELECT COUNT(*) FROM schema_version;"));
    }

    [Fact]
    public async Task Recovery_succeeds_when_the_wal_ends_in_a_torn_partial_frame()
    {
        var database = SqliteDatabase.Open(DatabasePath, TimeSpan.FromSeconds(5));
        await using (var journal = new SqliteJournal(database, GroupCommitSettings.Default))
        {
            for (var i = 0; i < 10; i++)
            {
                await journal.WriteAsync(Write("torn", (i * 3) + 1, (i * 3) + 3));
            }
        }

        // A crash in the middle of writing the next frame leaves a partial frame at the end of the WAL. Simulate it
        // on a copy of the files taken while a connection still holds the WAL (a clean close would checkpoint it).
        var crashed = Path.Combine(_directory, "crashed", "persistence.db");
        Directory.CreateDirectory(Path.GetDirectoryName(crashed)!);
        using (var holder = database.OpenConnection())
        {
            File.Copy(DatabasePath, crashed);
            File.Copy(DatabasePath + "-wal", crashed + "-wal");
        }

        var garbage = new byte[1500];
        new Random(1122).NextBytes(garbage);
        using (var wal = new FileStream(crashed + "-wal", FileMode.Append))
        {
            wal.Write(garbage);
        }

        var recovered = SqliteDatabase.Open(crashed, TimeSpan.FromSeconds(5));
        await using var reopened = new SqliteJournal(recovered, GroupCommitSettings.Default);
        Assert.Equal(Enumerable.Range(1, 30).Select(i => (long)i), (await ReplayAll(reopened, "torn")).Select(e => e.SequenceNr));
        await reopened.WriteAsync(Write("torn", 31, 31));
        Assert.Equal(31, await reopened.ReadHighestSequenceNrAsync("torn"));
    }
}
