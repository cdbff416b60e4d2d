using System.Globalization;
using Akka.Actor;
using AkkaRaft.Raft.Persistence;
using Microsoft.Data.Sqlite;
using Xunit.Abstractions;

namespace AkkaRaft.Raft.Tests.Persistence;

/// <summary>
/// The SQLite files are in WAL mode before the system starts, and every connection the journal and snapshot store open
/// runs with <c>synchronous=FULL</c> (so an acknowledged write is on disk), read on those connections themselves.
/// Snapshots an earlier version kept in the journal's file move to the snapshot file.
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
    public void Snapshots_an_earlier_version_kept_in_the_journals_file_should_move_to_the_snapshot_file_at_start()
    {
        var log = Sys.ActorOf(EventLogActor.Props("p-1", TestActor));
        ExpectMsg<EventLogActor.Recovered>();
        log.Tell(new EventLogActor.PersistAllOf(["a", "b", "c"]));
        ExpectMsg<EventLogActor.Persisted>();
        SnapshotStore.Tell(new Akka.Persistence.SaveSnapshot(new Akka.Persistence.SnapshotMetadata("p-1", 2, DateTime.UtcNow), new TestEvent("s")), TestActor);
        ExpectMsg<Akka.Persistence.SaveSnapshotSuccess>();
        Watch(log);
        Sys.Stop(log);
        ExpectTerminated(log);

        // The layout of an earlier version: the snapshot table and its row in the journal's file, none in the snapshot file.
        var journalFile = RaftPersistence.SqliteFile(Storage.Settings, Storage.DataDirectory)!;
        using (var snapshots = Storage.OpenSnapshots())
        {
            Run(snapshots, "ATTACH DATABASE '" + journalFile.Replace("'", "''", StringComparison.Ordinal) + "' AS journal_file;");
            foreach (var definition in Definitions(snapshots, "main")) Run(snapshots, definition.Replace("CREATE TABLE ", "CREATE TABLE journal_file.", StringComparison.Ordinal).Replace("CREATE INDEX ", "CREATE INDEX journal_file.", StringComparison.Ordinal).Replace("CREATE UNIQUE INDEX ", "CREATE UNIQUE INDEX journal_file.", StringComparison.Ordinal));
            Run(snapshots, "INSERT INTO journal_file.snapshot SELECT * FROM main.snapshot;");
            Run(snapshots, "DROP TABLE main.snapshot;");
            Run(snapshots, "DETACH DATABASE journal_file;");
        }

        Assert.Equal(1L, Count(Storage.Open(), "snapshot"));

        // What a restart of the node does before its ActorSystem starts.
        RaftPersistence.PrepareStorage(Storage.Settings, Storage.DataDirectory);

        Assert.Equal(0L, Count(Storage.Open(), "snapshot"));
        Assert.Equal(1L, Count(Storage.OpenSnapshots(), "snapshot"));
        RaftPersistence.PrepareStorage(Storage.Settings, Storage.DataDirectory);
        Assert.Equal(1L, Count(Storage.OpenSnapshots(), "snapshot"));

        // Recovery starts from the moved snapshot (sequence number 2): only event 3 is replayed. Without it, all three.
        Sys.ActorOf(EventLogActor.Props("p-1", TestActor));
        var recovered = ExpectMsg<EventLogActor.Recovered>();
        Assert.Equal(["c"], recovered.Values);
        Assert.Equal(3, recovered.LastSequenceNr);
    }

    private static void Run(System.Data.Common.DbConnection connection, string sql)
    {
        using var command = connection.CreateCommand();
        command.CommandText = sql;
        command.ExecuteNonQuery();
    }

    private static List<string> Definitions(System.Data.Common.DbConnection connection, string schema)
    {
        using var command = connection.CreateCommand();
        command.CommandText = $"SELECT sql FROM {schema}.sqlite_master WHERE tbl_name = 'snapshot' AND sql IS NOT NULL ORDER BY type = 'table' DESC;";
        using var rows = command.ExecuteReader();
        var definitions = new List<string>();
        while (rows.Read()) definitions.Add(rows.GetString(0));
        return definitions;
    }

    private static long Count(System.Data.Common.DbConnection opened, string table)
    {
        using var connection = opened;
        using var command = connection.CreateCommand();
        command.CommandText = $"SELECT count(*) FROM {table};";
        return Convert.ToInt64(command.ExecuteScalar(), CultureInfo.InvariantCulture);
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
