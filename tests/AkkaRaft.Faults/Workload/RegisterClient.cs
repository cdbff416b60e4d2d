using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Text;
using System.Text.Json;

namespace AkkaRaft.Faults.Workload;

/// <summary>How an operation ended, in Jepsen's terms.</summary>
internal enum Outcome
{
    /// <summary>It happened: a read returned, a write or cas took effect (or a cas's compare failed, see <see cref="Answer.Mismatch"/>).</summary>
    Ok,

    /// <summary>It certainly did not take effect (or a cas certainly did not swap).</summary>
    Fail,

    /// <summary>Unknown: a write may have taken effect, or may still.</summary>
    Info,
}

/// <summary>An answer from the cluster to one register operation.</summary>
/// <param name="Outcome">Ok, fail or info.</param>
/// <param name="Value">What a read read (null = absent).</param>
/// <param name="Index">The key's last index after the operation, when the answer says it (ETag, or the write's index).</param>
/// <param name="Mismatch">A cas whose compare failed (409).</param>
/// <param name="Node">The node that answered last (after redirects).</param>
/// <param name="Error">Why it failed or is unknown.</param>
internal sealed record Answer(Outcome Outcome, string? Value = null, ulong Index = 0, bool Mismatch = false, string? Node = null, string? Error = null);

/// <summary>
/// The register operations over the HTTP API: <c>GET /key/k?level=</c>, <c>POST /key</c>, and compare-and-set as
/// <c>POST /key</c> with <c>If-Match: "index"</c> (or <c>If-None-Match: *</c> when the register is expected absent).
/// Redirects (307 to the leader) are followed by hand, at most three. Outcomes follow the API's contract: 503 means
/// nothing was proposed (no leader, overloaded), so a fail; 504, 500, a reset connection or a timeout leave a write
/// unknown; a connection that could not even be made is a fail, since the request was never sent.
/// </summary>
internal sealed partial class RegisterClient : IDisposable
{
    private const int MaxRedirects = 3;

    /// <summary>
    /// The words of an error whose connection could not be made. Not proof that nothing was sent: SocketsHttpHandler
    /// resends a request on a new connection when a pooled one closes before any response byte (the server was killed
    /// after it read the request), and it is that new connection which is refused.
    /// </summary>
    public const string ConnectionFailed = "connection failed";
    private readonly HttpClient _http;
    private readonly TimeSpan _timeout;

    /// <summary>A client whose every operation gives up after <paramref name="timeout"/>.</summary>
    public RegisterClient(TimeSpan timeout)
    {
        _timeout = timeout;
        _http = new HttpClient(new SocketsHttpHandler
        {
            AllowAutoRedirect = false,
            ConnectTimeout = TimeSpan.FromSeconds(1),
            PooledConnectionLifetime = TimeSpan.FromSeconds(30),
        })
        {
            Timeout = Timeout.InfiniteTimeSpan,
        };
    }

    /// <summary>Runs <paramref name="clients"/> workers side by side, sharing one client whose operations give up after <paramref name="timeout"/>.</summary>
    public static async Task RunWorkersAsync(int clients, TimeSpan timeout, Func<RegisterClient, int, Task> worker)
    {
        using var client = new RegisterClient(timeout);
        await Task.WhenAll(Enumerable.Range(0, clients).Select(i => Task.Run(() => worker(client, i), CancellationToken.None))).ConfigureAwait(false);
    }

    /// <summary>Reads <paramref name="key"/> at <paramref name="level"/>, asking <paramref name="node"/> first.</summary>
    public async Task<Answer> ReadAsync(string node, string key, string level, CancellationToken cancellationToken)
    {
        var (status, body, etag, answeredBy, error) = await SendAsync(node, host =>
            new HttpRequestMessage(HttpMethod.Get, $"http://{host}/key/{Uri.EscapeDataString(key)}?level={level}"), cancellationToken).ConfigureAwait(false);
        switch (status)
        {
            case HttpStatusCode.OK:
                using (var document = JsonDocument.Parse(body))
                {
                    return new Answer(Outcome.Ok, document.RootElement.GetProperty(key).GetString(), etag, Node: answeredBy);
                }
            case HttpStatusCode.NotFound:
                return new Answer(Outcome.Ok, null, 0, Node: answeredBy);
            default:
                // A read that did not answer observed nothing.
                return new Answer(Outcome.Fail, Node: answeredBy, Error: error ?? Describe(status, body));
        }
    }

    /// <summary>
    /// Writes <paramref name="value"/> to <paramref name="key"/>; with <paramref name="ifMatch"/> only if the key's
    /// last index is that (0 = only if the key is absent), when <paramref name="conditional"/>.
    /// </summary>
    public async Task<Answer> WriteAsync(string node, string key, string value, bool conditional, ulong ifMatch, CancellationToken cancellationToken)
    {
        var json = JsonSerializer.Serialize(new Dictionary<string, string> { [key] = value });
        var (status, body, etag, answeredBy, error) = await SendAsync(node, host =>
        {
            var request = new HttpRequestMessage(HttpMethod.Post, $"http://{host}/key") { Content = new StringContent(json, Encoding.UTF8, "application/json") };
            if (conditional)
            {
                if (ifMatch == 0) request.Headers.TryAddWithoutValidation("If-None-Match", "*");
                else request.Headers.TryAddWithoutValidation("If-Match", "\"" + ifMatch.ToString(CultureInfo.InvariantCulture) + "\"");
            }

            return request;
        }, cancellationToken).ConfigureAwait(false);
        if (status == HttpStatusCode.OK) return new Answer(Outcome.Ok, value, IndexOf(body, key) ?? etag, Node: answeredBy);
        if (status == HttpStatusCode.Conflict && conditional) return new Answer(Outcome.Fail, Mismatch: true, Node: answeredBy, Error: "compare failed");
        // 503, 507 and a redirect past the last hop: nothing was proposed (no leader known, overloaded, a journal that
        // cannot be written, never sent).
        if (status is HttpStatusCode.ServiceUnavailable or HttpStatusCode.InsufficientStorage or HttpStatusCode.TemporaryRedirect) return new Answer(Outcome.Fail, Node: answeredBy, Error: error ?? Describe(status, body));
        // 504, 500, a reset, a timeout: the write may have been proposed and may still commit.
        return new Answer(Outcome.Info, Node: answeredBy, Error: error ?? Describe(status, body));
    }

    /// <summary>
    /// Sends a request to <paramref name="node"/> and follows redirects. Status 0 with an error is a request that
    /// failed in transport: <paramref name="cancellationToken"/> or the timeout, a reset, a refused connection. A
    /// refused connection comes back as 503, so that callers treat it like the cluster's "nothing proposed" (true of a
    /// request with a body; see <see cref="ConnectionFailed"/> for one without).
    /// </summary>
    private async Task<(HttpStatusCode Status, string Body, ulong ETag, string Node, string? Error)> SendAsync(
        string node, Func<string, HttpRequestMessage> make, CancellationToken cancellationToken)
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(_timeout);
        var host = node;
        for (var hop = 0; ; hop++)
        {
            try
            {
                using var request = make(host);
                using var response = await _http.SendAsync(request, timeout.Token).ConfigureAwait(false);
                var body = await response.Content.ReadAsStringAsync(timeout.Token).ConfigureAwait(false);
                if (response.StatusCode == HttpStatusCode.TemporaryRedirect && response.Headers.Location is { } location)
                {
                    // A follower that redirects proposed nothing; past three hops the leader keeps moving: give up, nothing done.
                    if (hop == MaxRedirects) return (HttpStatusCode.TemporaryRedirect, body, 0, host, $"more than {MaxRedirects} redirects");
                    host = location.Authority;
                    continue;
                }

                var etag = response.Headers.ETag is { } tag && ulong.TryParse(tag.Tag.Trim('"'), NumberStyles.None, CultureInfo.InvariantCulture, out var index) ? index : 0;
                return (response.StatusCode, body, etag, host, null);
            }
            catch (HttpRequestException e) when (e.HttpRequestError == HttpRequestError.ConnectionError || e.InnerException is SocketException { SocketErrorCode: SocketError.ConnectionRefused })
            {
                // The connection was never made, so the request was never sent.
                return (HttpStatusCode.ServiceUnavailable, "", 0, host, $"{host}: {ConnectionFailed} ({e.Message})");
            }
            catch (HttpRequestException e)
            {
                return (0, "", 0, host, $"{host}: {e.Message}");
            }
            catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
            {
                return (0, "", 0, host, $"{host}: no answer within {_timeout.TotalSeconds:0.#}s");
            }
        }
    }

    private static ulong? IndexOf(string body, string key)
    {
        try
        {
            using var document = JsonDocument.Parse(body);
            return document.RootElement.GetProperty("index").GetProperty(key).GetUInt64();
        }
        catch (Exception e) when (e is JsonException or KeyNotFoundException or InvalidOperationException or FormatException)
        {
            return null;
        }
    }

    private static string Describe(HttpStatusCode status, string body)
    {
        var detail = body;
        try
        {
            using var document = JsonDocument.Parse(body);
            if (document.RootElement.TryGetProperty("detail", out var d)) detail = d.GetString() ?? body;
        }
        catch (JsonException)
        {
            // Not a problem document: the body as it is.
        }

        return $"{(int)status} {detail}".Trim();
    }

    public void Dispose() => _http.Dispose();
}
