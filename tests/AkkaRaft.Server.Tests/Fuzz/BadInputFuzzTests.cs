using System.Collections.Concurrent;
using System.Globalization;
using System.Net;
using System.Text;
using System.Text.Json;
using AkkaRaft.Grpc.V1;
using Google.Protobuf;
using Google.Protobuf.Reflection;
using Grpc.AspNetCore.Server;
using Microsoft.AspNetCore.Routing;
using Microsoft.AspNetCore.Routing.Patterns;
using Xunit.Abstractions;

namespace AkkaRaft.Server.Tests.Fuzz;

/// <summary>
/// A bad-input fuzzer with a fixed seed over every route of the HTTP API (read from the front end's endpoint data
/// sources, so a new route is fuzzed without a change here) and every method of the gRPC API (its endpoints' method
/// metadata and the protos' descriptors): malformed, truncated, oversized and hostile requests. No answer may be a
/// 5xx, INTERNAL or UNKNOWN; the node must keep answering; and every key in the store afterwards must have come from a
/// request that was answered 2xx / OK. <c>AKKARAFT_FUZZ_INPUTS</c> sets how many inputs of each API (default 2,000).
/// </summary>
public sealed class BadInputFuzzTests(ITestOutputHelper output) : IAsyncLifetime
{
    /// <summary>The seed: the same inputs on every run.</summary>
    private const int Seed = 19_0304;

    private const int MaxBodyBytes = 64 * 1024;

    private static readonly TimeSpan AnswerTimeout = TimeSpan.FromSeconds(15);

    private static readonly Dictionary<string, string> Settings = new()
    {
        ["akkaraft.http.max-body-bytes"] = $"{MaxBodyBytes}",
        ["akkaraft.grpc.max-message-bytes"] = $"{MaxBodyBytes}",
        // Every request ends within a couple of seconds: waits (watches, locks, writes) are short.
        ["akkaraft.http.request-timeout"] = "1s",
        ["akkaraft.grpc.request-timeout"] = "1s",
        ["akkaraft.watches.default-timeout"] = "200ms",
        ["akkaraft.watches.max-timeout"] = "1s",
        // The fuzzer is one client with many requests at once.
        ["akkaraft.client-limits.max-requests-per-client"] = "2048",
    };

    private GrpcTestNode? _node;

    /// <summary>The raw text of every request answered 2xx / OK: the only sources a stored key may come from.</summary>
    private readonly ConcurrentBag<string> _accepted = [];

    private readonly ConcurrentBag<string> _failures = [];
    private readonly ConcurrentDictionary<string, int> _answers = new();

    private GrpcTestNode Node => _node!;

    private static int Inputs => int.TryParse(Environment.GetEnvironmentVariable("AKKARAFT_FUZZ_INPUTS"), out var n) && n > 0 ? n : 2000;

    public async Task InitializeAsync()
    {
        _node = await GrpcTestNode.StartAsync("fuzz", TestCluster.TempDirectory("fuzz"), Settings);
        using var client = new HttpClient();
        await TestCluster.WaitForLeaderAsync(client, Node.Node.Address);
    }

    public async Task DisposeAsync()
    {
        if (_node is null) return;
        var dataDir = _node.Node.DataDir;
        await _node.DisposeAsync();
        Directory.Delete(dataDir, recursive: true);
    }

    [Fact]
    public async Task Hostile_input_to_every_HTTP_route_and_gRPC_method_gets_no_server_error_and_writes_nothing_it_refused()
    {
        var routes = Node.Node.Http.Endpoints.OfType<RouteEndpoint>().ToList();
        var methods = Node.Grpc.Endpoints.Select(e => e.Metadata.GetMetadata<GrpcMethodMetadata>()).OfType<GrpcMethodMetadata>()
            .Select(m => m.Method).DistinctBy(m => m.FullName).ToList();
        output.WriteLine($"seed {Seed}: {Inputs} HTTP inputs over {routes.Count} routes, {Inputs} gRPC inputs over {methods.Count} methods");
        Assert.True(routes.Count >= 20, $"only {routes.Count} HTTP routes found");
        Assert.True(methods.Count >= 20, $"only {methods.Count} gRPC methods found");

        var random = new Random(Seed);
        var http = Enumerable.Range(0, Inputs).Select(_ => HttpInput(random, routes)).ToList();
        var grpc = Enumerable.Range(0, Inputs).Select(_ => GrpcInput(random, methods)).ToList();

        await Parallel.ForEachAsync(http, new ParallelOptions { MaxDegreeOfParallelism = 8 }, async (input, _) => await SendHttpAsync(input));
        await AssertStillAnswersAsync();
        // Checked after each API's inputs: a delete-tree among the next ones may empty the store.
        await AssertOnlyAcceptedKeysAreStoredAsync("HTTP");
        using (var channelHandler = new SocketsHttpHandler())
        using (var h2c = new HttpClient(channelHandler) { Timeout = Timeout.InfiniteTimeSpan })
        {
            await Parallel.ForEachAsync(grpc, new ParallelOptions { MaxDegreeOfParallelism = 8 }, async (input, _) => await SendGrpcAsync(h2c, input));
        }

        await AssertStillAnswersAsync();
        output.WriteLine("answers: " + string.Join(", ", _answers.OrderBy(a => a.Key, StringComparer.Ordinal).Select(a => $"{a.Key} x{a.Value}")));
        Assert.True(_failures.IsEmpty, $"seed {Seed}: {_failures.Count} bad answers, the first ones:\n{string.Join("\n", _failures.Take(15))}");
        await AssertOnlyAcceptedKeysAreStoredAsync("gRPC");
    }

    // ------------------------------------------------------------------ HTTP

    private sealed record HttpRequestInput(string Route, byte[] Bytes, bool HalfClose);

    /// <summary>A request to one route: its pattern filled with hostile values, a hostile query, headers, body and framing.</summary>
    private static HttpRequestInput HttpInput(Random random, IReadOnlyList<RouteEndpoint> routes)
    {
        var hostile = new HostileInputs(random, MaxBodyBytes);
        var route = routes[random.Next(routes.Count)];
        var methods = route.Metadata.GetMetadata<IHttpMethodMetadata>()?.HttpMethods ?? ["GET"];
        var method = random.Next(12) == 0 ? new[] { "GET", "POST", "PUT", "DELETE", "HEAD", "PATCH", "FOO" }[random.Next(7)] : methods[random.Next(methods.Count)];
        var path = new StringBuilder();
        foreach (var segment in route.RoutePattern.PathSegments)
        {
            path.Append('/');
            foreach (var part in segment.Parts)
            {
                path.Append(part switch
                {
                    RoutePatternLiteralPart literal => literal.Content,
                    RoutePatternSeparatorPart separator => separator.Content,
                    _ => hostile.PathValue(),
                });
            }
        }

        var query = random.Next(2) == 0 ? hostile.Query() : "";
        var head = new StringBuilder($"{method} {path}{(query.Length > 0 ? "?" + query : "")} HTTP/1.1\r\nHost: fuzz\r\nConnection: close\r\n");
        head.Append(hostile.Headers());
        var sendsBody = method is "POST" or "PUT" or "PATCH" || random.Next(6) == 0;
        var body = sendsBody ? hostile.Body() : [];
        var halfClose = false;
        switch (sendsBody ? random.Next(10) : -1)
        {
            case 0:
                head.Append("Transfer-Encoding: chunked\r\n");
                body = [.. Encoding.ASCII.GetBytes($"{body.Length:x}\r\n"), .. body, .. "\r\n0\r\n\r\n"u8];
                break;
            case 1:
                head.Append("Transfer-Encoding: chunked\r\n");
                body = [.. "zz\r\n"u8, .. body];
                halfClose = true;
                break;
            case 2:
                head.Append(CultureInfo.InvariantCulture, $"Content-Length: {body.Length + 100}\r\n");
                halfClose = true;
                break;
            case 3:
                head.Append(CultureInfo.InvariantCulture, $"Content-Length: {body.Length}\r\nTransfer-Encoding: chunked\r\n");
                halfClose = true;
                break;
            case 4:
                head.Append("Content-Length: -1\r\n");
                halfClose = true;
                break;
            case -1:
                break;
            default:
                head.Append(CultureInfo.InvariantCulture, $"Content-Length: {body.Length}\r\n");
                break;
        }

        head.Append("\r\n");
        return new HttpRequestInput(route.RoutePattern.RawText ?? route.DisplayName ?? "?", [.. Encoding.Latin1.GetBytes(head.ToString()), .. body], halfClose);
    }

    private async Task SendHttpAsync(HttpRequestInput input)
    {
        RawAnswer answer;
        try
        {
            answer = await RawHttp.SendAsync(Node.Node.Address, input.Bytes, input.HalfClose, AnswerTimeout);
        }
        catch (TimeoutException e)
        {
            _failures.Add($"HTTP {input.Route}: {e.Message}\n  request: {Shown(input.Bytes)}");
            return;
        }

        _answers.AddOrUpdate($"http {answer.Status}", 1, (_, n) => n + 1);
        if (answer.Status >= 500 || answer.Status == 0 && !input.HalfClose)
        {
            _failures.Add($"HTTP {input.Route}: {(answer.Status == 0 ? "closed without an answer" : answer.Text[..Math.Min(600, answer.Text.Length)])}\n  request: {Shown(input.Bytes)}");
        }
        else if (answer.Status is >= 200 and < 300)
        {
            _accepted.Add(Encoding.Latin1.GetString(input.Bytes));
        }
    }

    // ------------------------------------------------------------------ gRPC

    private sealed record GrpcCallInput(string Method, bool Streaming, byte[] Body, string ContentType);

    /// <summary>Every service of the protos by full name, for the input type of a method the endpoints name.</summary>
    private static readonly Dictionary<string, ServiceDescriptor> Services =
        new[] { ClusterReflection.Descriptor, KvReflection.Descriptor, SessionReflection.Descriptor, StatemachineReflection.Descriptor, TimeseriesReflection.Descriptor }
            .SelectMany(file => file.Services).ToDictionary(s => s.FullName, StringComparer.Ordinal);

    /// <summary>One call: a random message of the method's input type (or random bytes) in a frame that may be broken.</summary>
    private static GrpcCallInput GrpcInput(Random random, IReadOnlyList<global::Grpc.Core.IMethod> methods)
    {
        var method = methods[random.Next(methods.Count)];
        var hostile = new HostileInputs(random, MaxBodyBytes);
        var input = Services.TryGetValue(method.ServiceName, out var service) ? service.FindMethodByName(method.Name)?.InputType : null;
        var message = input is not null && random.Next(5) != 0 ? RandomMessage(random, hostile, input, 0) : hostile.Bytes(random.Next(0, 200));
        byte[] body = random.Next(12) switch
        {
            0 => Frame(message, compressed: false, declared: message.Length + 10),
            1 => Frame(hostile.Bytes(3), compressed: false, declared: MaxBodyBytes + 1),
            2 => Frame(message, compressed: true, declared: message.Length),
            3 => [.. Frame(message, compressed: false, declared: message.Length), 0, 0],
            4 => [.. Frame(message, compressed: false, declared: message.Length), .. Frame(message, compressed: false, declared: message.Length)],
            5 => [],
            6 => Frame(hostile.Bytes(MaxBodyBytes + 10), compressed: false, declared: MaxBodyBytes + 10),
            _ => Frame(message, compressed: false, declared: message.Length),
        };
        var contentType = random.Next(20) == 0 ? "application/grpc+json" : "application/grpc";
        var streaming = method.Type != global::Grpc.Core.MethodType.Unary;
        return new GrpcCallInput(method.FullName, streaming, body, contentType);
    }

    /// <summary>The length-prefixed message of gRPC over HTTP/2: a compressed flag, a big-endian length, the bytes.</summary>
    private static byte[] Frame(byte[] message, bool compressed, int declared)
    {
        var frame = new byte[5 + message.Length];
        frame[0] = compressed ? (byte)1 : (byte)0;
        System.Buffers.Binary.BinaryPrimitives.WriteInt32BigEndian(frame.AsSpan(1), declared);
        message.CopyTo(frame, 5);
        return frame;
    }

    /// <summary>
    /// A message written field by field from its descriptor with hostile values (invalid UTF-8 in strings, extreme
    /// numbers, unknown enum values), sometimes with a field of the wrong wire type or an unknown field number.
    /// </summary>
    private static byte[] RandomMessage(Random random, HostileInputs hostile, MessageDescriptor descriptor, int depth)
    {
        using var stream = new MemoryStream();
        var output = new CodedOutputStream(stream);
        foreach (var field in descriptor.Fields.InFieldNumberOrder())
        {
            if (random.Next(3) == 0) continue;
            var repeats = field.IsRepeated || field.IsMap ? random.Next(0, 4) : 1;
            for (var i = 0; i < repeats; i++)
            {
                if (random.Next(15) == 0)
                {
                    output.WriteTag(field.FieldNumber, WireFormat.WireType.Varint);
                    output.WriteUInt64((ulong)random.NextInt64());
                    continue;
                }

                switch (field.FieldType)
                {
                    case FieldType.String:
                    case FieldType.Bytes:
                        output.WriteTag(field.FieldNumber, WireFormat.WireType.LengthDelimited);
                        output.WriteBytes(ByteString.CopyFrom(random.Next(3) == 0 ? hostile.Bytes(random.Next(0, 64)) : Encoding.UTF8.GetBytes(Uri.UnescapeDataString(hostile.PathValue()))));
                        break;
                    case FieldType.Message:
                    case FieldType.Group:
                        output.WriteTag(field.FieldNumber, WireFormat.WireType.LengthDelimited);
                        output.WriteBytes(ByteString.CopyFrom(depth < 3 ? RandomMessage(random, hostile, field.MessageType, depth + 1) : hostile.Bytes(random.Next(0, 16))));
                        break;
                    case FieldType.Double:
                    case FieldType.Fixed64:
                    case FieldType.SFixed64:
                        output.WriteTag(field.FieldNumber, WireFormat.WireType.Fixed64);
                        output.WriteFixed64(Extreme(random));
                        break;
                    case FieldType.Float:
                    case FieldType.Fixed32:
                    case FieldType.SFixed32:
                        output.WriteTag(field.FieldNumber, WireFormat.WireType.Fixed32);
                        output.WriteFixed32((uint)Extreme(random));
                        break;
                    default:
                        output.WriteTag(field.FieldNumber, WireFormat.WireType.Varint);
                        output.WriteUInt64(Extreme(random));
                        break;
                }
            }
        }

        if (random.Next(10) == 0)
        {
            output.WriteTag(999, WireFormat.WireType.LengthDelimited);
            output.WriteBytes(ByteString.CopyFrom(hostile.Bytes(8)));
        }

        output.Flush();
        return stream.ToArray();
    }

    private static ulong Extreme(Random random) => random.Next(8) switch
    {
        0 => 0,
        1 => ulong.MaxValue,
        2 => long.MaxValue,
        3 => 1UL << 63,
        4 => uint.MaxValue,
        5 => BitConverter.DoubleToUInt64Bits(double.NaN),
        _ => (ulong)random.Next(0, 100),
    };

    private async Task SendGrpcAsync(HttpClient h2c, GrpcCallInput input)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, $"http://{Node.Grpc.Address}{input.Method}")
        {
            Version = HttpVersion.Version20,
            VersionPolicy = HttpVersionPolicy.RequestVersionExact,
            Content = new ByteArrayContent(input.Body),
        };
        request.Content.Headers.TryAddWithoutValidation("Content-Type", input.ContentType);
        request.Headers.TryAddWithoutValidation("te", "trailers");
        // A stream that is well formed may go on (a watch waiting for a change): past a few seconds it is fine.
        using var cancel = new CancellationTokenSource(input.Streaming ? TimeSpan.FromSeconds(3) : AnswerTimeout);
        try
        {
            using var response = await h2c.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, cancel.Token);
            await response.Content.CopyToAsync(Stream.Null, cancel.Token);
            var status = Header(response, "grpc-status");
            var message = Uri.UnescapeDataString(Header(response, "grpc-message") ?? "");
            _answers.AddOrUpdate($"grpc {(int)response.StatusCode}/{status ?? "-"}", 1, (_, n) => n + 1);
            if ((int)response.StatusCode >= 500 || status is "2" or "13" || response.StatusCode == HttpStatusCode.OK && status is null)
            {
                _failures.Add($"gRPC {input.Method}: HTTP {(int)response.StatusCode}, grpc-status {status ?? "none"}: {message}\n  body: {Convert.ToHexString(input.Body.AsSpan(0, Math.Min(64, input.Body.Length)))}");
            }
            else if (status == "0")
            {
                _accepted.Add(Encoding.Latin1.GetString(input.Body));
            }
        }
        catch (OperationCanceledException) when (input.Streaming)
        {
            _answers.AddOrUpdate("grpc stream still open", 1, (_, n) => n + 1);
            // A stream that may still be streaming; it could have written (a session open with a keep-alive): count it.
            _accepted.Add(Encoding.Latin1.GetString(input.Body));
        }
        catch (Exception e) when (e is OperationCanceledException or HttpRequestException)
        {
            _failures.Add($"gRPC {input.Method}: {e.GetType().Name}: {e.Message}\n  body: {Convert.ToHexString(input.Body.AsSpan(0, Math.Min(64, input.Body.Length)))}");
        }
    }

    private static string? Header(HttpResponseMessage response, string name) =>
        response.TrailingHeaders.TryGetValues(name, out var trailer) ? trailer.First()
        : response.Headers.TryGetValues(name, out var header) ? header.First()
        : null;

    // ------------------------------------------------------------------ afterwards

    private async Task AssertStillAnswersAsync()
    {
        using var client = new HttpClient { Timeout = AnswerTimeout };
        using var status = await client.GetAsync($"http://{Node.Node.Address}/status");
        Assert.Equal(HttpStatusCode.OK, status.StatusCode);
        var key = $"after-fuzz-{Guid.NewGuid():N}";
        using var put = await client.PostAsync($"http://{Node.Node.Address}/key", new StringContent($"{{\"{key}\":\"v\"}}", Encoding.UTF8, "application/json"));
        Assert.Equal(HttpStatusCode.OK, put.StatusCode);
        _accepted.Add(key);
    }

    /// <summary>Every key stored now appears in a request that was answered 2xx / OK (raw bytes, or percent-decoded).</summary>
    private async Task AssertOnlyAcceptedKeysAreStoredAsync(string after)
    {
        using var client = new HttpClient { Timeout = AnswerTimeout };
        using var listing = JsonDocument.Parse(await client.GetStringAsync($"http://{Node.Node.Address}/keys?prefix="));
        Assert.False(listing.RootElement.GetProperty("truncated").GetBoolean(), "the listing is truncated: raise its limit");
        var accepted = _accepted.ToList();
        var decoded = accepted.Select(Decode).ToList();
        var keys = listing.RootElement.GetProperty("pairs").EnumerateArray().Select(p => p.GetProperty("key").GetString()!).ToList();
        output.WriteLine($"after the {after} inputs: {keys.Count} keys stored, {accepted.Count} requests accepted so far");
        foreach (var key in keys)
        {
            var raw = Encoding.Latin1.GetString(Encoding.UTF8.GetBytes(key));
            var escaped = JsonSerializer.Serialize(key)[1..^1];
            Assert.True(accepted.Any(a => a.Contains(raw, StringComparison.Ordinal) || a.Contains(escaped, StringComparison.Ordinal)) || decoded.Any(d => d.Contains(key, StringComparison.Ordinal)),
                $"seed {Seed}: key '{key}' is stored, but no request answered 2xx / OK carried it");
        }
    }

    private static string Decode(string request)
    {
        try
        {
            return Uri.UnescapeDataString(Encoding.UTF8.GetString(Encoding.Latin1.GetBytes(request)));
        }
        catch (UriFormatException)
        {
            return request;
        }
    }

    private static string Shown(byte[] request)
    {
        var text = Encoding.Latin1.GetString(request.AsSpan(0, Math.Min(400, request.Length)));
        return text.Replace("\r\n", "\\r\\n", StringComparison.Ordinal);
    }
}
