using AkkaRaft.Persistence.Journal;
using AkkaRaft.Persistence.Snapshots;

namespace AkkaRaft.Persistence;

/// <summary>
/// Where persistent actors get their journal and snapshot store: by plugin id, or the configured default when the
/// actor names none. Each plugin is opened once, on first use, and shared by every actor that uses it.
/// </summary>
public interface IPersistencePlugins : IAsyncDisposable
{
    /// <summary>The journal with <paramref name="pluginId"/>, or the configured default when null.</summary>
    /// <exception cref="ArgumentException">No plugin has that id.</exception>
    ValueTask<IJournal> GetJournalAsync(string? pluginId = null, CancellationToken cancellationToken = default);

    /// <summary>The snapshot store with <paramref name="pluginId"/>, or the configured default when null.</summary>
    /// <exception cref="ArgumentException">No plugin has that id.</exception>
    ValueTask<ISnapshotStore> GetSnapshotStoreAsync(string? pluginId = null, CancellationToken cancellationToken = default);
}
