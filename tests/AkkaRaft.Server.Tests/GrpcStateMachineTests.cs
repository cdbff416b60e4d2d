using System.Text;
using AkkaRaft.Grpc.V1;
using AkkaRaft.Samples;
using AkkaRaft.Server.Grpc;
using AkkaRaft.Server.Http;
using AkkaRaft.Server.Node;
using Google.Protobuf;
using Grpc.Core;
using Grpc.Net.Client;
using static AkkaRaft.Server.Tests.GrpcTestNode;
using StateMachineClient = AkkaRaft.Grpc.V1.StateMachine.StateMachineClient;

namespace AkkaRaft.Server.Tests;

/// <summary>
/// A node that runs the word tracker sample (a user's own <c>IStateMachine</c>, tinyraft's word tracker) and its gRPC
/// API, with small journal events, shared by the tests of a class.
/// </summary>
public sealed class GrpcWordTrackerFixture : IAsyncLifetime
{
    /// <summary>Largest journal event of the fixture's node, in bytes: a command must leave room for an entry's framing.</summary>
    public const int MaxEventBytes = 4096;

    private readonly string _dataDir = TestCluster.TempDirectory("grpc-sm");
    private AkkaRaftNode? _node;
    private GrpcFrontEnd? _grpc;
    private HttpFrontEnd? _http;

    internal AkkaRaftNode Node => _node!;

    internal GrpcFrontEnd Grpc => _grpc!;

    /// <summary>The node's HTTP API: what it serves and refuses on a node of a user's own state machine.</summary>
    internal HttpFrontEnd Http => _http!;

    internal GrpcChannel Channel { get; private set; } = null!;

    internal StateMachineClient Machine { get; private set; } = null!;

    public async Task InitializeAsync()
    {
        _node = await AkkaRaftNode.StartAsync(TestCluster.Config("w1", _dataDir, new Dictionary<string, string>
        {
            ["akkaraft.grpc.address"] = TestCluster.Quote("127.0.0.1:0"),
            ["akkaraft.persistence.journal.max-event-bytes"] = $"{MaxEventBytes}",
        }), () => new WordTracker());
        _grpc = await GrpcFrontEnd.StartAsync(_node) ?? throw new InvalidOperationException("the gRPC API is off");
        _http = await HttpFrontEnd.StartAsync(_node);
        Channel = GrpcChannel.ForAddress($"http://{_grpc.Address}");
        Machine = new StateMachineClient(Channel);
        var cluster = new Cluster.ClusterClient(Channel);
        await TestCluster.WaitForAsync(async () => (await cluster.StatusAsync(new StatusRequest())).Role == NodeRole.Leader, "w1 to lead");
    }

    public async Task DisposeAsync()
    {
        Channel?.Dispose();
        if (_http is not null) await _http.DisposeAsync();
        if (_grpc is not null) await _grpc.DisposeAsync();
        if (_node is not null) await _node.DisposeAsync();
        Directory.Delete(_dataDir, recursive: true);
    }
}

/// <summary><c>akkaraft.v1.StateMachine</c>: opaque commands and queries of a user's own state machine, through a real gRPC channel.</summary>
public sealed class GrpcStateMachineTests(GrpcWordTrackerFixture fixture) : IClassFixture<GrpcWordTrackerFixture>
{
    private StateMachineClient Machine => fixture.Machine;

    private static ByteString B(string text) => ByteString.CopyFromUtf8(text);

    private async Task<long> CountAsync(string word, ReadLevel level = ReadLevel.Consistent) =>
        WordTracker.ReadCount((await Machine.QueryAsync(new QueryRequest { Query = B(word), Level = level })).Result.Span);

    [Fact]
    public async Task Apply_answers_the_state_machines_bytes_and_the_entry_index_and_Query_reads_the_state()
    {
        var first = await Machine.ApplyAsync(new ApplyRequest { Command = B("apply is a consensus apply") });
        // The word tracker answers the number of words of the line.
        Assert.Equal(5, WordTracker.ReadCount(first.Result.Span));
        Assert.True(first.Header.Index > 0);
        Assert.Equal("w1", first.Header.MemberId);
        Assert.Equal("w1", first.Header.LeaderId);
        var second = await Machine.ApplyAsync(new ApplyRequest { Command = B("bring your own apply") });
        Assert.Equal(4, WordTracker.ReadCount(second.Result.Span));
        Assert.True(second.Header.Index > first.Header.Index);

        foreach (var level in new[] { ReadLevel.Default, ReadLevel.Stale, ReadLevel.Consistent })
        {
            var read = await Machine.QueryAsync(new QueryRequest { Query = B("apply"), Level = level });
            Assert.Equal(3, WordTracker.ReadCount(read.Result.Span));
            Assert.True(read.Header.Index >= second.Header.Index, $"served at {read.Header.Index} at {level}, after the apply at {second.Header.Index}");
        }
    }

    [Fact]
    public async Task Bad_or_too_large_commands_are_refused_naming_the_field_or_the_setting_and_apply_nothing()
    {
        var empty = await FailsAsync(Machine.ApplyAsync(new ApplyRequest()));
        Assert.Equal(StatusCode.InvalidArgument, empty.StatusCode);
        Assert.StartsWith("command: empty", empty.Status.Detail);

        // Fits a gRPC message (4 MiB), not one journal event: refused before anything is proposed.
        var line = string.Join(' ', Enumerable.Repeat("huge", GrpcWordTrackerFixture.MaxEventBytes / 5 + 1));
        var big = await FailsAsync(Machine.ApplyAsync(new ApplyRequest { Command = B(line) }));
        Assert.Equal(StatusCode.ResourceExhausted, big.StatusCode);
        Assert.StartsWith($"command is {Encoding.UTF8.GetByteCount(line)} bytes", big.Status.Detail);
        Assert.Contains("akkaraft.persistence.journal.max-event-bytes", big.Status.Detail);
        // Just under the limit goes through.
        var fits = string.Join(' ', Enumerable.Repeat("huge", (GrpcWordTrackerFixture.MaxEventBytes - 128) / 5));
        Assert.Equal((GrpcWordTrackerFixture.MaxEventBytes - 128) / 5, WordTracker.ReadCount((await Machine.ApplyAsync(new ApplyRequest { Command = B(fits) })).Result.Span));
        Assert.Equal((GrpcWordTrackerFixture.MaxEventBytes - 128) / 5, await CountAsync("huge"));

        var level = await FailsAsync(Machine.QueryAsync(new QueryRequest { Query = B("huge"), Level = (ReadLevel)9 }));
        Assert.Equal(StatusCode.InvalidArgument, level.StatusCode);
        Assert.StartsWith("level:", level.Status.Detail);
    }

    [Fact]
    public async Task Apply_in_a_session_with_a_sequence_number_applies_a_command_sent_twice_once()
    {
        var sessions = new Session.SessionClient(fixture.Channel);
        var session = (await sessions.OpenAsync(new OpenSessionRequest { TtlMs = 10_000 })).Id;
        var before = await CountAsync("exactly");
        var command = new ApplyRequest { Command = B("exactly once exactly"), Session = new SessionWrite { Id = session, Seq = 1 } };

        var first = await Machine.ApplyAsync(command);
        var again = await Machine.ApplyAsync(command); // as a client sends it again after an uncertain answer
        Assert.Equal(first.Header.Index, again.Header.Index);
        Assert.Equal(first.Result, again.Result);
        Assert.Equal(before + 2, await CountAsync("exactly"));

        var next = await Machine.ApplyAsync(new ApplyRequest { Command = B("exactly"), Session = new SessionWrite { Id = session, Seq = 2 } });
        Assert.True(next.Header.Index > first.Header.Index);
        Assert.Equal(before + 3, await CountAsync("exactly"));

        var ephemeral = await FailsAsync(Machine.ApplyAsync(new ApplyRequest { Command = B("exactly"), Session = new SessionWrite { Id = session, Ephemeral = true } }));
        Assert.Equal(StatusCode.InvalidArgument, ephemeral.StatusCode);
        Assert.StartsWith("session.ephemeral:", ephemeral.Status.Detail);
        await sessions.CloseAsync(new CloseSessionRequest { Id = session });
        var closed = await FailsAsync(Machine.ApplyAsync(new ApplyRequest { Command = B("exactly"), Session = new SessionWrite { Id = session, Seq = 3 } }));
        Assert.Equal(StatusCode.NotFound, closed.StatusCode);
        Assert.Equal(before + 3, await CountAsync("exactly"));
    }

    [Fact]
    public async Task Kv_on_a_node_of_a_users_own_state_machine_is_UNIMPLEMENTED_and_nothing_reaches_the_users_machine()
    {
        var kv = new AkkaRaft.Grpc.V1.Kv.KvClient(fixture.Channel);
        var before = await CountAsync("kvword");

        var put = await FailsAsync(kv.PutAsync(new PutRequest { Key = B("kvword"), Value = B("kvword kvword") }));

        Assert.Equal(StatusCode.Unimplemented, put.StatusCode);
        Assert.Contains("StateMachine service", put.Status.Detail);
        Assert.Equal(StatusCode.Unimplemented, (await FailsAsync(kv.GetAsync(new GetRequest { Key = B("kvword") }))).StatusCode);
        var batch = new BatchRequest();
        batch.Ops.Add(new BatchOp { Put = new PutRequest { Key = B("kvword"), Value = B("kvword") } });
        Assert.Equal(StatusCode.Unimplemented, (await FailsAsync(kv.BatchAsync(batch))).StatusCode);
        // The word tracker would have counted the words of a key/value command's bytes as a line.
        await Machine.ApplyAsync(new ApplyRequest { Command = B("barrier") });
        Assert.Equal(before, await CountAsync("kvword"));
    }

    [Fact]
    public async Task Joins_and_HTTP_key_value_routes_are_refused_on_a_node_of_a_users_own_state_machine_and_nothing_reaches_its_machine()
    {
        var first = (await Machine.ApplyAsync(new ApplyRequest { Command = B("barrier") })).Header.Index;

        var cluster = new Cluster.ClusterClient(fixture.Channel);
        var join = await FailsAsync(cluster.JoinAsync(new JoinRequest { Id = "w9", RaftAddress = "127.0.0.1:1" }));
        Assert.Equal(StatusCode.FailedPrecondition, join.StatusCode);
        Assert.Contains("keeps no member records", join.Status.Detail);
        using var http = new HttpClient { BaseAddress = new Uri($"http://{fixture.Http.Address}") };
        using var httpJoin = await http.PostAsync("/join", new StringContent("""{"id":"w9","addr":"127.0.0.1:1"}""", Encoding.UTF8, "application/json"));
        Assert.Equal(System.Net.HttpStatusCode.Conflict, httpJoin.StatusCode);
        Assert.Contains("akkaraft.cluster.peers", await httpJoin.Content.ReadAsStringAsync());
        foreach (var request in new[] { new HttpRequestMessage(HttpMethod.Get, "/key/w"), new HttpRequestMessage(HttpMethod.Post, "/key") { Content = new StringContent("""{"w":"w w"}""", Encoding.UTF8, "application/json") }, new HttpRequestMessage(HttpMethod.Delete, "/keys?prefix=") })
        {
            using var refused = await http.SendAsync(request);
            Assert.Equal(System.Net.HttpStatusCode.NotImplemented, refused.StatusCode);
            Assert.Contains("StateMachine service", await refused.Content.ReadAsStringAsync());
        }

        // A refused join wrote no member record (a key/value command the word tracker would have counted as a line).
        var next = (await Machine.ApplyAsync(new ApplyRequest { Command = B("barrier") })).Header.Index;
        Assert.Equal(first + 1, next);
    }

    [Fact]
    public async Task TimeSeries_on_a_node_of_a_users_own_state_machine_is_UNIMPLEMENTED()
    {
        var series = new AkkaRaft.Grpc.V1.TimeSeries.TimeSeriesClient(fixture.Channel);
        var put = await FailsAsync(series.PutAsync(new SeriesPutRequest { Series = { new SeriesPoints { Name = "cpu", Points = { new Point { Timestamp = 1, Value = 1 } } } } }));
        Assert.Equal(StatusCode.Unimplemented, put.StatusCode);
        Assert.Contains("StateMachine service", put.Status.Detail);
        Assert.Equal(StatusCode.Unimplemented, (await FailsAsync(series.ListAsync(new SeriesListRequest()))).StatusCode);
    }
}

/// <summary>
/// Two nodes of the word tracker founding a static cluster: what a follower answers to StateMachine calls, and the
/// calls it passes on.
/// </summary>
public sealed class GrpcStateMachineClusterTests : IAsyncLifetime
{
    private readonly string _root = TestCluster.TempDirectory("grpc-sm-cluster");
    private readonly List<(AkkaRaftNode Node, GrpcFrontEnd Grpc, GrpcChannel Channel)> _nodes = [];

    public async Task InitializeAsync()
    {
        var ports = new[] { TestCluster.FreePort(), TestCluster.FreePort() };
        var peers = string.Join(",", new[] { "m1", "m2" }.Select((id, i) => $"{id}=127.0.0.1:{ports[i]}"));
        for (var i = 0; i < 2; i++)
        {
            var id = $"m{i + 1}";
            var node = await AkkaRaftNode.StartAsync(TestCluster.Config(id, Path.Combine(_root, id), new Dictionary<string, string>
            {
                ["akkaraft.node.peers"] = TestCluster.Quote(peers),
                ["akkaraft.node.raft-address"] = TestCluster.Quote($"127.0.0.1:{ports[i]}"),
                ["akkaraft.grpc.address"] = TestCluster.Quote("127.0.0.1:0"),
                ["akkaraft.http.shutdown-timeout"] = "1s",
            }), () => new WordTracker());
            var grpc = await GrpcFrontEnd.StartAsync(node) ?? throw new InvalidOperationException("the gRPC API is off");
            _nodes.Add((node, grpc, GrpcChannel.ForAddress($"http://{grpc.Address}")));
        }
    }

    public async Task DisposeAsync()
    {
        foreach (var (node, grpc, channel) in _nodes)
        {
            channel.Dispose();
            await grpc.DisposeAsync();
            await node.DisposeAsync();
        }

        Directory.Delete(_root, recursive: true);
    }

    [Fact]
    public async Task A_follower_answers_UNAVAILABLE_naming_the_leader_and_passes_Apply_and_Query_on_when_asked()
    {
        var statuses = _nodes.Select(n => new Cluster.ClusterClient(n.Channel)).ToArray();
        var leaderId = "";
        await TestCluster.WaitForAsync(async () =>
        {
            var seen = new List<string>();
            foreach (var status in statuses) seen.Add((await status.StatusAsync(new StatusRequest())).LeaderId);
            leaderId = seen[0];
            return leaderId.Length > 0 && seen.All(s => s == leaderId);
        }, "a leader both nodes know");
        var leader = new StateMachineClient(_nodes.Single(n => n.Node.Id == leaderId).Channel);
        var follower = new StateMachineClient(_nodes.Single(n => n.Node.Id != leaderId).Channel);
        var apply = new ApplyRequest { Command = B("follow the leader") };

        var refused = await FailsAsync(follower.ApplyAsync(apply));
        Assert.Equal(StatusCode.Unavailable, refused.StatusCode);
        Assert.Equal(leaderId, refused.Trailers.GetValue(RaftCalls.LeaderIdTrailer));
        Assert.Equal(0, WordTracker.ReadCount((await leader.QueryAsync(new QueryRequest { Query = B("leader"), Level = ReadLevel.Consistent })).Result.Span));

        var forwarded = await follower.ApplyAsync(apply, Forward);
        Assert.Equal(3, WordTracker.ReadCount(forwarded.Result.Span));
        Assert.Equal(leaderId, forwarded.Header.LeaderId);

        var defaultRead = await FailsAsync(follower.QueryAsync(new QueryRequest { Query = B("leader") }));
        Assert.Equal(StatusCode.Unavailable, defaultRead.StatusCode);
        Assert.Equal(leaderId, defaultRead.Trailers.GetValue(RaftCalls.LeaderIdTrailer));
        Assert.Equal(1, WordTracker.ReadCount((await follower.QueryAsync(new QueryRequest { Query = B("leader") }, Forward)).Result.Span));
        var consistent = await follower.QueryAsync(new QueryRequest { Query = B("leader"), Level = ReadLevel.Consistent });
        Assert.Equal(1, WordTracker.ReadCount(consistent.Result.Span));
        Assert.True(consistent.Header.Index >= forwarded.Header.Index);
    }

    private static ByteString B(string text) => ByteString.CopyFromUtf8(text);
}
