using System.Globalization;
using System.Net;
using System.Text;
using System.Text.Json;

namespace AkkaRaft.Faults.Workload;

// The session requests of the HTTP API (docs/SESSIONS.md): POST /session, PUT and DELETE /session/{id}, and writes in a
// session, POST /key?session={id}&seq={n}[&ephemeral=true]. Outcomes as for the register operations.
internal sealed partial class RegisterClient
{
    /// <summary>Opens a session with <paramref name="ttl"/>; its id, or null with why not.</summary>
    public async Task<(string? Id, string? Error)> OpenSessionAsync(string node, TimeSpan ttl, CancellationToken cancellationToken)
    {
        var json = JsonSerializer.Serialize(new { ttl = ttl.TotalSeconds.ToString("0", CultureInfo.InvariantCulture) + "s" });
        var (status, body, _, _, error) = await SendAsync(node, host =>
            new HttpRequestMessage(HttpMethod.Post, $"http://{host}/session") { Content = new StringContent(json, Encoding.UTF8, "application/json") }, cancellationToken).ConfigureAwait(false);
        if (status != HttpStatusCode.Created) return (null, error ?? Describe(status, body));
        using var document = JsonDocument.Parse(body);
        return (document.RootElement.GetProperty("id").GetString(), null);
    }

    /// <summary>Keeps a session alive: 200 (alive), 404 (gone), or another status (not known now).</summary>
    public async Task<HttpStatusCode> KeepAliveAsync(string node, string session, CancellationToken cancellationToken) =>
        (await SendAsync(node, host => new HttpRequestMessage(HttpMethod.Put, $"http://{host}/session/{session}"), cancellationToken).ConfigureAwait(false)).Status;

    /// <summary>
    /// Closes <paramref name="session"/> (when there is one) at the end of a worker, best effort: one that cannot be
    /// closed within the client's timeout expires within its TTL.
    /// </summary>
    public async Task CloseSessionAtEndAsync(string node, string? session)
    {
        if (session is null) return;
        using var closing = new CancellationTokenSource(_timeout);
        try
        {
            await CloseSessionAsync(node, session, closing.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            // Left to expire.
        }
    }

    /// <summary>Closes a session: 204 (closed), 404 (already gone), or another status.</summary>
    public async Task<HttpStatusCode> CloseSessionAsync(string node, string session, CancellationToken cancellationToken) =>
        (await SendAsync(node, host => new HttpRequestMessage(HttpMethod.Delete, $"http://{host}/session/{session}"), cancellationToken).ConfigureAwait(false)).Status;

    /// <summary>
    /// Writes <paramref name="value"/> to <paramref name="key"/> in <paramref name="session"/> as its write number
    /// <paramref name="sequence"/>. <see cref="Answer.Index"/> is the write's index (a retry answers the first one's);
    /// a session that does not live answers <see cref="SessionGone"/>.
    /// </summary>
    public async Task<(Answer Answer, bool SessionGone)> SessionWriteAsync(
        string node, string key, string value, string session, int sequence, bool ephemeral, CancellationToken cancellationToken)
    {
        var json = JsonSerializer.Serialize(new Dictionary<string, string> { [key] = value });
        var query = $"session={session}&seq={sequence.ToString(CultureInfo.InvariantCulture)}" + (ephemeral ? "&ephemeral=true" : "");
        var (status, body, etag, answeredBy, error) = await SendAsync(node, host =>
            new HttpRequestMessage(HttpMethod.Post, $"http://{host}/key?{query}") { Content = new StringContent(json, Encoding.UTF8, "application/json") }, cancellationToken).ConfigureAwait(false);
        return status switch
        {
            HttpStatusCode.OK => (new Answer(Outcome.Ok, value, IndexOf(body, key) ?? etag, Node: answeredBy), false),
            HttpStatusCode.NotFound => (new Answer(Outcome.Fail, Node: answeredBy, Error: Describe(status, body)), true),
            HttpStatusCode.BadRequest or HttpStatusCode.ServiceUnavailable or HttpStatusCode.InsufficientStorage or HttpStatusCode.TemporaryRedirect =>
                (new Answer(Outcome.Fail, Node: answeredBy, Error: error ?? Describe(status, body)), false),
            _ => (new Answer(Outcome.Info, Node: answeredBy, Error: error ?? Describe(status, body)), false),
        };
    }
}
