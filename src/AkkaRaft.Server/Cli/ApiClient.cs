using System.CommandLine;
using System.Net;
using System.Text;
using System.Text.Json;

namespace AkkaRaft.Server.Cli;

/// <summary>
/// The CLI's way to a cluster: HTTP requests to the first of <c>--endpoints</c> that answers (a node that is down
/// is skipped). Requests that only the leader serves carry <c>?forward=true</c>, so any member will do.
/// </summary>
public sealed class ApiClient : IDisposable
{
    /// <summary>Exit code when the cluster refused the request or could not be reached.</summary>
    public const int ExitFailed = 1;

    /// <summary>The environment variable the token is read from when --token is not given.</summary>
    public const string TokenVariable = "AKKARAFT_TOKEN";

    private readonly HttpClient _http;
    private readonly IReadOnlyList<string> _endpoints;
    private readonly string? _token;

    /// <summary>
    /// A client over <paramref name="endpoints"/> (host:port, http://host:port or https://host:port) whose requests wait
    /// up to <paramref name="requestTimeout"/> (15 s when null).
    /// </summary>
    public ApiClient(IEnumerable<string> endpoints, TimeSpan? requestTimeout = null) : this(endpoints, new ClusterCredentials(null, null), requestTimeout)
    {
    }

    /// <summary>
    /// A client that sends <paramref name="credentials"/>' token as <c>Authorization: Bearer</c> and trusts its CA for
    /// https endpoints; bare host:port endpoints are https when a CA is given.
    /// </summary>
    public ApiClient(IEnumerable<string> endpoints, ClusterCredentials credentials, TimeSpan? requestTimeout = null)
    {
        ArgumentNullException.ThrowIfNull(credentials);
        _http = new HttpClient(credentials.Handler()) { Timeout = requestTimeout ?? TimeSpan.FromSeconds(15) };
        _token = credentials.Token;
        var scheme = credentials.CaCertificates is null ? "http://" : "https://";
        _endpoints = endpoints
            .SelectMany(e => e.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
            .Select(e => (e.Contains("://", StringComparison.Ordinal) ? e : scheme + e).TrimEnd('/'))
            .ToList();
        if (_endpoints.Count == 0) throw new ArgumentException("at least one endpoint is needed", nameof(endpoints));
    }

    /// <summary>The --endpoints option.</summary>
    public static Option<string[]> EndpointsOption() => new("--endpoints", "-e")
    {
        Description = "HTTP addresses of cluster members, tried in order (comma-separated or repeated; https://host:port, or host:port with --cacert, for TLS).",
        HelpName = "host:port",
        DefaultValueFactory = _ => ["127.0.0.1:8091"],
        Arity = ArgumentArity.OneOrMore,
    };

    /// <summary>The --json option.</summary>
    public static Option<bool> JsonOption() => new("--json") { Description = "Print the server's JSON answer (for scripts)." };

    /// <summary>The answer of one request.</summary>
    /// <param name="Status">HTTP status.</param>
    /// <param name="Body">The body text.</param>
    /// <param name="ETag">The ETag header (a key's last index), or null.</param>
    public sealed record Answer(HttpStatusCode Status, string Body, string? ETag)
    {
        /// <summary>2xx.</summary>
        public bool Ok => (int)Status is >= 200 and < 300;

        /// <summary>The problem's detail, or the body.</summary>
        public string Problem()
        {
            try
            {
                using var document = JsonDocument.Parse(Body);
                if (document.RootElement.TryGetProperty("detail", out var detail)) return detail.GetString() ?? Body;
            }
            catch (JsonException)
            {
            }

            return Body.Length > 0 ? Body.Trim() : Status.ToString();
        }
    }

    /// <summary>Sends a request to the first endpoint that accepts a connection.</summary>
    /// <exception cref="HttpRequestException">No endpoint could be reached (the message names them).</exception>
    public async Task<Answer> SendAsync(HttpMethod method, string pathAndQuery, string? json = null, string? ifMatch = null, CancellationToken cancellationToken = default)
    {
        var failures = new List<string>();
        foreach (var endpoint in _endpoints)
        {
            using var request = new HttpRequestMessage(method, endpoint + pathAndQuery);
            if (json is not null) request.Content = new StringContent(json, Encoding.UTF8, "application/json");
            if (ifMatch is not null) request.Headers.TryAddWithoutValidation("If-Match", ifMatch);
            if (_token is not null) request.Headers.Authorization = new(Security.AccessTokens.BearerScheme, _token);
            try
            {
                using var response = await _http.SendAsync(request, cancellationToken).ConfigureAwait(false);
                var body = await response.Content.ReadAsStringAsync(cancellationToken).ConfigureAwait(false);
                return new Answer(response.StatusCode, body, response.Headers.ETag?.Tag.Trim('"'));
            }
            catch (HttpRequestException e)
            {
                failures.Add($"{endpoint}: {e.Message}");
            }
        }

        throw new HttpRequestException($"no endpoint answered ({string.Join("; ", failures)})");
    }

    /// <summary>Runs <paramref name="action"/>, turning an unreachable cluster into a message and <see cref="ExitFailed"/>.</summary>
    public static async Task<int> RunAsync(ParseResult result, Option<string[]> endpoints, Func<ApiClient, TextWriter, TextWriter, Task<int>> action, TimeSpan? requestTimeout = null)
    {
        var output = result.InvocationConfiguration.Output;
        var error = result.InvocationConfiguration.Error;
        ClusterCredentials credentials;
        try
        {
            credentials = ClusterCredentials.From(result);
        }
        catch (ArgumentException e)
        {
            await error.WriteLineAsync($"akkaraft: {e.Message}").ConfigureAwait(false);
            return AkkaRaftCommandLine.ExitBadInput;
        }

        using var client = new ApiClient(result.GetValue(endpoints) ?? [], credentials, requestTimeout);
        try
        {
            return await action(client, output, error).ConfigureAwait(false);
        }
        catch (HttpRequestException e)
        {
            await error.WriteLineAsync($"akkaraft: {e.Message}").ConfigureAwait(false);
            return ExitFailed;
        }
    }

    /// <summary>Prints the answer's problem on the error writer and returns <see cref="ExitFailed"/>.</summary>
    public static async Task<int> FailAsync(TextWriter error, Answer answer)
    {
        await error.WriteLineAsync($"akkaraft: {(int)answer.Status} {answer.Problem()}").ConfigureAwait(false);
        return ExitFailed;
    }

    /// <inheritdoc />
    public void Dispose() => _http.Dispose();
}
