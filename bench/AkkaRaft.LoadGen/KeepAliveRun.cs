using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Text;
using System.Text.Json;

namespace AkkaRaft.LoadGen;

/// <summary>
/// <c>--mode keepalive</c> (issue #14's benchmark, "keep-alives per second one leader sustains with 10,000 open
/// sessions"): opens <see cref="KeepAliveOptions.Sessions"/> sessions at the leader (<c>POST /session</c>, up to
/// <see cref="KeepAliveOptions.Clients"/> at once), then runs closed-loop clients that keep them alive in turn
/// (<c>PUT /session/{id}</c>, session after session, so every session is renewed about every sessions / rate
/// seconds), and finally closes them (<c>DELETE /session/{id}</c>) unless told to leave them to expire.
/// </summary>
public static class KeepAliveRun
{
    /// <summary>Opens, keeps alive for warm-up plus duration, closes; the report of the measured part.</summary>
    public static async Task<KeepAliveReport> RunAsync(KeepAliveOptions options, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(options);
        using var handler = new SocketsHttpHandler { AllowAutoRedirect = true, MaxConnectionsPerServer = options.Clients + 4 };
        using var http = new HttpClient(handler) { Timeout = TimeSpan.FromSeconds(30) };
        var leader = await LoadRun.FindLeaderAsync(http, options.Endpoint, cancellationToken);

        // Open every session, Clients at a time.
        var ttl = $"{(long)options.Ttl.TotalSeconds}s";
        var ids = new long[options.Sessions];
        var opening = Stopwatch.StartNew();
        var openErrors = 0L;
        var next = -1;
        await Task.WhenAll(Enumerable.Range(0, options.Clients).Select(_ => Task.Run(async () =>
        {
            int i;
            while ((i = Interlocked.Increment(ref next)) < options.Sessions && !cancellationToken.IsCancellationRequested)
            {
                while (true)
                {
                    using var response = await http.PostAsync($"{leader}/session", new StringContent($"{{\"ttl\":\"{ttl}\"}}", Encoding.UTF8, "application/json"), cancellationToken);
                    if (response.StatusCode == HttpStatusCode.Created)
                    {
                        using var json = JsonDocument.Parse(await response.Content.ReadAsStringAsync(cancellationToken));
                        ids[i] = long.Parse(json.RootElement.GetProperty("id").GetString()!, CultureInfo.InvariantCulture);
                        break;
                    }

                    Interlocked.Increment(ref openErrors);
                    if (response.StatusCode is not (HttpStatusCode.ServiceUnavailable or HttpStatusCode.GatewayTimeout or HttpStatusCode.TooManyRequests))
                        throw new HttpRequestException($"POST /session answered {(int)response.StatusCode}: {await response.Content.ReadAsStringAsync(cancellationToken)}");
                }
            }
        }, cancellationToken)));
        var opened = opening.Elapsed;

        // Keep them alive: each client takes the next session in turn.
        var stopwatch = Stopwatch.StartNew();
        var measureFrom = options.Warmup;
        var measureUntil = options.Warmup + options.Duration;
        long turn = -1;
        var workers = Enumerable.Range(0, options.Clients).Select(_ => Task.Run(async () =>
        {
            var latencies = new LatencyHistogram();
            long errors = 0, lost = 0;
            while (stopwatch.Elapsed < measureUntil && !cancellationToken.IsCancellationRequested)
            {
                var id = ids[Interlocked.Increment(ref turn) % ids.Length];
                var started = stopwatch.Elapsed;
                HttpStatusCode status;
                try
                {
                    using var response = await http.PutAsync($"{leader}/session/{id}", null, cancellationToken);
                    status = response.StatusCode;
                }
                catch (HttpRequestException)
                {
                    status = 0;
                }

                var ended = stopwatch.Elapsed;
                if (started < measureFrom) continue;
                if (status == HttpStatusCode.OK) latencies.Record((long)((ended - started).TotalMilliseconds * 1000));
                else if (status == HttpStatusCode.NotFound) lost++;
                else errors++;
            }

            return (latencies, errors, lost);
        }, cancellationToken)).ToList();
        var results = await Task.WhenAll(workers);
        var all = new LatencyHistogram();
        long allErrors = 0, allLost = 0;
        foreach (var (latencies, errors, lost) in results)
        {
            all.Add(latencies);
            allErrors += errors;
            allLost += lost;
        }

        // Close them (each a log entry), or leave them to expire after their TTL.
        var closing = Stopwatch.StartNew();
        if (options.Close)
        {
            next = -1;
            await Task.WhenAll(Enumerable.Range(0, options.Clients).Select(_ => Task.Run(async () =>
            {
                int i;
                while ((i = Interlocked.Increment(ref next)) < ids.Length && !cancellationToken.IsCancellationRequested)
                {
                    using var response = await http.DeleteAsync($"{leader}/session/{ids[i]}", cancellationToken);
                }
            }, cancellationToken)));
        }

        return new KeepAliveReport(options, opened, openErrors, options.Duration, all, allErrors, allLost, options.Close ? closing.Elapsed : null);
    }
}

/// <summary>What <c>--mode keepalive</c> runs.</summary>
/// <param name="Endpoint">Any member's HTTP address; the load goes to the leader.</param>
/// <param name="Sessions">Sessions to open and keep alive.</param>
/// <param name="Clients">Concurrent closed-loop clients (also how many opens and closes are in flight at once).</param>
/// <param name="Ttl">The sessions' time to live: long enough that every session is renewed within it at the rate measured.</param>
/// <param name="Duration">Measured time.</param>
/// <param name="Warmup">Keep-alives before measuring.</param>
/// <param name="Close">Whether to close the sessions at the end (else they expire after their TTL).</param>
public sealed record KeepAliveOptions(string Endpoint, int Sessions, int Clients, TimeSpan Ttl, TimeSpan Duration, TimeSpan Warmup, bool Close);

/// <summary>The outcome of a keep-alive run.</summary>
public sealed record KeepAliveReport(
    KeepAliveOptions Options, TimeSpan Opening, long OpenRetries, TimeSpan Measured, LatencyHistogram KeepAlives, long Errors, long Lost, TimeSpan? Closing)
{
    private static string Ms(long micros) => (micros / 1000.0).ToString("0.00", CultureInfo.InvariantCulture);

    /// <summary>A human summary.</summary>
    public string ToText()
    {
        var h = KeepAlives;
        var rate = h.Count / Measured.TotalSeconds;
        var text = new StringBuilder();
        text.Append(CultureInfo.InvariantCulture, $"sessions {Options.Sessions} (ttl {Options.Ttl.TotalSeconds:0}s), clients {Options.Clients}, {Measured.TotalSeconds:0.0} s\n");
        text.Append(CultureInfo.InvariantCulture, $"opened in {Opening.TotalSeconds:0.0} s ({Options.Sessions / Opening.TotalSeconds:0} opens/s, {OpenRetries} retried)\n");
        text.Append(CultureInfo.InvariantCulture,
            $"keep-alive: {h.Count} ok, {rate:0} /s (each session every {(rate > 0 ? Options.Sessions / rate : double.PositiveInfinity):0.0} s), p50 {Ms(h.ValueAtPercentile(50))} ms, p90 {Ms(h.ValueAtPercentile(90))} ms, p99 {Ms(h.ValueAtPercentile(99))} ms, p99.9 {Ms(h.ValueAtPercentile(99.9))} ms, max {Ms(h.Max)} ms\n");
        text.Append(CultureInfo.InvariantCulture, $"lost sessions (404): {Lost}, errors: {Errors}\n");
        if (Closing is { } closing) text.Append(CultureInfo.InvariantCulture, $"closed in {closing.TotalSeconds:0.0} s\n");
        return text.ToString();
    }
}
