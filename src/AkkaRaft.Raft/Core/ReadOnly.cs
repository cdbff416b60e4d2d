namespace AkkaRaft.Raft.Core;

// Linearizable reads without writing to the log: ReadIndex (thesis 6.4) and the leader lease (thesis 6.4.1).
//
// Each heartbeat broadcast opens a new "round"; a follower echoes the round in its answer. A read taken at
// round r with the commit index c is safe to serve at c once a quorum has answered a round ≥ r: that proves
// this node was still leader after the read arrived. The lease uses the same rounds: it lasts from the
// moment the quorum-acknowledged round was sent for an election timeout minus the drift margin, because
// followers refuse to vote for that long after hearing from the leader (check-quorum).
//
// Reads are batched as etcd's server batches them: while one read round is unconfirmed, new reads wait for the next
// round (opened when that one is confirmed, or by the next heartbeat tick, both sent after they arrived), so 64
// concurrent reads cost a few heartbeat rounds instead of 64.
public sealed partial class RaftNode
{
    private const int RoundHistory = 64;

    private readonly Queue<PendingRead> _pendingReads = new();
    private readonly List<ulong> _waitingForTermCommit = new();
    private readonly List<ulong> _droppedReads = new();
    private readonly List<ulong> _nextRoundReads = new();
    private ulong _readRoundInFlight;
    private readonly long[] _roundSentTick = new long[RoundHistory];
    private ulong _round;
    private long _leaderTicks;

    private readonly record struct PendingRead(ulong Context, ulong Index, ulong Round);

    /// <summary>
    /// Asks for a linearizable read (thesis 6.4). On the leader, the read is confirmed by a heartbeat round
    /// answered by a quorum; it then appears in <see cref="Ready.ReadStates"/> with the index to wait for.
    /// A leader that has not yet committed an entry of its term holds the read until it has. Not leader:
    /// <see cref="RequestStatus.NotLeader"/> with the known leader.
    /// </summary>
    /// <param name="context">The caller's tag, returned in the <see cref="ReadState"/>.</param>
    public RequestResult ReadIndex(ulong context)
    {
        if (_role != RaftRole.Leader) return new RequestResult(RequestStatus.NotLeader, 0, 0, _lead);
        if ((_config.Mutations & RaftMutations.ReadsWithoutQuorumCheck) != 0)
        {
            _readStates.Add(new ReadState(_log.Committed, context));
            return new RequestResult(RequestStatus.Accepted, _log.Committed, _term, _lead);
        }
        if (_pendingReads.Count + _waitingForTermCommit.Count >= _config.MaxPendingReads)
            return new RequestResult(RequestStatus.Overloaded, 0, 0, _lead);
        if (!CommittedInCurrentTerm)
        {
            // Thesis 6.4 step 1: the commit index is only known to be current once an entry of this term commits.
            _waitingForTermCommit.Add(context);
            return new RequestResult(RequestStatus.Accepted, 0, _term, _lead);
        }
        AddRead(context);
        return new RequestResult(RequestStatus.Accepted, _log.Committed, _term, _lead);
    }

    /// <summary>
    /// A read served under the leader's lease: answered at once (in the next Ready) if lease reads are
    /// configured and the lease holds, otherwise handled exactly like <see cref="ReadIndex"/>.
    /// </summary>
    public RequestResult LeaseRead(ulong context)
    {
        if (_role != RaftRole.Leader) return new RequestResult(RequestStatus.NotLeader, 0, 0, _lead);
        if (_config.LeaseReads && CommittedInCurrentTerm && _leadTransferee == RaftIds.None && LeaseHolds())
        {
            _readStates.Add(new ReadState(_log.Committed, context));
            return new RequestResult(RequestStatus.Accepted, _log.Committed, _term, _lead);
        }
        return ReadIndex(context);
    }

    /// <summary>True while the leader's lease holds (always false unless lease reads are on).</summary>
    public bool LeaseHolds()
    {
        if (!_config.LeaseReads || _role != RaftRole.Leader || _timeoutNowSent) return false;
        var round = _tracker.QuorumAckedRound();
        if (round == 0 || round > _round || _round - round >= RoundHistory) return false;
        var sentAt = _roundSentTick[round % RoundHistory];
        return _leaderTicks < sentAt + _config.ElectionTicks - _config.LeaseDriftMarginTicks;
    }

    private ulong NextRound()
    {
        _round++;
        _roundSentTick[_round % RoundHistory] = _leaderTicks;
        if (_tracker.Progress.TryGetValue(Id, out var self)) self.AckedRound = _round;
        return _round;
    }

    private void AddRead(ulong context)
    {
        if (_readRoundInFlight != 0 && _tracker.QuorumAckedRound() < _readRoundInFlight)
        {
            _nextRoundReads.Add(context); // confirmed by a round sent after it arrived: the next one
            return;
        }
        var round = NextRound();
        _pendingReads.Enqueue(new PendingRead(context, _log.Committed, round));
        _readRoundInFlight = round;
        foreach (var (id, pr) in _tracker.Progress)
        {
            if (id == Id) continue;
            Send(new Heartbeat(Id, id, _term, Math.Min(pr.Match, _log.Committed), round));
        }
        AdvanceReads();
    }

    /// <summary>A heartbeat round is being sent: the reads waiting for the next round ride on it.</summary>
    private void AttachWaitingReads(ulong round)
    {
        if (_nextRoundReads.Count == 0) return;
        foreach (var context in _nextRoundReads) _pendingReads.Enqueue(new PendingRead(context, _log.Committed, round));
        _nextRoundReads.Clear();
        _readRoundInFlight = round;
    }

    /// <summary>Releases every read whose round a quorum has answered, then opens the next round for those waiting.</summary>
    private void AdvanceReads()
    {
        if (_pendingReads.Count == 0 && _nextRoundReads.Count == 0) return;
        var confirmed = _tracker.QuorumAckedRound();
        while (_pendingReads.Count > 0 && _pendingReads.Peek().Round <= confirmed)
        {
            var read = _pendingReads.Dequeue();
            _readStates.Add(new ReadState(read.Index, read.Context));
        }
        if (_nextRoundReads.Count > 0 && confirmed >= _readRoundInFlight) BroadcastHeartbeat();
    }

    private void ReleaseWaitingReads()
    {
        if (_waitingForTermCommit.Count == 0 || !CommittedInCurrentTerm) return;
        foreach (var context in _waitingForTermCommit) AddRead(context);
        _waitingForTermCommit.Clear();
    }

    private void ResetReads()
    {
        // Reads not yet confirmed never will be: hand their contexts back so the caller can fail them now.
        foreach (var read in _pendingReads) _droppedReads.Add(read.Context);
        _droppedReads.AddRange(_waitingForTermCommit);
        _droppedReads.AddRange(_nextRoundReads);
        _pendingReads.Clear();
        _nextRoundReads.Clear();
        _readRoundInFlight = 0;
        _waitingForTermCommit.Clear();
        _round = 0;
        _leaderTicks = 0;
        _timeoutNowSent = false;
        Array.Clear(_roundSentTick);
    }
}
