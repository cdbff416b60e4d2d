using AkkaRaft.Actors.Serialization;
using AkkaRaft.Persistence.Snapshots;

namespace AkkaRaft.Persistence;

public abstract partial class PersistentActor
{
    /// <summary>
    /// Saves <paramref name="snapshot"/> as the state at <see cref="LastSequenceNr"/>; replies
    /// <see cref="SaveSnapshotSuccess"/> or <see cref="SaveSnapshotFailure"/> to this actor. Commands are not held meanwhile.
    /// </summary>
    protected void SaveSnapshot(object snapshot)
    {
        ArgumentNullException.ThrowIfNull(snapshot);
        var store = SnapshotStore;
        var extension = Extension;
        var metadata = SnapshotMetadata.Create(PersistenceId, LastSequenceNr, Context.System.Clock.UtcNow);
        var self = Self;
        SerializedMessage serialized;
        try
        {
            serialized = extension.Serialization.Serialize(snapshot);
            if (serialized.Payload.Length > extension.Settings.MaxSnapshotBytes)
            {
                throw new SerializationException(
                    $"{snapshot.GetType().Name} serializes to {serialized.Payload.Length} bytes, more than akkaraft.persistence.snapshot-store.max-snapshot-bytes ({extension.Settings.MaxSnapshotBytes}).");
            }
        }
        catch (SerializationException e)
        {
            self.Tell(new SaveSnapshotFailure(metadata, e), self);
            return;
        }

        _ = SaveAsync();

        async Task SaveAsync()
        {
            try
            {
                await store.SaveAsync(metadata, serialized).ConfigureAwait(false);
                self.Tell(new SaveSnapshotSuccess(metadata), self);
            }
            catch (Exception e)
            {
                self.Tell(new SaveSnapshotFailure(metadata, e), self);
            }
        }
    }

    /// <summary>Deletes the snapshot at <paramref name="sequenceNr"/>; replies <see cref="DeleteSnapshotSuccess"/> or <see cref="DeleteSnapshotFailure"/>.</summary>
    protected void DeleteSnapshot(long sequenceNr)
    {
        var store = SnapshotStore;
        var metadata = new SnapshotMetadata(PersistenceId, sequenceNr, DateTimeOffset.MinValue);
        var self = Self;
        _ = DeleteAsync();

        async Task DeleteAsync()
        {
            try
            {
                await store.DeleteAsync(metadata).ConfigureAwait(false);
                self.Tell(new DeleteSnapshotSuccess(metadata), self);
            }
            catch (Exception e)
            {
                self.Tell(new DeleteSnapshotFailure(metadata, e), self);
            }
        }
    }

    /// <summary>Deletes every snapshot matching <paramref name="criteria"/>; replies <see cref="DeleteSnapshotsSuccess"/> or <see cref="DeleteSnapshotsFailure"/>.</summary>
    protected void DeleteSnapshots(SnapshotSelectionCriteria criteria)
    {
        ArgumentNullException.ThrowIfNull(criteria);
        var store = SnapshotStore;
        var persistenceId = PersistenceId;
        var self = Self;
        _ = DeleteAsync();

        async Task DeleteAsync()
        {
            try
            {
                await store.DeleteAsync(persistenceId, criteria).ConfigureAwait(false);
                self.Tell(new DeleteSnapshotsSuccess(criteria), self);
            }
            catch (Exception e)
            {
                self.Tell(new DeleteSnapshotsFailure(criteria, e), self);
            }
        }
    }
}
