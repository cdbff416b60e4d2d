using AkkaRaft.Configuration;

namespace AkkaRaft.Server.Limits;

/// <summary>
/// The limits that keep a node answering under a burst of clients (<c>akkaraft.client-limits</c>), applied to each
/// client listener apart: the HTTP API and the gRPC API each hold up to these numbers. Read once, validated.
/// </summary>
/// <param name="MaxConnections">Most TCP connections one listener holds open; a connection past it is closed at once.</param>
/// <param name="MaxHeaderBytes">Largest total size of one request's headers, in bytes (HTTP: 431; gRPC: the stream is reset).</param>
/// <param name="HeadersTimeout">Longest a client may take to send a request's headers; past it the connection is closed (408 over HTTP/1.1).</param>
/// <param name="KeepAliveTimeout">Longest an idle connection stays open between requests.</param>
/// <param name="MinBodyBytesPerSecond">Slowest rate, in bytes per second, at which a request body may arrive once <paramref name="MinBodyRateGrace"/> has passed.</param>
/// <param name="MinBodyRateGrace">How long a body may arrive slower than <paramref name="MinBodyBytesPerSecond"/> before the rate is enforced.</param>
/// <param name="MaxRequestsPerClient">Most requests one client (one remote IP address) has in flight on one listener; past it 429 / RESOURCE_EXHAUSTED.</param>
/// <param name="MaxRequests">Most requests in flight on one listener from all clients; past it 503 / UNAVAILABLE.</param>
/// <param name="RetryAfter">The wait a refused client is told (Retry-After), whole seconds.</param>
public sealed record ClientLimitsSettings(
    int MaxConnections,
    int MaxHeaderBytes,
    TimeSpan HeadersTimeout,
    TimeSpan KeepAliveTimeout,
    int MinBodyBytesPerSecond,
    TimeSpan MinBodyRateGrace,
    int MaxRequestsPerClient,
    int MaxRequests,
    TimeSpan RetryAfter)
{
    /// <summary>Where the section lives.</summary>
    public const string SectionPath = "akkaraft.client-limits";

    /// <summary>The full path of a setting of this section, as refusals name it.</summary>
    public static string PathOf(string key) => SectionPath + "." + key;

    /// <summary>Reads and validates <c>akkaraft.client-limits</c>.</summary>
    /// <exception cref="ConfigException">A setting is missing, malformed or out of range.</exception>
    public static ClientLimitsSettings FromConfig(Config config)
    {
        ArgumentNullException.ThrowIfNull(config);
        var perClient = config.GetIntInRange(PathOf("max-requests-per-client"), 1);
        var total = config.GetIntInRange(PathOf("max-requests"), 1);
        if (perClient > total)
        {
            throw config.Invalid(PathOf("max-requests-per-client"), $"expected at most akkaraft.client-limits.max-requests ({total}), got {perClient}");
        }

        return new ClientLimitsSettings(
            config.GetIntInRange(PathOf("max-connections"), 1),
            config.GetByteSizeInt32(PathOf("max-header-bytes"), 1024, 16 * 1024 * 1024),
            config.GetTimeSpanInRange(PathOf("headers-timeout"), TimeSpan.FromMilliseconds(100), TimeSpan.FromHours(1)),
            config.GetTimeSpanInRange(PathOf("keep-alive-timeout"), TimeSpan.FromMilliseconds(100), TimeSpan.FromDays(1)),
            config.GetIntInRange(PathOf("min-body-bytes-per-second"), 1),
            config.GetTimeSpanInRange(PathOf("min-body-rate-grace"), TimeSpan.FromSeconds(1), TimeSpan.FromHours(1)),
            perClient,
            total,
            config.GetTimeSpanInRange(PathOf("retry-after"), TimeSpan.FromSeconds(1), TimeSpan.FromHours(1)));
    }
}
