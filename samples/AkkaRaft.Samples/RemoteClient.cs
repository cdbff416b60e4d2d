using System.Text;
using AkkaRaft.Actors;
using AkkaRaft.Actors.Serialization;
using AkkaRaft.Kv;
using AkkaRaft.Raft.Peer;
using AkkaRaft.Raft.Wire;
using AkkaRaft.Remote;
using AkkaRaft.Remote.Actors;
using AkkaRaft.Server.Node;

namespace AkkaRaft.Samples;

/// <summary>
/// A client application that talks to a running cluster with actor messages: its own actor system with remoting,
/// the Raft wire serializer registered, and Ask on the member's Raft peer (<c>akkaraft.tcp://akkaraft@host:port/user/raft</c>).
/// A follower forwards the write to the leader, which answers this client directly.
/// </summary>
public static class RemoteClient
{
    /// <summary>Writes a key through the member at <paramref name="raftAddress"/> and reads it back consistently; returns the value.</summary>
    public static async Task<string> RunAsync(string raftAddress, TextWriter output)
    {
        using var system = ActorSystem.Create("client");
        RemoteActorRefProvider.Start(system, new RemoteSettings { Hostname = "127.0.0.1", Port = 0 }, RaftWire.Register(SerializationRegistry.CreateDefault()));
        try
        {
            var peer = system.ResolveActorRef(RemoteRaftTransport.PeerPath(raftAddress));
            var written = await peer.Ask(new Write(KvCommands.Put("from-client", "sent as an actor message")), TimeSpan.FromSeconds(10));
            if (written is not WriteResult result) throw new InvalidOperationException($"the write was not committed: {written}");
            await output.WriteLineAsync($"committed at index {result.Index} by leader {result.Leader}");

            var read = await peer.Ask(new Query(KvQueries.Get("from-client"), ReadLevel.Consistent), TimeSpan.FromSeconds(10));
            if (read is not QueryResponse response) throw new InvalidOperationException($"the read failed: {read}");
            var value = Encoding.UTF8.GetString(KvResult.Decode(response.Response).Pair!.Value.Span);
            await output.WriteLineAsync($"from-client = {value}");
            return value;
        }
        finally
        {
            await system.Terminate();
        }
    }
}
