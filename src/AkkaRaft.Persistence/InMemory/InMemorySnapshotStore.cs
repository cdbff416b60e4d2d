using AkkaRaft.Actors.Serialization;
using AkkaRaft.Persistence.Snapshots;

namespace AkkaRaft.Persistence.InMemory;

/// <summary>
/// A snapshot store in memory (plugin id <c>inmem</c>) over an <see cref="InMemoryStore"/>, whose fsync switch decides
/// what a simulated crash keeps. Every call completes synchronously.
/// </summary>
public sealed class InMemorySnapshotStore : ISnapshotStore
{
    private readonly InMemoryStore _store;

    /// <summary>A snapshot store over <paramref name="store"/> (a fresh fsyncing store when null).</summary>
    public InMemorySnapshotStore(InMemoryStore? store = null)
    {
        _store = store ?? new InMemoryStore();
    }

    /// <summary>The simulated disk this store writes to.</summary>
    public InMemoryStore Store => _store;

    /// <inheritdoc />
    public string PluginId => InMemoryJournal.Id;

    /// <inheritdoc />
    public ValueTask SaveAsync(SnapshotMetadata metadata, SerializedMessage snapshot, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(metadata);
        _store.SaveSnapshot(metadata, snapshot);
        return ValueTask.CompletedTask;
    }

    /// <inheritdoc />
    public ValueTask<SelectedSnapshot?> LoadAsync(
        string persistenceId, SnapshotSelectionCriteria criteria, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(persistenceId);
        ArgumentNullException.ThrowIfNull(criteria);
        try
        {
            return ValueTask.FromResult(_store.LoadSnapshot(persistenceId, criteria));
        }
        catch (SnapshotCorruptedException e)
        {
            return ValueTask.FromException<SelectedSnapshot?>(e);
        }
    }

    /// <inheritdoc />
    public ValueTask DeleteAsync(SnapshotMetadata metadata, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(metadata);
        _store.DeleteSnapshots(metadata.PersistenceId, m => m.SequenceNr == metadata.SequenceNr);
        return ValueTask.CompletedTask;
    }

    /// <inheritdoc />
    public ValueTask DeleteAsync(string persistenceId, SnapshotSelectionCriteria criteria, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(persistenceId);
        ArgumentNullException.ThrowIfNull(criteria);
        _store.DeleteSnapshots(persistenceId, criteria.Matches);
        return ValueTask.CompletedTask;
    }

    /// <summary>Nothing to release: the data belongs to the <see cref="InMemoryStore"/>.</summary>
    public ValueTask DisposeAsync() => ValueTask.CompletedTask;
}
