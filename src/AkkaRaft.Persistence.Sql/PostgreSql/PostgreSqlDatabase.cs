using System.Text.RegularExpressions;
using AkkaRaft.Persistence.Journal;
using Npgsql;

namespace AkkaRaft.Persistence.Sql.PostgreSql;

/// <summary>
/// The PostgreSQL schema that holds the journal and snapshots, reached through one pooled <see cref="NpgsqlDataSource"/>.
/// Opening it creates the schema and its tables on first use (under an advisory lock, so that several nodes starting at
/// once do not race) and checks the schema version: a newer version is refused with a
/// <see cref="PersistenceSchemaException"/> and nothing is changed.
/// </summary>
public sealed partial class PostgreSqlDatabase : IAsyncDisposable
{
    /// <summary>The schema version this code writes and reads.</summary>
    public const int SchemaVersion = 1;

    private PostgreSqlDatabase(NpgsqlDataSource dataSource, string schema, bool commitFlushes)
    {
        DataSource = dataSource;
        Schema = schema;
        CommitFlushes = commitFlushes;
    }

    /// <summary>The connection pool.</summary>
    public NpgsqlDataSource DataSource { get; }

    /// <summary>The PostgreSQL schema (namespace) holding the tables.</summary>
    public string Schema { get; }

    /// <summary>
    /// Whether a commit waits for the server's WAL flush (<c>synchronous_commit</c> is not <c>off</c>). When false,
    /// the server itself may lose acknowledged transactions on a crash, and the journal counts no fsyncs.
    /// </summary>
    public bool CommitFlushes { get; }

    /// <summary>Connects, then creates or checks the schema.</summary>
    /// <param name="connectionString">An Npgsql connection string.</param>
    /// <param name="schema">A lower-case SQL identifier: letters, digits, underscores, starting with a letter or underscore.</param>
    /// <param name="cancellationToken">Cancels connecting and schema creation.</param>
    /// <exception cref="ArgumentException">The schema name is not a plain identifier.</exception>
    /// <exception cref="PersistenceSchemaException">The schema has a version newer than <see cref="SchemaVersion"/>.</exception>
    /// <exception cref="NpgsqlException">The server cannot be reached or refuses the login.</exception>
    public static async Task<PostgreSqlDatabase> OpenAsync(string connectionString, string schema, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(connectionString);
        if (!IdentifierPattern().IsMatch(schema))
        {
            throw new ArgumentException(
                $"The PostgreSQL schema name '{schema}' must be a lower-case identifier of at most 63 letters, digits and underscores.", nameof(schema));
        }

        var dataSource = NpgsqlDataSource.Create(connectionString);
        try
        {
            var commitFlushes = await CreateOrCheckSchemaAsync(dataSource, schema, cancellationToken).ConfigureAwait(false);
            return new PostgreSqlDatabase(dataSource, schema, commitFlushes);
        }
        catch
        {
            await dataSource.DisposeAsync().ConfigureAwait(false);
            throw;
        }
    }

    /// <summary>Closes the pool.</summary>
    public ValueTask DisposeAsync() => DataSource.DisposeAsync();

    private static async Task<bool> CreateOrCheckSchemaAsync(NpgsqlDataSource dataSource, string schema, CancellationToken cancellationToken)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken).ConfigureAwait(false);
        await ExecuteAsync(connection, transaction, $"SELECT pg_advisory_xact_lock(hashtext('akkaraft.persistence.{schema}'));", cancellationToken)
            .ConfigureAwait(false);
        await ExecuteAsync(connection, transaction, $"""
            CREATE SCHEMA IF NOT EXISTS {schema};
            CREATE TABLE IF NOT EXISTS {schema}.schema_version (version integer NOT NULL, applied_at timestamptz NOT NULL DEFAULT now());
            """, cancellationToken).ConfigureAwait(false);
        int? version;
        await using (var read = new NpgsqlCommand($"SELECT MAX(version) FROM {schema}.schema_version;", connection, transaction))
        {
            version = await read.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false) is int v ? v : null;
        }

        if (version is null)
        {
            await ExecuteAsync(connection, transaction, $"""
                CREATE TABLE {schema}.journal (
                    persistence_id text NOT NULL,
                    sequence_nr bigint NOT NULL,
                    serializer_id integer NOT NULL,
                    manifest text NOT NULL,
                    payload bytea NOT NULL,
                    crc32c bigint NOT NULL,
                    PRIMARY KEY (persistence_id, sequence_nr)
                );
                CREATE TABLE {schema}.journal_deletions (
                    persistence_id text NOT NULL PRIMARY KEY,
                    deleted_to bigint NOT NULL
                );
                CREATE TABLE {schema}.snapshots (
                    persistence_id text NOT NULL,
                    sequence_nr bigint NOT NULL,
                    created_at_unix_ms bigint NOT NULL,
                    serializer_id integer NOT NULL,
                    manifest text NOT NULL,
                    payload bytea NOT NULL,
                    crc32c bigint NOT NULL,
                    PRIMARY KEY (persistence_id, sequence_nr)
                );
                INSERT INTO {schema}.schema_version (version) VALUES ({SchemaVersion});
                """, cancellationToken).ConfigureAwait(false);
        }
        else if (version > SchemaVersion)
        {
            throw new PersistenceSchemaException(
                $"The PostgreSQL schema '{schema}' has persistence schema version {version}, but this AkkaRaft reads only version {SchemaVersion} and older; it was written by a newer AkkaRaft. Upgrade AkkaRaft, or configure another schema. Nothing was changed.");
        }
        else if (version < 1)
        {
            throw new PersistenceSchemaException(
                $"The PostgreSQL schema '{schema}' records persistence schema version {version}, which never existed; it is damaged or not AkkaRaft's.");
        }

        string synchronousCommit;
        await using (var show = new NpgsqlCommand("SHOW synchronous_commit;", connection, transaction))
        {
            synchronousCommit = (string)(await show.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false))!;
        }

        await transaction.CommitAsync(cancellationToken).ConfigureAwait(false);
        return !string.Equals(synchronousCommit, "off", StringComparison.OrdinalIgnoreCase);
    }

    internal static async Task ExecuteAsync(NpgsqlConnection connection, NpgsqlTransaction? transaction, string sql, CancellationToken cancellationToken)
    {
        await using var command = new NpgsqlCommand(sql, connection, transaction);
        await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
    }

    [GeneratedRegex("^[a-z_][a-z0-9_]{0,62}$")]
    private static partial Regex IdentifierPattern();
}
