using System.Runtime.CompilerServices;
using AkkaRaft.Actors.Serialization;
using AkkaRaft.Persistence.Journal;
using Microsoft.Data.Sqlite;

namespace AkkaRaft.Persistence.Sql.Sqlite;

/// <summary>
/// The SQLite journal (plugin id <c>sqlite</c>), the embedded default. Writes go through group commit on one
/// dedicated connection: each transaction is committed with <c>synchronous=FULL</c> (one fsync of the WAL) before any of
/// its writers is told it succeeded. Replays read on their own pooled connections, concurrently with writing.
/// </summary>
public sealed class SqliteJournal : GroupCommitJournal
{
    /// <summary>The plugin id of the SQLite journal.</summary>
    public const string Id = "sqlite";

    private const int SqliteConstraint = 19;

    private readonly SqliteDatabase _database;
    private readonly SqliteConnection _writer;
    private readonly SqliteCommand _insert;
    private readonly SqliteParameter _persistenceId;
    private readonly SqliteParameter _sequenceNr;
    private readonly SqliteParameter _serializerId;
    private readonly SqliteParameter _manifest;
    private readonly SqliteParameter _payload;
    private readonly SqliteParameter _crc;

    /// <summary>A journal in <paramref name="database"/>.</summary>
    public SqliteJournal(SqliteDatabase database, GroupCommitSettings settings)
        : base(Id, settings)
    {
        _database = database ?? throw new ArgumentNullException(nameof(database));
        _writer = database.OpenConnection();
        _insert = _writer.CreateCommand();
        _insert.CommandText = """
            INSERT INTO journal (persistence_id, sequence_nr, serializer_id, manifest, payload, crc32c)
            VALUES ($pid, $seq, $ser, $manifest, $payload, $crc);
            """;
        _persistenceId = _insert.Parameters.Add("$pid", SqliteType.Text);
        _sequenceNr = _insert.Parameters.Add("$seq", SqliteType.Integer);
        _serializerId = _insert.Parameters.Add("$ser", SqliteType.Integer);
        _manifest = _insert.Parameters.Add("$manifest", SqliteType.Text);
        _payload = _insert.Parameters.Add("$payload", SqliteType.Blob);
        _crc = _insert.Parameters.Add("$crc", SqliteType.Integer);
    }

    /// <summary>The database this journal writes to.</summary>
    public SqliteDatabase Database => _database;

    /// <inheritdoc />
    protected override bool CommitFlushes => true;

    /// <inheritdoc />
    protected override ValueTask CommitBatchAsync(IReadOnlyList<AtomicWrite> writes)
    {
        using var transaction = _writer.BeginTransaction(deferred: false);
        _insert.Transaction = transaction;
        foreach (var write in writes)
        {
            foreach (var e in write.Events)
            {
                var payload = e.Payload.Payload;
                _persistenceId.Value = e.PersistenceId;
                _sequenceNr.Value = e.SequenceNr;
                _serializerId.Value = e.Payload.SerializerId;
                _manifest.Value = e.Payload.Manifest;
                _payload.Value = Payloads.AsExactArray(payload);
                _crc.Value = (long)Checksums.ForEvent(e.PersistenceId, e.SequenceNr, e.Payload.SerializerId, e.Payload.Manifest, payload.Span);
                try
                {
                    _insert.ExecuteNonQuery();
                }
                catch (SqliteException ex) when (ex.SqliteErrorCode == SqliteConstraint)
                {
                    throw new JournalWriteException(
                        $"The sqlite journal already holds sequence number {e.SequenceNr} of persistence id '{e.PersistenceId}'; nothing of the write was stored.", ex);
                }
            }
        }

        // With synchronous=FULL the commit returns only after the WAL is fsynced.
        transaction.Commit();
        return ValueTask.CompletedTask;
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

        await using var connection = _database.OpenConnection();
        await using var command = connection.CreateCommand();
        command.CommandText = """
            SELECT sequence_nr, serializer_id, manifest, payload, crc32c FROM journal
            WHERE persistence_id = $pid AND sequence_nr BETWEEN $from AND $to
            ORDER BY sequence_nr LIMIT $max;
            """;
        command.Parameters.AddWithValue("$pid", persistenceId);
        command.Parameters.AddWithValue("$from", fromSequenceNr);
        command.Parameters.AddWithValue("$to", toSequenceNr);
        command.Parameters.AddWithValue("$max", max);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
        {
            yield return ReadEvent(reader, persistenceId);
        }
    }

    /// <inheritdoc />
    public override ValueTask<long> ReadHighestSequenceNrAsync(string persistenceId, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(persistenceId);
        using var connection = _database.OpenConnection();
        return ValueTask.FromResult(ReadHighest(connection, null, persistenceId));
    }

    /// <inheritdoc />
    public override ValueTask DeleteMessagesToAsync(string persistenceId, long toSequenceNr, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(persistenceId);
        using var connection = _database.OpenConnection();
        using var transaction = connection.BeginTransaction(deferred: false);
        var highest = ReadHighest(connection, transaction, persistenceId);
        using (var remember = connection.CreateCommand())
        {
            // Remember how far events were deleted, so the highest sequence number survives deleting all of them.
            remember.Transaction = transaction;
            remember.CommandText = """
                INSERT INTO journal_deletions (persistence_id, deleted_to) VALUES ($pid, $to)
                ON CONFLICT (persistence_id) DO UPDATE SET deleted_to = MAX(deleted_to, excluded.deleted_to);
                """;
            remember.Parameters.AddWithValue("$pid", persistenceId);
            remember.Parameters.AddWithValue("$to", Math.Min(toSequenceNr, highest));
            remember.ExecuteNonQuery();
        }

        using (var delete = connection.CreateCommand())
        {
            delete.Transaction = transaction;
            delete.CommandText = "DELETE FROM journal WHERE persistence_id = $pid AND sequence_nr <= $to;";
            delete.Parameters.AddWithValue("$pid", persistenceId);
            delete.Parameters.AddWithValue("$to", toSequenceNr);
            delete.ExecuteNonQuery();
        }

        transaction.Commit();
        return ValueTask.CompletedTask;
    }

    /// <inheritdoc />
    protected override ValueTask DisposeCoreAsync()
    {
        _insert.Dispose();
        _writer.Dispose();
        return ValueTask.CompletedTask;
    }

    private static long ReadHighest(SqliteConnection connection, SqliteTransaction? transaction, string persistenceId)
    {
        using var command = connection.CreateCommand();
        command.Transaction = transaction;
        command.CommandText = """
            SELECT MAX(v) FROM (
                SELECT MAX(sequence_nr) AS v FROM journal WHERE persistence_id = $pid
                UNION ALL
                SELECT deleted_to AS v FROM journal_deletions WHERE persistence_id = $pid);
            """;
        command.Parameters.AddWithValue("$pid", persistenceId);
        return command.ExecuteScalar() is long highest ? highest : 0;
    }

    private static PersistentEvent ReadEvent(SqliteDataReader reader, string persistenceId)
    {
        var sequenceNr = reader.GetInt64(0);
        long stored;
        int serializerId;
        string manifest;
        byte[] payload;
        try
        {
            serializerId = reader.GetInt32(1);
            manifest = reader.GetString(2);
            payload = (byte[])reader.GetValue(3);
            stored = reader.GetInt64(4);
        }
        catch (Exception e) when (e is InvalidCastException or OverflowException or FormatException)
        {
            throw new JournalCorruptedException(Id, persistenceId, sequenceNr, $"a column does not hold what was written ({e.Message})", e);
        }

        return Checksums.VerifiedEvent(Id, persistenceId, sequenceNr, serializerId, manifest, payload, stored);
    }
}
