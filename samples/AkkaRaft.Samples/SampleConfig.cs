using System.Text.Json;
using AkkaRaft.Configuration;

namespace AkkaRaft.Samples;

/// <summary>The configuration the samples run with: the node's id and directory, addresses chosen by the OS.</summary>
public static class SampleConfig
{
    /// <summary>reference.conf with <paramref name="id"/>, <paramref name="dataDir"/> and ports 0.</summary>
    /// <param name="id">The node id.</param>
    /// <param name="dataDir">Its data directory.</param>
    /// <param name="join">The HTTP address of a member it will join through; null for a node that founds its cluster.</param>
    /// <param name="extra">More settings, each a path and a HOCON value, as <c>--set path=value</c> takes them.</param>
    public static Config For(string id, string dataDir, string? join = null, IReadOnlyDictionary<string, string>? extra = null)
    {
        var overrides = new Dictionary<string, string>
        {
            ["akkaraft.node.id"] = JsonSerializer.Serialize(id),
            ["akkaraft.node.data-dir"] = JsonSerializer.Serialize(dataDir),
            ["akkaraft.node.raft-address"] = "\"127.0.0.1:0\"",
            ["akkaraft.http.address"] = "\"127.0.0.1:0\"",
            ["akkaraft.node.join"] = JsonSerializer.Serialize(join ?? ""),
        };
        foreach (var (path, value) in extra ?? new Dictionary<string, string>()) overrides[path] = value;
        return AkkaRaftConfig.Load(null, new Dictionary<string, string?>(), overrides);
    }

    /// <summary>Waits until <paramref name="node"/> knows a leader; a peer still recovering its journal may not answer its status in time, and is asked again.</summary>
    public static async Task WaitForLeaderAsync(Server.Node.AkkaRaftNode node, TimeSpan patience)
    {
        var deadline = DateTime.UtcNow + patience;
        while (true)
        {
            try
            {
                if ((await node.StatusAsync()).Leader != 0) return;
            }
            catch (Akka.Actor.AskTimeoutException) when (DateTime.UtcNow <= deadline)
            {
                // Asked again below.
            }

            if (DateTime.UtcNow > deadline) throw new TimeoutException($"no leader within {patience.TotalSeconds}s");
            await Task.Delay(50);
        }
    }
}
