using System.CommandLine;
using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Text;
using System.Text.Json;

namespace AkkaRaft.LoadGen;

/// <summary>
/// Closed-loop load against a running cluster's HTTP API: N clients, each sending its next request as soon as the
/// last one is answered; a mix of puts and gets over a key space, for a duration. Prints throughput and latency
/// percentiles (HDR-style histogram) per operation. <c>--target etcd</c> drives an etcd cluster's v3 JSON gateway
/// with the same load instead (<see cref="EtcdGateway"/>), so the two systems can be compared request for request.
/// <c>--mode series</c> writes time-series points instead: each request is one <c>POST /series/{name}</c> of
/// <c>--batch-points</c> points (<see cref="SeriesLoad"/>), and the report gives points per second and the
/// latency per batch.
/// <c>--mode keepalive</c> opens client sessions and measures their keep-alives (<see cref="KeepAliveRun"/>).
/// </summary>
public static class Program
{
    /// <summary>Parses the options and runs the load.</summary>
    public static int Main(string[] args)
    {
        var endpoints = new Option<string>("--endpoints") { Description = "HTTP address of any member (the leader is found through /status).", DefaultValueFactory = _ => "127.0.0.1:8091" };
        var clients = new Option<int>("--clients") { Description = "Concurrent closed-loop clients.", DefaultValueFactory = _ => 16 };
        var keys = new Option<int>("--keys") { Description = "Distinct keys.", DefaultValueFactory = _ => 1000 };
        var valueBytes = new Option<int>("--value-bytes") { Description = "Bytes per value.", DefaultValueFactory = _ => 100 };
        var readPercent = new Option<int>("--read-percent") { Description = "Share of gets, 0 to 100 (the rest are puts).", DefaultValueFactory = _ => 0 };
        var level = new Option<string>("--level") { Description = "Read level of gets.", DefaultValueFactory = _ => "default" };
        var duration = new Option<double>("--duration") { Description = "Measured seconds.", DefaultValueFactory = _ => 10 };
        var warmup = new Option<double>("--warmup") { Description = "Seconds of load before measuring.", DefaultValueFactory = _ => 2 };
        var json = new Option<bool>("--json") { Description = "Print the result as JSON." };
        var mode = new Option<string>("--mode") { Description = "kv (puts and gets of keys, the default), series (batches of time-series points, POST /series/{name}) or keepalive (open --sessions sessions, keep them alive, close them).", DefaultValueFactory = _ => "kv" };
        var sessions = new Option<int>("--sessions") { Description = "keepalive: sessions to open and keep alive.", DefaultValueFactory = _ => 10_000 };
        var ttl = new Option<double>("--ttl") { Description = "keepalive: the sessions' TTL in seconds (each must be renewed within it).", DefaultValueFactory = _ => 120 };
        var leaveOpen = new Option<bool>("--leave-open") { Description = "keepalive: do not close the sessions at the end (they expire after their TTL)." };
        var target = new Option<string>("--target") { Description = "What --endpoints is and how it is spoken to: akkaraft (its HTTP API), grpc (AkkaRaft's gRPC Kv service, at the leader's gRPC address from /status; --endpoints stays an HTTP address) or etcd (an etcd v3 JSON gateway, i.e. a client URL; stale gets are serializable ranges).", DefaultValueFactory = _ => "akkaraft" };
        var spreadReads = new Option<bool>("--spread-reads") { Description = "Send client i's gets to member i mod N (every member's HTTP address from /status) instead of the leader; puts still go to the leader." };
        var batchPoints = new Option<int>("--batch-points") { Description = "Series mode: points per request.", DefaultValueFactory = _ => 1000 };
        var series = new Option<int>("--series") { Description = "Series mode: distinct series; each client writes its own, in time order.", DefaultValueFactory = _ => 64 };
        var root = new RootCommand("akkaraft-loadgen: closed-loop HTTP load against an AkkaRaft (or etcd) cluster") { endpoints, clients, keys, valueBytes, readPercent, level, duration, warmup, json, target, spreadReads, mode, batchPoints, series, sessions, ttl, leaveOpen };
        root.SetAction(async (result, cancel) =>
        {
            switch (result.GetValue(mode))
            {
                case "kv" or "series":
                    break;
                case "keepalive":
                    return await KeepAliveAsync(new KeepAliveOptions(result.GetValue(endpoints)!, result.GetValue(sessions), result.GetValue(clients),
                        TimeSpan.FromSeconds(result.GetValue(ttl)), TimeSpan.FromSeconds(result.GetValue(duration)), TimeSpan.FromSeconds(result.GetValue(warmup)),
                        !result.GetValue(leaveOpen)), cancel);
                default:
                    await Console.Error.WriteLineAsync("akkaraft-loadgen: --mode must be kv, series or keepalive");
                    return 2;
            }

            var options = new LoadOptions(result.GetValue(endpoints)!, result.GetValue(clients), result.GetValue(keys), result.GetValue(valueBytes),
                result.GetValue(readPercent), result.GetValue(level)!, TimeSpan.FromSeconds(result.GetValue(duration)), TimeSpan.FromSeconds(result.GetValue(warmup)))
            {
                Target = result.GetValue(target)!,
                SpreadReads = result.GetValue(spreadReads),
                Mode = result.GetValue(mode)!,
                BatchPoints = result.GetValue(batchPoints),
                Series = result.GetValue(series),
            };
            if (options.Validate() is { } problem)
            {
                await Console.Error.WriteLineAsync($"akkaraft-loadgen: {problem}");
                return 2;
            }

            LoadReport report;
            try
            {
                report = options.Mode == "series" ? await SeriesLoad.RunAsync(options, cancel) : await LoadRun.RunAsync(options, cancel);
            }
            catch (HttpRequestException e)
            {
                await Console.Error.WriteLineAsync($"akkaraft-loadgen: the cluster at {options.Endpoint} could not be reached: {e.Message}");
                return 1;
            }

            Console.Write(result.GetValue(json) ? report.ToJson() : report.ToText());
            return report.Errors > 0 && report.Puts.Count + report.Gets.Count == 0 ? 1 : 0;
        });
        return root.Parse(args).Invoke();
    }

    private static async Task<int> KeepAliveAsync(KeepAliveOptions options, CancellationToken cancel)
    {
        if (options.Sessions < 1 || options.Clients < 1 || options.Ttl < TimeSpan.FromSeconds(1) || options.Duration <= TimeSpan.Zero)
        {
            await Console.Error.WriteLineAsync("akkaraft-loadgen: --sessions and --clients must be at least 1, --ttl at least 1 s, --duration positive");
            return 2;
        }

        try
        {
            var report = await KeepAliveRun.RunAsync(options, cancel);
            Console.Write(report.ToText());
            return report.KeepAlives.Count == 0 ? 1 : 0;
        }
        catch (HttpRequestException e)
        {
            await Console.Error.WriteLineAsync($"akkaraft-loadgen: {e.Message}");
            return 1;
        }
    }
}

/// <summary>What to run.</summary>
public sealed record LoadOptions(string Endpoint, int Clients, int Keys, int ValueBytes, int ReadPercent, string Level, TimeSpan Duration, TimeSpan Warmup)
{
    /// <summary>
    /// The system behind <see cref="Endpoint"/> and how it is spoken to: <c>akkaraft</c> (its HTTP API, the default),
    /// <c>grpc</c> (AkkaRaft's gRPC <c>Kv</c> service, at the leader's gRPC address from <c>/status</c>) or <c>etcd</c>.
    /// </summary>
    public string Target { get; init; } = "akkaraft";

    /// <summary>Gets go to every member in turn (client i to member i mod N) rather than to the leader.</summary>
    public bool SpreadReads { get; init; }
    /// <summary><c>kv</c> (default) or <c>series</c>.</summary>
    public string Mode { get; init; } = "kv";

    /// <summary>Series mode: points per request.</summary>
    public int BatchPoints { get; init; } = 1000;

    /// <summary>Series mode: distinct series.</summary>
    public int Series { get; init; } = 64;

    /// <summary>The first problem with the options, or null.</summary>
    public string? Validate() =>
        Target is not ("akkaraft" or "grpc" or "etcd") ? "--target must be akkaraft, grpc or etcd"
        : SpreadReads && Target != "akkaraft" ? "--spread-reads needs --target akkaraft"
        : Mode is not ("kv" or "series") ? "--mode must be kv or series"
        : Mode == "series" && Target != "akkaraft" ? "--mode series needs --target akkaraft"
        : BatchPoints < 1 ? "--batch-points must be at least 1"
        : Series < Clients ? "--series must be at least --clients (each client writes its own series)"
        : Clients < 1 ? "--clients must be at least 1"
        : Keys < 1 ? "--keys must be at least 1"
        : ValueBytes < 0 ? "--value-bytes must not be negative"
        : ReadPercent is < 0 or > 100 ? "--read-percent must be 0 to 100"
        : Level is not ("stale" or "default" or "consistent") ? "--level must be stale, default or consistent"
        : Duration <= TimeSpan.Zero ? "--duration must be positive"
        : null;
}

/// <summary>The outcome of a run.</summary>
public sealed record LoadReport(LoadOptions Options, TimeSpan Measured, LatencyHistogram Puts, LatencyHistogram Gets, long Errors)
{
    /// <summary>Answered requests per second.</summary>
    public double Throughput => (Puts.Count + Gets.Count) / Measured.TotalSeconds;

    private static string Ms(long micros) => (micros / 1000.0).ToString("0.00", CultureInfo.InvariantCulture);

    /// <summary>A human summary.</summary>
    public string ToText()
    {
        var text = new StringBuilder();
        if (Options.Mode == "series")
        {
            text.Append(CultureInfo.InvariantCulture, $"series mode: clients {Options.Clients}, series {Options.Series}, {Options.BatchPoints} points per batch, {Measured.TotalSeconds:0.0} s\n");
            text.Append(CultureInfo.InvariantCulture, $"throughput {Puts.Count * (double)Options.BatchPoints / Measured.TotalSeconds:0} points/s ({Puts.Count / Measured.TotalSeconds:0} batches/s), errors {Errors}\n");
            text.Append(CultureInfo.InvariantCulture,
                $"batch: {Puts.Count} batches, p50 {Ms(Puts.ValueAtPercentile(50))} ms, p90 {Ms(Puts.ValueAtPercentile(90))} ms, p99 {Ms(Puts.ValueAtPercentile(99))} ms, p99.9 {Ms(Puts.ValueAtPercentile(99.9))} ms, max {Ms(Puts.Max)} ms\n");
            return text.ToString();
        }

        if (Options.Target != "akkaraft") text.Append(CultureInfo.InvariantCulture, $"target {Options.Target}, ");
        if (Options.SpreadReads) text.Append("gets spread over every member, ");
        text.Append(CultureInfo.InvariantCulture, $"clients {Options.Clients}, keys {Options.Keys}, value {Options.ValueBytes} B, reads {Options.ReadPercent}%, {Measured.TotalSeconds:0.0} s\n");
        text.Append(CultureInfo.InvariantCulture, $"throughput {Throughput:0} ops/s, errors {Errors}\n");
        foreach (var (name, h) in new[] { ("put", Puts), ("get", Gets) })
        {
            if (h.Count == 0) continue;
            text.Append(CultureInfo.InvariantCulture,
                $"{name}: {h.Count} ops, {h.Count / Measured.TotalSeconds:0} ops/s, p50 {Ms(h.ValueAtPercentile(50))} ms, p90 {Ms(h.ValueAtPercentile(90))} ms, p99 {Ms(h.ValueAtPercentile(99))} ms, p99.9 {Ms(h.ValueAtPercentile(99.9))} ms, max {Ms(h.Max)} ms\n");
        }

        return text.ToString();
    }

    /// <summary>The summary as JSON.</summary>
    public string ToJson() => JsonSerializer.Serialize(new
    {
        target = Options.Target,
        mode = Options.Mode,
        clients = Options.Clients,
        batchPoints = Options.Mode == "series" ? Options.BatchPoints : 0,
        pointsPerSecond = Options.Mode == "series" ? Puts.Count * (double)Options.BatchPoints / Measured.TotalSeconds : 0,
        seconds = Measured.TotalSeconds,
        throughput = Throughput,
        errors = Errors,
        put = Summary(Puts),
        get = Summary(Gets),
    }) + "\n";

    private object Summary(LatencyHistogram h) => new
    {
        count = h.Count,
        p50Ms = h.ValueAtPercentile(50) / 1000.0,
        p99Ms = h.ValueAtPercentile(99) / 1000.0,
        maxMs = h.Max / 1000.0,
    };
}

/// <summary>Runs the clients.</summary>
public static class LoadRun
{
    /// <summary>Finds the leader, runs warm-up then the measured period, and merges the clients' histograms.</summary>
    public static async Task<LoadReport> RunAsync(LoadOptions options, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(options);
        using var handler = new SocketsHttpHandler { AllowAutoRedirect = true, MaxConnectionsPerServer = options.Clients + 4 };
        using var http = new HttpClient(handler) { Timeout = TimeSpan.FromSeconds(30) };
        var etcd = options.Target == "etcd" ? new EtcdGateway(options.ValueBytes, options.Level == "stale") : null;
        var (leader, members) = etcd is null
            ? await MembersAsync(http, Normalize(options.Endpoint), cancellationToken)
            : (await EtcdGateway.LeaderAsync(http, Normalize(options.Endpoint), cancellationToken), []);
        using var grpc = options.Target == "grpc" ? await GrpcKv.ConnectAsync(http, Normalize(options.Endpoint), options.Clients, options.Level, cancellationToken) : null;
        var value = new string('v', options.ValueBytes);
        var stopwatch = Stopwatch.StartNew();
        var measureFrom = options.Warmup;
        var measureUntil = options.Warmup + options.Duration;
        var workers = Enumerable.Range(0, options.Clients).Select(i => Task.Run(async () =>
        {
            var random = new Random(i + 1);
            var reader = options.SpreadReads && members.Count > 0 ? members[i % members.Count] : leader;
            var puts = new LatencyHistogram();
            var gets = new LatencyHistogram();
            long errors = 0;
            while (stopwatch.Elapsed < measureUntil && !cancellationToken.IsCancellationRequested)
            {
                var key = "load/" + random.Next(options.Keys).ToString(CultureInfo.InvariantCulture);
                var read = random.Next(100) < options.ReadPercent;
                var started = stopwatch.Elapsed;
                bool ok;
                try
                {
                    if (grpc is not null)
                    {
                        ok = await grpc.SendAsync(i, key, read ? null : value, cancellationToken);
                    }
                    else if (etcd is not null)
                    {
                        using var answer = await http.PostAsync(read ? $"{leader}/v3/kv/range" : $"{leader}/v3/kv/put", read ? etcd.Range(key) : etcd.Put(key), cancellationToken);
                        ok = answer.IsSuccessStatusCode;
                    }
                    else
                    {
                        using var response = read
                            ? await http.GetAsync($"{reader}/key/{key}?level={options.Level}", cancellationToken)
                            : await http.PostAsync($"{leader}/key", new StringContent($"{{\"{key}\":\"{value}\"}}", Encoding.UTF8, "application/json"), cancellationToken);
                        ok = response.IsSuccessStatusCode || (read && response.StatusCode == HttpStatusCode.NotFound);
                    }
                }
                catch (HttpRequestException)
                {
                    ok = false;
                }

                var ended = stopwatch.Elapsed;
                if (started < measureFrom) continue;
                if (!ok)
                {
                    errors++;
                    continue;
                }

                (read ? gets : puts).Record((long)((ended - started).TotalMilliseconds * 1000));
            }

            return (puts, gets, errors);
        }, cancellationToken)).ToList();
        var results = await Task.WhenAll(workers);
        var allPuts = new LatencyHistogram();
        var allGets = new LatencyHistogram();
        long allErrors = 0;
        foreach (var (puts, gets, errors) in results)
        {
            allPuts.Add(puts);
            allGets.Add(gets);
            allErrors += errors;
        }

        return new LoadReport(options, options.Duration, allPuts, allGets, allErrors);
    }

    internal static string Normalize(string endpoint) => (endpoint.Contains("://", StringComparison.Ordinal) ? endpoint : "http://" + endpoint).TrimEnd('/');

    /// <summary>The leader's HTTP base address and every member's, from the member's /status.</summary>
    private static async Task<(string Leader, IReadOnlyList<string> Members)> MembersAsync(HttpClient http, string endpoint, CancellationToken cancellationToken)
    {
        using var document = JsonDocument.Parse(await http.GetStringAsync(endpoint + "/status", cancellationToken));
        var root = document.RootElement;
        var leaderId = root.GetProperty("leader").GetString();
        var leader = endpoint; // followers redirect (307) to the leader
        var members = new List<string>();
        foreach (var member in root.GetProperty("members").EnumerateArray())
        {
            if (member.GetProperty("httpAddress").GetString() is not { } address) continue;
            members.Add(Normalize(address));
            if (member.GetProperty("id").GetString() == leaderId) leader = Normalize(address);
        }

        return (leader, members);
    }

    /// <summary>The leader's HTTP base address (series mode shares it).</summary>
    internal static async Task<string> FindLeaderAsync(HttpClient http, string endpoint, CancellationToken cancellationToken) =>
        (await MembersAsync(http, Normalize(endpoint), cancellationToken).ConfigureAwait(false)).Leader;
}

/// <summary>
/// Series mode: each client owns <c>Series / Clients</c> series and sends, one after the other, batches of
/// <c>BatchPoints</c> points of one of them as <c>POST /series/{name}</c> with the body <c>[[t, v], …]</c>; a series'
/// points are 1 s apart and in time order across batches (values are integers jittering around a level, so the
/// store's codec does real work). A batch is one request, one log entry, one latency sample (recorded as a put).
/// </summary>
public static class SeriesLoad
{
    /// <summary>2024-01-01 00:00:00 UTC in Unix seconds, where every series starts.</summary>
    private const long Start = 1_704_067_200;

    /// <summary>Finds the leader, runs warm-up then the measured period, and merges the clients' histograms.</summary>
    public static async Task<LoadReport> RunAsync(LoadOptions options, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(options);
        using var handler = new SocketsHttpHandler { AllowAutoRedirect = true, MaxConnectionsPerServer = options.Clients + 4 };
        using var http = new HttpClient(handler) { Timeout = TimeSpan.FromSeconds(30) };
        var leader = await LoadRun.FindLeaderAsync(http, options.Endpoint, cancellationToken);
        var run = Guid.NewGuid().ToString("N")[..8]; // fresh series per run, so a run never writes behind an earlier one
        var stopwatch = Stopwatch.StartNew();
        var measureFrom = options.Warmup;
        var measureUntil = options.Warmup + options.Duration;
        var workers = Enumerable.Range(0, options.Clients).Select(c => Task.Run(async () =>
        {
            var random = new Random(c + 1);
            var mine = Enumerable.Range(0, options.Series).Where(s => s % options.Clients == c).ToArray();
            var next = new long[mine.Length];
            var levels = mine.Select(_ => random.Next(1_000, 100_001)).ToArray();
            var batches = new LatencyHistogram();
            var body = new StringBuilder(options.BatchPoints * 24);
            long errors = 0;
            for (var k = 0; stopwatch.Elapsed < measureUntil && !cancellationToken.IsCancellationRequested; k = (k + 1) % mine.Length)
            {
                body.Clear().Append('[');
                for (var i = 0; i < options.BatchPoints; i++)
                {
                    var value = levels[k] + random.Next(-levels[k] / 10, (levels[k] / 10) + 1);
                    body.Append(i == 0 ? "[" : ",[").Append(Start + next[k] + i).Append(',').Append(value).Append(']');
                }

                body.Append(']');
                next[k] += options.BatchPoints;
                var started = stopwatch.Elapsed;
                bool ok;
                try
                {
                    using var content = new StringContent(body.ToString(), Encoding.UTF8, "application/json");
                    using var response = await http.PostAsync($"{leader}/series/load-{run}-{mine[k]}", content, cancellationToken);
                    ok = response.IsSuccessStatusCode;
                }
                catch (HttpRequestException)
                {
                    ok = false;
                }

                var ended = stopwatch.Elapsed;
                if (started < measureFrom) continue;
                if (!ok)
                {
                    errors++;
                    continue;
                }

                batches.Record((long)((ended - started).TotalMilliseconds * 1000));
            }

            return (batches, errors);
        }, cancellationToken)).ToList();
        var results = await Task.WhenAll(workers);
        var all = new LatencyHistogram();
        long allErrors = 0;
        foreach (var (batches, errors) in results)
        {
            all.Add(batches);
            allErrors += errors;
        }

        return new LoadReport(options, options.Duration, all, new LatencyHistogram(), allErrors);
    }
}
