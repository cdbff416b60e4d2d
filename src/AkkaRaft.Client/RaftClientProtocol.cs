namespace AkkaRaft.Client;

// What clients tell a Raft peer (through a server's inbox, akka.tcp://akkaraft@host:port/user/raft, or ClusterClient)
// and what it answers. Every request gets exactly one answer, or none when the peer crashes or the message is lost
// (the client's own Ask timeout covers that). Expected failures are values: NotLeader, Overloaded, RequestTimedOut.

/// <summary>
/// Marks the client protocol's messages: they cross the wire with <see cref="Wire.RaftClientSerializer"/>, bound to
/// this interface in <see cref="ClientConfig.Default"/> (and in the server's <c>reference.conf</c>).
/// </summary>
public interface IRaftClientMessage;

/// <summary>What a non-leader does with a request only the leader can serve.</summary>
public enum NotLeaderPolicy
{
    /// <summary>Forward it to the leader (drax); the leader answers the client directly.</summary>
    Forward,

    /// <summary>Answer <see cref="NotLeader"/> with the leader this peer knows.</summary>
    Reject,
}

/// <summary>How fresh a read must be (docs/ARCHITECTURE.md, "How a write flows", its last paragraph).</summary>
public enum ReadLevel
{
    /// <summary>The local state of whichever peer receives the query: may be behind.</summary>
    Stale,

    /// <summary>The leader's state under its lease; without lease reads (or when the lease does not hold) a ReadIndex read.</summary>
    Default,

    /// <summary>
    /// ReadIndex (thesis 6.4): the leader confirms its leadership with a quorum before answering. A follower serves it
    /// too, once it has applied as far as the read index the leader gave it.
    /// </summary>
    Consistent,
}

/// <summary>How a read was actually served.</summary>
public enum ReadPath
{
    /// <summary>From local state without any check (<see cref="ReadLevel.Stale"/>).</summary>
    Local,

    /// <summary>On the leader under its lease, without a round trip.</summary>
    Lease,

    /// <summary>On the leader after a quorum confirmed its leadership.</summary>
    ReadIndex,

    /// <summary>On a follower, once it had applied the read index the leader confirmed with a quorum (thesis 6.4).</summary>
    FollowerReadIndex,
}

/// <summary>Proposes a command to the replicated state machine. Answered by <see cref="WriteResult"/>, <see cref="NotLeader"/>, <see cref="Overloaded"/> or <see cref="RequestTimedOut"/>.</summary>
/// <param name="Command">The command bytes, as the state machine decodes them (not empty).</param>
/// <param name="Timeout">How long to wait for the commit; null for <c>akkaraft.raft.request-timeout</c>.</param>
/// <param name="OnNotLeader">What a follower does with it.</param>
public sealed record Write(byte[] Command, TimeSpan? Timeout = null, NotLeaderPolicy OnNotLeader = NotLeaderPolicy.Forward) : IRaftClientMessage
{
    /// <summary>How many peers forwarded it already (a forwarded request is never forwarded twice).</summary>
    internal int Hops { get; init; }

    /// <summary>
    /// The client session it is written in (<see cref="SessionOpened.SessionId"/>), or 0 for none. A write in a session
    /// keeps the session alive, may write ephemeral keys, and is answered <see cref="SessionNotFound"/> once the
    /// session has ended (then nothing was applied).
    /// </summary>
    public long SessionId { get; init; }

    /// <summary>
    /// Exactly once (thesis 6.3): the write's sequence number in <see cref="SessionId"/>, from 1 up; 0 for a write that
    /// may apply again when retried. A retry with the same number answers the first outcome (same response, same
    /// index) and applies nothing.
    /// </summary>
    public ulong Sequence { get; init; }

    /// <summary>
    /// The lowest sequence number of the session whose answer the client has not received yet: the session forgets
    /// the responses below it (a client that never raises it is refused once <c>akkaraft.sessions.max-unacknowledged-responses</c>
    /// responses are kept).
    /// </summary>
    public ulong AcknowledgedBelow { get; init; }
}

/// <summary>A committed and applied write.</summary>
/// <param name="Response">What the state machine answered.</param>
/// <param name="Index">The log index the command got.</param>
/// <param name="Leader">The leader that committed it.</param>
public sealed record WriteResult(ReadOnlyMemory<byte> Response, ulong Index, ulong Leader) : IRaftClientMessage
{
    /// <summary>The term of the command's entry (etcd's <c>raft_term</c> in a response header); 0 from a node that predates it.</summary>
    public ulong Term { get; init; }
}

/// <summary>Asks the state machine a read-only question. Answered by <see cref="QueryResponse"/>, <see cref="NotLeader"/>, <see cref="Overloaded"/> or <see cref="RequestTimedOut"/>.</summary>
/// <param name="Bytes">The query bytes, as the state machine decodes them.</param>
/// <param name="Level">How fresh the answer must be.</param>
/// <param name="Timeout">How long to wait for the leader's confirmation; null for <c>akkaraft.raft.request-timeout</c>.</param>
/// <param name="OnNotLeader">What a follower does with a Default or Consistent read.</param>
public sealed record Query(byte[] Bytes, ReadLevel Level = ReadLevel.Default, TimeSpan? Timeout = null, NotLeaderPolicy OnNotLeader = NotLeaderPolicy.Forward) : IRaftClientMessage
{
    /// <summary>How many peers forwarded it already.</summary>
    internal int Hops { get; init; }
}

/// <summary>The answer to a <see cref="Query"/>.</summary>
/// <param name="Response">What the state machine answered.</param>
/// <param name="AppliedIndex">The log index the state was at when the query was answered (at least the read index).</param>
/// <param name="Leader">The leader the serving peer knew.</param>
/// <param name="ServedBy">How the read was served: a Default read without a valid lease says <see cref="ReadPath.ReadIndex"/>.</param>
public sealed record QueryResponse(ReadOnlyMemory<byte> Response, ulong AppliedIndex, ulong Leader, ReadPath ServedBy) : IRaftClientMessage
{
    /// <summary>The term the serving peer was in when it answered; 0 from a node that predates it.</summary>
    public ulong Term { get; init; }
}

/// <summary>
/// Proposes your own command object to a state machine of typed commands (<c>TypedStateMachine</c> in AkkaRaft.Raft).
/// Answered by <see cref="TypedWriteResult"/>, <see cref="NotLeader"/>, <see cref="Overloaded"/>,
/// <see cref="RequestTimedOut"/>, or <see cref="RequestRejected"/> when the leader cannot read the command under its
/// <c>akka.actor.serialization-settings.hyperion.allowed-types</c> (then nothing was proposed).
/// </summary>
/// <param name="Command">Your command object, which Hyperion serializes (<see cref="Typed.PayloadSerialization"/>); on a node,
/// after the wire, its <see cref="Typed.SerializedPayload"/>: nodes route it without reading it, and the leader reads it
/// before it proposes it. The log holds those bytes, and every peer deserializes the same bytes.</param>
/// <param name="Timeout">How long to wait for the commit; null for <c>akkaraft.raft.request-timeout</c>.</param>
/// <param name="OnNotLeader">What a follower does with it.</param>
public sealed record TypedWrite(object Command, TimeSpan? Timeout = null, NotLeaderPolicy OnNotLeader = NotLeaderPolicy.Forward) : IRaftClientMessage
{
    /// <summary>How many peers forwarded it already (a forwarded request is never forwarded twice).</summary>
    internal int Hops { get; init; }
}

/// <summary>A committed and applied <see cref="TypedWrite"/>.</summary>
/// <param name="Response">The state machine's answer: your own object (read with this app's Hyperion settings after
/// the wire; on the node that produced it, the object itself).</param>
/// <param name="Index">The log index the command got.</param>
/// <param name="Leader">The leader that committed it.</param>
public sealed record TypedWriteResult(object Response, ulong Index, ulong Leader) : IRaftClientMessage;

/// <summary>
/// Asks a state machine of typed queries a read-only question with your own query object. Answered by
/// <see cref="TypedQueryResponse"/>, <see cref="NotLeader"/>, <see cref="Overloaded"/>, <see cref="RequestTimedOut"/>,
/// or <see cref="RequestRejected"/> when the peer that serves it cannot read the query under its allowed types.
/// </summary>
/// <param name="Query">Your query object; on a node, after the wire, its <see cref="Typed.SerializedPayload"/>, read only by the peer that serves it.</param>
/// <param name="Level">How fresh the answer must be.</param>
/// <param name="Timeout">How long to wait for the leader's confirmation; null for <c>akkaraft.raft.request-timeout</c>.</param>
/// <param name="OnNotLeader">What a follower does with a Default or Consistent read.</param>
public sealed record TypedQuery(object Query, ReadLevel Level = ReadLevel.Default, TimeSpan? Timeout = null, NotLeaderPolicy OnNotLeader = NotLeaderPolicy.Forward) : IRaftClientMessage
{
    /// <summary>How many peers forwarded it already.</summary>
    internal int Hops { get; init; }
}

/// <summary>The answer to a <see cref="TypedQuery"/>.</summary>
/// <param name="Response">The state machine's answer: your own object.</param>
/// <param name="AppliedIndex">The log index the state was at when the query was answered (at least the read index).</param>
/// <param name="Leader">The leader the serving peer knew.</param>
/// <param name="ServedBy">How the read was served.</param>
public sealed record TypedQueryResponse(object Response, ulong AppliedIndex, ulong Leader, ReadPath ServedBy) : IRaftClientMessage;

/// <summary>This peer is not the leader and did not forward the request. A write answered so did not and will not take effect.</summary>
/// <param name="LeaderHint">The leader this peer knows, or 0 for none; <see cref="GetClusterMembers"/> maps it to an address.</param>
/// <param name="Reason">Why, for logs.</param>
public sealed record NotLeader(ulong LeaderHint, string Reason) : IRaftClientMessage;

/// <summary>The peer refused the request because a bound is reached (the setting is named); nothing was proposed.</summary>
/// <param name="Reason">Which limit.</param>
public sealed record Overloaded(string Reason) : IRaftClientMessage;

/// <summary>
/// No outcome within the request's timeout. For a write this is ambiguous: it may still commit.
/// </summary>
/// <param name="After">The timeout that passed.</param>
public sealed record RequestTimedOut(TimeSpan After) : IRaftClientMessage;

/// <summary>
/// The request itself is invalid (an empty command, an unknown node, a typed command or query whose type the node's
/// <c>akka.actor.serialization-settings.hyperion.allowed-types</c> does not list); nothing was proposed. One case
/// committed: a typed command that only the state machine found unreadable (nodes whose allowed types differ, or a
/// typed command sent to a state machine that takes none); the reason then gives its index, and it changed nothing.
/// </summary>
/// <param name="Reason">What is wrong, naming the setting that decides it.</param>
public sealed record RequestRejected(string Reason) : IRaftClientMessage;

/// <summary>
/// The peer cannot write its journal (its last write failed: a full disk, a failing database), so it proposes nothing
/// until a write succeeds again; nothing of this request was proposed. The peer keeps retrying on its own (it restarts
/// from its journal with backoff and writes again), so the client may retry later or go to another node.
/// </summary>
/// <param name="Reason">The storage error, as the journal reported it.</param>
/// <param name="OutOfSpace">True when the error says the disk or database is full.</param>
public sealed record StorageUnavailable(string Reason, bool OutOfSpace) : IRaftClientMessage;

/// <summary>Adds a voter to the group (through the log, thesis 4.1). Answered by <see cref="MembershipChanged"/>, <see cref="NotLeader"/>, <see cref="RequestRejected"/> or <see cref="RequestTimedOut"/>.</summary>
/// <param name="NodeId">The new voter's id (not 0).</param>
/// <param name="Timeout">How long to wait for the commit; null for the default.</param>
public sealed record AddVoter(ulong NodeId, TimeSpan? Timeout = null) : IRaftClientMessage;

/// <summary>Removes a voter or learner from the group. Answered like <see cref="AddVoter"/>.</summary>
/// <param name="NodeId">The id to remove.</param>
/// <param name="Timeout">How long to wait for the commit; null for the default.</param>
public sealed record RemoveVoter(ulong NodeId, TimeSpan? Timeout = null) : IRaftClientMessage;

/// <summary>
/// Adds a non-voting learner (thesis 4.2.1): it receives the log but counts towards no quorum, so an empty newcomer
/// cannot stall commits while it catches up. With <paramref name="PromoteWhenCaughtUp"/> the leader then makes it a
/// voter by itself once its match index is within <c>akkaraft.raft.learner-promotion-lag</c> entries of the leader's
/// last index, and answers only then; without, it stays a learner and the answer comes when the learner is added.
/// Answered by <see cref="MembershipChanged"/>, <see cref="NotLeader"/>, <see cref="RequestRejected"/>,
/// <see cref="ConfigurationChangeInProgress"/> or <see cref="RequestTimedOut"/> (a promotion not reached in time: the
/// learner stays, and the leader still promotes it once caught up as long as it leads; ask again to wait more).
/// </summary>
/// <param name="NodeId">The learner's id (not 0). A node that is a learner already is only (re)marked for promotion.</param>
/// <param name="PromoteWhenCaughtUp">Make it a voter once caught up (what <c>POST /join</c> asks unless told <c>learner</c>).</param>
/// <param name="Timeout">How long to wait for the answer; null for <c>akkaraft.raft.request-timeout</c>.</param>
public sealed record AddLearner(ulong NodeId, bool PromoteWhenCaughtUp = false, TimeSpan? Timeout = null) : IRaftClientMessage;

/// <summary>
/// Moves the group to exactly these voters and learners in one request (thesis 4.3): every other member is removed.
/// More than one step goes through a joint configuration that the leader leaves by itself, and the answer waits for
/// the final configuration to commit, not the joint one. Answered by <see cref="MembershipChanged"/> (with the
/// committed voters and learners), <see cref="ConfigurationMismatch"/> when <paramref name="ExpectVoters"/> does not
/// match, <see cref="ConfigurationChangeInProgress"/> while another change is unfinished, <see cref="NotLeader"/>,
/// <see cref="RequestRejected"/> (an invalid target: no voter, id 0, a node in both sets) or
/// <see cref="RequestTimedOut"/> (ambiguous: a joint configuration that committed is still left by the next leader).
/// </summary>
/// <param name="Voters">The voters wanted (at least one).</param>
/// <param name="Learners">The learners wanted (none in <paramref name="Voters"/>).</param>
/// <param name="ExpectVoters">When given, the change is made only if the voters now are exactly these (compare-and-set).</param>
/// <param name="Timeout">How long to wait for the final configuration to commit; null for <c>akkaraft.raft.request-timeout</c>.</param>
public sealed record SetConfiguration(IReadOnlyList<ulong> Voters, IReadOnlyList<ulong> Learners, IReadOnlyList<ulong>? ExpectVoters = null, TimeSpan? Timeout = null)
    : IRaftClientMessage;

/// <summary>A <see cref="SetConfiguration"/> whose expected voters differ from the voters now; nothing was proposed.</summary>
/// <param name="Voters">The voters now (the latest configuration, committed).</param>
/// <param name="Learners">The learners now.</param>
public sealed record ConfigurationMismatch(IReadOnlyList<ulong> Voters, IReadOnlyList<ulong> Learners) : IRaftClientMessage;

/// <summary>
/// Another membership change is not finished yet (not committed, a joint configuration being left, or the leader has
/// not committed an entry of its term); nothing was proposed. Retry shortly.
/// </summary>
/// <param name="Reason">Which change is in the way.</param>
public sealed record ConfigurationChangeInProgress(string Reason) : IRaftClientMessage;

/// <summary>A membership change committed.</summary>
/// <param name="Index">Its log index (for a <see cref="SetConfiguration"/>, of the entry that made the final configuration).</param>
/// <param name="Voters">The voters after the change.</param>
public sealed record MembershipChanged(ulong Index, IReadOnlyList<ulong> Voters) : IRaftClientMessage
{
    /// <summary>The learners after the change (an init property so that older senders still build the answer).</summary>
    public IReadOnlyList<ulong> Learners { get; init; } = [];
}

/// <summary>Asks the leader to hand leadership to <paramref name="Target"/> (thesis 3.10). Answered by <see cref="PeerStatus"/> at once (the transfer completes later) or <see cref="NotLeader"/>/<see cref="RequestRejected"/>.</summary>
/// <param name="Target">The voter to become leader.</param>
public sealed record TransferLeadership(ulong Target) : IRaftClientMessage;

/// <summary>Asks a peer for its <see cref="PeerStatus"/>.</summary>
public sealed record GetPeerStatus : IRaftClientMessage
{
    /// <summary>The single instance.</summary>
    public static GetPeerStatus Instance { get; } = new();
}

/// <summary>What a peer knows about itself and its group.</summary>
/// <param name="NodeId">This peer.</param>
/// <param name="Role">Its role.</param>
/// <param name="Term">Its term.</param>
/// <param name="Leader">The leader it knows (0 = none).</param>
/// <param name="CommitIndex">Highest committed index known.</param>
/// <param name="AppliedIndex">Highest index handed to the state machine.</param>
/// <param name="FirstIndex">First index still in the log (the snapshot's index + 1).</param>
/// <param name="LastIndex">Last index in the log.</param>
/// <param name="Voters">The voters of the configuration in force.</param>
/// <param name="Counters">Journal batches, entries and snapshots so far.</param>
/// <remarks>
/// <see cref="Members"/> and <see cref="CommitLatency"/> are init properties so that older senders still build a
/// status; the wire carries them too.
/// </remarks>
public sealed record PeerStatus(
    ulong NodeId, RaftRole Role, ulong Term, ulong Leader, ulong CommitIndex, ulong AppliedIndex, ulong FirstIndex, ulong LastIndex,
    IReadOnlyList<ulong> Voters, RaftPeerCounters Counters) : IRaftClientMessage
{
    /// <summary>Every member of the configuration in force (voters, then learners, each in ascending id order), with the
    /// replication progress the leader tracks for it; a peer that is not the leader knows no progress (null).</summary>
    public IReadOnlyList<MemberProgress> Members { get; init; } = [];

    /// <summary>Commit latency of the client writes this peer proposed as leader, in this incarnation.</summary>
    public CommitLatencyHistogram CommitLatency { get; init; } = CommitLatencyHistogram.Empty;
}

/// <summary>One member of the configuration in force.</summary>
/// <param name="NodeId">Its id.</param>
/// <param name="IsVoter">True for a voter, false for a learner (a non-voting member that only receives the log).</param>
/// <param name="Progress">The leader's view of its replication; null when the answering peer is not the leader.</param>
public sealed record MemberProgress(ulong NodeId, bool IsVoter, ReplicationProgress? Progress);

/// <summary>The leader's replication state of one member (Raft §5.3 matchIndex and nextIndex, plus flow control).</summary>
/// <param name="State">How the leader replicates to it now.</param>
/// <param name="Match">Highest log index known to be replicated on the member (the leader's own: its durable last index).</param>
/// <param name="Next">Index of the next entry the leader sends it.</param>
public sealed record ReplicationProgress(ProgressState State, ulong Match, ulong Next);

/// <summary>
/// A histogram of commit latencies: for each client <see cref="Write"/> the leader answered with a
/// <see cref="WriteResult"/>, the time from its proposal to the hand-off of its committed entry to the state machine,
/// which applies it and answers next. Measured on the actor system's clock (virtual under the simulation).
/// </summary>
/// <param name="BucketCounts">Writes per bucket, not cumulative: index i counts latencies ≤ <see cref="BucketBoundsSeconds"/>[i]
/// and above the bound before it; the last index counts the latencies above every bound. Length = bounds + 1.</param>
/// <param name="Sum">The sum of every latency counted.</param>
/// <param name="Count">How many latencies were counted (the sum of <paramref name="BucketCounts"/>).</param>
public sealed record CommitLatencyHistogram(IReadOnlyList<long> BucketCounts, TimeSpan Sum, long Count)
{
    private static readonly double[] Bounds = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];
    private static readonly TimeSpan[] BoundSpans = Array.ConvertAll(Bounds, TimeSpan.FromSeconds);

    /// <summary>The upper bounds of the buckets, in seconds, ascending (fixed: Prometheus's default latency buckets from 1 ms to 10 s).</summary>
    public static IReadOnlyList<double> BucketBoundsSeconds => Bounds;

    /// <summary>No latency counted.</summary>
    public static CommitLatencyHistogram Empty { get; } = new(new long[Bounds.Length + 1], TimeSpan.Zero, 0);

    /// <summary>The bucket <paramref name="latency"/> falls in (the last one for a latency above every bound).</summary>
    public static int BucketOf(TimeSpan latency)
    {
        for (var i = 0; i < BoundSpans.Length; i++)
        {
            if (latency <= BoundSpans[i]) return i;
        }

        return BoundSpans.Length;
    }
}

/// <summary>Running totals of one peer incarnation, for tests and benchmarks (the group-commit ratio is <see cref="EntriesPersisted"/> / <see cref="JournalBatches"/>).</summary>
/// <param name="JournalBatches">Journal writes (one atomic write, one fsync each).</param>
/// <param name="EntriesPersisted">Log entries those writes held.</param>
/// <param name="EntriesApplied">Committed entries handed to the state machine.</param>
/// <param name="SnapshotsSaved">Snapshots saved to the snapshot store (local compactions and installs).</param>
/// <param name="SnapshotsInstalled">Snapshots received from a leader and restored.</param>
/// <param name="RecoveredEvents">Journal events replayed at start.</param>
public sealed record RaftPeerCounters(
    long JournalBatches, long EntriesPersisted, long EntriesApplied, long SnapshotsSaved, long SnapshotsInstalled, long RecoveredEvents);

/// <summary>
/// Asks a server's inbox (<c>/user/raft</c>) which members it knows and where they listen: what a client needs to
/// turn a <see cref="NotLeader.LeaderHint"/> into the leader's address. Answered by <see cref="ClusterMembers"/> from
/// the server's member directory (not by the Raft peer, which knows only ids).
/// </summary>
public sealed record GetClusterMembers : IRaftClientMessage
{
    /// <summary>The single instance.</summary>
    public static GetClusterMembers Instance { get; } = new();
}

/// <summary>The members a server knows, in ascending name order.</summary>
/// <param name="Members">Each member's Raft id, name and addresses.</param>
public sealed record ClusterMembers(IReadOnlyList<ClusterMember> Members) : IRaftClientMessage;

/// <summary>One member as a server knows it.</summary>
/// <param name="NodeId">Its Raft id (what <see cref="NotLeader.LeaderHint"/> and <see cref="PeerStatus.Leader"/> name).</param>
/// <param name="Name">Its node name (<c>akkaraft.node.id</c>).</param>
/// <param name="RaftAddress">host:port of its actor system; <see cref="RaftPaths.Inbox"/> makes the inbox path from it.</param>
/// <param name="HttpAddress">host:port of its HTTP API; empty while unknown.</param>
public sealed record ClusterMember(ulong NodeId, string Name, string RaftAddress, string HttpAddress);
