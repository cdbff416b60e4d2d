using System.Globalization;
using AkkaRaft.Client;

namespace AkkaRaft.Server.Http;

// GET /sessions[?limit=n] -> 200 {"index","leader","limit","sessionCount","sessions":[{"id","ttl","expiresInMs"}],
//   "lockCount","locks":[{"name","holder","fencingToken","waiters":[…],"waiterCount"}],
//   "watchCount","watches":[{"id","key","prefix","session","afterIndex"}]}
// The leader's open sessions, held locks and the watches waiting on it, at most akkaraft.sessions.max-listed (or limit,
// when smaller) of each; the counts say how many there are in all. expiresInMs is null when the leader does not know yet.
// Served by the leader: a follower answers 307 to it, or forwards with ?forward=true.
public sealed partial class HttpFrontEnd
{
    private void MapListingRoutes() => _app.MapGet("/sessions", Guard(ListSessionsAsync));

    private async Task ListSessionsAsync(HttpContext context)
    {
        var limitText = context.Request.Query["limit"].ToString();
        var limit = 0;
        if (limitText.Length > 0 && (!int.TryParse(limitText, NumberStyles.None, CultureInfo.InvariantCulture, out limit) || limit == 0))
        {
            throw new BadRequestException(400, $"limit must be a positive integer (most entries of each kind to list; at most akkaraft.sessions.max-listed), got '{limitText}'");
        }

        var timeout = _node.Settings.RequestTimeout;
        var answer = await _node.AskAsync(new ListCoordination(limit, Forwarding(context) ? NotLeaderPolicy.Forward : NotLeaderPolicy.Reject),
            timeout, context.RequestAborted).ConfigureAwait(false);
        if (answer is not CoordinationListing listing)
        {
            await AnswerPeerFailureAsync(context, answer).ConfigureAwait(false);
            return;
        }

        await WriteJsonAsync(context, 200, ListingJson(listing)).ConfigureAwait(false);
    }

    private Dictionary<string, object?> ListingJson(CoordinationListing listing) => new()
    {
        ["index"] = listing.Index,
        ["leader"] = NameOf(listing.Leader),
        ["limit"] = listing.Limit,
        ["sessionCount"] = listing.SessionCount,
        ["sessions"] = listing.Sessions.Select(s => new Dictionary<string, object?>
        {
            ["id"] = Id(s.Id),
            ["ttl"] = FormatTtl(s.Ttl),
            ["expiresInMs"] = s.ExpiresIn is { } left ? (long)left.TotalMilliseconds : null,
        }).ToList(),
        ["lockCount"] = listing.LockCount,
        ["locks"] = listing.Locks.Select(l => new Dictionary<string, object?>
        {
            ["name"] = l.Name,
            ["holder"] = Id(l.Holder),
            ["fencingToken"] = l.FencingToken,
            ["waiters"] = l.Waiters.Select(Id).ToList(),
            ["waiterCount"] = l.WaiterCount,
        }).ToList(),
        ["watchCount"] = listing.WatchCount,
        ["watches"] = listing.Watches.Select(w => new Dictionary<string, object?>
        {
            ["id"] = w.Id,
            ["key"] = w.Key,
            ["prefix"] = w.Prefix,
            ["session"] = w.SessionId == 0 ? null : Id(w.SessionId),
            ["afterIndex"] = w.AfterIndex,
        }).ToList(),
    };

    // Session ids are written as POST /session answers them: as strings.
    private static string Id(long sessionId) => sessionId.ToString(CultureInfo.InvariantCulture);
}
