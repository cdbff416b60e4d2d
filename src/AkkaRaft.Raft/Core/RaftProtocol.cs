namespace AkkaRaft.Raft.Core;

// The messages Raft peers exchange. All are plain data (ids, numbers, byte arrays, entries) so the
// remoting layer can map each to a protobuf message without knowing anything about the core.

/// <summary>A message between two Raft peers.</summary>
/// <param name="From">Sender node id.</param>
/// <param name="To">Receiver node id.</param>
/// <param name="Term">Sender's term (for a pre-vote request: the term it would campaign in).</param>
public abstract record RaftMessage(ulong From, ulong To, ulong Term);

/// <summary>RequestVote (Raft §5.2), or a pre-vote (thesis 9.6) when <paramref name="PreVote"/> is set.</summary>
/// <param name="LastLogIndex">Index of the candidate's last entry (§5.4.1).</param>
/// <param name="LastLogTerm">Term of the candidate's last entry.</param>
/// <param name="PreVote">True for a pre-vote: granting it changes no state.</param>
/// <param name="LeadershipTransfer">True when the leader asked for this election (TimeoutNow): voters do not apply their lease.</param>
public sealed record RequestVote(
    ulong From, ulong To, ulong Term, ulong LastLogIndex, ulong LastLogTerm, bool PreVote, bool LeadershipTransfer)
    : RaftMessage(From, To, Term);

/// <summary>Answer to <see cref="RequestVote"/>.</summary>
/// <param name="PreVote">Answers a pre-vote.</param>
/// <param name="Granted">The vote (or pre-vote) is granted.</param>
public sealed record RequestVoteResponse(ulong From, ulong To, ulong Term, bool PreVote, bool Granted)
    : RaftMessage(From, To, Term);

/// <summary>AppendEntries (Raft §5.3). With no entries it still probes the follower's log.</summary>
/// <param name="PrevLogIndex">Index of the entry just before <paramref name="Entries"/>.</param>
/// <param name="PrevLogTerm">Term of that entry.</param>
/// <param name="Entries">Entries to append, consecutive indexes from PrevLogIndex + 1.</param>
/// <param name="LeaderCommit">Leader's commit index.</param>
public sealed record AppendEntries(
    ulong From, ulong To, ulong Term, ulong PrevLogIndex, ulong PrevLogTerm, Entry[] Entries, ulong LeaderCommit)
    : RaftMessage(From, To, Term);

/// <summary>Answer to <see cref="AppendEntries"/>.</summary>
/// <param name="Success">The entries were appended (and persisted: the answer is sent only after that).</param>
/// <param name="Index">On success the last index known to match the leader; on rejection the rejected PrevLogIndex.</param>
/// <param name="RejectHint">On rejection: the highest index at which the follower's log might match (fast backtracking).</param>
/// <param name="LogTermHint">On rejection: the term of the follower's entry at <paramref name="RejectHint"/> (0 if unknown).</param>
public sealed record AppendEntriesResponse(
    ulong From, ulong To, ulong Term, bool Success, ulong Index, ulong RejectHint, ulong LogTermHint)
    : RaftMessage(From, To, Term);

/// <summary>A leader's heartbeat: keeps followers from campaigning and confirms leadership for reads.</summary>
/// <param name="Commit">min(follower's match, leader's commit): never makes a follower commit what it may not have.</param>
/// <param name="Round">Leader-local heartbeat round echoed in the response (ReadIndex and lease confirmation).</param>
public sealed record Heartbeat(ulong From, ulong To, ulong Term, ulong Commit, ulong Round)
    : RaftMessage(From, To, Term);

/// <summary>Answer to <see cref="Heartbeat"/>.</summary>
/// <param name="Round">The round of the heartbeat answered.</param>
public sealed record HeartbeatResponse(ulong From, ulong To, ulong Term, ulong Round)
    : RaftMessage(From, To, Term);

/// <summary>
/// InstallSnapshot (Raft §7): the leader's whole snapshot, for a follower that needs entries the leader compacted. The
/// core sends and takes it whole; how its bytes travel is the shell's business (the server streams them over its
/// snapshot port in CRC-checked chunks and hands the follower's core the whole snapshot once verified). The follower
/// answers with an <see cref="AppendEntriesResponse"/>.
/// </summary>
/// <param name="Snapshot">The snapshot: what it covers and the state machine's bytes.</param>
public sealed record InstallSnapshot(ulong From, ulong To, ulong Term, Snapshot Snapshot)
    : RaftMessage(From, To, Term);

/// <summary>Leadership transfer (thesis 3.10): the receiver starts an election at once.</summary>
public sealed record TimeoutNow(ulong From, ulong To, ulong Term) : RaftMessage(From, To, Term);

/// <summary>
/// A follower asks the leader for a read index on behalf of one of its readers (thesis 6.4, "reads on followers").
/// The leader confirms its leadership with a quorum exactly as for its own reads and answers with
/// <see cref="ReadIndexResponse"/>; the follower serves the read once it has applied that far.
/// </summary>
/// <param name="Context">The follower's tag for the read, echoed in the answer.</param>
public sealed record ReadIndexRequest(ulong From, ulong To, ulong Term, ulong Context) : RaftMessage(From, To, Term);

/// <summary>Answer to <see cref="ReadIndexRequest"/>.</summary>
/// <param name="Context">The follower's tag for the read.</param>
/// <param name="Index">The commit index the read must wait for; meaningful only when <paramref name="Granted"/>.</param>
/// <param name="Granted">False when the receiver is not the leader, or the leader has too many reads waiting.</param>
public sealed record ReadIndexResponse(ulong From, ulong To, ulong Term, ulong Context, ulong Index, bool Granted)
    : RaftMessage(From, To, Term);
