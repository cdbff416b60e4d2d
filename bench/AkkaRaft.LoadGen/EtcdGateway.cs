using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;

namespace AkkaRaft.LoadGen;

/// <summary>
/// Requests of etcd's v3 JSON gateway (grpc-gateway over the KV service, served on every client URL of etcd 3.4):
/// <c>POST /v3/kv/put {"key": base64, "value": base64}</c> and <c>POST /v3/kv/range {"key": base64}</c>, with
/// <c>"serializable": true</c> for a stale read (served from the member's local state without a quorum round,
/// etcd's counterpart of AkkaRaft's <c>level=stale</c>; without it a range is linearizable, etcd's ReadIndex).
/// </summary>
public sealed class EtcdGateway
{
    private static readonly MediaTypeHeaderValue Json = new("application/json");
    private readonly string _valueBase64;
    private readonly bool _serializable;

    /// <summary>Requests with values of <paramref name="valueBytes"/> bytes ('v' repeated), and ranges serializable or not.</summary>
    public EtcdGateway(int valueBytes, bool serializable)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(valueBytes);
        _valueBase64 = Convert.ToBase64String(Encoding.ASCII.GetBytes(new string('v', valueBytes)));
        _serializable = serializable;
    }

    /// <summary>The body of a put of <paramref name="key"/>.</summary>
    public HttpContent Put(string key) => Body($"{{\"key\":\"{Base64(key)}\",\"value\":\"{_valueBase64}\"}}");

    /// <summary>The body of a range (get) of <paramref name="key"/>.</summary>
    public HttpContent Range(string key) =>
        Body(_serializable ? $"{{\"key\":\"{Base64(key)}\",\"serializable\":true}}" : $"{{\"key\":\"{Base64(key)}\"}}");

    private static string Base64(string text) => Convert.ToBase64String(Encoding.UTF8.GetBytes(text));

    private static ByteArrayContent Body(string json)
    {
        var content = new ByteArrayContent(Encoding.UTF8.GetBytes(json));
        content.Headers.ContentType = Json;
        return content;
    }

    /// <summary>
    /// The client URL of the cluster's leader: the member whose id <c>/v3/maintenance/status</c> names as leader,
    /// from <c>/v3/cluster/member/list</c>; <paramref name="endpoint"/> itself when the leader has no client URL
    /// (a follower forwards proposals to the leader itself).
    /// </summary>
    /// <exception cref="HttpRequestException">The member did not answer.</exception>
    public static async Task<string> LeaderAsync(HttpClient http, string endpoint, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(http);
        using var status = await PostJsonAsync(http, endpoint + "/v3/maintenance/status", cancellationToken).ConfigureAwait(false);
        var leader = status.RootElement.GetProperty("leader").GetString();
        using var members = await PostJsonAsync(http, endpoint + "/v3/cluster/member/list", cancellationToken).ConfigureAwait(false);
        foreach (var member in members.RootElement.GetProperty("members").EnumerateArray())
        {
            if (member.GetProperty("ID").GetString() != leader) continue;
            if (member.TryGetProperty("clientURLs", out var urls) && urls.GetArrayLength() > 0) return LoadRun.Normalize(urls[0].GetString()!);
        }

        return endpoint;
    }

    private static async Task<JsonDocument> PostJsonAsync(HttpClient http, string url, CancellationToken cancellationToken)
    {
        using var response = await http.PostAsync(url, Body("{}"), cancellationToken).ConfigureAwait(false);
        response.EnsureSuccessStatusCode();
        return JsonDocument.Parse(await response.Content.ReadAsStringAsync(cancellationToken).ConfigureAwait(false));
    }
}
