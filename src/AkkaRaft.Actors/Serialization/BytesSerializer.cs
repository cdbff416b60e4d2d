using System.Buffers;

namespace AkkaRaft.Actors.Serialization;

/// <summary>
/// Passes raw bytes through unchanged: <see cref="T:byte[]"/> (manifest <c>""</c>) and
/// <see cref="ReadOnlyMemory{T}"/> of bytes (manifest <c>"memory"</c>), which come back as the same type.
/// </summary>
public sealed class BytesSerializer : ISerializer
{
    /// <summary>The identifier of this serializer on the wire and in the journal.</summary>
    public const int Id = 1;

    /// <summary>The manifest of a <see cref="T:byte[]"/> payload.</summary>
    public const string ArrayManifest = "";

    /// <summary>The manifest of a <see cref="ReadOnlyMemory{T}"/> payload.</summary>
    public const string MemoryManifest = "memory";

    /// <inheritdoc />
    public int Identifier => Id;

    /// <inheritdoc />
    public bool CanSerialize(Type type) => type == typeof(byte[]) || type == typeof(ReadOnlyMemory<byte>);

    /// <inheritdoc />
    public string Manifest(object message) => message switch
    {
        byte[] => ArrayManifest,
        ReadOnlyMemory<byte> => MemoryManifest,
        _ => throw NotBytes(message),
    };

    /// <inheritdoc />
    public void Serialize(object message, IBufferWriter<byte> output)
    {
        ArgumentNullException.ThrowIfNull(output);
        switch (message)
        {
            case byte[] array:
                output.Write(array);
                break;
            case ReadOnlyMemory<byte> memory:
                output.Write(memory.Span);
                break;
            default:
                throw NotBytes(message);
        }
    }

    /// <inheritdoc />
    public object Deserialize(ReadOnlySpan<byte> payload, string manifest) => manifest switch
    {
        // The casts keep the switch from converting byte[] to ReadOnlyMemory<byte> (its common type).
        ArrayManifest => (object)payload.ToArray(),
        MemoryManifest => (object)new ReadOnlyMemory<byte>(payload.ToArray()),
        _ => throw new SerializationException(
            $"The bytes serializer (id {Id}) has no manifest '{manifest}'; it knows only '' (byte[]) and 'memory' (ReadOnlyMemory<byte>)."),
    };

    private static SerializationException NotBytes(object? message) => new(
        $"The bytes serializer (id {Id}) handles only byte[] and ReadOnlyMemory<byte>, not {message?.GetType().FullName ?? "null"}.");
}
