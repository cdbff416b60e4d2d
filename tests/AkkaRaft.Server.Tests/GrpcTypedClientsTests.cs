using System.Text;
using AkkaRaft.Client.Grpc;
using AkkaRaft.Grpc.V1;
using AkkaRaft.Samples;
using Grpc.Core;
using GrpcTimeSeriesClient = AkkaRaft.Client.Grpc.TimeSeriesClient;

namespace AkkaRaft.Server.Tests;

/// <summary>The library's <see cref="GrpcTimeSeriesClient"/> against a node of AkkaRaft's own stores: trr's clerk over gRPC.</summary>
public sealed class GrpcTimeSeriesClientTests(GrpcNodeFixture fixture) : IClassFixture<GrpcNodeFixture>
{
    private static readonly DateTimeOffset T0 = new(2015, 3, 24, 2, 0, 0, TimeSpan.Zero);

    [Fact]
    public async Task PutTimeData_and_GetTimeData_are_trrs_flow_and_a_put_sent_again_counts_as_duplicates()
    {
        using var client = new AkkaRaftGrpcClient(fixture.Node.Grpc.Address.ToString());
        var series = new GrpcTimeSeriesClient(client);
        var points = new[] { (T0, 10.0), (T0.AddSeconds(62), 12.0), (T0.AddSeconds(124), 14.0) };
        ulong last = 0;
        foreach (var (time, value) in points)
        {
            var put = await series.PutTimeDataAsync("client/t1", time, value);
            Assert.Equal((1UL, 0UL), (put.Appended, put.Duplicates));
            Assert.True(put.Header.Index > last);
            last = put.Header.Index;
        }

        var again = await series.PutTimeDataAsync("client/t1", points[1].Item1, points[1].Item2);
        Assert.Equal((0UL, 1UL), (again.Appended, again.Duplicates));

        var read = await series.GetTimeDataAsync("client/t1", T0, T0.AddSeconds(125), ReadLevel.Consistent);
        Assert.Equal(points, read);
        var stats = Assert.Single(await series.ListAsync("client/"));
        Assert.Equal(("client/t1", 3UL), (stats.Name, stats.Points));

        var missing = await Assert.ThrowsAsync<RpcException>(() => series.GetTimeDataAsync("client/none", T0, T0.AddSeconds(1)));
        Assert.Equal(StatusCode.NotFound, missing.StatusCode);
    }
}

/// <summary>The library's <see cref="StateMachineClient"/> against a node of a user's own state machine (the word tracker).</summary>
public sealed class GrpcStateMachineClientTests(GrpcWordTrackerFixture fixture) : IClassFixture<GrpcWordTrackerFixture>
{
    [Fact]
    public async Task Apply_and_Query_reach_the_users_state_machine_and_a_session_numbers_its_commands()
    {
        using var client = new AkkaRaftGrpcClient(fixture.Grpc.Address.ToString());
        var machine = new StateMachineClient(client);
        var applied = await machine.ApplyAsync(Encoding.UTF8.GetBytes("typed clients count typed words"));
        Assert.Equal(5, WordTracker.ReadCount(applied.Result.Span));
        Assert.True(applied.Header.Index > 0);

        var session = await ExactlyOnceSession.OpenAsync(client, TimeSpan.FromSeconds(10));
        var first = await machine.ApplyAsync(session, Encoding.UTF8.GetBytes("typed"));
        var second = await machine.ApplyAsync(session, Encoding.UTF8.GetBytes("typed"));
        Assert.True(second.Header.Index > first.Header.Index); // numbered 1 and 2: two commands, both applied
        var count = await machine.QueryAsync(Encoding.UTF8.GetBytes("typed"), ReadLevel.Consistent);
        Assert.Equal(4, WordTracker.ReadCount(count.Result.Span));
        Assert.True(count.Header.Index >= second.Header.Index);

        await session.CloseAsync(client);
        await session.CloseAsync(client); // closed already: not an error
        var closed = await Assert.ThrowsAsync<RpcException>(() => machine.ApplyAsync(session, Encoding.UTF8.GetBytes("typed")));
        Assert.Equal(StatusCode.NotFound, closed.StatusCode);
    }

    [Fact]
    public async Task A_kept_alive_session_outlives_its_ttl_while_idle_and_the_keep_alive_ends_when_the_session_is_closed()
    {
        using var client = new AkkaRaftGrpcClient(fixture.Grpc.Address.ToString());
        var machine = new StateMachineClient(client);
        var session = await ExactlyOnceSession.OpenAsync(client, TimeSpan.FromSeconds(1));
        await using var keepAlive = session.KeepAlive(client);

        // Idle for three TTLs: only the keep-alive renews the session.
        await Task.Delay(3 * session.Ttl);
        Assert.False(keepAlive.Ended.IsCompleted);
        Assert.True(DateTime.UtcNow - keepAlive.LastRenewedUtc < session.Ttl, $"last renewed at {keepAlive.LastRenewedUtc:O}");
        var applied = await machine.ApplyAsync(session, Encoding.UTF8.GetBytes("kept"));
        Assert.Equal(1, WordTracker.ReadCount(applied.Result.Span));

        // Closed by another hand: the next renewal hears that it is gone, and the keep-alive ends saying so.
        await session.CloseAsync(client);
        var reason = await keepAlive.Ended.WaitAsync(TestCluster.Patience);
        Assert.Contains($"session {session.Id} is gone", reason);
    }
}
