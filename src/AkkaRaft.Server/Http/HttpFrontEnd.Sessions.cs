using System.Globalization;
using System.Text.Json;
using AkkaRaft.Client;
using AkkaRaft.Server.Node;

namespace AkkaRaft.Server.Http;

// Client sessions over HTTP (issue #14): POST /session {"ttl":"10s"} -> 201 {"id","ttl"}; PUT /session/{id} keeps it
// alive (200, or 404 once it expired); DELETE /session/{id} -> 204 and its ephemeral keys are gone. Writes name their
// session with ?session={id}, make their keys ephemeral with &ephemeral=true, and are applied exactly once with
// &seq={n}: a retry with the same (id, n) answers the first response with the same index and applies nothing.
public sealed partial class HttpFrontEnd
{
    private void MapSessionRoutes()
    {
        _app.MapPost("/session", Guard(OpenSessionAsync));
        _app.MapPut("/session/{id}", Guard(KeepSessionAliveAsync));
        _app.MapDelete("/session/{id}", Guard(CloseSessionAsync));
    }

    private async Task OpenSessionAsync(HttpContext context)
    {
        var body = await ReadBodyAsync(context).ConfigureAwait(false);
        var ttl = ParseSessionBody(body);
        var timeout = _node.Settings.RequestTimeout;
        var answer = await _node.AskAsync(new OpenSession(ttl, timeout, Forwarding(context) ? NotLeaderPolicy.Forward : NotLeaderPolicy.Reject),
            timeout + TimeSpan.FromSeconds(1), context.RequestAborted).ConfigureAwait(false);
        if (answer is SessionOpened opened)
        {
            context.Response.Headers.Location = $"/session/{opened.SessionId}";
            await WriteJsonAsync(context, 201, SessionJson(opened.SessionId, opened.Ttl)).ConfigureAwait(false);
            return;
        }

        await AnswerPeerFailureAsync(context, answer).ConfigureAwait(false);
    }

    private async Task KeepSessionAliveAsync(HttpContext context)
    {
        var id = SessionIdOf(context.Request.RouteValues["id"] as string ?? "", "the path");
        var timeout = _node.Settings.RequestTimeout;
        var answer = await _node.AskAsync(new KeepSessionAlive(id, Forwarding(context) ? NotLeaderPolicy.Forward : NotLeaderPolicy.Reject),
            timeout, context.RequestAborted).ConfigureAwait(false);
        switch (answer)
        {
            case SessionKeptAlive kept:
                await WriteJsonAsync(context, 200, SessionJson(kept.SessionId, kept.Ttl)).ConfigureAwait(false);
                return;
            case SessionNotFound notFound:
                await Problems.WriteAsync(context, 404, notFound.Reason).ConfigureAwait(false);
                return;
            default:
                await AnswerPeerFailureAsync(context, answer).ConfigureAwait(false);
                return;
        }
    }

    private async Task CloseSessionAsync(HttpContext context)
    {
        var id = SessionIdOf(context.Request.RouteValues["id"] as string ?? "", "the path");
        var timeout = _node.Settings.RequestTimeout;
        var answer = await _node.AskAsync(new CloseSession(id, timeout, Forwarding(context) ? NotLeaderPolicy.Forward : NotLeaderPolicy.Reject),
            timeout + TimeSpan.FromSeconds(1), context.RequestAborted).ConfigureAwait(false);
        switch (answer)
        {
            case SessionClosed:
                context.Response.StatusCode = StatusCodes.Status204NoContent;
                return;
            case SessionNotFound notFound:
                await Problems.WriteAsync(context, 404, notFound.Reason).ConfigureAwait(false);
                return;
            default:
                await AnswerPeerFailureAsync(context, answer).ConfigureAwait(false);
                return;
        }
    }

    /// <summary>
    /// What a key write's query string says about its session: <c>session</c> (the id), <c>ephemeral</c> (true/false, only
    /// with a session), <c>seq</c> (exactly once, only with a session) and <c>ack</c> (the lowest sequence number whose
    /// answer the client has not received; by default <c>seq</c>, for a client that sends one write at a time).
    /// </summary>
    internal static WriteSession SessionWriteOf(HttpContext context)
    {
        var query = context.Request.Query;
        var sessionText = query["session"].ToString();
        var ephemeralText = query["ephemeral"].ToString();
        var seqText = query["seq"].ToString();
        var ackText = query["ack"].ToString();
        var ephemeral = ephemeralText.Length > 0 && ephemeralText.ToLowerInvariant() switch
        {
            "true" or "1" => true,
            "false" or "0" => false,
            _ => throw new BadRequestException(400, $"ephemeral must be true or false, got '{ephemeralText}'"),
        };
        if (sessionText.Length == 0)
        {
            if (ephemeral) throw new BadRequestException(400, "an ephemeral key belongs to a session: add ?session={id} (POST /session opens one)");
            if (seqText.Length > 0) throw new BadRequestException(400, "seq (exactly once) counts the writes of a session: add ?session={id} (POST /session opens one)");
            return WriteSession.None;
        }

        var session = SessionIdOf(sessionText, "session");
        ulong seq = 0;
        if (seqText.Length > 0 && (!ulong.TryParse(seqText, NumberStyles.None, CultureInfo.InvariantCulture, out seq) || seq == 0))
        {
            throw new BadRequestException(400, $"seq must be a positive integer (the write's number in its session), got '{seqText}'");
        }

        var ack = seq;
        if (ackText.Length > 0 && (!ulong.TryParse(ackText, NumberStyles.None, CultureInfo.InvariantCulture, out ack) || seq == 0 || ack > seq))
        {
            throw new BadRequestException(400, $"ack must be a positive integer no larger than seq (the lowest seq whose answer you have not received), got '{ackText}'");
        }

        return new WriteSession(session, seq, ack, ephemeral);
    }

    private static long SessionIdOf(string text, string where)
    {
        if (!long.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var id) || id <= 0)
        {
            throw new BadRequestException(400, $"a session id is a positive integer (as POST /session answered it), got '{text}' in {where}");
        }

        return id;
    }

    /// <summary>Parses <c>{"ttl":"10s"}</c>: a duration with a unit (ms, s, m, h).</summary>
    internal static TimeSpan ParseSessionBody(byte[] body)
    {
        JsonDocument document;
        try
        {
            document = JsonDocument.Parse(body);
        }
        catch (JsonException e)
        {
            throw new BadRequestException(400, $"the body is not valid JSON: {e.Message}; send {{\"ttl\":\"10s\"}}");
        }

        using (document)
        {
            if (document.RootElement.ValueKind != JsonValueKind.Object
                || !document.RootElement.TryGetProperty("ttl", out var ttl)
                || ttl.ValueKind != JsonValueKind.String)
            {
                throw new BadRequestException(400, "the body must be a JSON object with the session's time to live as a string, such as {\"ttl\":\"10s\"}");
            }

            var text = ttl.GetString()!;
            return ParseTtl(text) ?? throw new BadRequestException(400, $"ttl must be a duration such as \"10s\", \"1500ms\", \"2m\" or \"1h\", got \"{text}\"");
        }
    }

    private static TimeSpan? ParseTtl(string text)
    {
        var s = text.Trim();
        var end = 0;
        while (end < s.Length && (char.IsAsciiDigit(s[end]) || s[end] == '.')) end++;
        if (end == 0 || !decimal.TryParse(s[..end], NumberStyles.AllowDecimalPoint, CultureInfo.InvariantCulture, out var number)) return null;
        decimal? millis = s[end..].Trim() switch
        {
            "ms" => number,
            "s" => number * 1000,
            "m" => number * 60_000,
            "h" => number * 3_600_000,
            _ => null,
        };
        return millis is { } ms && ms <= (decimal)TimeSpan.MaxValue.TotalMilliseconds / 2 ? TimeSpan.FromMilliseconds((double)ms) : null;
    }

    /// <summary>A TTL as the API writes it: whole seconds as "10s", else milliseconds as "1500ms".</summary>
    internal static string FormatTtl(TimeSpan ttl) =>
        ttl.Ticks % TimeSpan.TicksPerSecond == 0
            ? ((long)ttl.TotalSeconds).ToString(CultureInfo.InvariantCulture) + "s"
            : ((long)ttl.TotalMilliseconds).ToString(CultureInfo.InvariantCulture) + "ms";

    private static Dictionary<string, string> SessionJson(long id, TimeSpan ttl) =>
        new() { ["id"] = id.ToString(CultureInfo.InvariantCulture), ["ttl"] = FormatTtl(ttl) };
}
