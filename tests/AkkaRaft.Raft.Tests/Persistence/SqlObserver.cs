using System.Data.Common;
using System.Diagnostics;
using System.Globalization;
using System.Runtime.CompilerServices;
using System.Text.RegularExpressions;
using Akka.Persistence.Sql.Config;
using LinqToDB;
using LinqToDB.Data;

namespace AkkaRaft.Raft.Tests.Persistence;

/// <summary>
/// Watches the connections and statements of Akka.Persistence.Sql without changing them: given to the test system as a
/// <see cref="MultiDataOptionsSetup"/> holding, for the journal and for the snapshot store, options built from the same
/// provider and connection string that <see cref="AkkaRaft.Raft.Persistence.RaftPersistence.AkkaConfig"/> puts in each
/// plugin's HOCON (the path Akka.Persistence.Sql takes without a setup is
/// <c>new DataOptions().UseConnectionString(provider, connectionString)</c>). It reads
/// <c>PRAGMA synchronous</c> and <c>journal_mode</c> on every SQLite connection the plugins open, and, from linq2db's
/// trace, numbers the transactions each data connection begins and notes the one each journal INSERT runs in.
/// (Transaction objects cannot be told apart by identity: Npgsql reuses one per physical connection.)
/// </summary>
public sealed partial class SqlObserver
{
    private readonly Lock _gate = new();
    private readonly ConditionalWeakTable<DataConnection, StrongBox<int>> _currentTransaction = new();
    private readonly List<(string Synchronous, string JournalMode)> _sqlitePragmas = [];
    private readonly List<(int Transaction, string Sql)> _journalInserts = [];
    private readonly HashSet<int> _committed = [];
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

    /// <summary>Every INSERT into the journal table so far, with the number of its transaction (0 for none).</summary>
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

    /// <summary>Whether the transaction with this number was committed.</summary>
    public bool Committed(int transaction)
    {
        lock (_gate)
        {
            return _committed.Contains(transaction);
        }
    }

    /// <summary>The setup to give the ActorSystem.</summary>
    public MultiDataOptionsSetup Setup(TestStorage storage)
    {
        var setup = new MultiDataOptionsSetup();
        setup.AddDataOptions(AkkaRaft.Raft.Persistence.RaftPersistence.JournalPluginId, Observed(storage.Provider, storage.ConnectionString));
        setup.AddDataOptions(AkkaRaft.Raft.Persistence.RaftPersistence.SnapshotPluginId, Observed(storage.Provider, storage.SnapshotConnectionString));
        return setup;
    }

    private DataOptions Observed(string provider, string connectionString) =>
        new DataOptions()
            .UseConnectionString(provider, connectionString)
            .UseAfterConnectionOpened(Opened, (connection, _) =>
            {
                Opened(connection);
                return Task.CompletedTask;
            })
            .UseTracing(TraceLevel.Verbose, Trace);

    /// <summary>Forgets the INSERTs seen so far.</summary>
    public void ClearInserts()
    {
        lock (_gate)
        {
            _journalInserts.Clear();
        }
    }

    private void Trace(TraceInfo info)
    {
        if (info.TraceInfoStep != TraceInfoStep.AfterExecute || info.DataConnection is not { } connection)
        {
            return;
        }

        lock (_gate)
        {
            var current = _currentTransaction.GetValue(connection, _ => new StrongBox<int>(0));
            switch (info.Operation)
            {
                case TraceOperation.BeginTransaction:
                    current.Value = ++_nextTransactionId;
                    break;
                case TraceOperation.CommitTransaction:
                    _committed.Add(current.Value);
                    current.Value = 0;
                    break;
                case TraceOperation.RollbackTransaction or TraceOperation.DisposeTransaction:
                    current.Value = 0;
                    break;
                case TraceOperation.ExecuteNonQuery or TraceOperation.ExecuteScalar or TraceOperation.ExecuteReader
                    when info.SqlText is { } sql && JournalInsert().IsMatch(sql):
                    _journalInserts.Add((current.Value, sql));
                    break;
            }
        }
    }

    // The journal table is "journal" (table-mapping = default), schema-qualified on PostgreSQL; linq2db quotes it.
    // SqlText starts with a comment naming the provider and the parameters' declarations.
    [GeneratedRegex(@"\bINSERT\s+INTO\s+(?:[\w""\[\]]+\.)?[""\[]?journal[""\]]?[\s(]", RegexOptions.IgnoreCase)]
    private static partial Regex JournalInsert();

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
