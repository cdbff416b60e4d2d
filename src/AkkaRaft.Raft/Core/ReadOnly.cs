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
//
// A follower serves linearizable reads too: it asks the leader for a read index (ReadIndexRequest), the leader confirms
// that request like one of its own reads and answers the index, and the follower's reads wait until it has applied that
// far. The follower batches as the leader does: one request in flight, and the reads that arrive meanwhile go in the
// next one (sent when the answer comes back), so 64 readers on a follower cost the leader a few requests, not 64. The
// leader tags each read with the node it came from, to hand a confirmed read to its own application or send it back. A
// follower drops the reads it forwarded when it stops following that leader (a new term or an election) or when the
// answer has not come within an election timeout (lost on the way): the leader it asked may never answer.
//
// A follower's request ids start at a random point in each incarnation of the node (the first time it forwards a read),
// as etcd's request ids carry the member and its start time. A node that restarts (a failed journal write) while an
// answer to one of its requests is still on the way must not take that answer for a request of its new incarnation:
// counted from 1 again, the ids met, and the new read was served at the index of the old one, from before writes that
// had completed before the new read began (the fault harness, CI23).
public sealed partial class RaftNode
{
    private const int RoundHistory = 64;

    private readonly Queue<PendingRead> _pendingReads = new();
    private readonly List<ReadRequest> _waitingForTermCommit = new();
    private readonly List<ulong> _droppedReads = new();
    private readonly List<ReadRequest> _nextRoundReads = new();
    private readonly List<ulong> _unsentReads = new();
    private readonly List<ulong> _readBatch = new();
    private ulong _readBatchId;
    private ulong _lastReadBatchId;
    private long _readBatchSentTick;
    private long _followerTicks;
    private ulong _readRoundInFlight;
    private readonly long[] _roundSentTick = new long[RoundHistory];
    private ulong _round;
    private long _leaderTicks;

    /// <summary>A read asked of this leader: by its own application (<see cref="From"/> is this node) or by a follower.</summary>
    private readonly record struct ReadRequest(ulong From, ulong Context);

    private readonly record struct PendingRead(ReadRequest Request, ulong Index, ulong Round);

    /// <summary>
    /// Asks for a linearizable read (thesis 6.4). On the leader, the read is confirmed by a heartbeat round
    /// answered by a quorum; it then appears in <see cref="Ready.ReadStates"/> with the index to wait for.
    /// A leader that has not yet committed an entry of its term holds the read until it has. A follower that knows
    /// the leader asks it for the index and the read appears in <see cref="Ready.ReadStates"/> once it answers, or in
    /// <see cref="Ready.DroppedReads"/> if it refuses or this follower stops following it. Anything else:
    /// <see cref="RequestStatus.NotLeader"/> with the known leader.
    /// </summary>
    /// <param name="context">The caller's tag, returned in the <see cref="ReadState"/>.</param>
    public RequestResult ReadIndex(ulong context)
    {
        if (_role == RaftRole.Follower && _lead != RaftIds.None)
        {
            if ((_config.Mutations & RaftMutations.FollowerReadsAtOwnCommit) != 0)
            {
                _readStates.Add(new ReadState(_log.Committed, context));
                return new RequestResult(RequestStatus.Accepted, _log.Committed, _term, _lead);
            }
            if (_readBatch.Count + _unsentReads.Count >= _config.MaxPendingReads) return new RequestResult(RequestStatus.Overloaded, 0, 0, _lead);
            _unsentReads.Add(context);
            if (_readBatchId == 0) SendReadBatch();
            return new RequestResult(RequestStatus.Accepted, 0, _term, _lead);
        }
        if (_role != RaftRole.Leader) return new RequestResult(RequestStatus.NotLeader, 0, 0, _lead);
        return AcceptRead(new ReadRequest(Id, context));
    }

    /// <summary>The leader takes a read, its own or a follower's: confirmed by a quorum round before it is released.</summary>
    private RequestResult AcceptRead(ReadRequest request)
    {
        if ((_config.Mutations & RaftMutations.ReadsWithoutQuorumCheck) != 0)
        {
            ReleaseRead(request, _log.Committed);
            return new RequestResult(RequestStatus.Accepted, _log.Committed, _term, _lead);
        }
        if (_pendingReads.Count + _waitingForTermCommit.Count + _nextRoundReads.Count >= _config.MaxPendingReads)
            return new RequestResult(RequestStatus.Overloaded, 0, 0, _lead);
        if (!CommittedInCurrentTerm)
        {
            // Thesis 6.4 step 1: the commit index is only known to be current once an entry of this term commits.
            _waitingForTermCommit.Add(request);
            return new RequestResult(RequestStatus.Accepted, 0, _term, _lead);
        }
        AddRead(request);
        return new RequestResult(RequestStatus.Accepted, _log.Committed, _term, _lead);
    }

    /// <summary>A confirmed read goes to this node's application, or back to the follower that asked.</summary>
    private void ReleaseRead(ReadRequest request, ulong index)
    {
        if (request.From == Id) _readStates.Add(new ReadState(index, request.Context));
        else Send(new ReadIndexResponse(Id, request.From, _term, request.Context, index, Granted: true));
    }

    /// <summary>Leader: a follower asks for a read index.</summary>
    private void HandleReadIndexRequest(ReadIndexRequest request)
    {
        var result = AcceptRead(new ReadRequest(request.From, request.Context));
        if (result.Status != RequestStatus.Accepted) RefuseRead(request.From, request.Context);
    }

    /// <summary>Follower: the reads waiting for a request go to the leader in one.</summary>
    private void SendReadBatch()
    {
        _readBatch.Clear();
        _readBatch.AddRange(_unsentReads);
        _unsentReads.Clear();
        _readBatchId = NextReadBatchId();
        _readBatchSentTick = _followerTicks;
        Send(new ReadIndexRequest(Id, _lead, _term, _readBatchId));
    }

    /// <summary>The next request id: 62 random bits drawn by this incarnation's first request, then one more each time.</summary>
    private ulong NextReadBatchId()
    {
        if (_lastReadBatchId == 0)
        {
            var high = (ulong)_random.Next(int.MaxValue);
            var low = (ulong)_random.Next(int.MaxValue);
            _lastReadBatchId = (1UL << 62) | (high << 31) | low; // never 0, which means "no request in flight"
        }
        return ++_lastReadBatchId;
    }

    /// <summary>Follower: the leader answered the request in flight; the reads that waited for it go next.</summary>
    private void HandleReadIndexResponse(ReadIndexResponse response)
    {
        if (response.From != _lead || response.Context != _readBatchId) return; // an answer to a request given up on
        foreach (var context in _readBatch)
        {
            if (response.Granted) _readStates.Add(new ReadState(response.Index, context));
            else _droppedReads.Add(context);
        }
        _readBatch.Clear();
        _readBatchId = 0;
        if (_unsentReads.Count > 0) SendReadBatch();
    }

    /// <summary>Follower tick: a request unanswered for an election timeout was lost; its reads fail and the next go out.</summary>
    private void TickForwardedReads()
    {
        _followerTicks++;
        if (_readBatchId == 0 || _followerTicks - _readBatchSentTick < _config.ElectionTicks) return;
        _droppedReads.AddRange(_readBatch);
        _readBatch.Clear();
        _readBatchId = 0;
        if (_unsentReads.Count > 0 && _role == RaftRole.Follower && _lead != RaftIds.None) SendReadBatch();
    }

    /// <summary>A node that stops following its leader will hear no answer to the reads it forwarded: hand them back.</summary>
    private void DropForwardedReads()
    {
        _droppedReads.AddRange(_readBatch);
        _droppedReads.AddRange(_unsentReads);
        _readBatch.Clear();
        _unsentReads.Clear();
        _readBatchId = 0;
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

    private void AddRead(ReadRequest request)
    {
        if (_readRoundInFlight != 0 && _tracker.QuorumAckedRound() < _readRoundInFlight)
        {
            _nextRoundReads.Add(request); // confirmed by a round sent after it arrived: the next one
            return;
        }
        var round = NextRound();
        _pendingReads.Enqueue(new PendingRead(request, _log.Committed, round));
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
        foreach (var request in _nextRoundReads) _pendingReads.Enqueue(new PendingRead(request, _log.Committed, round));
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
            ReleaseRead(read.Request, read.Index);
        }
        if (_nextRoundReads.Count > 0 && confirmed >= _readRoundInFlight) BroadcastHeartbeat();
    }

    private void ReleaseWaitingReads()
    {
        if (_waitingForTermCommit.Count == 0 || !CommittedInCurrentTerm) return;
        foreach (var request in _waitingForTermCommit) AddRead(request);
        _waitingForTermCommit.Clear();
    }

    private void ResetReads()
    {
        // Reads not yet confirmed never will be: hand their contexts back so the caller can fail them now, and refuse
        // the followers' reads so they fail theirs.
        foreach (var read in _pendingReads) DropUnconfirmed(read.Request);
        foreach (var request in _waitingForTermCommit) DropUnconfirmed(request);
        foreach (var request in _nextRoundReads) DropUnconfirmed(request);
        DropForwardedReads();
        _pendingReads.Clear();
        _nextRoundReads.Clear();
        _readRoundInFlight = 0;
        _waitingForTermCommit.Clear();
        _round = 0;
        _leaderTicks = 0;
        _timeoutNowSent = false;
        Array.Clear(_roundSentTick);
    }

    private void DropUnconfirmed(ReadRequest request)
    {
        if (request.From == Id) _droppedReads.Add(request.Context);
        else RefuseRead(request.From, request.Context);
    }

    /// <summary>Not the leader, or too many reads waiting: the follower fails the read at once instead of at its timeout.</summary>
    private void RefuseRead(ulong follower, ulong context) =>
        Send(new ReadIndexResponse(Id, follower, _term, context, 0, Granted: false));
}
