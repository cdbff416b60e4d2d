using System.Buffers.Binary;

namespace AkkaRaft.Raft.Core;

/// <summary>One membership step.</summary>
public enum ConfChangeType : byte
{
    /// <summary>Add a voter (or make a learner a voter).</summary>
    AddVoter = 0,

    /// <summary>Remove a voter or learner.</summary>
    RemoveNode = 1,

    /// <summary>Add a non-voting learner.</summary>
    AddLearner = 2,
}

/// <summary>How a change is carried out: one step directly, or any number through a joint configuration (thesis 4.3).</summary>
public enum ConfChangeTransition : byte
{
    /// <summary>A single step applied directly (thesis 4.1).</summary>
    Simple = 0,

    /// <summary>
    /// Enter the joint configuration of the old voters and the new (every step at once); the leader leaves it by
    /// itself, with a <see cref="LeaveJoint"/> entry, as soon as the joint entry commits.
    /// </summary>
    Joint = 1,

    /// <summary>Enter the joint configuration and stay there until someone proposes <see cref="LeaveJoint"/>.</summary>
    JointExplicit = 2,

    /// <summary>Leave the joint configuration for its incoming half (no steps).</summary>
    LeaveJoint = 3,
}

/// <summary>One step of a <see cref="ConfChange"/>.</summary>
public readonly record struct ConfChangeStep(ConfChangeType Type, ulong NodeId);

/// <summary>
/// A membership change as stored in a <see cref="EntryType.ConfChange"/> entry: a list of steps with a transition.
/// A <see cref="ConfChangeTransition.Simple"/> change has exactly one step; a joint one any number, applied together to
/// the incoming half of a joint configuration; <see cref="ConfChangeTransition.LeaveJoint"/> none.
/// </summary>
public sealed record ConfChange(ConfChangeStep[] Steps, ConfChangeTransition Transition, byte[] Context)
{
    private const byte FormatVersion = 1;

    /// <summary>A change adding voter <paramref name="id"/>.</summary>
    public static ConfChange AddVoter(ulong id) => new([new ConfChangeStep(ConfChangeType.AddVoter, id)], ConfChangeTransition.Simple, []);

    /// <summary>A change removing node <paramref name="id"/>.</summary>
    public static ConfChange Remove(ulong id) => new([new ConfChangeStep(ConfChangeType.RemoveNode, id)], ConfChangeTransition.Simple, []);

    /// <summary>A change adding learner <paramref name="id"/>.</summary>
    public static ConfChange AddLearner(ulong id) => new([new ConfChangeStep(ConfChangeType.AddLearner, id)], ConfChangeTransition.Simple, []);

    /// <summary>Enters a joint configuration with <paramref name="steps"/> applied to its incoming half, left automatically.</summary>
    public static ConfChange Joint(params ConfChangeStep[] steps) => new(steps, ConfChangeTransition.Joint, []);

    /// <summary>Leaves the joint configuration for its incoming half.</summary>
    public static ConfChange LeaveJoint() => new([], ConfChangeTransition.LeaveJoint, []);

    /// <summary>
    /// The change that turns <paramref name="current"/> (not joint) into exactly <paramref name="voters"/> and
    /// <paramref name="learners"/>: every node of the current configuration in neither set is removed. One step is a
    /// <see cref="ConfChangeTransition.Simple"/> change, except that demoting a voter needs a joint one; more steps are
    /// one <see cref="ConfChangeTransition.Joint"/> change (thesis 4.3). Null when nothing would change.
    /// </summary>
    public static ConfChange? Reaching(ConfState current, IReadOnlyCollection<ulong> voters, IReadOnlyCollection<ulong> learners)
    {
        ArgumentNullException.ThrowIfNull(current);
        var steps = new List<ConfChangeStep>();
        foreach (var id in current.AllMembers())
        {
            if (!voters.Contains(id) && !learners.Contains(id)) steps.Add(new ConfChangeStep(ConfChangeType.RemoveNode, id));
        }
        foreach (var id in voters.Order())
        {
            if (!current.Voters.Contains(id)) steps.Add(new ConfChangeStep(ConfChangeType.AddVoter, id));
        }
        var demotes = false;
        foreach (var id in learners.Order())
        {
            if (current.Learners.Contains(id)) continue;
            demotes |= current.Voters.Contains(id);
            steps.Add(new ConfChangeStep(ConfChangeType.AddLearner, id));
        }
        if (steps.Count == 0) return null;
        return new ConfChange([.. steps], steps.Count == 1 && !demotes ? ConfChangeTransition.Simple : ConfChangeTransition.Joint, []);
    }

    /// <summary>Encodes the change as entry data: version, transition, step count, steps, context.</summary>
    public byte[] Encode()
    {
        var buffer = new byte[1 + 1 + 4 + Steps.Length * 9 + 4 + Context.Length];
        var span = buffer.AsSpan();
        span[0] = FormatVersion;
        span[1] = (byte)Transition;
        BinaryPrimitives.WriteInt32LittleEndian(span[2..], Steps.Length);
        var at = 6;
        foreach (var step in Steps)
        {
            span[at] = (byte)step.Type;
            BinaryPrimitives.WriteUInt64LittleEndian(span[(at + 1)..], step.NodeId);
            at += 9;
        }
        BinaryPrimitives.WriteInt32LittleEndian(span[at..], Context.Length);
        Context.CopyTo(span[(at + 4)..]);
        return buffer;
    }

    /// <summary>Decodes entry data written by <see cref="Encode"/>.</summary>
    /// <exception cref="FormatException">The data is not an encoded change.</exception>
    public static ConfChange Decode(ReadOnlySpan<byte> data)
    {
        if (data.Length < 10 || data[0] != FormatVersion)
            throw new FormatException($"not a ConfChange: {data.Length} bytes, version {(data.Length > 0 ? data[0] : -1)}");
        if (data[1] > (byte)ConfChangeTransition.LeaveJoint) throw new FormatException($"unknown ConfChange transition {data[1]}");
        var transition = (ConfChangeTransition)data[1];
        var count = BinaryPrimitives.ReadInt32LittleEndian(data[2..]);
        if (count < 0 || 6L + count * 9L + 4 > data.Length)
            throw new FormatException($"ConfChange step count {count} does not fit in {data.Length} bytes");
        var steps = new ConfChangeStep[count];
        var at = 6;
        for (var i = 0; i < count; i++)
        {
            var type = data[at];
            if (type > (byte)ConfChangeType.AddLearner) throw new FormatException($"unknown ConfChange step type {type}");
            steps[i] = new ConfChangeStep((ConfChangeType)type, BinaryPrimitives.ReadUInt64LittleEndian(data[(at + 1)..]));
            at += 9;
        }
        var contextLength = BinaryPrimitives.ReadInt32LittleEndian(data[at..]);
        if (contextLength < 0 || at + 4 + contextLength != data.Length)
            throw new FormatException($"ConfChange context length {contextLength} does not match {data.Length} bytes");
        return new ConfChange(steps, transition, data.Slice(at + 4, contextLength).ToArray());
    }

    /// <inheritdoc />
    public override string ToString() => Transition switch
    {
        ConfChangeTransition.Simple => Describe(),
        ConfChangeTransition.LeaveJoint => "LeaveJoint",
        _ => $"{Transition}[{Describe()}]",
    };

    private string Describe() => string.Join(",", Steps.Select(s => $"{s.Type}({s.NodeId})"));
}
