using System.Runtime.Serialization;
using AkkaRaft.Client;
using AkkaRaft.Client.Wire;

namespace AkkaRaft.Server.Tests;

/// <summary>
/// The watch and lock messages cross the wire through their protobuf serializer (110) on a node and in a client app, never
/// Akka's JSON fallback, and come back equal; bytes that are not what they claim are a serialization error.
/// </summary>
public sealed class CoordinationSerializerTests(WireSerializerBindingTests.Systems systems) : IClassFixture<WireSerializerBindingTests.Systems>
{
    /// <summary>One instance of every watch and lock message; the first test checks no type is missing.</summary>
    private static readonly object[] Messages =
    [
        new Watch("app/", Prefix: true, AfterIndex: 41, SessionId: 7, Timeout: TimeSpan.FromSeconds(30), OnNotLeader: NotLeaderPolicy.Reject),
        new WatchSet(3, 41, 2) { Term = 5 },
        new WatchFired(3, WatchReason.DataChanged, "app/ü", 42) { Deleted = true, Term = 5, Leader = 2 },
        new WatchFired(3, WatchReason.LeaderChanged, null, 0),
        new WatchTimedOut(3, TimeSpan.FromSeconds(30)),
        new AcquireLock("jobs", 7, TimeSpan.FromSeconds(2)),
        new LockAcquired("jobs", 7, 99, 1) { Term = 3 },
        new ReleaseLock("jobs", 7, null, NotLeaderPolicy.Reject),
        new LockReleased("jobs", 7, 120, WasHolder: true) { Leader = 2, Term = 4 },
        new LockNotHeld("jobs", 7, "not held"),
        new ListCoordination(25, NotLeaderPolicy.Reject),
        new CoordinationListing(
            [new ListedSession(7, TimeSpan.FromSeconds(10), TimeSpan.FromMilliseconds(8500)), new ListedSession(9, TimeSpan.FromSeconds(5), null)], 3,
            [new ListedLock("jobs/ü", 7, 99, [9, 11], 2)], 1,
            [new ListedWatch(4, "app/", true, 9, 41), new ListedWatch(5, "flag", false, 0, 42)], 2,
            120, 1, 1000),
    ];

    [Fact]
    public void Every_watch_and_lock_message_type_has_an_instance_here()
    {
        var types = typeof(IRaftCoordinationMessage).Assembly.GetTypes().Where(t => typeof(IRaftCoordinationMessage).IsAssignableFrom(t) && t is { IsAbstract: false, IsInterface: false });
        Assert.Equal(types.OrderBy(t => t.Name), Messages.Select(m => m.GetType()).Distinct().OrderBy(t => t.Name));
    }

    [Fact]
    public void On_a_node_and_in_a_client_app_every_watch_and_lock_message_goes_through_its_serializer_and_comes_back_equal()
    {
        foreach (var system in new[] { systems.Node, systems.Client })
        {
            foreach (var message in Messages)
            {
                var serializer = system.Serialization.FindSerializerFor(message);
                Assert.True(serializer.Identifier == RaftCoordinationSerializer.Id, $"{message.GetType().Name} goes to {serializer.GetType().Name} ({serializer.Identifier})");
                var manifest = Akka.Serialization.Serialization.ManifestFor(serializer, message);
                var back = system.Serialization.Deserialize(serializer.ToBinary(message), serializer.Identifier, manifest);
                // A listing holds lists (compared by reference in a record): compare it member by member.
                if (message is CoordinationListing) Assert.Equivalent(message, back, strict: true);
                else Assert.Equal(message, back);
            }
        }
    }

    [Fact]
    public void A_forwarded_requests_hops_survive_and_an_unknown_manifest_or_a_key_that_is_not_utf8_is_a_serialization_error()
    {
        var serializer = (RaftCoordinationSerializer)systems.Node.Serialization.FindSerializerForType(typeof(Watch));
        Assert.Throws<SerializationException>(() => serializer.FromBinary([], "nope"));
        // Field 1 (the key), three bytes that are not UTF-8.
        Assert.Throws<SerializationException>(() => serializer.FromBinary([0x0A, 0x03, 0xFF, 0xFE, 0xFD], "W"));
        // Field 2 (the reason) = 9: no such reason.
        Assert.Throws<SerializationException>(() => serializer.FromBinary([0x10, 0x09], "WF"));
    }
}
