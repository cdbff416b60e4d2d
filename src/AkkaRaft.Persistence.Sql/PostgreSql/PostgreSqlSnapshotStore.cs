using AkkaRaft.Actors.Serialization;
using AkkaRaft.Persistence.Snapshots;
using Npgsql;

namespace AkkaRaft.Persistence.Sql.PostgreSql;

/// <summary>
/// The PostgreSQL snapshot store (plugin id <c>postgresql</c>), in the same schema as the journal. Saving again at the
/// same sequence number replaces the snapshot.
/// </summary>
public sealed class PostgreSqlSnapshotStore : ISnapshotStore
{
    private readonly PostgreSqlDatabase _database;
    private readonly string _saveSql;
    private readonly string _loadSql;
    private readonly string _deleteOneSql;
    private readonly string _deleteMatchingSql;

    /// <summary>A snapshot store in <paramref name="database"/>.</summary>
    public PostgreSqlSnapshotStore(PostgreSqlDatabase database)
    {
        _database = database ?? throw new ArgumentNullException(nameof(database));
        var s = database.Schema;
        _saveSql = $"""
            INSERT INTO {s}.snapshots (persistence_id, sequence_nr, created_at_unix_ms, serializer_id, manifest, payload, crc32c)
            VALUES (@pid, @seq, @ts, @ser, @manifest, @payload, @crc)
            ON CONFLICT (persistence_id, sequence_nr) DO UPDATE SET
                created_at_unix_ms = excluded.created_at_unix_ms, serializer_id = excluded.serializer_id,
                manifest = excluded.manifest, payload = excluded.payload, crc32c = excluded.crc32c;
            """;
        const string matching = """
            persistence_id = @pid AND sequence_nr BETWEEN @minSeq AND @maxSeq AND created_at_unix_ms BETWEEN @minTs AND @maxTs
            """;
        _loadSql = $"""
            SELECT sequence_nr, created_at_unix_ms, serializer_id, manifest, payload, crc32c FROM {s}.snapshots
            WHERE {matching} ORDER BY sequence_nr DESC LIMIT 1;
            """;
        _deleteOneSql = $"DELETE FROM {s}.snapshots WHERE persistence_id = @pid AND sequence_nr = @seq;";
        _deleteMatchingSql = $"DELETE FROM {s}.snapshots WHERE {matching};";
    }

    /// <inheritdoc />
    public string PluginId => PostgreSqlJournal.Id;

    /// <inheritdoc />
    public async ValueTask SaveAsync(SnapshotMetadata metadata, SerializedMessage snapshot, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(metadata);
        ArgumentException.ThrowIfNullOrEmpty(metadata.PersistenceId, nameof(metadata));
        var payload = snapshot.Payload.ToArray();
        var crc = Checksums.ForSnapshot(
            metadata.PersistenceId, metadata.SequenceNr, metadata.TimestampUnixMs, snapshot.SerializerId, snapshot.Manifest, payload);
        await using var command = _database.DataSource.CreateCommand(_saveSql);
        command.Parameters.AddWithValue("pid", metadata.PersistenceId);
        command.Parameters.AddWithValue("seq", metadata.SequenceNr);
        command.Parameters.AddWithValue("ts", metadata.TimestampUnixMs);
        command.Parameters.AddWithValue("ser", snapshot.SerializerId);
        command.Parameters.AddWithValue("manifest", snapshot.Manifest);
        command.Parameters.AddWithValue("payload", payload);
        command.Parameters.AddWithValue("crc", (long)crc);
        await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
    }

    /// <inheritdoc />
    public async ValueTask<SelectedSnapshot?> LoadAsync(
        string persistenceId, SnapshotSelectionCriteria criteria, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(persistenceId);
        ArgumentNullException.ThrowIfNull(criteria);
        await using var command = _database.DataSource.CreateCommand(_loadSql);
        AddCriteria(command, persistenceId, criteria);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        if (!await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
        {
            return null;
        }

        var sequenceNr = reader.GetInt64(0);
        var timestamp = reader.GetInt64(1);
        var serializerId = reader.GetInt32(2);
        var manifest = reader.GetString(3);
        var payload = reader.GetFieldValue<byte[]>(4);
        return Checksums.VerifiedSnapshot(PluginId, persistenceId, sequenceNr, timestamp, serializerId, manifest, payload, reader.GetInt64(5));
    }

    /// <inheritdoc />
    public async ValueTask DeleteAsync(SnapshotMetadata metadata, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(metadata);
        await using var command = _database.DataSource.CreateCommand(_deleteOneSql);
        command.Parameters.AddWithValue("pid", metadata.PersistenceId);
        command.Parameters.AddWithValue("seq", metadata.SequenceNr);
        await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
    }

    /// <inheritdoc />
    public async ValueTask DeleteAsync(string persistenceId, SnapshotSelectionCriteria criteria, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(persistenceId);
        ArgumentNullException.ThrowIfNull(criteria);
        await using var command = _database.DataSource.CreateCommand(_deleteMatchingSql);
        AddCriteria(command, persistenceId, criteria);
        await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Nothing to release: the <see cref="PostgreSqlDatabase"/> owns the connection pool.</summary>
    public ValueTask DisposeAsync() => ValueTask.CompletedTask;

    private static void AddCriteria(NpgsqlCommand command, string persistenceId, SnapshotSelectionCriteria criteria)
    {
        command.Parameters.AddWithValue("pid", persistenceId);
        command.Parameters.AddWithValue("minSeq", criteria.MinSequenceNr);
        command.Parameters.AddWithValue("maxSeq", criteria.MaxSequenceNr);
        command.Parameters.AddWithValue("minTs", criteria.MinTimestampUnixMs);
        command.Parameters.AddWithValue("maxTs", criteria.MaxTimestampUnixMs);
    }
}
