using AkkaRaft.Raft.Core.Tracker;

namespace AkkaRaft.Raft.Core;

// The leader: replication with per-follower flow control (Raft §5.3), commitment (§5.4.2), heartbeats,
// check-quorum, InstallSnapshot sending, and leadership transfer (thesis 3.10).
public sealed partial class RaftNode
{
    private ulong _leadTransferee;
    private ulong _termStartIndex;
    private long _uncommittedBytes;
    private bool _pendingBroadcast;
    private bool _timeoutNowSent;

    /// <summary>True once the leader has committed an entry of its own term (its no-op).</summary>
    private bool CommittedInCurrentTerm => _role == RaftRole.Leader && _log.Committed >= _termStartIndex;

    private void TickLeader()
    {
        _heartbeatElapsed++;
        _electionElapsed++;
        _leaderTicks++;
        if (_electionElapsed >= _config.ElectionTicks)
        {
            _electionElapsed = 0;
            if (_config.CheckQuorum && (_config.Mutations & RaftMutations.NoCheckQuorumStepDown) == 0)
            {
                var active = _tracker.QuorumActive(Id);
                foreach (var (id, pr) in _tracker.Progress)
                {
                    if (id != Id) pr.RecentActive = false;
                }
                if (!active)
                {
                    // Thesis 6.2: a leader cut off from a quorum steps down, so clients look elsewhere.
                    BecomeFollower(_term, RaftIds.None);
                    return;
                }
            }
            // Thesis 3.10: a transfer that did not finish within an election timeout is abandoned.
            if (_leadTransferee != RaftIds.None)
            {
                _leadTransferee = RaftIds.None;
                MaybeLeaveJoint(); // deferred while the transfer was in progress
            }
        }
        if (_heartbeatElapsed >= _config.HeartbeatTicks)
        {
            _heartbeatElapsed = 0;
            BroadcastHeartbeat();
        }
    }

    private Entry AppendLeaderEntry(EntryType type, byte[] data)
    {
        var entry = new Entry(_term, _log.LastIndex + 1, type, data);
        var single = new[] { entry };
        _log.AppendFrom(single, 0);
        _uncommittedBytes += entry.SizeBytes;
        if (type == EntryType.ConfChange) OnEntriesAppended(single, 0);
        // Replication waits until the Ready is taken, so proposals made together go out together.
        _pendingBroadcast = true;
        return entry;
    }

    private void FlushPendingBroadcast()
    {
        if (!_pendingBroadcast) return;
        _pendingBroadcast = false;
        if (_role == RaftRole.Leader) BroadcastAppend();
    }

    private void BroadcastAppend()
    {
        foreach (var (id, pr) in _tracker.Progress)
        {
            if (id == Id) continue;
            if (!MaybeSendAppend(id, pr, sendIfEmpty: true)) continue;
            // While replicating, keep the pipeline full: batches up to the byte limit, until flow control stops.
            while (pr.State == ProgressState.Replicate && MaybeSendAppend(id, pr, sendIfEmpty: false))
            {
            }
        }
    }

    private void BroadcastAfterCommit()
    {
        MaybeLeaveJoint();
        BroadcastAppend();
        ReleaseWaitingReads();
        StepDownIfRemoved();
    }

    /// <summary>
    /// Thesis 4.3: once the joint configuration is committed, the leader appends the configuration of its incoming
    /// half (when the joint change asked it to leave automatically). A new leader does so after committing an entry
    /// of its term; a transfer in progress defers it to the next commit or tick.
    /// </summary>
    private void MaybeLeaveJoint()
    {
        var conf = _tracker.Conf;
        if (_role != RaftRole.Leader || !conf.AutoLeave || conf.VotersOutgoing.Length == 0) return;
        if (LatestConfIndex > _log.Committed || !CommittedInCurrentTerm || _leadTransferee != RaftIds.None) return;
        AppendLeaderEntry(EntryType.ConfChange, ConfChange.LeaveJoint().Encode());
    }

    /// <summary>Sends the next AppendEntries to <paramref name="to"/> if its flow control allows. Returns true if something was sent.</summary>
    private bool MaybeSendAppend(ulong to, Progress pr, bool sendIfEmpty)
    {
        if (pr.IsPaused) return false;
        var prevIndex = pr.Next - 1;
        if (!_log.TryTerm(prevIndex, out var prevTerm))
        {
            // The entries it needs are compacted (Raft §7).
            StartSnapshot(to, pr);
            return true;
        }
        var entries = pr.Next <= _log.LastIndex
            ? _log.Slice(pr.Next, _log.LastIndex + 1, _config.MaxAppendEntriesBytes)
            : Array.Empty<Entry>();
        if (entries.Length == 0 && !sendIfEmpty) return false;
        long bytes = 0;
        for (var i = 0; i < entries.Length; i++) bytes += entries[i].SizeBytes;
        Send(new AppendEntries(Id, to, _term, prevIndex, prevTerm, entries, _log.Committed));
        pr.SentEntries(entries.Length, entries.Length > 0 ? entries[^1].Index : prevIndex, bytes);
        return true;
    }

    private void BroadcastHeartbeat()
    {
        var round = NextRound();
        AttachWaitingReads(round);
        foreach (var (id, pr) in _tracker.Progress)
        {
            if (id == Id) continue;
            // Never tell a follower to commit past what it is known to hold.
            var commit = Math.Min(pr.Match, _log.Committed);
            Send(new Heartbeat(Id, id, _term, commit, round));
        }
    }

    /// <summary>§5.4.2: commit the highest index a quorum holds, but only if it is of the current term.</summary>
    private bool MaybeCommit()
    {
        var before = _log.Committed;
        var quorumIndex = _tracker.CommittedIndex();
        var anyTerm = (_config.Mutations & RaftMutations.CommitPreviousTermsByCounting) != 0;
        if (!_log.MaybeCommit(quorumIndex, _term, anyTerm)) return false;
        if (_uncommittedBytes > 0)
        {
            var committed = _log.Slice(Math.Max(before + 1, _log.FirstIndex), _log.Committed + 1, long.MaxValue);
            foreach (var e in committed) _uncommittedBytes -= e.SizeBytes;
            if (_uncommittedBytes < 0) _uncommittedBytes = 0;
        }
        return true;
    }

    private void StepLeader(RaftMessage message)
    {
        switch (message)
        {
            case AppendEntriesResponse response: HandleAppendResponse(response); break;
            case HeartbeatResponse response: HandleHeartbeatResponse(response); break;
            case ReadIndexRequest request: HandleReadIndexRequest(request); break;
            case AppendEntries or Heartbeat or InstallSnapshot:
                throw new RaftInvariantException("at most one leader per term",
                    $"leader {Id} of term {_term} received {message.GetType().Name} from {message.From} of the same term");
        }
    }

    private void HandleAppendResponse(AppendEntriesResponse response)
    {
        if (!_tracker.Progress.TryGetValue(response.From, out var pr)) return;
        pr.RecentActive = true;
        if (!response.Success)
        {
            if (pr.State == ProgressState.Snapshot) return;
            var nextProbe = response.RejectHint;
            if (response.LogTermHint > 0) nextProbe = _log.FindConflictByTerm(response.RejectHint, response.LogTermHint).Index;
            if (pr.MaybeDecrTo(response.Index, nextProbe))
            {
                if (pr.State == ProgressState.Replicate) pr.BecomeProbe();
                MaybeSendAppend(response.From, pr, sendIfEmpty: true);
            }
            return;
        }

        var wasPaused = pr.IsPaused;
        if (!pr.MaybeUpdate(response.Index)) return;
        switch (pr.State)
        {
            case ProgressState.Probe:
                pr.BecomeReplicate();
                break;
            case ProgressState.Snapshot when pr.Match + 1 >= _log.FirstIndex:
                pr.BecomeProbe();
                pr.BecomeReplicate();
                break;
            case ProgressState.Replicate:
                pr.Inflights.FreeLE(response.Index);
                break;
        }
        if (MaybeCommit()) BroadcastAfterCommit();
        else if (wasPaused) MaybeSendAppend(response.From, pr, sendIfEmpty: true);
        if (_role != RaftRole.Leader) return;
        while (MaybeSendAppend(response.From, pr, sendIfEmpty: false))
        {
        }
        if (response.From == _leadTransferee && pr.Match == _log.LastIndex) SendTimeoutNow(response.From);
    }

    private void HandleHeartbeatResponse(HeartbeatResponse response)
    {
        if (!_tracker.Progress.TryGetValue(response.From, out var pr)) return;
        pr.RecentActive = true;
        pr.ProbeSent = false;
        // An append may have been lost: let one more out so the follower can reject it and we recover.
        if (pr.State == ProgressState.Replicate && pr.Inflights.Full) pr.Inflights.FreeFirstOne();
        if (pr.State == ProgressState.Snapshot)
        {
            // No answer to the snapshot for an election timeout's worth of heartbeats: it or its answer was lost (or
            // the transfer is slow; the shell ignores a snapshot it is already moving): send it again.
            if (++pr.SnapshotWaitRounds >= _config.ElectionTicks) SendSnapshot(response.From, pr);
        }
        else if (pr.Match < _log.LastIndex) MaybeSendAppend(response.From, pr, sendIfEmpty: true);
        if (response.Round > pr.AckedRound && response.Round <= _round)
        {
            pr.AckedRound = response.Round;
            AdvanceReads();
        }
    }

    private void StartSnapshot(ulong to, Progress pr)
    {
        var snapshot = _log.CurrentSnapshot;
        if (snapshot.Metadata.Index == 0)
        {
            throw new RaftInvariantException("entries are compacted only into a snapshot",
                $"follower {to} needs index {pr.Next} but the log starts at {_log.FirstIndex} with no snapshot");
        }
        pr.BecomeSnapshot(snapshot.Metadata.Index);
        SendSnapshot(to, pr);
    }

    /// <summary>Sends the current snapshot whole (again, after a loss; a newer one if the log was compacted meanwhile).</summary>
    private void SendSnapshot(ulong to, Progress pr)
    {
        var snapshot = _log.CurrentSnapshot;
        if (snapshot.Metadata.Index != pr.PendingSnapshot) pr.BecomeSnapshot(snapshot.Metadata.Index);
        pr.SnapshotWaitRounds = 0;
        Send(new InstallSnapshot(Id, to, _term, snapshot));
    }

    /// <summary>Thesis 4.2.2: a leader removed from the configuration steps down once the removal is committed.</summary>
    private void StepDownIfRemoved()
    {
        if (_role == RaftRole.Leader && !_tracker.IsVoter(Id) && _log.Committed >= LatestConfIndex)
            BecomeFollower(_term, RaftIds.None);
    }

    // ------------------------------------------------------------------ leadership transfer

    private void SendTimeoutNow(ulong target)
    {
        // The target's election ignores every lease, so this leader's lease ends here for the rest of its term
        // (even if the transfer is later abandoned, the TimeoutNow may still arrive).
        _timeoutNowSent = true;
        Send(new TimeoutNow(Id, target, _term));
    }

    /// <summary>
    /// Hands leadership to <paramref name="target"/> (thesis 3.10): proposals are refused meanwhile, the
    /// target is brought up to date, then told to campaign at once. Abandoned after an election timeout.
    /// </summary>
    public RequestResult TransferLeadership(ulong target)
    {
        if (_role != RaftRole.Leader) return new RequestResult(RequestStatus.NotLeader, 0, 0, _lead);
        if (target == Id) return new RequestResult(RequestStatus.Accepted, 0, 0, _lead);
        if (!_tracker.Progress.TryGetValue(target, out var pr) || pr.IsLearner)
            return new RequestResult(RequestStatus.Rejected, 0, 0, _lead, $"node {target} is not a voter");
        if (_leadTransferee == target) return new RequestResult(RequestStatus.Accepted, 0, 0, _lead);
        _leadTransferee = target;
        _electionElapsed = 0;
        if (pr.Match == _log.LastIndex) SendTimeoutNow(target);
        else MaybeSendAppend(target, pr, sendIfEmpty: true);
        return new RequestResult(RequestStatus.Accepted, 0, 0, _lead);
    }
}
