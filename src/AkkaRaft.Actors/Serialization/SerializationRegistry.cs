using System.Buffers;
using System.Collections.Concurrent;

namespace AkkaRaft.Actors.Serialization;

/// <summary>
/// The serializers of one actor system (or one journal), by identifier, and the choice of serializer per message
/// type. Serializing picks the serializer bound to the message's exact type (<see cref="Bind"/>), else the first
/// added serializer whose <see cref="ISerializer.CanSerialize"/> accepts it. Deserializing looks the serializer up by
/// its identifier and lets it map the manifest through its own registrations: no type named by the wire is ever
/// loaded or instantiated. Configure at startup; serializing and deserializing are thread-safe.
/// </summary>
public sealed class SerializationRegistry
{
    private readonly ConcurrentDictionary<int, ISerializer> _byId = new();
    private readonly List<ISerializer> _inOrder = new();
    private readonly ConcurrentDictionary<Type, ISerializer> _byType = new();
    private readonly Dictionary<Type, ISerializer> _bindings = new();

    [ThreadStatic]
    private static ArrayBufferWriter<byte>? _scratch;

    /// <summary>A registry with the <see cref="BytesSerializer"/> (id 1) and an empty <see cref="ProtobufSerializer"/> (id 2).</summary>
    public static SerializationRegistry CreateDefault() =>
        new SerializationRegistry().Add(new BytesSerializer()).Add(new ProtobufSerializer());

    /// <summary>The protobuf serializer of this registry, to register message types with; null when none was added.</summary>
    public ProtobufSerializer? Protobuf => _byId.TryGetValue(ProtobufSerializer.Id, out var s) ? s as ProtobufSerializer : null;

    /// <summary>Adds a serializer. Serializers added earlier win when several accept the same type.</summary>
    /// <exception cref="ArgumentException">A serializer with the same identifier is already there.</exception>
    public SerializationRegistry Add(ISerializer serializer)
    {
        ArgumentNullException.ThrowIfNull(serializer);
        lock (_inOrder)
        {
            if (!_byId.TryAdd(serializer.Identifier, serializer))
            {
                throw new ArgumentException(
                    $"A serializer with identifier {serializer.Identifier} ({_byId[serializer.Identifier].GetType().Name}) is already registered; {serializer.GetType().Name} needs another identifier.",
                    nameof(serializer));
            }

            _inOrder.Add(serializer);
            _byType.Clear();
        }

        return this;
    }

    /// <summary>Makes messages of exactly <paramref name="messageType"/> use the serializer with <paramref name="serializerId"/>.</summary>
    /// <exception cref="ArgumentException">No serializer with that identifier was added.</exception>
    public SerializationRegistry Bind(Type messageType, int serializerId)
    {
        ArgumentNullException.ThrowIfNull(messageType);
        if (!_byId.TryGetValue(serializerId, out var serializer))
        {
            throw new ArgumentException($"No serializer with identifier {serializerId} is registered.", nameof(serializerId));
        }

        lock (_inOrder)
        {
            _bindings[messageType] = serializer;
            _byType[messageType] = serializer;
        }

        return this;
    }

    /// <summary>The serializer that <see cref="Serialize(object)"/> uses for messages of <paramref name="messageType"/>.</summary>
    /// <exception cref="SerializationException">No serializer handles the type.</exception>
    public ISerializer SerializerFor(Type messageType)
    {
        ArgumentNullException.ThrowIfNull(messageType);
        if (_byType.TryGetValue(messageType, out var cached))
        {
            return cached;
        }

        lock (_inOrder)
        {
            if (!_bindings.TryGetValue(messageType, out var chosen))
            {
                chosen = null;
                foreach (var serializer in _inOrder)
                {
                    if (serializer.CanSerialize(messageType))
                    {
                        chosen = serializer;
                        break;
                    }
                }
            }

            if (chosen is null)
            {
                // Not cached: a serializer may learn the type later (ProtobufSerializer.Register).
                throw new SerializationException(
                    $"No serializer is registered for {messageType.FullName}; register it (for a protobuf message, with ProtobufSerializer.Register<{messageType.Name}>()) or Bind it to a serializer.");
            }

            _byType[messageType] = chosen;
            return chosen;
        }
    }

    /// <summary>Serializes <paramref name="message"/> into a freshly allocated, exactly sized payload.</summary>
    /// <exception cref="SerializationException">No serializer handles the message's type.</exception>
    public SerializedMessage Serialize(object message)
    {
        ArgumentNullException.ThrowIfNull(message);
        var scratch = _scratch ??= new ArrayBufferWriter<byte>(256);
        scratch.ResetWrittenCount();
        var (serializerId, manifest) = SerializeTo(message, scratch);
        var payload = scratch.WrittenSpan.ToArray();
        if (scratch.Capacity > 1 << 20)
        {
            // Do not keep a huge buffer alive per thread after one large message.
            _scratch = null;
        }

        return new SerializedMessage(serializerId, manifest, payload);
    }

    /// <summary>Serializes <paramref name="message"/> straight into <paramref name="output"/> (no intermediate copy).</summary>
    /// <returns>The serializer identifier and manifest to store or send with the bytes.</returns>
    /// <exception cref="SerializationException">No serializer handles the message's type.</exception>
    public (int SerializerId, string Manifest) SerializeTo(object message, IBufferWriter<byte> output)
    {
        ArgumentNullException.ThrowIfNull(message);
        var serializer = SerializerFor(message.GetType());
        var manifest = serializer.Manifest(message);
        serializer.Serialize(message, output);
        return (serializer.Identifier, manifest);
    }

    /// <summary>Rebuilds a message from its stored or transmitted form.</summary>
    /// <exception cref="SerializationException">Unknown serializer id, unknown manifest, or a payload that does not parse.</exception>
    public object Deserialize(int serializerId, string manifest, ReadOnlySpan<byte> payload)
    {
        ArgumentNullException.ThrowIfNull(manifest);
        if (!_byId.TryGetValue(serializerId, out var serializer))
        {
            throw new SerializationException(
                $"No serializer with identifier {serializerId} is registered (manifest '{(manifest.Length <= 200 ? manifest : manifest[..200] + "...")}').");
        }

        return serializer.Deserialize(payload, manifest);
    }

    /// <summary>Rebuilds a message from a <see cref="SerializedMessage"/>.</summary>
    /// <exception cref="SerializationException">Unknown serializer id, unknown manifest, or a payload that does not parse.</exception>
    public object Deserialize(in SerializedMessage serialized) =>
        Deserialize(serialized.SerializerId, serialized.Manifest, serialized.Payload.Span);
}
