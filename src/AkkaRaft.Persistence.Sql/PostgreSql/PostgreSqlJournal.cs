using System.Runtime.CompilerServices;
using AkkaRaft.Actors.Serialization;
using AkkaRaft.Persistence.Journal;
using Npgsql;
using NpgsqlTypes;

namespace AkkaRaft.Persistence.Sql.PostgreSql;

/// <summary>
/// The PostgreSQL journal (plugin id <c>postgresql</c>). Writes go through group commit: each transaction inserts all
/// of its events with one statement (arrays unnested server-side) and commits once, which flushes the server's WAL
/// before any of its writers is told it succeeded.
/// </summary>
public sealed class PostgreSqlJournal : GroupCommitJournal
{
    /// <summary>The plugin id of the PostgreSQL journal.</summary>
    public const string Id = "postgresql";

    private const string UniqueViolation = "23505";

    private readonly PostgreSqlDatabase _database;
    private readonly string _insertSql;
    private readonly string _replaySql;
    private readonly string _highestSql;
    private readonly string _rememberDeletionSql;
    private readonly string _deleteSql;

    /// <summary>A journal in <paramref name="database"/>.</summary>
    public PostgreSqlJournal(PostgreSqlDatabase database, GroupCommitSettings settings)
        : base(Id, settings)
    {
        _database = database ?? throw new ArgumentNullException(nameof(database));
        var s = database.Schema;
        _insertSql = $"""
            INSERT INTO {s}.journal (persistence_id, sequence_nr, serializer_id, manifest, payload, crc32c)
            SELECT * FROM unnest(@pid, @seq, @ser, @manifest, @payload, @crc);
            """;
        _replaySql = $"""
            SELECT sequence_nr, serializer_id, manifest, payload, crc32c FROM {s}.journal
            WHERE persistence_id = @pid AND sequence_nr BETWEEN @from AND @to
            ORDER BY sequence_nr LIMIT @max;
            """;
        _highestSql = $"""
            SELECT GREATEST(
                (SELECT MAX(sequence_nr) FROM {s}.journal WHERE persistence_id = @pid),
                (SELECT deleted_to FROM {s}.journal_deletions WHERE persistence_id = @pid));
            """;
        _rememberDeletionSql = $"""
            INSERT INTO {s}.journal_deletions (persistence_id, deleted_to) VALUES (@pid, @to)
            ON CONFLICT (persistence_id) DO UPDATE SET deleted_to = GREATEST({s}.journal_deletions.deleted_to, excluded.deleted_to);
            """;
        _deleteSql = $"DELETE FROM {s}.journal WHERE persistence_id = @pid AND sequence_nr <= @to;";
    }

    /// <summary>The database this journal writes to.</summary>
    public PostgreSqlDatabase Database => _database;

    /// <inheritdoc />
    protected override bool CommitFlushes => _database.CommitFlushes;

    /// <inheritdoc />
    protected override async ValueTask CommitBatchAsync(IReadOnlyList<AtomicWrite> writes)
    {
        var count = 0;
        foreach (var write in writes)
        {
            count += write.Events.Count;
        }

        var persistenceIds = new string[count];
        var sequenceNrs = new long[count];
        var serializerIds = new int[count];
        var manifests = new string[count];
        var payloads = new byte[count][];
        var crcs = new long[count];
        var i = 0;
        foreach (var write in writes)
        {
            foreach (var e in write.Events)
            {
                persistenceIds[i] = e.PersistenceId;
                sequenceNrs[i] = e.SequenceNr;
                serializerIds[i] = e.Payload.SerializerId;
                manifests[i] = e.Payload.Manifest;
                payloads[i] = Payloads.AsExactArray(e.Payload.Payload);
                crcs[i] = Checksums.ForEvent(e.PersistenceId, e.SequenceNr, e.Payload.SerializerId, e.Payload.Manifest, payloads[i]);
                i++;
            }
        }

        await using var connection = await _database.DataSource.OpenConnectionAsync().ConfigureAwait(false);
        await using var transaction = await connection.BeginTransactionAsync().ConfigureAwait(false);
        await using var command = new NpgsqlCommand(_insertSql, connection, transaction);
        command.Parameters.Add(new NpgsqlParameter<string[]>("pid", NpgsqlDbType.Array | NpgsqlDbType.Text) { TypedValue = persistenceIds });
        command.Parameters.Add(new NpgsqlParameter<long[]>("seq", NpgsqlDbType.Array | NpgsqlDbType.Bigint) { TypedValue = sequenceNrs });
        command.Parameters.Add(new NpgsqlParameter<int[]>("ser", NpgsqlDbType.Array | NpgsqlDbType.Integer) { TypedValue = serializerIds });
        command.Parameters.Add(new NpgsqlParameter<string[]>("manifest", NpgsqlDbType.Array | NpgsqlDbType.Text) { TypedValue = manifests });
        command.Parameters.Add(new NpgsqlParameter<byte[][]>("payload", NpgsqlDbType.Array | NpgsqlDbType.Bytea) { TypedValue = payloads });
        command.Parameters.Add(new NpgsqlParameter<long[]>("crc", NpgsqlDbType.Array | NpgsqlDbType.Bigint) { TypedValue = crcs });
        try
        {
            await command.ExecuteNonQueryAsync().ConfigureAwait(false);
        }
        catch (PostgresException e) when (e.SqlState == UniqueViolation)
        {
            throw new JournalWriteException(
                $"The postgresql journal already holds a sequence number of {Describe(writes)}; nothing of the write was stored.", e);
        }

        // With synchronous_commit on (the default), the commit returns after the server flushed its WAL.
        await transaction.CommitAsync().ConfigureAwait(false);
    }

    /// <inheritdoc />
    public override async IAsyncEnumerable<PersistentEvent> ReplayAsync(
        string persistenceId, long fromSequenceNr, long toSequenceNr, long max,
        [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(persistenceId);
        if (max <= 0 || fromSequenceNr > toSequenceNr)
        {
            yield break;
        }

        await using var connection = await _database.DataSource.OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
        await using var command = new NpgsqlCommand(_replaySql, connection);
        command.Parameters.AddWithValue("pid", persistenceId);
        command.Parameters.AddWithValue("from", fromSequenceNr);
        command.Parameters.AddWithValue("to", toSequenceNr);
        command.Parameters.AddWithValue("max", max);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
        {
            yield return ReadEvent(reader, persistenceId);
        }
    }

    /// <inheritdoc />
    public override async ValueTask<long> ReadHighestSequenceNrAsync(string persistenceId, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(persistenceId);
        await using var connection = await _database.DataSource.OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
        return await ReadHighestAsync(connection, null, persistenceId, cancellationToken).ConfigureAwait(false);
    }

    /// <inheritdoc />
    public override async ValueTask DeleteMessagesToAsync(string persistenceId, long toSequenceNr, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(persistenceId);
        await using var connection = await _database.DataSource.OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken).ConfigureAwait(false);
        var highest = await ReadHighestAsync(connection, transaction, persistenceId, cancellationToken).ConfigureAwait(false);
        await using (var remember = new NpgsqlCommand(_rememberDeletionSql, connection, transaction))
        {
            // Remember how far events were deleted, so the highest sequence number survives deleting all of them.
            remember.Parameters.AddWithValue("pid", persistenceId);
            remember.Parameters.AddWithValue("to", Math.Min(toSequenceNr, highest));
            await remember.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
        }

        await using (var delete = new NpgsqlCommand(_deleteSql, connection, transaction))
        {
            delete.Parameters.AddWithValue("pid", persistenceId);
            delete.Parameters.AddWithValue("to", toSequenceNr);
            await delete.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
        }

        await transaction.CommitAsync(cancellationToken).ConfigureAwait(false);
    }

    /// <inheritdoc />
    protected override ValueTask DisposeCoreAsync() => ValueTask.CompletedTask;

    private async Task<long> ReadHighestAsync(
        NpgsqlConnection connection, NpgsqlTransaction? transaction, string persistenceId, CancellationToken cancellationToken)
    {
        await using var command = new NpgsqlCommand(_highestSql, connection, transaction);
        command.Parameters.AddWithValue("pid", persistenceId);
        return await command.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false) is long highest ? highest : 0;
    }

    private static PersistentEvent ReadEvent(NpgsqlDataReader reader, string persistenceId)
    {
        var sequenceNr = reader.GetInt64(0);
        var serializerId = reader.GetInt32(1);
        var manifest = reader.GetString(2);
        var payload = reader.GetFieldValue<byte[]>(3);
        return Checksums.VerifiedEvent(Id, persistenceId, sequenceNr, serializerId, manifest, payload, reader.GetInt64(4));
    }

    private static string Describe(IReadOnlyList<AtomicWrite> writes) => writes.Count == 1
        ? $"persistence id '{writes[0].PersistenceId}' in [{writes[0].LowestSequenceNr}, {writes[0].HighestSequenceNr}]"
        : $"one of {writes.Count} atomic writes (persistence ids {string.Join(", ", writes.Select(w => $"'{w.PersistenceId}'").Distinct().Take(5))}{(writes.Count > 5 ? ", ..." : "")})";
}
