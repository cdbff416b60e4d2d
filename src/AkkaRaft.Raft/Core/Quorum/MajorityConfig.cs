namespace AkkaRaft.Raft.Core.Quorum;

/// <summary>The outcome of a vote count.</summary>
public enum VoteResult
{
    /// <summary>Not decided yet: more answers may tip it.</summary>
    Pending,

    /// <summary>A majority lost.</summary>
    Lost,

    /// <summary>A majority granted.</summary>
    Won,
}

/// <summary>A set of voters decided by simple majority.</summary>
internal sealed class MajorityConfig
{
    public static readonly MajorityConfig Empty = new([]);

    public MajorityConfig(ulong[] voters)
    {
        Voters = (ulong[])voters.Clone();
        Array.Sort(Voters);
    }

    /// <summary>Sorted voter ids.</summary>
    public ulong[] Voters { get; }

    public bool Contains(ulong id) => Array.BinarySearch(Voters, id) >= 0;

    /// <summary>
    /// The highest value that a majority of voters have reached, where <paramref name="valueOf"/> gives each
    /// voter's value (match index, acknowledged round). An empty config returns ulong.MaxValue, so in a joint
    /// config an empty half does not hold the other back.
    /// </summary>
    public ulong QuorumValue(Func<ulong, ulong> valueOf)
    {
        var n = Voters.Length;
        if (n == 0) return ulong.MaxValue;
        Span<ulong> values = n <= 16 ? stackalloc ulong[n] : new ulong[n];
        for (var i = 0; i < n; i++) values[i] = valueOf(Voters[i]);
        values.Sort();
        // values ascending: the (n/2 + 1)-th largest is reached by a majority.
        return values[n - (n / 2 + 1)];
    }

    public VoteResult Tally(Func<ulong, bool?> voteOf)
    {
        if (Voters.Length == 0) return VoteResult.Won;
        int granted = 0, missing = 0;
        foreach (var id in Voters)
        {
            var vote = voteOf(id);
            if (vote is null) missing++;
            else if (vote.Value) granted++;
        }
        var quorum = Voters.Length / 2 + 1;
        if (granted >= quorum) return VoteResult.Won;
        if (granted + missing >= quorum) return VoteResult.Pending;
        return VoteResult.Lost;
    }
}

/// <summary>
/// Two majority configs that must both agree (joint consensus, thesis 4.3). With an empty outgoing half it is
/// a plain majority; single-server changes keep it that way, joint consensus will fill the second half.
/// </summary>
internal sealed class JointConfig
{
    public JointConfig(MajorityConfig incoming, MajorityConfig outgoing)
    {
        Incoming = incoming;
        Outgoing = outgoing;
    }

    public MajorityConfig Incoming { get; }

    public MajorityConfig Outgoing { get; }

    public bool IsVoter(ulong id) => Incoming.Contains(id) || Outgoing.Contains(id);

    public bool IsEmpty => Incoming.Voters.Length == 0 && Outgoing.Voters.Length == 0;

    public ulong QuorumValue(Func<ulong, ulong> valueOf)
    {
        if (IsEmpty) return 0;
        return Math.Min(Incoming.QuorumValue(valueOf), Outgoing.QuorumValue(valueOf));
    }

    public VoteResult Tally(Func<ulong, bool?> voteOf)
    {
        var a = Incoming.Tally(voteOf);
        var b = Outgoing.Tally(voteOf);
        if (a == b) return a;
        if (a == VoteResult.Lost || b == VoteResult.Lost) return VoteResult.Lost;
        return VoteResult.Pending;
    }
}
