using Akka.Actor;
using Akka.Cluster;
using Akka.Cluster.Tools.Client;
using Akka.Cluster.Tools.Client.Serialization;
using Akka.Cluster.Tools.PublishSubscribe;
using Akka.Cluster.Tools.PublishSubscribe.Serialization;
using Akka.Cluster.Serialization;
using Akka.Serialization;
using AkkaRaft.Client;
using AkkaRaft.Client.TimeSeries;
using AkkaRaft.Client.Typed;
using AkkaRaft.Client.Wire;
using AkkaRaft.ClientApp;
using AkkaRaft.Configuration;
using AkkaRaft.Raft.Core;
using AkkaRaft.Raft.Serialization;
using AkkaRaft.Raft.Wire;
using AkkaRaft.Samples;
using AkkaRaft.Server.Node;

namespace AkkaRaft.Server.Tests;

/// <summary>
/// Nothing AkkaRaft sends falls back to Akka's default (Newtonsoft JSON) serializer: under the actor system a node
/// really runs (<see cref="NodeCluster.AkkaConfig"/>: cluster provider, reference.conf, ClusterClient and
/// DistributedPubSub defaults) and under the client app's, every message type that crosses the wire or goes to the
/// journal finds one of AkkaRaft's serializers (101 peer, 102 journal, 103 client), the users' own objects inside the
/// typed client messages go through Hyperion (-5), and ClusterClient's envelopes and Akka.Cluster's own messages find
/// Akka's protobuf serializers.
/// </summary>
public sealed class WireSerializerBindingTests(WireSerializerBindingTests.Systems systems) : IClassFixture<WireSerializerBindingTests.Systems>
{
    private readonly ActorSystem _node = systems.Node;
    private readonly ActorSystem _client = systems.Client;

    /// <summary>A node's actor system and the client app's, made once for the tests of this class (they only look up serializers).</summary>
    public sealed class Systems : IDisposable
    {
        private readonly string _dataDir = TestCluster.TempDirectory("bindings");

        public Systems()
        {
            Node = ActorSystem.Create("akkaraft", NodeCluster.AkkaConfig(ConfigurationFactory.Default(), "127.0.0.1", 0, _dataDir));
            var options = new ClientOptions(ClientMode.ClusterClient, ["127.0.0.1:1"], "k", "v", "127.0.0.1", RaftPaths.SystemName);
            Client = ActorSystem.Create("client", AkkaRaft.ClientApp.Program.AkkaConfig(options));
        }

        public ActorSystem Node { get; }

        public ActorSystem Client { get; }

        public void Dispose()
        {
            Node.Terminate().Wait(TimeSpan.FromSeconds(10));
            Client.Terminate().Wait(TimeSpan.FromSeconds(10));
            Directory.Delete(_dataDir, recursive: true);
        }
    }

    /// <summary>One instance of every Raft peer message; the test below checks no type is missing.</summary>
    private static readonly object[] PeerMessages =
    [
        new RequestVote(1, 2, 7, 10, 6, PreVote: true, LeadershipTransfer: false),
        new RequestVoteResponse(2, 1, 7, PreVote: false, Granted: true),
        new AppendEntries(1, 2, 7, 4, 3, [new Entry(3, 5, EntryType.Normal, [1, 2])], 5),
        new AppendEntriesResponse(2, 1, 7, Success: false, Index: 9, RejectHint: 4, LogTermHint: 3),
        new Heartbeat(1, 3, 7, Commit: 12, Round: 99),
        new HeartbeatResponse(3, 1, 7, Round: 99),
        new InstallSnapshot(1, 4, 7, new Snapshot(new SnapshotMetadata(40, 6, ConfState.OfVoters(1, 2, 3)), [7])),
        new AkkaRaft.Raft.Peer.Snapshots.SnapshotOffer(1, 4, 7, new SnapshotMetadata(40, 6, ConfState.OfVoters(1, 2, 3)), 1024, 0xDEADBEEF, "127.0.0.1:9000", new byte[16]),
        new TimeoutNow(1, 2, 7),
        new ReadIndexRequest(2, 1, 7, 41),
        new ReadIndexResponse(1, 2, 7, 41, 99, true),
    ];

    /// <summary>One instance of every client protocol message; the test below checks no type is missing.</summary>
    private static readonly object[] ClientMessages =
    [
        new Write([1, 2], TimeSpan.FromSeconds(2), NotLeaderPolicy.Reject),
        new WriteResult(new byte[] { 4 }, 13, 1),
        new Query([5], ReadLevel.Consistent),
        new QueryResponse(new byte[] { 8 }, 12, 1, ReadPath.ReadIndex),
        new NotLeader(3, "no"),
        new Overloaded("full"),
        new RequestTimedOut(TimeSpan.FromSeconds(1)),
        new RequestRejected("bad"),
        new StorageUnavailable("disk full", true),
        new AddVoter(4, TimeSpan.FromSeconds(3)),
        new RemoveVoter(4),
        new MembershipChanged(9, [1, 2, 4]) { Learners = [5] },
        new AddLearner(5, PromoteWhenCaughtUp: true, TimeSpan.FromSeconds(3)),
        new SetConfiguration([6, 7], [1], ExpectVoters: [1, 2], TimeSpan.FromSeconds(4)),
        new ConfigurationMismatch([1, 2], [5]),
        new ConfigurationChangeInProgress("busy"),
        new TransferLeadership(2),
        GetPeerStatus.Instance,
        new PeerStatus(1, RaftRole.Leader, 5, 1, 10, 9, 1, 10, [1, 2], new RaftPeerCounters(1, 2, 3, 4, 5, 6))
        {
            Members = [new MemberProgress(1, true, new ReplicationProgress(ProgressState.Replicate, 10, 11)), new MemberProgress(2, false, null)],
            CommitLatency = new CommitLatencyHistogram(new long[CommitLatencyHistogram.BucketBoundsSeconds.Count + 1], TimeSpan.FromMilliseconds(3), 0),
        },
        GetClusterMembers.Instance,
        new ClusterMembers([new ClusterMember(7, "n1", "127.0.0.1:1", "127.0.0.1:2")]),
        new TypedWrite(new AddWords("a typed command"), TimeSpan.FromSeconds(2), NotLeaderPolicy.Reject),
        new TypedWriteResult(new WordsChanged(3), 14, 1),
        new TypedQuery(new CountOf("typed"), ReadLevel.Stale, TimeSpan.FromSeconds(1)),
        new TypedQueryResponse(new WordCount("typed", 2), 15, 1, ReadPath.Lease),
        new PutTimeData("cpu", 1427162400, 0.5, TimeUnit.Seconds, TimeSpan.FromSeconds(2), NotLeaderPolicy.Reject),
        new PutTimeDataBatch([new("cpu", [new TimePoint(1, 1.5), new TimePoint(2, 2.5)]), new("mem", [new TimePoint(1, 3)])], TimeUnit.Milliseconds),
        new GetTimeData("cpu", 10, null, ReadLevel.Consistent, TimeUnit.Milliseconds, TimeSpan.FromSeconds(1)),
        new TimeDataWritten(3, 1, 17, 2),
        new TimeData("cpu", TimeUnit.Seconds, [new TimePoint(1, 1.5)], 17, 2),
        new TimeDataRefused(TsStatus.OutOfWindow, "too old", "cpu", 7200),
    ];

    private static IEnumerable<Type> ConcreteTypes(Type assemblyOf, Type baseType) =>
        assemblyOf.Assembly.GetTypes().Where(t => baseType.IsAssignableFrom(t) && t is { IsAbstract: false, IsInterface: false });

    [Fact]
    public void Every_peer_and_client_message_type_should_have_an_instance_here()
    {
        Assert.Equal(ConcreteTypes(typeof(RaftMessage), typeof(RaftMessage)).OrderBy(t => t.Name), PeerMessages.Select(m => m.GetType()).OrderBy(t => t.Name));
        Assert.Equal(ConcreteTypes(typeof(IRaftClientMessage), typeof(IRaftClientMessage)).OrderBy(t => t.Name), ClientMessages.Select(m => m.GetType()).OrderBy(t => t.Name));
    }

    [Fact]
    public void On_a_node_every_peer_client_and_journal_message_should_go_through_an_akkaraft_serializer_and_come_back_the_same()
    {
        var journalTypes = new[] { "AkkaRaft.Raft.Peer.Protocol.RaftJournalEvent", "AkkaRaft.Raft.Peer.Protocol.PeerSnapshotRecord" }
            .Select(name => typeof(RaftJournalSerializer).Assembly.GetType(name, throwOnError: true)!);
        var expected = PeerMessages.Select(m => (m, RaftWireSerializer.Id))
            .Concat(ClientMessages.Select(m => (m, RaftClientSerializer.Id)))
            .Concat(journalTypes.Select(t => (Activator.CreateInstance(t)!, RaftJournalSerializer.Id)));
        foreach (var (message, id) in expected)
        {
            var serializer = _node.Serialization.FindSerializerFor(message);
            Assert.True(serializer.Identifier == id, $"{message.GetType().Name} goes to {serializer.GetType().Name} ({serializer.Identifier}), not AkkaRaft's {id}");
            AssertComesBackTheSame(_node, message);
        }
    }

    [Fact]
    public void In_the_client_app_every_client_message_should_go_through_the_client_serializer()
    {
        foreach (var message in ClientMessages)
        {
            Assert.Equal(RaftClientSerializer.Id, _client.Serialization.FindSerializerFor(message).Identifier);
            AssertComesBackTheSame(_client, message);
        }
    }

    [Fact]
    public void Inside_the_typed_messages_a_users_object_should_go_through_hyperion_and_a_node_should_keep_a_request_unread()
    {
        foreach (var system in new[] { _node, _client })
        {
            var payloads = PayloadSerialization.Get(system);
            foreach (var value in new object[] { new AddWords("a b"), new WordsChanged(2), new CountOf("a"), new WordCount("a", 1) })
            {
                var payload = payloads.Serialize(value);
                Assert.True(payload.SerializerId == -5, $"{value.GetType().Name} went to serializer {payload.SerializerId}, not Hyperion's -5");
                Assert.IsType<HyperionSerializer>(system.Serialization.FindSerializerForType(value.GetType(), PayloadSerialization.HyperionName));
            }
        }

        // A request that arrives holds its object serialized: the node routes it without reading it.
        var arrived = Assert.IsType<TypedWrite>(RoundTrip(_node, new TypedWrite(new AddWords("routed unread"))));
        var payloadArrived = Assert.IsType<SerializedPayload>(arrived.Command);
        Assert.Equal(-5, payloadArrived.SerializerId);
        // An answer that arrives holds the object itself.
        Assert.Equal(new WordCount("a", 1), Assert.IsType<TypedQueryResponse>(RoundTrip(_client, new TypedQueryResponse(new WordCount("a", 1), 1, 1, ReadPath.Local))).Response);
    }

    [Fact]
    public void Cluster_client_envelopes_should_go_through_akkas_protobuf_serializers_with_our_message_inside()
    {
        var write = new Write([1, 2, 3], null, NotLeaderPolicy.Reject);
        foreach (var system in new[] { _node, _client })
        {
            // What the client sends the receptionist, and the receptionist the mediator: DistributedPubSub's Send.
            var envelope = new Send(RaftPaths.InboxServicePath, write, localAffinity: false);
            Assert.IsType<DistributedPubSubMessageSerializer>(system.Serialization.FindSerializerFor(envelope));
            var back = Assert.IsType<Send>(RoundTrip(system, envelope));
            Assert.Equal(RaftPaths.InboxServicePath, back.Path);
            Assert.Equal(write.Command, Assert.IsType<Write>(back.Message).Command);

            // ClusterClient's own commands, with the legacy JSON serialization turned off.
            Assert.IsType<ClusterClientMessageSerializer>(system.Serialization.FindSerializerFor(new ClusterClient.Send(RaftPaths.InboxServicePath, write)));
            foreach (var type in ConcreteTypes(typeof(ClusterClient), typeof(IClusterClientMessage)))
            {
                Assert.IsType<ClusterClientMessageSerializer>(system.Serialization.FindSerializerForType(type));
            }

            foreach (var type in ConcreteTypes(typeof(DistributedPubSub), typeof(IDistributedPubSubMessage)))
            {
                Assert.IsType<DistributedPubSubMessageSerializer>(system.Serialization.FindSerializerForType(type));
            }
        }

        // A node's gossip, heartbeats and joins: Akka.Cluster's protobuf serializer.
        foreach (var type in ConcreteTypes(typeof(Cluster), typeof(IClusterMessage)))
        {
            Assert.IsType<ClusterMessageSerializer>(_node.Serialization.FindSerializerForType(type));
        }
    }

    [Fact]
    public void A_node_should_never_down_a_member_by_itself_nor_stop_when_downed()
    {
        var cluster = Cluster.Get(_node);
        Assert.IsType<NoDowning>(cluster.DowningProvider);
        Assert.False(cluster.Settings.RunCoordinatedShutdownWhenDown);
    }

    private static object RoundTrip(ActorSystem system, object message)
    {
        var serializer = system.Serialization.FindSerializerFor(message);
        var manifest = Akka.Serialization.Serialization.ManifestFor(serializer, message);
        return system.Serialization.Deserialize(serializer.ToBinary(message), serializer.Identifier, manifest);
    }

    /// <summary>Records holding lists do not compare by content, so "the same" is: serializing what came back gives the same bytes.</summary>
    private static void AssertComesBackTheSame(ActorSystem system, object message)
    {
        var serializer = system.Serialization.FindSerializerFor(message);
        var bytes = serializer.ToBinary(message);
        var back = RoundTrip(system, message);
        Assert.IsType(message.GetType(), back);
        Assert.Equal(bytes, serializer.ToBinary(back));
    }
}
