using System.Net;
using System.Net.Sockets;
using System.Text;
using Grpc.Net.Client;

namespace AkkaRaft.Server.Tests.Limits;

/// <summary>
/// Clients that connect from a chosen loopback address (127.0.0.2, 127.0.0.3, ...: all loopback on Linux), so that one
/// test process looks like several clients to the per-client request limit.
/// </summary>
internal static class LoopbackClients
{
    /// <summary>A handler whose connections leave from <paramref name="source"/>.</summary>
    public static SocketsHttpHandler HandlerFrom(string source) => new()
    {
        AllowAutoRedirect = false,
        ConnectCallback = async (context, cancellationToken) =>
        {
            var socket = new Socket(SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
            try
            {
                socket.Bind(new IPEndPoint(IPAddress.Parse(source), 0));
                await socket.ConnectAsync(context.DnsEndPoint, cancellationToken);
                return new NetworkStream(socket, ownsSocket: true);
            }
            catch
            {
                socket.Dispose();
                throw;
            }
        },
    };

    /// <summary>An HTTP client from <paramref name="source"/> to the node at <paramref name="http"/>.</summary>
    public static HttpClient HttpFrom(string source, string http) =>
        new(HandlerFrom(source)) { BaseAddress = new Uri($"http://{http}"), Timeout = TimeSpan.FromSeconds(30) };

    /// <summary>A gRPC channel from <paramref name="source"/> to the gRPC API at <paramref name="grpc"/>.</summary>
    public static GrpcChannel GrpcFrom(string source, string grpc) =>
        GrpcChannel.ForAddress($"http://{grpc}", new GrpcChannelOptions { HttpHandler = HandlerFrom(source) });

    /// <summary>A TCP connection from <paramref name="source"/> to <paramref name="target"/> (host:port).</summary>
    public static async Task<Socket> ConnectAsync(string source, string target)
    {
        var socket = new Socket(SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        socket.Bind(new IPEndPoint(IPAddress.Parse(source), 0));
        var colon = target.LastIndexOf(':');
        await socket.ConnectAsync(IPAddress.Parse(target[..colon]), int.Parse(target[(colon + 1)..], System.Globalization.CultureInfo.InvariantCulture));
        return socket;
    }

    /// <summary>
    /// An HTTP/1.1 POST whose headers promise a body that never comes: the request is in flight at the node (reading
    /// its body) until the socket is closed or the node's body-rate limit ends it.
    /// </summary>
    public static async Task<Socket> HoldHttpRequestAsync(string source, string http, string path)
    {
        var socket = await ConnectAsync(source, http);
        await socket.SendAsync(Encoding.ASCII.GetBytes($"POST {path} HTTP/1.1\r\nHost: {http}\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n{{"));
        return socket;
    }

    /// <summary>
    /// A gRPC call over h2c whose request message never comes: it is in flight at the node until the returned
    /// source is cancelled (the client then resets the stream).
    /// </summary>
    public static (Task<HttpResponseMessage> Call, CancellationTokenSource Release, HttpClient Client) HoldGrpcCall(string source, string grpc, string method)
    {
        var client = new HttpClient(HandlerFrom(source)) { Timeout = Timeout.InfiniteTimeSpan };
        var release = new CancellationTokenSource();
        var request = new HttpRequestMessage(HttpMethod.Post, $"http://{grpc}{method}")
        {
            Version = HttpVersion.Version20,
            VersionPolicy = HttpVersionPolicy.RequestVersionExact,
            Content = new HeadersOnlyContent(release.Token),
        };
        request.Headers.TryAddWithoutValidation("te", "trailers");
        var call = client.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, release.Token);
        return (call, release, client);
    }

    /// <summary>
    /// A gRPC request body that never sends a byte. It flushes the request stream first: the HTTP/2 client keeps a
    /// request's HEADERS frame buffered until its body is written or flushed, and the node counts the call only once
    /// the headers arrive (Grpc.Net.Client flushes the same way before its first message).
    /// </summary>
    private sealed class HeadersOnlyContent : HttpContent
    {
        private readonly CancellationToken _release;

        public HeadersOnlyContent(CancellationToken release)
        {
            _release = release;
            Headers.ContentType = new System.Net.Http.Headers.MediaTypeHeaderValue("application/grpc");
        }

        protected override async Task SerializeToStreamAsync(Stream stream, TransportContext? context)
        {
            await stream.FlushAsync(_release);
            await Task.Delay(Timeout.Infinite, _release);
        }

        protected override bool TryComputeLength(out long length)
        {
            length = 0;
            return false;
        }
    }
}
