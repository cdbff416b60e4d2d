using Akka.Actor;
using Akka.Event;
using Akka.Pattern;
using Akka.Persistence;
using AkkaRaft.Raft.Core;
using AkkaRaft.Raft.Peer.Protocol;

namespace AkkaRaft.Raft.Peer;

/// <summary>
/// One Raft peer as a persistent actor: the thin shell around the pure <see cref="RaftNode"/> (docs/ARCHITECTURE.md, "The Raft
/// core is pure"). Peer messages become <see cref="RaftNode.Step"/>, its tick timer <see cref="RaftNode.Tick"/>, and
/// each <see cref="Ready"/> becomes one <c>PersistAllAsync</c> of its entries and hard state (one atomic journal
/// write, one fsync), then the messages, then the committed entries for the state machine child, then
/// <see cref="RaftNode.Advance"/>. Commands are not held while a batch is written: new proposals wait in the core and
/// go out together in the next batch (group commit), and a leader reads its followers' acknowledgements meanwhile.
/// </summary>
/// <remarks>
/// Persistence: the journal events are the Raft log and hard state (see <see cref="RaftJournal"/>) under
/// <see cref="RaftPeerSetup.PersistenceId"/>, in the journal and snapshot store named by
/// <see cref="RaftPeerSetup.JournalPluginId"/> and <see cref="RaftPeerSetup.SnapshotPluginId"/> (Akka.Persistence
/// plugins; the defaults when null). Recovery rebuilds the core's storage from the latest snapshot record plus the
/// events after it, before any message is handled. A failed journal write stops the peer, as it stops every
/// persistent actor (put it under a <c>BackoffSupervisor</c> to bring it back); a failed snapshot save or a broken
/// invariant fails it, and its supervisor's restart recovers it from the journal. Clients talk to it with the
/// messages of <c>RaftClientProtocol.cs</c>.
/// </remarks>
public sealed partial class RaftPeer : ReceivePersistentActor, IWithTimers
{
    private readonly RaftPeerSetup _setup;
    private readonly RaftPeerSettings _settings;
    private RaftNode _node = null!;
    private MemoryStorage _durable = RaftJournal.EmptyStorage();
    private IActorRef _stateMachine = ActorRefs.Nobody;
    private Ready? _outstanding;
    private long _snapshotSaveSequenceNr;
    private bool _sentEarly;
    private bool _recovered;

    // The longest command whose entry still fits one journal event.
    private readonly long _maxCommandBytes;

    // Counters of this incarnation.
    private long _journalBatches;
    private long _entriesPersisted;
    private long _entriesApplied;
    private long _snapshotsSaved;
    private long _snapshotsInstalled;
    private long _recoveredEvents;

    /// <summary>Creates the peer (use <see cref="Props"/>).</summary>
    public RaftPeer(RaftPeerSetup setup)
    {
        ArgumentNullException.ThrowIfNull(setup);
        ArgumentOutOfRangeException.ThrowIfZero(setup.NodeId);
        _setup = setup;
        _settings = setup.Settings;
        JournalPluginId = setup.JournalPluginId;
        SnapshotPluginId = setup.SnapshotPluginId;
        _maxCommandBytes = setup.MaxEventBytes - RaftJournal.EntryFramingBytes;
        if (_settings.Core.MaxSnapshotBytes > setup.MaxSnapshotStoreBytes)
        {
            Context.GetLogger().Warning(
                "peer {0}: akkaraft.raft.max-snapshot-bytes ({1}) is above akkaraft.persistence.snapshot-store.max-snapshot-bytes ({2}): a snapshot between the two is accepted from a leader but cannot be saved, and the peer restarts on it",
                setup.NodeId, _settings.Core.MaxSnapshotBytes, setup.MaxSnapshotStoreBytes);
        }

        Recover<SnapshotOffer>(offer => _durable = offer.Snapshot is PeerSnapshotRecord record
            ? RaftJournal.FromRecord(record)
            : throw new InvalidDataException($"the snapshot of '{PersistenceId}' at {offer.Metadata.SequenceNr} is a {offer.Snapshot.GetType().Name}, not a Raft peer snapshot record"));
        Recover<RaftJournalEvent>(e =>
        {
            RaftJournal.Replay(_durable, e, LastSequenceNr, PersistenceId);
            _recoveredEvents++;
        });
        Recover<RecoveryCompleted>(_ => OnRecoveryCompleted());
        RecoverAny(e => throw new InvalidDataException($"journal event {LastSequenceNr} of '{PersistenceId}' is a {e.GetType().Name}, not a Raft journal event"));

        Command<RaftMessage>(OnRaftMessage);
        Command<PeerTick>(_ => OnTick());
        Command<SaveSnapshotSuccess>(OnSnapshotSaved);
        Command<SaveSnapshotFailure>(OnSnapshotSaveFailed);
        Command<DeleteMessagesSuccess>(_ => { });
        Command<DeleteSnapshotsSuccess>(_ => { });
        // A failed deletion leaves old events or records behind; recovery starts from the newest record anyway.
        Command<DeleteMessagesFailure>(f => Context.GetLogger().Warning("peer {0}: deleting journal events up to {1} failed: {2}", _setup.NodeId, f.ToSequenceNr, f.Cause.Message));
        Command<DeleteSnapshotsFailure>(f => Context.GetLogger().Warning("peer {0}: deleting old snapshot records failed: {1}", _setup.NodeId, f.Cause.Message));
        Command<StateMachineSnapshot>(OnStateMachineSnapshot);
        Command<Write>(OnWrite);
        Command<Query>(OnQuery);
        Command<AddVoter>(m => OnConfChange(ConfChange.AddVoter(m.NodeId), m.NodeId, m.Timeout));
        Command<RemoveVoter>(m => OnConfChange(ConfChange.Remove(m.NodeId), m.NodeId, m.Timeout));
        Command<TransferLeadership>(OnTransferLeadership);
        Command<GetPeerStatus>(_ => Sender.Tell(Status(), Self));
    }

    /// <summary>The props of a peer made of <paramref name="setup"/>.</summary>
    public static Props Props(RaftPeerSetup setup)
    {
        ArgumentNullException.ThrowIfNull(setup);
        setup.Settings.CoreConfig(setup.NodeId); // validate before the actor exists
        return Akka.Actor.Props.Create(() => new RaftPeer(setup));
    }

    /// <summary>
    /// The props of a peer under a backoff supervisor (child name <c>peer</c>): when a failed journal write stops the
    /// peer, it is started again from its journal after <see cref="RaftPeerSettings.Restart"/>. Messages to the
    /// supervisor go to the peer; while it is down they go to dead letters (its clients' timeouts tell them).
    /// </summary>
    public static Props SupervisedProps(RaftPeerSetup setup)
    {
        ArgumentNullException.ThrowIfNull(setup);
        var restart = setup.Settings.Restart;
        return BackoffSupervisor.Props(Backoff.OnStop(Props(setup), "peer", restart.MinBackoff, restart.MaxBackoff, restart.RandomFactor, maxNrOfRetries: -1));
    }

    /// <inheritdoc />
    public override string PersistenceId => _setup.PersistenceId;

    /// <inheritdoc />
    public ITimerScheduler Timers { get; set; } = null!;

    /// <summary>A failure of the state machine child is a bug that every peer would hit on the same entry: fail this peer too.</summary>
    protected override SupervisorStrategy SupervisorStrategy() => new OneForOneStrategy(_ => Directive.Escalate);

    /// <summary>
    /// An event the journal refused before writing (larger than <c>akkaraft.persistence.journal.max-event-bytes</c>):
    /// the Ready cannot be carried out, so the peer fails and recovers from what is durable.
    /// </summary>
    protected override void OnPersistRejected(Exception cause, object @event, long sequenceNr) =>
        throw new RaftPeerStorageException($"peer {_setup.NodeId}: the journal refused event {sequenceNr}; restarting from the journal", cause);

    /// <summary>
    /// The journal or snapshot store could not be read back (a corrupt row fails its checksum, or the store is down):
    /// say loudly which peer and where, and stop; nothing of the unreadable event is applied. The backoff supervisor
    /// tries again, which succeeds once the store reads again and keeps failing, loudly, on a corrupt row.
    /// </summary>
    protected override void OnRecoveryFailure(Exception reason, object? message = null)
    {
        Context.GetLogger().Error(reason,
            "peer {0}: recovery of persistence id '{1}' failed at journal event {2} (events up to {3} were read): {4}",
            _setup.NodeId, PersistenceId, LastSequenceNr + 1, LastSequenceNr, reason.Message);
        base.OnRecoveryFailure(reason, message);
    }

    /// <summary>The log is rebuilt: a founder that never wrote anything journals its bootstrap entries first, then the core starts.</summary>
    private void OnRecoveryCompleted()
    {
        if (LastSequenceNr == 0 && _durable.LastIndex == 0 && _setup.InitialVoters.Count > 0)
        {
            var (founders, events) = RaftJournal.Bootstrap(_setup.InitialVoters);
            _durable = founders;
            // Written before any command is handled; the core starts once it is durable.
            var last = events[^1];
            PersistAll(events, e =>
            {
                if (ReferenceEquals(e, last)) StartCore();
            });
            return;
        }
        StartCore();
    }

    private void StartCore()
    {
        var random = _setup.RandomFactory?.Invoke() ?? new SeededRandomSource((ulong)Random.Shared.NextInt64(1, long.MaxValue));
        _node = new RaftNode(_settings.CoreConfig(_setup.NodeId), _durable, random);
        // A generated name: after a restart the previous incarnation's child may still be stopping.
        _stateMachine = Context.ActorOf(Akka.Actor.Props.Create(() => new StateMachineActor(_setup.StateMachineFactory())));
        var snapshot = _durable.Snapshot;
        if (snapshot.Metadata.Index > 0) _stateMachine.Tell(new RestoreStateMachine(snapshot.Data, snapshot.Metadata.Index), Self);
        _handedIndex = snapshot.Metadata.Index;
        _recovered = true;
        Timers.StartPeriodicTimer(PeerTick.Instance, PeerTick.Instance, _settings.HeartbeatInterval);
        Pump();
    }

    // ------------------------------------------------------------------ the core's inputs

    private void OnRaftMessage(RaftMessage message)
    {
        if (!_recovered || message.To != _setup.NodeId || message.From == RaftIds.None) return;
        _node.Step(message);
        Pump();
    }

    private void OnTick()
    {
        _node.Tick();
        ExpireRequests();
        Pump();
    }

    // ------------------------------------------------------------------ Ready

    /// <summary>Takes the next Ready if none is being carried out, and starts its write (or carries it out at once when it has nothing to write).</summary>
    private void Pump()
    {
        while (_outstanding is null && _node.HasReady)
        {
            var ready = _node.GetReady();
            _outstanding = ready;
            _sentEarly = false;
            if (ready.SoftState is { } soft) OnSoftState(soft);
            if (_node.Role == RaftRole.Leader && ready.Snapshot is null)
            {
                // Thesis 10.2.1: the leader's messages do not depend on its own write; it counts itself only after Advance.
                SendAll(ready.Messages);
                _sentEarly = true;
            }
            if (!ready.MustPersist)
            {
                CarryOut(ready);
                continue;
            }
            if (OnlyCommitAdvanced(ready))
            {
                // Raft's commit index is volatile state (Figure 2): nothing sent or applied depends on it being
                // durable, so a Ready that changes nothing else costs no fsync. The next batch journals the commit
                // index with the rest of the hard state; a restart before that re-learns it from the leader.
                CarryOut(ready);
                continue;
            }
            var batch = RaftJournal.Prepare(ready, _durable);
            if (batch.Events.Count == 0)
            {
                CarryOut(ready);
                continue;
            }
            _journalBatches++;
            _entriesPersisted += ready.Entries.Count;
            var last = batch.Events[^1];
            PersistAllAsync(batch.Events, e =>
            {
                if (ReferenceEquals(e, last)) OnBatchDurable(ready, batch.SnapshotRecord);
            });
        }
    }

    private bool OnlyCommitAdvanced(Ready ready) =>
        ready.Entries.Count == 0 && ready.Snapshot is null && ready.Compaction is null
        && ready.HardState is { } hard && hard.Term == _durable.HardState.Term && hard.Vote == _durable.HardState.Vote;

    /// <summary>The journal batch of <paramref name="ready"/> is durable; when it cuts the log, its snapshot record is saved first.</summary>
    private void OnBatchDurable(Ready ready, PeerSnapshotRecord? record)
    {
        if (record is null)
        {
            CarryOut(ready);
            Pump();
            return;
        }
        // Nothing of this Ready is sent before the record is durable: a follower that acknowledged an installed
        // snapshot it could lose in a crash would count towards a quorum it is not part of.
        _snapshotSaveSequenceNr = LastSequenceNr;
        SaveSnapshot(record);
    }

    private void OnSnapshotSaved(SaveSnapshotSuccess saved)
    {
        if (_outstanding is not { } ready || saved.Metadata.SequenceNr != _snapshotSaveSequenceNr) return;
        _snapshotSaveSequenceNr = 0;
        DeleteMessages(saved.Metadata.SequenceNr);
        DeleteSnapshots(new SnapshotSelectionCriteria(saved.Metadata.SequenceNr - 1));
        CarryOut(ready);
        Pump();
    }

    private void OnSnapshotSaveFailed(SaveSnapshotFailure failed)
    {
        if (_outstanding is null || failed.Metadata.SequenceNr != _snapshotSaveSequenceNr) return;
        // Recovery skips a SnapshotTaken without its record, so the journal still holds the log before it.
        throw new RaftPeerStorageException($"peer {_setup.NodeId}: saving the snapshot record at {failed.Metadata.SequenceNr} failed; restarting from the journal", failed.Cause);
    }

    /// <summary>The Ready's writes are durable: update the mirror of the storage, send, apply, advance.</summary>
    private void CarryOut(Ready ready)
    {
        if (ready.MustPersist)
        {
            _durable.Save(ready);
            if (ready.Snapshot is not null || ready.Compaction is not null) _snapshotsSaved++;
        }
        if (!_sentEarly) SendAll(ready.Messages);
        if (ready.Snapshot is { } snapshot)
        {
            _stateMachine.Tell(new RestoreStateMachine(snapshot.Data, snapshot.Metadata.Index), Self);
            _handedIndex = snapshot.Metadata.Index;
            _snapshotsInstalled++;
            ResetSnapshotTrigger();
        }
        if (ready.CommittedEntries.Count > 0) HandToStateMachine(ready.CommittedEntries);
        foreach (var read in ready.ReadStates) OnReadConfirmed(read);
        ServeReadsUpToHanded();
        _outstanding = null;
        _node.Advance(ready);
        MaybeRequestSnapshot();
    }

    private void SendAll(IReadOnlyList<RaftMessage> messages)
    {
        for (var i = 0; i < messages.Count; i++) _setup.Transport.Send(messages[i], Self);
    }

    /// <summary>The tick timer's message.</summary>
    private sealed record PeerTick
    {
        public static PeerTick Instance { get; } = new();
    }

}

/// <summary>A RaftPeer could not write its journal or snapshot; it fails and its supervisor restarts it from the journal.</summary>
public sealed class RaftPeerStorageException : Exception
{
    /// <summary>Creates the exception.</summary>
    public RaftPeerStorageException(string message, Exception innerException) : base(message, innerException)
    {
    }
}
