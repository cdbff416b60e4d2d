using System.Diagnostics;
using System.Net;
using System.Text;
using System.Text.Json;
using Microsoft.Data.Sqlite;

namespace AkkaRaft.Server.Tests;

/// <summary>
/// A node whose disk fills up (its data directory on a small tmpfs, filled by another file) stops taking writes with a
/// clear error instead of timing out, loses nothing it acknowledged, and takes writes again once space returns,
/// without a restart. Needs root (it mounts the tmpfs), as CI runs.
/// </summary>
public sealed class JournalFullTests : IAsyncLifetime
{
    private readonly string _mount = TestCluster.TempDirectory("journal-full");
    private readonly HttpClient _http = new(new HttpClientHandler { AllowAutoRedirect = true }) { Timeout = TimeSpan.FromSeconds(30) };
    private InProcessNode? _node;

    public async Task InitializeAsync()
    {
        await RunAsync("mount", "-t", "tmpfs", "-o", "size=6m", "tmpfs", _mount);
        _node = await InProcessNode.StartAsync("full", Path.Combine(_mount, "data"), new Dictionary<string, string>
        {
            // Restarts after a failed write come within a second, so the test sees the recovery soon after space returns.
            ["akkaraft.raft.restart-min-backoff"] = "200ms",
            ["akkaraft.raft.restart-max-backoff"] = "1s",
        });
    }

    public async Task DisposeAsync()
    {
        if (_node is not null) await _node.DisposeAsync();
        _http.Dispose();
        SqliteConnection.ClearAllPools(); // pooled connections keep the journal file open
        await RunAsync("umount", "--lazy", _mount);
        Directory.Delete(_mount, recursive: true);
    }

    [Fact]
    public async Task A_full_disk_should_refuse_writes_clearly_keep_every_acknowledged_write_and_recover_when_space_returns()
    {
        var node = _node!;
        await TestCluster.WaitForLeaderAsync(_http, node.Address);
        var acknowledged = new Dictionary<string, string>();
        for (var i = 0; i < 20; i++) await PutAsync(node, $"before/{i}", $"value {i}", acknowledged);

        // Fill what is left of the tmpfs.
        var filler = Path.Combine(_mount, "filler");
        FillDisk(filler);

        // Writes go on until the journal hits the full disk; from then on every write is refused at once with 507.
        HttpResponseMessage? refused = null;
        var value = new string('v', 16 * 1024);
        for (var i = 0; i < 200 && refused is null; i++)
        {
            var response = await PostAsync(node, $"during/{i}", value);
            if (response.StatusCode == HttpStatusCode.OK) acknowledged[$"during/{i}"] = value;
            else if (response.StatusCode == HttpStatusCode.InsufficientStorage) refused = response;
            else Assert.Equal(HttpStatusCode.GatewayTimeout, response.StatusCode); // the write that met the full disk: ambiguous
        }

        Assert.NotNull(refused);
        var problem = await refused.Content.ReadAsStringAsync();
        Assert.Contains("disk is full", problem, StringComparison.Ordinal);
        Assert.Contains("takes no writes until its journal can be written again", problem, StringComparison.Ordinal);
        var watch = Stopwatch.StartNew();
        Assert.Equal(HttpStatusCode.InsufficientStorage, (await PostAsync(node, "refused", "x")).StatusCode);
        Assert.True(watch.Elapsed < TimeSpan.FromSeconds(5), $"a refused write took {watch.Elapsed}: it should not wait for a timeout");
        var metrics = await _http.GetStringAsync($"http://{node.Address}/metrics");
        Assert.Contains("akkaraft_journal_writable 0", metrics, StringComparison.Ordinal);

        // Space returns: the peer's next incarnation writes again and the node takes writes, with no restart of the node.
        File.Delete(filler);
        await TestCluster.WaitForAsync(async () => (await PostAsync(node, "after", "back")).StatusCode == HttpStatusCode.OK,
            "a write to succeed once the disk has space again", TimeSpan.FromSeconds(60));
        acknowledged["after"] = "back";
        var status = await TestCluster.StatusAsync(_http, node.Address);
        Assert.True(status.GetProperty("journal").GetProperty("writable").GetBoolean(), status.ToString());

        foreach (var (key, expected) in acknowledged)
        {
            var body = await _http.GetStringAsync($"http://{node.Address}/key/{key}?level=consistent");
            Assert.Equal(expected, JsonDocument.Parse(body).RootElement.GetProperty(key).GetString());
        }
    }

    private async Task<HttpResponseMessage> PostAsync(InProcessNode node, string key, string value) =>
        await _http.PostAsync($"http://{node.Address}/key", new StringContent(JsonSerializer.Serialize(new Dictionary<string, string> { [key] = value }), Encoding.UTF8, "application/json"));

    private async Task PutAsync(InProcessNode node, string key, string value, Dictionary<string, string> acknowledged)
    {
        var response = await PostAsync(node, key, value);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        acknowledged[key] = value;
    }

    private static void FillDisk(string path)
    {
        var block = new byte[64 * 1024];
        using var file = new FileStream(path, FileMode.CreateNew, FileAccess.Write, FileShare.None, 1, FileOptions.None);
        try
        {
            while (true) file.Write(block);
        }
        catch (IOException)
        {
            // ENOSPC: the disk is full. Write the last bytes one at a time so not even a page is left.
            try
            {
                while (true) file.Write(block, 0, 1);
            }
            catch (IOException)
            {
            }
        }
    }

    private static async Task RunAsync(string command, params string[] args)
    {
        using var process = Process.Start(new ProcessStartInfo(command, args) { RedirectStandardError = true, UseShellExecute = false })!;
        var error = await process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync();
        Assert.True(process.ExitCode == 0, $"{command} {string.Join(' ', args)} failed ({process.ExitCode}): {error} (this test mounts a tmpfs and needs root, as CI runs)");
    }
}
