using System.Data;
using System.Data.Common;
using System.Globalization;
using System.Runtime.CompilerServices;
using Akka.Persistence.Sql.Config;
using LinqToDB;
using LinqToDB.Common;
using LinqToDB.Interceptors;

namespace AkkaRaft.Raft.Tests.Persistence;

/// <summary>
/// Watches the connections and commands of Akka.Persistence.Sql without changing them: given to the test system as a
/// <see cref="DataOptionsSetup"/> built from the same provider and connection string that
/// <see cref="AkkaRaft.Raft.Persistence.RaftPersistence.AkkaConfig"/> puts in HOCON (the path Akka.Persistence.Sql
/// takes without a setup is <c>new DataOptions().UseConnectionString(provider, connectionString)</c>). It reads
/// <c>PRAGMA synchronous</c> and <c>journal_mode</c> on every SQLite connection the plugins open, and groups the
/// journal's INSERT statements by the transaction they run in.
/// </summary>
public sealed class SqlObserver : ICommandInterceptor
{
    private readonly Lock _gate = new();
    private readonly ConditionalWeakTable<DbTransaction, object> _transactionIds = new();
    private readonly List<(string Synchronous, string JournalMode)> _sqlitePragmas = [];
    private readonly List<(int Transaction, string Sql)> _journalInserts = [];
    private int _nextTransactionId;

    /// <summary>What each SQLite connection the plugins opened reported, in the order they were opened.</summary>
    public IReadOnlyList<(string Synchronous, string JournalMode)> SqlitePragmas
    {
        get
        {
            lock (_gate)
            {
                return [.. _sqlitePragmas];
            }
        }
    }

    /// <summary>Every INSERT into the journal table so far, with the id of its transaction (0 for none).</summary>
    public IReadOnlyList<(int Transaction, string Sql)> JournalInserts
    {
        get
        {
            lock (_gate)
            {
                return [.. _journalInserts];
            }
        }
    }

    /// <summary>The setup to give the ActorSystem.</summary>
    public DataOptionsSetup Setup(TestStorage storage) =>
        new(new DataOptions()
            .UseConnectionString(storage.Provider, storage.ConnectionString)
            .UseAfterConnectionOpened(Opened, (connection, _) =>
            {
                Opened(connection);
                return Task.CompletedTask;
            })
            .UseInterceptor(this));

    /// <summary>Forgets the INSERTs seen so far.</summary>
    public void ClearInserts()
    {
        lock (_gate)
        {
            _journalInserts.Clear();
        }
    }

    /// <inheritdoc />
    public DbCommand CommandInitialized(CommandEventData eventData, DbCommand command)
    {
        var sql = command.CommandText;
        if (sql.Contains("INSERT", StringComparison.OrdinalIgnoreCase) && IsJournalInsert(sql))
        {
            lock (_gate)
            {
                var transaction = command.Transaction is { } t
                    ? (int)_transactionIds.GetValue(t, _ => ++_nextTransactionId)
                    : 0;
                _journalInserts.Add((transaction, sql));
            }
        }

        return command;
    }

    /// <inheritdoc />
    public Option<object?> ExecuteScalar(CommandEventData eventData, DbCommand command, Option<object?> result) => result;

    /// <inheritdoc />
    public Task<Option<object?>> ExecuteScalarAsync(CommandEventData eventData, DbCommand command, Option<object?> result, CancellationToken cancellationToken) =>
        Task.FromResult(result);

    /// <inheritdoc />
    public Option<int> ExecuteNonQuery(CommandEventData eventData, DbCommand command, Option<int> result) => result;

    /// <inheritdoc />
    public Task<Option<int>> ExecuteNonQueryAsync(CommandEventData eventData, DbCommand command, Option<int> result, CancellationToken cancellationToken) =>
        Task.FromResult(result);

    /// <inheritdoc />
    public Option<DbDataReader> ExecuteReader(CommandEventData eventData, DbCommand command, CommandBehavior commandBehavior, Option<DbDataReader> result) => result;

    /// <inheritdoc />
    public Task<Option<DbDataReader>> ExecuteReaderAsync(
        CommandEventData eventData, DbCommand command, CommandBehavior commandBehavior, Option<DbDataReader> result, CancellationToken cancellationToken) =>
        Task.FromResult(result);

    /// <inheritdoc />
    public void AfterExecuteReader(CommandEventData eventData, DbCommand command, CommandBehavior commandBehavior, DbDataReader dataReader)
    {
    }

    /// <inheritdoc />
    public void BeforeReaderDispose(CommandEventData eventData, DbCommand? command, DbDataReader dataReader)
    {
    }

    /// <inheritdoc />
    public Task BeforeReaderDisposeAsync(CommandEventData eventData, DbCommand? command, DbDataReader dataReader) => Task.CompletedTask;

    // The journal table is "journal" (table-mapping = default), schema-qualified on PostgreSQL; linq2db quotes it.
    private static bool IsJournalInsert(string sql)
    {
        var into = sql.IndexOf("INTO", StringComparison.OrdinalIgnoreCase);
        if (into < 0)
        {
            return false;
        }

        var target = sql[(into + 4)..].TrimStart();
        var end = target.IndexOfAny([' ', '\n', '\r', '(']);
        var name = (end < 0 ? target : target[..end]).Replace("\"", "", StringComparison.Ordinal).Replace("[", "", StringComparison.Ordinal).Replace("]", "", StringComparison.Ordinal);
        return name == "journal" || name.EndsWith(".journal", StringComparison.Ordinal);
    }

    private void Opened(DbConnection connection)
    {
        if (connection is not Microsoft.Data.Sqlite.SqliteConnection)
        {
            return;
        }

        var synchronous = Scalar(connection, "PRAGMA synchronous;");
        var journalMode = Scalar(connection, "PRAGMA journal_mode;");
        lock (_gate)
        {
            _sqlitePragmas.Add((synchronous, journalMode));
        }
    }

    private static string Scalar(DbConnection connection, string sql)
    {
        using var command = connection.CreateCommand();
        command.CommandText = sql;
        return Convert.ToString(command.ExecuteScalar(), CultureInfo.InvariantCulture) ?? "";
    }
}
