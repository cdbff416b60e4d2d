using AkkaRaft.Grpc.V1;
using AkkaRaft.Server.Grpc;
using Google.Protobuf;
using Grpc.Core;
using static AkkaRaft.Server.Tests.GrpcTestNode;
using KvClient = AkkaRaft.Grpc.V1.Kv.KvClient;

namespace AkkaRaft.Server.Tests;

/// <summary>One node with small key/value limits and its gRPC API, shared by the tests of a class.</summary>
public sealed class GrpcNodeFixture : IAsyncLifetime
{
    private readonly string _dataDir = TestCluster.TempDirectory("grpc");
    private GrpcTestNode? _node;

    internal GrpcTestNode Node => _node!;

    public async Task InitializeAsync()
    {
        _node = await GrpcTestNode.StartAsync("g1", _dataDir, new Dictionary<string, string>
        {
            ["akkaraft.kv.max-value-bytes"] = "256",
            ["akkaraft.kv.max-key-bytes"] = "32",
            ["akkaraft.kv.max-batch-keys"] = "3",
            ["akkaraft.grpc.max-message-bytes"] = "2KiB",
        });
        await WaitForLeaderAsync(_node, members: 1);
    }

    public async Task DisposeAsync()
    {
        if (_node is not null) await _node.DisposeAsync();
        Directory.Delete(_dataDir, recursive: true);
    }
}

/// <summary>Every RPC of <c>akkaraft.v1.Kv</c> and the single-node answers of <c>akkaraft.v1.Cluster</c>, through a real gRPC channel.</summary>
public sealed class GrpcKvTests(GrpcNodeFixture fixture) : IClassFixture<GrpcNodeFixture>
{
    private KvClient Kv => fixture.Node.Kv;

    private static ByteString B(string text) => ByteString.CopyFromUtf8(text);

    [Fact]
    public async Task Put_answers_the_entry_index_and_Get_reads_it_back_at_every_level()
    {
        var put = await Kv.PutAsync(new PutRequest { Key = B("put/a"), Value = B("1") });
        Assert.Equal(put.Header.Index, put.ModIndex);
        Assert.Equal("g1", put.Header.MemberId);
        Assert.Equal("g1", put.Header.LeaderId);
        // The term of the put's entry, and the term each read was served in: the one node's only term.
        var term = (await fixture.Node.Cluster.StatusAsync(new StatusRequest())).Term;
        Assert.True(term > 0);
        Assert.Equal(term, put.Header.RaftTerm);

        foreach (var level in new[] { ReadLevel.Default, ReadLevel.Stale, ReadLevel.Consistent })
        {
            var get = await Kv.GetAsync(new GetRequest { Key = B("put/a"), Level = level });
            Assert.Equal(term, get.Header.RaftTerm);
            Assert.True(get.Found, $"found at {level}");
            Assert.Equal("1", get.Kv.Value.ToStringUtf8());
            Assert.Equal(put.ModIndex, get.Kv.ModIndex);
            Assert.True(get.Header.Index >= put.ModIndex, $"served at {get.Header.Index}, after the put at {put.ModIndex}");
        }
    }

    [Fact]
    public async Task Get_of_a_missing_key_is_not_found_without_an_error()
    {
        var get = await Kv.GetAsync(new GetRequest { Key = B("missing/never-written") });
        Assert.False(get.Found);
        Assert.Null(get.Kv);
        Assert.True(get.Header.Index > 0);
    }

    [Fact]
    public async Task Delete_deletes_once_and_with_an_expected_index_only_an_unchanged_key()
    {
        var put = await Kv.PutAsync(new PutRequest { Key = B("del/a"), Value = B("1") });
        Assert.Equal(1ul, (await Kv.DeleteAsync(new DeleteRequest { Key = B("del/a") })).Deleted);
        Assert.Equal(0ul, (await Kv.DeleteAsync(new DeleteRequest { Key = B("del/a") })).Deleted);

        var again = await Kv.PutAsync(new PutRequest { Key = B("del/a"), Value = B("2") });
        var stale = await FailsAsync(Kv.DeleteAsync(new DeleteRequest { Key = B("del/a"), ExpectedModIndex = put.ModIndex }));
        Assert.Equal(StatusCode.FailedPrecondition, stale.StatusCode);
        Assert.Equal(again.ModIndex.ToString(), stale.Trailers.GetValue(RaftCalls.CurrentIndexTrailer));
        Assert.True((await Kv.GetAsync(new GetRequest { Key = B("del/a") })).Found);

        Assert.Equal(1ul, (await Kv.DeleteAsync(new DeleteRequest { Key = B("del/a"), ExpectedModIndex = again.ModIndex })).Deleted);
        var absent = await FailsAsync(Kv.DeleteAsync(new DeleteRequest { Key = B("del/a"), ExpectedModIndex = again.ModIndex }));
        Assert.Equal(StatusCode.FailedPrecondition, absent.StatusCode);
        Assert.Equal("0", absent.Trailers.GetValue(RaftCalls.CurrentIndexTrailer));
    }

    [Fact]
    public async Task List_pages_through_a_prefix_in_key_order_and_leaves_out_the_cluster_records()
    {
        foreach (var key in new[] { "list/c", "list/a", "list/b", "listx" }) await Kv.PutAsync(new PutRequest { Key = B(key), Value = B(key.ToUpperInvariant()) });

        var first = await Kv.ListAsync(new ListRequest { Prefix = B("list/"), Limit = 2 });
        Assert.Equal(["list/a", "list/b"], first.Kvs.Select(kv => kv.Key.ToStringUtf8()));
        Assert.Equal("LIST/A", first.Kvs[0].Value.ToStringUtf8());
        Assert.True(first.More);
        var rest = await Kv.ListAsync(new ListRequest { Prefix = B("list/"), StartAfter = B("list/b"), Level = ReadLevel.Consistent });
        Assert.Equal(["list/c"], rest.Kvs.Select(kv => kv.Key.ToStringUtf8()));
        Assert.False(rest.More);

        var everything = await Kv.ListAsync(new ListRequest());
        Assert.DoesNotContain(everything.Kvs, kv => kv.Key.ToStringUtf8().StartsWith("_akkaraft/", StringComparison.Ordinal));
        // The node publishes its own record a moment after it leads; a listing that asks for them sees it.
        await TestCluster.WaitForAsync(async () => (await Kv.ListAsync(new ListRequest { Prefix = B("_akkaraft/members/") })).Kvs
            .Any(kv => kv.Key.ToStringUtf8() == "_akkaraft/members/g1" && kv.Value.ToStringUtf8().Contains(fixture.Node.Grpc.Address.ToString())), "g1's member record with its gRPC address");
    }

    [Fact]
    public async Task DeleteTree_deletes_every_key_under_the_prefix_and_an_empty_prefix_must_say_all_keys()
    {
        foreach (var key in new[] { "tree/a", "tree/b/c", "treeless" }) await Kv.PutAsync(new PutRequest { Key = B(key), Value = B("v") });
        var deleted = await Kv.DeleteTreeAsync(new DeleteTreeRequest { Prefix = B("tree/") });
        Assert.Equal(2ul, deleted.Deleted);
        Assert.Empty((await Kv.ListAsync(new ListRequest { Prefix = B("tree/") })).Kvs);
        Assert.True((await Kv.GetAsync(new GetRequest { Key = B("treeless") })).Found);

        var empty = await FailsAsync(Kv.DeleteTreeAsync(new DeleteTreeRequest()));
        Assert.Equal(StatusCode.InvalidArgument, empty.StatusCode);
        Assert.StartsWith("prefix:", empty.Status.Detail);
        Assert.True((await Kv.GetAsync(new GetRequest { Key = B("treeless") })).Found);
    }

    [Fact]
    public async Task Writes_under_the_cluster_records_are_PERMISSION_DENIED_and_deleting_all_keys_spares_them()
    {
        var record = B("_akkaraft/members/g1");
        // Once it carries the gRPC address: the node rewrites an earlier record without it.
        await TestCluster.WaitForAsync(async () => (await Kv.GetAsync(new GetRequest { Key = record })) is { Found: true } got
            && got.Kv.Value.ToStringUtf8().Contains(fixture.Node.Grpc.Address.ToString(), StringComparison.Ordinal), "g1's member record with its gRPC address");
        var before = (await Kv.GetAsync(new GetRequest { Key = record })).Kv;

        var refusals = new (string Field, Task Call)[]
        {
            ("key", Kv.PutAsync(new PutRequest { Key = record, Value = B("{}") }).ResponseAsync),
            ("key", Kv.DeleteAsync(new DeleteRequest { Key = record }).ResponseAsync),
            ("key", Kv.CompareAndSwapAsync(new CompareAndSwapRequest { Key = record, Value = B("{}"), ExpectedModIndex = before.ModIndex }).ResponseAsync),
            ("ops[1].put.key", Kv.BatchAsync(new BatchRequest { Ops = { new BatchOp { Put = new PutRequest { Key = B("mine"), Value = B("v") } }, new BatchOp { Put = new PutRequest { Key = B("_akkaraft/x"), Value = B("v") } } } }).ResponseAsync),
            ("ops[0].delete.key", Kv.BatchAsync(new BatchRequest { Ops = { new BatchOp { Delete = new DeleteRequest { Key = record } } } }).ResponseAsync),
            ("prefix", Kv.DeleteTreeAsync(new DeleteTreeRequest { Prefix = B("_akkaraft/") }).ResponseAsync),
        };
        foreach (var (field, call) in refusals)
        {
            var error = await Assert.ThrowsAsync<RpcException>(() => call);
            Assert.Equal(StatusCode.PermissionDenied, error.StatusCode);
            Assert.StartsWith($"{field}: ", error.Status.Detail);
            Assert.Contains("clients may read them but not write them", error.Status.Detail);
        }

        Assert.False((await Kv.GetAsync(new GetRequest { Key = B("mine") })).Found);
        await Kv.PutAsync(new PutRequest { Key = B("all/a"), Value = B("v") });
        var deleted = await Kv.DeleteTreeAsync(new DeleteTreeRequest { AllKeys = true });
        Assert.True(deleted.Deleted >= 1);
        Assert.False((await Kv.GetAsync(new GetRequest { Key = B("all/a") })).Found);
        var after = await Kv.GetAsync(new GetRequest { Key = record });
        Assert.True(after.Found);
        Assert.Equal(before.ModIndex, after.Kv.ModIndex);
    }

    [Fact]
    public async Task CompareAndSwap_creates_only_when_absent_and_swaps_only_at_the_expected_index()
    {
        var created = await Kv.CompareAndSwapAsync(new CompareAndSwapRequest { Key = B("cas/a"), Value = B("1") });
        var exists = await FailsAsync(Kv.CompareAndSwapAsync(new CompareAndSwapRequest { Key = B("cas/a"), Value = B("x") }));
        Assert.Equal(StatusCode.FailedPrecondition, exists.StatusCode);
        Assert.Equal(created.ModIndex.ToString(), exists.Trailers.GetValue(RaftCalls.CurrentIndexTrailer));

        var swapped = await Kv.CompareAndSwapAsync(new CompareAndSwapRequest { Key = B("cas/a"), Value = B("2"), ExpectedModIndex = created.ModIndex });
        Assert.True(swapped.ModIndex > created.ModIndex);
        var lost = await FailsAsync(Kv.CompareAndSwapAsync(new CompareAndSwapRequest { Key = B("cas/a"), Value = B("3"), ExpectedModIndex = created.ModIndex }));
        Assert.Equal(StatusCode.FailedPrecondition, lost.StatusCode);
        Assert.Contains("was modified", lost.Status.Detail);
        Assert.Equal("2", (await Kv.GetAsync(new GetRequest { Key = B("cas/a") })).Kv.Value.ToStringUtf8());
    }

    [Fact]
    public async Task Batch_is_one_entry_applied_all_or_nothing()
    {
        await Kv.PutAsync(new PutRequest { Key = B("batch/old"), Value = B("o") });
        var batch = await Kv.BatchAsync(new BatchRequest
        {
            Ops =
            {
                new BatchOp { Put = new PutRequest { Key = B("batch/a"), Value = B("1") } },
                new BatchOp { Put = new PutRequest { Key = B("batch/b"), Value = B("2") } },
                new BatchOp { Delete = new DeleteRequest { Key = B("batch/old") } },
            },
        });
        Assert.Equal(1ul, batch.Deleted);
        Assert.Equal(["batch/a", "batch/b", "batch/old"], batch.Kvs.Select(kv => kv.Key.ToStringUtf8()));
        Assert.All(batch.Kvs.Take(2), kv => Assert.Equal(batch.Header.Index, kv.ModIndex));

        // A delete of an absent key fails the whole batch: the put before it is not applied either.
        var failed = await FailsAsync(Kv.BatchAsync(new BatchRequest
        {
            Ops =
            {
                new BatchOp { Put = new PutRequest { Key = B("batch/c"), Value = B("3") } },
                new BatchOp { Delete = new DeleteRequest { Key = B("batch/old") } },
            },
        }));
        Assert.Equal(StatusCode.FailedPrecondition, failed.StatusCode);
        Assert.StartsWith("ops[1].delete.key: compare failed: key 'batch/old' does not exist", failed.Status.Detail);
        Assert.False((await Kv.GetAsync(new GetRequest { Key = B("batch/c") })).Found);
    }

    [Fact]
    public async Task Bad_input_is_INVALID_ARGUMENT_naming_the_field_and_writes_nothing()
    {
        var empty = await FailsAsync(Kv.PutAsync(new PutRequest { Value = B("v") }));
        Assert.Equal(StatusCode.InvalidArgument, empty.StatusCode);
        Assert.StartsWith("key:", empty.Status.Detail);

        var notUtf8 = await FailsAsync(Kv.PutAsync(new PutRequest { Key = ByteString.CopyFrom(0x6b, 0xff), Value = B("v") }));
        Assert.Equal(StatusCode.InvalidArgument, notUtf8.StatusCode);
        Assert.Contains("key: not valid UTF-8", notUtf8.Status.Detail);

        var control = await FailsAsync(Kv.GetAsync(new GetRequest { Key = B("bad\nkey") }));
        Assert.Equal(StatusCode.InvalidArgument, control.StatusCode);

        var twice = await FailsAsync(Kv.BatchAsync(new BatchRequest
        {
            Ops = { new BatchOp { Put = new PutRequest { Key = B("dup/a"), Value = B("1") } }, new BatchOp { Put = new PutRequest { Key = B("dup/a"), Value = B("2") } } },
        }));
        Assert.Equal(StatusCode.InvalidArgument, twice.StatusCode);
        Assert.StartsWith("ops[1].put.key:", twice.Status.Detail);

        var level = await FailsAsync(Kv.GetAsync(new GetRequest { Key = B("k"), Level = (ReadLevel)7 }));
        Assert.Equal(StatusCode.InvalidArgument, level.StatusCode);
        Assert.StartsWith("level:", level.Status.Detail);
        Assert.Empty((await Kv.ListAsync(new ListRequest { Prefix = B("dup/") })).Kvs);
    }

    [Fact]
    public async Task Too_large_is_RESOURCE_EXHAUSTED_naming_the_setting()
    {
        var value = await FailsAsync(Kv.PutAsync(new PutRequest { Key = B("big/v"), Value = ByteString.CopyFrom(new byte[257]) }));
        Assert.Equal(StatusCode.ResourceExhausted, value.StatusCode);
        Assert.Contains("akkaraft.kv.max-value-bytes", value.Status.Detail);
        Assert.StartsWith("value ", value.Status.Detail);

        var key = await FailsAsync(Kv.PutAsync(new PutRequest { Key = B(new string('k', 33)), Value = B("v") }));
        Assert.Equal(StatusCode.ResourceExhausted, key.StatusCode);
        Assert.Contains("akkaraft.kv.max-key-bytes", key.Status.Detail);

        var batch = new BatchRequest();
        for (var i = 0; i < 4; i++) batch.Ops.Add(new BatchOp { Put = new PutRequest { Key = B($"big/{i}"), Value = B("v") } });
        var ops = await FailsAsync(Kv.BatchAsync(batch));
        Assert.Equal(StatusCode.ResourceExhausted, ops.StatusCode);
        Assert.Contains("akkaraft.kv.max-batch-keys", ops.Status.Detail);

        // Larger than akkaraft.grpc.max-message-bytes: refused by gRPC itself before the service sees it.
        var message = await FailsAsync(Kv.PutAsync(new PutRequest { Key = B("big/m"), Value = ByteString.CopyFrom(new byte[4096]) }));
        Assert.Equal(StatusCode.ResourceExhausted, message.StatusCode);
        Assert.Empty((await Kv.ListAsync(new ListRequest { Prefix = B("big/") })).Kvs);
    }

    [Fact]
    public async Task Status_names_this_leader_and_its_addresses()
    {
        var status = await fixture.Node.Cluster.StatusAsync(new StatusRequest());
        Assert.Equal("g1", status.Id);
        Assert.Equal(NodeRole.Leader, status.Role);
        Assert.Equal("g1", status.LeaderId);
        var self = Assert.Single(status.Members);
        Assert.Equal(MemberRole.Leader, self.Role);
        Assert.Equal(fixture.Node.Grpc.Address.ToString(), self.GrpcAddress);
        Assert.Equal(fixture.Node.Node.Address, self.HttpAddress);
        Assert.True(self.HasProgress);
        Assert.Equal(status.AppliedIndex, status.Header.Index);
    }

    [Fact]
    public async Task Membership_calls_refuse_what_cannot_be_done()
    {
        var cluster = fixture.Node.Cluster;
        var transfer = await FailsAsync(cluster.TransferLeaderAsync(new TransferLeaderRequest()));
        Assert.Equal(StatusCode.InvalidArgument, transfer.StatusCode);
        Assert.StartsWith("id:", transfer.Status.Detail);

        var remove = await FailsAsync(cluster.RemoveAsync(new RemoveRequest { Id = "nobody" }));
        Assert.Equal(StatusCode.NotFound, remove.StatusCode);

        var unknown = await FailsAsync(cluster.SetVotersAsync(new SetVotersRequest { Voters = { "g1", "ghost" } }));
        Assert.Equal(StatusCode.InvalidArgument, unknown.StatusCode);
        Assert.Contains("'ghost'", unknown.Status.Detail);

        var expect = await FailsAsync(cluster.SetVotersAsync(new SetVotersRequest { Voters = { "g1" }, Expect = new NodeIdSet { Ids = { "g1", "g2" } } }));
        Assert.Equal(StatusCode.FailedPrecondition, expect.StatusCode);
        Assert.Contains("[g1]", expect.Status.Detail);

        var join = await FailsAsync(cluster.JoinAsync(new JoinRequest { Id = "g9" }));
        Assert.Equal(StatusCode.InvalidArgument, join.StatusCode);
        Assert.StartsWith("raft_address:", join.Status.Detail);
    }

    [Theory]
    [InlineData(0, 5000, 5000)]      // no deadline (DateTime.MaxValue): the request timeout
    [InlineData(800, 5000, 800)]     // an earlier deadline wins
    [InlineData(9000, 5000, 5000)]   // a later one does not
    [InlineData(-10, 5000, -10)]     // already passed: nothing left
    public void The_peer_is_asked_for_the_shorter_of_the_deadline_and_the_request_timeout(int deadlineInMs, int requestTimeoutMs, int expectedMs)
    {
        var now = new DateTime(2026, 12, 6, 23, 0, 0, DateTimeKind.Utc);
        var deadline = deadlineInMs == 0 ? DateTime.MaxValue : now.AddMilliseconds(deadlineInMs);
        Assert.Equal(TimeSpan.FromMilliseconds(expectedMs), RaftCalls.Budget(deadline, now, TimeSpan.FromMilliseconds(requestTimeoutMs)));
    }
}
