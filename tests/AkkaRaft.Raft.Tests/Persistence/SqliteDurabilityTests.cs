using System.Globalization;
using Akka.Actor;
using AkkaRaft.Raft.Persistence;
using Microsoft.Data.Sqlite;
using Xunit.Abstractions;

namespace AkkaRaft.Raft.Tests.Persistence;

/// <summary>
/// The SQLite file is in WAL mode before the system starts, and every connection the journal and snapshot store open
/// runs with <c>synchronous=FULL</c> (so an acknowledged write is on disk), read on those connections themselves.
/// </summary>
public sealed class SqliteDurabilityTests(ITestOutputHelper output)
    : SqlPersistenceTestKit(TestStorage.Create(RaftPersistencePlugin.Sqlite), new SqlObserver(), output)
{
    [Fact]
    public void PrepareStorage_should_leave_the_file_in_WAL_mode()
    {
        var file = RaftPersistence.SqliteFile(Storage.Settings, Storage.DataDirectory)!;
        Assert.True(File.Exists(file));

        // Bytes 18 and 19 of the database header are the write and read format versions: 2 means WAL
        // (https://www.sqlite.org/fileformat2.html#database_header). Read from the file, not through a connection.
        var header = new byte[20];
        using (var stream = new FileStream(file, FileMode.Open, FileAccess.Read, FileShare.ReadWrite))
        {
            stream.ReadExactly(header);
        }

        Assert.Equal("SQLite format 3\0"u8.ToArray(), header[..16]);
        Assert.Equal(2, header[18]);
        Assert.Equal(2, header[19]);
    }

    [Fact]
    public void Journal_and_snapshot_store_connections_should_run_with_synchronous_FULL_in_WAL_mode()
    {
        var log = Sys.ActorOf(EventLogActor.Props("p-1", TestActor));
        ExpectMsg<EventLogActor.Recovered>();
        log.Tell(new EventLogActor.PersistAllOf(["a", "b"]));
        ExpectMsg<EventLogActor.Persisted>();

        var pragmas = Observer!.SqlitePragmas;
        Assert.NotEmpty(pragmas);
        Output?.WriteLine($"{pragmas.Count} connection(s) opened by the plugins");
        Assert.All(pragmas, p =>
        {
            Assert.Equal(RaftPersistence.SqliteSynchronousFull.ToString(CultureInfo.InvariantCulture), p.Synchronous);
            Assert.Equal("wal", p.JournalMode);
        });
    }

    [Fact]
    public void The_native_SQLite_library_should_default_to_synchronous_FULL_in_WAL_mode()
    {
        // What the journal's connections rely on: the compiled defaults of e_sqlite3. SQLite lists
        // DEFAULT_SYNCHRONOUS / DEFAULT_WAL_SYNCHRONOUS among its compile options only when the build sets them.
        using var connection = new SqliteConnection(Storage.ConnectionString);
        connection.Open();
        using var command = connection.CreateCommand();
        command.CommandText = "PRAGMA compile_options;";
        var options = new List<string>();
        using (var reader = command.ExecuteReader())
        {
            while (reader.Read())
            {
                options.Add(reader.GetString(0));
            }
        }

        Output?.WriteLine(string.Join(", ", options));
        Assert.All(
            options.Where(o => o.StartsWith("DEFAULT_SYNCHRONOUS=", StringComparison.Ordinal) || o.StartsWith("DEFAULT_WAL_SYNCHRONOUS=", StringComparison.Ordinal)),
            o => Assert.EndsWith("=2", o, StringComparison.Ordinal));

        command.CommandText = "PRAGMA synchronous;";
        Assert.Equal(2L, command.ExecuteScalar());
    }
}
