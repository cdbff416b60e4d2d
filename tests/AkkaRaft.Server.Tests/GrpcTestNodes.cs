using AkkaRaft.Grpc.V1;
using AkkaRaft.Server.Grpc;
using Grpc.Core;
using Grpc.Net.Client;
using KvClient = AkkaRaft.Grpc.V1.Kv.KvClient;

namespace AkkaRaft.Server.Tests;

/// <summary>An in-process node with its HTTP and gRPC APIs, and a gRPC channel to it (h2c, HTTP/2 prior knowledge).</summary>
internal sealed class GrpcTestNode : IAsyncDisposable
{
    private GrpcTestNode(InProcessNode node, GrpcFrontEnd grpc)
    {
        Node = node;
        Grpc = grpc;
        Channel = GrpcChannel.ForAddress($"http://{grpc.Address}");
        Kv = new KvClient(Channel);
        Cluster = new Cluster.ClusterClient(Channel);
    }

    public InProcessNode Node { get; }

    public GrpcFrontEnd Grpc { get; }

    public GrpcChannel Channel { get; }

    public KvClient Kv { get; }

    public Cluster.ClusterClient Cluster { get; }

    public string Id => Node.Node.Id;

    public static async Task<GrpcTestNode> StartAsync(string id, string dataDir, IReadOnlyDictionary<string, string>? extra = null)
    {
        // A port of the OS's choosing, unless the test names one.
        var settings = new Dictionary<string, string>(extra ?? new Dictionary<string, string>());
        settings.TryAdd("akkaraft.grpc.address", TestCluster.Quote("127.0.0.1:0"));
        var node = await InProcessNode.StartAsync(id, dataDir, settings);
        var grpc = await GrpcFrontEnd.StartAsync(node.Node) ?? throw new InvalidOperationException("the gRPC API is off");
        return new GrpcTestNode(node, grpc);
    }

    public async ValueTask DisposeAsync()
    {
        Channel.Dispose();
        await Grpc.DisposeAsync();
        await Node.DisposeAsync();
    }

    /// <summary>
    /// Nodes <paramref name="ids"/> founding a static cluster on loopback, each with its gRPC API, under
    /// <paramref name="root"/>; <paramref name="extra"/> settings go to every node. A leader stopping beside a stopped
    /// follower waits 1 s (akkaraft.http.shutdown-timeout) to hand leadership over.
    /// </summary>
    public static async Task<List<GrpcTestNode>> StartStaticClusterAsync(string root, IReadOnlyList<string> ids, IReadOnlyDictionary<string, string>? extra = null)
    {
        var ports = ids.Select(_ => TestCluster.FreePort()).ToArray();
        var peers = string.Join(",", ids.Select((id, i) => $"{id}=127.0.0.1:{ports[i]}"));
        var nodes = new List<GrpcTestNode>();
        for (var i = 0; i < ids.Count; i++)
        {
            var settings = new Dictionary<string, string>(extra ?? new Dictionary<string, string>())
            {
                ["akkaraft.node.peers"] = TestCluster.Quote(peers),
                ["akkaraft.node.raft-address"] = TestCluster.Quote($"127.0.0.1:{ports[i]}"),
                ["akkaraft.http.shutdown-timeout"] = "1s",
            };
            nodes.Add(await StartAsync(ids[i], Path.Combine(root, ids[i]), settings));
        }

        return nodes;
    }

    /// <summary>
    /// What a test of DEADLINE_EXCEEDED needs: a leader that lost its only follower stays leader (check-quorum off), so
    /// its writes wait, and a call waits at most 1 s.
    /// </summary>
    public static IReadOnlyDictionary<string, string> LeaderWithoutQuorumStays { get; } = new Dictionary<string, string>
    {
        ["akkaraft.raft.check-quorum"] = "off",
        ["akkaraft.grpc.request-timeout"] = "1s",
    };

    /// <summary>Metadata asking a follower to pass the call on to the leader.</summary>
    public static Metadata Forward => new() { { RaftCalls.ForwardHeader, "true" } };

    /// <summary>The status of a call that must fail.</summary>
    public static async Task<RpcException> FailsAsync<T>(AsyncUnaryCall<T> call)
    {
        using (call) return await Assert.ThrowsAsync<RpcException>(() => call.ResponseAsync);
    }

    /// <summary>Waits until <paramref name="node"/> knows a leader and every one of <paramref name="members"/> members' gRPC address.</summary>
    public static async Task<string> WaitForLeaderAsync(GrpcTestNode node, int members)
    {
        string? leader = null;
        await TestCluster.WaitForAsync(async () =>
        {
            var status = await node.Cluster.StatusAsync(new StatusRequest());
            leader = status.LeaderId;
            return leader.Length > 0 && status.Members.Count == members && status.Members.All(m => m.GrpcAddress.Length > 0);
        }, $"a leader, and every member's gRPC address, known to {node.Id}");
        return leader!;
    }
}
