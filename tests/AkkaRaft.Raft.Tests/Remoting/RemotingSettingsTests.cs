using System.Security.Cryptography.X509Certificates;
using AkkaRaft.Configuration;
using AkkaRaft.Raft.Remoting;
using AkkaRaft.TestSupport.Certificates;

namespace AkkaRaft.Raft.Tests.Remoting;

/// <summary>akkaraft.remote read into RemotingSettings, and RemotingSettings written into Akka's akka.remote.</summary>
public sealed class RemotingSettingsTests : IDisposable
{
    private readonly string _directory = Directory.CreateTempSubdirectory("akkaraft-remoting-settings-").FullName;

    public void Dispose() => Directory.Delete(_directory, recursive: true);

    [Fact(DisplayName = "Remoting settings: the defaults of reference.conf read into valid settings, TLS off")]
    public void Reference_defaults_read_into_valid_settings()
    {
        var settings = RemotingSettings.FromConfig(ConfigurationFactory.Default());
        Assert.Equal(4L * 1024 * 1024, settings.MaximumFrameSizeBytes);
        Assert.Equal(4L * 1024 * 1024 - RemotingSettings.EnvelopeReserveBytes, settings.MaxPayloadBytes);
        Assert.Equal(TimeSpan.FromSeconds(5), settings.ConnectionTimeout);
        Assert.Equal(TimeSpan.FromSeconds(1), settings.RetryGateClosedFor);
        Assert.Equal(TimeSpan.FromSeconds(1), settings.TransportHeartbeatInterval);
        Assert.Equal(TimeSpan.FromSeconds(10), settings.TransportAcceptableHeartbeatPause);
        Assert.Equal(TimeSpan.FromSeconds(1), settings.WatchHeartbeatInterval);
        Assert.Equal(TimeSpan.FromSeconds(10), settings.WatchAcceptableHeartbeatPause);
        Assert.False(settings.Tls.Enabled);
        Assert.Null(settings.Tls.Certificate);
    }

    [Theory(DisplayName = "Remoting settings: a value that breaks a rule is refused naming the setting and where it was set")]
    [InlineData("maximum-frame-size-bytes = 31999", "akkaraft.remote.maximum-frame-size-bytes")]
    [InlineData("maximum-frame-size-bytes = 2GiB", "akkaraft.remote.maximum-frame-size-bytes")]
    [InlineData("connection-timeout = 0s", "akkaraft.remote.connection-timeout")]
    [InlineData("transport-acceptable-heartbeat-pause = 1s", "akkaraft.remote.transport-acceptable-heartbeat-pause")]
    public void Invalid_value_is_refused_naming_the_setting(string setting, string path)
    {
        var ex = Assert.Throws<ConfigException>(() => RemotingSettings.FromConfig(User($"akkaraft.remote {{ {setting} }}")));
        Assert.Contains(path, ex.Message);
        Assert.Contains("user.conf", ex.Message);
    }

    [Fact(DisplayName = "Remoting settings: a heartbeat interval the acceptable pause does not exceed is refused naming both settings")]
    public void Interval_not_below_pause_is_refused()
    {
        var ex = Assert.Throws<ConfigException>(() => RemotingSettings.FromConfig(User("akkaraft.remote.watch-heartbeat-interval = 20s")));
        Assert.Contains("akkaraft.remote.watch-acceptable-heartbeat-pause", ex.Message);
        Assert.Contains("watch-heartbeat-interval", ex.Message);
    }

    [Fact(DisplayName = "Remoting settings: TLS on without a certificate path is refused naming certificate-path")]
    public void Tls_without_certificate_is_refused()
    {
        var ex = Assert.Throws<ConfigException>(() => RemotingSettings.FromConfig(User("akkaraft.remote.tls.enabled = on")));
        Assert.Contains("akkaraft.remote.tls.certificate-path", ex.Message);
        Assert.Contains("non-empty", ex.Message);
    }

    [Fact(DisplayName = "Remoting settings: TLS loads the node's PKCS#12 certificate with its password and the CA's PEM file")]
    public void Tls_loads_the_certificate_and_the_ca_from_files()
    {
        var ca = new TestCertificateAuthority("settings-test-ca");
        var (certificatePath, caPath) = WriteFiles(ca, ca.IssueNode("node-1"), "pa\"ss");
        var settings = RemotingSettings.FromConfig(User(TlsConfig(certificatePath, "pa\\\"ss", caPath)));
        Assert.True(settings.Tls.Enabled);
        Assert.True(settings.Tls.Certificate!.HasPrivateKey);
        Assert.Equal("CN=node-1", settings.Tls.Certificate.Subject);
        Assert.Equal(ca.Certificate.Thumbprint, Assert.Single(settings.Tls.CaCertificates).Thumbprint);
        Assert.Equal(certificatePath, settings.Tls.CertificatePath);
    }

    [Fact(DisplayName = "Remoting settings: a wrong certificate password is refused naming certificate-path")]
    public void Wrong_password_is_refused()
    {
        var ca = new TestCertificateAuthority("settings-test-ca");
        var (certificatePath, caPath) = WriteFiles(ca, ca.IssueNode("node-1"), "right");
        var ex = Assert.Throws<ConfigException>(() => RemotingSettings.FromConfig(User(TlsConfig(certificatePath, "wrong", caPath))));
        Assert.Contains("akkaraft.remote.tls.certificate-path", ex.Message);
    }

    [Fact(DisplayName = "Remoting settings: a CA file that is missing, or holds no certificate, is refused naming ca-certificates-path")]
    public void Missing_or_empty_ca_file_is_refused()
    {
        var ca = new TestCertificateAuthority("settings-test-ca");
        var (certificatePath, _) = WriteFiles(ca, ca.IssueNode("node-1"), "pw");
        var missing = Assert.Throws<ConfigException>(() =>
            RemotingSettings.FromConfig(User(TlsConfig(certificatePath, "pw", Path.Combine(_directory, "none.pem")))));
        Assert.Contains("akkaraft.remote.tls.ca-certificates-path", missing.Message);

        var empty = Path.Combine(_directory, "empty.pem");
        File.WriteAllText(empty, "no certificate here\n");
        var ex = Assert.Throws<ConfigException>(() => RemotingSettings.FromConfig(User(TlsConfig(certificatePath, "pw", empty))));
        Assert.Contains("akkaraft.remote.tls.ca-certificates-path", ex.Message);
    }

    [Fact(DisplayName = "Remoting settings: a node certificate the configured CA did not issue is refused at start")]
    public void Certificate_from_another_ca_is_refused_at_start()
    {
        var ca = new TestCertificateAuthority("settings-test-ca");
        var other = new TestCertificateAuthority("other-ca");
        var (certificatePath, caPath) = WriteFiles(ca, other.IssueNode("node-1"), "pw");
        var ex = Assert.Throws<ConfigException>(() => RemotingSettings.FromConfig(User(TlsConfig(certificatePath, "pw", caPath))));
        Assert.Contains("akkaraft.remote.tls.certificate-path", ex.Message);
        Assert.Contains("does not chain to a cluster CA", ex.Message);
    }

    [Fact(DisplayName = "Remoting settings: a node certificate without its private key is refused at start")]
    public void Certificate_without_private_key_is_refused()
    {
        var ca = new TestCertificateAuthority("settings-test-ca");
        using var publicOnly = X509CertificateLoader.LoadCertificate(ca.IssueNode("node-1").RawData);
        var ex = Assert.Throws<ArgumentException>(() => TlsSettings.FromCertificates(publicOnly, ca.AsTrusted()));
        Assert.Contains("no private key", ex.Message);
    }

    [Fact(DisplayName = "Remoting settings: AkkaConfig writes every setting to its akka.remote path")]
    public void Akka_config_maps_every_setting()
    {
        var settings = RemotingSettings.FromConfig(User("""
            akkaraft.remote {
              maximum-frame-size-bytes = 1MiB
              connection-timeout = 3s
              retry-gate-closed-for = 250ms
              transport-heartbeat-interval = 2s
              transport-acceptable-heartbeat-pause = 20s
              watch-heartbeat-interval = 3s
              watch-acceptable-heartbeat-pause = 30s
            }
            """));
        var akka = RaftRemoting.AkkaConfig(settings, "node-1.example", 4711);
        Assert.Equal("remote", akka.GetString("akka.actor.provider"));
        Assert.Equal(["akka.remote.dot-netty.tcp"], akka.GetStringList("akka.remote.enabled-transports"));
        Assert.Equal("node-1.example", akka.GetString("akka.remote.dot-netty.tcp.hostname"));
        Assert.Equal("node-1.example", akka.GetString("akka.remote.dot-netty.tcp.public-hostname"));
        Assert.Equal(4711, akka.GetInt("akka.remote.dot-netty.tcp.port"));
        Assert.Equal(1024L * 1024, akka.GetByteSize("akka.remote.dot-netty.tcp.maximum-frame-size"));
        Assert.Equal(TimeSpan.FromSeconds(3), akka.GetTimeSpan("akka.remote.dot-netty.tcp.connection-timeout"));
        Assert.Equal(TimeSpan.FromSeconds(3), akka.GetTimeSpan("akka.remote.handshake-timeout"));
        Assert.Equal(TimeSpan.FromMilliseconds(250), akka.GetTimeSpan("akka.remote.retry-gate-closed-for"));
        Assert.Equal(TimeSpan.FromSeconds(2), akka.GetTimeSpan("akka.remote.transport-failure-detector.heartbeat-interval"));
        Assert.Equal(TimeSpan.FromSeconds(20), akka.GetTimeSpan("akka.remote.transport-failure-detector.acceptable-heartbeat-pause"));
        Assert.Equal(TimeSpan.FromSeconds(3), akka.GetTimeSpan("akka.remote.watch-failure-detector.heartbeat-interval"));
        Assert.Equal(TimeSpan.FromSeconds(30), akka.GetTimeSpan("akka.remote.watch-failure-detector.acceptable-heartbeat-pause"));
        Assert.False(akka.GetBoolean("akka.remote.dot-netty.tcp.enable-ssl"));
        // Never written back on an accepted connection (docs/FAULTS.md, bug 9).
        Assert.False(akka.GetBoolean("akka.remote.use-passive-connections", true));
        Assert.Equal(RaftRemoting.TcpProtocol, RaftRemoting.Protocol(settings));
        Assert.Equal("akka.tcp://raft@10.0.0.2:7000", RaftRemoting.PeerAddress(settings, "raft", "10.0.0.2", 7000).ToString());
    }

    [Fact(DisplayName = "Remoting settings: with TLS, AkkaConfig turns on SSL with mutual authentication and leaves the certificate to ActorSystemSetup")]
    public void Akka_config_with_tls()
    {
        var ca = new TestCertificateAuthority("settings-test-ca");
        var settings = RemotingTestKit.Defaults().WithTls(ca, "node-1");
        var akka = RaftRemoting.AkkaConfig(settings, "127.0.0.1", 0);
        Assert.True(akka.GetBoolean("akka.remote.dot-netty.tcp.enable-ssl"));
        Assert.True(akka.GetBoolean("akka.remote.dot-netty.tcp.ssl.require-mutual-authentication"));
        Assert.False(akka.GetBoolean("akka.remote.dot-netty.tcp.ssl.suppress-validation"));
        Assert.Equal("", akka.GetString("akka.remote.dot-netty.tcp.ssl.certificate.path"));
        Assert.Equal(RaftRemoting.TlsProtocol, RaftRemoting.Protocol(settings));

        var setup = RaftRemoting.ActorSystemSetup(settings, akka);
        var ssl = setup.Get<Akka.Remote.Transport.DotNetty.DotNettySslSetup>();
        Assert.True(ssl.HasValue);
        Assert.Same(settings.Tls.Certificate, ssl.Value.Certificate);
        Assert.True(ssl.Value.RequireMutualAuthentication);
        Assert.False(ssl.Value.SuppressValidation);
        Assert.NotNull(ssl.Value.CustomValidator);
    }

    [Theory(DisplayName = "Remoting settings: AkkaConfig refuses a blank host name and a port outside 0 to 65535")]
    [InlineData(" ", 0)]
    [InlineData("127.0.0.1", -1)]
    [InlineData("127.0.0.1", 65536)]
    public void Akka_config_refuses_bad_addresses(string hostname, int port) =>
        Assert.ThrowsAny<ArgumentException>(() => RaftRemoting.AkkaConfig(RemotingTestKit.Defaults(), hostname, port));

    private static AkkaRaft.Configuration.Config User(string text) =>
        ConfigurationFactory.ParseString(text, "user.conf").WithFallback(ConfigurationFactory.Default());

    private static string TlsConfig(string certificatePath, string passwordHocon, string caPath) => $$"""
        akkaraft.remote.tls {
          enabled = on
          certificate-path = "{{certificatePath}}"
          certificate-password = "{{passwordHocon}}"
          ca-certificates-path = "{{caPath}}"
        }
        """;

    private (string CertificatePath, string CaPath) WriteFiles(TestCertificateAuthority ca, X509Certificate2 node, string password)
    {
        var certificatePath = Path.Combine(_directory, "node.p12");
        File.WriteAllBytes(certificatePath, node.Export(X509ContentType.Pkcs12, password));
        var caPath = Path.Combine(_directory, "ca.pem");
        File.WriteAllText(caPath, ca.Certificate.ExportCertificatePem());
        return (certificatePath, caPath);
    }
}
