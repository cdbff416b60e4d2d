using System.Globalization;
using System.Net;
using System.Text.Json;

namespace AkkaRaft.Faults.Workload;

/// <summary>How one watch request ended.</summary>
internal enum WatchOutcome
{
    /// <summary>200 data_changed: a change after the watch's index (key, index, put or delete).</summary>
    Changed,

    /// <summary>200 leader_changed: the node that held the watch stopped leading; set it again elsewhere.</summary>
    LeaderChanged,

    /// <summary>408: nothing changed after the index within the watch's timeout.</summary>
    TimedOut,

    /// <summary>400 because the index is older than the node's watch history: read again and watch from the read's index.</summary>
    HistoryGone,

    /// <summary>Any other refusal or answer the workload does not expect (a 400 of another kind, session_expired).</summary>
    Unexpected,

    /// <summary>No answer: 503, 504, a timeout, a reset, too many redirects. Try the next node.</summary>
    Unavailable,
}

/// <summary>The answer to one watch.</summary>
/// <param name="Outcome">What happened.</param>
/// <param name="Key">The changed key (for <see cref="WatchOutcome.Changed"/>).</param>
/// <param name="Index">The change's log index (for <see cref="WatchOutcome.Changed"/>).</param>
/// <param name="Deleted">The change left the key absent (<c>"event":"delete"</c>).</param>
/// <param name="Error">Why it was unavailable or unexpected.</param>
internal sealed record WatchAnswer(WatchOutcome Outcome, string? Key = null, ulong Index = 0, bool Deleted = false, string? Error = null)
{
    /// <summary>The node that answered last (after redirects).</summary>
    public string? Node { get; init; }
}

// The requests of the watch workload: DELETE /key/{k}, GET /keys?prefix= for a starting index (its ETag), and the
// one-shot watch GET /watch/{prefix}?prefix=true&index=n&timeout=… (README, "HTTP API").
internal sealed partial class RegisterClient
{
    /// <summary>Deletes <paramref name="key"/>: Ok with the delete's index, Fail when nothing changed (404: absent; 503), Info otherwise.</summary>
    public async Task<Answer> DeleteAsync(string node, string key, CancellationToken cancellationToken)
    {
        var (status, body, _, answeredBy, error) = await SendAsync(node, host => new HttpRequestMessage(HttpMethod.Delete, $"http://{host}/key/{Uri.EscapeDataString(key)}"), cancellationToken)
            .ConfigureAwait(false);
        switch (status)
        {
            case HttpStatusCode.OK:
                using (var document = JsonDocument.Parse(body))
                {
                    return new Answer(Outcome.Ok, null, document.RootElement.GetProperty("index").GetUInt64(), Node: answeredBy);
                }
            // 404: the key was absent when the delete applied, so it changed nothing; the others proposed nothing.
            case HttpStatusCode.NotFound or HttpStatusCode.ServiceUnavailable or HttpStatusCode.InsufficientStorage or HttpStatusCode.TemporaryRedirect:
                return new Answer(Outcome.Fail, Node: answeredBy, Error: error ?? Describe(status, body));
            default:
                return new Answer(Outcome.Info, Node: answeredBy, Error: error ?? Describe(status, body));
        }
    }

    /// <summary>The index a listing of <paramref name="prefix"/> was served at (its ETag), or null when no node answered.</summary>
    public async Task<ulong?> ListingIndexAsync(string node, string prefix, CancellationToken cancellationToken)
    {
        var (status, _, etag, _, _) = await SendAsync(node, host => new HttpRequestMessage(HttpMethod.Get, $"http://{host}/keys?prefix={Uri.EscapeDataString(prefix)}&limit=1"), cancellationToken)
            .ConfigureAwait(false);
        return status == HttpStatusCode.OK && etag > 0 ? etag : null;
    }

    /// <summary>Watches every key under <paramref name="prefix"/> for the first change after <paramref name="index"/>, waiting up to <paramref name="timeout"/>.</summary>
    public async Task<WatchAnswer> WatchPrefixAsync(string node, string prefix, ulong index, TimeSpan timeout, CancellationToken cancellationToken)
    {
        var query = $"prefix=true&index={index.ToString(CultureInfo.InvariantCulture)}&timeout={timeout.TotalMilliseconds.ToString("0", CultureInfo.InvariantCulture)}ms";
        var (status, body, _, answeredBy, error) = await SendAsync(node, host => new HttpRequestMessage(HttpMethod.Get, $"http://{host}/watch/{Uri.EscapeDataString(prefix)}?{query}"), cancellationToken)
            .ConfigureAwait(false);
        return WatchAnswerOf(status, body, error) with { Node = answeredBy };
    }

    private static WatchAnswer WatchAnswerOf(HttpStatusCode status, string body, string? error)
    {
        switch (status)
        {
            case HttpStatusCode.OK:
                using (var document = JsonDocument.Parse(body))
                {
                    var root = document.RootElement;
                    return root.GetProperty("reason").GetString() switch
                    {
                        "data_changed" => new WatchAnswer(WatchOutcome.Changed, root.GetProperty("key").GetString(), root.GetProperty("index").GetUInt64(),
                            root.GetProperty("event").GetString() == "delete"),
                        "leader_changed" => new WatchAnswer(WatchOutcome.LeaderChanged),
                        var reason => new WatchAnswer(WatchOutcome.Unexpected, Error: $"200 with reason '{reason}' on a watch without a session"),
                    };
                }
            case HttpStatusCode.RequestTimeout:
                return new WatchAnswer(WatchOutcome.TimedOut);
            case HttpStatusCode.BadRequest:
                var detail = Describe(status, body);
                return new WatchAnswer(detail.Contains("watch history", StringComparison.Ordinal) ? WatchOutcome.HistoryGone : WatchOutcome.Unexpected, Error: detail);
            default:
                return new WatchAnswer(WatchOutcome.Unavailable, Error: error ?? Describe(status, body));
        }
    }
}
