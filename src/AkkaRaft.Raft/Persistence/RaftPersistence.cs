using AkkaRaft.Configuration;
using Microsoft.Data.Sqlite;

namespace AkkaRaft.Raft.Persistence;

/// <summary>The <c>akkaraft.persistence</c> section, read once and validated.</summary>
/// <param name="Plugin">sqlite or postgresql.</param>
/// <param name="SqliteFile">The SQLite file, relative to the data directory unless absolute.</param>
/// <param name="PostgreSqlConnectionString">The Npgsql connection string.</param>
/// <param name="PostgreSqlSchema">The PostgreSQL schema of the tables.</param>
/// <param name="MaxEventBytes">Largest journal event the peer writes.</param>
/// <param name="MaxSnapshotBytes">Largest snapshot record the peer saves.</param>
public sealed record RaftPersistenceSettings(string Plugin, string SqliteFile, string PostgreSqlConnectionString, string PostgreSqlSchema, long MaxEventBytes, long MaxSnapshotBytes)
{
    /// <summary>Where the section lives.</summary>
    public const string SectionPath = "akkaraft.persistence";

    /// <summary>Reads the section.</summary>
    public static RaftPersistenceSettings FromConfig(AkkaRaft.Configuration.Config config)
    {
        ArgumentNullException.ThrowIfNull(config);
        var plugin = config.GetString(SectionPath + ".journal.plugin");
        if (plugin is not ("sqlite" or "postgresql")) throw config.Invalid(SectionPath + ".journal.plugin", $"expected sqlite or postgresql, got '{plugin}'");
        return new RaftPersistenceSettings(plugin, config.GetString(SectionPath + ".sqlite.file"),
            config.GetString(SectionPath + ".postgresql.connection-string"), config.GetString(SectionPath + ".postgresql.schema"),
            config.GetByteSizeInRange(SectionPath + ".journal.max-event-bytes", 1, int.MaxValue),
            config.GetByteSizeInRange(SectionPath + ".snapshot-store.max-snapshot-bytes", 1, int.MaxValue));
    }
}

/// <summary>The Akka.Persistence.Sql configuration of a node.</summary>
public static class RaftPersistence
{
    /// <summary>The journal plugin id.</summary>
    public const string JournalPluginId = "akka.persistence.journal.sql";

    /// <summary>The snapshot store plugin id.</summary>
    public const string SnapshotPluginId = "akka.persistence.snapshot-store.sql";

    /// <summary>The SQLite file, or null under PostgreSQL.</summary>
    public static string? SqliteFile(RaftPersistenceSettings settings, string dataDirectory) =>
        settings.Plugin == "sqlite" ? Path.GetFullPath(Path.Combine(dataDirectory, settings.SqliteFile)) : null;

    /// <summary>Creates the SQLite file in WAL mode before the system starts.</summary>
    public static void PrepareStorage(RaftPersistenceSettings settings, string dataDirectory)
    {
        if (SqliteFile(settings, dataDirectory) is not { } file) return;
        Directory.CreateDirectory(Path.GetDirectoryName(file)!);
        using var connection = new SqliteConnection($"Data Source={file}");
        connection.Open();
        using var command = connection.CreateCommand();
        command.CommandText = "PRAGMA journal_mode=WAL;";
        command.ExecuteNonQuery();
    }

    /// <summary>The akka.persistence section.</summary>
    public static Akka.Configuration.Config AkkaConfig(RaftPersistenceSettings settings, string dataDirectory)
    {
        var sqlite = SqliteFile(settings, dataDirectory);
        var (connection, provider, mapping, schema) = sqlite is not null
            ? ($"Data Source={sqlite}", "SQLite.MS", "sqlite", "")
            : (settings.PostgreSqlConnectionString, LinqToDB.ProviderName.PostgreSQL15, "postgresql", settings.PostgreSqlSchema);
        var text = $$"""
            akka.persistence {
              journal {
                plugin = "{{JournalPluginId}}"
                sql {
                  connection-string = {{Quote(connection)}}
                  provider-name = {{Quote(provider)}}
                  table-mapping = {{mapping}}
                  auto-initialize = true
                  {{(schema.Length > 0 ? $"{mapping}.schema-name = {Quote(schema)}" : "")}}
                }
              }
              snapshot-store {
                plugin = "{{SnapshotPluginId}}"
                sql {
                  connection-string = {{Quote(connection)}}
                  provider-name = {{Quote(provider)}}
                  table-mapping = {{mapping}}
                  auto-initialize = true
                  {{(schema.Length > 0 ? $"{mapping}.schema-name = {Quote(schema)}" : "")}}
                }
              }
            }
            """;
        return Akka.Configuration.ConfigurationFactory.ParseString(text).WithFallback(Akka.Persistence.Sql.SqlPersistence.DefaultConfiguration);
    }

    private static string Quote(string value) => System.Text.Json.JsonSerializer.Serialize(value);
}
