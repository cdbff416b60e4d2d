using System.Diagnostics;
using AkkaConfigurationFactory = Akka.Configuration.ConfigurationFactory;

namespace AkkaRaft.Configuration.Tests;

/// <summary>
/// Why a user's file never reaches Akka.NET's own HOCON parser (Akka 1.5.75,
/// <c>Akka.Configuration.ConfigurationFactory.ParseString</c>): each test shows what Akka's parser does wrong with a
/// file a user could write, and what the loader does with the same file. When Akka fixes one of these, its half
/// of the test fails, and the case for our own loader gets weaker by that much.
/// </summary>
public sealed class AkkaParserFlawTests : IDisposable
{
    private readonly TempDirectory _dir = new();

    public void Dispose() => _dir.Dispose();

    private static readonly Dictionary<string, string?> NoEnvironment = [];

    private Config Load(string text) => AkkaRaftConfig.Load(_dir.Write("node.conf", text), NoEnvironment, null);

    private ConfigException LoadError(string text) => Assert.Throws<ConfigException>(() => Load(text));

    [Fact]
    public void An_unclosed_brace_is_accepted_by_Akka_and_refused_by_the_loader_naming_where_it_was_opened()
    {
        const string text = "akka {\n  loglevel = DEBUG\n  actor.provider = cluster\n";

        // Akka: no error; a file cut short (a truncated copy, a lost line) starts a node.
        var akka = AkkaConfigurationFactory.ParseString(text);
        Assert.Equal("DEBUG", akka.GetString("akka.loglevel"));
        Assert.Equal("cluster", akka.GetString("akka.actor.provider"));

        var error = LoadError(text);
        Assert.EndsWith("node.conf:4:1: expected '}' to close the object opened at " + Path.Combine(_dir.Path, "node.conf") + ":1:6, found end of input",
            error.Message);
    }

    [Fact]
    public void A_stray_closing_brace_makes_Akka_drop_the_rest_of_the_file_and_the_loader_refuses_it()
    {
        const string text = "akka.loglevel = DEBUG\n}\nakka.actor.provider = cluster\n";

        // Akka: no error, and every setting after the '}' is gone.
        var akka = AkkaConfigurationFactory.ParseString(text);
        Assert.Equal("DEBUG", akka.GetString("akka.loglevel"));
        Assert.False(akka.HasPath("akka.actor.provider"));

        var error = LoadError(text);
        Assert.Equal(2, error.Origin?.Line);
        Assert.Contains("'}'", error.Message);
    }

    [Fact]
    public void An_unset_optional_substitution_makes_Akka_drop_the_rest_of_the_file_and_the_loader_only_leaves_that_setting_out()
    {
        const string text =
            "akka.remote.dot-netty.tcp.hostname = ${?AKKARAFT_TEST_VARIABLE_NEVER_SET}\nakka.loglevel = DEBUG\nakkaraft.node.id = n1\n";

        // Akka: the settings after the unset ${?VAR} are gone, without an error. (Its Config.ToString(), which a node
        // logs with akka.log-config-on-start = on, then overflows the stack too; not tested here: the overflow
        // takes some 20 seconds to happen.)
        var akka = AkkaConfigurationFactory.ParseString(text);
        Assert.False(akka.HasPath("akka.loglevel"));
        Assert.False(akka.HasPath("akkaraft.node.id"));

        // HOCON.md: an optional substitution with no value leaves the field undefined; nothing else changes.
        var config = Load(text);
        Assert.False(config.HasPath("akka.remote.dot-netty.tcp.hostname"));
        Assert.Equal("DEBUG", config.GetString("akka.loglevel"));
        Assert.Equal("n1", config.GetString("akkaraft.node.id"));
    }

    [Fact]
    public void Plus_equals_is_a_key_named_with_a_plus_to_Akka_and_appends_in_the_loader()
    {
        const string text = "akka.cluster.roles = [raft]\nakka.cluster.roles += kv\n";

        // Akka: "roles +" becomes a key of its own, and the list keeps one role.
        var akka = AkkaConfigurationFactory.ParseString(text);
        Assert.Equal(["raft"], akka.GetStringList("akka.cluster.roles"));
        Assert.Equal(["roles", "roles +"], akka.GetConfig("akka.cluster").Root.GetObject().Items.Keys);

        Assert.Equal(["raft", "kv"], Load(text).GetStringList("akka.cluster.roles"));
    }

    [Fact]
    public void Include_required_is_a_key_to_Akka_which_drops_what_follows_and_the_loader_refuses_the_missing_file()
    {
        const string text = "akka.loglevel = DEBUG\ninclude required(\"missing.conf\")\nakka.actor.provider = cluster\n";

        // Akka: no error for the missing file; the directive becomes a key "include required(" and the settings after it are gone.
        var akka = AkkaConfigurationFactory.ParseString(text);
        Assert.Equal(["akka", "include required("], akka.Root.GetObject().Items.Keys);
        Assert.False(akka.HasPath("akka.actor.provider"));

        var error = LoadError(text);
        Assert.Contains("missing.conf", error.Message);
        Assert.Equal(2, error.Origin?.Line);
    }

    [Fact]
    public void A_self_referential_substitution_overflows_Akkas_stack_when_read_and_extends_the_value_in_the_loader()
    {
        const string text = "akka.cluster.roles = [raft]\nakka.cluster.roles = ${akka.cluster.roles} [kv]\n";

        var akka = RunAkkaParser(text, "akka.cluster.roles");
        AssertStackOverflowAfterParsing(akka);

        Assert.Equal(["raft", "kv"], Load(text).GetStringList("akka.cluster.roles"));
    }

    [Fact]
    public void A_substitution_cycle_overflows_Akkas_stack_when_read_and_is_refused_by_the_loader_naming_the_cycle()
    {
        // Two keys reference.conf does not set, so no fallback value breaks the cycle.
        const string text = "akka.test.first = ${akka.test.second}\nakka.test.second = ${akka.test.first}\n";

        var akka = RunAkkaParser(text, "akka.test.first");
        AssertStackOverflowAfterParsing(akka);

        var error = LoadError(text);
        Assert.Contains("cycle", error.Message);
        Assert.Contains("akka.test.first", error.Message);
        Assert.Contains("akka.test.second", error.Message);
    }

    [Fact]
    public void The_separate_process_should_read_a_well_formed_value_so_that_a_crash_in_it_means_a_crash_in_Akka()
    {
        var (exit, output, error) = RunAkkaParser("akka.cluster.roles = [raft]\nakka.loglevel = DEBUG\n", "akka.loglevel");
        Assert.Equal("", error);
        Assert.Equal(0, exit);
        Assert.Equal(["parsed", "read: DEBUG"], output.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries));
    }

    private static void AssertStackOverflowAfterParsing((int Exit, string Output, string Error) run)
    {
        Assert.NotEqual(0, run.Exit);
        Assert.StartsWith("parsed", run.Output); // ParseString returned; reading the value is what crashed
        Assert.DoesNotContain("read:", run.Output);
        Assert.Contains("Stack overflow", run.Error);
    }

    /// <summary>Runs Akka's ParseString on <paramref name="text"/> and reads <paramref name="path"/>, in a process of its own (see <see cref="Program"/>).</summary>
    private (int Exit, string Output, string Error) RunAkkaParser(string text, string path)
    {
        var file = _dir.Write("akka-input.conf", text);
        var dotnet = Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") is { Length: > 0 } host ? host : "dotnet";
        var start = new ProcessStartInfo(dotnet)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var argument in new[] { "exec", typeof(Program).Assembly.Location, Program.ReadCommand, file, path })
        {
            start.ArgumentList.Add(argument);
        }

        // A crashing .NET process may write a dump when told to by the environment; these crashes are expected.
        start.Environment["DOTNET_DbgEnableMiniDump"] = "0";
        using var process = Process.Start(start) ?? throw new InvalidOperationException($"could not start {dotnet}");
        var output = process.StandardOutput.ReadToEndAsync();
        var error = process.StandardError.ReadToEndAsync();
        if (!process.WaitForExit(TimeSpan.FromMinutes(2)))
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException($"Akka's parser did not finish within 2 minutes on:\n{text}");
        }

        return (process.ExitCode, output.Result, error.Result);
    }
}
