namespace AkkaRaft.Raft.StateMachines;

/// <summary>
/// One committed log entry as a state machine sees it: a client command (with the session that sent it) or a
/// session expiry. A list of steps is a log that <see cref="StateMachineConformance"/> replays.
/// </summary>
public sealed class StateMachineStep
{
    private StateMachineStep(ReadOnlyMemory<byte> bytes, long sessionId, bool isSessionExpiry)
    {
        Bytes = bytes;
        SessionId = sessionId;
        IsSessionExpiry = isSessionExpiry;
    }

    /// <summary>The command bytes; empty for a session expiry.</summary>
    public ReadOnlyMemory<byte> Bytes { get; }

    /// <summary>The session that sent the command, or the session that expired.</summary>
    public long SessionId { get; }

    /// <summary>Whether this step is a session expiry rather than a command.</summary>
    public bool IsSessionExpiry { get; }

    /// <summary>A command proposed by <paramref name="sessionId"/> (or by no session).</summary>
    public static StateMachineStep Command(ReadOnlyMemory<byte> command, long sessionId = ApplyContext.NoSession) =>
        new(command, sessionId, isSessionExpiry: false);

    /// <summary>The expiry of <paramref name="sessionId"/>.</summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="sessionId"/> is <see cref="ApplyContext.NoSession"/>.</exception>
    public static StateMachineStep ExpireSession(long sessionId)
    {
        ArgumentOutOfRangeException.ThrowIfEqual(sessionId, ApplyContext.NoSession);
        return new StateMachineStep(ReadOnlyMemory<byte>.Empty, sessionId, isSessionExpiry: true);
    }

    /// <summary>Applies this step to <paramref name="machine"/> as the entry at <paramref name="index"/>.</summary>
    public ApplyResult ApplyTo(IStateMachine machine, ulong index, ulong term = 1)
    {
        ArgumentNullException.ThrowIfNull(machine);
        return IsSessionExpiry
            ? machine.SessionExpired(new ApplyContext(index, term, ApplyContext.NoSession), SessionId)
            : machine.Apply(new ApplyContext(index, term, SessionId), Bytes);
    }

    /// <summary>Replays <paramref name="steps"/> as the entries at <paramref name="firstIndex"/>, <paramref name="firstIndex"/> + 1, ...</summary>
    /// <returns>The result of each step, in order.</returns>
    public static IReadOnlyList<ApplyResult> ApplyAll(IStateMachine machine, IEnumerable<StateMachineStep> steps, ulong firstIndex = 1)
    {
        ArgumentNullException.ThrowIfNull(machine);
        ArgumentNullException.ThrowIfNull(steps);
        ArgumentOutOfRangeException.ThrowIfZero(firstIndex);
        var results = new List<ApplyResult>();
        var index = firstIndex;
        foreach (var step in steps)
        {
            results.Add(step.ApplyTo(machine, index++));
        }

        return results;
    }

    /// <summary>A short description for failure messages.</summary>
    public override string ToString() => IsSessionExpiry
        ? $"expiry of session {SessionId}"
        : $"command of {Bytes.Length} bytes from session {SessionId}";
}
