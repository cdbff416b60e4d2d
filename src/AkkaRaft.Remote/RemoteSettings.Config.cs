using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using AkkaRaft.Configuration;

namespace AkkaRaft.Remote;

public sealed partial record RemoteSettings
{
    /// <summary>Where the section lives.</summary>
    public const string SectionPath = "akkaraft.remote";

    /// <summary>
    /// Reads and validates <c>akkaraft.remote</c> from the full configuration (reference.conf holds every default).
    /// With <c>tls.enabled = on</c> the certificate and the trusted certificates are loaded from their files here.
    /// </summary>
    /// <exception cref="ConfigException">A setting is missing, of the wrong type, out of range, or a TLS file cannot be read.</exception>
    public static RemoteSettings FromConfig(Config config)
    {
        ArgumentNullException.ThrowIfNull(config);
        const string s = SectionPath + ".";
        var positive = TimeSpan.FromMilliseconds(1);
        var settings = new RemoteSettings
        {
            Hostname = config.GetNonEmptyString(s + "hostname"),
            Port = config.GetIntInRange(s + "port", 0, 65535),
            MaximumFrameSizeBytes = config.GetByteSizeInt32(s + "maximum-frame-size-bytes", 1024, 256 * 1024 * 1024),
            SendQueueCapacityMessages = config.GetIntInRange(s + "send-queue-capacity-messages", 1),
            SendBatchFramesMax = config.GetIntInRange(s + "send-batch-frames-max", 1),
            HandshakeTimeout = config.GetTimeSpanInRange(s + "handshake-timeout", positive),
            ConnectTimeout = config.GetTimeSpanInRange(s + "connect-timeout", positive),
            ReconnectBackoffMin = config.GetTimeSpanInRange(s + "reconnect-backoff-min", positive),
            ReconnectBackoffMax = config.GetTimeSpanInRange(s + "reconnect-backoff-max", positive),
            InboundConnectionsMax = config.GetIntInRange(s + "inbound-connections-max", 1),
            ClusterSecret = config.GetString(s + "cluster-secret"),
            HeartbeatInterval = config.GetTimeSpanInRange(s + "heartbeat-interval", positive),
            UnreachableAfter = config.GetTimeSpanInRange(s + "unreachable-after", positive),
            BulkFileSizeBytesMax = config.GetByteSizeInRange(s + "bulk.file-size-bytes-max", 1),
            BulkBufferBytes = config.GetByteSizeInt32(s + "bulk.buffer-bytes", 4096, 64 * 1024 * 1024),
            BulkIdleTimeout = config.GetTimeSpanInRange(s + "bulk.idle-timeout", positive),
            Tls = config.GetBoolean(s + "tls.enabled") ? LoadTls(config, s + "tls.") : null,
        };
        try
        {
            // The rules that relate two settings (backoff max >= min, unreachable-after > heartbeat-interval).
            return settings.Validate();
        }
        catch (ArgumentException e)
        {
            throw new ConfigException(e.Message, config.GetOrigin(SectionPath), e);
        }
    }

    private static RemoteTlsSettings LoadTls(Config config, string prefix)
    {
        var certificatePath = config.GetString(prefix + "certificate-path");
        var password = config.GetString(prefix + "certificate-password");
        var trustedPath = config.GetString(prefix + "trusted-certificates-path");
        try
        {
            var certificate = X509CertificateLoader.LoadPkcs12FromFile(certificatePath, password.Length == 0 ? null : password);
            var trusted = new X509Certificate2Collection();
            trusted.ImportFromPemFile(trustedPath);
            return new RemoteTlsSettings(certificate, trusted);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or CryptographicException or ArgumentException)
        {
            throw new ConfigException(
                $"{prefix}: cannot load TLS certificate '{certificatePath}' or trusted certificates '{trustedPath}': {e.Message}",
                config.GetOrigin(prefix + "certificate-path"), e);
        }
    }
}
