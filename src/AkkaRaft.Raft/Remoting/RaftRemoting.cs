using System.Globalization;
using System.Text.Json;
using Akka.Actor;
using Akka.Actor.Setup;
using Akka.Remote.Transport.DotNetty;

namespace AkkaRaft.Raft.Remoting;

/// <summary>
/// Akka.Remote for a node: the <c>akka.remote</c> configuration built from <see cref="RemotingSettings"/> and the
/// node's Raft address, and, with TLS on, the setup that carries the certificate and the cluster-CA validator.
/// </summary>
/// <remarks>
/// Create the node's system with <see cref="ActorSystemSetup"/>, not with the configuration alone: Akka.Remote 1.5.75
/// cannot name a private CA in HOCON (it validates a peer against the operating system's trust store unless a
/// validation callback is supplied in code). <see cref="AkkaConfig"/> therefore leaves the certificate out when TLS
/// is on, so a system created from it alone fails to start instead of running with the wrong trust.
/// <para>
/// Akka.Remote 1.5.75 runs CoordinatedShutdown (reason <c>TlsHandshakeFailureReason</c>, exit code 79) on a system
/// whose outbound TLS handshake fails, whatever the cause: the peer's certificate refused by the validator (another
/// CA, expired), or no TLS answer at all (a plain listener on that port). So a node that dials an address where no
/// cluster member with a valid certificate listens shuts itself down; a refused TCP connect (peer down) does not.
/// Inbound refusals (outsiders, garbage) only close that connection.
/// </para>
/// </remarks>
public static class RaftRemoting
{
    /// <summary>Akka's scheme of addresses on a plain TCP node.</summary>
    public const string TcpProtocol = "akka.tcp";

    /// <summary>Akka's scheme of addresses on a TLS node (DotNetty's transport adds "ssl.").</summary>
    public const string TlsProtocol = "akka.ssl.tcp";

    /// <summary>
    /// The <c>akka.actor.provider</c> and <c>akka.remote</c> settings binding <paramref name="hostname"/>:<paramref name="port"/>
    /// (the node's <c>akkaraft.node.raft-address</c>), with the frame size, timeouts, failure detectors and TLS of
    /// <paramref name="settings"/>. Put it in front of the rest of the node's Akka configuration. The provider is
    /// <c>remote</c>; a node that runs Akka.Cluster puts <c>akka.actor.provider = cluster</c> in front of this.
    /// </summary>
    /// <param name="settings">The node's <c>akkaraft.remote</c>.</param>
    /// <param name="hostname">Host name or IP literal to bind to and advertise; peers must reach the node at it.</param>
    /// <param name="port">TCP port to listen on; 0 lets the operating system choose (read the bound one from
    /// <c>((ExtendedActorSystem)system).Provider.DefaultAddress</c>).</param>
    /// <exception cref="ArgumentException"><paramref name="hostname"/> is blank or <paramref name="port"/> is outside 0 to 65535.</exception>
    public static Akka.Configuration.Config AkkaConfig(RemotingSettings settings, string hostname, int port)
    {
        ArgumentNullException.ThrowIfNull(settings);
        ArgumentException.ThrowIfNullOrWhiteSpace(hostname);
        ArgumentOutOfRangeException.ThrowIfNegative(port);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(port, 65535);
        var host = Quote(hostname);
        var hocon = $$"""
            akka.actor.provider = remote
            akka.remote {
              enabled-transports = ["akka.remote.dot-netty.tcp"]
              # DotNetty uses its connection-timeout for the handshake; set both so neither default (15s) lingers.
              handshake-timeout = {{Duration(settings.ConnectionTimeout)}}
              retry-gate-closed-for = {{Duration(settings.RetryGateClosedFor)}}
              # Each side writes only on the connection it dialled and reads what the other dialled (as Akka's Artery
              # does), never writes back on an accepted one. With passive connections, two members that dial each other
              # at once right after one of them restarted on the same address could end with each writing on the
              # connection the other had stopped reading: every message between them lost while the transport's
              # heartbeats kept both connections up (docs/FAULTS.md, bug 9). A node therefore dials the Akka apps that
              # send it requests, at the address they advertise, to answer them.
              use-passive-connections = off
              transport-failure-detector {
                heartbeat-interval = {{Duration(settings.TransportHeartbeatInterval)}}
                acceptable-heartbeat-pause = {{Duration(settings.TransportAcceptableHeartbeatPause)}}
              }
              watch-failure-detector {
                heartbeat-interval = {{Duration(settings.WatchHeartbeatInterval)}}
                acceptable-heartbeat-pause = {{Duration(settings.WatchAcceptableHeartbeatPause)}}
              }
              dot-netty.tcp {
                hostname = {{host}}
                public-hostname = {{host}}
                port = {{port.ToString(CultureInfo.InvariantCulture)}}
                maximum-frame-size = {{settings.MaximumFrameSizeBytes.ToString(CultureInfo.InvariantCulture)}}b
                connection-timeout = {{Duration(settings.ConnectionTimeout)}}
                enable-ssl = {{(settings.Tls.Enabled ? "on" : "off")}}
                ssl {
                  # The certificate and the validator come from ActorSystemSetup (DotNettySslSetup); an empty path makes a
                  # system created without them fail at start.
                  certificate.path = ""
                  certificate.password = ""
                  suppress-validation = off
                  require-mutual-authentication = on
                  validate-certificate-hostname = off
                }
              }
            }
            """;
        return Akka.Configuration.ConfigurationFactory.ParseString(hocon);
    }

    /// <summary>
    /// What to create the node's actor system with: <paramref name="config"/> (the node's whole Akka configuration,
    /// <see cref="AkkaConfig"/> included) and, with TLS on, a <see cref="DotNettySslSetup"/> carrying this node's
    /// certificate, mutual authentication, and the <see cref="ClusterCertificateValidator"/> of the cluster's CA.
    /// <c>ActorSystem.Create(name, RaftRemoting.ActorSystemSetup(settings, config))</c>.
    /// </summary>
    public static ActorSystemSetup ActorSystemSetup(RemotingSettings settings, Akka.Configuration.Config config)
    {
        ArgumentNullException.ThrowIfNull(settings);
        ArgumentNullException.ThrowIfNull(config);
        var bootstrap = BootstrapSetup.Create().WithConfig(config);
        if (!settings.Tls.Enabled)
        {
            return Akka.Actor.Setup.ActorSystemSetup.Create(bootstrap);
        }

        var certificate = settings.Tls.Certificate
            ?? throw new InvalidOperationException("TLS is enabled but TlsSettings holds no certificate (TlsSettings.Load or FromCertificates sets one)");
        var validator = new ClusterCertificateValidator(settings.Tls.CaCertificates);
        return bootstrap.And(new DotNettySslSetup(certificate, suppressValidation: false, requireMutualAuthentication: true,
            validateCertificateHostname: false, customValidator: validator.Callback));
    }

    /// <summary>The scheme of this node's and its peers' addresses: <see cref="TlsProtocol"/> with TLS, else <see cref="TcpProtocol"/>.</summary>
    public static string Protocol(RemotingSettings settings)
    {
        ArgumentNullException.ThrowIfNull(settings);
        return settings.Tls.Enabled ? TlsProtocol : TcpProtocol;
    }

    /// <summary>The Akka address of a peer system named <paramref name="systemName"/> at <paramref name="hostname"/>:<paramref name="port"/>,
    /// with this cluster's scheme (all nodes of a cluster have TLS on, or all off).</summary>
    public static Address PeerAddress(RemotingSettings settings, string systemName, string hostname, int port) =>
        new(Protocol(settings), systemName, hostname, port);

    private static string Duration(TimeSpan value) =>
        ((long)Math.Ceiling(value.TotalMilliseconds)).ToString(CultureInfo.InvariantCulture) + "ms";

    // A HOCON quoted string is a JSON string.
    private static string Quote(string value) => JsonSerializer.Serialize(value);
}
