using System.Runtime.Serialization;
using System.Text;
using Akka.Actor;
using Akka.Serialization;
using AkkaRaft.Client;
using AkkaRaft.Client.Typed;
using AkkaRaft.Configuration;
using Hyperion.Internal;
using Xunit.Abstractions;
using AkkaConfig = Akka.Configuration.Config;
using AkkaConfigurationFactory = Akka.Configuration.ConfigurationFactory;

namespace AkkaRaft.Raft.Tests.StateMachines;

/// <summary>
/// How a node and an app turn their own objects into the payloads of the typed client messages and back
/// (<see cref="PayloadSerialization"/>), under the shipped configuration with the tests' allowed types: Hyperion writes,
/// a node reads only what its allowed-types lets Hyperion read, and refuses with a sentence rather than throwing.
/// </summary>
public sealed class PayloadSerializationTests(ITestOutputHelper output)
    : Akka.TestKit.Xunit2.TestKit(NodeConfig(Tally.AllowedTypes), "payloads", output)
{
    private const string AllowedTypesPath = "akka.actor.serialization-settings.hyperion.allowed-types";

    /// <summary>A node's akka section (reference.conf) with <paramref name="allowedTypes"/> and <paramref name="more"/> in front.</summary>
    internal static AkkaConfig NodeConfig(string allowedTypes, string more = "") =>
        AkkaConfigurationFactory.ParseString($"""
            akka.loglevel = WARNING
            akka.actor.serialization-settings.hyperion.allowed-types = {allowedTypes}
            {more}
            """).WithFallback(AkkaHandover.ToAkkaConfig(ConfigurationFactory.Default()));

    private PayloadSerialization Payloads => PayloadSerialization.Get(Sys);

    [Fact]
    public void Hyperion_0_12_2_with_a_type_filter_refuses_to_write_even_a_type_it_allows()
    {
        // Why PayloadSerialization writes with an unfiltered twin: Hyperion checks its filter on the way out against the
        // type's full assembly-qualified name, which never equals the short names the filter holds. When this test
        // fails, Hyperion was fixed, and the twin can go.
        var hyperion = Assert.IsType<HyperionSerializer>(Sys.Serialization.FindSerializerForType(typeof(Add), PayloadSerialization.HyperionName));
        Assert.Contains("AkkaRaft.Raft.Tests.StateMachines.Add, AkkaRaft.Raft.Tests", ((Hyperion.TypeFilter)hyperion.Settings.TypeFilter).FilteredTypes);

        var refused = Assert.Throws<UserEvilDeserializationException>(() => hyperion.ToBinary(new Add("a", 1)));
        Assert.Equal("AkkaRaft.Raft.Tests.StateMachines.Add", refused.BadTypeString);
    }

    [Fact]
    public void An_allowed_command_should_be_written_by_hyperion_without_a_manifest_and_read_back_as_the_expected_type()
    {
        var payload = Payloads.Serialize(new Add("apples", 3));

        Assert.Equal(Sys.Serialization.FindSerializerForType(typeof(Add), PayloadSerialization.HyperionName).Identifier, payload.SerializerId);
        Assert.Equal(-5, payload.SerializerId);
        Assert.Equal("", payload.Manifest);
        Assert.True(Payloads.TryDeserialize(payload, typeof(ITallyCommand), out var command, out var refusal), refusal);
        Assert.Equal(new Add("apples", 3), command);
        // The same object gives the same bytes: what the log holds is what every peer reads.
        Assert.Equal(payload.Bytes, Payloads.Serialize(new Add("apples", 3)).Bytes);
    }

    [Fact]
    public void A_type_outside_allowed_types_should_be_refused_naming_the_type_and_the_setting()
    {
        Assert.False(Payloads.TryDeserialize(Payloads.Serialize(new Secret("s")), typeof(ITallyCommand), out var value, out var refusal));
        Assert.Null(value);
        Assert.Equal(
            $"the type 'AkkaRaft.Raft.Tests.StateMachines.Secret, AkkaRaft.Raft.Tests' is not in {AllowedTypesPath} (add \"AkkaRaft.Raft.Tests.StateMachines.Secret, AkkaRaft.Raft.Tests\" there to accept it)",
            refusal);

        // Hyperion checks every type the bytes name, not only the outer one.
        Assert.False(Payloads.TryDeserialize(Payloads.Serialize(new Holder(new Inner("i"))), typeof(ITallyCommand), out _, out refusal));
        Assert.StartsWith("the type 'AkkaRaft.Raft.Tests.StateMachines.Inner, AkkaRaft.Raft.Tests' is not in", refusal);

        // A collection type is named in the form allowed-types takes it (Hyperion writes ",%core%" for the core library).
        Assert.False(Payloads.TryDeserialize(Payloads.Serialize(new List<string> { "x" }), typeof(ITallyCommand), out _, out refusal));
        Assert.StartsWith("the type 'System.Collections.Generic.List`1[[System.String, System.Private.CoreLib]], System.Private.CoreLib' is not in", refusal);
        Assert.NotNull(Type.GetType("System.Collections.Generic.List`1[[System.String, System.Private.CoreLib]], System.Private.CoreLib"));
    }

    [Fact]
    public void An_allowed_type_read_as_another_type_should_be_refused()
    {
        Assert.False(Payloads.TryDeserialize(Payloads.Serialize(new TotalOf("t")), typeof(ITallyCommand), out _, out var refusal));
        Assert.Equal("it is a AkkaRaft.Raft.Tests.StateMachines.TotalOf, not a AkkaRaft.Raft.Tests.StateMachines.ITallyCommand", refusal);
    }

    [Fact]
    public void A_payload_another_serializer_wrote_should_be_refused_unread()
    {
        // Akka's JSON serializer creates whatever "$type" names; a node never hands it a client's bytes.
        var json = new SerializedPayload(1, "", Encoding.UTF8.GetBytes("{\"$type\":\"System.IO.DirectoryInfo, System.Private.CoreLib\",\"OriginalPath\":\"/\"}"));
        Assert.False(Payloads.TryDeserialize(json, typeof(ITallyCommand), out _, out var refusal));
        Assert.Equal($"it was written by serializer 1, but this node reads a AkkaRaft.Raft.Tests.StateMachines.ITallyCommand only with serializer -5 (HyperionSerializer)", refusal);
        var answer = Assert.Throws<SerializationException>(() => Payloads.Deserialize(json));
        Assert.Contains("Akka's JSON serializer", answer.Message);

        var bytes = new SerializedPayload(4, "", [1, 2, 3]); // Akka's ByteArraySerializer
        Assert.False(Payloads.TryDeserialize(bytes, typeof(ITallyCommand), out _, out refusal));
        Assert.StartsWith("it was written by serializer 4", refusal);

        var manifest = new SerializedPayload(-5, "System.IO.DirectoryInfo, System.Private.CoreLib", Payloads.Serialize(new Add("a", 1)).Bytes);
        Assert.False(Payloads.TryDeserialize(manifest, typeof(ITallyCommand), out _, out refusal));
        Assert.Equal("a Hyperion payload carries no manifest, and this one does", refusal);
    }

    [Fact]
    public void Akkas_json_serializer_should_have_the_identifier_payload_serialization_refuses()
    {
        Assert.Equal(1, new NewtonSoftJsonSerializer((ExtendedActorSystem)Sys).Identifier);
    }

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(3)]
    [InlineData(4)]
    public void Bytes_that_are_no_hyperion_payload_should_be_refused_not_thrown(int seed)
    {
        var random = new Random(seed);
        var garbage = new byte[random.Next(1, 64)];
        random.NextBytes(garbage);
        // A real payload cut short, and noise.
        var cut = Payloads.Serialize(new Add("a long enough name", 1)).Bytes.AsSpan(0, seed * 5).ToArray();
        foreach (var bytes in new[] { garbage, cut })
        {
            Assert.False(Payloads.TryDeserialize(new SerializedPayload(-5, "", bytes), typeof(ITallyCommand), out _, out var refusal));
            Assert.False(string.IsNullOrEmpty(refusal));
        }
    }

    [Fact]
    public void An_answer_should_be_read_under_the_apps_own_allowed_types()
    {
        Assert.Equal(new Total("t", 4), Payloads.Deserialize(Payloads.Serialize(new Total("t", 4))));
        var refused = Assert.Throws<SerializationException>(() => Payloads.Deserialize(Payloads.Serialize(new Secret("s"))));
        Assert.Contains($"the type 'AkkaRaft.Raft.Tests.StateMachines.Secret, AkkaRaft.Raft.Tests' is not in {AllowedTypesPath}", refused.Message);
    }

    [Fact]
    public async Task A_node_without_allowed_types_or_with_disallow_unsafe_type_off_should_read_no_typed_payload()
    {
        var payload = Payloads.Serialize(new Add("a", 1));
        foreach (var (config, setting) in new[]
                 {
                     (NodeConfig("[]"), AllowedTypesPath + " is empty on this node"),
                     (NodeConfig(Tally.AllowedTypes, "akka.actor.serialization-settings.hyperion.disallow-unsafe-type = off"),
                         "akka.actor.serialization-settings.hyperion.disallow-unsafe-type is off on this node"),
                 })
        {
            var node = ActorSystem.Create("unguarded", config);
            try
            {
                Assert.False(PayloadSerialization.Get(node).TryDeserialize(payload, typeof(ITallyCommand), out _, out var refusal));
                Assert.StartsWith(setting, refusal);
            }
            finally
            {
                await node.Terminate();
            }
        }
    }

    [Fact]
    public async Task A_type_bound_to_akkas_json_serializer_should_be_neither_written_nor_read()
    {
        var node = ActorSystem.Create("json-bound", NodeConfig(Tally.AllowedTypes,
            "akka.actor.serialization-bindings { \"AkkaRaft.Raft.Tests.StateMachines.ITallyCommand, AkkaRaft.Raft.Tests\" = json }"));
        try
        {
            var written = Assert.Throws<SerializationException>(() => PayloadSerialization.Get(node).Serialize(new Add("a", 1)));
            Assert.Contains("would go to Akka's JSON serializer", written.Message);
            Assert.False(PayloadSerialization.Get(node).TryDeserialize(Payloads.Serialize(new Add("a", 1)), typeof(ITallyCommand), out _, out var refusal));
            Assert.StartsWith("AkkaRaft.Raft.Tests.StateMachines.ITallyCommand is bound to Akka's JSON serializer", refusal);
        }
        finally
        {
            await node.Terminate();
        }
    }

    [Fact]
    public async Task Without_hyperion_registered_an_object_should_not_fall_back_to_json()
    {
        var bare = ActorSystem.Create("bare", AkkaConfigurationFactory.ParseString("akka.loglevel = WARNING"));
        try
        {
            var refused = Assert.Throws<SerializationException>(() => PayloadSerialization.Get(bare).Serialize(new Add("a", 1)));
            Assert.Contains("register Hyperion as 'hyperion' in akka.actor.serializers (AkkaRaft.Client.ClientConfig.Default does)", refused.Message);
            // An app that takes ClientConfig.Default has it.
            var app = ActorSystem.Create("app", AkkaConfigurationFactory.ParseString("akka.loglevel = WARNING").WithFallback(ClientConfig.Default));
            try
            {
                Assert.Equal(-5, PayloadSerialization.Get(app).Serialize(new Add("a", 1)).SerializerId);
            }
            finally
            {
                await app.Terminate();
            }
        }
        finally
        {
            await bare.Terminate();
        }
    }
}
