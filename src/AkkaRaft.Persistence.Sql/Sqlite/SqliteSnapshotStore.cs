using AkkaRaft.Actors.Serialization;
using AkkaRaft.Persistence.Snapshots;
using Microsoft.Data.Sqlite;

namespace AkkaRaft.Persistence.Sql.Sqlite;

/// <summary>
/// The SQLite snapshot store (plugin id <c>sqlite</c>), in the same database file as the journal. Each save is one
/// transaction committed with <c>synchronous=FULL</c>; saving again at the same sequence number replaces the snapshot.
/// </summary>
public sealed class SqliteSnapshotStore : ISnapshotStore
{
    private readonly SqliteDatabase _database;

    /// <summary>A snapshot store in <paramref name="database"/>.</summary>
    public SqliteSnapshotStore(SqliteDatabase database)
    {
        _database = database ?? throw new ArgumentNullException(nameof(database));
    }

    /// <inheritdoc />
    public string PluginId => SqliteJournal.Id;

    /// <inheritdoc />
    public ValueTask SaveAsync(SnapshotMetadata metadata, SerializedMessage snapshot, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(metadata);
        ArgumentException.ThrowIfNullOrEmpty(metadata.PersistenceId, nameof(metadata));
        var payload = snapshot.Payload.ToArray();
        var crc = Checksums.ForSnapshot(
            metadata.PersistenceId, metadata.SequenceNr, metadata.TimestampUnixMs, snapshot.SerializerId, snapshot.Manifest, payload);
        using var connection = _database.OpenConnection();
        using var command = connection.CreateCommand();
        command.CommandText = """
            INSERT INTO snapshots (persistence_id, sequence_nr, created_at_unix_ms, serializer_id, manifest, payload, crc32c)
            VALUES ($pid, $seq, $ts, $ser, $manifest, $payload, $crc)
            ON CONFLICT (persistence_id, sequence_nr) DO UPDATE SET
                created_at_unix_ms = excluded.created_at_unix_ms, serializer_id = excluded.serializer_id,
                manifest = excluded.manifest, payload = excluded.payload, crc32c = excluded.crc32c;
            """;
        command.Parameters.AddWithValue("$pid", metadata.PersistenceId);
        command.Parameters.AddWithValue("$seq", metadata.SequenceNr);
        command.Parameters.AddWithValue("$ts", metadata.TimestampUnixMs);
        command.Parameters.AddWithValue("$ser", snapshot.SerializerId);
        command.Parameters.AddWithValue("$manifest", snapshot.Manifest);
        command.Parameters.AddWithValue("$payload", payload);
        command.Parameters.AddWithValue("$crc", (long)crc);
        command.ExecuteNonQuery();
        return ValueTask.CompletedTask;
    }

    /// <inheritdoc />
    public ValueTask<SelectedSnapshot?> LoadAsync(
        string persistenceId, SnapshotSelectionCriteria criteria, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(persistenceId);
        ArgumentNullException.ThrowIfNull(criteria);
        using var connection = _database.OpenConnection();
        using var command = connection.CreateCommand();
        command.CommandText = """
            SELECT sequence_nr, created_at_unix_ms, serializer_id, manifest, payload, crc32c FROM snapshots
            WHERE persistence_id = $pid AND sequence_nr BETWEEN $minSeq AND $maxSeq
              AND created_at_unix_ms BETWEEN $minTs AND $maxTs
            ORDER BY sequence_nr DESC LIMIT 1;
            """;
        AddCriteria(command, persistenceId, criteria);
        using var reader = command.ExecuteReader();
        if (!reader.Read())
        {
            return ValueTask.FromResult<SelectedSnapshot?>(null);
        }

        var sequenceNr = reader.GetInt64(0);
        long timestamp;
        int serializerId;
        string manifest;
        byte[] payload;
        long stored;
        try
        {
            timestamp = reader.GetInt64(1);
            serializerId = reader.GetInt32(2);
            manifest = reader.GetString(3);
            payload = (byte[])reader.GetValue(4);
            stored = reader.GetInt64(5);
        }
        catch (Exception e) when (e is InvalidCastException or OverflowException or FormatException)
        {
            throw new SnapshotCorruptedException(PluginId, persistenceId, sequenceNr, $"a column does not hold what was written ({e.Message})", e);
        }

        return ValueTask.FromResult<SelectedSnapshot?>(
            Checksums.VerifiedSnapshot(PluginId, persistenceId, sequenceNr, timestamp, serializerId, manifest, payload, stored));
    }

    /// <inheritdoc />
    public ValueTask DeleteAsync(SnapshotMetadata metadata, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(metadata);
        using var connection = _database.OpenConnection();
        using var command = connection.CreateCommand();
        command.CommandText = "DELETE FROM snapshots WHERE persistence_id = $pid AND sequence_nr = $seq;";
        command.Parameters.AddWithValue("$pid", metadata.PersistenceId);
        command.Parameters.AddWithValue("$seq", metadata.SequenceNr);
        command.ExecuteNonQuery();
        return ValueTask.CompletedTask;
    }

    /// <inheritdoc />
    public ValueTask DeleteAsync(string persistenceId, SnapshotSelectionCriteria criteria, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(persistenceId);
        ArgumentNullException.ThrowIfNull(criteria);
        using var connection = _database.OpenConnection();
        using var command = connection.CreateCommand();
        command.CommandText = """
            DELETE FROM snapshots
            WHERE persistence_id = $pid AND sequence_nr BETWEEN $minSeq AND $maxSeq
              AND created_at_unix_ms BETWEEN $minTs AND $maxTs;
            """;
        AddCriteria(command, persistenceId, criteria);
        command.ExecuteNonQuery();
        return ValueTask.CompletedTask;
    }

    /// <summary>Nothing to release: connections are pooled per database file.</summary>
    public ValueTask DisposeAsync() => ValueTask.CompletedTask;

    private static void AddCriteria(SqliteCommand command, string persistenceId, SnapshotSelectionCriteria criteria)
    {
        command.Parameters.AddWithValue("$pid", persistenceId);
        command.Parameters.AddWithValue("$minSeq", criteria.MinSequenceNr);
        command.Parameters.AddWithValue("$maxSeq", criteria.MaxSequenceNr);
        command.Parameters.AddWithValue("$minTs", criteria.MinTimestampUnixMs);
        command.Parameters.AddWithValue("$maxTs", criteria.MaxTimestampUnixMs);
    }
}
