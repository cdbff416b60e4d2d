using System.IO.Pipelines;
using System.Net.Sockets;

namespace AkkaRaft.Remote.Transport;

/// <summary>
/// One TCP connection (optionally under TLS) with its pipes. Closed exactly once, with one reason
/// that is logged and counted; every later failure on the same connection is a no-op.
/// </summary>
internal sealed class Connection
{
    private readonly RemoteMetrics _metrics;
    private readonly IRemoteLog _log;
    private readonly CancellationTokenSource _closed = new();
    private int _isClosed;

    internal Connection(Socket socket, bool dialledByLocal, RemoteMetrics metrics, IRemoteLog log)
    {
        Socket = socket;
        DialledByLocal = dialledByLocal;
        _metrics = metrics;
        _log = log;
        Stream = new NetworkStream(socket, ownsSocket: true);
        Describe = SafeEndpoint(socket);
    }

    internal Socket Socket { get; }

    /// <summary>The byte stream: the socket's NetworkStream, or an SslStream over it once TLS is up.</summary>
    internal Stream Stream { get; private set; }

    internal PipeReader Reader { get; private set; } = null!;
    internal PipeWriter Writer { get; private set; } = null!;

    internal bool DialledByLocal { get; }

    /// <summary>The peer's system address, known after the handshake.</summary>
    internal RemoteAddress? Peer { get; set; }

    internal string Describe { get; }

    internal bool IsClosed => Volatile.Read(ref _isClosed) == 1;

    /// <summary>Cancelled when the connection closes.</summary>
    internal CancellationToken ClosedToken => _closed.Token;

    internal bool IsTls { get; private set; }

    /// <summary>Replaces the stream (after TLS) and creates the pipes; call once before any framing.</summary>
    internal void UseStream(Stream stream, bool tls)
    {
        Stream = stream;
        IsTls = tls;
        Reader = PipeReader.Create(stream, new StreamPipeReaderOptions(leaveOpen: true));
        Writer = PipeWriter.Create(stream, new StreamPipeWriterOptions(leaveOpen: true));
    }

    /// <summary>Closes the connection once: logs one line with the reason, bumps its counter, releases the socket.</summary>
    internal void Close(CloseReason reason, string detail)
    {
        if (Interlocked.Exchange(ref _isClosed, 1) == 1) return;
        _metrics.OnClosed(reason);
        var level = reason is CloseReason.PeerClosed or CloseReason.Shutdown or CloseReason.Replaced or CloseReason.Duplicate
            ? RemoteLogLevel.Info
            : RemoteLogLevel.Warning;
        _log.Log(level, $"connection {Describe}{(Peer is null ? "" : " (" + Peer + ")")} closed: {reason}: {detail}");
        try
        {
            _closed.Cancel();
        }
        catch (AggregateException)
        {
            // A registration callback failed; the connection is closing regardless.
        }
        try
        {
            Socket.Shutdown(SocketShutdown.Both);
        }
        catch (Exception e) when (e is SocketException or ObjectDisposedException)
        {
            // Already reset by the peer.
        }
        Stream.Dispose();
        Socket.Dispose();
    }

    private static string SafeEndpoint(Socket socket)
    {
        try
        {
            return $"{socket.LocalEndPoint}<->{socket.RemoteEndPoint}";
        }
        catch (Exception e) when (e is SocketException or ObjectDisposedException)
        {
            return "(unconnected)";
        }
    }
}
