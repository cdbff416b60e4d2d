using AkkaRaft.Client;
using AkkaRaft.Client.Kv;
using AkkaRaft.Kv;
using AkkaRaft.Raft.Peer;
using AkkaRaft.Server.Http;
using AkkaRaft.Server.Node;

namespace AkkaRaft.Samples;

/// <summary>
/// A single server embedded in an application (trr's "Server Example"): the app starts a node and its HTTP API in
/// its own process, writes with actor messages to the Raft peer, and reads the same key over HTTP.
/// </summary>
public static class EmbeddedServer
{
    /// <summary>Runs the sample; returns the value read back over HTTP.</summary>
    public static async Task<string> RunAsync(string dataDir, TextWriter output)
    {
        await using var node = await AkkaRaftNode.StartAsync(SampleConfig.For("embedded", dataDir));
        await using var http = await HttpFrontEnd.StartAsync(node);
        await SampleConfig.WaitForLeaderAsync(node, TimeSpan.FromSeconds(30));
        await output.WriteLineAsync($"embedded node serving HTTP on http://{http.Address}");

        // Write through the actor API: a Write carrying a key/value command; the answer is the applied result.
        var answer = await node.AskAsync(new Write(KvCommands.Put("greeting", "hello, raft")), TimeSpan.FromSeconds(10));
        var written = (WriteResult)answer;
        await output.WriteLineAsync($"wrote greeting at index {written.Index}");

        // Read it back the way any other process would: raftdb's GET /key/{k}.
        using var client = new HttpClient();
        var body = await client.GetStringAsync($"http://{http.Address}/key/greeting?level=consistent");
        await output.WriteLineAsync($"GET /key/greeting -> {body.Trim()}");
        return body.Trim();
    }
}
