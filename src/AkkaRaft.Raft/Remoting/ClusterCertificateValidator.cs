using System.Net.Security;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using Akka.Event;
using AkkaRaft.Client.Security;
using Akka.Remote.Transport.DotNetty;

namespace AkkaRaft.Raft.Remoting;

/// <summary>
/// Decides whether a certificate a peer presents in the TLS handshake belongs to the cluster: it chains to one of the
/// cluster's CA certificates (and to nothing else: the operating system's trust store is not consulted), it is in
/// date, and it allows both TLS client and server authentication. Akka.Remote 1.5.75 runs this on both ends of every
/// connection (<see cref="Callback"/>), so a connection needs two such certificates. Revocation is not checked: a
/// private cluster CA publishes no revocation list; rotate the CA to exclude a node. A refusal on the dialling side
/// makes Akka.Remote 1.5.75 shut the dialling system down (see <see cref="RaftRemoting"/>).
/// </summary>
public sealed class ClusterCertificateValidator
{
    // Extended key usage OIDs (RFC 5280 4.2.1.12).
    private const string ServerAuthenticationOid = "1.3.6.1.5.5.7.3.1";
    private const string ClientAuthenticationOid = "1.3.6.1.5.5.7.3.2";

    private readonly X509Certificate2Collection _caCertificates;

    /// <summary>A validator that admits certificates issued by one of <paramref name="caCertificates"/>.</summary>
    /// <exception cref="ArgumentException"><paramref name="caCertificates"/> is empty.</exception>
    public ClusterCertificateValidator(X509Certificate2Collection caCertificates)
    {
        ArgumentNullException.ThrowIfNull(caCertificates);
        if (caCertificates.Count == 0)
        {
            throw new ArgumentException("a cluster needs at least one CA certificate to admit peers", nameof(caCertificates));
        }

        _caCertificates = caCertificates;
    }

    /// <summary>
    /// Why <paramref name="certificate"/> is not a cluster member's certificate, or null when it is.
    /// </summary>
    /// <param name="certificate">The peer's certificate; null when the peer presented none.</param>
    /// <param name="presented">The chain the TLS layer built for it, whose intermediate certificates may be used to
    /// reach a cluster CA (never as trust anchors); may be null.</param>
    public string? Problem(X509Certificate2? certificate, X509Chain? presented)
    {
        if (certificate is null)
        {
            return "no certificate presented";
        }

        if (KeyUsageProblem(certificate) is { } usage)
        {
            return usage;
        }

        using var chain = PrivateCaChain.For(_caCertificates, presented);

        try
        {
            if (chain.Build(certificate))
            {
                return null;
            }
        }
        catch (CryptographicException e)
        {
            return $"{certificate.Subject}: cannot build its chain: {e.Message}";
        }

        var reasons = string.Join("; ", chain.ChainStatus.Select(s => $"{s.Status} ({s.StatusInformation.Trim()})"));
        return $"{certificate.Subject} (issuer {certificate.Issuer}) does not chain to a cluster CA: {reasons}";
    }

    /// <summary>
    /// The callback Akka.Remote's TLS handshake calls on both ends (through <see cref="DotNettySslSetup"/>): admits the
    /// peer when <see cref="Problem"/> finds none, and otherwise logs a warning naming the peer and the reason. The
    /// operating system's verdict (<see cref="SslPolicyErrors"/>) is ignored except for a missing certificate: it judges
    /// against the system trust store, which does not hold a private cluster CA and holds public CAs that must not admit
    /// anyone. Host names are not compared: membership is the CA's signature, not an address.
    /// </summary>
    public CertificateValidationCallback Callback => Validate;

    private bool Validate(X509Certificate2? certificate, X509Chain? chain, string remotePeer, SslPolicyErrors errors, ILoggingAdapter? log)
    {
        var problem = (errors & SslPolicyErrors.RemoteCertificateNotAvailable) != 0
            ? "no certificate presented"
            : Problem(certificate, chain);
        if (problem is null)
        {
            return true;
        }

        log?.Warning("Refused TLS peer {0}: {1}", remotePeer, problem);
        return false;
    }

    private static string? KeyUsageProblem(X509Certificate2 certificate)
    {
        // No EKU extension means any use (RFC 5280); with one, both ends of a node's connections need both usages:
        // a node accepts connections (server) and opens them (client) with the same certificate.
        foreach (var extension in certificate.Extensions)
        {
            if (extension is not X509EnhancedKeyUsageExtension eku)
            {
                continue;
            }

            bool server = false, client = false;
            foreach (var oid in eku.EnhancedKeyUsages)
            {
                server |= oid.Value == ServerAuthenticationOid;
                client |= oid.Value == ClientAuthenticationOid;
            }

            if (!server)
            {
                return $"{certificate.Subject}: its extended key usage lacks TLS server authentication ({ServerAuthenticationOid})";
            }

            if (!client)
            {
                return $"{certificate.Subject}: its extended key usage lacks TLS client authentication ({ClientAuthenticationOid})";
            }
        }

        return null;
    }
}
