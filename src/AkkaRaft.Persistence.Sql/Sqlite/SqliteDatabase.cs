using AkkaRaft.Persistence.Journal;
using Microsoft.Data.Sqlite;

namespace AkkaRaft.Persistence.Sql.Sqlite;

/// <summary>
/// The SQLite database file that holds a node's journal and snapshots. Opening it switches the file to WAL mode,
/// creates the schema on first use and checks its version: a file written by a newer schema is refused with a
/// <see cref="PersistenceSchemaException"/> and left untouched. Every connection it hands out runs with
/// <c>synchronous=FULL</c>, so a committed transaction is on stable storage when the commit returns.
/// </summary>
public sealed class SqliteDatabase
{
    /// <summary>The schema version this code writes and reads.</summary>
    public const int SchemaVersion = 1;

    private readonly string _connectionString;

    private SqliteDatabase(string path, string connectionString)
    {
        FilePath = path;
        _connectionString = connectionString;
    }

    /// <summary>The absolute path of the database file.</summary>
    public string FilePath { get; }

    /// <summary>
    /// Opens (creating when missing) the database at <paramref name="path"/>, creating its directory too.
    /// </summary>
    /// <param name="path">The database file.</param>
    /// <param name="busyTimeout">How long a statement waits for a lock another connection holds before failing.</param>
    /// <exception cref="PersistenceSchemaException">The file has a schema version newer than <see cref="SchemaVersion"/>.</exception>
    public static SqliteDatabase Open(string path, TimeSpan busyTimeout)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        ArgumentOutOfRangeException.ThrowIfLessThan(busyTimeout, TimeSpan.FromSeconds(1), nameof(busyTimeout));
        var fullPath = Path.GetFullPath(path);
        Directory.CreateDirectory(Path.GetDirectoryName(fullPath)!);
        var builder = new SqliteConnectionStringBuilder
        {
            DataSource = fullPath,
            Mode = SqliteOpenMode.ReadWriteCreate,
            Pooling = true,
            DefaultTimeout = (int)Math.Ceiling(busyTimeout.TotalSeconds),
        };
        var database = new SqliteDatabase(fullPath, builder.ToString());
        database.CreateOrCheckSchema();
        return database;
    }

    /// <summary>An open connection with <c>synchronous=FULL</c>; the caller disposes it.</summary>
    public SqliteConnection OpenConnection()
    {
        var connection = new SqliteConnection(_connectionString);
        connection.Open();
        Execute(connection, "PRAGMA synchronous=FULL;");
        return connection;
    }

    /// <summary>
    /// Closes the pooled connections of this file, so the last close checkpoints the WAL into the main file.
    /// </summary>
    public void ReleasePooledConnections()
    {
        using var connection = new SqliteConnection(_connectionString);
        SqliteConnection.ClearPool(connection);
    }

    internal static void Execute(SqliteConnection connection, string sql, SqliteTransaction? transaction = null)
    {
        using var command = connection.CreateCommand();
        command.CommandText = sql;
        command.Transaction = transaction;
        command.ExecuteNonQuery();
    }

    private void CreateOrCheckSchema()
    {
        using var connection = OpenConnection();
        using (var wal = connection.CreateCommand())
        {
            // WAL mode is a property of the file: set once, it stays. It lets replays read while the writer commits.
            wal.CommandText = "PRAGMA journal_mode=WAL;";
            var mode = wal.ExecuteScalar() as string;
            if (!string.Equals(mode, "wal", StringComparison.OrdinalIgnoreCase))
            {
                throw new PersistenceSchemaException(
                    $"SQLite refused WAL mode for '{FilePath}' (journal_mode is '{mode}'); put the data directory on a local file system.");
            }
        }

        using var transaction = connection.BeginTransaction(deferred: false);
        Execute(connection, "CREATE TABLE IF NOT EXISTS schema_version (version INTEGER NOT NULL, applied_at_unix_ms INTEGER NOT NULL);", transaction);
        long? version;
        using (var read = connection.CreateCommand())
        {
            read.Transaction = transaction;
            read.CommandText = "SELECT MAX(version) FROM schema_version;";
            version = read.ExecuteScalar() is long v ? v : null;
        }

        if (version is null)
        {
            Execute(connection, Schema, transaction);
            using var insert = connection.CreateCommand();
            insert.Transaction = transaction;
            insert.CommandText = "INSERT INTO schema_version (version, applied_at_unix_ms) VALUES ($version, $now);";
            insert.Parameters.AddWithValue("$version", SchemaVersion);
            insert.Parameters.AddWithValue("$now", DateTimeOffset.UtcNow.ToUnixTimeMilliseconds());
            insert.ExecuteNonQuery();
            transaction.Commit();
            return;
        }

        if (version > SchemaVersion)
        {
            throw new PersistenceSchemaException(
                $"The SQLite database '{FilePath}' has persistence schema version {version}, but this AkkaRaft reads only version {SchemaVersion} and older; it was written by a newer AkkaRaft. Upgrade AkkaRaft, or point it at another data directory. Nothing was changed.");
        }

        if (version < 1)
        {
            throw new PersistenceSchemaException(
                $"The SQLite database '{FilePath}' records persistence schema version {version}, which never existed; the file is damaged or not AkkaRaft's.");
        }

        transaction.Commit();
    }

    private const string Schema = """
        CREATE TABLE journal (
            persistence_id TEXT NOT NULL,
            sequence_nr INTEGER NOT NULL,
            serializer_id INTEGER NOT NULL,
            manifest TEXT NOT NULL,
            payload BLOB NOT NULL,
            crc32c INTEGER NOT NULL,
            PRIMARY KEY (persistence_id, sequence_nr)
        );
        CREATE TABLE journal_deletions (
            persistence_id TEXT NOT NULL PRIMARY KEY,
            deleted_to INTEGER NOT NULL
        );
        CREATE TABLE snapshots (
            persistence_id TEXT NOT NULL,
            sequence_nr INTEGER NOT NULL,
            created_at_unix_ms INTEGER NOT NULL,
            serializer_id INTEGER NOT NULL,
            manifest TEXT NOT NULL,
            payload BLOB NOT NULL,
            crc32c INTEGER NOT NULL,
            PRIMARY KEY (persistence_id, sequence_nr)
        );
        """;
}
