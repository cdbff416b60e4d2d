using System.Buffers;

namespace AkkaRaft.Actors.Serialization;

/// <summary>
/// Turns messages of the types it knows into bytes and back. A serializer is identified on the wire and in
/// the journal by <see cref="Identifier"/>; the <see cref="Manifest"/> names, within that serializer, which
/// registered message kind the bytes hold. A manifest is never a .NET type name that gets instantiated:
/// every implementation maps it through its own table of registered kinds.
/// </summary>
public interface ISerializer
{
    /// <summary>The stable number written next to every payload this serializer produced; unique per registry.</summary>
    int Identifier { get; }

    /// <summary>The registered name of the kind of <paramref name="message"/>, written next to its payload.</summary>
    /// <exception cref="SerializationException">The message is of a type this serializer does not know.</exception>
    string Manifest(object message);

    /// <summary>Writes the bytes of <paramref name="message"/> to <paramref name="output"/>.</summary>
    /// <exception cref="SerializationException">The message is of a type this serializer does not know.</exception>
    void Serialize(object message, IBufferWriter<byte> output);

    /// <summary>Rebuilds a message from <paramref name="payload"/>, of the kind <paramref name="manifest"/> names.</summary>
    /// <exception cref="SerializationException">The manifest is not registered, or the payload does not parse.</exception>
    object Deserialize(ReadOnlySpan<byte> payload, string manifest);

    /// <summary>
    /// Whether this serializer handles messages of exactly <paramref name="type"/>. The registry asks this to pick a
    /// serializer for a type that has no explicit binding (<see cref="SerializationRegistry.Bind"/>).
    /// </summary>
    bool CanSerialize(Type type) => false;
}
