using AkkaRaft.Raft.Core.Tracker;

namespace AkkaRaft.Raft.Core;

/// <summary>
/// One Raft peer as a deterministic state machine (the shape of etcd's raft library): no I/O, no clock, no
/// threads, no randomness of its own. Feed it with <see cref="Step"/>, <see cref="Tick"/>,
/// <see cref="Propose"/>, <see cref="ReadIndex"/>, <see cref="LeaseRead"/>, <see cref="ProposeConfChange"/>,
/// <see cref="TransferLeadership"/>, <see cref="Campaign"/> and <see cref="CompactLog"/>; then, while
/// <see cref="HasReady"/>, take a <see cref="Ready"/>, carry it out and call <see cref="Advance"/>.
/// Not thread-safe: one caller at a time (the actor shell, or a test).
/// </summary>
public sealed partial class RaftNode
{
    private readonly RaftConfig _config;
    private readonly IRandomSource _random;
    private readonly RaftLog _log;
    private readonly ProgressTracker _tracker;
    private readonly List<RaftMessage> _messages = new();
    private readonly List<ReadState> _readStates = new();

    private ulong _term;
    private ulong _vote;
    private ulong _lead;
    private RaftRole _role;
    private int _electionElapsed;
    private int _heartbeatElapsed;
    private int _randomizedElectionTimeout;

    private HardState _previousHardState;
    private SoftState _previousSoftState = new(RaftIds.None, RaftRole.Follower);
    private Ready? _outstanding;
    private Snapshot? _pendingCompaction;

    /// <summary>
    /// Creates a node from what <paramref name="storage"/> holds (a new cluster: an initial snapshot with the
    /// voters; a restart: whatever was persisted). The node starts as a follower.
    /// </summary>
    /// <exception cref="ArgumentException">A setting of <paramref name="config"/> is invalid.</exception>
    /// <exception cref="RaftInvariantException">The storage is inconsistent (commit index outside the log).</exception>
    public RaftNode(RaftConfig config, IRaftStorage storage, IRandomSource random)
    {
        ArgumentNullException.ThrowIfNull(config);
        ArgumentNullException.ThrowIfNull(storage);
        ArgumentNullException.ThrowIfNull(random);
        _config = config.Validate();
        _random = random;
        _log = new RaftLog(storage, config.MaxCommittedBytesPerReady);
        _tracker = new ProgressTracker(config.MaxInflightMessages, config.MaxInflightBytes);

        var hardState = storage.HardState;
        var snapshot = storage.Snapshot;
        LoadConfHistory(snapshot.Metadata, storage);
        _log.InitCommitted(Math.Max(hardState.Commit, storage.FirstIndex - 1));
        if (config.Applied > _log.Applied) _log.AppliedTo(Math.Min(config.Applied, _log.Committed));
        _term = hardState.Term;
        _vote = hardState.Vote;
        _previousHardState = new HardState(_term, _vote, _log.Committed);
        // With lease reads a restarted node must not vote before an election timeout has passed: it may
        // have forgotten a leader whose lease it helped grant.
        _startupVoteQuiet = config.LeaseReads;
        BecomeFollower(_term, RaftIds.None);
    }

    /// <summary>This node's id.</summary>
    public ulong Id => _config.NodeId;

    /// <summary>Current term.</summary>
    public ulong Term => _term;

    /// <summary>The node voted for in <see cref="Term"/>, or <see cref="RaftIds.None"/>.</summary>
    public ulong Vote => _vote;

    /// <summary>The leader this node knows, or <see cref="RaftIds.None"/>.</summary>
    public ulong Leader => _lead;

    /// <summary>Current role.</summary>
    public RaftRole Role => _role;

    /// <summary>Highest committed index known.</summary>
    public ulong CommitIndex => _log.Committed;

    /// <summary>Highest index handed out for applying (advanced by <see cref="Advance"/>).</summary>
    public ulong AppliedIndex => _log.Applied;

    /// <summary>Index of the last entry in the log (persisted or not).</summary>
    public ulong LastIndex => _log.LastIndex;

    /// <summary>Term of the last entry in the log.</summary>
    public ulong LastTerm => _log.LastTerm;

    /// <summary>Index of the first entry still in the log (entries before are compacted into the snapshot).</summary>
    public ulong FirstIndex => _log.FirstIndex;

    /// <summary>The configuration in force: the latest one in the log, committed or not (thesis 4.1).</summary>
    public ConfState Configuration => _tracker.Conf;

    /// <summary>The node being transferred leadership to, or <see cref="RaftIds.None"/>.</summary>
    public ulong LeadTransferee => _leadTransferee;

    /// <summary>The settings this node runs with.</summary>
    public RaftConfig Config => _config;

    /// <summary>True when this node may campaign: it is a voter of the current configuration.</summary>
    public bool Promotable => _tracker.IsVoter(Id);

    /// <summary>Leader only: replication state of each member (state, match, next), for status pages and tests.</summary>
    public IReadOnlyDictionary<ulong, (ProgressState State, ulong Match, ulong Next)> ProgressSnapshot()
    {
        var result = new Dictionary<ulong, (ProgressState, ulong, ulong)>();
        if (_role != RaftRole.Leader) return result;
        foreach (var (id, pr) in _tracker.Progress) result[id] = (pr.State, pr.Match, pr.Next);
        return result;
    }

    internal ProgressTracker Tracker => _tracker;

    internal RaftLog Log => _log;

    private HardState CurrentHardState => new(_term, _vote, _log.Committed);

    private SoftState CurrentSoftState => new(_lead, _role);

    // ------------------------------------------------------------------ Ready / Advance

    /// <summary>True when there is something to persist, send or apply (and no Ready is outstanding).</summary>
    public bool HasReady
    {
        get
        {
            if (_outstanding is not null) return false;
            FlushPendingBroadcast();
            return !CurrentSoftState.Equals(_previousSoftState)
                || !CurrentHardState.Equals(_previousHardState)
                || _log.Unstable.Entries.Count > 0
                || _log.Unstable.Snapshot is not null
                || _messages.Count > 0
                || _readStates.Count > 0
                || _droppedReads.Count > 0
                || _pendingCompaction is not null
                || _log.HasNextCommittedEntries;
        }
    }

    /// <summary>Takes what must be done now. Call <see cref="Advance"/> with it before taking the next one.</summary>
    /// <exception cref="InvalidOperationException">The previous Ready was not advanced.</exception>
    public Ready GetReady()
    {
        if (_outstanding is not null) throw new InvalidOperationException("GetReady called before Advance of the previous Ready");
        FlushPendingBroadcast();
        var soft = CurrentSoftState;
        var hard = CurrentHardState;
        if (hard.Commit < _previousHardState.Commit)
        {
            throw new RaftInvariantException("the commit index never goes back",
                $"persisted commit {_previousHardState.Commit}, new commit {hard.Commit}");
        }
        if (hard.Term < _previousHardState.Term)
        {
            throw new RaftInvariantException("the term never goes back",
                $"persisted term {_previousHardState.Term}, new term {hard.Term}");
        }

        var messages = _messages.Count == 0 ? Array.Empty<RaftMessage>() : _messages.ToArray();
        _messages.Clear();
        var readStates = _readStates.Count == 0 ? Array.Empty<ReadState>() : _readStates.ToArray();
        _readStates.Clear();
        var droppedReads = _droppedReads.Count == 0 ? Array.Empty<ulong>() : _droppedReads.ToArray();
        _droppedReads.Clear();
        var entries = _log.Unstable.Entries.Count == 0 ? Array.Empty<Entry>() : _log.Unstable.Entries.ToArray();

        var ready = new Ready(
            soft.Equals(_previousSoftState) ? null : soft,
            hard.Equals(_previousHardState) ? null : hard,
            readStates, entries, _log.Unstable.Snapshot, _pendingCompaction,
            _log.NextCommittedEntries(), messages, droppedReads);
        _previousSoftState = soft;
        _outstanding = ready;
        return ready;
    }

    /// <summary>
    /// Tells the core the application has done what <paramref name="ready"/> asked: its writes are durable,
    /// its messages sent, its committed entries applied. A leader counts its own log toward commitment only
    /// from here (its write is now durable).
    /// </summary>
    /// <exception cref="InvalidOperationException"><paramref name="ready"/> is not the outstanding Ready.</exception>
    public void Advance(Ready ready)
    {
        if (!ReferenceEquals(ready, _outstanding)) throw new InvalidOperationException("Advance called with a Ready that is not the outstanding one");
        _outstanding = null;
        if (ready.HardState is { } hard) _previousHardState = hard;
        if (ready.Entries.Count > 0)
        {
            var last = ready.Entries[^1];
            _log.StableTo(last.Index, last.Term);
        }
        if (ready.Snapshot is { } snapshot)
        {
            _log.StableSnapTo(snapshot.Metadata.Index);
            if (snapshot.Metadata.Index > _log.Applied) _log.AppliedTo(snapshot.Metadata.Index);
        }
        if (ready.CommittedEntries.Count > 0) _log.AppliedTo(ready.CommittedEntries[^1].Index);
        if (ready.Compaction is { } compaction)
        {
            TrimConfHistory(compaction.Metadata.Index);
            if (ReferenceEquals(_pendingCompaction, compaction)) _pendingCompaction = null;
        }
        if (_role == RaftRole.Leader && _tracker.Progress.TryGetValue(Id, out var self))
        {
            // Thesis 10.2.1: the leader's own entries count toward a quorum only once durable.
            if (self.MaybeUpdate(_log.StableLastIndex) && MaybeCommit()) BroadcastAfterCommit();
        }
    }

    // ------------------------------------------------------------------ inputs

    /// <summary>Advances logical time by one tick: election timeouts on followers, heartbeats and check-quorum on leaders.</summary>
    public void Tick()
    {
        if (_role == RaftRole.Leader) TickLeader();
        else
        {
            TickForwardedReads();
            TickElection();
        }
    }

    /// <summary>Handles a message from a peer.</summary>
    /// <exception cref="ArgumentException">The message is not addressed to this node or has no sender.</exception>
    public void Step(RaftMessage message)
    {
        ArgumentNullException.ThrowIfNull(message);
        if (message.To != Id) throw new ArgumentException($"message for node {message.To} stepped into node {Id}", nameof(message));
        if (message.From == RaftIds.None) throw new ArgumentException("message without a sender", nameof(message));
        ValidateShape(message);

        if (message.Term > _term)
        {
            if (message is RequestVote request)
            {
                // Thesis 4.2.3 / 9.6: while hearing from a leader, ignore elections (unless the leader asked for it).
                if (!request.LeadershipTransfer && InLease()) return;
                if (!request.PreVote) BecomeFollower(message.Term, RaftIds.None);
            }
            else if (message is RequestVoteResponse { PreVote: true, Granted: true })
            {
                // A granted pre-vote carries the term we would campaign in; the term moves only if we win.
            }
            else if (message is AppendEntries or Heartbeat or InstallSnapshot)
            {
                BecomeFollower(message.Term, message.From);
            }
            else
            {
                BecomeFollower(message.Term, RaftIds.None);
            }
        }
        else if (message.Term < _term)
        {
            if ((_config.CheckQuorum || _config.PreVote) && message is AppendEntries or Heartbeat)
            {
                // A stale leader (e.g. back from a partition) learns the new term and steps down.
                Send(new AppendEntriesResponse(Id, message.From, _term, false, 0, 0, 0));
            }
            else if (message is RequestVote { PreVote: true })
            {
                Send(new RequestVoteResponse(Id, message.From, _term, true, false));
            }
            return;
        }

        if (message is RequestVote vote)
        {
            HandleRequestVote(vote);
            return;
        }

        switch (_role)
        {
            case RaftRole.Leader: StepLeader(message); break;
            case RaftRole.Candidate:
            case RaftRole.PreCandidate: StepCandidate(message); break;
            default: StepFollower(message); break;
        }
    }

    /// <summary>
    /// Rejects a malformed message from the network before it can touch any state (the remoting layer
    /// decodes what any peer sent): entries must follow PrevLogIndex one by one with terms that never exceed
    /// the message's, and a snapshot must come with its metadata and data.
    /// </summary>
    private static void ValidateShape(RaftMessage message)
    {
        switch (message)
        {
            case AppendEntries append:
                if (append.Entries is null) throw new ArgumentException("AppendEntries without an entry array", nameof(message));
                var previousTerm = append.PrevLogTerm;
                for (var i = 0; i < append.Entries.Length; i++)
                {
                    var entry = append.Entries[i];
                    if (entry is null || entry.Data is null)
                        throw new ArgumentException($"AppendEntries from {append.From}: entry {i} is null or has no data", nameof(message));
                    if (entry.Index != append.PrevLogIndex + 1 + (ulong)i)
                        throw new ArgumentException($"AppendEntries from {append.From}: entry {i} has index {entry.Index}, expected {append.PrevLogIndex + 1 + (ulong)i}", nameof(message));
                    if (entry.Term < previousTerm || entry.Term > append.Term)
                        throw new ArgumentException($"AppendEntries from {append.From}: entry {entry.Index} has term {entry.Term}, outside [{previousTerm}, {append.Term}]", nameof(message));
                    previousTerm = entry.Term;
                }
                break;
            case InstallSnapshot install:
                if (install.Snapshot?.Metadata?.ConfState is null || install.Snapshot.Data is null)
                    throw new ArgumentException($"InstallSnapshot from {install.From} without metadata or data", nameof(message));
                break;
        }
    }

    /// <summary>Starts an election now (pre-vote first if configured). Ignored on a leader or a non-voter.</summary>
    public void Campaign() => Hup(transfer: false);

    /// <summary>
    /// Proposes a command. On the leader the entry is appended and replicated; the outcome is known when it
    /// appears in <see cref="Ready.CommittedEntries"/> at the returned index with the returned term.
    /// </summary>
    public RequestResult Propose(byte[] data)
    {
        ArgumentNullException.ThrowIfNull(data);
        var refusal = CheckCanPropose();
        if (refusal is { } r) return r;
        var size = data.Length + Entry.OverheadBytes;
        if (_uncommittedBytes > 0 && _uncommittedBytes + size > _config.MaxUncommittedEntriesBytes)
            return new RequestResult(RequestStatus.Overloaded, 0, 0, _lead);
        var entry = AppendLeaderEntry(EntryType.Normal, data);
        return new RequestResult(RequestStatus.Accepted, entry.Index, entry.Term, _lead);
    }

    /// <summary>
    /// Proposes a membership change: one voter or learner added or removed (thesis 4.1), or any number at once
    /// through a joint configuration (thesis 4.3), which the leader leaves by itself once it commits unless the
    /// change is <see cref="ConfChangeTransition.JointExplicit"/>. It takes effect as soon as it is appended.
    /// Refused while another change is uncommitted, while an automatic joint configuration is being left, and
    /// before the leader has committed an entry of its term.
    /// </summary>
    public RequestResult ProposeConfChange(ConfChange change)
    {
        ArgumentNullException.ThrowIfNull(change);
        var refusal = CheckCanPropose();
        if (refusal is { } r) return r;
        if (!CommittedInCurrentTerm)
            return new RequestResult(RequestStatus.ConfChangeInProgress, 0, 0, _lead, "the leader has not committed an entry of its term yet");
        if (LatestConfIndex > _log.Committed)
            return new RequestResult(RequestStatus.ConfChangeInProgress, 0, 0, _lead, $"the change at index {LatestConfIndex} is not committed yet");
        if (_tracker.Conf.AutoLeave)
            return new RequestResult(RequestStatus.ConfChangeInProgress, 0, 0, _lead, "the joint configuration is being left");
        if (ConfChanger.TryApply(_tracker.Conf, change, out var error) is null)
            return new RequestResult(RequestStatus.Rejected, 0, 0, _lead, error);
        var entry = AppendLeaderEntry(EntryType.ConfChange, change.Encode());
        return new RequestResult(RequestStatus.Accepted, entry.Index, entry.Term, _lead);
    }

    /// <summary>
    /// The application has a snapshot of its state machine at <paramref name="index"/> (≤ applied): the
    /// next Ready carries it in <see cref="Ready.Compaction"/> so the entries up to it can be dropped.
    /// Returns false (and does nothing) if the index is not past the current snapshot or not yet applied,
    /// or if a compaction is already pending.
    /// </summary>
    public bool CompactLog(ulong index, byte[] snapshotData)
    {
        ArgumentNullException.ThrowIfNull(snapshotData);
        if (_pendingCompaction is not null || _log.Unstable.Snapshot is not null) return false;
        if (index <= _log.FirstIndex - 1 || index > _log.Applied) return false;
        if (index >= _log.Unstable.Offset) return false; // only durable entries can be compacted
        var metadata = new SnapshotMetadata(index, _log.TermOrZero(index), ConfStateAt(index));
        _pendingCompaction = new Snapshot(metadata, snapshotData);
        return true;
    }

    private RequestResult? CheckCanPropose()
    {
        if (_role != RaftRole.Leader) return new RequestResult(RequestStatus.NotLeader, 0, 0, _lead);
        if (_leadTransferee != RaftIds.None) return new RequestResult(RequestStatus.TransferInProgress, 0, 0, _lead);
        if (!_tracker.Progress.ContainsKey(Id)) return new RequestResult(RequestStatus.NotLeader, 0, 0, RaftIds.None, "this leader was removed from the configuration");
        return null;
    }

    // ------------------------------------------------------------------ role changes

    private void Reset(ulong term)
    {
        if (term != _term)
        {
            SetTerm(term);
            _vote = RaftIds.None;
        }
        _lead = RaftIds.None;
        _electionElapsed = 0;
        _heartbeatElapsed = 0;
        ResetRandomizedElectionTimeout();
        _leadTransferee = RaftIds.None;
        _tracker.ResetVotes();
        var last = _log.LastIndex;
        foreach (var (id, pr) in _tracker.Progress)
        {
            pr.Match = 0;
            pr.Next = last + 1;
            pr.State = ProgressState.Probe;
            pr.ProbeSent = false;
            pr.PendingSnapshot = 0;
            pr.SnapshotWaitRounds = 0;
            pr.AckedRound = 0;
            pr.RecentActive = true;
            pr.Inflights.Reset();
            if (id == Id) pr.Match = _log.StableLastIndex;
        }
        ResetReads();
        _uncommittedBytes = 0;
        _pendingBroadcast = false;
    }

    private void BecomeFollower(ulong term, ulong lead)
    {
        Reset(term);
        _lead = lead;
        _role = RaftRole.Follower;
    }

    private void BecomePreCandidate()
    {
        if (_role == RaftRole.Leader) throw new RaftInvariantException("a leader never becomes a pre-candidate", $"node {Id} term {_term}");
        // Thesis 9.6: a pre-candidate does not raise its term or vote, so a failed pre-vote disturbs nobody.
        _tracker.ResetVotes();
        DropForwardedReads();
        _lead = RaftIds.None;
        _role = RaftRole.PreCandidate;
    }

    private void BecomeCandidate()
    {
        if (_role == RaftRole.Leader) throw new RaftInvariantException("a leader never becomes a candidate", $"node {Id} term {_term}");
        Reset(_term + 1);
        SetVote(Id);
        _role = RaftRole.Candidate;
    }

    private void BecomeLeader()
    {
        if (_role == RaftRole.Follower) throw new RaftInvariantException("only a candidate becomes leader", $"node {Id} term {_term} is a follower");
        Reset(_term);
        _lead = Id;
        _role = RaftRole.Leader;
        if (_tracker.Progress.TryGetValue(Id, out var self))
        {
            self.BecomeReplicate();
            self.Match = _log.StableLastIndex;
            self.Next = _log.LastIndex + 1;
        }
        // Raft §8: a no-op of the new term lets the leader commit (and learn the commit index) at once.
        var noop = AppendLeaderEntry(EntryType.Normal, Array.Empty<byte>());
        _termStartIndex = noop.Index;
        FlushPendingBroadcast();
    }

    private void SetTerm(ulong term)
    {
        if (term < _term) throw new RaftInvariantException("the term never goes back", $"node {Id}: term {_term} -> {term}");
        _term = term;
    }

    private void SetVote(ulong candidate)
    {
        if (_vote != RaftIds.None && _vote != candidate)
            throw new RaftInvariantException("at most one vote per term", $"node {Id} term {_term}: voted for {_vote}, now asked to vote for {candidate}");
        _vote = candidate;
    }

    private void ResetRandomizedElectionTimeout() =>
        _randomizedElectionTimeout = _config.ElectionTicks + _random.Next(_config.ElectionTicks);

    private void Send(RaftMessage message) => _messages.Add(message);

    /// <summary>
    /// While the outstanding Ready is being made durable, takes the messages queued since that promise nothing about this
    /// node's storage, so that a slow write (a snapshot, a journal cut) does not silence it: every message of a leader
    /// (they never wait for its own write, thesis 10.2.1), and a follower's answers to heartbeats and its read-index
    /// requests. The rest wait for the next Ready: a follower's answers to appends and votes promise durable state, and
    /// a candidate counts its own vote at once, so its requests for votes must not leave before that vote is durable.
    /// etcd's raft draws the same line between messages and messages after the append.
    /// </summary>
    /// <returns>The messages taken, in the order they were queued; the others stay queued in theirs.</returns>
    public IReadOnlyList<RaftMessage> TakeMessagesNeedingNoStorage()
    {
        if (_role == RaftRole.Leader)
        {
            FlushPendingBroadcast();
            var all = _messages.ToArray();
            _messages.Clear();
            return all;
        }
        if (_role != RaftRole.Follower) return [];
        var taken = new List<RaftMessage>();
        _messages.RemoveAll(m =>
        {
            if (m is not (HeartbeatResponse or ReadIndexRequest)) return false;
            taken.Add(m);
            return true;
        });
        return taken;
    }
}
