using AkkaRaft.Persistence.InMemory;
using AkkaRaft.Persistence.Journal;
using AkkaRaft.Persistence.Snapshots;
using AkkaRaft.Persistence.Sql.PostgreSql;
using AkkaRaft.Persistence.Sql.Sqlite;

namespace AkkaRaft.Persistence.Sql;

/// <summary>
/// The plugins of one node, chosen by <see cref="PersistenceSettings"/>: <c>sqlite</c> (one database file under the
/// node's data directory), <c>postgresql</c> (the configured server and schema) and <c>inmem</c>. A plugin is opened on
/// first use (so an unused PostgreSQL server is never contacted) and shared afterwards. Thread-safe.
/// </summary>
public sealed class PersistencePlugins : IPersistencePlugins
{
    private readonly PersistenceSettings _settings;
    private readonly string _dataDirectory;
    private readonly SemaphoreSlim _gate = new(1, 1);
    private readonly Dictionary<string, IJournal> _journals = new(StringComparer.Ordinal);
    private readonly Dictionary<string, ISnapshotStore> _snapshotStores = new(StringComparer.Ordinal);
    private SqliteDatabase? _sqlite;
    private PostgreSqlDatabase? _postgreSql;
    private bool _disposed;

    /// <summary>Plugins for a node whose data directory is <paramref name="dataDirectory"/>.</summary>
    /// <param name="settings">The persistence settings.</param>
    /// <param name="dataDirectory">The node's data directory (<c>akkaraft.node.data-dir</c>).</param>
    /// <param name="inMemoryStore">The store of the <c>inmem</c> plugins; a fresh one (with the configured fsync switch) when null.</param>
    public PersistencePlugins(PersistenceSettings settings, string dataDirectory, InMemoryStore? inMemoryStore = null)
    {
        ArgumentNullException.ThrowIfNull(settings);
        ArgumentException.ThrowIfNullOrEmpty(dataDirectory);
        _settings = settings;
        _dataDirectory = dataDirectory;
        InMemoryStore = inMemoryStore ?? new InMemoryStore(settings.InMemoryFsync);
    }

    /// <summary>The simulated disk of the <c>inmem</c> plugins.</summary>
    public InMemoryStore InMemoryStore { get; }

    /// <summary>The settings the plugins were chosen by.</summary>
    public PersistenceSettings Settings => _settings;

    /// <inheritdoc />
    public async ValueTask<IJournal> GetJournalAsync(string? pluginId = null, CancellationToken cancellationToken = default)
    {
        var id = pluginId ?? _settings.JournalPlugin;
        await _gate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            if (_journals.TryGetValue(id, out var existing))
            {
                return existing;
            }

            IJournal journal = id switch
            {
                PersistenceSettings.SqlitePluginId => new SqliteJournal(OpenSqlite(), _settings.GroupCommit),
                PersistenceSettings.PostgreSqlPluginId => new PostgreSqlJournal(await OpenPostgreSqlAsync(cancellationToken).ConfigureAwait(false), _settings.GroupCommit),
                PersistenceSettings.InMemoryPluginId => new InMemoryJournal(InMemoryStore),
                _ => throw UnknownPlugin(id),
            };
            _journals.Add(id, journal);
            return journal;
        }
        finally
        {
            _gate.Release();
        }
    }

    /// <inheritdoc />
    public async ValueTask<ISnapshotStore> GetSnapshotStoreAsync(string? pluginId = null, CancellationToken cancellationToken = default)
    {
        var id = pluginId ?? _settings.SnapshotStorePlugin;
        await _gate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            if (_snapshotStores.TryGetValue(id, out var existing))
            {
                return existing;
            }

            ISnapshotStore store = id switch
            {
                PersistenceSettings.SqlitePluginId => new SqliteSnapshotStore(OpenSqlite()),
                PersistenceSettings.PostgreSqlPluginId => new PostgreSqlSnapshotStore(await OpenPostgreSqlAsync(cancellationToken).ConfigureAwait(false)),
                PersistenceSettings.InMemoryPluginId => new InMemorySnapshotStore(InMemoryStore),
                _ => throw UnknownPlugin(id),
            };
            _snapshotStores.Add(id, store);
            return store;
        }
        finally
        {
            _gate.Release();
        }
    }

    /// <summary>Lets pending journal writes finish, then closes every opened plugin and database.</summary>
    public async ValueTask DisposeAsync()
    {
        await _gate.WaitAsync().ConfigureAwait(false);
        try
        {
            if (_disposed)
            {
                return;
            }

            _disposed = true;
            foreach (var journal in _journals.Values)
            {
                await journal.DisposeAsync().ConfigureAwait(false);
            }

            foreach (var store in _snapshotStores.Values)
            {
                await store.DisposeAsync().ConfigureAwait(false);
            }

            _sqlite?.ReleasePooledConnections();
            if (_postgreSql is not null)
            {
                await _postgreSql.DisposeAsync().ConfigureAwait(false);
            }
        }
        finally
        {
            _gate.Release();
        }
    }

    private SqliteDatabase OpenSqlite() =>
        _sqlite ??= SqliteDatabase.Open(_settings.SqliteFilePath(_dataDirectory), _settings.SqliteBusyTimeout);

    private async ValueTask<PostgreSqlDatabase> OpenPostgreSqlAsync(CancellationToken cancellationToken) =>
        _postgreSql ??= await PostgreSqlDatabase.OpenAsync(_settings.PostgreSqlConnectionString, _settings.PostgreSqlSchema, cancellationToken)
            .ConfigureAwait(false);

    private static ArgumentException UnknownPlugin(string id) =>
        new($"No persistence plugin is called '{id}'; the plugins are {string.Join(", ", PersistenceSettings.PluginIds)}.", nameof(id));
}
