using System.Globalization;
using System.Text;
using Akka.Persistence.Sql;
using Microsoft.Data.Sqlite;
using Npgsql;
using AkkaConfig = Akka.Configuration.Config;
using AkkaConfigurationFactory = Akka.Configuration.ConfigurationFactory;

namespace AkkaRaft.Raft.Persistence;

/// <summary>
/// The journal and snapshot store of a node: Akka.Persistence.Sql over two SQLite files under the data directory, one
/// for the journal and one for the snapshot store (provider <c>SQLite.MS</c>, WAL, <c>synchronous=FULL</c>), or over
/// PostgreSQL. The host calls
/// <see cref="PrepareStorage"/>, then creates its ActorSystem with <see cref="AkkaConfig"/> among its configuration.
/// </summary>
/// <remarks>
/// <para>
/// Durability on SQLite: an acknowledged write must be on disk, which in WAL mode takes <c>synchronous=FULL</c>
/// (NORMAL may lose the last transactions on power loss). Microsoft.Data.Sqlite has no connection-string keyword for
/// pragmas and Akka.Persistence.Sql opens its connections through linq2db from a provider name and connection
/// string, so no pragma can be run on them from HOCON (only an ActorSystem <c>DataOptionsSetup</c> could, and it
/// would replace the connection string and provider this configuration sets). <c>synchronous</c> is a per-connection
/// setting whose initial value is compiled into the native library (<c>SQLITE_DEFAULT_SYNCHRONOUS</c>, and
/// <c>SQLITE_DEFAULT_WAL_SYNCHRONOUS</c> for WAL databases, both 2 = FULL unless the build overrides them); every
/// connection of the process uses the one e_sqlite3 library, and neither Microsoft.Data.Sqlite, linq2db nor
/// Akka.Persistence.Sql changes it. <see cref="PrepareStorage"/> therefore opens a connection the way they do and
/// refuses to start unless it reports WAL and FULL; the tests read the same pragmas on the journal's own connections.
/// </para>
/// <para>
/// Two files, because SQLite lets one connection at a time write a database: a snapshot of tens of megabytes written
/// into the journal's file held that writer for seconds, and every journal commit (so every acknowledged write of the
/// cluster) waited behind it. An earlier version kept the snapshots in the journal's file; <see cref="PrepareStorage"/>
/// moves them to the snapshot file.
/// </para>
/// </remarks>
public static class RaftPersistence
{
    /// <summary>The HOCON path, and plugin id, of the Akka.Persistence.Sql journal.</summary>
    public const string JournalPluginId = "akka.persistence.journal.sql";

    /// <summary>The HOCON path, and plugin id, of the Akka.Persistence.Sql snapshot store.</summary>
    public const string SnapshotPluginId = "akka.persistence.snapshot-store.sql";

    /// <summary>The linq2db provider of SQLite: Microsoft.Data.Sqlite over e_sqlite3.</summary>
    public const string SqliteProvider = "SQLite.MS";

    /// <summary>SQLite's value of <c>PRAGMA synchronous</c> for FULL.</summary>
    public const int SqliteSynchronousFull = 2;

    /// <summary>
    /// The <c>akka.persistence</c> section for this node: the Akka.Persistence.Sql journal and snapshot store (the
    /// SQLite file under <paramref name="dataDirectory"/> by default, or PostgreSQL), set as the default plugins, over
    /// Akka.Persistence.Sql's own defaults.
    /// </summary>
    /// <param name="settings">The validated <c>akkaraft.persistence</c> section.</param>
    /// <param name="dataDirectory">The node's data directory (<c>akkaraft.node.data-dir</c>).</param>
    public static AkkaConfig AkkaConfig(RaftPersistenceSettings settings, string dataDirectory)
    {
        ArgumentNullException.ThrowIfNull(settings);
        ArgumentException.ThrowIfNullOrWhiteSpace(dataDirectory);

        var (journalConnection, snapshotConnection, provider, schema) = settings.Plugin switch
        {
            RaftPersistencePlugin.Sqlite => (SqliteConnectionString(settings, dataDirectory), SqliteSnapshotConnectionString(settings, dataDirectory), SqliteProvider, (string?)null),
            RaftPersistencePlugin.PostgreSql => (settings.PostgreSqlConnectionString, settings.PostgreSqlConnectionString, settings.PostgreSqlProvider, settings.PostgreSqlSchema),
            _ => throw new ArgumentOutOfRangeException(nameof(settings), settings.Plugin, "unknown persistence plugin"),
        };

        string Common(string connectionString) => new StringBuilder()
            .Append("  connection-string = ").Append(Quote(connectionString)).Append('\n')
            .Append("  provider-name = ").Append(Quote(provider)).Append('\n')
            // Akka.Persistence.Sql's own table and column names (no legacy plugin's); a schema on PostgreSQL only.
            .Append("  table-mapping = default\n")
            .Append(schema is null ? "" : $"  default.schema-name = {Quote(schema)}\n")
            .Append("  auto-initialize = ").Append(settings.AutoInitialize ? "on" : "off").Append('\n')
            // A failed table creation must be seen: the first write then fails too, and this log says why.
            .Append("  warn-on-auto-init-fail = on\n")
            .ToString();

        var hocon = new StringBuilder()
            .Append("akka.persistence.journal.plugin = ").Append(Quote(JournalPluginId)).Append('\n')
            .Append("akka.persistence.snapshot-store.plugin = ").Append(Quote(SnapshotPluginId)).Append('\n')
            .Append(JournalPluginId).Append(" {\n")
            .Append(Common(journalConnection))
            .Append("  batch-size = ").Append(Invariant(settings.MaxBatchSize)).Append('\n')
            .Append("  buffer-size = ").Append(Invariant(settings.MaxPendingWrites)).Append('\n')
            .Append("  parallelism = ").Append(Invariant(settings.WriteParallelism)).Append('\n')
            .Append("  replay-batch-size = ").Append(Invariant(settings.ReplayBatchSize)).Append('\n')
            // A write of several events is one multi-row INSERT (linq2db BulkCopy, MultipleRows). By default linq2db
            // writes every value into the SQL text, each event's bytes as a hex literal X'…' that SQLite must tokenize
            // and decode again: twice the event's size in text, built and parsed per event. Bound parameters pass the
            // bytes as they are (the single-event INSERT binds them already).
            .Append("  prefer-parameters-on-multirow-insert = on\n")
            .Append("}\n")
            .Append(SnapshotPluginId).Append(" {\n")
            .Append(Common(snapshotConnection))
            .Append("}\n")
            .ToString();

        return AkkaConfigurationFactory.ParseString(hocon).WithFallback(SqlPersistence.DefaultConfiguration);
    }

    /// <summary>
    /// Prepares the database before the ActorSystem starts. SQLite: creates the directory and the two files, sets
    /// <c>journal_mode=WAL</c> (kept in each file), checks that a new connection runs with <c>synchronous=FULL</c>, and
    /// moves snapshots that an earlier version kept in the journal's file to the snapshot file. PostgreSQL: creates the schema when it is missing, and checks that the server
    /// acknowledges a commit only once it is flushed (<c>fsync</c> and <c>synchronous_commit</c> on).
    /// </summary>
    /// <exception cref="InvalidOperationException">The database would not keep acknowledged writes: WAL could not be
    /// set, or synchronous is not FULL, or the PostgreSQL server runs without fsync or synchronous commit.</exception>
    /// <exception cref="SqliteException">The SQLite file cannot be created or opened.</exception>
    /// <exception cref="NpgsqlException">The PostgreSQL server cannot be reached or refuses the schema.</exception>
    public static void PrepareStorage(RaftPersistenceSettings settings, string dataDirectory)
    {
        ArgumentNullException.ThrowIfNull(settings);
        ArgumentException.ThrowIfNullOrWhiteSpace(dataDirectory);
        switch (settings.Plugin)
        {
            case RaftPersistencePlugin.Sqlite:
                PrepareSqlite(settings, dataDirectory);
                break;
            case RaftPersistencePlugin.PostgreSql:
                PreparePostgreSql(settings);
                break;
            default:
                throw new ArgumentOutOfRangeException(nameof(settings), settings.Plugin, "unknown persistence plugin");
        }
    }

    /// <summary>The full path of the journal's SQLite file, or null when the node persists to PostgreSQL.</summary>
    public static string? SqliteFile(RaftPersistenceSettings settings, string dataDirectory) =>
        SqlitePath(settings, dataDirectory, settings?.SqliteFile);

    /// <summary>The full path of the snapshot store's SQLite file, or null when the node persists to PostgreSQL.</summary>
    public static string? SqliteSnapshotFile(RaftPersistenceSettings settings, string dataDirectory) =>
        SqlitePath(settings, dataDirectory, settings?.SqliteSnapshotFile);

    private static string? SqlitePath(RaftPersistenceSettings settings, string dataDirectory, string? file)
    {
        ArgumentNullException.ThrowIfNull(settings);
        ArgumentException.ThrowIfNullOrWhiteSpace(dataDirectory);
        return settings.Plugin == RaftPersistencePlugin.Sqlite ? Path.GetFullPath(Path.Combine(dataDirectory, file!)) : null;
    }

    /// <summary>
    /// The Microsoft.Data.Sqlite connection string of the journal's SQLite file: pooled connections, and
    /// <c>Default Timeout</c> (seconds) as the busy timeout, which Microsoft.Data.Sqlite applies by retrying a statement
    /// that finds the database locked.
    /// </summary>
    public static string SqliteConnectionString(RaftPersistenceSettings settings, string dataDirectory) =>
        SqliteConnectionStringOf(SqliteFile(settings, dataDirectory), settings);

    /// <summary>The Microsoft.Data.Sqlite connection string of the snapshot store's SQLite file (as the journal's).</summary>
    public static string SqliteSnapshotConnectionString(RaftPersistenceSettings settings, string dataDirectory) =>
        SqliteConnectionStringOf(SqliteSnapshotFile(settings, dataDirectory), settings);

    private static string SqliteConnectionStringOf(string? file, RaftPersistenceSettings settings) =>
        new SqliteConnectionStringBuilder
        {
            DataSource = file ?? throw new ArgumentException("the settings choose PostgreSQL, not SQLite", nameof(settings)),
            Mode = SqliteOpenMode.ReadWriteCreate,
            Pooling = true,
            DefaultTimeout = checked((int)Math.Ceiling(settings.SqliteBusyTimeout.TotalSeconds)),
        }.ToString();

    private static void PrepareSqlite(RaftPersistenceSettings settings, string dataDirectory)
    {
        PrepareSqliteFile(SqliteFile(settings, dataDirectory)!, SqliteConnectionString(settings, dataDirectory));
        var snapshotFile = SqliteSnapshotFile(settings, dataDirectory)!;
        PrepareSqliteFile(snapshotFile, SqliteSnapshotConnectionString(settings, dataDirectory));
        MoveSnapshotsOutOfJournal(SqliteFile(settings, dataDirectory)!, SqliteSnapshotConnectionString(settings, dataDirectory));
    }

    /// <summary>
    /// Moves the snapshot rows an earlier version kept in the journal's file (one file for both) into the snapshot file:
    /// the table as it was created there, its rows copied and committed in the snapshot file first, and only then
    /// deleted from the journal's. A start cut in between finds them in both and copies none twice; a node that never
    /// had them in the journal's file finds no table there and does nothing.
    /// </summary>
    private static void MoveSnapshotsOutOfJournal(string journalFile, string snapshotConnectionString)
    {
        using var connection = new SqliteConnection(snapshotConnectionString);
        connection.Open();
        using (var attach = connection.CreateCommand())
        {
            attach.CommandText = "ATTACH DATABASE $file AS journal_file;";
            attach.Parameters.AddWithValue("$file", journalFile);
            attach.ExecuteNonQuery();
        }

        try
        {
            if (Scalar(connection, $"SELECT count(*) FROM journal_file.sqlite_master WHERE type = 'table' AND name = '{SqliteSnapshotTable}';") == "0") return;
            if (Scalar(connection, $"SELECT count(*) FROM journal_file.{SqliteSnapshotTable};") == "0") return;
            // One transaction of the snapshot file (BEGIN as SQL: Microsoft.Data.Sqlite then needs no transaction object on
            // each command). IMMEDIATE takes the file's writer at once.
            Execute(connection, "BEGIN IMMEDIATE;");
            try
            {
                if (Scalar(connection, $"SELECT count(*) FROM main.sqlite_master WHERE type = 'table' AND name = '{SqliteSnapshotTable}';") == "0")
                {
                    // The table and its indexes exactly as the plugin created them in the journal's file (unqualified, so in main).
                    var definitions = new List<string>();
                    using (var read = connection.CreateCommand())
                    {
                        read.CommandText = $"SELECT sql FROM journal_file.sqlite_master WHERE tbl_name = '{SqliteSnapshotTable}' AND sql IS NOT NULL ORDER BY type = 'table' DESC;";
                        using var rows = read.ExecuteReader();
                        while (rows.Read()) definitions.Add(rows.GetString(0));
                    }

                    foreach (var definition in definitions) Execute(connection, definition);
                }

                Execute(connection, $"INSERT OR IGNORE INTO main.{SqliteSnapshotTable} SELECT * FROM journal_file.{SqliteSnapshotTable};");
                Execute(connection, "COMMIT;");
            }
            catch
            {
                Execute(connection, "ROLLBACK;");
                throw;
            }

            // Committed (and synced) in the snapshot file: only now out of the journal's.
            Execute(connection, $"DELETE FROM journal_file.{SqliteSnapshotTable};");
        }
        finally
        {
            Execute(connection, "DETACH DATABASE journal_file;");
        }
    }

    /// <summary>The snapshot store's table in Akka.Persistence.Sql's default table mapping.</summary>
    private const string SqliteSnapshotTable = "snapshot";

    private static void Execute(SqliteConnection connection, string sql)
    {
        using var command = connection.CreateCommand();
        command.CommandText = sql;
        command.ExecuteNonQuery();
    }

    private static void PrepareSqliteFile(string file, string connectionString)
    {
        Directory.CreateDirectory(Path.GetDirectoryName(file)!);
        using var connection = new SqliteConnection(connectionString);
        connection.Open();

        // journal_mode=WAL is stored in the file, so every later connection opens it in WAL mode.
        var mode = Scalar(connection, "PRAGMA journal_mode=WAL;");
        if (!string.Equals(mode, "wal", StringComparison.OrdinalIgnoreCase))
        {
            throw new InvalidOperationException($"SQLite file {file}: PRAGMA journal_mode=WAL left it in '{mode}' mode");
        }

        // synchronous is not stored in the file: this connection shows what every new connection starts with.
        var synchronous = Scalar(connection, "PRAGMA synchronous;");
        if (synchronous != SqliteSynchronousFull.ToString(CultureInfo.InvariantCulture))
        {
            throw new InvalidOperationException(
                $"SQLite file {file}: a new connection runs with PRAGMA synchronous={synchronous}, not {SqliteSynchronousFull} (FULL); "
                + "the native SQLite library was built with another SQLITE_DEFAULT_(WAL_)SYNCHRONOUS, so an acknowledged journal write "
                + "could be lost on power failure");
        }
    }

    private static void PreparePostgreSql(RaftPersistenceSettings settings)
    {
        using var connection = new NpgsqlConnection(settings.PostgreSqlConnectionString);
        connection.Open();
        foreach (var setting in (ReadOnlySpan<string>)["fsync", "synchronous_commit"])
        {
            // These connections start as the journal's do (same connection string, role and database defaults).
            using var show = new NpgsqlCommand($"SHOW {setting};", connection);
            var value = (string?)show.ExecuteScalar();
            if (value is not "on")
            {
                throw new InvalidOperationException(
                    $"PostgreSQL {connection.Host}:{connection.Port}/{connection.Database}: {setting} is '{value}', not 'on', "
                    + "so the server may acknowledge a journal write that is not on disk");
            }
        }

        // The schema name is a validated plain identifier (RaftPersistenceSettings.IsPlainIdentifier), safe to inline.
        if (!RaftPersistenceSettings.IsPlainIdentifier(settings.PostgreSqlSchema))
        {
            throw new ArgumentException($"'{settings.PostgreSqlSchema}' is not a plain lower-case SQL identifier", nameof(settings));
        }

        try
        {
            using var create = new NpgsqlCommand($"CREATE SCHEMA IF NOT EXISTS {settings.PostgreSqlSchema};", connection);
            create.ExecuteNonQuery();
        }
        catch (PostgresException e) when (e.SqlState is PostgresErrorCodes.UniqueViolation or PostgresErrorCodes.DuplicateSchema)
        {
            // Another node created it between the check and the insert of IF NOT EXISTS: it is there, which is all we need.
        }
    }

    private static string? Scalar(SqliteConnection connection, string sql)
    {
        using var command = connection.CreateCommand();
        command.CommandText = sql;
        return Convert.ToString(command.ExecuteScalar(), CultureInfo.InvariantCulture);
    }

    private static string Invariant(int value) => value.ToString(CultureInfo.InvariantCulture);

    /// <summary>A HOCON quoted string (JSON escaping), so connection strings with ';', '=', '#' or quotes survive.</summary>
    private static string Quote(string value) => System.Text.Json.JsonSerializer.Serialize(value);
}
