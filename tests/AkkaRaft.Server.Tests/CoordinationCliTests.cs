using System.CommandLine;
using System.Net;
using System.Text;
using System.Text.Json;
using AkkaRaft.Server.Cli;

namespace AkkaRaft.Server.Tests;

/// <summary><c>akkaraft kv watch</c> and <c>akkaraft lock NAME -- COMMAND</c> against a running node.</summary>
public sealed class CoordinationCliTests(SingleNodeFixture fixture) : IClassFixture<SingleNodeFixture>
{
    private Task<(int Exit, string Out, string Err)> RunAsync(params string[] args) => Task.Run(() =>
    {
        var output = new StringWriter();
        var error = new StringWriter();
        // Before "--": what follows it is the command to run.
        var end = Array.IndexOf(args, "--") is var dashes and >= 0 ? dashes : args.Length;
        var all = args[..end].Concat(["--endpoints", fixture.Node.Address]).Concat(args[end..]).ToArray();
        var exit = AkkaRaftCommandLine.Run(all, new CliEnvironment(new Dictionary<string, string?>()), new InvocationConfiguration { Output = output, Error = error });
        return (exit, output.ToString(), error.ToString());
    });

    [Fact]
    public async Task Kv_watch_prints_the_change_that_fired_it_and_exits_1_with_408_when_nothing_changes()
    {
        var key = $"cli-watch-{Guid.NewGuid():N}";
        var watching = RunAsync("kv", "watch", key, "--timeout", "20s");
        await Task.Delay(500);
        var put = await RunAsync("kv", "put", key, "v");
        var index = put.Out.Trim()["OK (index ".Length..^1];

        var fired = await watching;
        Assert.Equal((0, $"data_changed {key} at index {index} (put)"), (fired.Exit, fired.Out.Trim()));

        var quiet = await RunAsync("kv", "watch", key + "-quiet", "--timeout", "300ms");
        Assert.Equal(1, quiet.Exit);
        Assert.Contains("408", quiet.Err);
    }

    [Fact]
    public async Task Session_list_prints_an_open_session_the_lock_it_holds_and_its_watch()
    {
        using var http = new HttpClient { BaseAddress = new Uri($"http://{fixture.Node.Address}") };
        var session = await OpenSessionAsync(http);
        var name = $"cli-listed-{Guid.NewGuid():N}";
        var held = await http.PostAsync($"/lock/{name}?session={session}", null);
        var token = held.Headers.GetValues("X-Fencing-Token").Single();
        var watch = http.GetAsync($"/watch/{name}?session={session}&timeout=20s");
        await Task.Delay(300);

        var listed = await RunAsync("session", "list");
        Assert.True(listed.Exit == 0, listed.Err);
        var lines = listed.Out.Split('\n', StringSplitOptions.TrimEntries);
        Assert.Contains(lines, l => l.StartsWith($"{session}  ttl ", StringComparison.Ordinal) && l.Contains("expires in ", StringComparison.Ordinal));
        Assert.Contains($"{name}  holder {session}  token {token}  waiters none", lines);
        Assert.Contains(lines, l => l.EndsWith($"key {name}  session {session}  after {token}", StringComparison.Ordinal));

        var bad = await RunAsync("session", "list", "--limit", "0");
        Assert.Equal(1, bad.Exit);
        Assert.Contains("limit must be a positive integer", bad.Err);

        Assert.Equal(HttpStatusCode.NoContent, (await http.DeleteAsync($"/session/{session}")).StatusCode);
        await watch;
    }

    [Fact]
    public async Task Lock_runs_the_command_with_its_fencing_token_returns_its_exit_code_and_releases_the_lock()
    {
        var name = $"cli-lock-{Guid.NewGuid():N}";
        var file = Path.Combine(Path.GetTempPath(), name);
        try
        {
            var ran = await RunAsync("lock", name, "--", "sh", "-c", $"echo $AKKARAFT_LOCK_TOKEN > {file}; exit 7");
            Assert.True(ran.Exit == 7, ran.Err);
            Assert.True(ulong.Parse(File.ReadAllText(file).Trim()) > 0);
            Assert.Contains($"holding lock '{name}'", ran.Err);

            // Released: another session gets it at once.
            using var http = new HttpClient { BaseAddress = new Uri($"http://{fixture.Node.Address}") };
            var session = await OpenSessionAsync(http);
            Assert.Equal(HttpStatusCode.OK, (await http.PostAsync($"/lock/{name}?session={session}", null)).StatusCode);

            // Held by that session: the CLI waits, gives up after --wait, and never runs the command.
            var refused = await RunAsync("lock", name, "--wait", "300ms", "--", "sh", "-c", $"echo ran > {file}");
            Assert.Equal(1, refused.Exit);
            Assert.Contains("409", refused.Err);
            Assert.NotEqual("ran", File.ReadAllText(file).Trim());
        }
        finally
        {
            File.Delete(file);
        }
    }

    private static async Task<string> OpenSessionAsync(HttpClient http)
    {
        var answer = await http.PostAsync("/session", new StringContent("{\"ttl\":\"30s\"}", Encoding.UTF8, "application/json"));
        using var body = JsonDocument.Parse(await answer.Content.ReadAsStringAsync());
        return body.RootElement.GetProperty("id").GetString()!;
    }
}
