using System.Net.Http.Json;
using AkkaRaft.Client;
using AkkaRaft.Client.Kv;
using AkkaRaft.Kv;
using AkkaRaft.Raft.Peer;
using AkkaRaft.Server.Http;
using AkkaRaft.Server.Node;

namespace AkkaRaft.Samples;

/// <summary>
/// A three-node cluster in one process (trr's "Example (2)"): three nodes, each with its own actor system, journal
/// and loopback ports; two join through the first's HTTP API. A write on the leader is then read, stale, from every node.
/// </summary>
public static class InProcessCluster
{
    /// <summary>Runs the sample; returns the value each node read.</summary>
    public static async Task<IReadOnlyList<string>> RunAsync(string rootDir, TextWriter output)
    {
        var nodes = new List<(AkkaRaftNode Node, HttpFrontEnd Http)>();
        try
        {
            foreach (var id in new[] { "a", "b", "c" })
            {
                // b and c join (through the HTTP calls below): they must not found clusters of their own.
                var join = id == "a" ? null : nodes[0].Http.Address.ToString();
                var node = await AkkaRaftNode.StartAsync(SampleConfig.For(id, Path.Combine(rootDir, id), join));
                nodes.Add((node, await HttpFrontEnd.StartAsync(node)));
                if (id == "a") await SampleConfig.WaitForLeaderAsync(node, TimeSpan.FromSeconds(30));
            }

            using var client = new HttpClient();
            var first = nodes[0].Http.Address;
            foreach (var (node, http) in nodes.Skip(1))
            {
                using var response = await client.PostAsJsonAsync($"http://{first}/join", new { id = node.Id, addr = node.RaftAddress.ToString(), http = http.Address.ToString() });
                response.EnsureSuccessStatusCode();
                await output.WriteLineAsync($"{node.Id} joined through {first}");
            }

            var leader = nodes[0].Node;
            var written = (WriteResult)await leader.AskAsync(new Write(KvCommands.Put("color", "blue")), TimeSpan.FromSeconds(10));
            var values = new List<string>();
            foreach (var (node, _) in nodes)
            {
                // A stale read answers from the node's own state: wait until it has applied the write.
                while (true)
                {
                    var answer = (QueryResponse)await node.AskAsync(new Query(KvQueries.Get("color"), ReadLevel.Stale), TimeSpan.FromSeconds(10));
                    if (answer.AppliedIndex >= written.Index)
                    {
                        var value = System.Text.Encoding.UTF8.GetString(KvResult.Decode(answer.Response).Pair!.Value.Span);
                        values.Add(value);
                        await output.WriteLineAsync($"{node.Id} reads color = {value}");
                        break;
                    }

                    await Task.Delay(20);
                }
            }

            return values;
        }
        finally
        {
            foreach (var (node, http) in nodes)
            {
                await http.DisposeAsync();
                await node.DisposeAsync();
            }
        }
    }
}
