namespace AkkaRaft.Actors.Serialization;

/// <summary>
/// A message in its stored or transmitted form: which serializer wrote it, the manifest naming its kind within
/// that serializer, and the bytes. <see cref="SerializationRegistry.Deserialize"/> turns it back into a message.
/// </summary>
/// <param name="SerializerId">The <see cref="ISerializer.Identifier"/> of the serializer that wrote <paramref name="Payload"/>.</param>
/// <param name="Manifest">The registered name of the message kind (never a .NET type name to instantiate).</param>
/// <param name="Payload">The serialized bytes; the registry allocates them exactly sized and never reuses them.</param>
public readonly record struct SerializedMessage(int SerializerId, string Manifest, ReadOnlyMemory<byte> Payload);
