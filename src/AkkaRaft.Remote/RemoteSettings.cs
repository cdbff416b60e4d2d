using System.Security.Cryptography.X509Certificates;

namespace AkkaRaft.Remote;

/// <summary>
/// Settings of one remoting endpoint, read once from the <c>akkaraft.remote</c> section of HOCON
/// (see <c>hocon/reference.conf</c>) and validated by <see cref="Validate"/>. Defaults match reference.conf.
/// </summary>
public sealed partial record RemoteSettings
{
    /// <summary>Host (name or IP literal) to bind to and to advertise in this system's address. Default loopback only.</summary>
    public string Hostname { get; init; } = "127.0.0.1";

    /// <summary>TCP port to bind to; 0 lets the operating system choose one (read it from the transport's address).</summary>
    public int Port { get; init; }

    /// <summary>Largest frame (protobuf envelope) accepted or sent, in bytes, excluding the 4-byte length prefix.</summary>
    public int MaximumFrameSizeBytes { get; init; } = 4 * 1024 * 1024;

    /// <summary>Messages that may wait for one remote system; more go to dead letters.</summary>
    public int SendQueueCapacityMessages { get; init; } = 16_384;

    /// <summary>Frames written to the socket before one flush, bounding per-flush latency.</summary>
    public int SendBatchFramesMax { get; init; } = 256;

    /// <summary>How long a new connection may take to complete TLS and the secret handshake (a silent client is dropped then).</summary>
    public TimeSpan HandshakeTimeout { get; init; } = TimeSpan.FromSeconds(5);

    /// <summary>How long a TCP connect to a remote system may take.</summary>
    public TimeSpan ConnectTimeout { get; init; } = TimeSpan.FromSeconds(5);

    /// <summary>First wait before re-dialling a remote system after a failed connect; doubled after each failure.</summary>
    public TimeSpan ReconnectBackoffMin { get; init; } = TimeSpan.FromMilliseconds(100);

    /// <summary>Longest wait between re-dial attempts.</summary>
    public TimeSpan ReconnectBackoffMax { get; init; } = TimeSpan.FromSeconds(5);

    /// <summary>Inbound connections (messages and bulk) open at once; more are closed on accept.</summary>
    public int InboundConnectionsMax { get; init; } = 256;

    /// <summary>
    /// The cluster secret. Both ends prove knowledge of it with HMAC-SHA256 over fresh nonces before any message is read.
    /// Systems with different secrets refuse each other. Empty means "the empty secret" (only for loopback experiments).
    /// </summary>
    public string ClusterSecret { get; init; } = "";

    /// <summary>Interval between heartbeats to each remote system that has watched actors, used by the failure detector.</summary>
    public TimeSpan HeartbeatInterval { get; init; } = TimeSpan.FromSeconds(1);

    /// <summary>A watched remote system that has not answered a heartbeat for this long is declared terminated.</summary>
    public TimeSpan UnreachableAfter { get; init; } = TimeSpan.FromSeconds(5);

    /// <summary>Largest file the bulk channel accepts, in bytes.</summary>
    public long BulkFileSizeBytesMax { get; init; } = 64L * 1024 * 1024 * 1024;

    /// <summary>Buffer used to receive bulk bytes and to copy files through TLS, in bytes.</summary>
    public int BulkBufferBytes { get; init; } = 256 * 1024;

    /// <summary>How long the bulk channel may wait for the next bytes before giving the transfer up (it stays resumable).</summary>
    public TimeSpan BulkIdleTimeout { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>TLS with mutual certificate validation; null means plain TCP.</summary>
    public RemoteTlsSettings? Tls { get; init; }

    /// <summary>Checks every limit and returns this instance.</summary>
    /// <exception cref="ArgumentException">A setting is out of range; the message names the HOCON key.</exception>
    public RemoteSettings Validate()
    {
        Require(!string.IsNullOrWhiteSpace(Hostname), "akkaraft.remote.hostname must not be empty");
        Require(Port is >= 0 and <= 65535, "akkaraft.remote.port must be 0..65535");
        Require(MaximumFrameSizeBytes is >= 1024 and <= 256 * 1024 * 1024, "akkaraft.remote.maximum-frame-size-bytes must be 1 KiB..256 MiB");
        Require(SendQueueCapacityMessages >= 1, "akkaraft.remote.send-queue-capacity-messages must be at least 1");
        Require(SendBatchFramesMax >= 1, "akkaraft.remote.send-batch-frames-max must be at least 1");
        Require(HandshakeTimeout > TimeSpan.Zero, "akkaraft.remote.handshake-timeout must be positive");
        Require(ConnectTimeout > TimeSpan.Zero, "akkaraft.remote.connect-timeout must be positive");
        Require(ReconnectBackoffMin > TimeSpan.Zero, "akkaraft.remote.reconnect-backoff-min must be positive");
        Require(ReconnectBackoffMax >= ReconnectBackoffMin, "akkaraft.remote.reconnect-backoff-max must be at least reconnect-backoff-min");
        Require(InboundConnectionsMax >= 1, "akkaraft.remote.inbound-connections-max must be at least 1");
        Require(HeartbeatInterval > TimeSpan.Zero, "akkaraft.remote.heartbeat-interval must be positive");
        Require(UnreachableAfter > HeartbeatInterval, "akkaraft.remote.unreachable-after must be longer than heartbeat-interval");
        Require(BulkFileSizeBytesMax >= 1, "akkaraft.remote.bulk.file-size-bytes-max must be at least 1");
        Require(BulkBufferBytes is >= 4096 and <= 64 * 1024 * 1024, "akkaraft.remote.bulk.buffer-bytes must be 4 KiB..64 MiB");
        Require(BulkIdleTimeout > TimeSpan.Zero, "akkaraft.remote.bulk.idle-timeout must be positive");
        if (Tls is not null)
        {
            Require(Tls.Certificate.HasPrivateKey, "akkaraft.remote.tls.certificate-path must name a certificate with its private key");
            Require(Tls.TrustedCertificates.Count > 0, "akkaraft.remote.tls.trusted-certificates-path must name at least one certificate");
        }
        return this;
    }

    private static void Require(bool condition, string message)
    {
        if (!condition) throw new ArgumentException(message);
    }
}

/// <summary>
/// TLS for remoting: this system's certificate (with private key) and the certificates it trusts as roots.
/// Both ends present a certificate, and each end accepts the other only if it chains to one of the trusted roots
/// (host names are not checked: peers are identified by the cluster's certificate authority, not by DNS).
/// </summary>
/// <param name="Certificate">This system's certificate, with its private key.</param>
/// <param name="TrustedCertificates">Roots (or pinned self-signed peer certificates) a peer's certificate must chain to.</param>
public sealed record RemoteTlsSettings(X509Certificate2 Certificate, X509Certificate2Collection TrustedCertificates);
