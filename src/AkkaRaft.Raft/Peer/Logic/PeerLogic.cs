using AkkaRaft.Raft.Core;
using AkkaRaft.Raft.Peer.Protocol;

namespace AkkaRaft.Raft.Peer;

/// <summary>
/// Everything a Raft peer decides, with no I/O, no clock, no threads and no randomness of its own (docs/ARCHITECTURE.md,
/// "The Raft core is pure"): it steps the pure <see cref="RaftNode"/>, turns each <see cref="Ready"/> into one
/// journal batch, keeps the clients' pending writes, reads and membership changes with their deadlines, decides
/// when the state machine snapshots, and reports its status. Its shell (the <c>RaftPeer</c> actor, or the
/// seeded simulation) feeds it inputs and carries out the <see cref="PeerEffect{TClient}"/>s each input returns.
/// </summary>
/// <remarks>
/// <para>
/// The shell's loop: feed an input (<see cref="Start"/> once, then <see cref="Step"/>, <see cref="Tick"/>,
/// <see cref="Request"/> and the completions <see cref="BatchDurable"/>, <see cref="SnapshotRecordSaved"/>,
/// <see cref="StateMachineSnapshotTaken"/>), then carry out the effects in the order given (they already are in
/// the order Raft needs: a Ready's journal write before the messages that depend on it, messages before the entries
/// applied) before feeding the next input. Completions come back as inputs, never from inside an effect.
/// </para>
/// <para>
/// Ready pump (etcd's order, thesis 10.2.1): a leader sends its messages before its own write is durable, since it
/// counts itself towards a quorum only after <see cref="RaftNode.Advance"/>; everyone else sends after the write (a
/// follower sends before it only with the fault harness's deliberate bug, <c>unsafe-ack-before-fsync</c>). A
/// Ready that only moves the commit index costs no write. One Ready is carried out at a time; what the core gathers
/// meanwhile (new proposals included) goes into the next batch: group commit. A Ready that cuts the log has its
/// snapshot record saved after its batch and before anything of it is sent, and the journal is then deleted up to it.
/// </para>
/// <para>
/// Time is the <c>now</c> every input carries, on any monotonic clock the shell likes (virtual in the simulation).
/// Not thread-safe. Any exception out of an input (a broken invariant, a failed snapshot save) leaves the instance
/// unusable: the shell fails and a new one recovers from the journal.
/// </para>
/// </remarks>
/// <typeparam name="TClient">How the shell names a client (the actor shell: its <c>IActorRef</c>).</typeparam>
internal sealed partial class PeerLogic<TClient>
    where TClient : class
{
    private readonly PeerLogicSetup _setup;
    private readonly RaftPeerSettings _settings;
    private readonly ulong _id;
    private readonly List<PeerEffect<TClient>> _effects = new(16);
    private readonly long _recoveredEvents;
    private readonly bool _journalIsEmpty;
    private RaftNode? _node;
    private MemoryStorage _durable;
    private MemoryStorage? _founders;
    private long _bootstrapToken;
    private bool _startRequested;

    // The Ready being carried out, and what of it is in flight.
    private Ready? _outstanding;
    private JournalBatch? _writing;
    private long _writingToken;
    private long _lastToken;
    // Snapshot records being saved (by the sequence number of their SnapshotTaken event), and the one of a snapshot
    // installed from the leader, whose Ready waits for it.
    private readonly HashSet<long> _recordsSaving = [];
    private long _installRecordSequenceNr;
    private bool _sentEarly;
    private TimeSpan _now;

    // Counters of this incarnation.
    private long _journalBatches;
    private long _entriesPersisted;
    private long _entriesApplied;
    private long _snapshotsSaved;
    private long _snapshotsInstalled;

    /// <summary>A peer's logic over what it recovered; nothing happens until <see cref="Start"/>.</summary>
    /// <exception cref="ArgumentException">The setup is invalid.</exception>
    public PeerLogic(PeerLogicSetup setup, RecoveredPeer recovered)
    {
        ArgumentNullException.ThrowIfNull(setup);
        ArgumentNullException.ThrowIfNull(recovered);
        _setup = setup.Validate();
        _settings = setup.Settings;
        _id = setup.NodeId;
        _durable = recovered.Storage;
        _recoveredEvents = recovered.RecoveredEvents;
        _journalIsEmpty = recovered.LastSequenceNr == 0;
    }

    /// <summary>This peer's id.</summary>
    public ulong NodeId => _id;

    /// <summary>True once the core runs (after recovery and, for a founder, its bootstrap write).</summary>
    public bool Started => _node is not null;

    /// <summary>This peer's role now (a follower until started).</summary>
    public RaftRole Role => _node?.Role ?? RaftRole.Follower;

    /// <summary>The leader this peer knows now, or <see cref="RaftIds.None"/>.</summary>
    public ulong Leader => _node?.Leader ?? RaftIds.None;

    /// <summary>This peer's term now.</summary>
    public ulong Term => _node?.Term ?? 0;

    /// <summary>The storage the core reads: what is durable, mirrored in memory. Tests compare it with the disk.</summary>
    public MemoryStorage Storage => _durable;

    // ------------------------------------------------------------------ inputs

    /// <summary>
    /// Starts the peer: a founder that never wrote anything journals its bootstrap entries first (the core starts
    /// once they are durable); any other peer starts its core at once, restoring the state machine from its snapshot.
    /// </summary>
    /// <exception cref="RaftInvariantException">The peer was started already.</exception>
    public PeerEffects<TClient> Start(TimeSpan now)
    {
        Begin(now);
        if (_startRequested) throw new RaftInvariantException("a peer starts once", $"peer {_id} was started already");
        _startRequested = true;
        if (_journalIsEmpty && _durable.LastIndex == 0 && _setup.InitialVoters.Count > 0)
        {
            var (founders, events) = RaftJournal.Bootstrap(_setup.InitialVoters);
            _founders = founders;
            _bootstrapToken = ++_lastToken;
            _effects.Add(PeerEffect<TClient>.Persist(events, _bootstrapToken));
            return Done();
        }
        StartCore();
        return Done();
    }

    /// <summary>A Raft message from another peer.</summary>
    public PeerEffects<TClient> Step(RaftMessage message, TimeSpan now)
    {
        ArgumentNullException.ThrowIfNull(message);
        Begin(now);
        // Misaddressed messages (a restarted peer got another id, a stale route) and anonymous ones are noise.
        if (_node is null || message.To != _id || message.From == RaftIds.None) return Done();
        if (message is Snapshots.SnapshotOffer offer) OnSnapshotOffered(offer);
        else _node.Step(message);
        Pump();
        return Done();
    }

    /// <summary>One heartbeat interval passed: the core's logical clock ticks and expired requests are answered.</summary>
    public PeerEffects<TClient> Tick(TimeSpan now)
    {
        Begin(now);
        if (_node is null) return Done();
        _node.Tick();
        ExpireRequests();
        MaybePromoteLearner(_node);
        Pump();
        return Done();
    }

    /// <summary>
    /// The journal write of <see cref="PeerEffectKind.Persist"/> with <paramref name="token"/> is durable; its last
    /// event got <paramref name="lastSequenceNr"/>.
    /// </summary>
    /// <exception cref="RaftInvariantException">No write with that token is in flight.</exception>
    public PeerEffects<TClient> BatchDurable(long token, long lastSequenceNr, TimeSpan now)
    {
        Begin(now);
        if (_bootstrapToken != 0)
        {
            if (token != _bootstrapToken)
                throw new RaftInvariantException("the durable batch is the one in flight", $"peer {_id}: bootstrap batch {_bootstrapToken} in flight, batch {token} reported durable");
            _durable = _founders!;
            _founders = null;
            _bootstrapToken = 0;
            StartCore();
            return Done();
        }
        if (_outstanding is null || _writing is null || _writingToken == 0)
            throw new RaftInvariantException("a batch is durable only while one is written", $"peer {_id}: batch {token} reported durable with none in flight");
        if (token != _writingToken)
            throw new RaftInvariantException("the durable batch is the one in flight", $"peer {_id}: batch {_writingToken} in flight, batch {token} reported durable");
        _writingToken = 0;
        if (_writing.SnapshotRecord is not { } record)
        {
            CarryOut(_outstanding);
            Pump();
            return Done();
        }
        if (lastSequenceNr < 1)
            throw new RaftInvariantException("a snapshot record is saved at the sequence number of its SnapshotTaken event", $"peer {_id}: batch {token} durable at {lastSequenceNr}");
        if (_outstanding.Snapshot is not null)
        {
            // Installed from the leader: nothing of this Ready is sent before the record is durable: a follower that
            // acknowledged an installed snapshot it could lose in a crash would count towards a quorum it is not part of.
            _installRecordSequenceNr = lastSequenceNr;
            _recordsSaving.Add(lastSequenceNr);
            _effects.Add(PeerEffect<TClient>.SaveSnapshot(record, lastSequenceNr));
            return Done();
        }

        // A compaction of this peer's own log: every entry it covers is durable in the journal already, and the journal
        // keeps them until the record is durable (the cut waits for it); a crash before then replays them, skipping the
        // SnapshotTaken without its record. So the Ready goes on at once. Waiting for a record of tens of MB stalled the
        // peer for seconds, and every peer compacts at about the same index: the whole cluster stopped committing.
        // While an earlier record is still being saved this one is not written (as after a crash); the next one is.
        if (_recordsSaving.Count == 0)
        {
            _recordsSaving.Add(lastSequenceNr);
            _effects.Add(PeerEffect<TClient>.SaveSnapshot(record, lastSequenceNr));
        }

        CarryOut(_outstanding);
        Pump();
        return Done();
    }

    /// <summary>The snapshot record of <see cref="PeerEffectKind.SaveSnapshotRecord"/> at <paramref name="sequenceNr"/> is durable.</summary>
    /// <exception cref="RaftInvariantException">No record is being saved at that sequence number.</exception>
    public PeerEffects<TClient> SnapshotRecordSaved(long sequenceNr, TimeSpan now)
    {
        Begin(now);
        if (!_recordsSaving.Remove(sequenceNr))
            throw new RaftInvariantException("a snapshot record is saved only when one was asked for", $"peer {_id}: record at {sequenceNr} reported saved, asked at [{string.Join(", ", _recordsSaving)}]");
        _effects.Add(PeerEffect<TClient>.DeleteUpTo(sequenceNr));
        if (sequenceNr == _installRecordSequenceNr)
        {
            _installRecordSequenceNr = 0;
            if (_outstanding is null) throw new RaftInvariantException("an installed snapshot's Ready waits for its record", $"peer {_id}: record at {sequenceNr} saved with no Ready waiting");
            CarryOut(_outstanding);
            Pump();
        }

        return Done();
    }

    /// <summary>Saving the snapshot record at <paramref name="sequenceNr"/> failed: the peer cannot go on.</summary>
    /// <exception cref="RaftPeerStorageException">Always: the shell fails and the peer recovers from its journal.</exception>
    public void SnapshotRecordFailed(long sequenceNr, Exception cause)
    {
        // Recovery skips a SnapshotTaken without its record, so the journal still holds the log before it.
        throw new RaftPeerStorageException($"peer {_id}: saving the snapshot record at {sequenceNr} failed; restarting from the journal", cause);
    }

    // ------------------------------------------------------------------ Ready

    private void StartCore()
    {
        _node = new RaftNode(_settings.CoreConfig(_id), _durable, _setup.Random);
        var snapshot = _durable.Snapshot;
        ResetCommittedConfiguration(snapshot.Metadata);
        if (snapshot.Metadata.Index > 0)
        {
            _effects.Add(PeerEffect<TClient>.Restore(snapshot.Data, snapshot.Metadata.Index, snapshot.Metadata.Term));
            RestoreSessions(snapshot.Data);
            _lastSnapshotBytes = snapshot.Data.Length;
        }
        _handedIndex = snapshot.Metadata.Index;
        Pump();
    }

    /// <summary>Takes the next Ready if none is being carried out, and starts its write (or carries it out at once when it has nothing to write).</summary>
    private void Pump()
    {
        var node = _node!;
        while (_outstanding is null && node.HasReady)
        {
            var ready = node.GetReady();
            _outstanding = ready;
            _sentEarly = false;
            if (ready.SoftState is { } soft) OnSoftState(soft);
            if (node.Role == RaftRole.Leader && ready.Snapshot is null)
            {
                // Thesis 10.2.1: the leader's messages do not depend on its own write; it counts itself only after Advance.
                SendAll(ready.Messages);
                _sentEarly = true;
            }
            else if (_settings.UnsafeAckBeforeFsync && node.Role == RaftRole.Follower && ready.Snapshot is null)
            {
                // The fault harness's deliberate bug (unsafe-ack-before-fsync): a follower's acknowledgements promise
                // entries that are not durable yet (Raft §5.3 needs them durable first), so a lost write loses them.
                SendAll(ready.Messages);
                _sentEarly = true;
            }
            if (!ready.MustPersist || OnlyCommitAdvanced(ready))
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
            _writing = batch;
            _writingToken = ++_lastToken;
            _effects.Add(PeerEffect<TClient>.Persist(batch.Events, _writingToken));
        }
        // A Ready is still being made durable (a snapshot row of tens of MB, a journal cut, a slow disk): what promises
        // nothing about storage goes now. Without this a follower answered no heartbeat until its write finished, and
        // a leader sent none: a write longer than the election timeout cost the cluster its leader.
        if (_outstanding is not null) SendAll(node.TakeMessagesNeedingNoStorage());
    }

    private bool OnlyCommitAdvanced(Ready ready) =>
        ready.Entries.Count == 0 && ready.Snapshot is null && ready.Compaction is null
        && ready.HardState is { } hard && hard.Term == _durable.HardState.Term && hard.Vote == _durable.HardState.Vote;

    /// <summary>The Ready's writes are durable: update the mirror of the storage, send, apply, advance.</summary>
    private void CarryOut(Ready ready)
    {
        if (!ReferenceEquals(ready, _outstanding))
            throw new RaftInvariantException("the Ready carried out is the outstanding one", $"peer {_id}");
        if (ready.MustPersist)
        {
            _durable.Save(ready);
            if (ready.Snapshot is not null || ready.Compaction is not null) _snapshotsSaved++;
        }
        if (!_sentEarly) SendAll(ready.Messages);
        if (ready.Snapshot is { } snapshot)
        {
            _effects.Add(PeerEffect<TClient>.Restore(snapshot.Data, snapshot.Metadata.Index, snapshot.Metadata.Term));
            RestoreSessions(snapshot.Data);
            _handedIndex = snapshot.Metadata.Index;
            ResetCommittedConfiguration(snapshot.Metadata);
            _snapshotsInstalled++;
            ResetSnapshotTrigger(snapshot.Data.Length);
        }
        if (ready.CommittedEntries.Count > 0) HandToStateMachine(ready.CommittedEntries);
        for (var i = 0; i < ready.ReadStates.Count; i++) OnReadConfirmed(ready.ReadStates[i]);
        for (var i = 0; i < ready.DroppedReads.Count; i++) OnReadDropped(ready.DroppedReads[i]);
        // The core hands back every read it will not confirm (DroppedReads); this catches any it held elsewhere.
        // After the confirmed reads: a read the quorum confirmed before this peer stepped down is still served.
        // A follower that follows a leader keeps its forwarded reads: those the core will not confirm are in DroppedReads.
        if (ready.SoftState is { Role: not RaftRole.Leader } soft && _node!.Role != RaftRole.Leader
            && !(soft.Role == RaftRole.Follower && soft.Leader != RaftIds.None))
            FailUnconfirmedReads(soft.Leader);
        ServeReadsUpToHanded();
        _outstanding = null;
        _writing = null;
        _node!.Advance(ready);
        MaybeRequestSnapshot();
    }

    private void SendAll(IReadOnlyList<RaftMessage> messages)
    {
        for (var i = 0; i < messages.Count; i++) _effects.Add(PeerEffect<TClient>.Send(messages[i]));
    }

    private void OnSoftState(SoftState soft)
    {
        _effects.Add(PeerEffect<TClient>.RoleChanged(new PeerRoleChanged(_id, soft.Role, soft.Leader, _node!.Term)));
        OnLeadershipChanged(soft.Role);
        OnMembershipLeadershipChanged(soft.Role);
        OnWatchLeadership(soft.Role);
    }

    // ------------------------------------------------------------------ plumbing

    /// <summary>Starts an input: time moves on (never back) and the effects of the previous input are dropped.</summary>
    private void Begin(TimeSpan now)
    {
        if (now < _now) throw new RaftInvariantException("time never goes back", $"peer {_id}: now {now} after {_now}");
        _now = now;
        _effects.Clear();
    }

    private PeerEffects<TClient> Done() => new(_effects);
}
