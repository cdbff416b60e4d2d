namespace AkkaRaft.Client.Typed;

/// <summary>
/// An object as Akka's serialization wrote it: the serializer's id, its manifest and the bytes. This is what a
/// <see cref="TypedWrite"/> or <see cref="TypedQuery"/> carries once it has crossed the wire into a node: the node
/// routes it without reading it, and the peer that serves it reads it with <see cref="PayloadSerialization"/> under
/// that node's Hyperion settings.
/// </summary>
public sealed class SerializedPayload
{
    /// <summary>A payload of <paramref name="bytes"/>, written by serializer <paramref name="serializerId"/> with <paramref name="manifest"/>.</summary>
    /// <exception cref="ArgumentNullException"><paramref name="manifest"/> or <paramref name="bytes"/> is null.</exception>
    public SerializedPayload(int serializerId, string manifest, byte[] bytes)
    {
        ArgumentNullException.ThrowIfNull(manifest);
        ArgumentNullException.ThrowIfNull(bytes);
        SerializerId = serializerId;
        Manifest = manifest;
        Bytes = bytes;
    }

    /// <summary>The identifier of the Akka serializer that wrote <see cref="Bytes"/> (Hyperion's is -5).</summary>
    public int SerializerId { get; }

    /// <summary>The serializer's manifest: empty for Hyperion, which names the type inside the bytes.</summary>
    public string Manifest { get; }

    /// <summary>The serialized object. Owned by this payload: do not change it.</summary>
    public byte[] Bytes { get; }

    /// <summary>A short description for logs and failure messages (never the bytes).</summary>
    public override string ToString() =>
        $"SerializedPayload(serializer {SerializerId}{(Manifest.Length == 0 ? "" : $", manifest '{Manifest}'")}, {Bytes.Length} bytes)";
}
