using AkkaRaft.Configuration;
using RaftConfig = AkkaRaft.Configuration.Config;

namespace AkkaRaft.Raft.Persistence;

/// <summary>Which database holds a node's journal and snapshots (<c>akkaraft.persistence.plugin</c>).</summary>
public enum RaftPersistencePlugin
{
    /// <summary>One SQLite file under the node's data directory (embedded, the default).</summary>
    Sqlite,

    /// <summary>A PostgreSQL server, reached with a connection string.</summary>
    PostgreSql,
}

/// <summary>
/// The <c>akkaraft.persistence</c> section, read once and validated (defaults and one comment per setting live in
/// <c>hocon/reference.conf</c>). <see cref="RaftPersistence.AkkaConfig"/> turns it into the <c>akka.persistence</c>
/// section of Akka.Persistence.Sql; the byte limits are the Raft peer's to enforce, since Akka.Persistence.Sql
/// writes whatever it is given.
/// </summary>
/// <param name="Plugin">The database of the journal and the snapshot store.</param>
/// <param name="AutoInitialize">Whether missing journal and snapshot tables are created on first use.</param>
/// <param name="MaxEventBytes">Largest serialized journal event the peer writes, in bytes.</param>
/// <param name="MaxBatchSize">Most events one write transaction holds when writes queue up (Akka.Persistence.Sql
/// <c>batch-size</c>); one atomic write larger than this still goes alone in one transaction.</param>
/// <param name="MaxPendingWrites">Most write requests queued in the journal (Akka.Persistence.Sql
/// <c>buffer-size</c>); one more fails at once with <c>WriteMessagesFailed</c>.</param>
/// <param name="WriteParallelism">Write transactions in flight at once, each on its own connection (Akka.Persistence.Sql
/// <c>parallelism</c>).</param>
/// <param name="ReplayBatchSize">Events read per query while a persistent actor recovers (Akka.Persistence.Sql
/// <c>replay-batch-size</c>).</param>
/// <param name="MaxCutEvents">Most events one deletion deletes when the Raft peer cuts its journal after a snapshot.</param>
/// <param name="MaxSnapshotBytes">Largest serialized snapshot the peer saves, in bytes.</param>
/// <param name="SqliteFile">The SQLite file of the journal; a relative path is taken from the node's data directory.</param>
/// <param name="SqliteSnapshotFile">The SQLite file of the snapshot store, another than <paramref name="SqliteFile"/> so
/// that writing a large snapshot does not hold the journal's one writer; relative paths as for the journal's.</param>
/// <param name="SqliteBusyTimeout">Longest a SQLite statement waits for a lock another connection holds (whole
/// seconds; Microsoft.Data.Sqlite's <c>Default Timeout</c>).</param>
/// <param name="PostgreSqlConnectionString">The Npgsql connection string.</param>
/// <param name="PostgreSqlProvider">The linq2db provider name, e.g. <c>PostgreSQL.15</c>.</param>
/// <param name="PostgreSqlSchema">The schema holding the tables; <see cref="RaftPersistence.PrepareStorage"/> creates it.</param>
public sealed record RaftPersistenceSettings(
    RaftPersistencePlugin Plugin,
    bool AutoInitialize,
    long MaxEventBytes,
    int MaxBatchSize,
    int MaxPendingWrites,
    int WriteParallelism,
    int ReplayBatchSize,
    int MaxCutEvents,
    long MaxSnapshotBytes,
    string SqliteFile,
    string SqliteSnapshotFile,
    TimeSpan SqliteBusyTimeout,
    string PostgreSqlConnectionString,
    string PostgreSqlProvider,
    string PostgreSqlSchema)
{
    /// <summary>Where the section lives.</summary>
    public const string SectionPath = "akkaraft.persistence";

    /// <summary>
    /// The largest event or snapshot either database stores in one value: SQLite's default <c>SQLITE_MAX_LENGTH</c>
    /// (10^9 bytes); PostgreSQL's <c>bytea</c> holds up to 1GiB, so this bound is the smaller of the two.
    /// </summary>
    public const long MaxStoredValueBytes = 1_000_000_000;

    /// <summary>The linq2db provider names of PostgreSQL that <c>akkaraft.persistence.postgresql.provider</c> accepts.</summary>
    public static IReadOnlyList<string> PostgreSqlProviders { get; } =
    [
        "PostgreSQL.9.5", "PostgreSQL.11", "PostgreSQL.12", "PostgreSQL.13", "PostgreSQL.15", "PostgreSQL.18",
    ];

    /// <summary>The settings of <c>reference.conf</c> alone.</summary>
    public static RaftPersistenceSettings Default => FromConfig(ConfigurationFactory.Default());

    /// <summary>Reads and validates <c>akkaraft.persistence</c> from the full configuration.</summary>
    /// <exception cref="ConfigException">A setting is missing, of the wrong type, or breaks its rule; the message
    /// names the setting's path.</exception>
    public static RaftPersistenceSettings FromConfig(RaftConfig config)
    {
        ArgumentNullException.ThrowIfNull(config);
        const string s = SectionPath;

        var pluginPath = s + ".plugin";
        var plugin = config.GetString(pluginPath) switch
        {
            "sqlite" => RaftPersistencePlugin.Sqlite,
            "postgresql" => RaftPersistencePlugin.PostgreSql,
            var other => throw config.Invalid(pluginPath, $"expected sqlite or postgresql, got '{other}'"),
        };

        var sqliteFilePath = s + ".sqlite.file";
        var sqliteFile = config.GetNonEmptyString(sqliteFilePath);
        if (sqliteFile.IndexOfAny(Path.GetInvalidPathChars()) >= 0)
        {
            throw config.Invalid(sqliteFilePath, $"expected a file path, got '{sqliteFile}'");
        }

        var snapshotFilePath = s + ".sqlite.snapshot-file";
        var snapshotFile = config.GetNonEmptyString(snapshotFilePath);
        if (snapshotFile.IndexOfAny(Path.GetInvalidPathChars()) >= 0)
        {
            throw config.Invalid(snapshotFilePath, $"expected a file path, got '{snapshotFile}'");
        }

        if (SameFile(snapshotFile, sqliteFile))
        {
            throw config.Invalid(snapshotFilePath, $"expected another file than {sqliteFilePath} ('{sqliteFile}'): a snapshot written into the journal's file holds its one writer, and every commit waits");
        }

        var busyTimeoutPath = s + ".sqlite.busy-timeout";
        var busyTimeout = config.GetTimeSpanInRange(busyTimeoutPath, TimeSpan.FromSeconds(1), TimeSpan.FromHours(1));
        if (busyTimeout.Ticks % TimeSpan.TicksPerSecond != 0)
        {
            // Microsoft.Data.Sqlite counts its Default Timeout in whole seconds; rounding silently would change it.
            throw config.Invalid(busyTimeoutPath, $"expected whole seconds, got {busyTimeout}");
        }

        var connectionStringPath = s + ".postgresql.connection-string";
        var connectionString = config.GetNonEmptyString(connectionStringPath);
        try
        {
            _ = new Npgsql.NpgsqlConnectionStringBuilder(connectionString);
        }
        catch (ArgumentException e)
        {
            throw config.Invalid(connectionStringPath, $"expected an Npgsql connection string: {e.Message}");
        }

        var providerPath = s + ".postgresql.provider";
        var provider = config.GetString(providerPath);
        if (!PostgreSqlProviders.Contains(provider))
        {
            throw config.Invalid(providerPath, $"expected one of {string.Join(", ", PostgreSqlProviders)}, got '{provider}'");
        }

        var schemaPath = s + ".postgresql.schema";
        var schema = config.GetString(schemaPath);
        if (!IsPlainIdentifier(schema))
        {
            throw config.Invalid(schemaPath, $"expected a lower-case SQL identifier (a-z, 0-9, '_', not starting with a digit, at most 63), got '{schema}'");
        }

        return new RaftPersistenceSettings(
            Plugin: plugin,
            AutoInitialize: config.GetBoolean(s + ".auto-initialize"),
            MaxEventBytes: config.GetByteSizeInRange(s + ".journal.max-event-bytes", 1, MaxStoredValueBytes),
            MaxBatchSize: config.GetIntInRange(s + ".journal.max-batch-size", 1, 100_000),
            MaxPendingWrites: config.GetIntInRange(s + ".journal.max-pending-writes", 1, 1_000_000),
            WriteParallelism: config.GetIntInRange(s + ".journal.write-parallelism", 1, 64),
            ReplayBatchSize: config.GetIntInRange(s + ".journal.replay-batch-size", 1, 1_000_000),
            MaxCutEvents: config.GetIntInRange(s + ".journal.max-cut-events", 1, 1_000_000),
            MaxSnapshotBytes: config.GetByteSizeInRange(s + ".snapshot-store.max-snapshot-bytes", 1, MaxStoredValueBytes),
            SqliteFile: sqliteFile,
            SqliteSnapshotFile: snapshotFile,
            SqliteBusyTimeout: busyTimeout,
            PostgreSqlConnectionString: connectionString,
            PostgreSqlProvider: provider,
            PostgreSqlSchema: schema);
    }

    /// <summary>Whether two file settings name the same file (both taken from the same data directory when relative).</summary>
    private static bool SameFile(string a, string b)
    {
        var root = Path.Combine(Path.GetTempPath(), "data-dir");
        return string.Equals(Path.GetFullPath(a, root), Path.GetFullPath(b, root), StringComparison.Ordinal);
    }

    /// <summary>Whether <paramref name="name"/> can be written unquoted in SQL and keeps its case in PostgreSQL.</summary>
    internal static bool IsPlainIdentifier(string name) =>
        name.Length is > 0 and <= 63
        && (char.IsAsciiLetterLower(name[0]) || name[0] == '_')
        && name.All(c => char.IsAsciiLetterLower(c) || char.IsAsciiDigit(c) || c == '_');
}
