using AkkaRaft.Raft.Core.Quorum;

namespace AkkaRaft.Raft.Core.Tracker;

/// <summary>The current configuration with a <see cref="Progress"/> per member, and the votes of an election.</summary>
internal sealed class ProgressTracker
{
    private readonly int _maxInflight;
    private readonly long _maxInflightBytes;
    private readonly Func<ulong, ulong> _matchOf;
    private readonly Func<ulong, ulong> _roundOf;
    private readonly Func<ulong, bool?> _voteOf;

    public ProgressTracker(int maxInflight, long maxInflightBytes)
    {
        _maxInflight = maxInflight;
        _maxInflightBytes = maxInflightBytes;
        // Cached once: the quorum functions run per acknowledgement, so no closure may be allocated there.
        _matchOf = id => Progress.TryGetValue(id, out var p) ? p.Match : 0;
        _roundOf = id => Progress.TryGetValue(id, out var p) ? p.AckedRound : 0;
        _voteOf = id => Votes.TryGetValue(id, out var v) ? v : null;
    }

    public JointConfig Voters { get; private set; } = new(MajorityConfig.Empty, MajorityConfig.Empty);

    public ConfState Conf { get; private set; } = ConfState.Empty;

    public readonly Dictionary<ulong, Progress> Progress = new();

    public readonly Dictionary<ulong, bool> Votes = new();

    /// <summary>Makes <paramref name="conf"/> the configuration; keeps existing progress, creates new ones at <paramref name="next"/>.</summary>
    public void SetConfig(ConfState conf, ulong next)
    {
        Conf = conf;
        Voters = new JointConfig(new MajorityConfig(conf.Voters), new MajorityConfig(conf.VotersOutgoing));
        var members = conf.AllMembers();
        var remove = new List<ulong>();
        foreach (var id in Progress.Keys)
        {
            if (Array.IndexOf(members, id) < 0) remove.Add(id);
        }
        foreach (var id in remove) Progress.Remove(id);
        foreach (var id in members)
        {
            var learner = !conf.IsVoter(id);
            if (Progress.TryGetValue(id, out var existing))
            {
                existing.IsLearner = learner;
            }
            else
            {
                Progress[id] = new Progress(next, _maxInflight, _maxInflightBytes, learner) { RecentActive = true };
            }
        }
    }

    /// <summary>Highest index replicated on a quorum (Raft §5.3).</summary>
    public ulong CommittedIndex() => Voters.QuorumValue(_matchOf);

    /// <summary>Highest heartbeat round answered by a quorum.</summary>
    public ulong QuorumAckedRound() => Voters.QuorumValue(_roundOf);

    public bool IsVoter(ulong id) => Voters.IsVoter(id);

    public void ResetVotes() => Votes.Clear();

    public void RecordVote(ulong id, bool granted) => Votes.TryAdd(id, granted);

    public VoteResult TallyVotes() => Voters.Tally(_voteOf);

    /// <summary>Check-quorum: did a quorum (counting <paramref name="self"/>) answer since the last pass?</summary>
    public bool QuorumActive(ulong self)
    {
        Votes.Clear();
        foreach (var (id, pr) in Progress)
        {
            if (pr.IsLearner) continue;
            Votes[id] = id == self || pr.RecentActive;
        }
        var result = Voters.Tally(_voteOf);
        Votes.Clear();
        return result == VoteResult.Won;
    }
}
