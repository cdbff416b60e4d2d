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
    public async Task The_word_tracker_should_count_words_across_commands()
    {
        Assert.Equal(2, await WordTrackerSample.RunAsync(_dir, new StringWriter()));
    }
}
