using AkkaRaft.Configuration;

namespace AkkaRaft.Raft.Remoting;

/// <summary>
/// The <c>akkaraft.remote</c> section, read once and validated: how this node's Akka.Remote (DotNetty TCP) talks to
/// its peers. <see cref="RaftRemoting.AkkaConfig"/> turns it into Akka's <c>akka.remote</c> settings. The host and port
/// are not here: they come from <c>akkaraft.node.raft-address</c>.
/// </summary>
/// <param name="MaximumFrameSizeBytes">Largest frame sent or accepted, Akka's envelope and the 4-byte length prefix
/// included (<c>maximum-frame-size-bytes</c>, becomes <c>akka.remote.dot-netty.tcp.maximum-frame-size</c>). Bytes.</param>
/// <param name="ConnectionTimeout">Time one connection to a peer may take, TCP, TLS and Akka handshakes
/// (<c>connection-timeout</c>).</param>
/// <param name="RetryGateClosedFor">After a failed connection, messages to that peer are dropped for this long
/// (<c>retry-gate-closed-for</c>).</param>
/// <param name="TransportHeartbeatInterval">Keep-alive interval on each connection (<c>transport-heartbeat-interval</c>).</param>
/// <param name="TransportAcceptableHeartbeatPause">Silence after which a connection is closed
/// (<c>transport-acceptable-heartbeat-pause</c>).</param>
/// <param name="WatchHeartbeatInterval">Heartbeat interval to peers holding watched actors (<c>watch-heartbeat-interval</c>).</param>
/// <param name="WatchAcceptableHeartbeatPause">Silence after which a watched peer's actors are declared terminated
/// (<c>watch-acceptable-heartbeat-pause</c>).</param>
/// <param name="Tls">Encryption and mutual authentication (<c>tls { }</c>).</param>
public sealed record RemotingSettings(
    long MaximumFrameSizeBytes,
    TimeSpan ConnectionTimeout,
    TimeSpan RetryGateClosedFor,
    TimeSpan TransportHeartbeatInterval,
    TimeSpan TransportAcceptableHeartbeatPause,
    TimeSpan WatchHeartbeatInterval,
    TimeSpan WatchAcceptableHeartbeatPause,
    TlsSettings Tls)
{
    /// <summary>Where the section lives.</summary>
    public const string SectionPath = "akkaraft.remote";

    /// <summary>Smallest frame Akka.Remote accepts: its transport refuses to start below 32000 bytes.</summary>
    public const long MaximumFrameSizeBytesMin = 32000;

    /// <summary>Largest frame: DotNetty's frame decoder takes an <see cref="int"/>, and one frame is one buffer in memory.</summary>
    public const long MaximumFrameSizeBytesMax = 1L << 30;

    /// <summary>
    /// Bytes of every frame kept for what Akka.Remote wraps around a message's serialized payload: the 4-byte length
    /// prefix, the protocol and envelope protobuf fields, the serializer id, the manifest, and the recipient's and
    /// sender's actor paths, each in full with its address, in UTF-8. Measured (<c>RemotingFrameSizeTests</c>): 141
    /// bytes with two 43-character paths and a 1-character manifest, 2137 bytes with two 1039-character paths, so
    /// about 60 bytes plus both paths and the manifest. 8KiB leaves room for paths of about 4000 characters each.
    /// </summary>
    public const long EnvelopeReserveBytes = 8 * 1024;

    /// <summary>
    /// Largest serialized message payload (what the message's serializer returns) that fits one frame with room for
    /// Akka's envelope: <see cref="MaximumFrameSizeBytes"/> - <see cref="EnvelopeReserveBytes"/>. Bound AppendEntries
    /// batches (and a whole snapshot sent as one peer message, where no snapshot port is used), once serialized, by this. Bytes.
    /// </summary>
    /// <remarks>
    /// Staying under it matters beyond the frame size itself: Akka.Remote 1.5.75 drops (and logs) a message whose
    /// encoded envelope exceeds maximum-frame-size at the sender, but the receiver limits the whole frame, 8 bytes more
    /// (length prefix and outer protocol wrapper), so a message within those 8 bytes of the limit passes the sender
    /// and makes the receiver close the connection, losing it and whatever else was in flight.
    /// </remarks>
    public long MaxPayloadBytes => MaximumFrameSizeBytes - EnvelopeReserveBytes;

    /// <summary>
    /// Reads and validates <c>akkaraft.remote</c> from the full configuration (reference.conf holds every default).
    /// With <c>tls.enabled = on</c> the certificate and the CA certificates are loaded and checked here (see
    /// <see cref="TlsSettings.Load"/>), so a node with a bad certificate does not start.
    /// </summary>
    /// <exception cref="ConfigException">A setting is missing, of the wrong type, out of range, inconsistent with
    /// another, or a TLS file cannot be read or holds an unusable certificate.</exception>
    public static RemotingSettings FromConfig(AkkaRaft.Configuration.Config config)
    {
        ArgumentNullException.ThrowIfNull(config);
        const string s = SectionPath + ".";
        var positive = TimeSpan.FromMilliseconds(1);
        var settings = new RemotingSettings(
            MaximumFrameSizeBytes: config.GetByteSizeInRange(s + "maximum-frame-size-bytes", MaximumFrameSizeBytesMin, MaximumFrameSizeBytesMax),
            ConnectionTimeout: config.GetTimeSpanInRange(s + "connection-timeout", positive),
            RetryGateClosedFor: config.GetTimeSpanInRange(s + "retry-gate-closed-for", positive),
            TransportHeartbeatInterval: config.GetTimeSpanInRange(s + "transport-heartbeat-interval", positive),
            TransportAcceptableHeartbeatPause: config.GetTimeSpanInRange(s + "transport-acceptable-heartbeat-pause", positive),
            WatchHeartbeatInterval: config.GetTimeSpanInRange(s + "watch-heartbeat-interval", positive),
            WatchAcceptableHeartbeatPause: config.GetTimeSpanInRange(s + "watch-acceptable-heartbeat-pause", positive),
            Tls: config.GetBoolean(s + "tls.enabled") ? TlsSettings.Load(config, s + "tls.") : TlsSettings.Disabled);

        // A pause no longer than the interval would declare a healthy peer dead between two heartbeats.
        if (settings.TransportAcceptableHeartbeatPause <= settings.TransportHeartbeatInterval)
        {
            throw config.Invalid(s + "transport-acceptable-heartbeat-pause",
                $"expected more than transport-heartbeat-interval ({settings.TransportHeartbeatInterval}), got {settings.TransportAcceptableHeartbeatPause}");
        }

        if (settings.WatchAcceptableHeartbeatPause <= settings.WatchHeartbeatInterval)
        {
            throw config.Invalid(s + "watch-acceptable-heartbeat-pause",
                $"expected more than watch-heartbeat-interval ({settings.WatchHeartbeatInterval}), got {settings.WatchAcceptableHeartbeatPause}");
        }

        return settings;
    }
}
