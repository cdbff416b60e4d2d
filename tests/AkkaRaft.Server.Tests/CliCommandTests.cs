using System.CommandLine;
using System.Text.Json;
using AkkaRaft.Configuration;
using AkkaRaft.Server.Cli;
using AkkaRaft.Server.Node;

namespace AkkaRaft.Server.Tests;

/// <summary>`akkaraft kv` and `akkaraft cluster` against a running node, and how `serve` reads its options.</summary>
public sealed class CliCommandTests(SingleNodeFixture fixture) : IClassFixture<SingleNodeFixture>
{
    private (int Exit, string Out, string Err) Run(params string[] args)
    {
        var output = new StringWriter();
        var error = new StringWriter();
        var all = args.Concat(["--endpoints", fixture.Node.Address]).ToArray();
        var exit = AkkaRaftCommandLine.Run(all, new CliEnvironment(new Dictionary<string, string?>()), new InvocationConfiguration { Output = output, Error = error });
        return (exit, output.ToString(), error.ToString());
    }

    [Fact]
    public void Kv_put_get_list_and_del_should_print_human_output()
    {
        var prefix = $"cli-{Guid.NewGuid():N}/";
        var put = Run("kv", "put", prefix + "a", "apple");
        Assert.Equal(0, put.Exit);
        Assert.StartsWith("OK (index ", put.Out);
        Assert.Equal(0, Run("kv", "put", prefix + "b", "banana").Exit);
        Assert.Equal("apple", Run("kv", "get", prefix + "a", "--level", "consistent").Out.Trim());
        Assert.Equal($"{prefix}a = apple\n{prefix}b = banana", Run("kv", "list", prefix).Out.Trim().ReplaceLineEndings("\n"));
        Assert.Equal($"deleted {prefix}a", Run("kv", "del", prefix + "a").Out.Trim());
        Assert.Equal("deleted 1 keys", Run("kv", "del", prefix, "--prefix").Out.Trim());
    }

    [Fact]
    public void Kv_get_with_json_should_print_the_servers_json()
    {
        var key = $"cli-json-{Guid.NewGuid():N}";
        Run("kv", "put", key, "v");
        using var document = JsonDocument.Parse(Run("kv", "get", key, "--json").Out);
        Assert.Equal("v", document.RootElement.GetProperty(key).GetString());
    }

    [Fact]
    public void A_missing_key_and_a_failed_compare_should_exit_1_with_the_problem_on_stderr()
    {
        var key = $"cli-missing-{Guid.NewGuid():N}";
        var get = Run("kv", "get", key);
        Assert.Equal((1, ""), (get.Exit, get.Out));
        Assert.Contains($"404 key '{key}' not found", get.Err);
        Run("kv", "put", key, "v");
        var cas = Run("kv", "put", key, "w", "--if-index", "1");
        Assert.Equal(1, cas.Exit);
        Assert.Contains("409 compare failed", cas.Err);
    }

    [Fact]
    public void An_unreachable_endpoint_should_be_skipped_for_the_next()
    {
        var output = new StringWriter();
        var exit = AkkaRaftCommandLine.Run(
            ["cluster", "status", "--endpoints", $"127.0.0.1:{TestCluster.FreePort()},{fixture.Node.Address}"],
            new CliEnvironment(new Dictionary<string, string?>()), new InvocationConfiguration { Output = output, Error = new StringWriter() });
        Assert.Equal(0, exit);
        Assert.StartsWith("node solo: leader, term ", output.ToString());
        Assert.Contains("members (match indexes as leader solo sees them):", output.ToString());
        Assert.Matches(@"\n  solo +leader +match [1-9][0-9]* +lag 0 +raft 127\.0\.0\.1:", output.ToString());
    }

    [Fact]
    public void Cluster_status_with_json_should_print_the_status_document()
    {
        var (exit, output, _) = Run("cluster", "status", "--json");
        Assert.Equal(0, exit);
        using var document = JsonDocument.Parse(output);
        Assert.Equal("solo", document.RootElement.GetProperty("leader").GetString());
    }

    [Fact]
    public void Set_voters_should_print_the_committed_configuration_and_exit_1_when_the_expected_voters_differ()
    {
        var (exit, output, _) = Run("cluster", "set-voters", "solo", "--expect", "solo");
        Assert.Equal(0, exit);
        Assert.Matches(@"^voters solo; learners \(none\) \(committed at index [1-9][0-9]*\)", output);

        var refused = Run("cluster", "set-voters", "solo", "--expect", "n1", "n2");
        Assert.Equal(1, refused.Exit);
        Assert.Contains("409 the voters are [solo]", refused.Err);
        var unknown = Run("cluster", "set-voters", "solo", "--learners", "ghost");
        Assert.Equal(1, unknown.Exit);
        Assert.Contains("unknown node 'ghost'", unknown.Err);
    }

    [Fact]
    public void Transfer_leader_on_a_single_node_should_be_refused_with_exit_1()
    {
        var (exit, _, error) = Run("cluster", "transfer-leader");
        Assert.Equal(1, exit);
        Assert.Contains("no other voter", error);
    }
}

/// <summary>How `serve` turns raftdb's options into settings, and what it refuses.</summary>
public sealed class ServeOptionsTests
{
    [Fact]
    public void Raftdb_spellings_and_a_positional_data_directory_should_set_the_node_settings()
    {
        var parsed = AkkaRaftCommandLine.Create(new CliEnvironment(new Dictionary<string, string?>()))
            .Parse(["serve", "-id", "node01", "-haddr", "127.0.0.1:18091", "-raddr", "127.0.0.1:18089", "-join", "127.0.0.1:8091", "/tmp/raftdb"]);
        Assert.Empty(parsed.Errors);
        var settings = ServerSettings.FromConfig(ServeCommand.LoadConfig(parsed, new Dictionary<string, string?>()));
        Assert.Equal("node01", settings.Node.Id);
        Assert.Equal("/tmp/raftdb", settings.Node.DataDirectory);
        Assert.Equal(new HostPort("127.0.0.1", 18091), settings.HttpAddress);
        Assert.False(settings.Learner);
        var learner = AkkaRaftCommandLine.Create(new CliEnvironment(new Dictionary<string, string?>()))
            .Parse(["serve", "-id", "node04", "-join", "127.0.0.1:8091", "--learner", "/tmp/raftdb"]);
        Assert.Empty(learner.Errors);
        Assert.True(ServerSettings.FromConfig(ServeCommand.LoadConfig(learner, new Dictionary<string, string?>())).Learner);
        Assert.Equal(new HostPort("127.0.0.1", 18089), settings.RaftAddress);
        Assert.Equal("127.0.0.1:8091", settings.Join);
    }

    [Fact]
    public void Long_options_should_win_over_the_environment()
    {
        var parsed = AkkaRaftCommandLine.Create(new CliEnvironment(new Dictionary<string, string?>()))
            .Parse(["serve", "--id", "n2", "--peers", "n1=127.0.0.1:1001,n2=127.0.0.1:1002"]);
        var settings = ServerSettings.FromConfig(ServeCommand.LoadConfig(parsed, new Dictionary<string, string?> { ["AKKARAFT__NODE__ID"] = "from-env" }));
        Assert.Equal("n2", settings.Node.Id);
        Assert.Equal([new StaticPeer("n1", new HostPort("127.0.0.1", 1001)), new StaticPeer("n2", new HostPort("127.0.0.1", 1002))], settings.Peers);
    }

    [Theory]
    [InlineData("--http", "nowhere", "akkaraft.http.address")]
    [InlineData("--peers", "n1=127.0.0.1:1", "must include this node")]
    [InlineData("--peers", "n1", "expected id=host:port")]
    public void A_bad_option_value_should_exit_2_naming_the_setting(string option, string value, string expected)
    {
        var error = new StringWriter();
        var exit = AkkaRaftCommandLine.Run(["serve", option, value], new CliEnvironment(new Dictionary<string, string?>()),
            new InvocationConfiguration { Output = new StringWriter(), Error = error });
        Assert.Equal(2, exit);
        Assert.Contains(expected, error.ToString());
    }

    [Fact]
    public async Task Serve_should_stop_gracefully_and_exit_0_when_asked_to_stop()
    {
        var dir = TestCluster.TempDirectory("serve");
        try
        {
            var config = TestCluster.Config("stopper", dir);
            using var stop = new CancellationTokenSource();
            var output = new StringWriter();
            var run = ServeCommand.RunAsync(config, TextWriter.Synchronized(output), new StringWriter(), stop.Token);
            await TestCluster.WaitForAsync(() => Task.FromResult(output.ToString().Contains("leads", StringComparison.Ordinal)), "the node to lead");
            await stop.CancelAsync();
            Assert.Equal(0, await run);
            Assert.Contains("node stopper stopped", output.ToString());
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }
}
