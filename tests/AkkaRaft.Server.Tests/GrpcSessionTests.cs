using AkkaRaft.Grpc.V1;
using AkkaRaft.Server.Grpc;
using Google.Protobuf;
using Grpc.Core;
using static AkkaRaft.Server.Tests.GrpcTestNode;
using LockClient = AkkaRaft.Grpc.V1.Lock.LockClient;
using SessionClient = AkkaRaft.Grpc.V1.Session.SessionClient;
using WatchClient = AkkaRaft.Grpc.V1.Watch.WatchClient;

namespace AkkaRaft.Server.Tests;

/// <summary>One node with its gRPC API and the default limits, shared by the tests of <see cref="GrpcSessionTests"/>.</summary>
public sealed class GrpcSessionFixture : IAsyncLifetime
{
    private readonly string _dataDir = TestCluster.TempDirectory("grpc-session");
    private GrpcTestNode? _node;

    internal GrpcTestNode Node => _node!;

    public async Task InitializeAsync()
    {
        // A short watch history, so that a watch from an index older than it can be shown.
        _node = await GrpcTestNode.StartAsync("s1", _dataDir, new Dictionary<string, string> { ["akkaraft.watches.history-entries"] = "20" });
        await WaitForLeaderAsync(_node, members: 1);
    }

    public async Task DisposeAsync()
    {
        if (_node is not null) await _node.DisposeAsync();
        Directory.Delete(_dataDir, recursive: true);
    }
}

/// <summary>
/// <c>akkaraft.v1.Session</c>, <c>Watch</c> and <c>Lock</c> on one node through a real gRPC channel: sessions kept alive
/// over the stream and their ephemeral keys, exactly-once writes, watch streams, locks with fencing tokens, and the
/// status codes of bad input and of sessions that do not live.
/// </summary>
public sealed class GrpcSessionTests(GrpcSessionFixture fixture) : IClassFixture<GrpcSessionFixture>
{
    private GrpcTestNode Node => fixture.Node;

    private AkkaRaft.Grpc.V1.Kv.KvClient Kv => Node.Kv;

    private SessionClient Sessions => new(Node.Channel);

    private WatchClient Watches => new(Node.Channel);

    private LockClient Locks => new(Node.Channel);

    private static ByteString B(string text) => ByteString.CopyFromUtf8(text);

    /// <summary>The one node's term: the term every header of a session or lock answer carries.</summary>
    private async Task<ulong> TermAsync() => (await Node.Cluster.StatusAsync(new StatusRequest())).Term;

    [Fact]
    public async Task An_ephemeral_key_lives_while_the_KeepAlive_stream_renews_its_session_and_goes_when_the_session_expires()
    {
        var opened = await Sessions.OpenAsync(new OpenSessionRequest { TtlMs = 2000 });
        Assert.True(opened.Id > 0);
        Assert.Equal((ulong)opened.Id, opened.Header.Index);
        Assert.Equal(2000, opened.TtlMs);
        var term = await TermAsync();
        Assert.True(term > 0);
        Assert.Equal(term, opened.Header.RaftTerm);
        var put = await Kv.PutAsync(new PutRequest { Key = B("eph/a"), Value = B("1"), Session = new SessionWrite { Id = opened.Id, Ephemeral = true } });
        var read = await Kv.GetAsync(new GetRequest { Key = B("eph/a") });
        Assert.Equal(opened.Id, read.Kv.SessionId);

        // Twice the TTL, renewed every fifth of it: the key outlives the TTL because of the stream alone.
        using (var keepAlive = Sessions.KeepAlive())
        {
            for (var i = 0; i < 10; i++)
            {
                await keepAlive.RequestStream.WriteAsync(new KeepAliveRequest { Id = opened.Id });
                var renewed = await NextAsync(keepAlive.ResponseStream);
                Assert.Equal(opened.Id, renewed.Id);
                Assert.Equal(2000, renewed.TtlMs);
                Assert.Equal(Node.Id, renewed.Header.LeaderId);
                Assert.Equal(term, renewed.Header.RaftTerm);
                await Task.Delay(400);
            }

            Assert.Equal(put.ModIndex, (await Kv.GetAsync(new GetRequest { Key = B("eph/a") })).Kv.ModIndex);
            // The stream ending does not close the session (etcd): the key is still there.
            await keepAlive.RequestStream.CompleteAsync();
            Assert.False(await keepAlive.ResponseStream.MoveNext());
        }

        Assert.True((await Kv.GetAsync(new GetRequest { Key = B("eph/a") })).Found);
        await TestCluster.WaitForAsync(async () => !(await Kv.GetAsync(new GetRequest { Key = B("eph/a") })).Found, "the ephemeral key to go with its expired session");

        // A keep-alive of a session that is gone answers TTL 0, as etcd does, and the stream goes on.
        using var after = Sessions.KeepAlive();
        await after.RequestStream.WriteAsync(new KeepAliveRequest { Id = opened.Id });
        Assert.Equal(0, (await NextAsync(after.ResponseStream)).TtlMs);
        var other = await Sessions.OpenAsync(new OpenSessionRequest { TtlMs = 30_000 });
        await after.RequestStream.WriteAsync(new KeepAliveRequest { Id = other.Id });
        Assert.Equal(30_000, (await NextAsync(after.ResponseStream)).TtlMs);
        await after.RequestStream.CompleteAsync();
    }

    [Fact]
    public async Task Close_deletes_the_ephemeral_keys_of_the_session_and_a_session_that_does_not_live_is_NOT_FOUND()
    {
        var opened = await Sessions.OpenAsync(new OpenSessionRequest { TtlMs = 30_000 });
        await Kv.PutAsync(new PutRequest { Key = B("close/eph"), Value = B("1"), Session = new SessionWrite { Id = opened.Id, Ephemeral = true } });
        var batch = new BatchRequest { Session = new SessionWrite { Id = opened.Id, Ephemeral = true } };
        batch.Ops.Add(new BatchOp { Put = new PutRequest { Key = B("close/b1"), Value = B("1") } });
        batch.Ops.Add(new BatchOp { Put = new PutRequest { Key = B("close/b2"), Value = B("1") } });
        await Kv.BatchAsync(batch);
        var kept = await Kv.PutAsync(new PutRequest { Key = B("close/kept"), Value = B("1"), Session = new SessionWrite { Id = opened.Id } });
        Assert.Equal(3, (await Kv.ListAsync(new ListRequest { Prefix = B("close/") })).Kvs.Count(kv => kv.SessionId == opened.Id));

        var closed = await Sessions.CloseAsync(new CloseSessionRequest { Id = opened.Id });
        Assert.True(closed.Header.Index > kept.ModIndex);
        Assert.Equal(await TermAsync(), closed.Header.RaftTerm);
        Assert.Equal(["close/kept"], (await Kv.ListAsync(new ListRequest { Prefix = B("close/") })).Kvs.Select(kv => kv.Key.ToStringUtf8()));

        Assert.Equal(StatusCode.NotFound, (await FailsAsync(Sessions.CloseAsync(new CloseSessionRequest { Id = opened.Id }))).StatusCode);
        var write = await FailsAsync(Kv.PutAsync(new PutRequest { Key = B("close/late"), Value = B("1"), Session = new SessionWrite { Id = opened.Id, Ephemeral = true } }));
        Assert.Equal(StatusCode.NotFound, write.StatusCode);
        Assert.False((await Kv.GetAsync(new GetRequest { Key = B("close/late") })).Found);
        var locked = await FailsAsync(Locks.LockAsync(new LockRequest { Name = B("close/lock"), SessionId = opened.Id }));
        Assert.Equal(StatusCode.NotFound, locked.StatusCode);
        using var watch = Watches.Watch(new WatchRequest { Key = B("close/eph"), SessionId = opened.Id });
        Assert.Equal(StatusCode.NotFound, (await StreamFailsAsync(watch.ResponseStream)).StatusCode);
    }

    [Fact]
    public async Task Bad_input_is_INVALID_ARGUMENT_naming_the_field_and_a_long_lock_name_is_RESOURCE_EXHAUSTED_naming_the_setting()
    {
        await AssertInvalidAsync("ttl_ms", Sessions.OpenAsync(new OpenSessionRequest { TtlMs = 0 }));
        await AssertInvalidAsync("ttl_ms", Sessions.OpenAsync(new OpenSessionRequest { TtlMs = (long)TimeSpan.FromHours(2).TotalMilliseconds }));
        await AssertInvalidAsync("id", Sessions.CloseAsync(new CloseSessionRequest { Id = -3 }));
        await AssertInvalidAsync("session.id", Kv.PutAsync(new PutRequest { Key = B("bad/a"), Value = B("1"), Session = new SessionWrite { Ephemeral = true } }));
        await AssertInvalidAsync("session.ack", Kv.PutAsync(new PutRequest { Key = B("bad/a"), Value = B("1"), Session = new SessionWrite { Id = 1, Seq = 2, Ack = 3 } }));
        await AssertInvalidAsync("name", Locks.LockAsync(new LockRequest { SessionId = 1 }));
        await AssertInvalidAsync("session_id", Locks.UnlockAsync(new UnlockRequest { Name = B("bad"), SessionId = 0 }));

        using (var keepAlive = Sessions.KeepAlive())
        {
            await keepAlive.RequestStream.WriteAsync(new KeepAliveRequest { Id = 0 });
            var refused = await StreamFailsAsync(keepAlive.ResponseStream);
            Assert.Equal(StatusCode.InvalidArgument, refused.StatusCode);
            Assert.StartsWith("id:", refused.Status.Detail, StringComparison.Ordinal);
        }

        using (var watch = Watches.Watch(new WatchRequest { Key = ByteString.Empty }))
        {
            var refused = await StreamFailsAsync(watch.ResponseStream);
            Assert.Equal(StatusCode.InvalidArgument, refused.StatusCode);
            Assert.StartsWith("key:", refused.Status.Detail, StringComparison.Ordinal);
        }

        var tooLong = await FailsAsync(Locks.LockAsync(new LockRequest { Name = B(new string('n', 1025)), SessionId = 1 }));
        Assert.Equal(StatusCode.ResourceExhausted, tooLong.StatusCode);
        Assert.Contains("akkaraft.locks.max-name-bytes", tooLong.Status.Detail, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_write_with_a_sequence_number_is_applied_once_and_its_retry_answers_the_first_index()
    {
        var opened = await Sessions.OpenAsync(new OpenSessionRequest { TtlMs = 30_000 });
        var first = await Kv.PutAsync(new PutRequest { Key = B("once/a"), Value = B("1"), Session = new SessionWrite { Id = opened.Id, Seq = 1 } });
        var retry = await Kv.PutAsync(new PutRequest { Key = B("once/a"), Value = B("2"), Session = new SessionWrite { Id = opened.Id, Seq = 1 } });
        Assert.Equal(first.Header.Index, retry.Header.Index);
        Assert.Equal(first.ModIndex, retry.ModIndex);
        var read = await Kv.GetAsync(new GetRequest { Key = B("once/a") });
        Assert.Equal("1", read.Kv.Value.ToStringUtf8());
        Assert.Equal(first.ModIndex, read.Kv.ModIndex);

        var next = await Kv.CompareAndSwapAsync(new CompareAndSwapRequest
        {
            Key = B("once/a"), Value = B("3"), ExpectedModIndex = first.ModIndex, Session = new SessionWrite { Id = opened.Id, Seq = 2 },
        });
        Assert.True(next.ModIndex > first.ModIndex);
        Assert.Equal("3", (await Kv.GetAsync(new GetRequest { Key = B("once/a") })).Kv.Value.ToStringUtf8());
        await Sessions.CloseAsync(new CloseSessionRequest { Id = opened.Id });
    }

    [Fact]
    public async Task A_watch_stream_delivers_CREATED_and_then_every_put_and_delete_of_its_key_in_order_none_missed()
    {
        // Changes made before the stream starts, from a read's index: each trigger fires at once from the node's history,
        // and the next one, set from its index, finds the next change; none is missed between two of them.
        var read = await Kv.GetAsync(new GetRequest { Key = B("w/k") });
        var put = await Kv.PutAsync(new PutRequest { Key = B("w/k"), Value = B("1") });
        await Kv.PutAsync(new PutRequest { Key = B("w/other"), Value = B("1") });
        var deleted = await Kv.DeleteAsync(new DeleteRequest { Key = B("w/k") });
        var again = await Kv.PutAsync(new PutRequest { Key = B("w/k"), Value = B("2") });

        using var cancel = new CancellationTokenSource(TestCluster.Patience);
        using var watch = Watches.Watch(new WatchRequest { Key = B("w/k"), AfterIndex = read.Header.Index }, cancellationToken: cancel.Token);
        var created = await NextAsync(watch.ResponseStream);
        Assert.Equal(WatchEventKind.Created, created.Kind);
        Assert.Equal(read.Header.Index, created.Index);
        // Every event's header names the leader that served the watch and its term, as the peer's answer said.
        var leaderAndTerm = (Node.Id, await TermAsync());
        Assert.Equal(leaderAndTerm, (created.Header.LeaderId, created.Header.RaftTerm));
        foreach (var (index, wasDelete) in new[] { (put.ModIndex, false), (deleted.Header.Index, true), (again.ModIndex, false) })
        {
            var changed = await NextAsync(watch.ResponseStream);
            Assert.Equal(WatchEventKind.Changed, changed.Kind);
            Assert.Equal("w/k", changed.Key.ToStringUtf8());
            Assert.Equal((index, wasDelete), (changed.Index, changed.Deleted));
            Assert.Equal(leaderAndTerm, (changed.Header.LeaderId, changed.Header.RaftTerm));
        }

        // And changes made while the stream waits: a put, then a delete.
        var live = await Kv.PutAsync(new PutRequest { Key = B("w/k"), Value = B("3") });
        var last = await NextAsync(watch.ResponseStream);
        Assert.Equal((WatchEventKind.Changed, live.ModIndex, false), (last.Kind, last.Index, last.Deleted));
        var liveDelete = await Kv.DeleteAsync(new DeleteRequest { Key = B("w/k") });
        var gone = await NextAsync(watch.ResponseStream);
        Assert.Equal((WatchEventKind.Changed, liveDelete.Header.Index, true), (gone.Kind, gone.Index, gone.Deleted));
        await cancel.CancelAsync();
    }

    [Fact]
    public async Task A_prefix_watch_from_a_reads_index_delivers_at_once_a_change_made_before_it_was_set()
    {
        await Kv.PutAsync(new PutRequest { Key = B("wp/a"), Value = B("1") });
        var listed = await Kv.ListAsync(new ListRequest { Prefix = B("wp/") });
        var missed = await Kv.PutAsync(new PutRequest { Key = B("wp/b"), Value = B("1") });

        using var cancel = new CancellationTokenSource(TestCluster.Patience);
        using var watch = Watches.Watch(new WatchRequest { Key = B("wp/"), Prefix = true, AfterIndex = listed.Header.Index }, cancellationToken: cancel.Token);
        var created = await NextAsync(watch.ResponseStream);
        Assert.Equal(WatchEventKind.Created, created.Kind);
        Assert.Equal(listed.Header.Index, created.Index);
        var changed = await NextAsync(watch.ResponseStream);
        Assert.Equal(WatchEventKind.Changed, changed.Kind);
        Assert.Equal("wp/b", changed.Key.ToStringUtf8());
        Assert.Equal(missed.ModIndex, changed.Index);

        var later = await Kv.PutAsync(new PutRequest { Key = B("wp/c/d"), Value = B("1") });
        var next = await NextAsync(watch.ResponseStream);
        Assert.Equal(("wp/c/d", later.ModIndex), (next.Key.ToStringUtf8(), next.Index));
        await cancel.CancelAsync();
    }

    [Fact]
    public async Task A_watch_from_an_index_older_than_the_watch_history_on_a_deleted_key_is_OUT_OF_RANGE_naming_the_setting()
    {
        // The key was put and deleted since the index, and the history no longer holds either: a delete would be missed.
        var old = await Kv.PutAsync(new PutRequest { Key = B("old/a"), Value = B("1") });
        await Kv.DeleteAsync(new DeleteRequest { Key = B("old/a") });
        for (var i = 0; i < 25; i++) await Kv.PutAsync(new PutRequest { Key = B("old/filler"), Value = B(i.ToString(System.Globalization.CultureInfo.InvariantCulture)) });

        using var watch = Watches.Watch(new WatchRequest { Key = B("old/a"), AfterIndex = old.ModIndex - 1 });
        var refused = await StreamFailsAsync(watch.ResponseStream);
        Assert.Equal(StatusCode.OutOfRange, refused.StatusCode);
        Assert.StartsWith("after_index:", refused.Status.Detail, StringComparison.Ordinal);
        Assert.Contains("akkaraft.watches.history-entries", refused.Status.Detail, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_watch_in_a_session_ends_with_SESSION_EXPIRED_when_the_session_is_closed()
    {
        var opened = await Sessions.OpenAsync(new OpenSessionRequest { TtlMs = 30_000 });
        using var watch = Watches.Watch(new WatchRequest { Key = B("ws/k"), SessionId = opened.Id });
        Assert.Equal(WatchEventKind.Created, (await NextAsync(watch.ResponseStream)).Kind);
        await Sessions.CloseAsync(new CloseSessionRequest { Id = opened.Id });

        var expired = await NextAsync(watch.ResponseStream);
        Assert.Equal(WatchEventKind.SessionExpired, expired.Kind);
        Assert.Equal((Node.Id, await TermAsync()), (expired.Header.LeaderId, expired.Header.RaftTerm));
        Assert.False(await watch.ResponseStream.MoveNext());
        Assert.Equal(StatusCode.OK, watch.GetStatus().StatusCode);
    }

    [Fact]
    public async Task A_held_lock_makes_another_session_wait_until_its_deadline_then_leave_the_queue_and_passes_on_unlock_with_a_larger_fencing_token()
    {
        var (a, b, c) = (await OpenAsync(), await OpenAsync(), await OpenAsync());
        var held = await Locks.LockAsync(new LockRequest { Name = B("L1"), SessionId = a });
        Assert.Equal("L1", held.Name.ToStringUtf8());
        Assert.Equal(held.Header.Index, held.FencingToken);
        var term = await TermAsync();
        Assert.Equal(term, held.Header.RaftTerm);

        var timedOut = await FailsAsync(Locks.LockAsync(new LockRequest { Name = B("L1"), SessionId = b }, deadline: DateTime.UtcNow.AddMilliseconds(500)));
        Assert.Equal(StatusCode.DeadlineExceeded, timedOut.StatusCode);

        using var waiting = Locks.LockAsync(new LockRequest { Name = B("L1"), SessionId = c }, deadline: DateTime.UtcNow + TestCluster.Patience);
        await Task.Delay(300);
        Assert.False(waiting.ResponseAsync.IsCompleted);
        var released = await Locks.UnlockAsync(new UnlockRequest { Name = B("L1"), SessionId = a });
        Assert.True(released.WasHolder);
        Assert.True(released.Header.Index > held.FencingToken);
        Assert.Equal((Node.Id, term), (released.Header.LeaderId, released.Header.RaftTerm));

        // b left the queue when its deadline passed, so the lock passes to c, behind it.
        var got = await waiting.ResponseAsync;
        Assert.Equal(c, got.SessionId);
        Assert.True(got.FencingToken > held.FencingToken, $"token {got.FencingToken} after {held.FencingToken}");
        Assert.Equal(term, got.Header.RaftTerm);

        Assert.Equal(StatusCode.NotFound, (await FailsAsync(Locks.UnlockAsync(new UnlockRequest { Name = B("L1"), SessionId = a }))).StatusCode);
        Assert.True((await Locks.UnlockAsync(new UnlockRequest { Name = B("L1"), SessionId = c })).WasHolder);
    }

    private async Task<long> OpenAsync() => (await Sessions.OpenAsync(new OpenSessionRequest { TtlMs = 30_000 })).Id;

    private static async Task AssertInvalidAsync<T>(string field, AsyncUnaryCall<T> call)
    {
        var refused = await FailsAsync(call);
        Assert.Equal(StatusCode.InvalidArgument, refused.StatusCode);
        Assert.StartsWith(field + ":", refused.Status.Detail, StringComparison.Ordinal);
    }

    /// <summary>The next message of a stream, which must come within the tests' patience.</summary>
    internal static async Task<T> NextAsync<T>(IAsyncStreamReader<T> stream)
    {
        using var patience = new CancellationTokenSource(TestCluster.Patience);
        Assert.True(await stream.MoveNext(patience.Token), "the stream ended");
        return stream.Current;
    }

    /// <summary>The status that ends a stream before any message.</summary>
    internal static async Task<RpcException> StreamFailsAsync<T>(IAsyncStreamReader<T> stream)
    {
        using var patience = new CancellationTokenSource(TestCluster.Patience);
        return await Assert.ThrowsAsync<RpcException>(() => stream.MoveNext(patience.Token));
    }
}

/// <summary>
/// Two in-process nodes: a follower answers the Session, Watch and Lock calls UNAVAILABLE naming the leader, and passes
/// them on when the metadata says <c>forward: true</c>.
/// </summary>
public sealed class GrpcSessionClusterTests : IAsyncLifetime
{
    private readonly string _root = TestCluster.TempDirectory("grpc-session-cluster");
    private readonly List<GrpcTestNode> _nodes = [];

    private static ByteString B(string text) => ByteString.CopyFromUtf8(text);

    public async Task InitializeAsync() => _nodes.AddRange(await GrpcTestNode.StartStaticClusterAsync(_root, ["q1", "q2"]));

    public async Task DisposeAsync()
    {
        foreach (var node in _nodes) await node.DisposeAsync();
        Directory.Delete(_root, recursive: true);
    }

    [Fact]
    public async Task A_follower_answers_Session_Watch_and_Lock_calls_UNAVAILABLE_with_the_leader_in_the_trailers_and_passes_them_on_when_asked()
    {
        var leaderId = "";
        foreach (var node in _nodes) leaderId = await WaitForLeaderAsync(node, members: 2);
        var leader = _nodes.Single(n => n.Id == leaderId);
        var follower = _nodes.Single(n => n.Id != leaderId);
        var sessions = new SessionClient(follower.Channel);
        var watches = new WatchClient(follower.Channel);
        var locks = new LockClient(follower.Channel);

        AssertNamesLeader(await FailsAsync(sessions.OpenAsync(new OpenSessionRequest { TtlMs = 30_000 })));
        var opened = await sessions.OpenAsync(new OpenSessionRequest { TtlMs = 30_000 }, Forward);
        Assert.Equal(leader.Id, opened.Header.LeaderId);

        using (var keepAlive = sessions.KeepAlive())
        {
            await keepAlive.RequestStream.WriteAsync(new KeepAliveRequest { Id = opened.Id });
            AssertNamesLeader(await GrpcSessionTests.StreamFailsAsync(keepAlive.ResponseStream));
        }

        using (var keepAlive = sessions.KeepAlive(Forward))
        {
            await keepAlive.RequestStream.WriteAsync(new KeepAliveRequest { Id = opened.Id });
            Assert.Equal(30_000, (await GrpcSessionTests.NextAsync(keepAlive.ResponseStream)).TtlMs);
            await keepAlive.RequestStream.CompleteAsync();
        }

        using (var refused = watches.Watch(new WatchRequest { Key = B("fw/k") }))
        {
            AssertNamesLeader(await GrpcSessionTests.StreamFailsAsync(refused.ResponseStream));
        }

        AssertNamesLeader(await FailsAsync(locks.LockAsync(new LockRequest { Name = B("fl"), SessionId = opened.Id })));
        var held = await locks.LockAsync(new LockRequest { Name = B("fl"), SessionId = opened.Id }, Forward);
        Assert.True(held.FencingToken > (ulong)opened.Id);

        // A watch through the follower is served by the leader, and follows leadership when it moves.
        using var cancel = new CancellationTokenSource(TestCluster.Patience * 2);
        using var watch = watches.Watch(new WatchRequest { Key = B("fw/k") }, Forward, cancellationToken: cancel.Token);
        Assert.Equal(WatchEventKind.Created, (await GrpcSessionTests.NextAsync(watch.ResponseStream)).Kind);
        var put = await leader.Kv.PutAsync(new PutRequest { Key = B("fw/k"), Value = B("1") });
        var changed = await GrpcSessionTests.NextAsync(watch.ResponseStream);
        Assert.Equal((WatchEventKind.Changed, put.ModIndex), (changed.Kind, changed.Index));

        await leader.Cluster.TransferLeaderAsync(new TransferLeaderRequest { Id = follower.Id });
        await TestCluster.WaitForAsync(async () => (await follower.Cluster.StatusAsync(new StatusRequest())).Role == NodeRole.Leader, $"{follower.Id} to lead");
        // Made as the stream sets its trigger again on the new leader, or before: delivered either way.
        var moved = await follower.Kv.PutAsync(new PutRequest { Key = B("fw/k"), Value = B("2") });
        var afterMove = await GrpcSessionTests.NextAsync(watch.ResponseStream);
        Assert.Equal((WatchEventKind.Changed, moved.ModIndex), (afterMove.Kind, afterMove.Index));
        var onNewLeader = await follower.Kv.PutAsync(new PutRequest { Key = B("fw/k"), Value = B("3") });
        var last = await GrpcSessionTests.NextAsync(watch.ResponseStream);
        Assert.Equal((WatchEventKind.Changed, onNewLeader.ModIndex), (last.Kind, last.Index));
        Assert.Equal(follower.Id, last.Header.LeaderId);
        await cancel.CancelAsync();

        void AssertNamesLeader(RpcException refused)
        {
            Assert.Equal(StatusCode.Unavailable, refused.StatusCode);
            Assert.Equal(leader.Id, refused.Trailers.GetValue(RaftCalls.LeaderIdTrailer));
            Assert.Equal(leader.Grpc.Address.ToString(), refused.Trailers.GetValue(RaftCalls.LeaderAddressTrailer));
        }
    }
}
