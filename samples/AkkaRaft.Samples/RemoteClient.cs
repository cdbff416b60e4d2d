using System.Text;
using Akka.Actor;
using Akka.Configuration;
using AkkaRaft.Client;
using AkkaRaft.Client.Kv;

namespace AkkaRaft.Samples;

/// <summary>
/// A client application that talks to a running cluster with actor messages: its own actor system with remoting,
/// AkkaRaft.Client's serializer bound (<see cref="ClientConfig.Default"/>), and Ask on the member's inbox
/// (<c>akka.tcp://akkaraft@host:port/user/raft</c>). A follower forwards the write to the leader, which answers this
/// client directly. It uses nothing of the server; samples/AkkaRaft.ClientApp is the same as an app of its own,
/// with ClusterClient too.
/// </summary>
public static class RemoteClient
{
    private static readonly Config ClientSystemConfig = ConfigurationFactory.ParseString("""
        akka.loglevel = WARNING
        akka.actor.provider = remote
        akka.remote.dot-netty.tcp { hostname = "127.0.0.1", port = 0 }
        """).WithFallback(ClientConfig.Default);

    /// <summary>Writes a key through the member at <paramref name="raftAddress"/> and reads it back consistently; returns the value.</summary>
    public static async Task<string> RunAsync(string raftAddress, TextWriter output)
    {
        using var system = ActorSystem.Create("client", ClientSystemConfig);
        try
        {
            var inbox = system.ActorSelection(RaftPaths.Inbox(raftAddress));
            var written = await inbox.Ask(new Write(KvCommands.Put("from-client", "sent as an actor message")), TimeSpan.FromSeconds(10));
            if (written is not WriteResult result) throw new InvalidOperationException($"the write was not committed: {written}");
            await output.WriteLineAsync($"committed at index {result.Index} by leader {result.Leader}");

            var read = await inbox.Ask(new Query(KvQueries.Get("from-client"), ReadLevel.Consistent), TimeSpan.FromSeconds(10));
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
