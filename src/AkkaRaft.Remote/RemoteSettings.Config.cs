using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using AkkaRaft.Hocon;

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
        var settings = new RemoteSettings
        {
            Hostname = config.GetString(s + "hostname"),
            Port = config.GetInt(s + "port"),
            MaximumFrameSizeBytes = IntBytes(config, s + "maximum-frame-size-bytes"),
            SendQueueCapacityMessages = config.GetInt(s + "send-queue-capacity-messages"),
            SendBatchFramesMax = config.GetInt(s + "send-batch-frames-max"),
            HandshakeTimeout = config.GetTimeSpan(s + "handshake-timeout"),
            ConnectTimeout = config.GetTimeSpan(s + "connect-timeout"),
            ReconnectBackoffMin = config.GetTimeSpan(s + "reconnect-backoff-min"),
            ReconnectBackoffMax = config.GetTimeSpan(s + "reconnect-backoff-max"),
            InboundConnectionsMax = config.GetInt(s + "inbound-connections-max"),
            ClusterSecret = config.GetString(s + "cluster-secret"),
            HeartbeatInterval = config.GetTimeSpan(s + "heartbeat-interval"),
            UnreachableAfter = config.GetTimeSpan(s + "unreachable-after"),
            BulkFileSizeBytesMax = config.GetByteSize(s + "bulk.file-size-bytes-max"),
            BulkBufferBytes = IntBytes(config, s + "bulk.buffer-bytes"),
            BulkIdleTimeout = config.GetTimeSpan(s + "bulk.idle-timeout"),
            Tls = config.GetBoolean(s + "tls.enabled") ? LoadTls(config, s + "tls.") : null,
        };
        try
        {
            return settings.Validate();
        }
        catch (ArgumentException e)
        {
            throw new ConfigException(e.Message, null, e);
        }
    }

    private static int IntBytes(Config config, string path)
    {
        var value = config.GetByteSize(path);
        return value is >= 0 and <= int.MaxValue
            ? (int)value
            : throw new ConfigException($"{path}: expected at most {int.MaxValue} bytes, got {value} ({config.GetOrigin(path)})", config.GetOrigin(path));
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
