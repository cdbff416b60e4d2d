using System.Globalization;
using Akka.Actor;
using AkkaRaft.Client;
using AkkaRaft.Server.Node;
using AkkaRaft.Raft.Peer;

namespace AkkaRaft.Server.Http;

// One-shot watches and locks over HTTP (issue #14).
//   GET /watch/{key}?index={n}[&prefix=true][&timeout=30s][&session={id}] waits and answers once:
//     200 {"reason":"data_changed","key":"…","index":n} | {"reason":"leader_changed"} | {"reason":"session_expired"},
//     or a 408 problem when the timeout passes with nothing fired. The index is a read's: GET /key's ETag (the key's last
//     index) or any read's X-Raft-Index (the index it was served at); without it the watch starts from now.
//   POST /lock/{name}?session={id}[&wait=10s] (default akkaraft.http.request-timeout) -> 200 {"lock","session","fencingToken"} once the session holds the lock
//     (first come, first served by log index), or a 409 problem when wait passes (the session leaves the queue).
//   DELETE /lock/{name}?session={id} -> 200 {"released","index","wasHolder"}; 404 when the session neither held nor waited.
// Watches and locks are served by the leader: a follower answers 307 to it, or forwards with ?forward=true.
public sealed partial class HttpFrontEnd
{
    private WatchSettings? _watchSettings;

    /// <summary>The node's <c>akkaraft.watches</c> (the peer enforces them; the front end needs the default timeout).</summary>
    private WatchSettings Watches => _watchSettings ??= WatchSettings.FromConfig(_node.Config);

    private void MapWatchAndLockRoutes()
    {
        _app.MapGet("/watch/{**key}", Guard(WatchAsync));
        _app.MapPost("/lock/{**name}", Guard(AcquireLockAsync));
        _app.MapDelete("/lock/{**name}", Guard(ReleaseLockAsync));
    }

    private async Task WatchAsync(HttpContext context)
    {
        var query = context.Request.Query;
        var prefix = BooleanOf(context, "prefix");
        var key = Uri.UnescapeDataString(context.Request.RouteValues["key"] as string ?? "");
        if (prefix) CheckPrefix(key);
        else CheckKey(key);
        ulong? index = null;
        var indexText = query["index"].ToString();
        if (indexText.Length > 0)
        {
            if (!ulong.TryParse(indexText.Trim('"'), NumberStyles.None, CultureInfo.InvariantCulture, out var parsed))
                throw new BadRequestException(400, $"index must be a log index (a non-negative integer, as a read's ETag or X-Raft-Index), got '{indexText}'");
            index = parsed;
        }

        var timeout = DurationOf(context, "timeout") ?? Watches.DefaultTimeout;
        var session = OptionalSessionOf(context);
        var watch = new Watch(key, prefix, index, session, timeout, Forwarding(context) ? NotLeaderPolicy.Forward : NotLeaderPolicy.Reject);
        var answer = await WatchWaiter.WaitAsync(_node.System, _node.Peer, watch, timeout + _node.Settings.RequestTimeout, context.RequestAborted).ConfigureAwait(false);
        switch (answer)
        {
            case WatchFired fired:
                await WriteJsonAsync(context, 200, FiredJson(fired)).ConfigureAwait(false);
                return;
            case WatchTimedOut timedOut:
                await Problems.WriteAsync(context, 408, $"nothing fired within {FormatTtl(timedOut.After)} (the watch on '{key}' is gone; set a new one)").ConfigureAwait(false);
                return;
            default:
                await AnswerPeerFailureAsync(context, answer).ConfigureAwait(false);
                return;
        }
    }

    internal static Dictionary<string, object> FiredJson(WatchFired fired) => fired.Reason switch
    {
        WatchReason.DataChanged => new() { ["reason"] = "data_changed", ["key"] = fired.Key ?? "", ["index"] = fired.Index, ["event"] = fired.Deleted ? "delete" : "put" },
        WatchReason.LeaderChanged => new() { ["reason"] = "leader_changed" },
        _ => new() { ["reason"] = "session_expired" },
    };

    private async Task AcquireLockAsync(HttpContext context)
    {
        var name = LockNameOf(context);
        var session = RequiredSessionOf(context);
        var commit = _node.Settings.RequestTimeout;
        // wait covers the commit of the acquire and the time in the queue; by default as long as any write may take.
        var wait = DurationOf(context, "wait") ?? commit;
        var policy = Forwarding(context) ? NotLeaderPolicy.Forward : NotLeaderPolicy.Reject;
        // The answer comes when the session holds the lock: at once when it is free, or when an applied entry passes it on.
        var answer = await _node.AskAsync(new AcquireLock(name, session, commit, policy), wait, context.RequestAborted).ConfigureAwait(false);
        switch (answer)
        {
            case LockAcquired acquired:
                context.Response.Headers["X-Fencing-Token"] = acquired.FencingToken.ToString(CultureInfo.InvariantCulture);
                await WriteJsonAsync(context, 200, new Dictionary<string, object>
                {
                    ["lock"] = acquired.Name, ["session"] = acquired.SessionId.ToString(CultureInfo.InvariantCulture), ["fencingToken"] = acquired.FencingToken,
                }).ConfigureAwait(false);
                return;
            case RequestTimedOut:
                // Still queued (or the acquire may yet commit): leave the queue, so the lock never passes to a session
                // whose client stopped waiting. A release that finds the lock held by this session releases it.
                var left = await _node.AskAsync(new ReleaseLock(name, session, commit, policy), commit + TimeSpan.FromSeconds(1), CancellationToken.None).ConfigureAwait(false);
                var detail = left is LockReleased or LockNotHeld
                    ? $"lock '{name}' was not acquired within {FormatTtl(wait)}; session {session} left its queue"
                    : $"lock '{name}' was not acquired within {FormatTtl(wait)}, and leaving its queue failed ({left.GetType().Name}): release it, or let session {session} end";
                await Problems.WriteAsync(context, 409, detail).ConfigureAwait(false);
                return;
            default:
                await AnswerPeerFailureAsync(context, answer).ConfigureAwait(false);
                return;
        }
    }

    private async Task ReleaseLockAsync(HttpContext context)
    {
        var name = LockNameOf(context);
        var session = RequiredSessionOf(context);
        var commit = _node.Settings.RequestTimeout;
        var answer = await _node.AskAsync(new ReleaseLock(name, session, commit, Forwarding(context) ? NotLeaderPolicy.Forward : NotLeaderPolicy.Reject),
            commit + TimeSpan.FromSeconds(1), context.RequestAborted).ConfigureAwait(false);
        switch (answer)
        {
            case LockReleased released:
                await WriteJsonAsync(context, 200, new Dictionary<string, object> { ["released"] = released.Name, ["index"] = released.Index, ["wasHolder"] = released.WasHolder })
                    .ConfigureAwait(false);
                return;
            case LockNotHeld notHeld:
                await Problems.WriteAsync(context, 404, notHeld.Reason).ConfigureAwait(false);
                return;
            default:
                await AnswerPeerFailureAsync(context, answer).ConfigureAwait(false);
                return;
        }
    }

    private static string LockNameOf(HttpContext context)
    {
        var name = Uri.UnescapeDataString(context.Request.RouteValues["name"] as string ?? "");
        if (name.Length == 0) throw new BadRequestException(400, "a lock needs a name: POST /lock/{name}?session={id}");
        return name;
    }

    private static long RequiredSessionOf(HttpContext context)
    {
        var text = context.Request.Query["session"].ToString();
        if (text.Length == 0) throw new BadRequestException(400, "a lock is held by a session: add ?session={id} (POST /session opens one)");
        return SessionIdOf(text, "session");
    }

    private static long OptionalSessionOf(HttpContext context)
    {
        var text = context.Request.Query["session"].ToString();
        return text.Length == 0 ? 0 : SessionIdOf(text, "session");
    }

    private static bool BooleanOf(HttpContext context, string name)
    {
        var text = context.Request.Query[name].ToString();
        return text.ToLowerInvariant() switch
        {
            "" or "false" or "0" => false,
            "true" or "1" => true,
            _ => throw new BadRequestException(400, $"{name} must be true or false, got '{text}'"),
        };
    }

    private static TimeSpan? DurationOf(HttpContext context, string name)
    {
        var text = context.Request.Query[name].ToString();
        if (text.Length == 0) return null;
        return ParseTtl(text) is { } d && d > TimeSpan.Zero
            ? d
            : throw new BadRequestException(400, $"{name} must be a positive duration such as \"10s\", \"1500ms\" or \"2m\", got \"{text}\"");
    }
}
