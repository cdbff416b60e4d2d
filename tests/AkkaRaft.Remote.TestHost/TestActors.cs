using AkkaRaft.Actors;
using AkkaRaft.Actors.Serialization;
using AkkaRaft.Remote.TestHost.Messages;

namespace AkkaRaft.Remote.TestHost;

/// <summary>Answers every Ping with a Pong carrying the same sequence number, text and payload, to the sender.</summary>
public sealed class EchoActor : ReceiveActor
{
    /// <summary>Creates the actor.</summary>
    public EchoActor()
    {
        Receive<Ping>(ping => Sender.Tell(new Pong { Seq = ping.Seq, Text = ping.Text, Payload = ping.Payload }, Self));
    }
}

/// <summary>Forwards everything to a target, keeping the original sender.</summary>
public sealed class ForwardingActor : ReceiveActor
{
    /// <summary>Creates the actor.</summary>
    public ForwardingActor(IActorRef target)
    {
        ReceiveAny(message => target.Forward(message));
    }
}

/// <summary>The serializers both test processes use.</summary>
public static class TestSerialization
{
    /// <summary>Bytes, and the protobuf Ping and Pong (plus Unregistered when asked, to test unknown manifests).</summary>
    public static SerializationRegistry Create(bool withUnregistered = false)
    {
        var registry = SerializationRegistry.CreateDefault();
        registry.Protobuf!.Register<Ping>().Register<Pong>();
        if (withUnregistered) registry.Protobuf!.Register<Unregistered>();
        return registry;
    }
}
