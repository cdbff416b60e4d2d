using Akka.Actor;
using AkkaRaft.Raft.Core;

namespace AkkaRaft.Raft.Peer;

// Client requests: writes wait for their entry to be applied, reads for their ReadIndex (or lease) and then
// for the state machine to reach it, membership changes for their entry to commit. Every pending request has
// a deadline; the tick sweeps the expired ones and answers RequestTimedOut.
public sealed partial class RaftPeer
{
    private readonly Dictionary<ulong, PendingWrite> _pendingWrites = new();
    private readonly Dictionary<ulong, PendingRead> _pendingReads = new();
    private readonly List<(ulong Index, PendingRead Read)> _confirmedReads = new();
    private readonly Dictionary<ulong, PendingWrite> _pendingConfChanges = new();
    private readonly List<ulong> _expired = new();
    private ulong _readContext;
    private ulong _handedIndex;

    // Snapshot trigger: applied entries and bytes since the last snapshot.
    private long _appliedSinceSnapshot;
    private long _appliedBytesSinceSnapshot;
    private bool _snapshotRequested;

    // Commit latency of acknowledged writes (proposal to hand-off of the committed entry), on the system's clock.
    private readonly long[] _commitLatencyBuckets = new long[CommitLatencyHistogram.BucketBoundsSeconds.Count + 1];
    private TimeSpan _commitLatencySum;
    private long _commitLatencyCount;

    private int PendingCount => _pendingWrites.Count + _pendingReads.Count + _confirmedReads.Count + _pendingConfChanges.Count;

    // The scheduler's monotonic clock: the only time the shell reads (the core counts ticks).
    private TimeSpan Now => Context.System.Scheduler.MonotonicClock;

    private TimeSpan DeadlineOf(TimeSpan? timeout) => Now + (timeout is { } t && t > TimeSpan.Zero ? t : _settings.RequestTimeout);

    private void OnWrite(Write write)
    {
        if (write.Command is null || write.Command.Length == 0)
        {
            Sender.Tell(new RequestRejected("a write needs a command of at least one byte (empty entries are the leader's no-ops)"), Self);
            return;
        }
        if (write.Command.Length > _maxCommandBytes)
        {
            Sender.Tell(new RequestRejected($"a command of {write.Command.Length} bytes cannot be journaled: the most is {_maxCommandBytes} (akkaraft.persistence.journal.max-event-bytes less the entry's framing)"), Self);
            return;
        }
        if (!_recovered || _node.Role != RaftRole.Leader)
        {
            NotLeaderOrForward(write, write.OnNotLeader, write.Hops, write with { Hops = write.Hops + 1 });
            return;
        }
        if (PendingCount >= _settings.MaxProposalQueue)
        {
            Sender.Tell(new Overloaded($"{PendingCount} requests pending (akkaraft.raft.max-proposal-queue = {_settings.MaxProposalQueue})"), Self);
            return;
        }
        var result = _node.Propose(StateMachineActor.EncodeCommand(write.Command, 0));
        switch (result.Status)
        {
            case RequestStatus.Accepted:
                _pendingWrites[result.Index] = new PendingWrite(Sender, result.Term, Now, DeadlineOf(write.Timeout), write.Timeout ?? _settings.RequestTimeout);
                Pump();
                break;
            case RequestStatus.Overloaded:
                Sender.Tell(new Overloaded("uncommitted entries reached akkaraft.raft.max-uncommitted-entries-bytes"), Self);
                break;
            default:
                Sender.Tell(new NotLeader(result.LeaderHint, $"not accepted: {result.Status}{(result.Reason is null ? "" : " (" + result.Reason + ")")}"), Self);
                break;
        }
    }

    private void OnQuery(Query query)
    {
        if (query.Bytes is null)
        {
            Sender.Tell(new RequestRejected("a query needs its bytes"), Self);
            return;
        }
        if (!_recovered)
        {
            Sender.Tell(new NotLeader(RaftIds.None, "the peer is still recovering"), Self);
            return;
        }
        if (query.Level == ReadLevel.Stale)
        {
            // The child answers after every entry already handed to it: local state, possibly behind.
            _stateMachine.Tell(new ServeQuery(query.Bytes, Sender, _node.Leader, ReadPath.Local), Self);
            return;
        }
        if (_node.Role != RaftRole.Leader)
        {
            NotLeaderOrForward(query, query.OnNotLeader, query.Hops, query with { Hops = query.Hops + 1 });
            return;
        }
        if (PendingCount >= _settings.MaxProposalQueue)
        {
            Sender.Tell(new Overloaded($"{PendingCount} requests pending (akkaraft.raft.max-proposal-queue = {_settings.MaxProposalQueue})"), Self);
            return;
        }
        var context = ++_readContext;
        var lease = query.Level == ReadLevel.Default && _node.LeaseHolds();
        var result = query.Level == ReadLevel.Default ? _node.LeaseRead(context) : _node.ReadIndex(context);
        switch (result.Status)
        {
            case RequestStatus.Accepted:
                _pendingReads[context] = new PendingRead(Sender, query.Bytes, lease ? ReadPath.Lease : ReadPath.ReadIndex,
                    DeadlineOf(query.Timeout), query.Timeout ?? _settings.RequestTimeout);
                Pump();
                break;
            case RequestStatus.Overloaded:
                Sender.Tell(new Overloaded("pending reads reached akkaraft.raft.max-pending-reads"), Self);
                break;
            default:
                Sender.Tell(new NotLeader(result.LeaderHint, $"read not accepted: {result.Status}"), Self);
                break;
        }
    }

    private void OnConfChange(ConfChange change, ulong nodeId, TimeSpan? timeout)
    {
        if (nodeId == RaftIds.None)
        {
            Sender.Tell(new RequestRejected("node id 0 means no node"), Self);
            return;
        }
        if (!_recovered || _node.Role != RaftRole.Leader)
        {
            Sender.Tell(new NotLeader(_recovered ? _node.Leader : RaftIds.None, "membership changes go to the leader"), Self);
            return;
        }
        var result = _node.ProposeConfChange(change);
        switch (result.Status)
        {
            case RequestStatus.Accepted:
                _pendingConfChanges[result.Index] = new PendingWrite(Sender, result.Term, Now, DeadlineOf(timeout), timeout ?? _settings.RequestTimeout);
                Pump();
                break;
            case RequestStatus.NotLeader:
                Sender.Tell(new NotLeader(result.LeaderHint, "membership changes go to the leader"), Self);
                break;
            default:
                Sender.Tell(new RequestRejected($"{change} not accepted: {result.Status}{(result.Reason is null ? "" : " (" + result.Reason + ")")}"), Self);
                break;
        }
    }

    private void OnTransferLeadership(TransferLeadership transfer)
    {
        if (!_recovered)
        {
            Sender.Tell(new NotLeader(RaftIds.None, "the peer is still recovering"), Self);
            return;
        }
        var result = _node.TransferLeadership(transfer.Target);
        switch (result.Status)
        {
            case RequestStatus.Accepted:
                Pump();
                Sender.Tell(Status(), Self);
                break;
            case RequestStatus.NotLeader:
                Sender.Tell(new NotLeader(result.LeaderHint, "leadership is transferred by the leader"), Self);
                break;
            default:
                Sender.Tell(new RequestRejected($"transfer to {transfer.Target} not accepted: {result.Reason ?? result.Status.ToString()}"), Self);
                break;
        }
    }

    private void NotLeaderOrForward(object request, NotLeaderPolicy policy, int hops, object forwarded)
    {
        var leader = _recovered ? _node.Leader : RaftIds.None;
        // A request is forwarded once at most: a second hop would mean the leader moved meanwhile, and the client knows best.
        if (policy == NotLeaderPolicy.Forward && hops == 0 && leader != RaftIds.None && leader != _setup.NodeId
            && _setup.Transport.Forward(_setup.NodeId, leader, forwarded, Sender))
        {
            return;
        }
        Sender.Tell(new NotLeader(leader, leader == RaftIds.None ? "no leader known" : $"peer {_setup.NodeId} is not the leader"), Self);
    }

    // ------------------------------------------------------------------ outcomes

    /// <summary>Hands committed entries to the state machine child, with the clients waiting for them.</summary>
    private void HandToStateMachine(IReadOnlyList<Entry> entries)
    {
        var replies = new IActorRef?[entries.Count];
        for (var i = 0; i < entries.Count; i++)
        {
            var entry = entries[i];
            _appliedSinceSnapshot++;
            _appliedBytesSinceSnapshot += entry.SizeBytes;
            if (_pendingWrites.Remove(entry.Index, out var write))
            {
                // Another entry at our index means ours was overwritten by a later leader: it never applies.
                if (write.Term == entry.Term && entry.Type == EntryType.Normal)
                {
                    replies[i] = write.Client;
                    RecordCommitLatency(Now - write.Proposed);
                }
                else write.Client.Tell(new NotLeader(_node.Leader, $"the entry at index {entry.Index} was replaced by another leader's"), Self);
            }
            if (_pendingConfChanges.Remove(entry.Index, out var change))
            {
                if (change.Term == entry.Term && entry.Type == EntryType.ConfChange)
                    change.Client.Tell(new MembershipChanged(entry.Index, _node.Configuration.Voters), Self);
                else change.Client.Tell(new NotLeader(_node.Leader, $"the entry at index {entry.Index} was replaced by another leader's"), Self);
            }
        }
        _stateMachine.Tell(new ApplyEntries(entries, replies, _node.Leader), Self);
        _handedIndex = entries[^1].Index;
        _entriesApplied += entries.Count;
    }

    /// <summary>Counts one acknowledged write: the state machine child applies its entry and answers next, in mailbox order.</summary>
    private void RecordCommitLatency(TimeSpan latency)
    {
        // The clock is monotonic; a negative span would be a broken clock, counted as zero rather than skewing the sum.
        if (latency < TimeSpan.Zero) latency = TimeSpan.Zero;
        _commitLatencyBuckets[CommitLatencyHistogram.BucketOf(latency)]++;
        _commitLatencySum += latency;
        _commitLatencyCount++;
    }

    private CommitLatencyHistogram CommitLatency() =>
        new((long[])_commitLatencyBuckets.Clone(), _commitLatencySum, _commitLatencyCount);

    private void OnReadConfirmed(ReadState read)
    {
        if (!_pendingReads.Remove(read.Context, out var pending)) return;
        _confirmedReads.Add((read.Index, pending));
    }

    /// <summary>Sends every confirmed read whose index the state machine has been handed; the mailbox order does the rest.</summary>
    private void ServeReadsUpToHanded()
    {
        if (_confirmedReads.Count == 0) return;
        var kept = 0;
        for (var i = 0; i < _confirmedReads.Count; i++)
        {
            var (index, read) = _confirmedReads[i];
            if (index <= _handedIndex) _stateMachine.Tell(new ServeQuery(read.Query, read.Client, _node.Leader, read.Path), Self);
            else _confirmedReads[kept++] = _confirmedReads[i];
        }
        _confirmedReads.RemoveRange(kept, _confirmedReads.Count - kept);
    }

    private void OnSoftState(SoftState soft)
    {
        Context.System.EventStream.Publish(new PeerRoleChanged(_setup.NodeId, soft.Role, soft.Leader, _node.Term));
        if (soft.Role == RaftRole.Leader || _pendingReads.Count == 0) return;
        // Reads not yet confirmed never will be by this peer; they were not served, so the client may go elsewhere.
        foreach (var read in _pendingReads.Values) read.Client.Tell(new NotLeader(soft.Leader, "leadership lost before the read was confirmed"), Self);
        _pendingReads.Clear();
    }

    private void ExpireRequests()
    {
        var now = Now;
        Expire(_pendingWrites, now);
        Expire(_pendingReads, now);
        Expire(_pendingConfChanges, now);
        for (var i = _confirmedReads.Count - 1; i >= 0; i--)
        {
            var read = _confirmedReads[i].Read;
            if (read.Deadline > now) continue;
            read.Client.Tell(new RequestTimedOut(read.Timeout), Self);
            _confirmedReads.RemoveAt(i);
        }
    }

    private void Expire<T>(Dictionary<ulong, T> pending, TimeSpan now) where T : IPending
    {
        if (pending.Count == 0) return;
        _expired.Clear();
        foreach (var (key, request) in pending)
        {
            if (request.Deadline <= now) _expired.Add(key);
        }
        foreach (var key in _expired)
        {
            pending.Remove(key, out var request);
            request!.Client.Tell(new RequestTimedOut(request.Timeout), Self);
        }
    }

    // ------------------------------------------------------------------ snapshots

    private void MaybeRequestSnapshot()
    {
        if (_snapshotRequested) return;
        if (_appliedSinceSnapshot < _settings.MaxLogCount && _appliedBytesSinceSnapshot < _settings.MaxLogBytes) return;
        _snapshotRequested = true;
        _stateMachine.Tell(TakeStateMachineSnapshot.Instance, Self);
    }

    private void OnStateMachineSnapshot(StateMachineSnapshot snapshot)
    {
        if (!ReferenceEquals(Sender, _stateMachine) && !Sender.Equals(_stateMachine)) return;
        _snapshotRequested = false;
        // Compaction may be refused (one already pending, or the index not past the current snapshot): the next trigger retries.
        if (_node.CompactLog(snapshot.Index, snapshot.Data)) ResetSnapshotTrigger();
        Pump();
    }

    private void ResetSnapshotTrigger()
    {
        _appliedSinceSnapshot = 0;
        _appliedBytesSinceSnapshot = 0;
    }

    private interface IPending
    {
        IActorRef Client { get; }

        TimeSpan Deadline { get; }

        TimeSpan Timeout { get; }
    }

    /// <param name="Proposed">When the entry was proposed, on the system's clock (for the commit latency).</param>
    private sealed record PendingWrite(IActorRef Client, ulong Term, TimeSpan Proposed, TimeSpan Deadline, TimeSpan Timeout) : IPending;

    private sealed record PendingRead(IActorRef Client, byte[] Query, ReadPath Path, TimeSpan Deadline, TimeSpan Timeout) : IPending;
}
