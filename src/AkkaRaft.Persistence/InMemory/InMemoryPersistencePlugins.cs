using AkkaRaft.Persistence.Journal;
using AkkaRaft.Persistence.Snapshots;

namespace AkkaRaft.Persistence.InMemory;

/// <summary>
/// Plugins that are all in memory, over one <see cref="InMemoryStore"/> (one simulated disk): what tests and the
/// deterministic simulation give their persistent actors. Every plugin id resolves to the in-memory plugins.
/// </summary>
public sealed class InMemoryPersistencePlugins : IPersistencePlugins
{
    /// <summary>Plugins over <paramref name="store"/> (a fresh fsyncing store when null).</summary>
    public InMemoryPersistencePlugins(InMemoryStore? store = null)
    {
        Store = store ?? new InMemoryStore();
        Journal = new InMemoryJournal(Store);
        SnapshotStore = new InMemorySnapshotStore(Store);
    }

    /// <summary>The simulated disk.</summary>
    public InMemoryStore Store { get; }

    /// <summary>The journal every actor gets.</summary>
    public InMemoryJournal Journal { get; }

    /// <summary>The snapshot store every actor gets.</summary>
    public InMemorySnapshotStore SnapshotStore { get; }

    /// <inheritdoc />
    public ValueTask<IJournal> GetJournalAsync(string? pluginId = null, CancellationToken cancellationToken = default) =>
        ValueTask.FromResult<IJournal>(Journal);

    /// <inheritdoc />
    public ValueTask<ISnapshotStore> GetSnapshotStoreAsync(string? pluginId = null, CancellationToken cancellationToken = default) =>
        ValueTask.FromResult<ISnapshotStore>(SnapshotStore);

    /// <summary>Nothing to release: the data belongs to the <see cref="InMemoryStore"/>.</summary>
    public ValueTask DisposeAsync() => ValueTask.CompletedTask;
}
