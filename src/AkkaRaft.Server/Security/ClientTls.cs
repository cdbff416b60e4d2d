using System.Net.Security;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using AkkaRaft.Client.Security;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using KestrelClientCertificateMode = Microsoft.AspNetCore.Server.Kestrel.Https.ClientCertificateMode;

namespace AkkaRaft.Server.Security;

/// <summary>
/// TLS of the client ports, both directions: Kestrel's listener (the node's certificate, and the clients'
/// certificates checked against <c>ca-certificates-path</c>) and the node's own HTTPS and gRPC calls to other
/// members (their certificates checked against the same CA, this node's certificate presented as its client certificate).
/// </summary>
public static class ClientTls
{
    // Extended key usage OIDs (RFC 5280 4.2.1.12).
    private const string ClientAuthenticationOid = "1.3.6.1.5.5.7.3.2";
    private const string ServerAuthenticationOid = "1.3.6.1.5.5.7.3.1";

    /// <summary>Serves TLS on every endpoint of <paramref name="kestrel"/> with <paramref name="tls"/>'s certificate.</summary>
    public static void Configure(KestrelServerOptions kestrel, ClientTlsSettings tls)
    {
        ArgumentNullException.ThrowIfNull(kestrel);
        ArgumentNullException.ThrowIfNull(tls);
        kestrel.ConfigureHttpsDefaults(https =>
        {
            https.ServerCertificate = tls.Certificate;
            https.ClientCertificateMode = tls.ClientCertificate switch
            {
                ClientCertificatePolicy.Required => KestrelClientCertificateMode.RequireCertificate,
                ClientCertificatePolicy.Optional => KestrelClientCertificateMode.AllowCertificate,
                _ => KestrelClientCertificateMode.NoCertificate,
            };
            if (tls.ClientCertificate != ClientCertificatePolicy.Off)
            {
                https.ClientCertificateValidation = (certificate, chain, _) => IssuedBy(certificate, chain, tls.CaCertificates, ClientAuthenticationOid);
            }
        });
    }

    /// <summary>
    /// A handler for this node's calls to other members' client ports: their certificates must chain to the configured
    /// CA (or the system's trust store when none is configured) and name the host called; this node's own certificate
    /// goes along as its client certificate. Null when the client ports have no TLS (plain HTTP).
    /// </summary>
    public static SocketsHttpHandler? MemberHandler(ClientTlsSettings? tls)
    {
        if (tls is null) return null;
        var ssl = new SslClientAuthenticationOptions
        {
            ClientCertificates = new X509CertificateCollection { tls.Certificate },
        };
        if (tls.CaCertificates.Count > 0)
        {
            ssl.RemoteCertificateValidationCallback = (_, certificate, chain, errors) =>
                (errors & SslPolicyErrors.RemoteCertificateNameMismatch) == 0
                && (errors & SslPolicyErrors.RemoteCertificateNotAvailable) == 0
                && certificate is X509Certificate2 c2 && IssuedBy(c2, chain, tls.CaCertificates, ServerAuthenticationOid);
        }

        return new SocketsHttpHandler { SslOptions = ssl, PooledConnectionIdleTimeout = TimeSpan.FromMinutes(1) };
    }

    /// <summary>Whether <paramref name="certificate"/> chains to one of <paramref name="ca"/> (and to nothing else) and allows <paramref name="usageOid"/> when it lists usages.</summary>
    internal static bool IssuedBy(X509Certificate2 certificate, X509Chain? presented, X509Certificate2Collection ca, string usageOid) =>
        PrivateCaChain.Verifies(certificate, presented, ca, usageOid);
}
