using AkkaRaft.Actors;
using AkkaRaft.Persistence.Journal;
using AkkaRaft.Persistence.Snapshots;

namespace AkkaRaft.Persistence;

/// <summary>
/// An actor whose state is rebuilt from its journal: on start it is offered its latest snapshot, then every later
/// event (<see cref="ReceiveRecover"/>), then <see cref="RecoveryCompleted"/>; afterwards it handles commands
/// (<see cref="ReceiveCommand"/>) and records state changes with <see cref="Persist{TEvent}"/>.
/// <para>
/// Guarantees: an event handler runs only after the journal said the event is durable, and handlers run in the order
/// of the persist calls; commands that arrive while events of <c>Persist</c> are being written (or while recovering)
/// wait in the mailbox until the handlers ran, while <c>PersistAsync</c> lets them through (group commit: at most
/// one write in flight, the events persisted meanwhile go together in the next); a failed write stops the
/// actor (<see cref="OnPersistFailure"/>) without running any handler of it; a failed recovery stops the actor with a
/// <see cref="RecoveryFailedException"/> naming persistence id and sequence number (<see cref="OnRecoveryFailure"/>).
/// </para>
/// <para>
/// Call <c>Persist</c>, <c>PersistAll</c> and <c>Defer</c> synchronously from a command handler or a persist handler.
/// For asynchronous work, <c>PipeTo(Self)</c> its result and persist in the handler of that message: the writes already
/// use the actor's one asynchronous slot (<c>RunTask</c>), which is what holds other commands in the mailbox.
/// </para>
/// The system must have persistence registered (<see cref="PersistenceExtension.Register"/>).
/// </summary>
public abstract partial class PersistentActor : ActorBase
{
    private Phase _phase = Phase.Starting;
    private IJournal? _journal;
    private ISnapshotStore? _snapshotStore;
    private PersistenceExtension? _extension;

    /// <summary>The stable id of this actor's journal: the same id recovers the same state, in any incarnation.</summary>
    public abstract string PersistenceId { get; }

    /// <summary>The journal plugin id of this actor, or null for the configured default.</summary>
    public virtual string? JournalPluginId => null;

    /// <summary>The snapshot store plugin id of this actor, or null for the configured default.</summary>
    public virtual string? SnapshotPluginId => null;

    /// <summary>How this actor recovers; <see cref="Recovery.Default"/> unless overridden.</summary>
    public virtual Recovery Recovery => Recovery.Default;

    /// <summary>
    /// The sequence number of the last event persisted and handled (during recovery: replayed). 0 for a new actor.
    /// </summary>
    public long LastSequenceNr { get; private set; }

    /// <summary>The sequence number of the snapshot recovery started from, or of the last snapshot saved; 0 when none.</summary>
    public long SnapshotSequenceNr { get; private set; }

    /// <summary>True while the snapshot and events are being replayed, up to and including the <see cref="RecoveryCompleted"/> handler.</summary>
    public bool IsRecovering => _phase is Phase.Starting or Phase.Recovering or Phase.CompletingRecovery;

    /// <summary>True once recovery finished successfully.</summary>
    public bool IsRecoveryFinished => _phase is Phase.Running;

    /// <summary>The journal, once recovery has opened it.</summary>
    protected IJournal Journal => _journal ?? throw new InvalidOperationException($"The journal of '{PersistenceId}' is not open before recovery starts.");

    /// <summary>The snapshot store, once recovery has opened it.</summary>
    protected ISnapshotStore SnapshotStore => _snapshotStore ?? throw new InvalidOperationException($"The snapshot store of '{PersistenceId}' is not open before recovery starts.");

    private PersistenceExtension Extension => _extension ??= PersistenceExtension.Get(Context.System);

    /// <summary>Handles a recovery message: a <see cref="SnapshotOffer"/>, a replayed event, or <see cref="RecoveryCompleted"/>.</summary>
    protected abstract bool ReceiveRecover(object message);

    /// <summary>Handles a command; return false for a message this actor does not handle.</summary>
    protected abstract bool ReceiveCommand(object message);

    /// <inheritdoc />
    protected sealed override bool Receive(object message) => ReceiveCommand(message);

    /// <summary>Starts recovery after <c>PreStart</c>; commands wait until it has finished.</summary>
    protected override void AroundPreStart()
    {
        base.AroundPreStart();
        StartRecovery();
    }

    /// <summary>Recovers again after a restart (the new instance starts from the journal, like a fresh start).</summary>
    protected override void AroundPostRestart(Exception reason)
    {
        base.AroundPostRestart(reason);
        StartRecovery();
    }

    /// <summary>
    /// Handles a command, then writes every event the handler persisted in one journal write and runs their handlers
    /// once the journal says they are durable. Until then, other messages wait in the mailbox, unless every event was
    /// persisted with <c>PersistAsync</c>/<c>PersistAllAsync</c>.
    /// </summary>
    protected override void AroundReceive(Receive receive, object message)
    {
        if (_phase is not Phase.Running)
        {
            // Stopped after a failure: nothing more is handled (the message goes nowhere, as it would after Stop).
            return;
        }

        if (message is AsyncWriteDone done)
        {
            OnAsyncWriteDone(done);
            return;
        }

        _phase = Phase.HandlingCommand;
        try
        {
            base.AroundReceive(receive, message);
        }
        finally
        {
            if (_phase is Phase.HandlingCommand)
            {
                _phase = Phase.Running;
            }
        }

        if (_phase is Phase.Running)
        {
            AfterCommand();
        }
    }

    /// <summary>
    /// Called when a write failed (the journal is unreachable, or a sequence number is taken by another incarnation). The
    /// default logs the error; the actor is stopped afterwards either way, and no handler of the write runs.
    /// </summary>
    /// <param name="cause">A <see cref="PersistFailedException"/> wrapping the journal's error.</param>
    /// <param name="event">The first event of the failed write.</param>
    /// <param name="sequenceNr">Its sequence number.</param>
    protected virtual void OnPersistFailure(Exception cause, object @event, long sequenceNr) =>
        Context.GetLogger().Error(cause, "{0}", cause.Message);

    /// <summary>
    /// Called when an event was refused before writing (it does not serialize, or is larger than
    /// <c>akkaraft.persistence.journal.max-event-bytes</c>). The default logs a warning; the actor goes on, and the
    /// handler of that event (and of the events persisted with it) does not run.
    /// </summary>
    protected virtual void OnPersistRejected(Exception cause, object @event, long sequenceNr) =>
        Context.GetLogger().Warning(
            "Rejected {0} at sequence number {1} for persistence id '{2}' (nothing was written): {3}",
            @event.GetType().Name, sequenceNr, PersistenceId, cause.Message);

    /// <summary>
    /// Called when recovery failed; the default logs the error. The actor is stopped afterwards either way.
    /// </summary>
    /// <param name="cause">A <see cref="RecoveryFailedException"/> naming persistence id and sequence number.</param>
    /// <param name="event">The replayed event being handled when it failed, if any.</param>
    protected virtual void OnRecoveryFailure(Exception cause, object? @event) =>
        Context.GetLogger().Error(cause, "{0}", cause.Message);

    /// <summary>Called once recovery succeeded, after <see cref="RecoveryCompleted"/> was handled.</summary>
    protected virtual void OnReplaySuccess()
    {
    }

    private void StopAfterFailure()
    {
        _phase = Phase.Stopped;
        _pending.Clear();
        _queued.Clear();
        _inFlight = null;
        Context.Stop(Self);
    }

    private enum Phase
    {
        Starting,
        Recovering,
        CompletingRecovery,
        Running,
        HandlingCommand,
        Writing,
        Stopped,
    }
}
