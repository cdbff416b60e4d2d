using AkkaRaft.Client.Typed;
using AkkaRaft.Raft.Core;
using AkkaRaft.Raft.StateMachines;

namespace AkkaRaft.Raft.Peer;

// Client requests: writes wait for their entry to be handed to the state machine, reads for their ReadIndex (or
// lease) and then for the state machine to be handed their index, membership changes for their entry to commit.
// Every pending request has a deadline; the tick sweeps the expired ones and answers RequestTimedOut. Every request
// gets exactly one answer from this peer, unless it is forwarded (the leader answers) or the peer fails first.
internal sealed partial class PeerLogic<TClient>
{
    private readonly Dictionary<ulong, PendingWrite> _pendingWrites = new();
    private readonly Dictionary<ulong, PendingRead> _pendingReads = new();
    private readonly List<(ulong Index, PendingRead Read)> _confirmedReads = new();
    private readonly Dictionary<ulong, PendingWrite> _pendingConfChanges = new();
    private readonly List<ulong> _expired = new();
    private ulong _readContext;
    private ulong _handedIndex;

    private int PendingCount => _pendingWrites.Count + _pendingReads.Count + _confirmedReads.Count + _pendingConfChanges.Count + _awaitingLeave.Count;

    /// <summary>
    /// A client request: <see cref="Write"/>, <see cref="Query"/>, <see cref="TypedWrite"/>, <see cref="TypedQuery"/>,
    /// <see cref="AddVoter"/>, <see cref="AddLearner"/>, <see cref="RemoveVoter"/>, <see cref="SetConfiguration"/>,
    /// <see cref="TransferLeadership"/>, <see cref="GetPeerStatus"/> or a session request,
    /// from <paramref name="client"/>. A typed request's object must be serialized already (a <see cref="SerializedPayload"/>):
    /// the logic routes it, proposes it or serves it as bytes, and never reads it; the shell checks that the leader can
    /// read a typed command before it hands it over.
    /// </summary>
    /// <exception cref="ArgumentException"><paramref name="request"/> is none of those, or a typed one whose object is not serialized.</exception>
    public PeerEffects<TClient> Request(object request, TClient client, TimeSpan now)
    {
        ArgumentNullException.ThrowIfNull(request);
        ArgumentNullException.ThrowIfNull(client);
        Begin(now);
        switch (request)
        {
            case Write write:
                OnWrite(write, client);
                break;
            case Query query:
                OnQuery(query, client);
                break;
            case TypedWrite typedWrite:
                OnTypedWrite(typedWrite, client);
                break;
            case TypedQuery typedQuery:
                OnTypedQuery(typedQuery, client);
                break;
            case AddVoter add:
                OnConfChange(ConfChange.AddVoter(add.NodeId), add.NodeId, add.Timeout, client);
                break;
            case RemoveVoter remove:
                OnConfChange(ConfChange.Remove(remove.NodeId), remove.NodeId, remove.Timeout, client);
                break;
            case AddLearner learner:
                OnAddLearner(learner, client);
                break;
            case SetConfiguration set:
                OnSetConfiguration(set, client);
                break;
            case TransferLeadership transfer:
                OnTransferLeadership(transfer, client);
                break;
            case GetPeerStatus:
                Reply(client, Status());
                break;
            case OpenSession open:
                OnOpenSession(open, client);
                break;
            case KeepSessionAlive keep:
                OnKeepSessionAlive(keep, client);
                break;
            case CloseSession close:
                OnCloseSession(close, client);
                break;
            case Watch watch:
                OnWatch(watch, client);
                break;
            case AcquireLock acquire:
                OnAcquireLock(acquire, client);
                break;
            case ReleaseLock release:
                OnReleaseLock(release, client);
                break;
            case ListCoordination list:
                OnListCoordination(list, client);
                break;
            default:
                throw new ArgumentException($"a {request.GetType().Name} is not a request a Raft peer serves", nameof(request));
        }
        return Done();
    }

    private void OnWrite(Write write, TClient client)
    {
        if (write.Command is null || write.Command.Length == 0)
        {
            Reply(client, new RequestRejected("a write needs a command of at least one byte (empty entries are the leader's no-ops)"));
            return;
        }
        if (!CommandFits(write.Command.Length, client)) return;
        if (_node is not { Role: RaftRole.Leader } node)
        {
            NotLeaderOrForward(client, write.OnNotLeader, write.Hops, write);
            return;
        }
        if (write.Sequence != 0 && write.SessionId == 0)
        {
            Reply(client, new RequestRejected("a write's sequence number (exactly once) needs its session: open one first"));
            return;
        }
        TouchSession(write.SessionId);
        Propose(node, StateMachineHost.EncodeCommand(write.Command, write.SessionId, sequence: write.Sequence, acknowledgedBelow: write.AcknowledgedBelow), write.Timeout, client);
    }

    private void OnTypedWrite(TypedWrite write, TClient client)
    {
        var frame = TypedFrames.Encode(Serialized(write.Command, nameof(TypedWrite)));
        if (!CommandFits(frame.Length, client)) return;
        if (_node is not { Role: RaftRole.Leader } node)
        {
            NotLeaderOrForward(client, write.OnNotLeader, write.Hops, write);
            return;
        }
        Propose(node, StateMachineHost.EncodeCommand(frame, 0, typed: true), write.Timeout, client);
    }

    private bool CommandFits(int commandBytes, TClient client)
    {
        if (commandBytes <= _setup.MaxCommandBytes) return true;
        Reply(client, new RequestRejected($"a command of {commandBytes} bytes cannot be journaled: the most is {_setup.MaxCommandBytes} (akkaraft.persistence.journal.max-event-bytes less the entry's framing)"));
        return false;
    }

    private void Propose(RaftNode node, byte[] entryData, TimeSpan? requestTimeout, TClient client)
    {
        if (PendingCount >= _settings.MaxProposalQueue)
        {
            Reply(client, Overloaded());
            return;
        }
        var result = node.Propose(entryData);
        switch (result.Status)
        {
            case RequestStatus.Accepted:
                var timeout = TimeoutOf(requestTimeout);
                AddPending(_pendingWrites, result.Index, new PendingWrite(client, result.Term, _now, _now + timeout, timeout));
                Pump();
                break;
            case RequestStatus.Overloaded:
                Reply(client, new Overloaded("uncommitted entries reached akkaraft.raft.max-uncommitted-entries-bytes"));
                break;
            default:
                Reply(client, new NotLeader(result.LeaderHint, $"not accepted: {result.Status}{(result.Reason is null ? "" : " (" + result.Reason + ")")}"));
                break;
        }
    }

    private void OnQuery(Query query, TClient client)
    {
        if (query.Bytes is null)
        {
            Reply(client, new RequestRejected("a query needs its bytes"));
            return;
        }
        ServeOrRoute(query, query.Bytes, typed: false, query.Level, query.Timeout, query.OnNotLeader, query.Hops, client);
    }

    private void OnTypedQuery(TypedQuery query, TClient client) =>
        ServeOrRoute(query, TypedFrames.Encode(Serialized(query.Query, nameof(TypedQuery))), typed: true, query.Level, query.Timeout, query.OnNotLeader, query.Hops, client);

    /// <summary>
    /// A read: served here at once (stale), confirmed first (lease or ReadIndex on the leader; a consistent read on a
    /// follower with a read index from the leader), or forwarded or refused (any other read off the leader).
    /// </summary>
    private void ServeOrRoute(object request, byte[] bytes, bool typed, ReadLevel level, TimeSpan? requestTimeout, NotLeaderPolicy onNotLeader, int hops, TClient client)
    {
        if (_node is not { } node)
        {
            Reply(client, new NotLeader(RaftIds.None, "the peer is still recovering"));
            return;
        }
        // unsafe-stale-consistent-reads (the fault harness's deliberate bug) serves consistent reads as stale ones.
        if (level == ReadLevel.Stale || (level == ReadLevel.Consistent && _settings.UnsafeStaleConsistentReads))
        {
            // Answered after every entry already handed to the state machine: local state, possibly behind.
            _effects.Add(PeerEffect<TClient>.Serve(bytes, typed, client, node.Leader, node.Term, ReadPath.Local));
            return;
        }
        // A consistent read is served where it arrives: a follower asks the leader for the read index (thesis 6.4).
        var onFollower = node.Role != RaftRole.Leader && level == ReadLevel.Consistent && node.Role == RaftRole.Follower && node.Leader != RaftIds.None;
        if (node.Role != RaftRole.Leader && !onFollower)
        {
            NotLeaderOrForward(client, onNotLeader, hops, request);
            return;
        }
        if (PendingCount >= _settings.MaxProposalQueue)
        {
            Reply(client, Overloaded());
            return;
        }
        var context = ++_readContext;
        var lease = level == ReadLevel.Default && node.LeaseHolds();
        var result = level == ReadLevel.Default ? node.LeaseRead(context) : node.ReadIndex(context);
        switch (result.Status)
        {
            case RequestStatus.Accepted:
                var timeout = TimeoutOf(requestTimeout);
                var path = onFollower ? ReadPath.FollowerReadIndex : lease ? ReadPath.Lease : ReadPath.ReadIndex;
                _pendingReads.Add(context, new PendingRead(client, bytes, typed, path, _now + timeout, timeout));
                Pump();
                break;
            case RequestStatus.Overloaded:
                Reply(client, new Overloaded("pending reads reached akkaraft.raft.max-pending-reads"));
                break;
            default:
                Reply(client, new NotLeader(result.LeaderHint, $"read not accepted: {result.Status}"));
                break;
        }
    }

    /// <summary>A typed request's object, which the shell serialized before handing the request over.</summary>
    private static SerializedPayload Serialized(object value, string request) =>
        value as SerializedPayload
        ?? throw new ArgumentException($"a {request} reached the peer logic holding a {value?.GetType().FullName ?? "null"}, not its serialized payload (the shell serializes it first)", nameof(value));

    private void OnConfChange(ConfChange change, ulong nodeId, TimeSpan? timeout, TClient client)
    {
        if (nodeId == RaftIds.None)
        {
            Reply(client, new RequestRejected("node id 0 means no node"));
            return;
        }
        if (_node is not { Role: RaftRole.Leader } node)
        {
            Reply(client, new NotLeader(Leader, "membership changes go to the leader"));
            return;
        }
        var result = node.ProposeConfChange(change);
        if (result.Status == RequestStatus.Accepted && change.Steps is [{ Type: ConfChangeType.RemoveNode } removed])
        {
            DropPromotion(removed.NodeId, $"node {removed.NodeId} was removed before it was promoted");
        }
        ProposedConfChange(change, result, timeout, client);
    }

    /// <summary>Answers a membership proposal the core refused, or waits for the one it accepted to commit.</summary>
    private void ProposedConfChange(ConfChange change, RequestResult result, TimeSpan? timeout, TClient client)
    {
        switch (result.Status)
        {
            case RequestStatus.Accepted:
                var wait = TimeoutOf(timeout);
                AddPending(_pendingConfChanges, result.Index, new PendingWrite(client, result.Term, _now, _now + wait, wait));
                Pump();
                break;
            case RequestStatus.NotLeader:
                Reply(client, new NotLeader(result.LeaderHint, "membership changes go to the leader"));
                break;
            case RequestStatus.ConfChangeInProgress or RequestStatus.TransferInProgress:
                Reply(client, new ConfigurationChangeInProgress($"{change} not accepted now: {result.Reason ?? result.Status.ToString()}; retry"));
                break;
            default:
                Reply(client, new RequestRejected($"{change} not accepted: {result.Status}{(result.Reason is null ? "" : " (" + result.Reason + ")")}"));
                break;
        }
    }

    private void OnTransferLeadership(TransferLeadership transfer, TClient client)
    {
        if (_node is not { } node)
        {
            Reply(client, new NotLeader(RaftIds.None, "the peer is still recovering"));
            return;
        }
        var result = node.TransferLeadership(transfer.Target);
        switch (result.Status)
        {
            case RequestStatus.Accepted:
                Pump();
                Reply(client, Status());
                break;
            case RequestStatus.NotLeader:
                Reply(client, new NotLeader(result.LeaderHint, "leadership is transferred by the leader"));
                break;
            default:
                Reply(client, new RequestRejected($"transfer to {transfer.Target} not accepted: {result.Reason ?? result.Status.ToString()}"));
                break;
        }
    }

    /// <summary>
    /// A request only the leader serves reached a follower: forward it to the leader when the client asked for that and
    /// it was not forwarded before (a second hop would mean the leader moved meanwhile, and the client knows best);
    /// otherwise answer <see cref="NotLeader"/> with the leader this peer knows. A typed request goes on unread.
    /// </summary>
    private void NotLeaderOrForward(TClient client, NotLeaderPolicy policy, int hops, object request)
    {
        var leader = Leader;
        var notLeader = new NotLeader(leader, leader == RaftIds.None ? "no leader known" : $"peer {_id} is not the leader");
        if (policy == NotLeaderPolicy.Forward && hops == 0 && leader != RaftIds.None && leader != _id)
        {
            _effects.Add(PeerEffect<TClient>.Forward(leader, OneHopFurther(request), client, notLeader));
            return;
        }
        Reply(client, notLeader);
    }

    private static object OneHopFurther(object request) => request switch
    {
        Write w => w with { Hops = w.Hops + 1 },
        Query q => q with { Hops = q.Hops + 1 },
        TypedWrite w => w with { Hops = w.Hops + 1 },
        TypedQuery q => q with { Hops = q.Hops + 1 },
        OpenSession o => o with { Hops = o.Hops + 1 },
        KeepSessionAlive k => k with { Hops = k.Hops + 1 },
        CloseSession c => c with { Hops = c.Hops + 1 },
        Watch w => w with { Hops = w.Hops + 1 },
        AcquireLock a => a with { Hops = a.Hops + 1 },
        ReleaseLock r => r with { Hops = r.Hops + 1 },
        ListCoordination l => l with { Hops = l.Hops + 1 },
        _ => throw new ArgumentException($"a {request.GetType().Name} is never forwarded", nameof(request)),
    };

    /// <summary>
    /// Waits for the entry at <paramref name="index"/>. A request still waiting there from an earlier term lost its
    /// entry: this leader's log did not hold it, so it never committed (Leader Completeness, Raft §5.4) and never will.
    /// </summary>
    private void AddPending(Dictionary<ulong, PendingWrite> pending, ulong index, PendingWrite write)
    {
        if (pending.Remove(index, out var replaced))
        {
            if (replaced.Term >= write.Term)
            {
                throw new RaftInvariantException("a leader proposes at each index once per term",
                    $"peer {_id}: index {index} proposed in term {write.Term} was already proposed in term {replaced.Term}");
            }
            Reply(replaced.Client, new NotLeader(_id, $"the entry at index {index} was replaced by another leader's"));
        }
        pending.Add(index, write);
    }

    private Overloaded Overloaded() => new($"{PendingCount} requests pending (akkaraft.raft.max-proposal-queue = {_settings.MaxProposalQueue})");

    /// <summary>The request's own timeout when it names a positive one, else <c>request-timeout</c>.</summary>
    private TimeSpan TimeoutOf(TimeSpan? timeout) => timeout is { } t && t > TimeSpan.Zero ? t : _settings.RequestTimeout;

    private void Reply(TClient client, object answer) => _effects.Add(PeerEffect<TClient>.Reply(client, answer));

    // ------------------------------------------------------------------ outcomes

    /// <summary>Hands committed entries to the state machine, with the clients waiting for them.</summary>
    private void HandToStateMachine(IReadOnlyList<Entry> entries)
    {
        var first = entries[0].Index;
        if (first != _handedIndex + 1)
        {
            throw new RaftInvariantException("committed entries are handed to the state machine in log order, without gaps",
                $"peer {_id}: handed up to {_handedIndex}, next batch starts at {first}");
        }
        var leader = _node!.Leader;
        TClient?[]? replies = null;
        for (var i = 0; i < entries.Count; i++)
        {
            var entry = entries[i];
            _appliedSinceSnapshot++;
            _appliedBytesSinceSnapshot += entry.SizeBytes;
            if (entry.Type == EntryType.Normal) OnSessionEntryHanded(entry);
            else if (entry.Type == EntryType.ConfChange) OnConfChangeCommitted(entry);
            if (_pendingWrites.Remove(entry.Index, out var write))
            {
                // Another entry at our index means ours was overwritten by a later leader: it never applies.
                if (write.Term == entry.Term && entry.Type == EntryType.Normal)
                {
                    replies ??= new TClient?[entries.Count];
                    replies[i] = write.Client;
                    RecordCommitLatency(_now - write.Proposed);
                }
                else Reply(write.Client, new NotLeader(leader, $"the entry at index {entry.Index} was replaced by another leader's"));
            }
            if (_pendingConfChanges.Remove(entry.Index, out var change))
            {
                if (change.Term == entry.Term && entry.Type == EntryType.ConfChange) OnProposedConfChangeCommitted(entry, change);
                else Reply(change.Client, new NotLeader(leader, $"the entry at index {entry.Index} was replaced by another leader's"));
            }
        }
        _effects.Add(PeerEffect<TClient>.Apply(entries, replies, leader));
        _handedIndex = entries[^1].Index;
        _entriesApplied += entries.Count;
    }

    private void OnReadConfirmed(ReadState read)
    {
        if (!_pendingReads.Remove(read.Context, out var pending)) return;
        _confirmedReads.Add((read.Index, pending));
    }

    private void OnReadDropped(ulong context)
    {
        if (!_pendingReads.Remove(context, out var pending)) return;
        Reply(pending.Client, new NotLeader(Leader, "leadership lost before the read was confirmed"));
    }

    /// <summary>Reads not yet confirmed never will be by this peer; they were not served, so the client may go elsewhere.</summary>
    private void FailUnconfirmedReads(ulong leader)
    {
        if (_pendingReads.Count == 0) return;
        foreach (var read in _pendingReads.Values) Reply(read.Client, new NotLeader(leader, "leadership lost before the read was confirmed"));
        _pendingReads.Clear();
    }

    /// <summary>Serves every confirmed read whose index the state machine has been handed: it answers after those entries.</summary>
    private void ServeReadsUpToHanded()
    {
        if (_confirmedReads.Count == 0) return;
        var leader = _node!.Leader;
        var term = _node.Term;
        var kept = 0;
        for (var i = 0; i < _confirmedReads.Count; i++)
        {
            var (index, read) = _confirmedReads[i];
            if (index <= _handedIndex) _effects.Add(PeerEffect<TClient>.Serve(read.Query, read.Typed, read.Client, leader, term, read.Path));
            else _confirmedReads[kept++] = _confirmedReads[i];
        }
        _confirmedReads.RemoveRange(kept, _confirmedReads.Count - kept);
    }

    private void ExpireRequests()
    {
        Expire(_pendingWrites);
        Expire(_pendingReads);
        Expire(_pendingConfChanges);
        ExpireMembershipWaits();
        for (var i = _confirmedReads.Count - 1; i >= 0; i--)
        {
            var read = _confirmedReads[i].Read;
            if (read.Deadline > _now) continue;
            Reply(read.Client, new RequestTimedOut(read.Timeout));
            _confirmedReads.RemoveAt(i);
        }
    }

    private void Expire<T>(Dictionary<ulong, T> pending)
        where T : IPending
    {
        if (pending.Count == 0) return;
        _expired.Clear();
        foreach (var (key, request) in pending)
        {
            if (request.Deadline <= _now) _expired.Add(key);
        }
        // In key order, so the answers go out in the same order on every run.
        _expired.Sort();
        foreach (var key in _expired)
        {
            pending.Remove(key, out var request);
            Reply(request!.Client, new RequestTimedOut(request.Timeout));
        }
    }

    private interface IPending
    {
        TClient Client { get; }

        TimeSpan Deadline { get; }

        TimeSpan Timeout { get; }
    }

    /// <param name="Proposed">When the entry was proposed (for the commit latency).</param>
    private sealed record PendingWrite(TClient Client, ulong Term, TimeSpan Proposed, TimeSpan Deadline, TimeSpan Timeout) : IPending;

    /// <param name="Typed">Whether <paramref name="Query"/> is a typed query's frame.</param>
    private sealed record PendingRead(TClient Client, byte[] Query, bool Typed, ReadPath Path, TimeSpan Deadline, TimeSpan Timeout) : IPending;
}
