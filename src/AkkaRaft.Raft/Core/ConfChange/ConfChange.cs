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

/// <summary>How a multi-step change is carried out. Only <see cref="Simple"/> exists today; joint consensus adds the others.</summary>
public enum ConfChangeTransition : byte
{
    /// <summary>A single step applied directly (thesis 4.1).</summary>
    Simple = 0,
}

/// <summary>One step of a <see cref="ConfChange"/>.</summary>
public readonly record struct ConfChangeStep(ConfChangeType Type, ulong NodeId);

/// <summary>
/// A membership change as stored in a <see cref="EntryType.ConfChange"/> entry. A list of steps with a
/// transition, so joint consensus (several steps at once) fits the same record later; today exactly one
/// step is allowed.
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
    public override string ToString() => string.Join(",", Steps.Select(s => $"{s.Type}({s.NodeId})"));
}
