using AkkaRaft.Persistence.Journal;
using AkkaRaft.Persistence.Snapshots;

namespace AkkaRaft.Persistence;

public abstract partial class PersistentActor
{
    private void StartRecovery()
    {
        _phase = Phase.Recovering;
        _pending.Clear();
        _queued.Clear();
        _inFlight = null;
        LastSequenceNr = 0;
        _highestAssignedSequenceNr = 0;
        SnapshotSequenceNr = 0;

        // RunTask holds every user message in the mailbox until recovery has finished.
        RunTask(RecoverAsync);
    }

    private async Task RecoverAsync()
    {
        var persistenceId = PersistenceId;
        long failedAt = 0;
        object? failedEvent = null;
        try
        {
            var extension = Extension;
            _journal = await extension.Plugins.GetJournalAsync(JournalPluginId).ConfigureAwait(true);
            _snapshotStore = await extension.Plugins.GetSnapshotStoreAsync(SnapshotPluginId).ConfigureAwait(true);
            var recovery = Recovery;

            var snapshot = recovery.FromSnapshot == SnapshotSelectionCriteria.None
                ? null
                : await _snapshotStore.LoadAsync(persistenceId, recovery.FromSnapshot).ConfigureAwait(true);
            if (snapshot is not null)
            {
                failedAt = snapshot.Metadata.SequenceNr;
                var state = extension.Serialization.Deserialize(snapshot.Snapshot);
                LastSequenceNr = snapshot.Metadata.SequenceNr;
                SnapshotSequenceNr = snapshot.Metadata.SequenceNr;
                RecoverWith(new SnapshotOffer(snapshot.Metadata, state));
            }

            var highest = await _journal.ReadHighestSequenceNrAsync(persistenceId).ConfigureAwait(true);
            var to = Math.Min(recovery.ToSequenceNr, highest);
            await using (var events = _journal.ReplayAsync(persistenceId, LastSequenceNr + 1, to, recovery.ReplayMax).GetAsyncEnumerator())
            {
                var previous = 0L;
                while (true)
                {
                    failedAt = LastSequenceNr + 1;
                    if (!await events.MoveNextAsync().ConfigureAwait(true))
                    {
                        break;
                    }

                    var stored = events.Current;
                    failedAt = stored.SequenceNr;
                    if (previous != 0 && stored.SequenceNr != previous + 1)
                    {
                        // Deletion removes only a prefix, so a hole in the middle means lost events.
                        throw new JournalCorruptedException(
                            _journal.PluginId, persistenceId, previous + 1, $"the event is missing: {previous} is followed by {stored.SequenceNr}");
                    }

                    failedEvent = null;
                    var @event = extension.Serialization.Deserialize(stored.Payload);
                    failedEvent = @event;
                    LastSequenceNr = stored.SequenceNr;
                    RecoverWith(@event);
                    previous = stored.SequenceNr;
                }
            }

            // Continue numbering after everything ever written, even when recovery stopped early or events were deleted,
            // so that a new event never reuses a sequence number.
            LastSequenceNr = Math.Max(LastSequenceNr, highest);
            _highestAssignedSequenceNr = LastSequenceNr;
            failedEvent = null;
            failedAt = LastSequenceNr;
            _phase = Phase.CompletingRecovery;
            RecoverWith(RecoveryCompleted.Instance);
        }
        catch (Exception e)
        {
            var at = e switch
            {
                JournalCorruptedException corrupted => corrupted.SequenceNr,
                SnapshotCorruptedException corrupted => corrupted.SequenceNr,
                _ => failedAt,
            };
            var failure = new RecoveryFailedException(persistenceId, at, e);
            try
            {
                OnRecoveryFailure(failure, failedEvent);
            }
            finally
            {
                StopAfterFailure();
            }

            return;
        }

        // Events persisted by the RecoveryCompleted handler are written before any command is handled.
        _queued.AddRange(_pending);
        _pending.Clear();
        if (_queued.Count > 0)
        {
            await DrainAsync().ConfigureAwait(true);
            if (_phase is not Phase.Running)
            {
                return;
            }
        }

        _phase = Phase.Running;
        OnReplaySuccess();
    }

    private void RecoverWith(object message)
    {
        if (!ReceiveRecover(message) && message is not RecoveryCompleted and not SnapshotOffer)
        {
            Unhandled(message);
        }
    }
}
