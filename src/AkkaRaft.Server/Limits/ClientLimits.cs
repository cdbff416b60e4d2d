using System.Globalization;
using System.Threading.RateLimiting;
using Microsoft.AspNetCore.Connections;
using Microsoft.AspNetCore.Server.Kestrel.Core;

namespace AkkaRaft.Server.Limits;

/// <summary>Which request limit refused a request.</summary>
public enum RequestRefusal
{
    /// <summary><c>akkaraft.client-limits.max-requests-per-client</c>: the client has too many requests in flight.</summary>
    PerClient,

    /// <summary><c>akkaraft.client-limits.max-requests</c>: the listener has too many requests in flight.</summary>
    Total,
}

/// <summary>
/// Puts <see cref="ClientLimitsSettings"/> on one Kestrel listener: its connection, header, slow-client limits
/// (Kestrel's own), and the concurrent-request limits per client and in total (a middleware over
/// <see cref="System.Threading.RateLimiting"/>'s concurrency limiters, without a queue: a request past a limit is
/// refused at once, so a burst costs the node no memory for waiting requests).
/// </summary>
public sealed class ClientLimits : IDisposable
{
    private readonly PartitionedRateLimiter<string> _perClient;
    private readonly ConcurrencyLimiter _total;
    private readonly Func<PathString, bool> _exempt;
    private readonly Func<HttpContext, RequestRefusal, string, Task> _refuse;
    private long _refusedPerClient;
    private long _refusedTotal;
    private long _connections;

    /// <param name="settings">The limits.</param>
    /// <param name="exempt">Requests not counted (status, metrics, watches): they stay answerable when the limits are full.</param>
    /// <param name="refuse">Writes a refusal in the listener's protocol (a problem over HTTP, a status over gRPC), given the detail.</param>
    public ClientLimits(ClientLimitsSettings settings, Func<PathString, bool> exempt, Func<HttpContext, RequestRefusal, string, Task> refuse)
    {
        Settings = settings ?? throw new ArgumentNullException(nameof(settings));
        _exempt = exempt ?? throw new ArgumentNullException(nameof(exempt));
        _refuse = refuse ?? throw new ArgumentNullException(nameof(refuse));
        var perClient = new ConcurrencyLimiterOptions { PermitLimit = settings.MaxRequestsPerClient, QueueLimit = 0 };
        // One limiter per remote address; the partitioned limiter drops a partition's limiter once it is idle.
        _perClient = PartitionedRateLimiter.Create<string, string>(ip => RateLimitPartition.GetConcurrencyLimiter(ip, _ => perClient));
        _total = new ConcurrencyLimiter(new ConcurrencyLimiterOptions { PermitLimit = settings.MaxRequests, QueueLimit = 0 });
    }

    /// <summary>The limits applied.</summary>
    public ClientLimitsSettings Settings { get; }

    /// <summary>Requests refused by <c>max-requests-per-client</c> since start.</summary>
    public long RefusedPerClient => Interlocked.Read(ref _refusedPerClient);

    /// <summary>Requests refused by <c>max-requests</c> since start.</summary>
    public long RefusedTotal => Interlocked.Read(ref _refusedTotal);

    /// <summary>Connections open now on this listener (every one Kestrel accepted and has not closed).</summary>
    public long OpenConnections => Interlocked.Read(ref _connections);

    /// <summary>Requests counted and in flight now on this listener.</summary>
    public long InFlight => Settings.MaxRequests - (_total.GetStatistics()?.CurrentAvailablePermits ?? Settings.MaxRequests);

    /// <summary>The Retry-After a refused client is told, in whole seconds.</summary>
    public string RetryAfterSeconds => WholeSeconds(Settings.RetryAfter);

    /// <summary><paramref name="wait"/> in whole seconds, rounded up, as a Retry-After header says it.</summary>
    public static string WholeSeconds(TimeSpan wait) => ((long)Math.Ceiling(wait.TotalSeconds)).ToString(CultureInfo.InvariantCulture);

    /// <summary>
    /// Sets Kestrel's limits from the settings: connections, header size and request-line size, the headers timeout
    /// and keep-alive timeout, the slowest body rate; and the largest body (<paramref name="maxBodyBytes"/>; null: none).
    /// Every endpoint gets <paramref name="endpointDefaults"/> and a connection counter (<see cref="OpenConnections"/>).
    /// </summary>
    public void ApplyTo(KestrelServerOptions kestrel, long? maxBodyBytes, Action<ListenOptions>? endpointDefaults = null)
    {
        ArgumentNullException.ThrowIfNull(kestrel);
        var limits = kestrel.Limits;
        limits.MaxConcurrentConnections = Settings.MaxConnections;
        limits.MaxConcurrentUpgradedConnections = Settings.MaxConnections;
        // The request line (method, path, query) is bounded with the headers: a key travels in the path.
        limits.MaxRequestLineSize = Settings.MaxHeaderBytes;
        limits.MaxRequestHeadersTotalSize = Settings.MaxHeaderBytes;
        limits.Http2.MaxRequestHeaderFieldSize = Settings.MaxHeaderBytes;
        limits.RequestHeadersTimeout = Settings.HeadersTimeout;
        limits.KeepAliveTimeout = Settings.KeepAliveTimeout;
        limits.MinRequestBodyDataRate = new MinDataRate(Settings.MinBodyBytesPerSecond, Settings.MinBodyRateGrace);
        limits.MaxRequestBodySize = maxBodyBytes;
        // Kestrel keeps one endpoint-defaults action: the caller's and the counter go in together.
        kestrel.ConfigureEndpointDefaults(listen =>
        {
            endpointDefaults?.Invoke(listen);
            listen.Use(next => connection => CountAsync(next, connection));
        });
    }

    private async Task CountAsync(ConnectionDelegate next, ConnectionContext connection)
    {
        Interlocked.Increment(ref _connections);
        try
        {
            await next(connection).ConfigureAwait(false);
        }
        finally
        {
            Interlocked.Decrement(ref _connections);
        }
    }

    /// <summary>The middleware: counts the request against its client's and the listener's limit, or refuses it.</summary>
    public async Task InvokeAsync(HttpContext context, Func<Task> next)
    {
        ArgumentNullException.ThrowIfNull(context);
        ArgumentNullException.ThrowIfNull(next);
        if (_exempt(context.Request.Path))
        {
            await next().ConfigureAwait(false);
            return;
        }

        var client = context.Connection.RemoteIpAddress?.ToString() ?? "";
        using var clientLease = _perClient.AttemptAcquire(client);
        if (!clientLease.IsAcquired)
        {
            Interlocked.Increment(ref _refusedPerClient);
            await _refuse(context, RequestRefusal.PerClient,
                $"this client ({client}) already has {Settings.MaxRequestsPerClient} requests in flight (akkaraft.client-limits.max-requests-per-client = {Settings.MaxRequestsPerClient}); nothing was done, retry after {RetryAfterSeconds}s").ConfigureAwait(false);
            return;
        }

        using var totalLease = _total.AttemptAcquire();
        if (!totalLease.IsAcquired)
        {
            Interlocked.Increment(ref _refusedTotal);
            await _refuse(context, RequestRefusal.Total,
                $"this node already has {Settings.MaxRequests} requests in flight (akkaraft.client-limits.max-requests = {Settings.MaxRequests}); nothing was done, retry after {RetryAfterSeconds}s").ConfigureAwait(false);
            return;
        }

        await next().ConfigureAwait(false);
    }

    /// <summary>Disposes the limiters.</summary>
    public void Dispose()
    {
        _perClient.Dispose();
        _total.Dispose();
    }
}
