using AkkaRaft.Raft.StateMachines;

namespace AkkaRaft.Simulation.Tests.Support;

/// <summary>
/// The log indexes at which the state machines of a simulated group applied each command (by its bytes). A command the
/// clients made unique (a put of a value written once) that shows at two indexes was applied twice.
/// </summary>
internal sealed class AppliedCommands
{
    private readonly Dictionary<string, SortedSet<ulong>> _indexes = new(StringComparer.Ordinal);

    /// <summary>A state machine applied <paramref name="command"/> at <paramref name="index"/> (again, after a restart, is the same index).</summary>
    public void Record(ReadOnlySpan<byte> command, ulong index)
    {
        var key = Convert.ToBase64String(command);
        if (!_indexes.TryGetValue(key, out var at)) _indexes[key] = at = new SortedSet<ulong>();
        at.Add(index);
    }

    /// <summary>The indexes <paramref name="command"/> was applied at (empty when never).</summary>
    public IReadOnlyCollection<ulong> IndexesOf(byte[] command) =>
        _indexes.TryGetValue(Convert.ToBase64String(command), out var at) ? at : [];
}

/// <summary>A state machine that records every command it applies in an <see cref="AppliedCommands"/>, then applies it.</summary>
internal sealed class RecordingStateMachine(IStateMachine inner, AppliedCommands applied) : IStateMachine
{
    public ApplyResult Apply(in ApplyContext context, ReadOnlyMemory<byte> command)
    {
        applied.Record(command.Span, context.Index);
        return inner.Apply(context, command);
    }

    public QueryResult Query(ReadOnlyMemory<byte> query) => inner.Query(query);

    public void WriteSnapshot(Stream output) => inner.WriteSnapshot(output);

    public void RestoreSnapshot(Stream input) => inner.RestoreSnapshot(input);

    public ApplyResult SessionExpired(in ApplyContext context, long sessionId) => inner.SessionExpired(context, sessionId);
}
