using System.Diagnostics;
using System.Text.Json;

namespace AkkaRaft.Server.Tests;

/// <summary>
/// Issue #17, point 4: a client nobody here wrote. tests/node-grpc/client.mjs drives the Kv and Watch services from
/// Node.js with @grpc/grpc-js and @grpc/proto-loader, from protos/*.proto alone (nothing generated); this test runs it
/// against a node and checks what it printed. .ci/run installs its packages (npm ci); a checkout without them gets
/// them here the same way.
/// </summary>
public sealed class GrpcNodeJsTests(GrpcNodeFixture fixture) : IClassFixture<GrpcNodeFixture>
{
    private static readonly TimeSpan ScriptTimeout = TimeSpan.FromSeconds(60);

    [Fact]
    public async Task A_nodejs_client_built_from_the_protos_alone_puts_gets_at_each_level_watches_and_deletes()
    {
        var root = RepositoryRoot();
        var clientDir = Path.Combine(root, "tests", "node-grpc");
        if (!Directory.Exists(Path.Combine(clientDir, "node_modules", "@grpc", "grpc-js")))
        {
            var (installed, installOutput) = await RunAsync("npm", ["ci", "--no-audit", "--no-fund"], clientDir, TimeSpan.FromMinutes(3));
            Assert.True(installed == 0, $"npm ci in {clientDir} failed ({installed}):\n{installOutput}");
        }

        var (exit, output) = await RunAsync("node", ["client.mjs", fixture.Node.Grpc.Address.ToString(), Path.Combine(root, "protos"), "node/greeting"], clientDir, ScriptTimeout);
        Assert.True(exit == 0, $"the Node.js client failed ({exit}):\n{output}");
        var steps = output.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
            .Where(line => line.StartsWith('{'))
            .Select(line => JsonDocument.Parse(line).RootElement)
            .ToList();
        JsonElement Step(string name) => Assert.Single(steps, s => s.GetProperty("step").GetString() == name);

        var put = Step("put");
        var putIndex = ulong.Parse(put.GetProperty("modIndex").GetString()!);
        Assert.True(putIndex > 0);
        Assert.Equal("g1", put.GetProperty("member").GetString());

        var gets = steps.Where(s => s.GetProperty("step").GetString() == "get").ToList();
        Assert.Equal(["READ_LEVEL_STALE", "READ_LEVEL_DEFAULT", "READ_LEVEL_CONSISTENT"], gets.Select(g => g.GetProperty("level").GetString()));
        Assert.All(gets, g =>
        {
            Assert.True(g.GetProperty("found").GetBoolean());
            Assert.Equal("from node", g.GetProperty("value").GetString());
            Assert.Equal(putIndex, ulong.Parse(g.GetProperty("modIndex").GetString()!));
        });

        // The watch set after the put fired on the next write of the key, at that write's index.
        var watched = Step("watch");
        Assert.True(watched.GetProperty("created").GetBoolean());
        Assert.Equal(putIndex, ulong.Parse(watched.GetProperty("createdAfter").GetString()!));
        Assert.Equal("node/greeting", watched.GetProperty("changedKey").GetString());
        var changedIndex = ulong.Parse(watched.GetProperty("changedIndex").GetString()!);
        Assert.True(changedIndex > putIndex);
        Assert.Equal(watched.GetProperty("secondPutIndex").GetString(), changedIndex.ToString(System.Globalization.CultureInfo.InvariantCulture));

        Assert.Equal("1", Step("delete").GetProperty("deleted").GetString());
        Assert.False(Step("get-after-delete").GetProperty("found").GetBoolean());
    }

    private static string RepositoryRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "protos", "kv.proto"))) return dir.FullName;
        }

        throw new InvalidOperationException($"no protos/kv.proto above {AppContext.BaseDirectory}");
    }

    private static async Task<(int ExitCode, string Output)> RunAsync(string file, string[] arguments, string directory, TimeSpan timeout)
    {
        var start = new ProcessStartInfo(file) { WorkingDirectory = directory, RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var argument in arguments) start.ArgumentList.Add(argument);
        using var process = Process.Start(start) ?? throw new InvalidOperationException($"{file} did not start");
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        using var cancel = new CancellationTokenSource(timeout);
        try
        {
            await process.WaitForExitAsync(cancel.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException($"{file} {string.Join(' ', arguments)} did not finish within {timeout}:\n{await stdout}\n{await stderr}");
        }

        return (process.ExitCode, await stdout + await stderr);
    }
}
