using System.Runtime.Serialization;
using System.Text;
using Akka.Actor;
using Akka.Serialization;
using AkkaConfig = Akka.Configuration.Config;
using AkkaConfigurationFactory = Akka.Configuration.ConfigurationFactory;

namespace AkkaRaft.Raft.Tests.Persistence;

/// <summary>The event (and snapshot) the persistence tests write: a string value.</summary>
public sealed record TestEvent(string Value)
{
    /// <summary>An event whose serialization fails, to see the journal reject it.</summary>
    public const string Unserializable = "unserializable";
}

/// <summary>
/// Serializes <see cref="TestEvent"/> as a magic header and the UTF-8 value, and refuses to read bytes without the
/// header: a row corrupted in the database fails recovery instead of replaying garbage.
/// </summary>
public sealed class TestEventSerializer : SerializerWithStringManifest
{
    /// <summary>The serializer id (ids above 100 are the application's).</summary>
    public const int Id = 9900;

    /// <summary>The manifest of <see cref="TestEvent"/>.</summary>
    public const string EventManifest = "E";

    private static readonly byte[] Magic = "TEV1"u8.ToArray();

    /// <summary>The binding of this serializer and the test timeouts, to put over every test system's configuration.</summary>
    public static AkkaConfig Config { get; } = AkkaConfigurationFactory.ParseString($$"""
        akka.actor {
          serializers.test-event = "{{typeof(TestEventSerializer).AssemblyQualifiedName}}"
          serialization-bindings { "{{typeof(TestEvent).AssemblyQualifiedName}}" = test-event }
          serialization-identifiers { "{{typeof(TestEventSerializer).AssemblyQualifiedName}}" = {{Id}} }
        }
        akka.loglevel = INFO
        # The first write or recovery of a test system JITs linq2db and creates the tables, on shared CI cores.
        akka.test.single-expect-default = 15s
        """);

    /// <summary>Created by Akka's serialization extension.</summary>
    public TestEventSerializer(ExtendedActorSystem system)
        : base(system)
    {
    }

    /// <inheritdoc />
    public override int Identifier => Id;

    /// <inheritdoc />
    public override string Manifest(object o) => o is TestEvent
        ? EventManifest
        : throw new ArgumentException($"cannot serialize {o.GetType()}", nameof(o));

    /// <inheritdoc />
    public override byte[] ToBinary(object obj)
    {
        var e = obj as TestEvent ?? throw new ArgumentException($"cannot serialize {obj.GetType()}", nameof(obj));
        if (e.Value == TestEvent.Unserializable)
        {
            throw new SerializationException($"TestEvent '{e.Value}' refuses to be serialized");
        }

        return [.. Magic, .. Encoding.UTF8.GetBytes(e.Value)];
    }

    /// <inheritdoc />
    public override object FromBinary(byte[] bytes, string manifest)
    {
        if (manifest != EventManifest)
        {
            throw new SerializationException($"unknown manifest '{manifest}'");
        }

        if (bytes.Length < Magic.Length || !bytes.AsSpan(0, Magic.Length).SequenceEqual(Magic))
        {
            throw new SerializationException($"TestEvent bytes do not start with TEV1 ({bytes.Length} bytes): the row is corrupt");
        }

        return new TestEvent(Encoding.UTF8.GetString(bytes, Magic.Length, bytes.Length - Magic.Length));
    }
}
