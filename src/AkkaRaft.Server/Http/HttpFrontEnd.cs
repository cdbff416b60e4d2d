using System.Globalization;
using System.Text;
using System.Text.Json;
using Akka.Actor;
using AkkaRaft.Client;
using AkkaRaft.Client.Kv;
using AkkaRaft.Configuration;
using AkkaRaft.Kv;
using AkkaRaft.Raft.Core;
using AkkaRaft.Raft.Peer;
using AkkaRaft.Server.Limits;
using AkkaRaft.Server.Node;
using AkkaRaft.Server.Security;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;

namespace AkkaRaft.Server.Http;

/// <summary>
/// The HTTP API of one node on Kestrel: raftdb's <c>POST /key</c>, <c>GET /key/{k}?level=</c>, <c>DELETE /key/{k}</c>,
/// <c>POST /join</c>, plus libkv's list, delete-tree, compare-and-swap (<c>If-Match</c>) and exists (<c>HEAD</c>),
/// <c>DELETE /join/{id}</c>, <c>POST /config</c> (membership in one change), <c>POST /leader</c> (transfer), <c>GET /status</c> and
/// <c>GET /metrics</c>. A node that is
/// not the leader answers 307 to the leader's HTTP address, or forwards the request with <c>?forward=true</c>.
/// </summary>
public sealed partial class HttpFrontEnd : IAsyncDisposable
{
    private readonly AkkaRaftNode _node;
    private readonly WebApplication _app;
    private readonly HttpClient _proxy;

    private HttpFrontEnd(AkkaRaftNode node, WebApplication app)
    {
        _node = node;
        _app = app;
        _proxy = ClientPorts.MemberClient(node.Settings.Security, node.Settings.RequestTimeout * 2);
    }

    /// <summary>The client ports' TLS and tokens.</summary>
    private HttpSecuritySettings Security => _node.Settings.Security;

    /// <summary>Counters of this front end.</summary>
    public ServerMetrics Metrics { get; } = new();

    /// <summary>The routes this listener serves (its endpoint data sources): what the bad-input fuzzer walks.</summary>
    internal IReadOnlyList<Endpoint> Endpoints =>
        ((Microsoft.AspNetCore.Routing.IEndpointRouteBuilder)_app).DataSources.SelectMany(source => source.Endpoints).ToList();

    /// <summary>The address Kestrel listens on.</summary>
    public HostPort Address { get; private set; }

    /// <summary>Starts Kestrel on the node's HTTP address and advertises the bound address to the cluster.</summary>
    /// <exception cref="IOException">The address cannot be bound.</exception>
    public static async Task<HttpFrontEnd> StartAsync(AkkaRaftNode node, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(node);
        // An empty host: the node's configuration is its HOCON, so no appsettings.json, environment or command-line
        // sources, and no file watcher. (The slim builder's appsettings.json reload watches the working directory
        // and everything under it, and ./data is under it by default: every SQLite write woke the watcher thread.)
        var builder = WebApplication.CreateEmptyBuilder(new WebApplicationOptions { ContentRootPath = AppContext.BaseDirectory });
        builder.WebHost.UseKestrelCore();
        builder.Services.AddRoutingCore();
        var limits = CreateClientLimits(ClientLimitsSettings.FromConfig(node.Config));
        builder.WebHost.ConfigureKestrel(k => limits.ApplyTo(k, node.Settings.MaxBodyBytes));
        var address = node.Settings.HttpAddress;
        var url = ClientPorts.Configure(builder, address, node.Settings.Security);
        var app = builder.Build();
        app.Urls.Add(url);
        var frontEnd = new HttpFrontEnd(node, app);
        // The limits first (counting is cheaper than checking a token), then the token's role.
        frontEnd.UseClientLimits(limits);
        HttpAccess.Use(app, node.Settings.Security.Tokens);
        frontEnd.MapRoutes();
        HttpAccess.CheckEveryRouteHasRole(app);
        await app.StartAsync(cancellationToken).ConfigureAwait(false);
        var bound = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        frontEnd.Address = HostPort.TryParse(bound, out var hp) ? hp : address;
        node.Advertise(frontEnd.Address);
        return frontEnd;
    }

    /// <summary>Every route the API maps, as <c>"METHOD pattern"</c> (the keys of <see cref="AccessTable.HttpRoutes"/>).</summary>
    internal IEnumerable<string> RouteKeys() => HttpAccess.RouteKeys(_app);

    /// <summary>Stops accepting requests and lets the running ones finish (up to the shutdown timeout).</summary>
    public async ValueTask DisposeAsync()
    {
        using var timeout = new CancellationTokenSource(_node.Settings.ShutdownTimeout);
        await _app.StopAsync(timeout.Token).ConfigureAwait(false);
        await _app.DisposeAsync().ConfigureAwait(false);
        _proxy.Dispose();
        _limits?.Dispose();
    }

    private void MapRoutes()
    {
        _app.MapPost("/key", Guard(KeyValue(PostKeysAsync)));
        _app.MapGet("/key/{**key}", Guard(KeyValue(GetKeyAsync)));
        _app.MapMethods("/key/{**key}", [HttpMethods.Head], Guard(KeyValue(ExistsAsync)));
        _app.MapDelete("/key/{**key}", Guard(KeyValue(DeleteKeyAsync)));
        _app.MapGet("/keys", Guard(KeyValue(ListAsync)));
        _app.MapDelete("/keys", Guard(KeyValue(DeleteTreeAsync)));
        _app.MapPost("/join", Guard(JoinAsync));
        _app.MapDelete("/join/{id}", Guard(LeaveAsync));
        _app.MapPost("/leader", Guard(TransferAsync));
        _app.MapPost("/config", Guard(SetConfigAsync));
        _app.MapGet("/status", Guard(StatusAsync));
        if (_node.ServesTimeSeries) MapSeriesRoutes();
        _app.MapGet("/metrics", Guard(MetricsAsync));
        MapSessionRoutes();
        MapWatchAndLockRoutes();
        MapListingRoutes();
        MapConsoleRoutes();
    }

    /// <summary>
    /// A key/value route: served on a node with the key/value store; 501 on a node that runs a state machine of the
    /// user's own, where a key/value command would be applied by the user's machine.
    /// </summary>
    private Func<HttpContext, Task> KeyValue(Func<HttpContext, Task> handler) => _node.ServesKeyValue ? handler : context =>
        throw new BadRequestException(StatusCodes.Status501NotImplemented, AkkaRaftNode.NoKeyValueReason);

    /// <summary>
    /// Turns a peer that does not answer into a 504 problem (it may be restarting from its journal) and an unexpected
    /// exception into a 500 problem, never with a stack trace.
    /// </summary>
    internal static RequestDelegate Guard(Func<HttpContext, Task> handler) => async context =>
    {
        try
        {
            await handler(context).ConfigureAwait(false);
        }
        catch (BadRequestException e)
        {
            if (!context.Response.HasStarted) await Problems.WriteAsync(context, e.Status, e.Message).ConfigureAwait(false);
        }
        catch (Microsoft.AspNetCore.Http.BadHttpRequestException e)
        {
            // Kestrel's refusals of the request itself, met while reading its body: too large, too slow, malformed.
            if (!context.Response.HasStarted) await Problems.WriteAsync(context, e.StatusCode, BadRequestDetail(e)).ConfigureAwait(false);
        }
        catch (AskTimeoutException)
        {
            if (!context.Response.HasStarted)
            {
                await Problems.WriteAsync(context, StatusCodes.Status504GatewayTimeout, "the Raft peer did not answer in time (it may be restarting from its journal); retry shortly").ConfigureAwait(false);
            }
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            if (!context.Response.HasStarted)
            {
                await Problems.WriteAsync(context, StatusCodes.Status500InternalServerError, $"the server failed to handle the request ({e.GetType().Name})").ConfigureAwait(false);
            }
        }
    };

    // ------------------------------------------------------------------ keys

    private async Task PostKeysAsync(HttpContext context)
    {
        var body = await ReadBodyAsync(context).ConfigureAwait(false);
        var pairs = ParseKeyObject(body);
        var ifMatch = IfMatch(context);
        var createOnly = context.Request.Headers.IfNoneMatch.ToString().Trim() == "*";
        if ((ifMatch is not null || createOnly) && pairs.Count != 1)
        {
            throw new BadRequestException(400, "If-Match and If-None-Match apply to a body with exactly one key");
        }

        // Every key and value is checked before anything is proposed; the state machine checks them again as it applies.
        var values = CheckPairs(pairs);
        var session = SessionWriteOf(context);
        var ephemeral = session.Ephemeral;
        var written = new Dictionary<string, ulong>(StringComparer.Ordinal);
        if (pairs.Count == 1)
        {
            var key = pairs[0].Key;
            var command = ifMatch is { } index ? KvCommands.AtomicPut(key, values[0], index, ephemeral)
                : createOnly ? KvCommands.AtomicPut(key, values[0], null, ephemeral)
                : KvCommands.Put(key, values[0], ephemeral);
            var outcome = await WriteAsync(context, command, session).ConfigureAwait(false);
            if (outcome is null) return;
            if (!await AnswerFailureAsync(context, key, outcome.Value.Result).ConfigureAwait(false)) return;
            written[key] = outcome.Value.Result.Pair?.LastIndex ?? outcome.Value.Index;
            context.Response.Headers.ETag = Quote(written[key]);
        }
        else
        {
            // Several keys are one batch: one log entry, all or nothing, every key with that entry's index.
            var operations = new KvBatchOperation[pairs.Count];
            for (var i = 0; i < pairs.Count; i++) operations[i] = KvBatchOperation.Put(pairs[i].Key, values[i], ephemeral);
            var outcome = await WriteAsync(context, KvCommands.Batch(operations), session).ConfigureAwait(false);
            if (outcome is null) return;
            var result = outcome.Value.Result;
            if (!await AnswerFailureAsync(context, result.FailedKey, result).ConfigureAwait(false)) return;
            foreach (var pair in result.Pairs) written[pair.Key] = pair.LastIndex;
        }

        await WriteJsonAsync(context, 200, new Dictionary<string, object> { ["index"] = written }).ConfigureAwait(false);
    }

    /// <summary>Checks the keys and values of a POST /key body, naming the offending key; returns the values' UTF-8 bytes.</summary>
    private byte[][] CheckPairs(List<KeyValuePair<string, string>> pairs)
    {
        var settings = _node.KvSettings;
        if (pairs.Count > settings.MaxBatchKeys)
        {
            throw new BadRequestException(413, $"the body has {pairs.Count} keys, more than one write may hold (akkaraft.kv.max-batch-keys = {settings.MaxBatchKeys}); the first over the limit is '{ClientText.Shown(pairs[settings.MaxBatchKeys].Key)}'");
        }

        var seen = new HashSet<string>(StringComparer.Ordinal);
        var values = new byte[pairs.Count][];
        for (var i = 0; i < pairs.Count; i++)
        {
            var (key, value) = pairs[i];
            var keyStatus = KvKeys.CheckKey(key, settings, out var keyProblem);
            if (keyStatus != KvStatus.Ok)
            {
                throw new BadRequestException(keyStatus == KvStatus.KeyTooLarge ? 413 : 400, pairs.Count == 1 ? keyProblem : $"key '{ClientText.Shown(key)}': {keyProblem} Nothing was written.");
            }

            if (!seen.Add(key)) throw new BadRequestException(400, $"the key '{ClientText.Shown(key)}' appears more than once in the body");
            if (MemberDirectory.IsInternal(key)) throw new BadRequestException(403, MemberDirectory.InternalWriteRefusal(key));
            values[i] = Encoding.UTF8.GetBytes(value);
            if (KvKeys.CheckValue(values[i].Length, settings, out var valueProblem) != KvStatus.Ok)
            {
                throw new BadRequestException(413, pairs.Count == 1 ? valueProblem : $"key '{ClientText.Shown(key)}': {valueProblem} Nothing was written.");
            }
        }

        return values;
    }

    private async Task GetKeyAsync(HttpContext context)
    {
        var key = KeyOf(context);
        var response = await AskQueryAsync(context, KvQueries.Get(key)).ConfigureAwait(false);
        if (response is null) return;
        // The index the read was served at: a watch from it fires on the first change after this read (a 404 too).
        context.Response.Headers[RaftIndexHeader] = response.AppliedIndex.ToString(CultureInfo.InvariantCulture);
        var answer = KvResult.Decode(response.Response);
        if (!await AnswerFailureAsync(context, key, answer).ConfigureAwait(false)) return;
        var pair = answer.Pair!;
        context.Response.Headers.ETag = Quote(pair.LastIndex);
        await WriteJsonAsync(context, 200, new Dictionary<string, string> { [pair.Key] = Text(pair.Value) }).ConfigureAwait(false);
    }

    private async Task ExistsAsync(HttpContext context)
    {
        var key = KeyOf(context);
        var answer = await ReadAsync(context, KvQueries.Exists(key)).ConfigureAwait(false);
        if (answer is null) return;
        if (!answer.IsOk)
        {
            await AnswerFailureAsync(context, key, answer).ConfigureAwait(false);
            return;
        }

        context.Response.StatusCode = answer.Exists ? 200 : 404;
    }

    private async Task DeleteKeyAsync(HttpContext context)
    {
        var key = KeyOf(context);
        if (MemberDirectory.IsInternal(key)) throw new BadRequestException(403, MemberDirectory.InternalWriteRefusal(key));
        var ifMatch = IfMatch(context);
        var command = ifMatch is { } index ? KvCommands.AtomicDelete(key, index) : KvCommands.Delete(key);
        var outcome = await WriteAsync(context, command).ConfigureAwait(false);
        if (outcome is null) return;
        if (!await AnswerFailureAsync(context, key, outcome.Value.Result).ConfigureAwait(false)) return;
        await WriteJsonAsync(context, 200, new Dictionary<string, object> { ["deleted"] = key, ["index"] = outcome.Value.Index }).ConfigureAwait(false);
    }

    private async Task ListAsync(HttpContext context)
    {
        var prefix = context.Request.Query["prefix"].ToString();
        var after = context.Request.Query["after"].ToString();
        var limitText = context.Request.Query["limit"].ToString();
        uint limit = 0;
        if (limitText.Length > 0 && !uint.TryParse(limitText, NumberStyles.None, CultureInfo.InvariantCulture, out limit))
        {
            throw new BadRequestException(400, $"limit must be a non-negative integer, got '{limitText}'");
        }

        CheckPrefix(prefix);
        var response = await AskQueryAsync(context, KvQueries.List(prefix, after, limit)).ConfigureAwait(false);
        if (response is null) return;
        // A listing's ETag is the index it was served at: GET /watch/{prefix}?prefix=true&index= from it.
        context.Response.Headers.ETag = Quote(response.AppliedIndex);
        context.Response.Headers[RaftIndexHeader] = response.AppliedIndex.ToString(CultureInfo.InvariantCulture);
        var answer = KvResult.Decode(response.Response);
        if (!await AnswerFailureAsync(context, prefix, answer).ConfigureAwait(false)) return;
        var showInternal = MemberDirectory.IsInternal(prefix);
        var pairs = answer.Pairs
            .Where(p => showInternal || !MemberDirectory.IsInternal(p.Key))
            .Select(p => new Dictionary<string, object> { ["key"] = p.Key, ["value"] = Text(p.Value), ["index"] = p.LastIndex })
            .ToList();
        await WriteJsonAsync(context, 200, new Dictionary<string, object> { ["pairs"] = pairs, ["truncated"] = answer.Truncated }).ConfigureAwait(false);
    }

    private async Task DeleteTreeAsync(HttpContext context)
    {
        if (!context.Request.Query.ContainsKey("prefix"))
        {
            throw new BadRequestException(400, "DELETE /keys needs ?prefix= (an empty prefix deletes every key, so it must be given explicitly)");
        }

        var prefix = context.Request.Query["prefix"].ToString();
        CheckPrefix(prefix);
        if (MemberDirectory.IsInternal(prefix)) throw new BadRequestException(403, MemberDirectory.InternalWriteRefusal(prefix));
        // Deleting every key (or a tree over the cluster's own records) leaves those records be.
        var outcome = await WriteAsync(context, KvCommands.DeleteTree(prefix, MemberDirectory.SparedByDeleteTree(prefix))).ConfigureAwait(false);
        if (outcome is null) return;
        if (!await AnswerFailureAsync(context, prefix, outcome.Value.Result).ConfigureAwait(false)) return;
        await WriteJsonAsync(context, 200, new Dictionary<string, object> { ["deleted"] = outcome.Value.Result.DeletedCount, ["index"] = outcome.Value.Index })
            .ConfigureAwait(false);
    }

    // ------------------------------------------------------------------ talking to the peer

    /// <summary>Proposes a key/value command; null when the answer (redirect or problem) is already written.</summary>
    private async Task<(KvResult Result, ulong Index)?> WriteAsync(HttpContext context, byte[] command, WriteSession? session = null) =>
        await ProposeAsync(context, command, session).ConfigureAwait(false) is { } result ? (KvResult.Decode(result.Response), result.Index) : null;

    /// <summary>Proposes a command of the node's state machine, in a client session when one is given; null when the answer (redirect or problem) is already written.</summary>
    private async Task<WriteResult?> ProposeAsync(HttpContext context, byte[] command, WriteSession? session = null)
    {
        if (_node.JournalHealth.Failure is { } failure)
        {
            // The peer may be between incarnations (restarting from its journal): answer from what it recorded.
            Metrics.Failed();
            await AnswerStorageUnavailableAsync(context, new StorageUnavailable($"this node cannot write its journal since {failure.At:u}: {failure.Reason}", failure.OutOfSpace)).ConfigureAwait(false);
            return null;
        }

        var policy = Forwarding(context) ? NotLeaderPolicy.Forward : NotLeaderPolicy.Reject;
        var timeout = _node.Settings.RequestTimeout;
        Metrics.Proposed();
        var answer = await _node.AskAsync((session ?? WriteSession.None).Apply(new Write(command, timeout, policy)), timeout + TimeSpan.FromSeconds(1), context.RequestAborted).ConfigureAwait(false);
        // The commit latency is timed by the peer itself (PeerStatus.CommitLatency), on the actor system's clock.
        if (answer is WriteResult result) return result;

        Metrics.Failed();
        await AnswerPeerFailureAsync(context, answer).ConfigureAwait(false);
        return null;
    }

    /// <summary>Asks a key/value query at the request's level; null when the answer is already written.</summary>
    private async Task<KvResult?> ReadAsync(HttpContext context, byte[] query) =>
        await AskQueryAsync(context, query).ConfigureAwait(false) is { } response ? KvResult.Decode(response.Response) : null;

    /// <summary>Asks a query of the node's state machine at the request's level; null when the answer is already written.</summary>
    private async Task<QueryResponse?> AskQueryAsync(HttpContext context, byte[] query)
    {
        var level = LevelOf(context);
        var policy = Forwarding(context) ? NotLeaderPolicy.Forward : NotLeaderPolicy.Reject;
        var timeout = _node.Settings.RequestTimeout;
        var answer = await _node.AskAsync(new Query(query, level, timeout, policy), timeout + TimeSpan.FromSeconds(1), context.RequestAborted).ConfigureAwait(false);
        if (answer is QueryResponse response) return response;
        await AnswerPeerFailureAsync(context, answer).ConfigureAwait(false);
        return null;
    }

    /// <summary>Answers NotLeader with a redirect to the leader's HTTP address (or 503), and the other failures with their problem.</summary>
    private async Task AnswerPeerFailureAsync(HttpContext context, object answer)
    {
        switch (answer)
        {
            case NotLeader notLeader:
                if (LeaderHttp(notLeader.LeaderHint) is { } leaderHttp)
                {
                    context.Response.StatusCode = StatusCodes.Status307TemporaryRedirect;
                    context.Response.Headers.Location = $"{ClientPorts.Url(Security, leaderHttp)}{context.Request.Path}{context.Request.QueryString}";
                    return;
                }

                await Problems.WriteAsync(context, 503, notLeader.LeaderHint == RaftIds.None
                    ? "no leader yet: the cluster is electing one; retry shortly"
                    : _node.ServesKeyValue
                        ? $"this node is not the leader and does not know the leader's HTTP address yet ({notLeader.Reason}); retry shortly"
                        : $"this node is not the leader, and a node of your own state machine keeps no members' addresses ({notLeader.Reason}); add ?forward=true to have it pass the request on, or send it to another member").ConfigureAwait(false);
                return;
            case Overloaded overloaded:
                context.Response.Headers.RetryAfter = "1";
                await Problems.WriteAsync(context, 503, $"overloaded: {overloaded.Reason}").ConfigureAwait(false);
                return;
            case RequestTimedOut timedOut:
                await Problems.WriteAsync(context, 504, $"no outcome within {timedOut.After.TotalMilliseconds}ms; a write may still commit").ConfigureAwait(false);
                return;
            case RequestRejected rejected:
                await Problems.WriteAsync(context, 400, rejected.Reason).ConfigureAwait(false);
                return;
            case ConfigurationChangeInProgress inProgress:
                context.Response.Headers.RetryAfter = "1";
                await Problems.WriteAsync(context, 503, inProgress.Reason).ConfigureAwait(false);
                return;
            case StorageUnavailable storage:
                await AnswerStorageUnavailableAsync(context, storage).ConfigureAwait(false);
                return;
            case SessionNotFound notFound:
                await Problems.WriteAsync(context, 404, notFound.Reason).ConfigureAwait(false);
                return;
            default:
                await Problems.WriteAsync(context, 500, $"unexpected answer from the Raft peer: {answer.GetType().Name}").ConfigureAwait(false);
                return;
        }
    }

    /// <summary>
    /// 507 Insufficient Storage when the journal is full, 503 for another journal failure; nothing was proposed. The
    /// peer keeps retrying its journal with backoff (<c>akkaraft.raft.restart-max-backoff</c>), so a client retries later
    /// or goes to another node.
    /// </summary>
    private static async Task AnswerStorageUnavailableAsync(HttpContext context, StorageUnavailable storage)
    {
        context.Response.Headers.RetryAfter = "1";
        await Problems.WriteAsync(context, storage.OutOfSpace ? StatusCodes.Status507InsufficientStorage : StatusCodes.Status503ServiceUnavailable,
            $"{storage.Reason}; nothing was written, and this node takes no writes until its journal can be written again").ConfigureAwait(false);
    }

    /// <summary>Writes the problem of a failed key/value result; true when the result is Ok and the caller answers.</summary>
    private static async Task<bool> AnswerFailureAsync(HttpContext context, string key, KvResult result)
    {
        if (result.IsOk) return true;
        var (status, current) = result.Status switch
        {
            KvStatus.KeyNotFound => (404, (ulong?)null),
            KvStatus.KeyExists => (409, result.CurrentIndex),
            KvStatus.KeyModified => (409, result.CurrentIndex),
            KvStatus.KeyTooLarge => (413, null),
            KvStatus.ValueTooLarge => (413, null),
            KvStatus.BatchTooLarge => (413, null),
            _ => (400, null),
        };
        var detail = result.Status switch
        {
            KvStatus.KeyNotFound => $"key '{key}' not found",
            KvStatus.KeyExists => $"compare failed: key '{key}' already exists (last index {result.CurrentIndex})",
            KvStatus.KeyModified => $"compare failed: key '{key}' was modified (last index is {result.CurrentIndex})",
            _ => result.Message.Length > 0 ? result.Message : result.Status.ToString(),
        };
        if (current is { } index && index > 0) context.Response.Headers.ETag = Quote(index);
        await Problems.WriteAsync(context, status, detail, current).ConfigureAwait(false);
        return false;
    }

    private string? LeaderHttp(ulong leader)
    {
        if (leader == RaftIds.None || leader == _node.RaftId) return null;
        var member = _node.Directory.Find(leader);
        return member is { Http.Length: > 0 } ? member.Http : null;
    }

    // ------------------------------------------------------------------ request parsing

    private async Task<byte[]> ReadBodyAsync(HttpContext context)
    {
        var max = _node.Settings.MaxBodyBytes;
        if (context.Request.ContentLength > max)
        {
            throw new BadRequestException(413, $"the body has {context.Request.ContentLength} bytes; at most {max} are accepted (akkaraft.http.max-body-bytes)");
        }

        using var buffer = new MemoryStream();
        var chunk = new byte[16 * 1024];
        int read;
        while ((read = await context.Request.Body.ReadAsync(chunk, context.RequestAborted).ConfigureAwait(false)) > 0)
        {
            buffer.Write(chunk, 0, read);
            if (buffer.Length > max)
            {
                throw new BadRequestException(413, $"the body is larger than {max} bytes (akkaraft.http.max-body-bytes)");
            }
        }

        var body = buffer.ToArray();
        // Every body the API takes is JSON, and JSON text is UTF-8 (RFC 8259 §8.1). The JSON readers check the
        // grammar but leave a string's bytes to be checked when it is read as a string (InvalidOperationException),
        // so bytes that are not UTF-8 are refused here, once, for every route.
        if (!System.Text.Unicode.Utf8.IsValid(body))
        {
            throw new BadRequestException(400, "the body is not valid UTF-8 (JSON text is UTF-8); nothing was written");
        }

        CheckJsonEscapes(body);
        return body;
    }

    /// <summary>
    /// Refuses a JSON string or name whose escapes are not Unicode (an unpaired surrogate such as <c>\ud800</c>): valid
    /// JSON grammar, but no string can hold it, and the readers throw InvalidOperationException when the route reads
    /// it. A body without a backslash has no escapes and is not scanned; a body that is not JSON is left to the
    /// route's parser, which says why.
    /// </summary>
    internal static void CheckJsonEscapes(byte[] body)
    {
        if (body.AsSpan().IndexOf((byte)'\\') < 0) return;
        var reader = new Utf8JsonReader(body);
        try
        {
            while (reader.Read())
            {
                if (reader.TokenType is not (JsonTokenType.PropertyName or JsonTokenType.String) || !reader.ValueIsEscaped) continue;
                try
                {
                    reader.GetString();
                }
                catch (InvalidOperationException)
                {
                    throw new BadRequestException(400, $"the JSON string at byte {reader.TokenStartIndex} of the body escapes no Unicode text (an unpaired surrogate such as \\ud800); nothing was written");
                }
            }
        }
        catch (JsonException)
        {
            // Not JSON: the route's own parser refuses it and says where.
        }
    }

    /// <summary>Parses raftdb's body: a JSON object of one or more string values.</summary>
    internal static List<KeyValuePair<string, string>> ParseKeyObject(byte[] body)
    {
        JsonDocument document;
        try
        {
            document = JsonDocument.Parse(body);
        }
        catch (JsonException e)
        {
            throw new BadRequestException(400, $"the body is not valid JSON: {e.Message}");
        }

        using (document)
        {
            if (document.RootElement.ValueKind != JsonValueKind.Object)
            {
                throw new BadRequestException(400, $"the body must be a JSON object of keys and string values, such as {{\"foo\": \"bar\"}}; got a JSON {document.RootElement.ValueKind.ToString().ToLowerInvariant()}");
            }

            var pairs = new List<KeyValuePair<string, string>>();
            foreach (var property in document.RootElement.EnumerateObject())
            {
                if (property.Value.ValueKind != JsonValueKind.String)
                {
                    throw new BadRequestException(400, $"the value of key '{property.Name}' must be a JSON string, got a {property.Value.ValueKind.ToString().ToLowerInvariant()}");
                }

                pairs.Add(new(property.Name, property.Value.GetString()!));
            }

            if (pairs.Count == 0) throw new BadRequestException(400, "the body names no key: send a JSON object such as {\"foo\": \"bar\"}");
            return pairs;
        }
    }

    private string KeyOf(HttpContext context)
    {
        var key = context.Request.RouteValues["key"] as string ?? "";
        key = Uri.UnescapeDataString(key);
        CheckKey(key);
        return key;
    }

    private void CheckKey(string key)
    {
        var status = KvKeys.CheckKey(key, _node.KvSettings, out var message);
        if (status == KvStatus.Ok) return;
        throw new BadRequestException(status == KvStatus.KeyTooLarge ? 413 : 400, message);
    }

    private void CheckPrefix(string prefix)
    {
        var status = KvKeys.CheckPrefix(prefix, _node.KvSettings, out var message);
        if (status == KvStatus.Ok) return;
        throw new BadRequestException(status == KvStatus.KeyTooLarge ? 413 : 400, message);
    }

    private static ReadLevel LevelOf(HttpContext context)
    {
        var text = context.Request.Query["level"].ToString();
        return text.ToLowerInvariant() switch
        {
            "" or "default" => ReadLevel.Default,
            "stale" => ReadLevel.Stale,
            "consistent" => ReadLevel.Consistent,
            _ => throw new BadRequestException(400, $"level must be stale, default or consistent, got '{text}'"),
        };
    }

    private static bool Forwarding(HttpContext context)
    {
        var text = context.Request.Query["forward"].ToString();
        return text.Length > 0 && (text == "1" || text.Equals("true", StringComparison.OrdinalIgnoreCase));
    }

    private static ulong? IfMatch(HttpContext context)
    {
        var text = context.Request.Headers.IfMatch.ToString().Trim();
        if (text.Length == 0) return null;
        var bare = text.Trim('"');
        if (!ulong.TryParse(bare, NumberStyles.None, CultureInfo.InvariantCulture, out var index) || index == 0)
        {
            throw new BadRequestException(400, $"If-Match must be a key's last index (a positive integer, as in its ETag), got '{text}'");
        }

        return index;
    }

    /// <summary>The header of a read that names the log index it was served at.</summary>
    internal const string RaftIndexHeader = "X-Raft-Index";

    private static string Quote(ulong index) => "\"" + index.ToString(CultureInfo.InvariantCulture) + "\"";

    private static string Text(ReadOnlyMemory<byte> value) => Encoding.UTF8.GetString(value.Span);

    private static Task WriteJsonAsync(HttpContext context, int status, object body)
    {
        context.Response.StatusCode = status;
        context.Response.ContentType = "application/json";
        return context.Response.WriteAsync(HttpJson.Serialize(body));
    }

    /// <summary>A request the server refuses with <see cref="Status"/>; the message is the problem's detail.</summary>
    private sealed class BadRequestException(int status, string message) : Exception(message)
    {
        public int Status { get; } = status;
    }
}
