using AkkaRaft.Samples;

namespace AkkaRaft.Server.Tests;

/// <summary>Every sample under samples/ runs to its end and shows what it claims.</summary>
public sealed class SamplesTests : IDisposable
{
    private readonly string _dir = TestCluster.TempDirectory("samples");

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    [Fact]
    public async Task The_embedded_server_should_read_over_http_what_it_wrote_with_actor_messages()
    {
        var output = new StringWriter();
        Assert.Equal("{\"greeting\":\"hello, raft\"}", await EmbeddedServer.RunAsync(_dir, output));
        Assert.Contains("wrote greeting at index", output.ToString());
    }

    [Fact]
    public async Task The_in_process_cluster_should_replicate_a_write_to_all_three_nodes()
    {
        var output = new StringWriter();
        Assert.Equal(["blue", "blue", "blue"], await InProcessCluster.RunAsync(_dir, output));
        Assert.Contains("c joined through", output.ToString());
    }

    [Fact]
    public async Task The_time_series_sample_should_get_back_trrs_three_points_from_a_single_server_and_from_every_cluster_member()
    {
        var output = new StringWriter();
        var (single, cluster) = await TimeSeriesSample.RunAsync(_dir, output);
        Assert.Equal(TimeSeriesSample.Points, single);
        Assert.Equal(3, cluster.Count);
        Assert.All(cluster, read => Assert.Equal(TimeSeriesSample.Points, read));
        Assert.Contains("c joined through", output.ToString());
        Assert.Equal(6, output.ToString().Split('\n').Count(line => line.StartsWith("PutTimeData(t1, ", StringComparison.Ordinal)));
    }

    [Fact]
    public async Task The_time_series_sample_over_grpc_should_get_back_trrs_three_points()
    {
        var output = new StringWriter();
        Assert.Equal(TimeSeriesSample.Points, await GrpcTimeSeriesSample.RunAsync(_dir, output));
        Assert.Contains("GetTimeData(t1): (1427162400, 10), (1427162462, 12), (1427162524, 14)", output.ToString());
    }

    [Fact]
    public async Task The_grpc_word_tracker_should_count_every_word_once_across_a_killed_leader()
    {
        var output = new StringWriter();
        var counts = await GrpcWordTrackerSample.RunAsync(_dir, output, TestCluster.FreePort);
        Assert.Equal(GrpcWordTrackerSample.Expected(), counts);
        // The six lines sent to the frozen leader were all answered by the next one: sent again, applied once.
        Assert.Matches(@"lines 30-35: 0 answered by w\d before it died, 6 by the next leader", output.ToString());
    }

    [Fact]
    public async Task The_word_tracker_should_count_words_across_commands()
    {
        Assert.Equal(2, await WordTrackerSample.RunAsync(_dir, new StringWriter()));
    }

    [Fact]
    public async Task The_typed_word_tracker_should_count_an_apps_records_and_refuse_the_one_outside_the_allowed_types()
    {
        var output = new StringWriter();
        var (count, refusal) = await TypedWordTrackerSample.RunAsync(_dir, output);
        Assert.Equal(2, count);
        Assert.Equal("typed write refused, nothing was proposed: the type 'AkkaRaft.Samples.ShoutWords, AkkaRaft.Samples' is not in " +
                     "akka.actor.serialization-settings.hyperion.allowed-types (add \"AkkaRaft.Samples.ShoutWords, AkkaRaft.Samples\" there to accept it)", refusal);
        Assert.Contains("'raft' was seen 2 times", output.ToString());
    }
}

/// <summary>The remote client sample against a running node.</summary>
public sealed class RemoteClientSampleTests(SingleNodeFixture fixture) : IClassFixture<SingleNodeFixture>
{
    [Fact]
    public async Task A_client_app_should_write_and_read_with_actor_messages_over_remoting()
    {
        var output = new StringWriter();
        Assert.Equal("sent as an actor message", await RemoteClient.RunAsync(fixture.Node.Node.RaftAddress.ToString(), output));
        Assert.Contains("committed at index", output.ToString());
    }
}
