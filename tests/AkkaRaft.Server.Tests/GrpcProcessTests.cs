using System.Text.Json;
using AkkaRaft.Grpc.V1;
using AkkaRaft.Server.Grpc;
using Google.Protobuf;
using Grpc.Core;
using Grpc.Net.Client;
using static AkkaRaft.Server.Tests.GrpcTestNode;
using KvClient = AkkaRaft.Grpc.V1.Kv.KvClient;

namespace AkkaRaft.Server.Tests;

/// <summary>
/// The gRPC API of three real <c>akkaraft serve</c> processes (the shared process cluster, started without
/// <c>-gaddr</c>: the default <c>akkaraft.grpc.address = ":0"</c> gives each its own port, advertised in /status).
/// </summary>
[Collection(ServerProcessCollection.Name)]
public sealed class GrpcProcessTests(ServerProcessFixture fixture)
{
    [Fact]
    public async Task A_follower_process_answers_UNAVAILABLE_with_the_leaders_gRPC_address_in_the_trailers_and_a_forwarded_put_commits()
    {
        var cluster = fixture.Cluster;
        var leader = await cluster.LeaderAsync(fixture.Http, cluster.Nodes[0]);
        var follower = cluster.Nodes.First(n => n != leader);
        string leaderGrpc = "", followerGrpc = "";
        await cluster.WaitForAsync(async () =>
        {
            var status = await TestCluster.StatusAsync(fixture.Http, follower.Http);
            followerGrpc = status.GetProperty("grpcAddress").GetString() ?? "";
            var known = status.GetProperty("members").EnumerateArray().FirstOrDefault(m => m.GetProperty("id").GetString() == leader.Id);
            leaderGrpc = known.ValueKind == JsonValueKind.Object && known.GetProperty("grpcAddress").ValueKind == JsonValueKind.String ? known.GetProperty("grpcAddress").GetString()! : "";
            return leaderGrpc.Length > 0 && followerGrpc.Length > 0;
        }, $"{follower.Id}'s /status to name its own and the leader's ({leader.Id}) gRPC address");

        using var followerChannel = GrpcChannel.ForAddress($"http://{followerGrpc}");
        using var leaderChannel = GrpcChannel.ForAddress($"http://{leaderGrpc}");
        var viaFollower = new KvClient(followerChannel);
        var key = ByteString.CopyFromUtf8($"grpc-process/{Guid.NewGuid():N}");

        var refused = await FailsAsync(viaFollower.PutAsync(new PutRequest { Key = key, Value = ByteString.CopyFromUtf8("refused") }));
        Assert.Equal(StatusCode.Unavailable, refused.StatusCode);
        Assert.Equal(leader.Id, refused.Trailers.GetValue(RaftCalls.LeaderIdTrailer));
        Assert.Equal(leaderGrpc, refused.Trailers.GetValue(RaftCalls.LeaderAddressTrailer));

        var forwarded = await viaFollower.PutAsync(new PutRequest { Key = key, Value = ByteString.CopyFromUtf8("forwarded") }, Forward, DateTime.UtcNow.AddSeconds(15));
        Assert.Equal(leader.Id, forwarded.Header.LeaderId);
        var read = await new KvClient(leaderChannel).GetAsync(new GetRequest { Key = key, Level = ReadLevel.Consistent });
        Assert.Equal("forwarded", read.Kv.Value.ToStringUtf8());
        Assert.Equal(forwarded.ModIndex, read.Kv.ModIndex);
    }
}
