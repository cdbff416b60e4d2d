using System.Diagnostics;
using System.Net;
using System.Text;
using System.Text.Json;

namespace AkkaRaft.Server.Tests;

/// <summary>
/// A node started on a disk the kernel remounted read-only (as after filesystem errors) refuses writes with a clear
/// error, and takes them again once the disk is writable, without a restart of the process. SQLite opens a journal it
/// cannot write read-only instead of failing, so the peer must not keep that connection for its next incarnations
/// (the fault harness found it: docs/FAULTS.md, bug 2). Needs root (it mounts a tmpfs), as CI runs.
/// </summary>
public sealed class JournalReadOnlyTests : IAsyncLifetime
{
    private readonly string _mount = TestCluster.TempDirectory("journal-read-only");
    private readonly HttpClient _http = new() { Timeout = TimeSpan.FromSeconds(30) };
    private ServerProcess? _node;

    public async Task InitializeAsync()
    {
        await RunAsync("mount", "-t", "tmpfs", "-o", "size=32m", "tmpfs", _mount);
        _node = new ServerProcess("ro", $"127.0.0.1:{TestCluster.FreePort()}", $"127.0.0.1:{TestCluster.FreePort()}", Path.Combine(_mount, "data"));
    }

    public async Task DisposeAsync()
    {
        if (_node is not null) await _node.KillAsync();
        _http.Dispose();
        await RunAsync("umount", "--lazy", _mount);
        Directory.Delete(_mount, recursive: true);
    }

    [Fact]
    public async Task A_node_started_on_a_read_only_disk_should_refuse_writes_clearly_and_take_them_once_the_disk_is_writable()
    {
        var node = _node!;
        // Restarts after a failed write come within a second, so the recovery follows the remount closely; a snapshot
        // every few entries, so that recovery reads one (its load opens a write transaction, which a read-only
        // connection fails too).
        string[] settings = ["akkaraft.raft.restart-min-backoff=200ms", "akkaraft.raft.restart-max-backoff=1s", "akkaraft.raft.max-log-count=4"];
        node.Start(settings: settings);
        var acknowledged = new Dictionary<string, string>();
        for (var i = 0; i < 10; i++)
        {
            await WaitForAsync(node, async () => (await PostAsync(node, $"before/{i}", $"value {i}")).StatusCode == HttpStatusCode.OK, $"write {i} before the fault");
            acknowledged[$"before/{i}"] = $"value {i}";
        }

        // SIGKILL leaves SQLite's WAL and shared-memory files beside the database, as a crash does: with them, SQLite
        // opens the database read-only on a read-only disk instead of refusing to open it.
        await node.KillAsync();
        await RunAsync("mount", "-o", "remount,ro", _mount);
        node.Start(settings: settings);

        string? refusal = null;
        await WaitForAsync(node, async () =>
        {
            using var response = await PostAsync(node, "refused", "x");
            if (response.StatusCode != HttpStatusCode.ServiceUnavailable) return false;
            var problem = await response.Content.ReadAsStringAsync();
            if (!problem.Contains("takes no writes until its journal can be written again", StringComparison.Ordinal)) return false;
            refusal = problem;
            return true;
        }, "a write refused because the journal cannot be written");
        Assert.Contains("readonly", refusal, StringComparison.Ordinal);

        // The disk is writable again: a later incarnation of the peer opens the journal read-write and writes go on.
        await RunAsync("mount", "-o", "remount,rw", _mount);
        await WaitForAsync(node, async () => (await PostAsync(node, "after", "back")).StatusCode == HttpStatusCode.OK,
            "a write to succeed once the disk is writable again");
        acknowledged["after"] = "back";

        foreach (var (key, expected) in acknowledged)
        {
            using var read = await _http.GetAsync($"http://{node.Http}/key/{key}?level=consistent");
            var body = await read.Content.ReadAsStringAsync();
            // A refused read says why, with the node's log (a restarting peer has no leader for a moment).
            Assert.True(read.IsSuccessStatusCode, $"reading {key}: {(int)read.StatusCode} {body}\n{node.Log}");
            Assert.Equal(expected, JsonDocument.Parse(body).RootElement.GetProperty(key).GetString());
        }
    }

    private async Task<HttpResponseMessage> PostAsync(ServerProcess node, string key, string value) =>
        await _http.PostAsync($"http://{node.Http}/key", new StringContent(JsonSerializer.Serialize(new Dictionary<string, string> { [key] = value }), Encoding.UTF8, "application/json"));

    private static async Task WaitForAsync(ServerProcess node, Func<Task<bool>> condition, string what)
    {
        var watch = Stopwatch.StartNew();
        while (watch.Elapsed < ServerProcessCluster.Patience)
        {
            try
            {
                if (await condition()) return;
            }
            catch (Exception e) when (e is HttpRequestException or TaskCanceledException)
            {
                // Not listening yet, or restarting its peer.
            }

            await Task.Delay(200);
        }

        throw new TimeoutException($"gave up after {ServerProcessCluster.Patience.TotalSeconds}s waiting for {what}\n{node.Log}");
    }

    private static async Task RunAsync(string command, params string[] args)
    {
        using var process = Process.Start(new ProcessStartInfo(command, args) { RedirectStandardError = true, UseShellExecute = false })!;
        var error = await process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync();
        Assert.True(process.ExitCode == 0, $"{command} {string.Join(' ', args)} failed ({process.ExitCode}): {error} (this test mounts a tmpfs and needs root, as CI runs)");
    }
}
