using System.Globalization;
using System.Text;
using AkkaRaft.Server.Limits;

namespace AkkaRaft.Server.Http;

// The request limits of akkaraft.client-limits on the HTTP listener (Kestrel's own limits are set in StartAsync):
//   a client (remote IP) past max-requests-per-client -> 429 problem with Retry-After,
//   the listener past max-requests -> 503 problem with Retry-After, each naming its setting.
// GET /status, GET /metrics and watches (GET /watch/..., bounded by akkaraft.watches) are not counted, so an operator
// can still see a node whose request limits are full.
public sealed partial class HttpFrontEnd
{
    private ClientLimits? _limits;

    /// <summary>The request limits of this listener (their refusal counts).</summary>
    public ClientLimits Limits => _limits ?? throw new InvalidOperationException("the HTTP front end has not started");

    private static ClientLimits CreateClientLimits(ClientLimitsSettings settings)
    {
        var retryAfter = ClientLimits.WholeSeconds(settings.RetryAfter);
        return new ClientLimits(settings, IsExemptFromLimits, (context, refusal, detail) => RefuseAsync(context, refusal, detail, retryAfter));
    }

    private void UseClientLimits(ClientLimits limits)
    {
        _limits = limits;
        _app.Use((context, next) => limits.InvokeAsync(context, () => next()));
    }

    /// <summary>Requests the request limits do not count: what an operator needs to see an overloaded node, and watches.</summary>
    private static bool IsExemptFromLimits(PathString path) =>
        path.Equals("/status", StringComparison.Ordinal) || path.Equals("/metrics", StringComparison.Ordinal)
        || path.StartsWithSegments("/watch", StringComparison.Ordinal);

    private static Task RefuseAsync(HttpContext context, RequestRefusal refusal, string detail, string retryAfter)
    {
        context.Response.Headers.RetryAfter = retryAfter;
        return Problems.WriteAsync(context, refusal == RequestRefusal.PerClient ? StatusCodes.Status429TooManyRequests : StatusCodes.Status503ServiceUnavailable, detail);
    }

    /// <summary>The request limits in /metrics: open connections, requests in flight, and refusals by the limit that refused them.</summary>
    private void WriteLimitMetrics(StringBuilder text)
    {
        var limits = Limits;
        text.Append("# HELP akkaraft_http_connections_open Connections open now on the HTTP listener (bounded by akkaraft.client-limits.max-connections).\n")
            .Append("# TYPE akkaraft_http_connections_open gauge\n")
            .Append("akkaraft_http_connections_open ").Append(limits.OpenConnections.ToString(CultureInfo.InvariantCulture)).Append('\n');
        text.Append("# HELP akkaraft_http_requests_in_flight HTTP requests counted by the request limits (akkaraft.client-limits) now.\n")
            .Append("# TYPE akkaraft_http_requests_in_flight gauge\n")
            .Append("akkaraft_http_requests_in_flight ").Append(limits.InFlight.ToString(CultureInfo.InvariantCulture)).Append('\n');
        text.Append("# HELP akkaraft_http_requests_refused_total HTTP requests refused by a request limit, by the setting that refused them.\n")
            .Append("# TYPE akkaraft_http_requests_refused_total counter\n")
            .Append("akkaraft_http_requests_refused_total{limit=\"max-requests-per-client\"} ").Append(limits.RefusedPerClient.ToString(CultureInfo.InvariantCulture)).Append('\n')
            .Append("akkaraft_http_requests_refused_total{limit=\"max-requests\"} ").Append(limits.RefusedTotal.ToString(CultureInfo.InvariantCulture)).Append('\n');
    }

    /// <summary>A problem detail for Kestrel's refusal of a request body, naming the setting that refused it.</summary>
    private static string BadRequestDetail(Microsoft.AspNetCore.Http.BadHttpRequestException e) => e.StatusCode switch
    {
        StatusCodes.Status413PayloadTooLarge => $"the body is larger than akkaraft.http.max-body-bytes allows ({e.Message}); nothing was written",
        StatusCodes.Status408RequestTimeout => $"the body arrived slower than akkaraft.client-limits.min-body-bytes-per-second ({e.Message}); nothing was written",
        _ => $"the request is malformed ({e.Message}); nothing was written",
    };
}
