using AkkaRaft.Grpc.V1;
using AkkaRaft.Server.Grpc;
using Google.Protobuf;
using Grpc.Core;
using static AkkaRaft.Server.Tests.GrpcTestNode;

namespace AkkaRaft.Server.Tests;

/// <summary>
/// Two in-process nodes founding a static cluster, each with its gRPC API: what a follower answers, a call it passes
/// on, membership through it, and a write that cannot commit.
/// </summary>
public sealed class GrpcClusterTests : IAsyncLifetime
{
    private readonly string _root = TestCluster.TempDirectory("grpc-cluster");
    private readonly List<GrpcTestNode> _nodes = [];

    private static ByteString B(string text) => ByteString.CopyFromUtf8(text);

    public async Task InitializeAsync() => _nodes.AddRange(await GrpcTestNode.StartStaticClusterAsync(_root, ["c1", "c2"], GrpcTestNode.LeaderWithoutQuorumStays));

    public async Task DisposeAsync()
    {
        foreach (var node in _nodes) await node.DisposeAsync();
        Directory.Delete(_root, recursive: true);
    }

    private async Task<(GrpcTestNode Leader, GrpcTestNode Follower)> RolesAsync()
    {
        var leaderId = "";
        foreach (var node in _nodes) leaderId = await WaitForLeaderAsync(node, members: 2);
        return (_nodes.Single(n => n.Id == leaderId), _nodes.Single(n => n.Id != leaderId));
    }

    [Fact]
    public async Task A_follower_answers_UNAVAILABLE_naming_the_leader_and_passes_the_call_on_when_asked()
    {
        var (leader, follower) = await RolesAsync();

        var refused = await FailsAsync(follower.Kv.PutAsync(new PutRequest { Key = B("f/a"), Value = B("1") }));
        Assert.Equal(StatusCode.Unavailable, refused.StatusCode);
        Assert.Equal(leader.Id, refused.Trailers.GetValue(RaftCalls.LeaderIdTrailer));
        Assert.Equal(leader.Grpc.Address.ToString(), refused.Trailers.GetValue(RaftCalls.LeaderAddressTrailer));
        Assert.False((await leader.Kv.GetAsync(new GetRequest { Key = B("f/a") })).Found);

        var forwarded = await follower.Kv.PutAsync(new PutRequest { Key = B("f/a"), Value = B("1") }, Forward);
        Assert.Equal(leader.Id, forwarded.Header.LeaderId);
        var read = await leader.Kv.GetAsync(new GetRequest { Key = B("f/a"), Level = ReadLevel.Consistent });
        Assert.Equal(forwarded.ModIndex, read.Kv.ModIndex);

        // A stale read is the follower's own; a consistent one it serves itself after a read index from the leader.
        var consistent = await follower.Kv.GetAsync(new GetRequest { Key = B("f/a"), Level = ReadLevel.Consistent });
        Assert.Equal("1", consistent.Kv.Value.ToStringUtf8());
        var defaultRead = await FailsAsync(follower.Kv.GetAsync(new GetRequest { Key = B("f/a") }));
        Assert.Equal(StatusCode.Unavailable, defaultRead.StatusCode);
        Assert.Equal("1", (await follower.Kv.GetAsync(new GetRequest { Key = B("f/a") }, Forward)).Kv.Value.ToStringUtf8());

        // Membership calls too: refused with the leader's address, or passed on over gRPC.
        var transfer = await FailsAsync(follower.Cluster.TransferLeaderAsync(new TransferLeaderRequest { Id = follower.Id }));
        Assert.Equal(StatusCode.Unavailable, transfer.StatusCode);
        Assert.Equal(leader.Grpc.Address.ToString(), transfer.Trailers.GetValue(RaftCalls.LeaderAddressTrailer));
        var moving = await follower.Cluster.TransferLeaderAsync(new TransferLeaderRequest { Id = follower.Id }, Forward);
        Assert.Equal(follower.Id, moving.TransferringTo);
        await TestCluster.WaitForAsync(async () => (await follower.Cluster.StatusAsync(new StatusRequest())).Role == NodeRole.Leader, $"{follower.Id} to lead");
    }

    [Fact]
    public async Task A_node_joins_through_a_follower_and_SetVoters_and_Remove_change_the_configuration()
    {
        var (leader, follower) = await RolesAsync();
        // A third node that neither founds nor knows its cluster: it waits to be added (its join goes through gRPC here).
        await using var joiner = await GrpcTestNode.StartAsync("c3", Path.Combine(_root, "c3"), new Dictionary<string, string>
        {
            ["akkaraft.node.join"] = TestCluster.Quote(follower.Node.Address),
        });
        var joined = await follower.Cluster.JoinAsync(new JoinRequest
        {
            Id = "c3",
            RaftAddress = joiner.Node.Node.RaftAddress.ToString(),
            HttpAddress = joiner.Node.Address,
            GrpcAddress = joiner.Grpc.Address.ToString(),
        }, Forward);
        Assert.Equal(MemberRole.Follower, joined.Role);
        Assert.Equal(leader.Id, joined.Header.MemberId);
        Assert.Contains(joined.Members, m => m.Id == "c3" && m.GrpcAddress == joiner.Grpc.Address.ToString());

        var mismatch = await FailsAsync(leader.Cluster.SetVotersAsync(new SetVotersRequest { Voters = { "c1", "c2" }, Expect = new NodeIdSet { Ids = { "c1", "c2" } } }));
        Assert.Equal(StatusCode.FailedPrecondition, mismatch.StatusCode);
        Assert.Contains("[c1, c2, c3]", mismatch.Status.Detail);

        var set = await leader.Cluster.SetVotersAsync(new SetVotersRequest { Voters = { "c1", "c2" }, Learners = { "c3" }, Expect = new NodeIdSet { Ids = { "c1", "c2", "c3" } } });
        Assert.Equal(["c1", "c2"], set.Voters);
        Assert.Equal(["c3"], set.Learners);

        var removed = await follower.Cluster.RemoveAsync(new RemoveRequest { Id = "c3" }, Forward);
        Assert.True(removed.Header.Index > set.Header.Index);
        var status = await leader.Cluster.StatusAsync(new StatusRequest());
        Assert.Equal(["c1", "c2"], status.Members.Select(m => m.Id).Order());
    }

    [Fact]
    public async Task A_write_that_cannot_commit_is_DEADLINE_EXCEEDED_saying_it_may_still_commit()
    {
        var (leader, follower) = await RolesAsync();
        await follower.DisposeAsync();
        _nodes.Remove(follower);

        // akkaraft.grpc.request-timeout (1s) is shorter than the call's own deadline: the peer's timeout answers.
        var timedOut = await FailsAsync(leader.Kv.PutAsync(new PutRequest { Key = B("d/a"), Value = B("1") }, deadline: DateTime.UtcNow.AddSeconds(30)));
        Assert.Equal(StatusCode.DeadlineExceeded, timedOut.StatusCode);
        Assert.Contains("may still commit", timedOut.Status.Detail);

        // A call cancelled by its client stops waiting for the peer.
        using var cancel = new CancellationTokenSource(TimeSpan.FromMilliseconds(200));
        var cancelled = await FailsAsync(leader.Kv.PutAsync(new PutRequest { Key = B("d/b"), Value = B("1") }, cancellationToken: cancel.Token));
        Assert.Equal(StatusCode.Cancelled, cancelled.StatusCode);
    }
}
