using System.Diagnostics;
using Akka.Actor;
using Akka.Configuration;
using AkkaRaft.Client;
using AkkaRaft.Samples;
using AkkaRaft.Server.Node;
using Xunit.Abstractions;

namespace AkkaRaft.Server.Tests;

/// <summary>
/// Three in-process nodes whose state machine is the sample's <see cref="TypedWordTracker"/>, each its own actor system
/// on its own Raft address, and an app of its own (its own actor system, <see cref="ClientConfig.Default"/>, nothing
/// of the server) sending them its own records over Akka.Remote: what is allowed is applied by every peer and read
/// back typed; what is outside the nodes' allowed types is refused by whichever member it reaches, never proposed,
/// and the app's connection and the nodes go on.
/// </summary>
public sealed class TypedClientTests(TypedClientTests.Cluster cluster, ITestOutputHelper log) : IClassFixture<TypedClientTests.Cluster>
{
    private static readonly TimeSpan AskTimeout = TimeSpan.FromSeconds(15);

    /// <summary>The request's own timeout: a shared, loaded machine must not turn a slow commit into an ambiguous answer.</summary>
    private static readonly TimeSpan RequestTimeout = TimeSpan.FromSeconds(10);

    /// <summary>Three typed word trackers founding a static cluster, and the client app's actor system.</summary>
    public sealed class Cluster : IAsyncLifetime
    {
        private readonly string _root = TestCluster.TempDirectory("typed");

        public List<AkkaRaftNode> Nodes { get; } = [];

        public ActorSystem App { get; private set; } = null!;

        public async Task InitializeAsync()
        {
            var ids = new[] { "t1", "t2", "t3" };
            var ports = ids.Select(_ => TestCluster.FreePort()).ToArray();
            var peers = string.Join(",", ids.Select((id, i) => $"{id}=127.0.0.1:{ports[i]}"));
            for (var i = 0; i < ids.Length; i++)
            {
                var config = TestCluster.Config(ids[i], Path.Combine(_root, ids[i]), new Dictionary<string, string>
                {
                    ["akkaraft.node.peers"] = TestCluster.Quote(peers),
                    ["akkaraft.node.raft-address"] = TestCluster.Quote($"127.0.0.1:{ports[i]}"),
                    ["akka.actor.serialization-settings.hyperion.allowed-types"] = TypedWordTracker.NodeAllowedTypes,
                });
                Nodes.Add(await AkkaRaftNode.StartAsync(config, system => new TypedWordTracker(system)));
            }

            App = ActorSystem.Create("word-app", ConfigurationFactory.ParseString($$"""
                    akka.loglevel = WARNING
                    akka.actor.provider = remote
                    akka.remote.dot-netty.tcp { hostname = "127.0.0.1", port = 0 }
                    akka.actor.serialization-settings.hyperion.allowed-types = {{TypedWordTracker.ClientAllowedTypes}}
                    """).WithFallback(ClientConfig.Default));
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

    private ActorSelection InboxOf(AkkaRaftNode node) => cluster.App.ActorSelection(RaftPaths.Inbox(node.RaftAddress.ToString()));

    /// <summary>The node every node names as leader, once they agree.</summary>
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
                return false; // a peer still recovering, or busy on a loaded machine: asked again
            }

            var named = statuses[0].Leader;
            leader = cluster.Nodes.FirstOrDefault(n => n.RaftId == named);
            return leader is not null && statuses.All(s => s.Leader == named);
        }, "the three nodes to agree on a leader", TimeSpan.FromSeconds(60));
        return leader!;
    }

    /// <summary>
    /// Asks through <paramref name="node"/>'s inbox until the answer is no "not now" (no leader yet, or one being
    /// elected): a NotLeader or Overloaded answer means nothing was proposed, so asking again is safe.
    /// </summary>
    private async Task<object> AskAsync(AkkaRaftNode node, object request)
    {
        var watch = Stopwatch.StartNew();
        while (true)
        {
            var answer = await InboxOf(node).Ask<object>(request, AskTimeout);
            if (answer is not (NotLeader or Overloaded) || watch.Elapsed > TestCluster.Patience) return answer;
            log.WriteLine($"{request.GetType().Name} through {node.Id}: {answer}; asking again");
            await Task.Delay(100);
        }
    }

    [Fact]
    public async Task A_typed_command_from_another_actor_system_should_be_applied_by_every_peer_and_read_back_typed_at_a_consistent_read()
    {
        var leader = await LeaderAsync();
        var follower = cluster.Nodes.First(n => n != leader);

        // Through a follower, which passes it on to the leader unread; and through the leader.
        var viaFollower = Assert.IsType<TypedWriteResult>(await AskAsync(follower, new TypedWrite(new AddWords("replicated typed words"), RequestTimeout)));
        Assert.Equal(new WordsChanged(3), viaFollower.Response);
        var viaLeader = Assert.IsType<TypedWriteResult>(await AskAsync(leader, new TypedWrite(new AddWords("typed again"), RequestTimeout)));
        Assert.Equal(new WordsChanged(2), viaLeader.Response);
        Assert.True(viaLeader.Index > viaFollower.Index);

        // Every peer deserialized the same bytes and applied them: each one's own state says so.
        foreach (var node in cluster.Nodes)
        {
            await TestCluster.WaitForAsync(async () =>
                    await AskAsync(node, new TypedQuery(new CountOf("typed"), ReadLevel.Stale)) is TypedQueryResponse { Response: WordCount { Count: 2 } } read
                    && read.AppliedIndex >= viaLeader.Index,
                $"{node.Id} to have applied both writes", TimeSpan.FromSeconds(30));
        }

        var consistent = Assert.IsType<TypedQueryResponse>(await AskAsync(follower, new TypedQuery(new CountOf("typed"), ReadLevel.Consistent, RequestTimeout)));
        Assert.Equal(new WordCount("typed", 2), consistent.Response);
        Assert.Equal(ReadPath.FollowerReadIndex, consistent.ServedBy); // the follower answered it, with a read index from the leader
        Assert.True(consistent.AppliedIndex >= viaLeader.Index);
    }

    [Fact]
    public async Task A_typed_command_outside_the_allowed_types_should_be_refused_through_any_member_never_proposed_and_everything_should_go_on()
    {
        var leader = await LeaderAsync();
        var follower = cluster.Nodes.First(n => n != leader);
        Assert.IsType<TypedWriteResult>(await AskAsync(leader, new TypedWrite(new AddWords("before the refusal"), RequestTimeout)));
        var before = await leader.StatusAsync();

        foreach (var node in new[] { follower, leader })
        {
            var refused = Assert.IsType<RequestRejected>(await AskAsync(node, new TypedWrite(new ShoutWords("refused loud words"), RequestTimeout)));
            Assert.Equal(
                "typed write refused, nothing was proposed: the type 'AkkaRaft.Samples.ShoutWords, AkkaRaft.Samples' is not in " +
                "akka.actor.serialization-settings.hyperion.allowed-types (add \"AkkaRaft.Samples.ShoutWords, AkkaRaft.Samples\" there to accept it)",
                refused.Reason);
        }

        var query = Assert.IsType<RequestRejected>(await AskAsync(follower, new TypedQuery(new ShoutWords("loud"), ReadLevel.Stale)));
        Assert.StartsWith("typed query refused: the type 'AkkaRaft.Samples.ShoutWords, AkkaRaft.Samples' is not in", query.Reason);

        // Nothing was proposed: the leader's log did not grow (an election in between would add its no-op, in a new term).
        var after = await leader.StatusAsync();
        Assert.True(after.LastIndex == before.LastIndex || after.Term != before.Term,
            $"the log grew from {before.LastIndex} to {after.LastIndex} in term {before.Term}");
        foreach (var node in cluster.Nodes)
        {
            var loud = Assert.IsType<TypedQueryResponse>(await AskAsync(node, new TypedQuery(new CountOf("LOUD"), ReadLevel.Stale)));
            Assert.Equal(new WordCount("LOUD", 0), loud.Response);
        }

        // The same app, over the same connections, goes on; so do the nodes.
        var next = Assert.IsType<TypedWriteResult>(await AskAsync(follower, new TypedWrite(new AddWords("still served"), RequestTimeout)));
        Assert.Equal(new WordsChanged(2), next.Response);
        foreach (var node in cluster.Nodes)
        {
            Assert.IsType<PeerStatus>(await InboxOf(node).Ask<object>(GetPeerStatus.Instance, AskTimeout));
        }
    }
}
