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
