using System.Buffers;
using System.Collections.Concurrent;
using Google.Protobuf;
using Google.Protobuf.Reflection;

namespace AkkaRaft.Actors.Serialization;

/// <summary>
/// Serializes protobuf-generated messages. Only registered message types are handled: the manifest is the
/// registered name (by default the protobuf full name, e.g. <c>akkaraft.raft.AppendEntries</c>), and
/// deserialization looks that name up in the table of registered parsers, so bytes from the wire can only ever
/// become one of the registered types. Registration is thread-safe; register at startup on both ends.
/// </summary>
public sealed class ProtobufSerializer : ISerializer
{
    /// <summary>The identifier of this serializer on the wire and in the journal.</summary>
    public const int Id = 2;

    private readonly ConcurrentDictionary<string, MessageParser> _parsersByManifest = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<Type, string> _manifestsByType = new();

    /// <inheritdoc />
    public int Identifier => Id;

    /// <summary>The manifests registered so far, in no particular order.</summary>
    public IReadOnlyCollection<string> RegisteredManifests => (IReadOnlyCollection<string>)_parsersByManifest.Keys;

    /// <summary>Registers <typeparamref name="T"/> under its protobuf full name.</summary>
    /// <exception cref="ArgumentException">Another type is already registered under that name.</exception>
    public ProtobufSerializer Register<T>() where T : IMessage<T>, new() =>
        Register<T>(new T().Descriptor.FullName);

    /// <summary>Registers <typeparamref name="T"/> under <paramref name="manifest"/>.</summary>
    /// <exception cref="ArgumentException">The manifest is empty, or already names another type.</exception>
    public ProtobufSerializer Register<T>(string manifest) where T : IMessage<T>, new() =>
        Register(typeof(T), manifest, new MessageParser<T>(static () => new T()));

    /// <summary>Registers every message type declared in a generated file (its <c>XxxReflection.Descriptor</c>), nested types included.</summary>
    /// <exception cref="ArgumentException">One of the names is already registered for another type.</exception>
    public ProtobufSerializer RegisterFile(FileDescriptor file)
    {
        ArgumentNullException.ThrowIfNull(file);
        foreach (var descriptor in file.MessageTypes)
        {
            RegisterDescriptor(descriptor);
        }

        return this;
    }

    /// <inheritdoc />
    public bool CanSerialize(Type type) => _manifestsByType.ContainsKey(type);

    /// <inheritdoc />
    public string Manifest(object message)
    {
        ArgumentNullException.ThrowIfNull(message);
        return _manifestsByType.TryGetValue(message.GetType(), out var manifest)
            ? manifest
            : throw NotRegistered(message.GetType());
    }

    /// <inheritdoc />
    public void Serialize(object message, IBufferWriter<byte> output)
    {
        ArgumentNullException.ThrowIfNull(message);
        ArgumentNullException.ThrowIfNull(output);
        if (message is not IMessage protobuf || !_manifestsByType.ContainsKey(message.GetType()))
        {
            throw NotRegistered(message.GetType());
        }

        protobuf.WriteTo(output);
    }

    /// <inheritdoc />
    public object Deserialize(ReadOnlySpan<byte> payload, string manifest)
    {
        ArgumentNullException.ThrowIfNull(manifest);
        if (!_parsersByManifest.TryGetValue(manifest, out var parser))
        {
            throw new SerializationException(
                $"The protobuf serializer (id {Id}) has no message registered under the manifest '{Shorten(manifest)}'.");
        }

        try
        {
            return parser.ParseFrom(payload);
        }
        catch (InvalidProtocolBufferException e)
        {
            throw new SerializationException(
                $"A payload of {payload.Length} bytes does not parse as the protobuf message '{manifest}': {e.Message}", e);
        }
    }

    private void RegisterDescriptor(MessageDescriptor descriptor)
    {
        // Map entries are synthetic types without a CLR class; they are never messages of their own.
        if (descriptor.ClrType is not null && descriptor.Parser is not null)
        {
            Register(descriptor.ClrType, descriptor.FullName, descriptor.Parser);
        }

        foreach (var nested in descriptor.NestedTypes)
        {
            RegisterDescriptor(nested);
        }
    }

    private ProtobufSerializer Register(Type type, string manifest, MessageParser parser)
    {
        ArgumentException.ThrowIfNullOrEmpty(manifest);
        lock (_parsersByManifest)
        {
            if (_manifestsByType.TryGetValue(type, out var existing))
            {
                if (existing == manifest)
                {
                    return this;
                }

                throw new ArgumentException(
                    $"{type.FullName} is already registered under the manifest '{existing}', not '{manifest}'.", nameof(manifest));
            }

            if (!_parsersByManifest.TryAdd(manifest, parser))
            {
                throw new ArgumentException($"The manifest '{manifest}' is already registered for another type.", nameof(manifest));
            }

            _manifestsByType[type] = manifest;
        }

        return this;
    }

    private static SerializationException NotRegistered(Type type) => new(
        $"{type.FullName} is not registered with the protobuf serializer (id {Id}); call ProtobufSerializer.Register<{type.Name}>() at startup.");

    // A manifest from the wire can be arbitrarily long; an error message quotes at most its start.
    private static string Shorten(string manifest) => manifest.Length <= 200 ? manifest : manifest[..200] + "...";
}
