using System.Collections.Immutable;
using System.Diagnostics;
using Akka.Actor;
using Akka.Cluster.Tools.Client;
using AkkaRaft.Client;
using AkkaRaft.Client.TimeSeries;
using AkkaRaft.ClientApp;
using AkkaRaft.Server.Node;
using Xunit.Abstractions;

namespace AkkaRaft.Server.Tests;

/// <summary>
/// trr's client for other Akka apps: <see cref="PutTimeData"/>, <see cref="PutTimeDataBatch"/> and <see cref="GetTimeData"/>
/// from an app of its own (its own actor system with AkkaRaft.Client's serializer binding, nothing of the server) to three
/// in-process nodes, by ActorSelection of a follower's inbox and through ClusterClient.
/// </summary>
public sealed class TimeDataClientTests(TimeDataClientTests.Cluster cluster, ITestOutputHelper log) : IClassFixture<TimeDataClientTests.Cluster>
{
    private static readonly TimeSpan AskTimeout = TimeSpan.FromSeconds(15);

    private static readonly TimeSpan RequestTimeout = TimeSpan.FromSeconds(10);

    /// <summary>Three nodes founding a static cluster, and the client app's actor system with a ClusterClient to them.</summary>
    public sealed class Cluster : IAsyncLifetime
    {
        private readonly string _root = TestCluster.TempDirectory("timedata");

        public List<AkkaRaftNode> Nodes { get; } = [];

        public ActorSystem App { get; private set; } = null!;

        public IActorRef ClusterClient { get; private set; } = ActorRefs.Nobody;

        public async Task InitializeAsync()
        {
            var ids = new[] { "d1", "d2", "d3" };
            var ports = ids.Select(_ => TestCluster.FreePort()).ToArray();
            var peers = string.Join(",", ids.Select((id, i) => $"{id}=127.0.0.1:{ports[i]}"));
            for (var i = 0; i < ids.Length; i++)
            {
                Nodes.Add(await AkkaRaftNode.StartAsync(TestCluster.Config(ids[i], Path.Combine(_root, ids[i]), new Dictionary<string, string>
                {
                    ["akkaraft.node.peers"] = TestCluster.Quote(peers),
                    ["akkaraft.node.raft-address"] = TestCluster.Quote($"127.0.0.1:{ports[i]}"),
                })));
            }

            var options = new ClientOptions(ClientMode.ClusterClient, Nodes.Select(n => n.RaftAddress.ToString()).ToArray(), "k", "v", "127.0.0.1", RaftPaths.SystemName);
            App = ActorSystem.Create("series-app", AkkaRaft.ClientApp.Program.AkkaConfig(options));
            var contacts = Nodes.Select(n => ActorPath.Parse(RaftPaths.Receptionist(n.RaftAddress.ToString()))).ToImmutableHashSet();
            ClusterClient = App.ActorOf(Akka.Cluster.Tools.Client.ClusterClient.Props(ClusterClientSettings.Create(App).WithInitialContacts(contacts)), "series-client");
        }

        public async Task DisposeAsync()
        {
            await App.Terminate();
            foreach (var node in Nodes) await node.DisposeAsync();
            try
            {
                Directory.Delete(_root, recursive: true);
            }
            catch (IOException)
            {
                // A journal file may still be closing; the temporary directory is left behind.
            }
        }
    }

    private async Task<AkkaRaftNode> LeaderAsync()
    {
        AkkaRaftNode? leader = null;
        await TestCluster.WaitForAsync(async () =>
        {
            PeerStatus[] statuses;
            try
            {
                statuses = await Task.WhenAll(cluster.Nodes.Select(n => n.StatusAsync()));
            }
            catch (AskTimeoutException)
            {
                return false;
            }

            leader = cluster.Nodes.FirstOrDefault(n => n.RaftId == statuses[0].Leader);
            return leader is not null && statuses.All(s => s.Leader == statuses[0].Leader);
        }, "the three nodes to agree on a leader", TimeSpan.FromSeconds(60));
        return leader!;
    }

    /// <summary>Asks until the answer is not "not now" (no leader yet, or overloaded): nothing was proposed then.</summary>
    private async Task<object> AskAsync(Func<object, Task<object>> ask, object request)
    {
        var watch = Stopwatch.StartNew();
        while (true)
        {
            var answer = await ask(request);
            if (answer is not (NotLeader or Overloaded) || watch.Elapsed > TestCluster.Patience) return answer;
            log.WriteLine($"{request.GetType().Name}: {answer}; asking again");
            await Task.Delay(100);
        }
    }

    private Task<object> ViaSelection(AkkaRaftNode node, object request) =>
        AskAsync(r => cluster.App.ActorSelection(RaftPaths.Inbox(node.RaftAddress.ToString())).Ask<object>(r, AskTimeout), request);

    private Task<object> ViaClusterClient(object request) =>
        AskAsync(r => cluster.ClusterClient.Ask<object>(new ClusterClient.Send(RaftPaths.InboxServicePath, r), AskTimeout), request);

    [Fact]
    public async Task Points_put_through_a_follower_by_selection_are_read_back_through_cluster_client_and_from_every_node()
    {
        var leader = await LeaderAsync();
        var follower = cluster.Nodes.First(n => n != leader);
        var t0 = 1427162400L;

        var first = Assert.IsType<TimeDataWritten>(await ViaSelection(follower, new PutTimeData("trr/t1", t0, 10, Timeout: RequestTimeout)));
        Assert.Equal(1ul, first.Appended);
        Assert.Equal(leader.RaftId, first.Leader);
        var batch = new PutTimeDataBatch([new("trr/t1", [new TimePoint(t0 + 62, 12), new TimePoint(t0 + 124, 14)]), new("trr/t2", [new TimePoint(t0, 1)])], Timeout: RequestTimeout);
        var second = Assert.IsType<TimeDataWritten>(await ViaClusterClient(batch));
        Assert.Equal(3ul, second.Appended);

        var read = Assert.IsType<TimeData>(await ViaClusterClient(new GetTimeData("trr/t1", t0, t0 + 125, ReadLevel.Consistent, Timeout: RequestTimeout)));
        Assert.Equal([new TimePoint(t0, 10), new TimePoint(t0 + 62, 12), new TimePoint(t0 + 124, 14)], read.Points);
        Assert.Equal(TimeUnit.Seconds, read.Unit);

        foreach (var node in cluster.Nodes)
        {
            await TestCluster.WaitForAsync(async () =>
                    await ViaSelection(node, new GetTimeData("trr/t1", Level: ReadLevel.Stale)) is TimeData { Points.Count: 3 } stale && stale.AppliedIndex >= second.Index,
                $"{node.Id} to have applied both writes", TimeSpan.FromSeconds(30));
        }
    }

    [Fact]
    public async Task A_point_older_than_the_open_block_is_refused_with_the_series_and_the_oldest_time_accepted()
    {
        await LeaderAsync();
        Assert.IsType<TimeDataWritten>(await ViaClusterClient(new PutTimeData("trr/late", 100_000, 1, Timeout: RequestTimeout)));

        var refused = Assert.IsType<TimeDataRefused>(await ViaClusterClient(new PutTimeData("trr/late", 1_000, 2, Timeout: RequestTimeout)));

        Assert.Equal(TsStatus.OutOfWindow, refused.Status);
        Assert.Equal("trr/late", refused.Series);
        Assert.Equal(93_600, refused.OldestAccepted); // the start of 100000's two-hour window
        Assert.Contains("'trr/late'", refused.Reason, StringComparison.Ordinal);
    }

    [Fact]
    public async Task An_unknown_series_is_refused_as_not_found()
    {
        var leader = await LeaderAsync();

        var refused = Assert.IsType<TimeDataRefused>(await ViaSelection(leader, new GetTimeData("trr/none", Timeout: RequestTimeout)));

        Assert.Equal(TsStatus.NotFound, refused.Status);
    }
}
