using AkkaRaft.Persistence.Snapshots;

namespace AkkaRaft.Persistence;

/// <summary>Offered to the recovery handler first, when a snapshot was loaded: the state to start from.</summary>
/// <param name="Metadata">Which snapshot: persistence id, the sequence number it covers, when it was taken.</param>
/// <param name="Snapshot">The deserialized snapshot state.</param>
public sealed record SnapshotOffer(SnapshotMetadata Metadata, object Snapshot);

/// <summary>Sent to the recovery handler last, once every event was replayed; commands follow.</summary>
public sealed class RecoveryCompleted
{
    private RecoveryCompleted()
    {
    }

    /// <summary>The one instance.</summary>
    public static RecoveryCompleted Instance { get; } = new();

    /// <inheritdoc />
    public override string ToString() => "RecoveryCompleted";
}

/// <summary>How a persistent actor recovers: from which snapshot, up to which event, at most how many events.</summary>
/// <param name="FromSnapshot">Which snapshot to start from (<see cref="SnapshotSelectionCriteria.None"/>: replay every event).</param>
/// <param name="ToSequenceNr">The last sequence number to replay.</param>
/// <param name="ReplayMax">The most events to replay.</param>
public sealed record Recovery(SnapshotSelectionCriteria FromSnapshot, long ToSequenceNr = long.MaxValue, long ReplayMax = long.MaxValue)
{
    /// <summary>From the latest snapshot, then every later event: the normal recovery.</summary>
    public static Recovery Default { get; } = new(SnapshotSelectionCriteria.Latest);

    /// <summary>No snapshot and no event: the actor starts empty (its sequence numbers still continue after the stored ones).</summary>
    public static Recovery None { get; } = new(SnapshotSelectionCriteria.None, 0, 0);
}

/// <summary>Sent to the actor when a snapshot was saved durably.</summary>
/// <param name="Metadata">The saved snapshot.</param>
public sealed record SaveSnapshotSuccess(SnapshotMetadata Metadata);

/// <summary>Sent to the actor when a snapshot could not be saved (nothing was stored).</summary>
/// <param name="Metadata">The snapshot that was not saved.</param>
/// <param name="Cause">Why.</param>
public sealed record SaveSnapshotFailure(SnapshotMetadata Metadata, Exception Cause);

/// <summary>Sent to the actor when its events up to <paramref name="ToSequenceNr"/> were deleted.</summary>
/// <param name="ToSequenceNr">The sequence number the deletion went up to (inclusive).</param>
public sealed record DeleteMessagesSuccess(long ToSequenceNr);

/// <summary>Sent to the actor when deleting its events failed.</summary>
/// <param name="Cause">Why.</param>
/// <param name="ToSequenceNr">The sequence number the deletion should have gone up to.</param>
public sealed record DeleteMessagesFailure(Exception Cause, long ToSequenceNr);

/// <summary>Sent to the actor when one snapshot was deleted.</summary>
/// <param name="Metadata">The deleted snapshot.</param>
public sealed record DeleteSnapshotSuccess(SnapshotMetadata Metadata);

/// <summary>Sent to the actor when deleting one snapshot failed.</summary>
/// <param name="Metadata">The snapshot that was to be deleted.</param>
/// <param name="Cause">Why.</param>
public sealed record DeleteSnapshotFailure(SnapshotMetadata Metadata, Exception Cause);

/// <summary>Sent to the actor when the snapshots matching <paramref name="Criteria"/> were deleted.</summary>
/// <param name="Criteria">What was deleted.</param>
public sealed record DeleteSnapshotsSuccess(SnapshotSelectionCriteria Criteria);

/// <summary>Sent to the actor when deleting snapshots failed.</summary>
/// <param name="Criteria">What was to be deleted.</param>
/// <param name="Cause">Why.</param>
public sealed record DeleteSnapshotsFailure(SnapshotSelectionCriteria Criteria, Exception Cause);

/// <summary>
/// A persistent actor could not recover: the message names the persistence id and the sequence number (the event or
/// snapshot) where recovery stopped. The actor is stopped.
/// </summary>
public sealed class RecoveryFailedException : Exception
{
    /// <summary>Creates the exception.</summary>
    public RecoveryFailedException(string persistenceId, long sequenceNr, Exception cause)
        : base($"Recovery of persistence id '{persistenceId}' failed at sequence number {sequenceNr}: {cause.Message}", cause)
    {
        PersistenceId = persistenceId;
        SequenceNr = sequenceNr;
    }

    /// <summary>The persistence id of the actor that failed to recover.</summary>
    public string PersistenceId { get; }

    /// <summary>The sequence number of the event (or snapshot) where recovery stopped.</summary>
    public long SequenceNr { get; }
}

/// <summary>An event could not be made durable; the actor is stopped and no handler of the write ran.</summary>
public sealed class PersistFailedException : Exception
{
    /// <summary>Creates the exception.</summary>
    public PersistFailedException(string persistenceId, long sequenceNr, Type eventType, Exception cause)
        : base($"Persisting {eventType.Name} at sequence number {sequenceNr} for persistence id '{persistenceId}' failed: {cause.Message}", cause)
    {
        PersistenceId = persistenceId;
        SequenceNr = sequenceNr;
    }

    /// <summary>The persistence id of the actor.</summary>
    public string PersistenceId { get; }

    /// <summary>The sequence number of the first event of the failed write.</summary>
    public long SequenceNr { get; }
}
