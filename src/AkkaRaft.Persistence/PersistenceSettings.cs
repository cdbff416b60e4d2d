using AkkaRaft.Configuration;
using AkkaRaft.Persistence.Journal;

namespace AkkaRaft.Persistence;

/// <summary>
/// The <c>akkaraft.persistence</c> section, read once and validated (defaults live in <c>reference.conf</c>).
/// </summary>
/// <param name="JournalPlugin">Journal plugin id of actors that name none: <c>sqlite</c>, <c>postgresql</c> or <c>inmem</c>.</param>
/// <param name="SnapshotStorePlugin">Snapshot store plugin id of actors that name none.</param>
/// <param name="GroupCommit">Group commit limits of the SQL journals.</param>
/// <param name="MaxEventBytes">Largest serialized event a persistent actor may persist, in bytes.</param>
/// <param name="MaxSnapshotBytes">Largest serialized snapshot a persistent actor may save, in bytes.</param>
/// <param name="SqliteFile">The SQLite database file; relative paths are taken from the node's data directory.</param>
/// <param name="SqliteBusyTimeout">Longest a SQLite statement waits for a lock held by another connection.</param>
/// <param name="PostgreSqlConnectionString">The Npgsql connection string.</param>
/// <param name="PostgreSqlSchema">The PostgreSQL schema holding the tables.</param>
/// <param name="InMemoryFsync">Whether in-memory writes are flushed before they are acknowledged.</param>
public sealed record PersistenceSettings(
    string JournalPlugin,
    string SnapshotStorePlugin,
    GroupCommitSettings GroupCommit,
    long MaxEventBytes,
    long MaxSnapshotBytes,
    string SqliteFile,
    TimeSpan SqliteBusyTimeout,
    string PostgreSqlConnectionString,
    string PostgreSqlSchema,
    bool InMemoryFsync)
{
    /// <summary>Where the section lives.</summary>
    public const string SectionPath = "akkaraft.persistence";

    /// <summary>The plugin id of the SQLite plugins, the embedded default.</summary>
    public const string SqlitePluginId = "sqlite";

    /// <summary>The plugin id of the PostgreSQL plugins.</summary>
    public const string PostgreSqlPluginId = "postgresql";

    /// <summary>The plugin id of the in-memory plugins.</summary>
    public const string InMemoryPluginId = "inmem";

    /// <summary>Every plugin id a setting may name.</summary>
    public static IReadOnlyList<string> PluginIds { get; } = [SqlitePluginId, PostgreSqlPluginId, InMemoryPluginId];

    /// <summary>The settings of <c>reference.conf</c> alone.</summary>
    public static PersistenceSettings Default => FromConfig(ConfigurationFactory.Default());

    /// <summary>Reads and validates <c>akkaraft.persistence</c> from the full configuration.</summary>
    /// <exception cref="ConfigException">A setting is missing, of the wrong type, or breaks its rule.</exception>
    public static PersistenceSettings FromConfig(Config config)
    {
        ArgumentNullException.ThrowIfNull(config);
        var journalPlugin = PluginId(config, SectionPath + ".journal.plugin");
        var snapshotPlugin = PluginId(config, SectionPath + ".snapshot-store.plugin");
        var groupCommit = new GroupCommitSettings(
            MaxBatchSize: config.GetIntInRange(SectionPath + ".journal.max-batch-size", 1),
            MaxBatchBytes: config.GetByteSizeInRange(SectionPath + ".journal.max-batch-bytes", 1),
            MaxPendingWrites: config.GetIntInRange(SectionPath + ".journal.max-pending-writes", 1));
        var maxEventBytes = config.GetByteSizeInRange(SectionPath + ".journal.max-event-bytes", 1, int.MaxValue);
        var maxSnapshotBytes = config.GetByteSizeInRange(SectionPath + ".snapshot-store.max-snapshot-bytes", 1, int.MaxValue);

        var sqliteFilePath = SectionPath + ".sqlite.file";
        var sqliteFile = config.GetString(sqliteFilePath);
        if (sqliteFile.Trim().Length == 0 || sqliteFile.IndexOfAny(Path.GetInvalidPathChars()) >= 0)
        {
            throw config.Invalid(sqliteFilePath, $"expected a file path, got '{sqliteFile}'");
        }

        var busyTimeoutPath = SectionPath + ".sqlite.busy-timeout";
        var busyTimeout = config.GetTimeSpanInRange(busyTimeoutPath, TimeSpan.FromSeconds(1));

        var connectionStringPath = SectionPath + ".postgresql.connection-string";
        var connectionString = config.GetString(connectionStringPath);
        if (connectionString.Trim().Length == 0)
        {
            throw config.Invalid(connectionStringPath, "expected an Npgsql connection string, got an empty string");
        }

        var schemaPath = SectionPath + ".postgresql.schema";
        var schema = config.GetString(schemaPath);
        if (!IsPlainIdentifier(schema))
        {
            throw config.Invalid(schemaPath, $"expected a lower-case SQL identifier (letters, digits, '_', at most 63), got '{schema}'");
        }

        return new PersistenceSettings(
            journalPlugin, snapshotPlugin, groupCommit, maxEventBytes, maxSnapshotBytes,
            sqliteFile, busyTimeout, connectionString, schema, config.GetBoolean(SectionPath + ".inmem.fsync"));
    }

    /// <summary>The SQLite database file for a node whose data directory is <paramref name="dataDirectory"/>.</summary>
    public string SqliteFilePath(string dataDirectory) => Path.GetFullPath(Path.Combine(dataDirectory, SqliteFile));

    private static string PluginId(Config config, string path)
    {
        var id = config.GetString(path);
        return PluginIds.Contains(id)
            ? id
            : throw config.Invalid(path, $"expected one of {string.Join(", ", PluginIds)}, got '{id}'");
    }

    private static bool IsPlainIdentifier(string name) =>
        name.Length is > 0 and <= 63 && (char.IsAsciiLetterLower(name[0]) || name[0] == '_')
        && name.All(c => char.IsAsciiLetterLower(c) || char.IsAsciiDigit(c) || c == '_');
}
