using System.Buffers;
using AkkaRaft.Actors.Serialization;
using AkkaRaft.Persistence.Tests.Protos;
using Google.Protobuf.WellKnownTypes;

namespace AkkaRaft.Persistence.Tests.Serialization;

public sealed class SerializationRegistryTests
{
    private static SerializationRegistry RegistryWithTestMessages()
    {
        var registry = SerializationRegistry.CreateDefault();
        registry.Protobuf!.RegisterFile(TestMessagesReflection.Descriptor);
        return registry;
    }

    [Fact]
    public void A_registered_protobuf_message_round_trips_with_its_full_name_as_manifest()
    {
        var registry = RegistryWithTestMessages();
        var original = new Deposited { Account = "alice", Amount = 42 };

        var serialized = registry.Serialize(original);

        Assert.Equal(ProtobufSerializer.Id, serialized.SerializerId);
        Assert.Equal("akkaraft.persistence.tests.Deposited", serialized.Manifest);
        var back = registry.Deserialize(serialized.SerializerId, serialized.Manifest, serialized.Payload.Span);
        Assert.Equal(original, Assert.IsType<Deposited>(back));
    }

    [Fact]
    public void Nested_messages_of_a_registered_file_round_trip()
    {
        var registry = RegistryWithTestMessages();
        var original = new Withdrawn.Types.Reason { Text = "rent" };

        var serialized = registry.Serialize(original);

        Assert.Equal("akkaraft.persistence.tests.Withdrawn.Reason", serialized.Manifest);
        Assert.Equal(original, registry.Deserialize(serialized));
    }

    [Fact]
    public void Register_of_one_type_makes_it_serializable_under_a_chosen_manifest()
    {
        var registry = SerializationRegistry.CreateDefault();
        registry.Protobuf!.Register<StringValue>("str");

        var serialized = registry.Serialize(new StringValue { Value = "hello" });

        Assert.Equal("str", serialized.Manifest);
        Assert.Equal("hello", ((StringValue)registry.Deserialize(serialized)).Value);
    }

    [Fact]
    public void Byte_arrays_and_memory_round_trip_through_the_bytes_serializer_as_the_same_type()
    {
        var registry = SerializationRegistry.CreateDefault();
        byte[] array = [1, 2, 3, 255];

        var fromArray = registry.Serialize(array);
        var fromMemory = registry.Serialize(new ReadOnlyMemory<byte>([9, 8, 7]));

        Assert.Equal(BytesSerializer.Id, fromArray.SerializerId);
        Assert.Equal(array, Assert.IsType<byte[]>(registry.Deserialize(fromArray)));
        Assert.Equal(new byte[] { 9, 8, 7 }, Assert.IsType<ReadOnlyMemory<byte>>(registry.Deserialize(fromMemory)).ToArray());
    }

    [Fact]
    public void Serialize_to_a_buffer_writer_writes_the_same_bytes_as_serialize()
    {
        var registry = RegistryWithTestMessages();
        var message = new Deposited { Account = "bob", Amount = -7 };
        var output = new ArrayBufferWriter<byte>();

        var (serializerId, manifest) = registry.SerializeTo(message, output);

        var serialized = registry.Serialize(message);
        Assert.Equal(serialized.SerializerId, serializerId);
        Assert.Equal(serialized.Manifest, manifest);
        Assert.Equal(serialized.Payload.ToArray(), output.WrittenSpan.ToArray());
    }

    [Fact]
    public void An_unregistered_protobuf_message_is_refused_with_an_error_naming_its_type()
    {
        var registry = SerializationRegistry.CreateDefault();

        var error = Assert.Throws<SerializationException>(() => registry.Serialize(new Deposited()));

        Assert.Contains(typeof(Deposited).FullName!, error.Message);
    }

    [Fact]
    public void A_plain_dotnet_object_is_refused_with_an_error_naming_its_type()
    {
        var registry = SerializationRegistry.CreateDefault();

        var error = Assert.Throws<SerializationException>(() => registry.Serialize(new Uri("http://example.org")));

        Assert.Contains("System.Uri", error.Message);
    }

    [Fact]
    public void An_unknown_manifest_is_refused()
    {
        var registry = RegistryWithTestMessages();

        var error = Assert.Throws<SerializationException>(
            () => registry.Deserialize(ProtobufSerializer.Id, "akkaraft.persistence.tests.Unknown", ReadOnlySpan<byte>.Empty));

        Assert.Contains("akkaraft.persistence.tests.Unknown", error.Message);
    }

    [Fact]
    public void An_unknown_serializer_id_is_refused()
    {
        var registry = RegistryWithTestMessages();

        var error = Assert.Throws<SerializationException>(() => registry.Deserialize(77, "x", ReadOnlySpan<byte>.Empty));

        Assert.Contains("77", error.Message);
    }

    [Theory]
    [InlineData(ProtobufSerializer.Id, "System.Diagnostics.Process, System.Diagnostics.Process")]
    [InlineData(ProtobufSerializer.Id, "AkkaRaft.Persistence.Tests.Protos.Deposited, AkkaRaft.Persistence.Tests")]
    [InlineData(ProtobufSerializer.Id, "AkkaRaft.Persistence.Tests.Protos.Deposited")]
    [InlineData(BytesSerializer.Id, "System.IO.FileInfo, System.IO.FileSystem")]
    public void A_hostile_manifest_naming_a_dotnet_type_is_refused(int serializerId, string manifest)
    {
        var registry = RegistryWithTestMessages();
        var payload = registry.Serialize(new Deposited { Account = "mallory" }).Payload;

        Assert.Throws<SerializationException>(() => registry.Deserialize(serializerId, manifest, payload.Span));
    }

    [Fact]
    public void A_payload_that_does_not_parse_is_refused_with_a_serialization_exception()
    {
        var registry = RegistryWithTestMessages();
        byte[] garbage = [0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF];

        var error = Assert.Throws<SerializationException>(
            () => registry.Deserialize(ProtobufSerializer.Id, "akkaraft.persistence.tests.Deposited", garbage));

        Assert.Contains("akkaraft.persistence.tests.Deposited", error.Message);
    }

    [Fact]
    public void Adding_two_serializers_with_the_same_identifier_throws()
    {
        var registry = SerializationRegistry.CreateDefault();

        var error = Assert.Throws<ArgumentException>(() => registry.Add(new ProtobufSerializer()));

        Assert.Contains("identifier 2", error.Message);
    }

    [Fact]
    public void Registering_one_manifest_for_two_types_throws()
    {
        var protobuf = new ProtobufSerializer().Register<Deposited>("money");

        Assert.Throws<ArgumentException>(() => protobuf.Register<Withdrawn>("money"));
    }

    [Fact]
    public void A_binding_overrides_the_first_serializer_that_accepts_a_type()
    {
        var registry = SerializationRegistry.CreateDefault().Add(new UppercaseStringSerializer());
        registry.Bind(typeof(string), UppercaseStringSerializer.Id);

        var serialized = registry.Serialize("abc");

        Assert.Equal(UppercaseStringSerializer.Id, serialized.SerializerId);
        Assert.Equal("ABC", registry.Deserialize(serialized));
    }

    [Fact]
    public void A_custom_serializer_without_can_serialize_is_used_only_through_a_binding()
    {
        var registry = SerializationRegistry.CreateDefault().Add(new UppercaseStringSerializer());

        Assert.Throws<SerializationException>(() => registry.Serialize("abc"));
    }

    /// <summary>A serializer that implements only the required members, like a user's own would.</summary>
    private sealed class UppercaseStringSerializer : ISerializer
    {
        public const int Id = 100;

        public int Identifier => Id;

        public string Manifest(object message) => "s";

        public void Serialize(object message, IBufferWriter<byte> output) =>
            output.Write(System.Text.Encoding.UTF8.GetBytes(((string)message).ToUpperInvariant()));

        public object Deserialize(ReadOnlySpan<byte> payload, string manifest) =>
            manifest == "s" ? System.Text.Encoding.UTF8.GetString(payload) : throw new SerializationException("unknown manifest " + manifest);
    }
}
