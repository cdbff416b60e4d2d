namespace AkkaRaft.Raft.Core;

/// <summary>Node id meaning "nobody" (no leader known, no vote cast).</summary>
public static class RaftIds
{
    /// <summary>The id that means no node. Real node ids are never 0.</summary>
    public const ulong None = 0;
}

/// <summary>What a log entry carries.</summary>
public enum EntryType : byte
{
    /// <summary>An application command (an empty one is the leader's no-op, Raft §8).</summary>
    Normal = 0,

    /// <summary>A membership change: <see cref="Entry.Data"/> is an encoded <see cref="ConfChange"/>.</summary>
    ConfChange = 1,
}

/// <summary>One entry of the replicated log. Plain data; it crosses the wire inside AppendEntries.</summary>
/// <param name="Term">Term of the leader that created the entry.</param>
/// <param name="Index">Position in the log, starting at 1.</param>
/// <param name="Type">Normal command or membership change.</param>
/// <param name="Data">Payload; empty for the leader's no-op. Owned by the entry, never mutated.</param>
public sealed record Entry(ulong Term, ulong Index, EntryType Type, byte[] Data)
{
    /// <summary>Fixed bytes counted per entry on top of its payload (term, index, type, framing).</summary>
    public const int OverheadBytes = 24;

    /// <summary>Bytes the entry counts for in batching and in-flight limits.</summary>
    public long SizeBytes => Data.Length + OverheadBytes;
}

/// <summary>The state Raft must persist before answering anyone (Raft §5, Figure 2).</summary>
/// <param name="Term">Latest term this node has seen.</param>
/// <param name="Vote">Candidate voted for in <paramref name="Term"/>, or <see cref="RaftIds.None"/>.</param>
/// <param name="Commit">Highest index known committed (persisted so a restart re-applies without waiting).</param>
public readonly record struct HardState(ulong Term, ulong Vote, ulong Commit)
{
    /// <summary>True for the state of a node that has never seen a term.</summary>
    public bool IsEmpty => Term == 0 && Vote == 0 && Commit == 0;
}

// RaftRole, the role a node plays, is defined in AkkaRaft.Client (RaftStates.cs): a peer's status reports it.

/// <summary>Volatile state the application may want to observe (not persisted).</summary>
/// <param name="Leader">The leader this node knows, or <see cref="RaftIds.None"/>.</param>
/// <param name="Role">The node's role.</param>
public readonly record struct SoftState(ulong Leader, RaftRole Role);

/// <summary>
/// A cluster configuration: voters and learners. In a joint configuration (thesis 4.3) <see cref="VotersOutgoing"/>
/// holds the old voters and <see cref="Voters"/> the new, and a decision needs a majority of each;
/// <see cref="LearnersNext"/> are old voters that become learners when it is left, and <see cref="AutoLeave"/> says
/// the leader leaves it by itself once it commits. Outside a joint configuration those three are empty and false.
/// </summary>
public sealed record ConfState(ulong[] Voters, ulong[] Learners, ulong[] VotersOutgoing, ulong[] LearnersNext, bool AutoLeave)
{
    /// <summary>A configuration of voters only.</summary>
    public static ConfState OfVoters(params ulong[] voters) => new(Sorted(voters), [], [], [], false);

    /// <summary>The empty configuration (a node that knows no cluster yet).</summary>
    public static ConfState Empty { get; } = new([], [], [], [], false);

    /// <summary>True when <paramref name="id"/> is a voter (in either half of a joint configuration).</summary>
    public bool IsVoter(ulong id) => Array.IndexOf(Voters, id) >= 0 || Array.IndexOf(VotersOutgoing, id) >= 0;

    /// <summary>True when <paramref name="id"/> is a learner.</summary>
    public bool IsLearner(ulong id) => Array.IndexOf(Learners, id) >= 0 || Array.IndexOf(LearnersNext, id) >= 0;

    /// <summary>Voters and learners, each once.</summary>
    public ulong[] AllMembers()
    {
        var all = new SortedSet<ulong>(Voters);
        all.UnionWith(VotersOutgoing);
        all.UnionWith(Learners);
        all.UnionWith(LearnersNext);
        var result = new ulong[all.Count];
        all.CopyTo(result);
        return result;
    }

    /// <summary>Structural equality (the record's own compares array references).</summary>
    public bool SameAs(ConfState other) =>
        Voters.AsSpan().SequenceEqual(other.Voters) && Learners.AsSpan().SequenceEqual(other.Learners)
        && VotersOutgoing.AsSpan().SequenceEqual(other.VotersOutgoing)
        && LearnersNext.AsSpan().SequenceEqual(other.LearnersNext) && AutoLeave == other.AutoLeave;

    /// <inheritdoc />
    public override string ToString() =>
        $"voters=[{string.Join(",", Voters)}] learners=[{string.Join(",", Learners)}]"
        + (VotersOutgoing.Length > 0 ? $" outgoing=[{string.Join(",", VotersOutgoing)}]" : "");

    internal static ulong[] Sorted(IEnumerable<ulong> ids)
    {
        var set = new SortedSet<ulong>(ids);
        var result = new ulong[set.Count];
        set.CopyTo(result);
        return result;
    }
}

/// <summary>What a snapshot covers: the log up to <see cref="Index"/> and the configuration at that index.</summary>
/// <param name="Index">Last log index the snapshot replaces.</param>
/// <param name="Term">Term of the entry at <paramref name="Index"/>.</param>
/// <param name="ConfState">Configuration in force at <paramref name="Index"/>.</param>
public sealed record SnapshotMetadata(ulong Index, ulong Term, ConfState ConfState);

/// <summary>A state-machine snapshot with its metadata. <see cref="Data"/> is opaque to Raft.</summary>
public sealed record Snapshot(SnapshotMetadata Metadata, byte[] Data)
{
    /// <summary>The snapshot of an empty log with the given configuration (used to bootstrap a cluster).</summary>
    public static Snapshot Initial(ConfState conf) => new(new SnapshotMetadata(0, 0, conf), []);
}

/// <summary>
/// A confirmed ReadIndex (thesis 6.4): once the application has applied up to <see cref="Index"/>, a read
/// tagged <see cref="Context"/> may be served from local state.
/// </summary>
/// <param name="Index">The commit index at the time the read was requested.</param>
/// <param name="Context">The caller's tag from <see cref="RaftNode.ReadIndex"/>.</param>
public readonly record struct ReadState(ulong Index, ulong Context);
