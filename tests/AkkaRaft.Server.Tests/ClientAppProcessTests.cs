using System.Diagnostics;
using System.Net;
using System.Text;
using System.Text.Json;
using System.Text.RegularExpressions;
using Xunit.Abstractions;

namespace AkkaRaft.Server.Tests;

/// <summary>
/// samples/AkkaRaft.ClientApp, an Akka app with only AkkaRaft.Client of ours, run as a process against three server
/// processes: through ActorSelection of a follower (which refuses the write and names the leader, where the app
/// retries it) and through ClusterClient with every member as an initial contact; either way it also runs a
/// RaftSession that writes an ephemeral key and closes.
/// </summary>
[Collection(ServerProcessCollection.Name)]
public sealed class ClientAppProcessTests(ServerProcessFixture fixture, ITestOutputHelper log) : IAsyncLifetime
{
    private readonly HttpClient _http = fixture.Http;

    private ServerProcessCluster Cluster => fixture.Cluster;

    public async Task InitializeAsync()
    {
        log.WriteLine($"three server processes formed a Raft group and an Akka cluster in {fixture.FormedAfter.TotalSeconds:F1}s");
        await Cluster.WaitUntilFormedAsync(_http);
    }

    public Task DisposeAsync() => Task.CompletedTask;

    [Fact]
    public async Task The_client_app_should_write_follow_not_leader_to_the_leader_and_read_at_every_level_through_selection_and_cluster_client()
    {
        var leader = await Cluster.LeaderAsync(_http, Cluster.Nodes[0]);
        var follower = Cluster.Nodes.First(n => n != leader);

        // Both ways at once, as two apps of their own.
        var watch = Stopwatch.StartNew();
        var contacts = string.Join(",", Cluster.Nodes.Select(n => n.Raft));
        var selectionRun = RunClientAppAsync("selection", follower.Raft, "--key", "via-selection", "--value", "selected");
        var clientRun = RunClientAppAsync("cluster-client", contacts, "--key", "via-cluster-client", "--value", "clustered");
        var (selectionExit, selection) = await selectionRun;
        var (clientExit, viaClient) = await clientRun;
        log.WriteLine($"both runs: {watch.Elapsed.TotalSeconds:F1}s\n{selection}\n{viaClient}");
        Assert.True(selectionExit == 0, $"the app exited {selectionExit}:\n{selection}");
        Has(selection, $"mode: selection via akka.tcp://akkaraft@{follower.Raft}/user/raft");
        // The follower refused the write and named the leader, and the app retried it there. (The leader is read
        // from the output: under load an election may have moved leadership since it was looked up above.)
        Has(selection, $"write: not-leader from akka.tcp://akkaraft@{follower.Raft}/user/raft");
        var named = Regex.Match(selection, @"the leader is (\S+), retrying at akka\.tcp://akkaraft@(\S+)/user/raft");
        Assert.True(named.Success, selection);
        var retriedAt = Cluster.Nodes.Single(n => n.Id == named.Groups[1].Value);
        Assert.Equal(retriedAt.Raft, named.Groups[2].Value);
        Assert.NotEqual(follower, retriedAt);
        Assert.True(Regex.IsMatch(selection, @"write: via-selection committed at index \d+ by leader p\d"), selection);
        Has(selection, "read stale: via-selection = selected (served by Local");
        Has(selection, "read default: via-selection = selected (served by");
        Has(selection, "read consistent: via-selection = selected (served by FollowerReadIndex"); // the selected follower answers it itself
        HasSessionFlow(selection, "via-selection");
        // Akka may log a warning after it (an association closing as the app stops): "done" is a line, not the last.
        Assert.True(selection.Split('\n', StringSplitOptions.TrimEntries).Contains("done"), selection);

        Assert.True(clientExit == 0, $"the app exited {clientExit}:\n{viaClient}");
        Has(viaClient, "mode: cluster-client via ClusterClient to /user/raft through akka.tcp://akkaraft@");
        Has(viaClient, "write: via-cluster-client committed at index");
        foreach (var level in new[] { "stale", "default", "consistent" })
        {
            Has(viaClient, $"read {level}: via-cluster-client = clustered (served by");
        }

        HasSessionFlow(viaClient, "via-cluster-client");

        Assert.True(viaClient.Split('\n', StringSplitOptions.TrimEntries).Contains("done"), viaClient);

        // What the app wrote is the cluster's: every member serves both keys.
        foreach (var node in Cluster.Nodes)
        {
            foreach (var (key, value) in new[] { ("via-selection", "selected"), ("via-cluster-client", "clustered") })
            {
                using var response = await _http.GetAsync($"http://{node.Http}/key/{key}?level=consistent&forward=true");
                Assert.Equal(HttpStatusCode.OK, response.StatusCode);
                using var document = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
                Assert.Equal(value, document.RootElement.GetProperty(key).GetString());
            }
        }
    }

    /// <summary>The app's RaftSession opened, wrote an ephemeral key owned by it, closed, and the key went with it.</summary>
    private static void HasSessionFlow(string output, string key)
    {
        var opened = Regex.Match(output, @"session: (\d+) opened \(ttl 10s\)");
        Assert.True(opened.Success, output);
        Assert.Matches($@"session: {key}-ephemeral written as ephemeral at index \d+", output);
        Has(output, $"session: {key}-ephemeral belongs to session {opened.Groups[1].Value}");
        Has(output, $"session: closed; {key}-ephemeral is gone with it");
    }

    /// <summary>Asserts that the app printed <paramref name="text"/>, showing all it printed when it did not.</summary>
    private static void Has(string output, string text) => Assert.True(output.Contains(text, StringComparison.Ordinal), $"no '{text}' in:\n{output}");

    /// <summary>
    /// The client app as its own build made it (samples/AkkaRaft.ClientApp/bin/...), with its own deps.json, not the
    /// copy in this test's output: that folder is resolved for the server (ASP.NET's shared framework), not for the app.
    /// </summary>
    internal static string ClientAppDirectory()
    {
        var testOutput = new DirectoryInfo(AppContext.BaseDirectory.TrimEnd(Path.DirectorySeparatorChar));
        var (framework, configuration) = (testOutput.Name, testOutput.Parent!.Name);
        for (var dir = testOutput; dir is not null; dir = dir.Parent)
        {
            var candidate = Path.Combine(dir.FullName, "samples", "AkkaRaft.ClientApp", "bin", configuration, framework);
            if (File.Exists(Path.Combine(candidate, "AkkaRaft.ClientApp.dll"))) return candidate;
        }

        throw new FileNotFoundException($"no samples/AkkaRaft.ClientApp/bin/{configuration}/{framework}/AkkaRaft.ClientApp.dll above {testOutput}");
    }

    /// <summary>Runs <c>dotnet AkkaRaft.ClientApp.dll</c> to its end (it gives up by itself after 45s); its exit code and output.</summary>
    private static async Task<(int ExitCode, string Output)> RunClientAppAsync(params string[] args)
    {
        var start = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        start.ArgumentList.Add(Path.Combine(ClientAppDirectory(), "AkkaRaft.ClientApp.dll"));
        foreach (var arg in args) start.ArgumentList.Add(arg);
        using var process = Process.Start(start)!;
        var output = new StringBuilder();
        process.OutputDataReceived += (_, e) => { if (e.Data is not null) lock (output) output.AppendLine(e.Data); };
        process.ErrorDataReceived += (_, e) => { if (e.Data is not null) lock (output) output.AppendLine("stderr: " + e.Data); };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        try
        {
            await process.WaitForExitAsync(timeout.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException($"the client app did not end in 60s:\n{output}");
        }

        process.WaitForExit(); // the redirected streams are drained once this returns
        lock (output) return (process.ExitCode, output.ToString());
    }
}

/// <summary>The client app is another app: its dependencies name no AkkaRaft assembly but AkkaRaft.Client.</summary>
public sealed class ClientAppDependencyTests
{
    [Fact]
    public void The_client_app_should_depend_on_akka_and_akkaraft_client_only()
    {
        using var deps = JsonDocument.Parse(File.ReadAllText(Path.Combine(ClientAppProcessTests.ClientAppDirectory(), "AkkaRaft.ClientApp.deps.json")));
        var libraries = deps.RootElement.GetProperty("libraries").EnumerateObject().Select(l => l.Name.Split('/')[0]).ToList();
        Assert.Contains("AkkaRaft.Client", libraries);
        Assert.Contains("Akka.Cluster.Tools", libraries);
        var ours = libraries.Where(l => l.StartsWith("AkkaRaft", StringComparison.Ordinal) || l.Equals("akkaraft", StringComparison.OrdinalIgnoreCase)).ToList();
        Assert.Equal(["AkkaRaft.Client", "AkkaRaft.ClientApp"], ours.Order(StringComparer.Ordinal));
    }
}
