using AkkaRaft.Persistence.InMemory;
using AkkaRaft.Persistence.Journal;
using AkkaRaft.Persistence.Snapshots;
using AkkaRaft.Persistence.Sql.PostgreSql;
using AkkaRaft.Persistence.Sql.Sqlite;
using AkkaRaft.Persistence.Tests.Support;

namespace AkkaRaft.Persistence.Tests.Conformance;

public sealed class InMemoryJournalSpec : JournalSpec
{
    private readonly InMemoryStore _store = new();

    protected override Task<IJournal> OpenJournalAsync() => Task.FromResult<IJournal>(new InMemoryJournal(_store));

    protected override Task CorruptStoredPayloadAsync(string persistenceId, long sequenceNr)
    {
        Assert.True(_store.CorruptEvent(persistenceId, sequenceNr));
        return Task.CompletedTask;
    }

    protected override Task DeleteStorageAsync() => Task.CompletedTask;
}

public sealed class InMemorySnapshotStoreSpec : SnapshotStoreSpec
{
    private readonly InMemoryStore _store = new();

    protected override Task<ISnapshotStore> OpenStoreAsync() => Task.FromResult<ISnapshotStore>(new InMemorySnapshotStore(_store));

    protected override Task CorruptStoredSnapshotAsync(string persistenceId, long sequenceNr, byte[] storedPayload)
    {
        Assert.True(_store.CorruptSnapshot(persistenceId, sequenceNr));
        return Task.CompletedTask;
    }

    protected override Task DeleteStorageAsync() => Task.CompletedTask;
}

public sealed class SqliteJournalSpec : JournalSpec
{
    private readonly string _directory = SqliteFiles.NewTempDirectory();
    private SqliteDatabase? _database;

    private string DatabasePath => Path.Combine(_directory, "persistence.db");

    protected override Task<IJournal> OpenJournalAsync()
    {
        _database = SqliteDatabase.Open(DatabasePath, TimeSpan.FromSeconds(10));
        return Task.FromResult<IJournal>(new SqliteJournal(_database, GroupCommitSettings.Default));
    }

    protected override async Task CorruptStoredPayloadAsync(string persistenceId, long sequenceNr)
    {
        // Close every connection first, so that SQLite has no cached copy of the page we damage in the file.
        await Journal.DisposeAsync();
        _database!.ReleasePooledConnections();
        Assert.Equal(1, SqliteFiles.FlipByteInside(DatabasePath, StoredPayload(persistenceId, sequenceNr)));
        await ReopenAsync();
    }

    protected override Task DeleteStorageAsync()
    {
        _database?.ReleasePooledConnections();
        SqliteFiles.DeleteDirectory(_directory);
        return Task.CompletedTask;
    }
}

public sealed class SqliteSnapshotStoreSpec : SnapshotStoreSpec
{
    private readonly string _directory = SqliteFiles.NewTempDirectory();
    private SqliteDatabase? _database;

    private string DatabasePath => Path.Combine(_directory, "persistence.db");

    protected override Task<ISnapshotStore> OpenStoreAsync()
    {
        _database = SqliteDatabase.Open(DatabasePath, TimeSpan.FromSeconds(10));
        return Task.FromResult<ISnapshotStore>(new SqliteSnapshotStore(_database));
    }

    protected override async Task CorruptStoredSnapshotAsync(string persistenceId, long sequenceNr, byte[] storedPayload)
    {
        await Store.DisposeAsync();
        _database!.ReleasePooledConnections();
        Assert.Equal(1, SqliteFiles.FlipByteInside(DatabasePath, storedPayload));
        await ReopenAsync();
    }

    protected override Task DeleteStorageAsync()
    {
        _database?.ReleasePooledConnections();
        SqliteFiles.DeleteDirectory(_directory);
        return Task.CompletedTask;
    }
}

public sealed class PostgreSqlJournalSpec : JournalSpec
{
    private readonly string _schema = PostgresTestDatabase.NewSchemaName();
    private readonly List<PostgreSqlDatabase> _databases = new();

    protected override async Task<IJournal> OpenJournalAsync()
    {
        await PostgresTestDatabase.EnsureReachableAsync();
        var database = await PostgreSqlDatabase.OpenAsync(PostgresTestDatabase.ConnectionString, _schema);
        _databases.Add(database);
        return new PostgreSqlJournal(database, GroupCommitSettings.Default);
    }

    protected override Task CorruptStoredPayloadAsync(string persistenceId, long sequenceNr) =>
        PostgresTestDatabase.ExecuteAsync($"""
            UPDATE {_schema}.journal
            SET payload = set_byte(payload, length(payload) / 2, get_byte(payload, length(payload) / 2) # 32)
            WHERE persistence_id = '{persistenceId}' AND sequence_nr = {sequenceNr};
            """);

    protected override async Task DeleteStorageAsync()
    {
        foreach (var database in _databases)
        {
            await database.DisposeAsync();
        }

        await PostgresTestDatabase.DropSchemaAsync(_schema);
    }
}

public sealed class PostgreSqlSnapshotStoreSpec : SnapshotStoreSpec
{
    private readonly string _schema = PostgresTestDatabase.NewSchemaName();
    private readonly List<PostgreSqlDatabase> _databases = new();

    protected override async Task<ISnapshotStore> OpenStoreAsync()
    {
        await PostgresTestDatabase.EnsureReachableAsync();
        var database = await PostgreSqlDatabase.OpenAsync(PostgresTestDatabase.ConnectionString, _schema);
        _databases.Add(database);
        return new PostgreSqlSnapshotStore(database);
    }

    protected override Task CorruptStoredSnapshotAsync(string persistenceId, long sequenceNr, byte[] storedPayload) =>
        PostgresTestDatabase.ExecuteAsync($"""
            UPDATE {_schema}.snapshots
            SET payload = set_byte(payload, length(payload) / 2, get_byte(payload, length(payload) / 2) # 32)
            WHERE persistence_id = '{persistenceId}' AND sequence_nr = {sequenceNr};
            """);

    protected override async Task DeleteStorageAsync()
    {
        foreach (var database in _databases)
        {
            await database.DisposeAsync();
        }

        await PostgresTestDatabase.DropSchemaAsync(_schema);
    }
}
