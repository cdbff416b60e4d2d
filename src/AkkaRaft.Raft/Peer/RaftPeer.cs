using AkkaRaft.Actors;
using AkkaRaft.Raft.Core;

namespace AkkaRaft.Raft.Peer;

/// <summary>
/// One Raft peer as an actor: the thin shell around the pure <see cref="RaftNode"/> (DESIGN.md, "The Raft core is
/// pure"). Peer messages become <see cref="RaftNode.Step"/>, its tick timer <see cref="RaftNode.Tick"/>, and each
/// <see cref="Ready"/> becomes one journal batch (one atomic write, one fsync), then the messages, then the
/// committed entries for the state machine child, then <see cref="RaftNode.Advance"/>. While a batch is being
/// written, new proposals wait in the core and go out together in the next batch (group commit).
/// </summary>
/// <remarks>
/// Persistence: the journal events are the Raft log and hard state (see <see cref="RaftJournal"/>); at start the
/// peer rebuilds the core's storage from the latest snapshot record plus the events after it, before it handles
/// any message. A failed journal write or a broken invariant fails the actor; its supervisor's restart recovers
/// it from the journal. Clients talk to it with the messages of <c>RaftClientProtocol.cs</c>.
/// </remarks>
public sealed partial class RaftPeer : ReceiveActor, IWithTimers
{
    private readonly RaftPeerSetup _setup;
    private readonly RaftPeerSettings _settings;
    private readonly RaftJournal _journal;
    private RaftNode _node = null!;
    private MemoryStorage _durable = null!;
    private IActorRef _stateMachine = ActorRefs.Nobody;
    private Ready? _outstanding;
    private bool _sentEarly;
    private bool _recovered;

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
        _journal = new RaftJournal(setup.PersistenceId, setup.Journal, setup.SnapshotStore);

        Receive<RaftMessage>(OnRaftMessage);
        Receive<PeerTick>(_ => OnTick());
        Receive<BatchWritten>(OnBatchWritten);
        Receive<BatchFailed>(OnBatchFailed);
        Receive<StateMachineSnapshot>(OnStateMachineSnapshot);
        Receive<Write>(OnWrite);
        Receive<Query>(OnQuery);
        Receive<AddVoter>(m => OnConfChange(ConfChange.AddVoter(m.NodeId), m.NodeId, m.Timeout));
        Receive<RemoveVoter>(m => OnConfChange(ConfChange.Remove(m.NodeId), m.NodeId, m.Timeout));
        Receive<TransferLeadership>(OnTransferLeadership);
        Receive<GetPeerStatus>(_ => Sender.Tell(Status(), Self));
    }

    /// <summary>The props of a peer made of <paramref name="setup"/>.</summary>
    public static Props Props(RaftPeerSetup setup)
    {
        ArgumentNullException.ThrowIfNull(setup);
        setup.Settings.CoreConfig(setup.NodeId); // validate before the actor exists
        return Actors.Props.Create(() => new RaftPeer(setup));
    }

    /// <inheritdoc />
    public ITimerScheduler Timers { get; set; } = null!;

    /// <summary>A failure of the state machine child is a bug that every peer would hit on the same entry: fail this peer too.</summary>
    protected override SupervisorStrategy SupervisorStrategy() => new OneForOneStrategy(_ => Directive.Escalate);

    /// <inheritdoc />
    protected override void PreStart() => RunTask(RecoverAsync);

    private async Task RecoverAsync()
    {
        var recovered = await _journal.RecoverAsync(_setup.InitialVoters, CancellationToken.None);
        _durable = recovered.Storage;
        _recoveredEvents = recovered.RecoveredEvents;
        var random = _setup.RandomFactory?.Invoke() ?? new SeededRandomSource((ulong)Random.Shared.NextInt64(1, long.MaxValue));
        _node = new RaftNode(_settings.CoreConfig(_setup.NodeId), _durable, random);
        // A generated name: after a restart the previous incarnation's child may still be stopping.
        _stateMachine = Context.ActorOf(Actors.Props.Create(() => new StateMachineActor(_setup.StateMachineFactory())));
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
            var batch = _journal.Prepare(ready, _durable);
            _journalBatches++;
            _entriesPersisted += ready.Entries.Count;
            _journal.WriteAsync(batch, Context.System.Clock.UtcNow)
                .PipeTo(Self, Self, () => new BatchWritten(ready), e => new BatchFailed(ready, e));
        }
    }

    private bool OnlyCommitAdvanced(Ready ready) =>
        ready.Entries.Count == 0 && ready.Snapshot is null && ready.Compaction is null
        && ready.HardState is { } hard && hard.Term == _durable.HardState.Term && hard.Vote == _durable.HardState.Vote;

    private void OnBatchWritten(BatchWritten written)
    {
        // A write of an earlier incarnation (before a restart) completes into this one: not ours, ignore it.
        if (!ReferenceEquals(written.Ready, _outstanding)) return;
        CarryOut(written.Ready);
        Pump();
    }

    private void OnBatchFailed(BatchFailed failed)
    {
        if (!ReferenceEquals(failed.Ready, _outstanding)) return;
        // What is durable is unknown now: the only safe way on is to rebuild from the journal (the supervisor restarts us).
        throw new RaftPeerStorageException($"peer {_setup.NodeId}: a journal write failed; restarting from the journal", failed.Cause);
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

    /// <summary>The journal batch of <paramref name="Ready"/> is durable.</summary>
    private sealed record BatchWritten(Ready Ready);

    /// <summary>The journal batch of <paramref name="Ready"/> failed.</summary>
    private sealed record BatchFailed(Ready Ready, Exception Cause);
}

/// <summary>A RaftPeer could not write its journal or snapshot; it fails and its supervisor restarts it from the journal.</summary>
public sealed class RaftPeerStorageException : Exception
{
    /// <summary>Creates the exception.</summary>
    public RaftPeerStorageException(string message, Exception innerException) : base(message, innerException)
    {
    }
}
