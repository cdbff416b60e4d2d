using AkkaRaft.Client;
using AkkaRaft.Client.Wire;

namespace AkkaRaft.Server.Tests;

/// <summary>
/// The session messages cross the wire through the session serializer (107) on a node and in a client app, and come back
/// equal; a write's session, sequence number and acknowledgement survive the client serializer (103).
/// </summary>
public sealed class SessionSerializerTests(WireSerializerBindingTests.Systems systems) : IClassFixture<WireSerializerBindingTests.Systems>
{
    /// <summary>One instance of every session message; the first test checks no type is missing.</summary>
    private static readonly object[] SessionMessages =
    [
        new OpenSession(TimeSpan.FromSeconds(10), TimeSpan.FromSeconds(2), NotLeaderPolicy.Reject),
        new SessionOpened(41, TimeSpan.FromMilliseconds(1500), 2) { Term = 5 },
        new KeepSessionAlive(41, NotLeaderPolicy.Reject),
        new SessionKeptAlive(41, TimeSpan.FromSeconds(10), 3) { Term = 6 },
        new CloseSession(41),
        new SessionClosed(41, 77, 1) { Term = 7 },
        new SessionNotFound(41, "expired"),
    ];

    [Fact]
    public void Every_session_message_type_has_an_instance_here()
    {
        var types = typeof(IRaftSessionMessage).Assembly.GetTypes().Where(t => typeof(IRaftSessionMessage).IsAssignableFrom(t) && t is { IsAbstract: false, IsInterface: false });
        Assert.Equal(types.OrderBy(t => t.Name), SessionMessages.Select(m => m.GetType()).OrderBy(t => t.Name));
    }

    [Fact]
    public void On_a_node_and_in_a_client_app_every_session_message_goes_through_the_session_serializer_and_comes_back_equal()
    {
        foreach (var system in new[] { systems.Node, systems.Client })
        {
            foreach (var message in SessionMessages)
            {
                var serializer = system.Serialization.FindSerializerFor(message);
                Assert.True(serializer.Identifier == RaftSessionSerializer.Id, $"{message.GetType().Name} goes to {serializer.GetType().Name} ({serializer.Identifier})");
                var manifest = Akka.Serialization.Serialization.ManifestFor(serializer, message);
                Assert.Equal(message, system.Serialization.Deserialize(serializer.ToBinary(message), serializer.Identifier, manifest));
            }
        }
    }

    [Fact]
    public void A_writes_session_sequence_and_acknowledgement_cross_the_wire()
    {
        var write = new Write([1, 2, 3], TimeSpan.FromSeconds(2)) { SessionId = 41, Sequence = 7, AcknowledgedBelow = 5 };
        var serializer = systems.Node.Serialization.FindSerializerFor(write);
        var back = Assert.IsType<Write>(systems.Node.Serialization.Deserialize(serializer.ToBinary(write), serializer.Identifier, Akka.Serialization.Serialization.ManifestFor(serializer, write)));

        Assert.Equal((41L, 7UL, 5UL), (back.SessionId, back.Sequence, back.AcknowledgedBelow));
        Assert.Equal(write.Command, back.Command);
    }

    [Fact]
    public void An_unknown_session_manifest_is_a_serialization_error()
    {
        var serializer = (RaftSessionSerializer)systems.Node.Serialization.FindSerializerForType(typeof(OpenSession));
        Assert.Throws<System.Runtime.Serialization.SerializationException>(() => serializer.FromBinary([], "nope"));
    }
}
