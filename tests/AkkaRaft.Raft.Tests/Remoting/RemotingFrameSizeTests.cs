using Akka.Actor;
using Akka.Remote;
using AkkaRaft.Raft.Remoting;
using Xunit.Abstractions;

namespace AkkaRaft.Raft.Tests.Remoting;

/// <summary>
/// maximum-frame-size-bytes on the wire: a larger message is dropped while the rest flow, a payload of
/// <see cref="RemotingSettings.MaxPayloadBytes"/> always fits, and Akka's envelope overhead is measured.
/// </summary>
public sealed class RemotingFrameSizeTests : Akka.TestKit.Xunit2.TestKit
{
    private const long SmallestFrameBytes = RemotingSettings.MaximumFrameSizeBytesMin;

    // How long a probe message may take before the connection counts as lost: loopback takes milliseconds, but the
    // machines running these tests are shared.
    private static readonly TimeSpan DeliveryWithin = TimeSpan.FromSeconds(5);

    private readonly List<ActorSystem> _systems = [];
    private long _nextId;

    public RemotingFrameSizeTests(ITestOutputHelper output)
        : base(RemotingTestKit.TestConfig, "remoting-frame-size-tests", output)
    {
    }

    private enum Outcome
    {
        /// <summary>The probe message arrived.</summary>
        Delivered,

        /// <summary>The sender dropped it (Akka's size check) and the marker sent after it arrived.</summary>
        DroppedBySender,

        /// <summary>Neither arrived: the receiver closed the connection on the frame.</summary>
        ConnectionLost,
    }

    [Fact(DisplayName = "Frames: a message larger than maximum-frame-size is dropped by its sender, without a crash, while smaller ones keep flowing on the same connection")]
    public void Oversized_message_is_dropped_and_smaller_ones_keep_flowing()
    {
        var settings = RemotingTestKit.Defaults(s => s with { MaximumFrameSizeBytes = SmallestFrameBytes });
        var (a, _) = Start("a", settings);
        var (b, bProbe) = Start("b", settings);
        var toB = a.RemoteRef(b.BoundAddress(), "sink");
        toB.Tell(new TestBlob(1, new byte[1000]));
        Assert.Equal(1, bProbe.ExpectMsg<TestBlob>().Id);

        var lifecycle = CreateTestProbe(a);
        a.EventStream.Subscribe(lifecycle.Ref, typeof(DisassociatedEvent));
        a.EventStream.Subscribe(lifecycle.Ref, typeof(AssociationErrorEvent));

        toB.Tell(new TestBlob(2, new byte[SmallestFrameBytes]));
        toB.Tell(new TestBlob(3, new byte[10 * SmallestFrameBytes]));
        toB.Tell(new TestBlob(4, new byte[settings.MaxPayloadBytes - RemotingTestKit.BlobHeaderBytes]));

        // Ordered delivery between two actors: had 2 or 3 arrived, they would come before 4.
        Assert.Equal(4, bProbe.ExpectMsg<TestBlob>().Id);
        lifecycle.ExpectNoMsg(TimeSpan.FromMilliseconds(500));
        Assert.False(a.WhenTerminated.IsCompleted || b.WhenTerminated.IsCompleted, "a system terminated");
    }

    [Theory(DisplayName = "Frames: a payload of MaxPayloadBytes is delivered even between actors with 1000-character names; a payload of maximum-frame-size is not")]
    [InlineData(SmallestFrameBytes)]
    [InlineData(4L * 1024 * 1024)]
    public void Payload_of_max_payload_bytes_is_delivered_with_long_actor_paths(long maximumFrameSizeBytes)
    {
        var settings = RemotingTestKit.Defaults(s => s with { MaximumFrameSizeBytes = maximumFrameSizeBytes });
        var name = new string('n', 1000);
        var (a, _) = Start("a", settings);
        var (b, bProbe) = Start("b", settings, name);
        var sender = a.ActorOf(Relay.Props(CreateTestProbe(a).Ref), new string('s', 1000));
        var toB = a.RemoteRef(b.BoundAddress(), name);

        toB.Tell(new TestBlob(1, new byte[settings.MaxPayloadBytes - RemotingTestKit.BlobHeaderBytes]), sender);
        var received = bProbe.ExpectMsg<TestBlob>(TimeSpan.FromSeconds(10));
        Assert.Equal(1, received.Id);
        Assert.Equal(settings.MaxPayloadBytes - RemotingTestKit.BlobHeaderBytes, received.Bytes.Length);
        Assert.Equal(sender.Path.Name, bProbe.LastSender.Path.Name);

        toB.Tell(new TestBlob(2, new byte[maximumFrameSizeBytes - RemotingTestKit.BlobHeaderBytes]), sender);
        toB.Tell(new TestBlob(3, []), sender);
        Assert.Equal(3, bProbe.ExpectMsg<TestBlob>().Id);
    }

    [Fact(DisplayName = "Frames: a frame above the receiver's maximum (a peer configured larger) costs the connection, not the node: it is not delivered and later messages flow after the re-dial")]
    public void Frame_over_the_receivers_maximum_costs_the_connection_not_the_node()
    {
        var (a, _) = Start("a", RemotingTestKit.Defaults(s => s with { MaximumFrameSizeBytes = 2 * SmallestFrameBytes }));
        var (b, bProbe) = Start("b", RemotingTestKit.Defaults(s => s with { MaximumFrameSizeBytes = SmallestFrameBytes }));
        var toB = a.RemoteRef(b.BoundAddress(), "sink");
        toB.Tell(new TestBlob(1, []));
        Assert.Equal(1, bProbe.ExpectMsg<TestBlob>().Id);

        toB.Tell(new TestBlob(2, new byte[SmallestFrameBytes + 1000]));
        bProbe.ExpectNoMsg(TimeSpan.FromSeconds(1));
        AwaitDelivery(toB, bProbe, ActorRefs.Nobody);
        Assert.False(a.WhenTerminated.IsCompleted || b.WhenTerminated.IsCompleted, "a system terminated");
    }

    [Theory(DisplayName = "Frames: Akka's envelope overhead is measured (largest payload delivered in a frame) and is within EnvelopeReserveBytes")]
    [InlineData(4)]
    [InlineData(1000)]
    public void Envelope_overhead_is_measured_and_within_the_reserve(int actorNameLength)
    {
        var settings = RemotingTestKit.Defaults(s => s with { MaximumFrameSizeBytes = SmallestFrameBytes });
        var sinkName = new string('r', actorNameLength);
        var (a, _) = Start("node-a", settings);
        var (b, bProbe) = Start("node-b", settings, sinkName);
        var sender = a.ActorOf(Relay.Props(CreateTestProbe(a).Ref), new string('s', actorNameLength));
        var toB = a.RemoteRef(b.BoundAddress(), sinkName);
        AwaitDelivery(toB, bProbe, sender);

        // Binary search on the serialized payload size (blob bytes + the 8-byte id the serializer writes).
        long delivered = SmallestFrameBytes - RemotingSettings.EnvelopeReserveBytes;
        long notDelivered = SmallestFrameBytes;
        Assert.Equal(Outcome.Delivered, Send(toB, bProbe, sender, delivered));
        Assert.NotEqual(Outcome.Delivered, Send(toB, bProbe, sender, notDelivered));
        while (notDelivered - delivered > 1)
        {
            var middle = (delivered + notDelivered) / 2;
            var outcome = Send(toB, bProbe, sender, middle);
            Output?.WriteLine($"payload {middle} bytes: {outcome}");
            if (outcome == Outcome.Delivered)
            {
                delivered = middle;
            }
            else
            {
                notDelivered = middle;
            }
        }

        var overhead = SmallestFrameBytes - delivered;
        var recipientPath = toB.Path.ToString();
        var senderPath = sender.Path.ToStringWithAddress(a.BoundAddress());
        Output?.WriteLine(
            $"maximum-frame-size {SmallestFrameBytes}: largest payload delivered {delivered} bytes, envelope overhead {overhead} bytes; " +
            $"recipient {recipientPath} ({recipientPath.Length} chars), sender {senderPath} ({senderPath.Length} chars), " +
            $"manifest \"{TestBlobSerializer.BlobManifest}\"; overhead beyond the two paths {overhead - recipientPath.Length - senderPath.Length} bytes");
        Assert.True(overhead > recipientPath.Length + senderPath.Length, "the envelope carries both actor paths");
        Assert.True(overhead <= RemotingSettings.EnvelopeReserveBytes, $"overhead {overhead} exceeds the reserve {RemotingSettings.EnvelopeReserveBytes}");
    }

    protected override void AfterAll()
    {
        foreach (var system in _systems)
        {
            Shutdown(system);
        }

        base.AfterAll();
    }

    /// <summary>
    /// Sends a blob whose serialized payload is <paramref name="payloadBytes"/> and then a small marker, and tells
    /// which arrived. After a lost connection, waits until messages flow again.
    /// </summary>
    private Outcome Send(IActorRef to, Akka.TestKit.TestProbe probe, IActorRef sender, long payloadBytes)
    {
        var id = ++_nextId;
        var marker = ++_nextId;
        to.Tell(new TestBlob(id, new byte[payloadBytes - RemotingTestKit.BlobHeaderBytes]), sender);
        to.Tell(new TestBlob(marker, []), sender);
        var first = probe.ReceiveOne(DeliveryWithin) as TestBlob;
        while (first is not null && first.Id != id && first.Id != marker)
        {
            // A late marker of an earlier probe.
            first = probe.ReceiveOne(DeliveryWithin) as TestBlob;
        }

        if (first is null)
        {
            AwaitDelivery(to, probe, sender);
            return Outcome.ConnectionLost;
        }

        if (first.Id == id)
        {
            probe.FishForMessage<TestBlob>(m => m.Id == marker);
            return Outcome.Delivered;
        }

        return Outcome.DroppedBySender;
    }

    private void AwaitDelivery(IActorRef to, Akka.TestKit.TestProbe probe, IActorRef sender) =>
        AwaitAssert(() =>
        {
            var ping = ++_nextId;
            to.Tell(new TestBlob(ping, []), sender);
            probe.FishForMessage<TestBlob>(m => m.Id == ping, TimeSpan.FromMilliseconds(500));
        }, TimeSpan.FromSeconds(30), TimeSpan.FromMilliseconds(100));

    private (ActorSystem System, Akka.TestKit.TestProbe Probe) Start(string name, RemotingSettings settings, string sinkName = "sink")
    {
        var system = RemotingTestKit.Start(name, settings);
        _systems.Add(system);
        var probe = CreateTestProbe(system);
        system.ActorOf(Relay.Props(probe.Ref), sinkName);
        return (system, probe);
    }
}
