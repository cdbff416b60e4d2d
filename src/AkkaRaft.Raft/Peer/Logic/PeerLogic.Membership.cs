using AkkaRaft.Raft.Core;

namespace AkkaRaft.Raft.Peer;

// Membership beyond one voter at a time: SetConfiguration moves the group to a target set in one request (a joint
// configuration when it takes more than one step, thesis 4.3) and is answered once the final configuration commits;
// AddLearner adds a non-voting member (thesis 4.2.1) and, when asked, the leader promotes it to voter once it has
// caught up. Promotion is decided here, on the leader's ticks, so the seeded simulation covers it: one promotion at a
// time, never while another change (a user's SetConfiguration included) is unfinished, and a SetConfiguration that
// keeps a learner a learner (or removes it) cancels its promotion. Promotion marks live on the leader only; a new
// leader knows none, and whoever asked (a joining node retries its join) asks it again.
internal sealed partial class PeerLogic<TClient>
{
    // The configuration of the committed entries handed to the state machine (thesis 4.1: the core's own is the latest
    // in the log, committed or not), and the index it was reached at.
    private ConfState _committedConf = ConfState.Empty;
    private ulong _committedConfIndex;

    // SetConfiguration requests whose joint entry committed: they wait for the entry that leaves it (thesis 4.3).
    private readonly List<PendingWrite> _awaitingLeave = new();

    // Leader only: learners to make voters once caught up, in id order, each with the client waiting for it (if any).
    private readonly SortedDictionary<ulong, PendingWrite?> _promotions = new();
    private readonly List<ulong> _settled = new();

    /// <summary>The configuration the committed entries handed to the state machine make (for tests and status).</summary>
    public ConfState CommittedConfiguration => _committedConf;

    /// <summary>The learners this peer (as leader) will promote once caught up, in id order.</summary>
    public IReadOnlyCollection<ulong> PendingPromotions => _promotions.Keys;

    private void ResetCommittedConfiguration(SnapshotMetadata snapshot)
    {
        _committedConf = snapshot.ConfState;
        _committedConfIndex = snapshot.Index;
        if (_committedConf.VotersOutgoing.Length == 0) AnswerAwaitingLeave(snapshot.Index);
    }

    private void OnConfChangeCommitted(Entry entry)
    {
        var change = ConfChange.Decode(entry.Data);
        _committedConf = ConfChanger.Apply(_committedConf, change);
        _committedConfIndex = entry.Index;
        if (change.Transition == ConfChangeTransition.LeaveJoint) AnswerAwaitingLeave(entry.Index);
    }

    /// <summary>A change this peer proposed committed: a joint one still waits for the entry that leaves it.</summary>
    private void OnProposedConfChangeCommitted(Entry entry, PendingWrite request)
    {
        if (_committedConf.VotersOutgoing.Length > 0 && _committedConf.AutoLeave)
        {
            _awaitingLeave.Add(request);
            return;
        }
        Reply(request.Client, CommittedAnswer(entry.Index));
    }

    private void AnswerAwaitingLeave(ulong index)
    {
        if (_awaitingLeave.Count == 0) return;
        foreach (var request in _awaitingLeave) Reply(request.Client, CommittedAnswer(index));
        _awaitingLeave.Clear();
    }

    private MembershipChanged CommittedAnswer(ulong index) => new(index, _committedConf.Voters) { Learners = _committedConf.Learners };

    private void OnSetConfiguration(SetConfiguration set, TClient client)
    {
        if (InvalidTarget(set) is { } invalid)
        {
            Reply(client, new RequestRejected(invalid));
            return;
        }
        if (_node is not { Role: RaftRole.Leader } node)
        {
            Reply(client, new NotLeader(Leader, "membership changes go to the leader"));
            return;
        }
        var current = node.Configuration;
        if (current.VotersOutgoing.Length > 0 || !current.SameAs(_committedConf))
        {
            Reply(client, new ConfigurationChangeInProgress($"the configuration {current} is not committed and final yet; retry"));
            return;
        }
        if (set.ExpectVoters is { } expect && !new HashSet<ulong>(expect).SetEquals(current.Voters))
        {
            Reply(client, new ConfigurationMismatch(current.Voters, current.Learners));
            return;
        }
        var change = ConfChange.Reaching(current, set.Voters, set.Learners);
        if (change is null)
        {
            DropPromotionsOutside(set);
            Reply(client, CommittedAnswer(_committedConfIndex));
            return;
        }
        var result = node.ProposeConfChange(change);
        if (result.Status == RequestStatus.Accepted) DropPromotionsOutside(set);
        ProposedConfChange(change, result, set.Timeout, client);
    }

    /// <summary>The user's configuration decides: a learner it keeps, or removes, is not promoted behind its back.</summary>
    private void DropPromotionsOutside(SetConfiguration set)
    {
        foreach (var id in _promotions.Keys)
        {
            if (!set.Voters.Contains(id)) _settled.Add(id);
        }
        foreach (var id in _settled) DropPromotion(id, $"a configuration change made node {id} {(set.Learners.Contains(id) ? "stay a learner" : "no member")}; it is not promoted");
        _settled.Clear();
    }

    private static string? InvalidTarget(SetConfiguration set)
    {
        if (set.Voters is null || set.Learners is null) return "a configuration needs its voters and learners (empty learners for none)";
        if (set.Voters.Count == 0) return "a configuration needs at least one voter";
        foreach (var id in set.Voters)
        {
            if (id == RaftIds.None) return "node id 0 means no node";
            if (set.Learners.Contains(id)) return $"node {id} cannot be both a voter and a learner";
        }
        foreach (var id in set.Learners)
        {
            if (id == RaftIds.None) return "node id 0 means no node";
        }
        return null;
    }

    private void OnAddLearner(AddLearner add, TClient client)
    {
        if (add.NodeId == RaftIds.None)
        {
            Reply(client, new RequestRejected("node id 0 means no node"));
            return;
        }
        if (_node is not { Role: RaftRole.Leader } node)
        {
            Reply(client, new NotLeader(Leader, "membership changes go to the leader"));
            return;
        }
        var id = add.NodeId;
        var wait = TimeoutOf(add.Timeout);
        var request = new PendingWrite(client, node.Term, _now, _now + wait, wait);
        var current = node.Configuration;
        if (current.IsVoter(id))
        {
            // A voter that joins again (a restarted node) has nothing to wait for; one cannot be made a learner this way.
            if (add.PromoteWhenCaughtUp && current.SameAs(_committedConf)) Reply(client, CommittedAnswer(_committedConfIndex));
            else if (add.PromoteWhenCaughtUp) Reply(client, new ConfigurationChangeInProgress($"the configuration {current} is not committed yet; retry"));
            else Reply(client, new RequestRejected($"node {id} is a voter; a SetConfiguration that lists it as a learner demotes it"));
            return;
        }
        if (current.IsLearner(id))
        {
            if (add.PromoteWhenCaughtUp)
            {
                MarkForPromotion(id, request);
                return;
            }
            DropPromotion(id, $"node {id} was asked to stay a learner");
            if (_committedConf.IsLearner(id)) Reply(client, CommittedAnswer(_committedConfIndex));
            else Reply(client, new ConfigurationChangeInProgress($"node {id} is being added as a learner; retry"));
            return;
        }
        var change = ConfChange.AddLearner(id);
        var result = node.ProposeConfChange(change);
        if (result.Status == RequestStatus.Accepted && add.PromoteWhenCaughtUp)
        {
            // Answered when it is a voter; the tick promotes it once its learner entry committed and it caught up.
            MarkForPromotion(id, request with { Term = result.Term });
            Pump();
            return;
        }
        ProposedConfChange(change, result, add.Timeout, client);
    }

    private void MarkForPromotion(ulong id, PendingWrite request)
    {
        if (_promotions.TryGetValue(id, out var earlier) && earlier is not null)
        {
            Reply(earlier.Client, new RequestTimedOut(earlier.Timeout)); // superseded: the later request waits instead
        }
        _promotions[id] = request;
    }

    private void DropPromotion(ulong id, string reason)
    {
        if (!_promotions.Remove(id, out var waiting) || waiting is null) return;
        Reply(waiting.Client, new RequestRejected(reason));
    }

    /// <summary>
    /// Leader, each tick: promotes the first marked learner that caught up to within <c>learner-promotion-lag</c>
    /// entries, when no other membership change is unfinished (one change at a time, thesis 4.1). Its waiting client
    /// is answered when the promotion commits.
    /// </summary>
    private void MaybePromoteLearner(RaftNode node)
    {
        if (_promotions.Count == 0 || node.Role != RaftRole.Leader) return;
        var current = node.Configuration;
        if (current.VotersOutgoing.Length > 0 || !current.SameAs(_committedConf)) return;
        if (_pendingConfChanges.Count > 0 || _awaitingLeave.Count > 0) return;
        foreach (var (id, waiting) in _promotions)
        {
            if (current.IsLearner(id)) continue;
            // Someone else's change made it a voter (a SetConfiguration) or removed it.
            _settled.Add(id);
            if (waiting is null) continue;
            if (current.IsVoter(id)) Reply(waiting.Client, CommittedAnswer(_committedConfIndex));
            else Reply(waiting.Client, new RequestRejected($"node {id} is no member any more; it was not promoted"));
        }
        foreach (var id in _settled) _promotions.Remove(id);
        _settled.Clear();
        if (_promotions.Count == 0) return;
        var progress = node.ProgressSnapshot();
        var last = node.LastIndex;
        foreach (var (id, waiting) in _promotions)
        {
            // Replicating: the leader heard from it and knows its match index (a learner it never reached is not promoted).
            if (!progress.TryGetValue(id, out var p) || p.State != ProgressState.Replicate || p.Match + (ulong)_settings.LearnerPromotionLag < last) continue;
            var result = node.ProposeConfChange(ConfChange.AddVoter(id));
            if (result.Status != RequestStatus.Accepted) return; // the core says why not now; the next tick tries again
            _promotions.Remove(id);
            if (waiting is not null) AddPending(_pendingConfChanges, result.Index, waiting with { Term = result.Term });
            return;
        }
    }

    /// <summary>A peer that stops leading forgets its promotion marks; their clients ask the new leader.</summary>
    private void OnMembershipLeadershipChanged(RaftRole role)
    {
        if (role == RaftRole.Leader || _promotions.Count == 0) return;
        foreach (var waiting in _promotions.Values)
        {
            if (waiting is not null) Reply(waiting.Client, new NotLeader(Leader, "leadership changed before the learner was promoted; ask the new leader"));
        }
        _promotions.Clear();
    }

    private void ExpireMembershipWaits()
    {
        for (var i = _awaitingLeave.Count - 1; i >= 0; i--)
        {
            var request = _awaitingLeave[i];
            if (request.Deadline > _now) continue;
            Reply(request.Client, new RequestTimedOut(request.Timeout));
            _awaitingLeave.RemoveAt(i);
        }
        foreach (var (id, waiting) in _promotions)
        {
            if (waiting is not null && waiting.Deadline <= _now) _settled.Add(id);
        }
        foreach (var id in _settled)
        {
            // The mark stays: the learner is still promoted once caught up, while this peer leads.
            Reply(_promotions[id]!.Client, new RequestTimedOut(_promotions[id]!.Timeout));
            _promotions[id] = null;
        }
        _settled.Clear();
    }
}
