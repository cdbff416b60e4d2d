using System.Diagnostics;
using System.Threading.Channels;
using Akka.Actor;
using Akka.Cluster.Tools.Client;
using AkkaRaft.Client;
using AkkaRaft.Client.Kv;
using AkkaRaft.Server.Node;

namespace AkkaRaft.Server.Tests;

/// <summary>
/// Watches and locks from another Akka app (the client app's configuration, nothing of the server) against three
/// in-process nodes: a watch set by ActorSelection of a follower's inbox fires in the app when the key changes, and a
/// lock waiter that asked through ClusterClient hears when the lock passes to it.
/// </summary>
public sealed class CoordinationClientTests(TimeDataClientTests.Cluster cluster) : IClassFixture<TimeDataClientTests.Cluster>
{
    private static readonly TimeSpan Wait = TimeSpan.FromSeconds(20);

    // How long a request's client waits for its outcome: under the Ask's own timeout, so the server's answer comes first.
    private static readonly TimeSpan RequestWait = TimeSpan.FromSeconds(10);

    [Fact]
    public async Task A_watch_set_through_a_followers_inbox_answers_set_then_fired_in_the_client_app()
    {
        var follower = await FollowerAsync();
        var (collector, inbox) = Collector();
        cluster.App.ActorSelection(RaftPaths.Inbox(follower.RaftAddress.ToString())).Tell(new Watch("app/watched", Timeout: Wait), collector);
        var set = Assert.IsType<WatchSet>(await NextAsync(inbox));

        var written = Assert.IsType<WriteResult>(await ViaClusterClientAsync(new Write(KvCommands.Put("app/watched", "v"), RequestWait)));

        // Across the wire with the leader that served it and its term, as the write's answer had them.
        Assert.Equal(new WatchFired(set.WatchId, WatchReason.DataChanged, "app/watched", written.Index) { Term = written.Term, Leader = written.Leader }, await NextAsync(inbox));
        Assert.Equal((written.Leader, written.Term), (set.Leader, set.Term));
    }

    [Fact]
    public async Task A_lock_waiter_that_asked_through_cluster_client_hears_when_the_lock_passes_to_it()
    {
        // Each request says how long its client waits (the default, twice the election timeout, is one second): a
        // commit can take longer than that on a loaded machine, and the waiter must outwait the holder's release.
        var first = Assert.IsType<SessionOpened>(await ViaClusterClientAsync(new OpenSession(TimeSpan.FromSeconds(30), RequestWait))).SessionId;
        var second = Assert.IsType<SessionOpened>(await ViaClusterClientAsync(new OpenSession(TimeSpan.FromSeconds(30), RequestWait))).SessionId;
        var held = Assert.IsType<LockAcquired>(await ViaClusterClientAsync(new AcquireLock("app/lock", first, RequestWait)));
        var (collector, inbox) = Collector();
        cluster.ClusterClient.Tell(new ClusterClient.Send(RaftPaths.InboxServicePath, new AcquireLock("app/lock", second, RequestWait)), collector);
        await Task.Delay(500);
        Assert.False(inbox.TryRead(out var early), $"answered before the lock passed: {early}");

        var released = Assert.IsType<LockReleased>(await ViaClusterClientAsync(new ReleaseLock("app/lock", first, RequestWait)));

        var got = Assert.IsType<LockAcquired>(await NextAsync(inbox));
        Assert.Equal((second, released.Index), (got.SessionId, got.FencingToken));
        Assert.True(got.FencingToken > held.FencingToken);
    }

    private async Task<AkkaRaftNode> FollowerAsync()
    {
        AkkaRaftNode? follower = null;
        await TestCluster.WaitForAsync(async () =>
        {
            try
            {
                var statuses = await Task.WhenAll(cluster.Nodes.Select(n => n.StatusAsync()));
                if (statuses[0].Leader == 0 || !statuses.All(s => s.Leader == statuses[0].Leader)) return false;
                follower = cluster.Nodes.First(n => n.RaftId != statuses[0].Leader);
                return true;
            }
            catch (AskTimeoutException)
            {
                return false;
            }
        }, "the three nodes to agree on a leader", TimeSpan.FromSeconds(60));
        return follower!;
    }

    /// <summary>Asks through ClusterClient until the answer is not "not now" (no leader yet, or overloaded).</summary>
    private async Task<object> ViaClusterClientAsync(object request)
    {
        var watch = Stopwatch.StartNew();
        while (true)
        {
            var answer = await cluster.ClusterClient.Ask<object>(new ClusterClient.Send(RaftPaths.InboxServicePath, request), Wait);
            if (answer is not (NotLeader or Overloaded) || watch.Elapsed > TestCluster.Patience) return answer;
            await Task.Delay(100);
        }
    }

    private (IActorRef Collector, ChannelReader<object> Inbox) Collector()
    {
        var channel = Channel.CreateUnbounded<object>();
        return (cluster.App.ActorOf(Props.Create(() => new CollectingActor(channel.Writer))), channel.Reader);
    }

    private static async Task<object> NextAsync(ChannelReader<object> inbox)
    {
        using var timeout = new CancellationTokenSource(Wait);
        return await inbox.ReadAsync(timeout.Token);
    }

    /// <summary>Writes every message it gets into a channel.</summary>
    private sealed class CollectingActor : ReceiveActor
    {
        public CollectingActor(ChannelWriter<object> writer) => ReceiveAny(message => writer.TryWrite(message));
    }
}
