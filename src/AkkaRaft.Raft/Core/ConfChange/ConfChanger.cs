namespace AkkaRaft.Raft.Core;

/// <summary>Applies a <see cref="ConfChange"/> to a <see cref="ConfState"/>, checking it is allowed.</summary>
public static class ConfChanger
{
    /// <summary>
    /// The configuration after <paramref name="change"/>, or null with <paramref name="error"/> saying why the
    /// change is not allowed (a simple change of other than one step, adding an existing voter, removing a
    /// non-member, leaving no voter, entering a joint configuration from a joint one, leaving one that is not).
    /// </summary>
    public static ConfState? TryApply(ConfState current, ConfChange change, out string? error)
    {
        ArgumentNullException.ThrowIfNull(current);
        ArgumentNullException.ThrowIfNull(change);
        return change.Transition switch
        {
            ConfChangeTransition.Simple => Simple(current, change, out error),
            ConfChangeTransition.Joint => EnterJoint(current, change, autoLeave: true, out error),
            ConfChangeTransition.JointExplicit => EnterJoint(current, change, autoLeave: false, out error),
            ConfChangeTransition.LeaveJoint => LeaveJoint(current, change, out error),
            _ => Refuse($"unknown transition {change.Transition}", out error),
        };
    }

    private static ConfState? Simple(ConfState current, ConfChange change, out string? error)
    {
        error = null;
        if (change.Steps.Length != 1)
        {
            error = $"a simple change has exactly one step, got {change.Steps.Length}; use a joint change for more";
            return null;
        }
        if (current.VotersOutgoing.Length > 0)
        {
            error = "the configuration is joint; a simple change cannot apply";
            return null;
        }
        var step = change.Steps[0];
        if (step.NodeId == RaftIds.None)
        {
            error = "node id 0 is not a valid member";
            return null;
        }
        var voters = new List<ulong>(current.Voters);
        var learners = new List<ulong>(current.Learners);
        switch (step.Type)
        {
            case ConfChangeType.AddVoter:
                if (voters.Contains(step.NodeId)) { error = $"node {step.NodeId} is already a voter"; return null; }
                learners.Remove(step.NodeId);
                voters.Add(step.NodeId);
                break;
            case ConfChangeType.AddLearner:
                if (voters.Contains(step.NodeId)) { error = $"node {step.NodeId} is a voter; demotion is not supported"; return null; }
                if (learners.Contains(step.NodeId)) { error = $"node {step.NodeId} is already a learner"; return null; }
                learners.Add(step.NodeId);
                break;
            case ConfChangeType.RemoveNode:
                if (!voters.Remove(step.NodeId) && !learners.Remove(step.NodeId))
                {
                    error = $"node {step.NodeId} is not a member";
                    return null;
                }
                if (voters.Count == 0) { error = $"removing node {step.NodeId} would leave no voter"; return null; }
                break;
            default:
                error = $"unknown step type {step.Type}";
                return null;
        }
        return new ConfState(ConfState.Sorted(voters), ConfState.Sorted(learners), [], [], false);
    }

    /// <summary>
    /// Thesis 4.3: the old voters become the outgoing half, the steps apply to the incoming half. A voter made a
    /// learner stays an outgoing voter until the configuration is left (it waits in <see cref="ConfState.LearnersNext"/>).
    /// </summary>
    private static ConfState? EnterJoint(ConfState current, ConfChange change, bool autoLeave, out string? error)
    {
        error = null;
        if (current.VotersOutgoing.Length > 0) return Refuse("the configuration is already joint; leave it first", out error);
        if (change.Steps.Length == 0) return Refuse("a joint change needs at least one step", out error);
        var incoming = new List<ulong>(current.Voters);
        var learners = new List<ulong>(current.Learners);
        var learnersNext = new List<ulong>();
        foreach (var step in change.Steps)
        {
            var id = step.NodeId;
            if (id == RaftIds.None) return Refuse("node id 0 is not a valid member", out error);
            switch (step.Type)
            {
                case ConfChangeType.AddVoter:
                    if (incoming.Contains(id)) return Refuse($"node {id} is already a voter", out error);
                    learners.Remove(id);
                    learnersNext.Remove(id);
                    incoming.Add(id);
                    break;
                case ConfChangeType.AddLearner:
                    if (learners.Contains(id) || learnersNext.Contains(id)) return Refuse($"node {id} is already a learner", out error);
                    incoming.Remove(id);
                    // Still a voter of the outgoing half: it becomes a learner only when the joint configuration is left.
                    if (current.Voters.Contains(id)) learnersNext.Add(id);
                    else learners.Add(id);
                    break;
                case ConfChangeType.RemoveNode:
                    var wasMember = incoming.Remove(id) | learners.Remove(id) | learnersNext.Remove(id);
                    if (!wasMember) return Refuse($"node {id} is not a member", out error);
                    break;
                default:
                    return Refuse($"unknown step type {step.Type}", out error);
            }
        }
        if (incoming.Count == 0) return Refuse("the change would leave no voter", out error);
        return new ConfState(ConfState.Sorted(incoming), ConfState.Sorted(learners), ConfState.Sorted(current.Voters), ConfState.Sorted(learnersNext), autoLeave);
    }

    /// <summary>Thesis 4.3: the incoming half alone; voters demoted on the way in become learners now.</summary>
    private static ConfState? LeaveJoint(ConfState current, ConfChange change, out string? error)
    {
        error = null;
        if (change.Steps.Length != 0) return Refuse($"leaving a joint configuration takes no steps, got {change.Steps.Length}", out error);
        if (current.VotersOutgoing.Length == 0) return Refuse("the configuration is not joint", out error);
        return new ConfState(current.Voters, ConfState.Sorted([.. current.Learners, .. current.LearnersNext]), [], [], false);
    }

    private static ConfState? Refuse(string reason, out string? error)
    {
        error = reason;
        return null;
    }

    /// <summary>Like <see cref="TryApply"/> but for a change read from the log, which the leader already checked.</summary>
    /// <exception cref="RaftInvariantException">The change does not apply: the log holds a change no leader could have accepted.</exception>
    public static ConfState Apply(ConfState current, ConfChange change) =>
        TryApply(current, change, out var error)
        ?? throw new RaftInvariantException("every membership change in the log applies to the configuration before it",
            $"change {change} on {current}: {error}");
}
