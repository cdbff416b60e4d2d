using System.Text;

namespace AkkaRaft.TestSupport.Simulation;

/// <summary>The operations the simulated clients issue on the key/value register model.</summary>
public enum KvKind
{
    /// <summary>Read a key (null = absent).</summary>
    Get,

    /// <summary>Set a key.</summary>
    Put,

    /// <summary>Remove a key.</summary>
    Delete,

    /// <summary>Set a key to Value if it currently equals Expected (null = absent).</summary>
    Cas,
}

/// <summary>One client operation.</summary>
public sealed record KvRequest(KvKind Kind, string Key, string? Value = null, string? Expected = null);

/// <summary>The outcome of an operation: Get returns Value; Put/Delete return Ok = true; Cas returns Ok = swapped.</summary>
public sealed record KvResponse(string? Value, bool Ok);

/// <summary>
/// Where the simulation records what clients saw. This is the only coupling between the simulation and a
/// linearizability checker: an adapter maps it onto the checker's recorder.
/// </summary>
public interface IKvHistory
{
    /// <summary>A client starts an operation at virtual time <paramref name="time"/>; returns its id.</summary>
    int Invoke(int clientId, KvRequest request, long time);

    /// <summary>The operation completed with <paramref name="response"/>.</summary>
    void Return(int opId, KvResponse response, long time);

    /// <summary>The client gave up: the operation may or may not have taken effect.</summary>
    void Timeout(int opId);
}

/// <summary>A command in a log entry: the client operation id and the request.</summary>
internal readonly record struct KvCommand(int OpId, KvRequest Request)
{
    public byte[] Encode()
    {
        using var stream = new MemoryStream();
        using var writer = new BinaryWriter(stream, Encoding.UTF8);
        writer.Write(OpId);
        writer.Write((byte)Request.Kind);
        writer.Write(Request.Key);
        WriteNullable(writer, Request.Value);
        WriteNullable(writer, Request.Expected);
        writer.Flush();
        return stream.ToArray();
    }

    public static KvCommand Decode(byte[] data)
    {
        using var reader = new BinaryReader(new MemoryStream(data), Encoding.UTF8);
        var opId = reader.ReadInt32();
        var kind = (KvKind)reader.ReadByte();
        var key = reader.ReadString();
        var value = ReadNullable(reader);
        var expected = ReadNullable(reader);
        return new KvCommand(opId, new KvRequest(kind, key, value, expected));
    }

    private static void WriteNullable(BinaryWriter writer, string? value)
    {
        writer.Write(value is not null);
        if (value is not null) writer.Write(value);
    }

    private static string? ReadNullable(BinaryReader reader) => reader.ReadBoolean() ? reader.ReadString() : null;
}

/// <summary>The replicated state machine of the simulation: a dictionary of strings.</summary>
internal sealed class KvStateMachine
{
    private readonly Dictionary<string, string> _data = new(StringComparer.Ordinal);

    public KvResponse Apply(KvRequest request)
    {
        switch (request.Kind)
        {
            case KvKind.Put:
                _data[request.Key] = request.Value!;
                return new KvResponse(null, true);
            case KvKind.Delete:
                _data.Remove(request.Key);
                return new KvResponse(null, true);
            case KvKind.Cas:
                _data.TryGetValue(request.Key, out var current);
                if (current != request.Expected) return new KvResponse(current, false);
                _data[request.Key] = request.Value!;
                return new KvResponse(null, true);
            default:
                return new KvResponse(Get(request.Key), true);
        }
    }

    public string? Get(string key) => _data.TryGetValue(key, out var value) ? value : null;

    public byte[] Snapshot()
    {
        using var stream = new MemoryStream();
        using var writer = new BinaryWriter(stream, Encoding.UTF8);
        var keys = _data.Keys.ToArray();
        Array.Sort(keys, StringComparer.Ordinal);
        writer.Write(keys.Length);
        foreach (var key in keys)
        {
            writer.Write(key);
            writer.Write(_data[key]);
        }
        writer.Flush();
        return stream.ToArray();
    }

    public static KvStateMachine Restore(byte[] snapshot)
    {
        var machine = new KvStateMachine();
        if (snapshot.Length == 0) return machine;
        using var reader = new BinaryReader(new MemoryStream(snapshot), Encoding.UTF8);
        var count = reader.ReadInt32();
        for (var i = 0; i < count; i++) machine._data[reader.ReadString()] = reader.ReadString();
        return machine;
    }
}
