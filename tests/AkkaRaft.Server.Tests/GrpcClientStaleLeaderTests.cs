using AkkaRaft.Client.Grpc;
using AkkaRaft.Grpc.V1;
using AkkaRaft.Server.Grpc;
using Grpc.Core;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.DependencyInjection;
using KvClient = AkkaRaft.Client.Grpc.KvClient;

namespace AkkaRaft.Server.Tests;

/// <summary>
/// A member that names a leader at an address nobody listens on (a record the directory has not caught up with: CI27
/// saw a follower name a restarted node at its old gRPC port for 30 s) must not trap the client: it stops following
/// that name once it could not connect there, and goes on round its endpoints to the real leader.
/// </summary>
public sealed class GrpcClientStaleLeaderTests : IAsyncLifetime
{
    private readonly string _dir = TestCluster.TempDirectory("grpc-stale-leader");
    private GrpcTestNode? _leader;
    private WebApplication? _stale;

    public async Task InitializeAsync()
    {
        _leader = await GrpcTestNode.StartAsync("real", _dir);
        await GrpcTestNode.WaitForLeaderAsync(_leader, members: 1);
        var builder = WebApplication.CreateEmptyBuilder(new WebApplicationOptions());
        builder.WebHost.UseKestrelCore();
        builder.WebHost.ConfigureKestrel(k => k.ConfigureEndpointDefaults(listen => listen.Protocols = HttpProtocols.Http2));
        builder.Services.AddRoutingCore();
        builder.Services.AddGrpc();
        builder.Services.AddSingleton(new StaleMember($"127.0.0.1:{TestCluster.FreePort()}"));
        _stale = builder.Build();
        _stale.Urls.Add("http://127.0.0.1:0");
        _stale.UseRouting();
        _stale.MapGrpcService<StaleMember>();
        await _stale.StartAsync();
    }

    public async Task DisposeAsync()
    {
        if (_stale is not null) await _stale.DisposeAsync();
        if (_leader is not null) await _leader.DisposeAsync();
        Directory.Delete(_dir, recursive: true);
    }

    [Fact]
    public async Task A_leader_named_at_a_dead_address_is_not_followed_round_and_round()
    {
        var stale = _stale!.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.Single().Replace("http://", "", StringComparison.Ordinal);
        using var client = new AkkaRaftGrpcClient(new AkkaRaftGrpcClientOptions
        {
            // The stale member first; the real leader second. Before the fix the client went stale -> dead -> stale ->
            // dead until its deadline, never trying the second endpoint.
            Endpoints = [stale, _leader!.Grpc.Address.ToString()],
            Deadline = TimeSpan.FromSeconds(8),
            JitterSeed = 3,
        });
        var put = await new KvClient(client).PutAsync("stale/leader", "found");
        Assert.Equal("real", put.Header.MemberId);
        Assert.Equal(_leader.Grpc.Address.ToString(), client.LastLeader);
    }

    /// <summary>A member that answers every put UNAVAILABLE, naming the leader at an address nobody listens on.</summary>
    internal sealed class StaleMember(string deadLeader) : AkkaRaft.Grpc.V1.Kv.KvBase
    {
        public override Task<PutResponse> Put(PutRequest request, ServerCallContext context) =>
            throw new RpcException(new Status(StatusCode.Unavailable, "this node is not the leader"),
                new Metadata { { RaftCalls.LeaderIdTrailer, "gone" }, { RaftCalls.LeaderAddressTrailer, deadLeader } });
    }
}

/// <summary>
/// A node started again gets a new gRPC port (":0"); the cluster must learn it. The replicated record of the earlier
/// start used to win over the new address in the node's own directory, and was never published again.
/// </summary>
public sealed class GrpcAddressAfterRestartTests : IDisposable
{
    private readonly string _dir = TestCluster.TempDirectory("grpc-restart");

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    [Fact]
    public async Task A_restarted_node_advertises_its_new_grpc_address_in_the_cluster_directory()
    {
        string before;
        await using (var first = await GrpcTestNode.StartAsync("again", _dir))
        {
            before = first.Grpc.Address.ToString();
            await GrpcTestNode.WaitForLeaderAsync(first, members: 1);
            await TestCluster.WaitForAsync(async () => await StoredGrpcAsync(first) == before, "the first start's gRPC address in the member record");
        }

        await using var second = await GrpcTestNode.StartAsync("again", _dir);
        var after = second.Grpc.Address.ToString();
        Assert.NotEqual(before, after);
        await GrpcTestNode.WaitForLeaderAsync(second, members: 1);
        await TestCluster.WaitForAsync(async () => await StoredGrpcAsync(second) == after, $"the new gRPC address {after} in the member record (was {before})");
        var status = await second.Cluster.StatusAsync(new StatusRequest());
        Assert.Equal(after, Assert.Single(status.Members).GrpcAddress);
    }

    /// <summary>The gRPC address in the node's replicated member record, as any member reads it.</summary>
    private static async Task<string?> StoredGrpcAsync(GrpcTestNode node)
    {
        var record = await node.Kv.GetAsync(new GetRequest { Key = Google.Protobuf.ByteString.CopyFromUtf8("_akkaraft/members/again"), Level = ReadLevel.Consistent });
        return record.Found ? System.Text.Json.JsonDocument.Parse(record.Kv.Value.ToStringUtf8()).RootElement.TryGetProperty("grpc", out var grpc) ? grpc.GetString() : null : null;
    }
}
