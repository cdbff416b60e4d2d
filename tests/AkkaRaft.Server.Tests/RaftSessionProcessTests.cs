using System.Collections.Immutable;
using System.Diagnostics;
using System.Globalization;
using System.Text;
using Akka.Actor;
using Akka.Cluster.Tools.Client;
using Akka.Cluster.Tools.PublishSubscribe;
using Akka.Configuration;
using AkkaRaft.Server.Node;
using AkkaRaft.Client;
using AkkaRaft.Client.Kv;
using AkkaRaft.Client.Sessions;
using Xunit.Abstractions;

namespace AkkaRaft.Server.Tests;

/// <summary>
/// The client session actors of AkkaRaft.Client in an actor system of the test's own (as another Akka app would run
/// them), against the three <c>akkaraft</c> processes of <see cref="ServerProcessFixture"/>: a <see cref="RaftSession"/> through ActorSelection (started from
/// one member, the rest read from it) and one through ClusterClient write, one write at a time, while the leader is
/// killed with SIGKILL; every write is answered once, applied once, and read back.
/// </summary>
[Collection(ServerProcessCollection.Name)]
public sealed class RaftSessionProcessTests(ServerProcessFixture fixture, ITestOutputHelper output)
{
    private const int SelectionWrites = 40;
    private const int ClusterClientWrites = 12;
    private static readonly TimeSpan AskTimeout = TimeSpan.FromSeconds(60);

    private readonly HttpClient _http = fixture.Http;

    private ServerProcessCluster Cluster => fixture.Cluster;

    [Fact]
    public async Task Session_writes_through_selection_and_cluster_client_are_applied_exactly_once_across_a_killed_leader()
    {
        var cluster = Cluster;
        await cluster.WaitUntilFormedAsync(_http);
        var system = ActorSystem.Create("raft-session-test", ClientSystemConfig());
        ServerProcess? killed = null;
        try
        {
            var subscriber = Inbox.Create(system);
            // A session lives while its client reaches the leader within its TTL. Through ClusterClient that takes the
            // client's own failover (a receptionist on the killed node is given acceptable-heartbeat-pause, 3s here):
            // on two loaded cores a 10s TTL ran out before the ClusterClient session reached the new leader (21s once,
            // when the envelope had no local affinity and DistributedPubSub could still pick the killed node's inbox:
            // an unreachable member stays in its registry without automatic downing), so the sessions get 30s.
            var settings = new RaftSessionSettings(RaftContacts.ReadFrom(cluster.Nodes[0].Raft), TimeSpan.FromSeconds(30)) { Subscriber = subscriber.Receiver };
            var viaSelection = system.ActorOf(RaftSession.Props(settings), "via-selection");
            var contacts = cluster.Nodes.Select(n => ActorPath.Parse(RaftPaths.Receptionist(n.Raft))).ToImmutableHashSet();
            var client = system.ActorOf(ClusterClient.Props(ClusterClientSettings.Create(system).WithInitialContacts(contacts)), "cluster-client");
            var viaClient = system.ActorOf(RaftSession.Props(settings with
            {
                Contacts = RaftContacts.Through(client, m => new ClusterClient.Send(RaftPaths.InboxServicePath, m, localAffinity: true), "ClusterClient to /user/raft"),
            }), "via-cluster-client");
            var opened = new[] { await ReceiveAsync<RaftSessionOpened>(subscriber), await ReceiveAsync<RaftSessionOpened>(subscriber) };
            Assert.NotEqual(opened[0].SessionId, opened[1].SessionId);
            output.WriteLine($"sessions {opened[0].SessionId} and {opened[1].SessionId} opened");

            // Both write at once; the selection session's tenth answer is the signal to kill the leader.
            var killAfter = new TaskCompletionSource();
            var selectionRun = WriteAllAsync(viaSelection, "sel", SelectionWrites, i => { if (i == 10) killAfter.TrySetResult(); });
            var clientRun = WriteAllAsync(viaClient, "cc", ClusterClientWrites, _ => { });
            await killAfter.Task.WaitAsync(ServerProcessCluster.Patience);
            var leader = await cluster.LeaderAsync(_http, cluster.Nodes[0]);
            var leaderId = NodeIds.RaftIdOf(leader.Id);
            await leader.KillAsync();
            killed = leader;
            var killedAt = Stopwatch.StartNew();
            output.WriteLine($"killed the leader {leader.Id} (Raft id {leaderId}) with SIGKILL");

            var selection = await selectionRun;
            var viaCluster = await clientRun;
            output.WriteLine($"every write answered {killedAt.Elapsed.TotalSeconds:F1}s after the kill");

            // Every write was answered by its first application (a second one would answer KeyExists: each is a
            // create-if-absent), and the writes after the kill by the new leader.
            foreach (var (prefix, results) in new[] { ("sel", selection), ("cc", viaCluster) })
            {
                for (var i = 0; i < results.Count; i++)
                {
                    var kv = KvResult.Decode(results[i].Response);
                    Assert.True(kv.IsOk, $"{prefix}/{i + 1} was answered {kv.Status} {kv.Message}: applied twice?");
                }
            }

            Assert.NotEqual(leaderId, selection[^1].Leader);
            var state = await viaSelection.Ask<RaftSessionState>(GetRaftSessionState.Instance, AskTimeout);
            var clientState = await viaClient.Ask<RaftSessionState>(GetRaftSessionState.Instance, AskTimeout);
            output.WriteLine($"selection session: {state}\ncluster-client session: {clientState}");
            Assert.Equal((ulong)SelectionWrites + 1, state.NextSequence);
            Assert.Equal((ulong)ClusterClientWrites + 1, clientState.NextSequence);

            // Read back through the session (a consistent read at the new leader): each key once, with the value and
            // the index its write was answered with, so no write was applied again later.
            await ReadBackAsync(viaSelection, "sel", selection);
            await ReadBackAsync(viaSelection, "cc", viaCluster);

            // Closing takes the session out of the cluster; the actor stops.
            Assert.IsType<SessionClosed>(await viaSelection.Ask<object>(CloseRaftSession.Instance, AskTimeout));
            Assert.IsType<SessionClosed>(await viaClient.Ask<object>(CloseRaftSession.Instance, AskTimeout));
        }
        finally
        {
            await system.Terminate();
            // The next test of the collection wants the cluster whole again.
            if (killed is not null)
            {
                killed.Start();
                await cluster.WaitUntilFormedAsync(_http);
            }
        }
    }

    /// <summary>Writes <c>{prefix}/1..count</c> (create-if-absent) one after another; the answers in order.</summary>
    [Fact]
    public async Task A_session_query_s_watch_fires_once_on_the_next_change_through_selection_and_cluster_client()
    {
        var cluster = Cluster;
        await cluster.WaitUntilFormedAsync(_http);
        var system = ActorSystem.Create("raft-session-watch-test", ClientSystemConfig());
        try
        {
            var subscriber = Inbox.Create(system);
            var settings = new RaftSessionSettings(RaftContacts.ReadFrom(cluster.Nodes[1].Raft), TimeSpan.FromSeconds(30)) { Subscriber = subscriber.Receiver };
            var contacts = cluster.Nodes.Select(n => ActorPath.Parse(RaftPaths.Receptionist(n.Raft))).ToImmutableHashSet();
            var client = system.ActorOf(ClusterClient.Props(ClusterClientSettings.Create(system).WithInitialContacts(contacts)), "watch-cluster-client");
            var sessions = new[]
            {
                ("selection", system.ActorOf(RaftSession.Props(settings), "watch-via-selection")),
                ("cluster-client", system.ActorOf(RaftSession.Props(settings with
                {
                    Contacts = RaftContacts.Through(client, m => new ClusterClient.Send(RaftPaths.InboxServicePath, m, localAffinity: true), "ClusterClient to /user/raft"),
                }), "watch-via-cluster-client")),
            };
            await ReceiveAsync<RaftSessionOpened>(subscriber);
            await ReceiveAsync<RaftSessionOpened>(subscriber);

            foreach (var (name, session) in sessions)
            {
                var key = $"watched-{name}";
                Assert.IsType<WriteResult>(await session.Ask<object>(new SessionWrite(KvCommands.Put(key, "before")), AskTimeout));
                var read = Assert.IsType<QueryResponse>(await session.Ask<object>(new SessionQuery(KvQueries.Get(key), ReadLevel.Consistent, new SessionWatch(name, key)), AskTimeout));
                Assert.Equal("before", Encoding.UTF8.GetString(KvResult.Decode(read.Response).Pair!.Value.Span));
                var changed = Assert.IsType<WriteResult>(await session.Ask<object>(new SessionWrite(KvCommands.Put(key, "after")), AskTimeout));

                var fired = await ReceiveAsync<RaftSessionWatchFired>(subscriber);
                output.WriteLine($"{name}: watch fired {fired.Reason} on {fired.Key} at {fired.Index} (the write's index {changed.Index})");
                Assert.Equal((session, name, WatchReason.DataChanged, key, changed.Index), (fired.Session, fired.Watch, fired.Reason, fired.Key, fired.Index));
            }

            // One-shot: a further change fires nothing more.
            Assert.IsType<WriteResult>(await sessions[0].Item2.Ask<object>(new SessionWrite(KvCommands.Put("watched-selection", "again")), AskTimeout));
            await Assert.ThrowsAsync<TimeoutException>(() => subscriber.ReceiveAsync(TimeSpan.FromSeconds(2)));
            foreach (var (_, session) in sessions) Assert.IsType<SessionClosed>(await session.Ask<object>(CloseRaftSession.Instance, AskTimeout));
        }
        finally
        {
            await system.Terminate();
        }
    }

    private async Task<List<WriteResult>> WriteAllAsync(IActorRef session, string prefix, int count, Action<int> answered)
    {
        var results = new List<WriteResult>();
        for (var i = 1; i <= count; i++)
        {
            var write = new SessionWrite(KvCommands.AtomicPut($"{prefix}/{i:D3}", i.ToString(CultureInfo.InvariantCulture), previousIndex: null));
            var answer = await session.Ask<object>(write, AskTimeout);
            if (answer is not WriteResult result)
            {
                // A lost session's actor has stopped: only a live one tells its state.
                var state = answer is RaftSessionLost ? "stopped" : await session.Ask<object>(GetRaftSessionState.Instance, AskTimeout);
                throw new InvalidOperationException($"{prefix}/{i} was answered {answer}; the session: {state}\n{Logs()}");
            }

            results.Add(result);
            answered(i);
        }

        return results;
    }

    private async Task ReadBackAsync(IActorRef session, string prefix, IReadOnlyList<WriteResult> written)
    {
        var answer = await session.Ask<object>(new SessionQuery(KvQueries.List(prefix + "/"), ReadLevel.Consistent), AskTimeout);
        var response = Assert.IsType<QueryResponse>(answer);
        var pairs = KvResult.Decode(response.Response).Pairs;
        Assert.Equal(written.Count, pairs.Count);
        for (var i = 0; i < written.Count; i++)
        {
            Assert.Equal($"{prefix}/{i + 1:D3}", pairs[i].Key);
            Assert.Equal((i + 1).ToString(CultureInfo.InvariantCulture), Encoding.UTF8.GetString(pairs[i].Value.Span));
            Assert.Equal(written[i].Index, pairs[i].LastIndex);
        }
    }

    private async Task<T> ReceiveAsync<T>(Inbox inbox)
    {
        var message = await inbox.ReceiveAsync(ServerProcessCluster.Patience);
        return message is T wanted ? wanted : throw new InvalidOperationException($"expected a {typeof(T).Name}, got {message}\n{Logs()}");
    }

    /// <summary>
    /// The test's actor system, as another Akka app's: remoting on a free port, AkkaRaft.Client's serializers, and
    /// ClusterClient's; a ClusterClient that gives a silent receptionist 3s (instead of 13s) before it looks for another.
    /// </summary>
    private static Config ClientSystemConfig() =>
        ConfigurationFactory.ParseString("""
                akka {
                  loglevel = WARNING
                  actor.provider = remote
                  remote.dot-netty.tcp { hostname = "127.0.0.1", port = 0 }
                  cluster.client { use-legacy-serialization = off, heartbeat-interval = 1s, acceptable-heartbeat-pause = 3s }
                }
                """)
            .WithFallback(ClientConfig.Default)
            .WithFallback(ClusterClientReceptionist.DefaultConfig())
            .WithFallback(DistributedPubSub.DefaultConfig());

    private string Logs() => Cluster.Logs();
}
