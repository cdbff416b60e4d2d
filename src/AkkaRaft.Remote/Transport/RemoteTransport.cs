using System.Collections.Concurrent;
using System.Net;
using System.Net.Security;
using System.Net.Sockets;
using System.Security.Authentication;
using System.Security.Cryptography.X509Certificates;
using AkkaRaft.Remote.Wire;

namespace AkkaRaft.Remote.Transport;

/// <summary>
/// The remoting transport of one actor system, independent of actors: a TCP listener, one association
/// (bounded send queue + connection) per remote system, the cluster-secret handshake, optional mutual TLS,
/// and the bulk file channel. Bad input closes only the connection it arrived on.
/// </summary>
public sealed partial class RemoteTransport : IAsyncDisposable
{
    private readonly IRemoteFrameHandler _handler;
    private readonly ConcurrentDictionary<RemoteAddress, Association> _associations = new();
    private readonly ConcurrentDictionary<Connection, byte> _connections = new();
    private readonly CancellationTokenSource _shutdown = new();
    private readonly byte[] _secret;
    private Socket? _listener;
    private int _inbound;
    private RemoteAddress? _address;

    /// <summary>Creates a transport; call <see cref="Start"/> to bind.</summary>
    /// <param name="systemName">The actor system's name, the <c>sys</c> of <c>akkaraft.tcp://sys@host:port</c>.</param>
    /// <param name="settings">Validated settings.</param>
    /// <param name="handler">Receives inbound frames and link events.</param>
    /// <param name="log">Log sink; standard error when null.</param>
    /// <param name="bulkDirectory">Where files received over the bulk channel land; null refuses bulk transfers.</param>
    public RemoteTransport(string systemName, RemoteSettings settings, IRemoteFrameHandler handler, IRemoteLog? log = null,
        string? bulkDirectory = null)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(systemName);
        SystemName = systemName;
        Settings = settings.Validate();
        _handler = handler;
        Log = log ?? ConsoleRemoteLog.Instance;
        _secret = Handshake.SecretKey(settings.ClusterSecret);
        BulkDirectory = bulkDirectory;
        Metrics = new RemoteMetrics($"{systemName}@{settings.Hostname}");
    }

    /// <summary>The local actor system's name.</summary>
    public string SystemName { get; }

    /// <summary>The validated settings.</summary>
    public RemoteSettings Settings { get; }

    /// <summary>Counters: closed connections by reason, dead letters, frames.</summary>
    public RemoteMetrics Metrics { get; }

    /// <summary>The log sink.</summary>
    public IRemoteLog Log { get; }

    /// <summary>This system's address, with the port actually bound. Valid after <see cref="Start"/>.</summary>
    /// <exception cref="InvalidOperationException">Not started.</exception>
    public RemoteAddress Address => _address ?? throw new InvalidOperationException("the remote transport is not started");

    internal CancellationToken ShutdownToken => _shutdown.Token;

    /// <summary>Binds and listens on <c>hostname:port</c> and starts accepting connections.</summary>
    /// <exception cref="SocketException">The address cannot be bound.</exception>
    public void Start()
    {
        if (_listener is not null) throw new InvalidOperationException("the remote transport is already started");
        var ip = ResolveBindAddress(Settings.Hostname);
        var listener = new Socket(ip.AddressFamily, SocketType.Stream, ProtocolType.Tcp);
        listener.Bind(new IPEndPoint(ip, Settings.Port));
        listener.Listen(Settings.InboundConnectionsMax);
        _listener = listener;
        _address = new RemoteAddress(SystemName, Settings.Hostname, ((IPEndPoint)listener.LocalEndPoint!).Port);
        _ = Task.Run(AcceptLoopAsync);
    }

    /// <summary>
    /// Queues <paramref name="frame"/> for <paramref name="to"/>, dialling on demand. Never blocks. Returns false and
    /// dead-letters the frame when that system's send queue is full or the transport is shut down.
    /// </summary>
    public bool TrySend(RemoteAddress to, Frame frame)
    {
        if (_shutdown.IsCancellationRequested)
        {
            DeadLetter(to, frame, "remoting shut down");
            return false;
        }
        var association = _associations.GetOrAdd(to, static (address, self) => new Association(self, address), this);
        if (association.TryEnqueue(frame)) return true;
        DeadLetter(to, frame, $"send queue to {to} is full (send-queue-capacity-messages = {Settings.SendQueueCapacityMessages})");
        return false;
    }

    /// <summary>Dead-letters every frame still queued for <paramref name="to"/> (used when its system is declared terminated).</summary>
    public void DropQueued(RemoteAddress to)
    {
        if (!_associations.TryGetValue(to, out var association)) return;
        foreach (var frame in association.DrainQueued()) DeadLetter(to, frame, $"{to} was declared terminated");
    }

    /// <summary>Whether a message connection to <paramref name="remote"/> is currently up.</summary>
    public bool IsAssociated(RemoteAddress remote) =>
        _associations.TryGetValue(remote, out var a) && a.Current is { IsClosed: false };

    internal void DeadLetter(RemoteAddress to, Frame frame, string reason)
    {
        Metrics.OnDeadLetter();
        _handler.OnDeadLetter(to, frame, reason);
    }

    private async Task AcceptLoopAsync()
    {
        var listener = _listener!;
        while (!_shutdown.IsCancellationRequested)
        {
            Socket socket;
            try
            {
                socket = await listener.AcceptAsync(_shutdown.Token).ConfigureAwait(false);
            }
            catch (Exception e) when (e is OperationCanceledException or ObjectDisposedException or SocketException)
            {
                if (_shutdown.IsCancellationRequested) return;
                Log.Log(RemoteLogLevel.Warning, $"accept failed: {e.Message}");
                // Out of descriptors and the like: pause instead of spinning on the same error.
                await Task.Delay(Settings.ReconnectBackoffMin).ConfigureAwait(false);
                continue;
            }
            Metrics.OnAccepted();
            socket.NoDelay = true;
            var connection = new Connection(socket, dialledByLocal: false, Metrics, Log);
            if (Interlocked.Increment(ref _inbound) > Settings.InboundConnectionsMax)
            {
                Interlocked.Decrement(ref _inbound);
                connection.Close(CloseReason.TooManyConnections, $"inbound-connections-max = {Settings.InboundConnectionsMax} reached");
                continue;
            }
            _ = Task.Run(() => HandleInboundAsync(connection));
        }
    }

    private async Task HandleInboundAsync(Connection connection)
    {
        _connections.TryAdd(connection, 0);
        try
        {
            Handshake.Accepted accepted;
            using (var timeout = CancellationTokenSource.CreateLinkedTokenSource(_shutdown.Token, connection.ClosedToken))
            {
                timeout.CancelAfter(Settings.HandshakeTimeout);
                try
                {
                    await SecureServerAsync(connection, timeout.Token).ConfigureAwait(false);
                    accepted = await Handshake.RunServerAsync(connection.Reader, connection.Writer, _secret, Address,
                        Settings.MaximumFrameSizeBytes, timeout.Token).ConfigureAwait(false);
                    connection.Peer = accepted.Peer;
                    if (accepted.Purpose == ConnectionPurpose.Bulk)
                    {
                        await SendHandshakeResultAsync(connection, BulkDirectory is not null,
                            BulkDirectory is null ? "this system accepts no bulk transfers" : "", timeout.Token).ConfigureAwait(false);
                        if (BulkDirectory is null)
                        {
                            connection.Close(CloseReason.BulkRejected, "bulk transfer refused: no bulk directory configured");
                            return;
                        }
                    }
                    else if (!await AdoptAsync(connection, accepted.Peer, timeout.Token).ConfigureAwait(false))
                    {
                        return;
                    }
                }
                catch (OperationCanceledException) when (timeout.IsCancellationRequested && !_shutdown.IsCancellationRequested && !connection.IsClosed)
                {
                    connection.Close(CloseReason.HandshakeTimeout, $"handshake not completed within handshake-timeout = {Settings.HandshakeTimeout}");
                    return;
                }
            }

            if (accepted.Purpose == ConnectionPurpose.Bulk)
            {
                await ReceiveBulkAsync(connection, accepted.Peer).ConfigureAwait(false);
                connection.Close(CloseReason.PeerClosed, "bulk transfer complete");
                return;
            }
            var association = _associations.GetOrAdd(accepted.Peer, static (address, self) => new Association(self, address), this);
            _handler.OnAssociated(accepted.Peer);
            await ReadLoopAsync(connection, association).ConfigureAwait(false);
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            CloseFor(connection, e);
        }
        finally
        {
            Interlocked.Decrement(ref _inbound);
            _connections.TryRemove(connection, out _);
        }
    }

    /// <summary>Keeps or refuses an authenticated inbound message connection (one connection per pair of systems).</summary>
    private async Task<bool> AdoptAsync(Connection connection, RemoteAddress peer, CancellationToken ct)
    {
        var association = _associations.GetOrAdd(peer, static (address, self) => new Association(self, address), this);
        if (!association.BeginAdopt())
        {
            await SendHandshakeResultAsync(connection, false, "duplicate: the lower address's own connection is kept", ct).ConfigureAwait(false);
            connection.Close(CloseReason.Duplicate, $"{Address} is dialling {peer} itself and has the lower address");
            return false;
        }
        try
        {
            await SendHandshakeResultAsync(connection, true, "", ct).ConfigureAwait(false);
        }
        catch
        {
            association.EndAdopt(null);
            throw;
        }
        association.EndAdopt(connection);
        return true;
    }

    private static async Task SendHandshakeResultAsync(Connection connection, bool accepted, string reason, CancellationToken ct) =>
        await FrameCodec.WriteOneAsync(connection.Writer,
            new Frame { HandshakeResult = new HandshakeResult { Accepted = accepted, Reason = reason } }, ct).ConfigureAwait(false);

    /// <summary>Dials <paramref name="remote"/>, runs TLS and the handshake, and returns the authenticated connection.</summary>
    internal async Task<Connection> DialAsync(RemoteAddress remote, ConnectionPurpose purpose, CancellationToken ct)
    {
        var endpoint = await ResolveAsync(remote.Host, remote.Port, ct).ConfigureAwait(false);
        var socket = new Socket(endpoint.AddressFamily, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        var connection = (Connection?)null;
        try
        {
            using (var connectTimeout = CancellationTokenSource.CreateLinkedTokenSource(ct))
            {
                connectTimeout.CancelAfter(Settings.ConnectTimeout);
                await socket.ConnectAsync(endpoint, connectTimeout.Token).ConfigureAwait(false);
            }
            connection = new Connection(socket, dialledByLocal: true, Metrics, Log) { Peer = remote };
            _connections.TryAdd(connection, 0);
            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(ct, connection.ClosedToken);
            timeout.CancelAfter(Settings.HandshakeTimeout);
            try
            {
                await SecureClientAsync(connection, remote, timeout.Token).ConfigureAwait(false);
                await Handshake.RunClientAsync(connection.Reader, connection.Writer, _secret, Address, remote, purpose,
                    Settings.MaximumFrameSizeBytes, timeout.Token).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (timeout.IsCancellationRequested && !ct.IsCancellationRequested)
            {
                throw new RemoteProtocolException(CloseReason.HandshakeTimeout,
                    $"{remote} did not complete the handshake within handshake-timeout = {Settings.HandshakeTimeout}");
            }
            Metrics.OnDialled();
            return connection;
        }
        catch (Exception e)
        {
            if (connection is null)
            {
                socket.Dispose();
            }
            else
            {
                CloseFor(connection, e);
                _connections.TryRemove(connection, out _);
            }
            throw;
        }
    }

    internal void StartReading(Connection connection, Association association)
    {
        _handler.OnAssociated(association.Remote);
        _ = Task.Run(async () =>
        {
            try
            {
                await ReadLoopAsync(connection, association).ConfigureAwait(false);
            }
            catch (Exception e) when (e is not OutOfMemoryException)
            {
                CloseFor(connection, e);
            }
            finally
            {
                _connections.TryRemove(connection, out _);
            }
        });
    }

    /// <summary>Reads frames until the connection ends; every frame of one connection is handled in order.</summary>
    private async Task ReadLoopAsync(Connection connection, Association association)
    {
        var reader = connection.Reader;
        var from = association.Remote;
        var maxFrame = Settings.MaximumFrameSizeBytes;
        try
        {
            while (true)
            {
                var result = await reader.ReadAsync(connection.ClosedToken).ConfigureAwait(false);
                var buffer = result.Buffer;
                while (FrameCodec.TryRead(ref buffer, maxFrame, out var frame))
                {
                    Metrics.OnFrameReceived();
                    Dispatch(from, frame);
                }
                if (result.IsCompleted)
                {
                    if (buffer.Length == 0) connection.Close(CloseReason.PeerClosed, "peer closed the connection");
                    else connection.Close(CloseReason.TruncatedFrame, $"stream ended inside a frame ({buffer.Length} bytes buffered)");
                    return;
                }
                reader.AdvanceTo(buffer.Start, buffer.End);
            }
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            CloseFor(connection, e);
        }
        finally
        {
            if (association.OnClosed(connection)) _handler.OnDisassociated(from);
        }
    }

    private void Dispatch(RemoteAddress from, Frame frame)
    {
        switch (frame.BodyCase)
        {
            case Frame.BodyOneofCase.Heartbeat:
                TrySend(from, new Frame { HeartbeatAck = new HeartbeatAck { Sequence = frame.Heartbeat.Sequence } });
                return;
            case Frame.BodyOneofCase.Envelope:
            case Frame.BodyOneofCase.HeartbeatAck:
            case Frame.BodyOneofCase.Watch:
            case Frame.BodyOneofCase.Unwatch:
            case Frame.BodyOneofCase.DeathWatchNotification:
                try
                {
                    _handler.OnFrame(from, frame);
                }
                catch (RemoteProtocolException)
                {
                    throw;
                }
                catch (Exception e) when (e is not OutOfMemoryException)
                {
                    throw new RemoteProtocolException(CloseReason.ProtocolViolation,
                        $"handling a {frame.BodyCase} from {from} failed: {e.GetType().Name}: {e.Message}", e);
                }
                return;
            default:
                throw new RemoteProtocolException(CloseReason.ProtocolViolation, $"{frame.BodyCase} is not allowed on a message connection");
        }
    }

    /// <summary>Closes <paramref name="connection"/> with the reason that <paramref name="error"/> implies.</summary>
    private void CloseFor(Connection connection, Exception error)
    {
        var (reason, detail) = error switch
        {
            RemoteProtocolException p => (p.Reason, p.Message),
            AuthenticationException a => (CloseReason.TlsFailed, a.Message),
            OperationCanceledException when _shutdown.IsCancellationRequested => (CloseReason.Shutdown, "remoting shut down"),
            _ => (CloseReason.IoError, $"{error.GetType().Name}: {error.Message}"),
        };
        connection.Close(reason, detail);
    }

    private async Task SecureServerAsync(Connection connection, CancellationToken ct)
    {
        if (Settings.Tls is not { } tls)
        {
            connection.UseStream(connection.Stream, tls: false);
            return;
        }
        var ssl = new SslStream(connection.Stream, leaveInnerStreamOpen: false);
        await ssl.AuthenticateAsServerAsync(new SslServerAuthenticationOptions
        {
            ServerCertificate = tls.Certificate,
            ClientCertificateRequired = true,
            RemoteCertificateValidationCallback = (_, certificate, _, _) => IsTrusted(certificate, tls),
            CertificateRevocationCheckMode = X509RevocationMode.NoCheck,
        }, ct).ConfigureAwait(false);
        connection.UseStream(ssl, tls: true);
    }

    private async Task SecureClientAsync(Connection connection, RemoteAddress remote, CancellationToken ct)
    {
        if (Settings.Tls is not { } tls)
        {
            connection.UseStream(connection.Stream, tls: false);
            return;
        }
        var ssl = new SslStream(connection.Stream, leaveInnerStreamOpen: false);
        await ssl.AuthenticateAsClientAsync(new SslClientAuthenticationOptions
        {
            TargetHost = remote.Host,
            ClientCertificates = [tls.Certificate],
            RemoteCertificateValidationCallback = (_, certificate, _, _) => IsTrusted(certificate, tls),
            CertificateRevocationCheckMode = X509RevocationMode.NoCheck,
        }, ct).ConfigureAwait(false);
        connection.UseStream(ssl, tls: true);
    }

    /// <summary>
    /// Mutual validation: the peer must present a certificate that chains to one of the configured trusted
    /// certificates. The host name is deliberately not checked (see <see cref="RemoteTlsSettings"/>).
    /// </summary>
    private static bool IsTrusted(X509Certificate? certificate, RemoteTlsSettings tls)
    {
        if (certificate is null) return false;
        using var peer = new X509Certificate2(certificate);
        using var chain = new X509Chain();
        chain.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
        chain.ChainPolicy.CustomTrustStore.AddRange(tls.TrustedCertificates);
        chain.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
        return chain.Build(peer);
    }

    private static IPAddress ResolveBindAddress(string host)
    {
        if (IPAddress.TryParse(host, out var ip)) return ip;
        var addresses = Dns.GetHostAddresses(host);
        return addresses.Length > 0
            ? addresses[0]
            : throw new SocketException((int)SocketError.HostNotFound);
    }

    private static async Task<IPEndPoint> ResolveAsync(string host, int port, CancellationToken ct)
    {
        if (IPAddress.TryParse(host, out var ip)) return new IPEndPoint(ip, port);
        var addresses = await Dns.GetHostAddressesAsync(host, ct).ConfigureAwait(false);
        return addresses.Length > 0
            ? new IPEndPoint(addresses[0], port)
            : throw new SocketException((int)SocketError.HostNotFound);
    }

    /// <summary>Stops listening, closes every connection, and dead-letters whatever is still queued.</summary>
    public async ValueTask DisposeAsync()
    {
        if (_shutdown.IsCancellationRequested) return;
        _shutdown.Cancel();
        _listener?.Dispose();
        foreach (var association in _associations.Values) association.Complete();
        foreach (var connection in _connections.Keys) connection.Close(CloseReason.Shutdown, "remoting shut down");
        foreach (var association in _associations.Values)
        {
            association.Current?.Close(CloseReason.Shutdown, "remoting shut down");
        }
        await Task.Yield();
        Metrics.Dispose();
    }
}
