using System.Globalization;
using AkkaRaft.Server.Limits;
using Grpc.Core;

namespace AkkaRaft.Server.Grpc;

/// <summary>
/// The request limits of <c>akkaraft.client-limits</c> on the gRPC listener: a client past
/// <c>max-requests-per-client</c> gets RESOURCE_EXHAUSTED, the listener past <c>max-requests</c> UNAVAILABLE, each
/// with a message naming the setting and a <c>grpc-retry-pushback-ms</c> of <c>retry-after</c>. Cluster/Status,
/// Watch/Watch and Session/KeepAlive are not counted: status must stay answerable, and watches and sessions are bounded
/// by akkaraft.watches and akkaraft.sessions.
/// </summary>
internal static class GrpcLimits
{
    private static readonly HashSet<string> Exempt = new(StringComparer.Ordinal)
    {
        "/akkaraft.v1.Cluster/Status", "/akkaraft.v1.Watch/Watch", "/akkaraft.v1.Session/KeepAlive",
    };

    /// <summary>The middleware's limiter for the gRPC listener.</summary>
    public static ClientLimits Create(ClientLimitsSettings settings) => new(settings, path => Exempt.Contains(path.Value ?? ""), RefuseAsync);

    /// <summary>A trailers-only gRPC answer: HTTP 200 with the status in the headers, as gRPC answers a call it refuses at once.</summary>
    private static Task RefuseAsync(HttpContext context, RequestRefusal refusal, string detail)
    {
        var code = refusal == RequestRefusal.PerClient ? StatusCode.ResourceExhausted : StatusCode.Unavailable;
        GrpcRequestFrames.Refuse(context.Response, code, detail);
        var pushback = (long)ClientLimitsRetryAfter(context).TotalMilliseconds;
        context.Response.Headers["grpc-retry-pushback-ms"] = pushback.ToString(CultureInfo.InvariantCulture);
        return Task.CompletedTask;
    }

    private static TimeSpan ClientLimitsRetryAfter(HttpContext context) =>
        context.RequestServices.GetRequiredService<ClientLimits>().Settings.RetryAfter;
}
