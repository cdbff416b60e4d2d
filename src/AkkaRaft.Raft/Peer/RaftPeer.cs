using System.Diagnostics.CodeAnalysis;
using System.Runtime.Serialization;
using Akka.Actor;
using Akka.Event;
using Akka.Pattern;
using Akka.Persistence;
using AkkaRaft.Client.Typed;
using AkkaRaft.Raft.Core;
using AkkaRaft.Raft.Peer.Protocol;
using AkkaRaft.Raft.Peer.Snapshots;
using SnapshotOffer = Akka.Persistence.SnapshotOffer;
using TransferOffer = AkkaRaft.Raft.Peer.Snapshots.SnapshotOffer;
using AkkaRaft.Raft.StateMachines;
using Microsoft.Data.Sqlite;

namespace AkkaRaft.Raft.Peer;

/// <summary>
/// One Raft peer as a persistent actor: the thin shell around <see cref="PeerLogic{TClient}"/>, which decides
/// everything (docs/ARCHITECTURE.md, "The Raft core is pure"). The shell feeds it peer messages, client requests, its
/// tick timer and the completions of what it asked for, and carries out its effects in order: journal batches with
/// <c>PersistAllAsync</c> (one atomic write, one fsync each), snapshot records with <c>SaveSnapshot</c>, journal
/// cuts with <c>DeleteMessages</c>, messages with <c>Tell</c>, and committed entries, queries and snapshots through
/// the state machine child.
/// </summary>
/// <remarks>
/// Persistence: the journal events are the Raft log and hard state (see <see cref="RaftJournal"/>) under
/// <see cref="RaftPeerSetup.PersistenceId"/>, in the journal and snapshot store named by
/// <see cref="RaftPeerSetup.JournalPluginId"/> and <see cref="RaftPeerSetup.SnapshotPluginId"/> (Akka.Persistence
/// plugins; the defaults when null). Recovery rebuilds the storage from the latest snapshot record plus the events
/// after it (<see cref="PeerRecovery"/>) before any message is handled. A failed journal write stops the peer, as it
/// stops every persistent actor (<see cref="SupervisedProps"/> brings it back); a failed snapshot save or a broken
/// invariant fails it, and its supervisor's restart recovers it from the journal. Clients talk to it with the
/// messages of <c>RaftClientProtocol.cs</c>.
/// </remarks>
public sealed class RaftPeer : ReceivePersistentActor, IWithTimers
{
    private readonly RaftPeerSetup _setup;
    private readonly PeerRecovery _recovery;
    private JournalCutSteps _cuts;
    private PeerLogic<IActorRef>? _logic;
    private IActorRef _stateMachine = ActorRefs.Nobody;
    // The command type of a typed state machine (null for another state machine): what a leader reads a TypedWrite as.
    private Type? _typedCommands;
    // The child actor of each live session while this peer leads (SessionKeeper), and a counter that keeps their names
    // unique: a session's keeper may still be stopping when the next leadership arms a new one.
    private readonly Dictionary<long, IActorRef> _sessionKeepers = new();
    private long _sessionKeeperCount;

    /// <summary>Creates the peer (use <see cref="Props"/>).</summary>
    public RaftPeer(RaftPeerSetup setup)
    {
        ArgumentNullException.ThrowIfNull(setup);
        ArgumentOutOfRangeException.ThrowIfZero(setup.NodeId);
        _setup = setup;
        _cuts = new JournalCutSteps(setup.MaxCutEvents);
        _recovery = new PeerRecovery(setup.PersistenceId);
        JournalPluginId = setup.JournalPluginId;
        SnapshotPluginId = setup.SnapshotPluginId;
        if (setup.Settings.Core.MaxSnapshotBytes > setup.MaxSnapshotStoreBytes)
        {
            Context.GetLogger().Warning(
                "peer {0}: akkaraft.raft.max-snapshot-bytes ({1}) is above akkaraft.persistence.snapshot-store.max-snapshot-bytes ({2}): a snapshot between the two is accepted from a leader but cannot be saved, and the peer restarts on it",
                setup.NodeId, setup.Settings.Core.MaxSnapshotBytes, setup.MaxSnapshotStoreBytes);
        }

        Recover<SnapshotOffer>(offer =>
        {
            _recovery.Offer(
                offer.Snapshot as PeerSnapshotRecord
                    ?? throw new InvalidDataException($"the snapshot of '{PersistenceId}' at {offer.Metadata.SequenceNr} is a {offer.Snapshot.GetType().Name}, not a Raft peer snapshot record"),
                offer.Metadata.SequenceNr);
            // Cuts step on from the record recovered (everything before it was cut, or asked to be).
            _cuts = new JournalCutSteps(setup.MaxCutEvents, offer.Metadata.SequenceNr);
        });
        Recover<RaftJournalEvent>(e => _recovery.Replay(e, LastSequenceNr));
        Recover<RecoveryCompleted>(_ => Start());
        RecoverAny(e => throw new InvalidDataException($"journal event {LastSequenceNr} of '{PersistenceId}' is a {e.GetType().Name}, not a Raft journal event"));

        Command<RaftMessage>(m => CarryOut(Logic.Step(m, Now)));
        Command<PeerTick>(_ => CarryOut(Logic.Tick(Now)));
        Command<Write>(Request);
        Command<Query>(Request);
        Command<TypedWrite>(OnTypedWrite);
        Command<TypedQuery>(OnTypedQuery);
        Command<AddVoter>(Request);
        Command<RemoveVoter>(Request);
        Command<AddLearner>(Request);
        Command<SetConfiguration>(Request);
        Command<TransferLeadership>(Request);
        Command<GetPeerStatus>(Request);
        Command<OpenSession>(Request);
        Command<KeepSessionAlive>(Request);
        Command<CloseSession>(Request);
        Command<Watch>(Request);
        Command<AcquireLock>(Request);
        Command<ReleaseLock>(Request);
        Command<ListCoordination>(Request);
        Command<SessionTimerFired>(fired => CarryOut(Logic.SessionTimerFired(fired.SessionId, Now)));
        Command<SaveSnapshotSuccess>(saved => CarryOut(Logic.SnapshotRecordSaved(saved.Metadata.SequenceNr, Now)));
        Command<SaveSnapshotFailure>(failed =>
        {
            // The snapshot store has a file (and a pool) of its own: a connection it opened read-only while the disk was
            // (a recovery's snapshot load) would fail every later incarnation's save too.
            DropPooledConnections();
            Logic.SnapshotRecordFailed(failed.Metadata.SequenceNr, failed.Cause);
        });
        Command<StateMachineSnapshot>(snapshot =>
        {
            // A snapshot from an earlier incarnation's child is not this state machine's.
            if (Sender.Equals(_stateMachine)) CarryOut(Logic.StateMachineSnapshotTaken(snapshot.Index, snapshot.Data, Now));
        });
        Command<SnapshotPublished>(published => _setup.Transport.Send(published.Offer, Self));
        Command<SnapshotFetched>(fetched => CarryOut(Logic.Step(
            new InstallSnapshot(fetched.Offer.From, fetched.Offer.To, fetched.Offer.Term, new Snapshot(fetched.Offer.Metadata, fetched.Data)), Now)));
        // The leader offers again after an election timeout; the next fetch resumes after what this one verified.
        Command<SnapshotTransferFailed>(f => Context.GetLogger().Warning("peer {0}: {1}", _setup.NodeId, f.Cause.Message));
        Command<BackupSaved>(_ => { });
        Command<DeleteMessagesSuccess>(deleted =>
        {
            if (_cuts.Completed(deleted.ToSequenceNr) is { } next) DeleteMessages(next);
        });
        Command<DeleteSnapshotsSuccess>(_ => { });
        // A failed deletion leaves old events or records behind; recovery starts from the newest record anyway.
        Command<DeleteMessagesFailure>(f =>
        {
            _cuts.Failed();
            Context.GetLogger().Warning("peer {0}: deleting journal events up to {1} failed: {2}", _setup.NodeId, f.ToSequenceNr, f.Cause.Message);
        });
        Command<DeleteSnapshotsFailure>(f => Context.GetLogger().Warning("peer {0}: deleting old snapshot records failed: {1}", _setup.NodeId, f.Cause.Message));
    }

    /// <summary>The props of a peer made of <paramref name="setup"/>.</summary>
    public static Props Props(RaftPeerSetup setup)
    {
        ArgumentNullException.ThrowIfNull(setup);
        LogicSetup(setup, new SeededRandomSource(1)); // validate before the actor exists
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

    // The scheduler's monotonic clock: the only time the shell reads (the core counts ticks).
    private TimeSpan Now => Context.System.Scheduler.MonotonicClock;

    // Commands are stashed until recovery completes, so every command finds the logic.
    private PeerLogic<IActorRef> Logic => _logic ?? throw new InvalidOperationException($"peer {_setup.NodeId} handled a command before its recovery completed");

    /// <summary>A failure of the state machine child is a bug that every peer would hit on the same entry: fail this peer too.</summary>
    protected override SupervisorStrategy SupervisorStrategy() => new OneForOneStrategy(_ => Directive.Escalate);

    /// <summary>
    /// A journal write failed (a full disk, a database that is down): recorded in <see cref="RaftPeerSetup.JournalHealth"/>
    /// so that the next incarnation refuses clients' writes until one of its own writes succeeds; then the peer stops,
    /// as every persistent actor does, and its backoff supervisor starts it again from the journal.
    /// </summary>
    protected override void OnPersistFailure(Exception cause, object @event, long sequenceNr)
    {
        _setup.JournalHealth.WriteFailed(cause, Context.System.Scheduler.Now);
        DropPooledConnections();
        base.OnPersistFailure(cause, @event, sequenceNr);
    }

    /// <summary>
    /// SQLite opens a file it cannot write (a disk remounted read-only) read-only instead of failing
    /// (SQLITE_OPEN_READWRITE), and the pool would hand that connection to every later incarnation, which then fails
    /// with "attempt to write a readonly database" long after the disk is writable again: in a write, or already in
    /// recovery, whose snapshot load opens a write transaction, or in a snapshot save. Dropping the pooled connections
    /// after any of these failures makes the next incarnation open fresh ones (docs/FAULTS.md, bug 2). Nothing to do
    /// for PostgreSQL.
    /// </summary>
    private static void DropPooledConnections() => SqliteConnection.ClearAllPools();

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
        DropPooledConnections();
        base.OnRecoveryFailure(reason, message);
    }

    /// <summary>The journal is read: the logic starts on what it holds, with a fresh state machine child.</summary>
    private void Start()
    {
        var random = _setup.RandomFactory?.Invoke() ?? new SeededRandomSource((ulong)Random.Shared.NextInt64(1, long.MaxValue));
        _logic = new PeerLogic<IActorRef>(LogicSetup(_setup, random), _recovery.Complete(LastSequenceNr));
        var machine = _setup.StateMachineFactory();
        _typedCommands = (machine as ITypedStateMachine)?.CommandType;
        // A generated name: after a restart the previous incarnation's child may still be stopping.
        _stateMachine = Context.ActorOf(Akka.Actor.Props.Create(() => new StateMachineActor(machine, _setup.Settings.Watches)));
        Timers.StartPeriodicTimer(PeerTick.Instance, PeerTick.Instance, _setup.Settings.HeartbeatInterval);
        CarryOut(_logic.Start(Now));
    }

    /// <summary>What the logic is made of: the setup's, with the longest command one journal event holds.</summary>
    /// <exception cref="ArgumentException">The setup is invalid (a founder not among its voters, a core setting out of range).</exception>
    private static PeerLogicSetup LogicSetup(RaftPeerSetup setup, IRandomSource random) =>
        new PeerLogicSetup(setup.NodeId, setup.InitialVoters, setup.Settings, setup.MaxCommandBytes, random).Validate();

    private void Request(object request)
    {
        // A journal that failed its last write takes no client writes: say so now instead of proposing into it.
        if (request is Write or TypedWrite or AddVoter or RemoveVoter or AddLearner or SetConfiguration or OpenSession or CloseSession or AcquireLock or ReleaseLock && _setup.JournalHealth.Failure is { } failure)
        {
            Sender.Tell(new StorageUnavailable($"this node cannot write its journal since {failure.At:u}: {failure.Reason}", failure.OutOfSpace), Self);
            return;
        }
        CarryOut(Logic.Request(request, Sender, Now));
    }

    /// <summary>
    /// A typed command goes to the logic serialized. The leader, which proposes it, first reads it as its state
    /// machine's command type under this node's Hyperion settings: what it cannot read is refused here and never reaches
    /// the log. A peer that does not lead passes it on to the leader unread.
    /// </summary>
    private void OnTypedWrite(TypedWrite write)
    {
        if (!TrySerialized(write.Command, "typed write", out var payload)) return;
        if (Logic.Role == RaftRole.Leader)
        {
            if (_typedCommands is null)
            {
                Sender.Tell(new RequestRejected($"typed write refused, nothing was proposed: this node's state machine takes no typed commands; send Write with its bytes"), Self);
                return;
            }

            if (!PayloadSerialization.Get(Context.System).TryDeserialize(payload, _typedCommands, out _, out var refusal))
            {
                Sender.Tell(new RequestRejected($"typed write refused, nothing was proposed: {refusal}"), Self);
                return;
            }
        }

        Request(write with { Command = payload });
    }

    /// <summary>A typed query goes to the logic serialized; the state machine reads it where it is served, under that node's Hyperion settings.</summary>
    private void OnTypedQuery(TypedQuery query)
    {
        if (TrySerialized(query.Query, "typed query", out var payload)) Request(query with { Query = payload });
    }

    /// <summary>
    /// The serialized form of a typed request's object: as it came over the wire, or serialized now for a request from
    /// this process. An object that cannot be serialized for a typed message is refused.
    /// </summary>
    private bool TrySerialized(object value, string what, [NotNullWhen(true)] out SerializedPayload? payload)
    {
        payload = value as SerializedPayload;
        if (payload is not null) return true;
        try
        {
            payload = PayloadSerialization.Get(Context.System).Serialize(value);
            return true;
        }
        catch (SerializationException e)
        {
            Sender.Tell(new RequestRejected($"{what} refused, nothing was proposed: {e.Message}"), Self);
            return false;
        }
    }

    /// <summary>Carries out the logic's effects in their order; completions come back later as messages.</summary>
    private void CarryOut(PeerEffects<IActorRef> effects)
    {
        foreach (var effect in effects)
        {
            switch (effect.Kind)
            {
                case PeerEffectKind.Persist:
                    PersistBatch(effect.Events, effect.Token);
                    break;
                case PeerEffectKind.SaveSnapshotRecord:
                    if (effect.SequenceNr != SnapshotSequenceNr)
                        throw new RaftInvariantException("a snapshot record is saved at the sequence number of its batch", $"peer {_setup.NodeId}: asked at {effect.SequenceNr}, journal at {SnapshotSequenceNr}");
                    SaveSnapshot(effect.SnapshotRecord);
                    if (_setup.SnapshotTransfer is { Settings.Backup: true } backup) Backup(backup, effect.SnapshotRecord);
                    break;
                case PeerEffectKind.DeleteUpTo:
                    // In steps of at most MaxCutEvents, each after the last (JournalCutSteps).
                    if (_cuts.Request(effect.SequenceNr) is { } upTo) DeleteMessages(upTo);
                    DeleteSnapshots(new SnapshotSelectionCriteria(effect.SequenceNr - 1));
                    break;
                case PeerEffectKind.Send:
                    if (effect.Message is InstallSnapshot install && _setup.SnapshotTransfer is { } transfer)
                    {
                        // Only the metadata travels as a peer message; the follower fetches the bytes from the snapshot port.
                        transfer.PublishAsync(install).PipeTo(Self, Self, offer => new SnapshotPublished(offer), e => new SnapshotTransferFailed(e));
                    }
                    else
                    {
                        _setup.Transport.Send(effect.Message, Self);
                    }
                    break;
                case PeerEffectKind.FetchSnapshot:
                    if (_setup.SnapshotTransfer is { } fetcher)
                    {
                        var offer = effect.Offer;
                        fetcher.FetchAsync(offer).PipeTo(Self, Self, data => new SnapshotFetched(offer, data), e => new SnapshotTransferFailed(e));
                    }
                    else
                    {
                        Context.GetLogger().Warning("peer {0}: leader {1} offers snapshot {2} on its snapshot port, but this peer has no snapshot transfer", _setup.NodeId, effect.Offer.From, effect.Offer.Metadata.Index);
                    }
                    break;
                case PeerEffectKind.Forward:
                    if (!_setup.Transport.Forward(_setup.NodeId, effect.To, effect.Request, effect.Client!)) effect.Client!.Tell(effect.Answer, Self);
                    break;
                case PeerEffectKind.Reply:
                    effect.Client!.Tell(effect.Answer, Self);
                    break;
                case PeerEffectKind.ApplyEntries:
                    _stateMachine.Tell(new ApplyEntries(effect.Entries, effect.Replies, effect.Leader), Self);
                    break;
                case PeerEffectKind.ServeQuery:
                    _stateMachine.Tell(new ServeQuery(effect.Query, effect.IsTypedQuery, effect.Client!, effect.Leader, effect.Term, effect.Path), Self);
                    break;
                case PeerEffectKind.RestoreStateMachine:
                    _stateMachine.Tell(new RestoreStateMachine(effect.Data, effect.Index, effect.Term), Self);
                    break;
                case PeerEffectKind.TakeStateMachineSnapshot:
                    _stateMachine.Tell(TakeStateMachineSnapshot.Instance, Self);
                    break;
                case PeerEffectKind.RoleChanged:
                    Context.System.EventStream.Publish(effect.RoleChange);
                    break;
                case PeerEffectKind.ArmSessionTimer:
                    if (!_sessionKeepers.TryGetValue(effect.SessionId, out var keeper))
                    {
                        var id = effect.SessionId;
                        keeper = Context.ActorOf(Akka.Actor.Props.Create(() => new SessionKeeper(id)), $"session-{id}-{++_sessionKeeperCount}");
                        _sessionKeepers.Add(id, keeper);
                    }
                    keeper.Tell(new ArmSessionKeeper(effect.After), Self);
                    break;
                case PeerEffectKind.DisarmSessionTimer:
                    if (_sessionKeepers.Remove(effect.SessionId, out var stopped)) Context.Stop(stopped);
                    break;
                case PeerEffectKind.SetWatch:
                    _stateMachine.Tell(new SetWatch(effect.WatchRequest, effect.Client!, effect.Leader, effect.Term), Self);
                    break;
                case PeerEffectKind.WatchesLeaderLost:
                    _stateMachine.Tell(WatchesLeaderLost.Instance, Self);
                    break;
                case PeerEffectKind.ListCoordination:
                    _stateMachine.Tell(new ListOnHost(effect.Listing, effect.Client!, effect.Leader), Self);
                    break;
                default:
                    throw new InvalidOperationException($"peer {_setup.NodeId} has no way to carry out {effect}");
            }
        }
    }

    /// <summary>One journal batch, one atomic write; the logic hears when its last event is durable.</summary>
    private void PersistBatch(IReadOnlyList<RaftJournalEvent> events, long token)
    {
        var last = events[^1];
        PersistAllAsync(events, e =>
        {
            if (!ReferenceEquals(e, last)) return;
            _setup.JournalHealth.WriteSucceeded();
            CarryOut(Logic.BatchDurable(token, LastSequenceNr, Now));
        });
    }

    /// <summary>Keeps the snapshot of <paramref name="record"/> as a file too (snapshot-backup); a failure only loses the backup.</summary>
    private void Backup(SnapshotTransfer transfer, PeerSnapshotRecord record)
    {
        var snapshot = new Snapshot(new Core.SnapshotMetadata(record.Index, record.Term, Protos.RaftProtoTypes.ToConfState(record.ConfState)), record.StateMachine.ToByteArray());
        transfer.SaveAsync(snapshot).PipeTo(Self, Self, () => BackupSaved.Instance, e => new SnapshotTransferFailed(e));
    }

    /// <summary>A snapshot file was written for the backup.</summary>
    private sealed record BackupSaved
    {
        public static BackupSaved Instance { get; } = new();
    }

    /// <summary>A published snapshot's offer, ready to send in place of the core's InstallSnapshot.</summary>
    private sealed record SnapshotPublished(TransferOffer Offer);

    /// <summary>The verified bytes of an offered snapshot.</summary>
    private sealed record SnapshotFetched(TransferOffer Offer, byte[] Data);

    /// <summary>A publish, fetch or backup failed.</summary>
    private sealed record SnapshotTransferFailed(Exception Cause);

    /// <summary>The tick timer's message.</summary>
    private sealed record PeerTick
    {
        public static PeerTick Instance { get; } = new();
    }
}
