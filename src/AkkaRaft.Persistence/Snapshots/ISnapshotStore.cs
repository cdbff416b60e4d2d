using AkkaRaft.Actors.Serialization;

namespace AkkaRaft.Persistence.Snapshots;

/// <summary>
/// A snapshot store plugin: durable snapshots of persistent actors' state, keyed by persistence id and sequence
/// number. Saving a snapshot at a sequence number that already has one replaces it. Every method is safe to call
/// concurrently and completes once its effect is durable.
/// </summary>
public interface ISnapshotStore : IAsyncDisposable
{
    /// <summary>The name the plugin is chosen by (<c>sqlite</c>, <c>postgresql</c>, <c>inmem</c>).</summary>
    string PluginId { get; }

    /// <summary>Stores <paramref name="snapshot"/> durably under <paramref name="metadata"/>.</summary>
    ValueTask SaveAsync(SnapshotMetadata metadata, SerializedMessage snapshot, CancellationToken cancellationToken = default);

    /// <summary>
    /// The matching snapshot of <paramref name="persistenceId"/> with the highest sequence number, or null when none
    /// matches. Its checksum is verified.
    /// </summary>
    /// <exception cref="SnapshotCorruptedException">The selected snapshot fails its checksum.</exception>
    ValueTask<SelectedSnapshot?> LoadAsync(string persistenceId, SnapshotSelectionCriteria criteria, CancellationToken cancellationToken = default);

    /// <summary>Deletes the snapshot at exactly <paramref name="metadata"/>'s persistence id and sequence number, if any.</summary>
    ValueTask DeleteAsync(SnapshotMetadata metadata, CancellationToken cancellationToken = default);

    /// <summary>Deletes every snapshot of <paramref name="persistenceId"/> that matches <paramref name="criteria"/>.</summary>
    ValueTask DeleteAsync(string persistenceId, SnapshotSelectionCriteria criteria, CancellationToken cancellationToken = default);
}

/// <summary>
/// A stored snapshot failed its checksum or could not be read. Recovery does not fall back to an older snapshot:
/// the events it covered may already be deleted, so doing so could silently lose state.
/// </summary>
public sealed class SnapshotCorruptedException : Exception
{
    /// <summary>Creates the exception for the snapshot of <paramref name="persistenceId"/> at <paramref name="sequenceNr"/>.</summary>
    public SnapshotCorruptedException(string pluginId, string persistenceId, long sequenceNr, string detail, Exception? innerException = null)
        : base($"The {pluginId} snapshot store holds a corrupted snapshot for persistence id '{persistenceId}' at sequence number {sequenceNr}: {detail}", innerException)
    {
        PersistenceId = persistenceId;
        SequenceNr = sequenceNr;
    }

    /// <summary>The persistence id of the corrupted snapshot.</summary>
    public string PersistenceId { get; }

    /// <summary>The sequence number of the corrupted snapshot.</summary>
    public long SequenceNr { get; }
}
