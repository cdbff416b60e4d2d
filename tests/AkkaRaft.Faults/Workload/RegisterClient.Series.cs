using System.Globalization;
using System.Net;
using System.Text;
using System.Text.Json;

namespace AkkaRaft.Faults.Workload;

// The time-series requests of the HTTP API (README, "Time series"): POST /series/{name}?unit=ms with [[t, v], …], and
// GET /series/{name}?from=&to=&unit=ms&level= → {"points":[[t, v], …]}. Outcomes as for the register operations.
internal sealed partial class RegisterClient
{
    /// <summary>Appends <paramref name="points"/> (milliseconds, value) to <paramref name="series"/>.</summary>
    public async Task<Answer> AppendPointsAsync(string node, string series, IReadOnlyList<(long T, double V)> points, CancellationToken cancellationToken)
    {
        var json = new StringBuilder("[");
        for (var i = 0; i < points.Count; i++)
        {
            if (i > 0) json.Append(',');
            json.Append(CultureInfo.InvariantCulture, $"[{points[i].T},{points[i].V.ToString("R", CultureInfo.InvariantCulture)}]");
        }

        json.Append(']');
        var body = json.ToString();
        var (status, answer, _, answeredBy, error) = await SendAsync(node, host =>
            new HttpRequestMessage(HttpMethod.Post, $"http://{host}/series/{series}?unit=ms") { Content = new StringContent(body, Encoding.UTF8, "application/json") }, cancellationToken).ConfigureAwait(false);
        return status switch
        {
            HttpStatusCode.OK => new Answer(Outcome.Ok, Node: answeredBy),
            // 400: refused whole (an append command applies all or nothing); 503, 507, past the last redirect: not proposed.
            HttpStatusCode.BadRequest or HttpStatusCode.ServiceUnavailable or HttpStatusCode.InsufficientStorage or HttpStatusCode.TemporaryRedirect =>
                new Answer(Outcome.Fail, Node: answeredBy, Error: error ?? Describe(status, answer)),
            _ => new Answer(Outcome.Info, Node: answeredBy, Error: error ?? Describe(status, answer)),
        };
    }

    /// <summary>Reads every point of <paramref name="series"/> in [<paramref name="from"/>, <paramref name="to"/>) ms at <paramref name="level"/>; null when no answer (404: none).</summary>
    public async Task<(IReadOnlyList<(long T, double V)>? Points, string? Error)> ReadPointsAsync(
        string node, string series, long from, long to, string level, CancellationToken cancellationToken)
    {
        var (status, body, _, _, error) = await SendAsync(node, host =>
            new HttpRequestMessage(HttpMethod.Get, $"http://{host}/series/{series}?from={from}&to={to}&unit=ms&level={level}"), cancellationToken).ConfigureAwait(false);
        if (status == HttpStatusCode.NotFound) return ([], null);
        if (status != HttpStatusCode.OK) return (null, error ?? Describe(status, body));
        using var document = JsonDocument.Parse(body);
        var points = new List<(long, double)>();
        foreach (var point in document.RootElement.GetProperty("points").EnumerateArray())
        {
            points.Add((point[0].GetInt64(), point[1].GetDouble()));
        }

        return (points, null);
    }
}
