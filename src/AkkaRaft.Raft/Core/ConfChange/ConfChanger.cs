namespace AkkaRaft.Raft.Core;

/// <summary>Applies a <see cref="ConfChange"/> to a <see cref="ConfState"/>, checking it is allowed.</summary>
public static class ConfChanger
{
    /// <summary>
    /// The configuration after <paramref name="change"/>, or null with <paramref name="error"/> saying why the
    /// change is not allowed (more than one step, adding an existing voter, removing a non-member, removing
    /// the last voter).
    /// </summary>
    public static ConfState? TryApply(ConfState current, ConfChange change, out string? error)
    {
        error = null;
        if (change.Transition != ConfChangeTransition.Simple || change.Steps.Length != 1)
        {
            error = $"only one membership step at a time is supported, got {change.Steps.Length}";
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

    /// <summary>Like <see cref="TryApply"/> but for a change read from the log, which the leader already checked.</summary>
    /// <exception cref="RaftInvariantException">The change does not apply: the log holds a change no leader could have accepted.</exception>
    public static ConfState Apply(ConfState current, ConfChange change) =>
        TryApply(current, change, out var error)
        ?? throw new RaftInvariantException("every membership change in the log applies to the configuration before it",
            $"change {change} on {current}: {error}");
}
