using Akka.Actor;
using Akka.Configuration;
using AkkaRaft.Client;
using AkkaRaft.Client.TimeSeries;
using AkkaRaft.Server.Http;
using AkkaRaft.Server.Node;

namespace AkkaRaft.Samples;

/// <summary>
/// trr's README flow on the time-series store: a single server, then a three-node cluster; a client puts three points
/// of series "t1" 62 s apart from 2015-03-24 02:00:00 UTC (trr's <c>PutTimeData</c>) and gets them back (trr's
/// <c>GetTimeData</c>), with actor messages to a member's inbox over remoting, as any other Akka app would. In the
/// cluster the client writes through a follower (which forwards to the leader) and reads from every member.
/// </summary>
public static class TimeSeriesSample
{
    /// <summary>trr's t0: Mar 24 2015 02:00:00 (here UTC), in Unix seconds.</summary>
    public const long T0 = 1_427_162_400;

    /// <summary>The three points trr's client puts: 10, 12 and 14, 62 s apart.</summary>
    public static readonly IReadOnlyList<TimePoint> Points = [new(T0, 10), new(T0 + 62, 12), new(T0 + 124, 14)];

    private static readonly Config ClientSystemConfig = ConfigurationFactory.ParseString("""
        akka.loglevel = WARNING
        akka.actor.provider = remote
        akka.remote.dot-netty.tcp { hostname = "127.0.0.1", port = 0 }
        """).WithFallback(ClientConfig.Default);

    /// <summary>Runs both parts; returns the points read back from the single server and from each cluster member.</summary>
    public static async Task<(IReadOnlyList<TimePoint> Single, IReadOnlyList<IReadOnlyList<TimePoint>> Cluster)> RunAsync(string rootDir, TextWriter output)
    {
        using var client = ActorSystem.Create("ts-client", ClientSystemConfig);
        try
        {
            IReadOnlyList<TimePoint> single;
            await output.WriteLineAsync("-- single server");
            await using (var node = await AkkaRaftNode.StartAsync(SampleConfig.For("single", Path.Combine(rootDir, "single"))))
            await using (var http = await HttpFrontEnd.StartAsync(node))
            {
                await SampleConfig.WaitForLeaderAsync(node, TimeSpan.FromSeconds(30));
                var inbox = client.ActorSelection(RaftPaths.Inbox(node.RaftAddress.ToString()));
                await PutAsync(inbox, output);
                single = await GetAsync(inbox, "single", output);
            }

            await output.WriteLineAsync("-- three-node cluster");
            return (single, await ClusterAsync(client, Path.Combine(rootDir, "cluster"), output));
        }
        finally
        {
            await client.Terminate();
        }
    }

    private static async Task<IReadOnlyList<IReadOnlyList<TimePoint>>> ClusterAsync(ActorSystem client, string rootDir, TextWriter output)
    {
        var nodes = new List<(AkkaRaftNode Node, HttpFrontEnd Http)>();
        try
        {
            foreach (var id in new[] { "a", "b", "c" })
            {
                var join = id == "a" ? null : nodes[0].Http.Address.ToString();
                var node = await AkkaRaftNode.StartAsync(SampleConfig.For(id, Path.Combine(rootDir, id), join));
                nodes.Add((node, await HttpFrontEnd.StartAsync(node)));
                if (id == "a") await SampleConfig.WaitForLeaderAsync(node, TimeSpan.FromSeconds(30));
            }

            using var http = new HttpClient();
            var first = nodes[0].Http.Address;
            foreach (var (node, front) in nodes.Skip(1))
            {
                using var response = await System.Net.Http.Json.HttpClientJsonExtensions.PostAsJsonAsync(
                    http, $"http://{first}/join", new { id = node.Id, addr = node.RaftAddress.ToString(), http = front.Address.ToString() });
                response.EnsureSuccessStatusCode();
                await output.WriteLineAsync($"{node.Id} joined through {first}");
            }

            // Write through c, a follower: it forwards each put to the leader, which answers the client.
            await PutAsync(client.ActorSelection(RaftPaths.Inbox(nodes[2].Node.RaftAddress.ToString())), output);
            var read = new List<IReadOnlyList<TimePoint>>();
            foreach (var (node, _) in nodes)
            {
                read.Add(await GetAsync(client.ActorSelection(RaftPaths.Inbox(node.RaftAddress.ToString())), node.Id, output));
            }

            return read;
        }
        finally
        {
            foreach (var (node, front) in nodes)
            {
                await front.DisposeAsync();
                await node.DisposeAsync();
            }
        }
    }

    /// <summary>trr's <c>client.PutTimeData("t1", t, v)</c>, three times.</summary>
    private static async Task PutAsync(ActorSelection inbox, TextWriter output)
    {
        foreach (var point in Points)
        {
            var answer = await inbox.Ask(new PutTimeData("t1", point.Timestamp, point.Value), TimeSpan.FromSeconds(20));
            if (answer is not TimeDataWritten written) throw new InvalidOperationException($"PutTimeData(t1, {point.Timestamp}, {point.Value}) was not committed: {answer}");
            await output.WriteLineAsync($"PutTimeData(t1, {point.Timestamp}, {point.Value}) committed at index {written.Index}");
        }
    }

    /// <summary>trr's <c>client.GetTimeData("t1")</c>: every point of the series, read at the consistent level.</summary>
    private static async Task<IReadOnlyList<TimePoint>> GetAsync(ActorSelection inbox, string member, TextWriter output)
    {
        var answer = await inbox.Ask(new GetTimeData("t1", Level: ReadLevel.Consistent), TimeSpan.FromSeconds(20));
        if (answer is not TimeData data) throw new InvalidOperationException($"GetTimeData(t1) through {member} failed: {answer}");
        await output.WriteLineAsync($"GetTimeData(t1) through {member}: {string.Join(", ", data.Points.Select(p => $"({p.Timestamp}, {p.Value})"))}");
        return data.Points;
    }
}
