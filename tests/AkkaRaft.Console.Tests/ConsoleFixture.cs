using AkkaRaft.Server.Tests;
using Microsoft.Playwright;

namespace AkkaRaft.Console.Tests;

/// <summary>
/// Three real <c>akkaraft serve</c> processes forming one cluster, and Debian's headless Chromium driven by Playwright
/// (never a browser Playwright downloads), shared by the console tests of one class.
/// </summary>
public sealed class ConsoleFixture : IAsyncLifetime
{
    /// <summary>Debian's chromium package; .ci/chromium.sh installs it.</summary>
    public const string ChromiumPath = "/usr/bin/chromium";

    /// <summary>
    /// Headless, and none of Chromium's own traffic to the internet (this machine's network is closed: background
    /// networking, component updates and sync would fail over and over).
    /// </summary>
    private static readonly string[] ChromiumArgs =
    [
        "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
        "--disable-component-update", "--disable-sync",
    ];

    /// <summary>
    /// Raft timings slower than the server tests' 300 ms election timeout (and reference.conf's 500 ms): these tests look at a cluster
    /// as an operator does, and on a loaded 2-core machine a 300 ms timeout can pass between two heartbeats and start an
    /// election in the middle of a page load (seen: a follower's GET /keys answered 503 "no leader yet").
    /// </summary>
    private static readonly string[] StableTimings = ["akkaraft.raft.election-timeout=1500ms", "akkaraft.raft.heartbeat-interval=100ms"];

    private ServerProcessCluster? _cluster;
    private IPlaywright? _playwright;
    private IBrowserContext? _browser;
    private readonly string _profile = Path.Combine(Path.GetTempPath(), $"akkaraft-console-chromium-{Guid.NewGuid():N}");

    /// <summary>A client for the nodes' HTTP APIs, following redirects.</summary>
    public HttpClient Http { get; } = new(new HttpClientHandler { AllowAutoRedirect = true }) { Timeout = TimeSpan.FromSeconds(15) };

    internal ServerProcessCluster Cluster => _cluster!;

    /// <summary>The browser: one profile in a fresh user-data directory, removed at the end.</summary>
    public IBrowserContext Browser => _browser!;

    /// <summary>Where the screenshots go: under the test's output folder.</summary>
    public string ScreenshotDirectory { get; } = Path.Combine(AppContext.BaseDirectory, "screenshots");

    public async Task InitializeAsync()
    {
        Assert.True(File.Exists(ChromiumPath), $"{ChromiumPath} is missing: run .ci/chromium.sh (as root) to install Debian's chromium package");
        Directory.CreateDirectory(ScreenshotDirectory);
        _cluster = await ServerProcessCluster.StartFormedAsync(3, Http, StableTimings);
        _playwright = await Playwright.CreateAsync();
        _browser = await _playwright.Chromium.LaunchPersistentContextAsync(_profile, new BrowserTypeLaunchPersistentContextOptions
        {
            ExecutablePath = ChromiumPath,
            Headless = true,
            Args = ChromiumArgs,
            ViewportSize = new ViewportSize { Width = 1280, Height = 900 },
        });
        // Polls and elections on a shared 2-core machine: generous, but bounded.
        Browser.SetDefaultTimeout(20_000);
        Assertions.SetDefaultExpectTimeout(20_000);
    }

    public async Task DisposeAsync()
    {
        if (_browser is not null) await _browser.DisposeAsync();
        _playwright?.Dispose();
        if (_cluster is not null) await _cluster.DisposeAsync();
        Http.Dispose();
        try
        {
            Directory.Delete(_profile, recursive: true);
        }
        catch (IOException)
        {
            // Chromium may still be writing its profile as it exits; the temporary directory is left behind.
        }
    }

    /// <summary>
    /// A new tab whose console errors and uncaught exceptions are collected into <paramref name="errors"/> (and any
    /// request that failed or answered 4xx/5xx, which Chromium reports as a console error too).
    /// </summary>
    public async Task<IPage> NewPageAsync(List<string> errors)
    {
        var page = await Browser.NewPageAsync();
        page.Console += (_, message) =>
        {
            if (message.Type == "error") lock (errors) errors.Add($"console: {message.Text}");
        };
        page.PageError += (_, error) =>
        {
            lock (errors) errors.Add($"page error: {error}");
        };
        page.Response += (_, response) =>
        {
            if (response.Status >= 400) lock (errors) errors.Add($"answer: {response.Request.Method} {response.Url} {response.Status} {response.StatusText}");
        };
        page.RequestFailed += (_, request) =>
        {
            lock (errors) errors.Add($"request failed: {request.Method} {request.Url} ({request.Failure})");
        };
        return page;
    }
}
