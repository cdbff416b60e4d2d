using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using AkkaRaft.Configuration;

namespace AkkaRaft.Raft.Remoting;

/// <summary>
/// <c>akkaraft.remote.tls</c>: TLS on every connection between nodes, with both ends authenticated by a certificate
/// issued by the cluster's CA. Loaded and checked once at start; the password is not kept.
/// </summary>
public sealed record TlsSettings
{
    private TlsSettings(bool enabled, string certificatePath, string caCertificatesPath,
        X509Certificate2? certificate, X509Certificate2Collection caCertificates)
    {
        Enabled = enabled;
        CertificatePath = certificatePath;
        CaCertificatesPath = caCertificatesPath;
        Certificate = certificate;
        CaCertificates = caCertificates;
    }

    /// <summary>TLS off: connections are plain TCP and any process that reaches the port can talk to the node.</summary>
    public static TlsSettings Disabled { get; } = new(false, "", "", null, []);

    /// <summary>Whether connections use TLS with mutual authentication (<c>enabled</c>).</summary>
    public bool Enabled { get; }

    /// <summary>Where this node's PKCS#12 certificate was read from (<c>certificate-path</c>); empty when disabled.</summary>
    public string CertificatePath { get; }

    /// <summary>Where the cluster's CA certificates were read from (<c>ca-certificates-path</c>); empty when disabled.</summary>
    public string CaCertificatesPath { get; }

    /// <summary>This node's certificate with its private key, presented to every peer; null when disabled.</summary>
    public X509Certificate2? Certificate { get; }

    /// <summary>The cluster's CA certificates: a peer is admitted only if its certificate chains to one of these.</summary>
    public X509Certificate2Collection CaCertificates { get; }

    /// <summary>
    /// TLS settings from certificates already in memory (tests, and hosts that keep certificates elsewhere than in
    /// files). Checks them as <see cref="Load"/> does.
    /// </summary>
    /// <exception cref="ArgumentException">The certificate has no private key, does not allow client and server
    /// authentication, or is not issued by one of <paramref name="caCertificates"/>.</exception>
    public static TlsSettings FromCertificates(X509Certificate2 certificate, X509Certificate2Collection caCertificates)
    {
        ArgumentNullException.ThrowIfNull(certificate);
        ArgumentNullException.ThrowIfNull(caCertificates);
        var problem = OwnCertificateProblem(certificate, caCertificates);
        return problem is null
            ? new TlsSettings(true, "", "", certificate, caCertificates)
            : throw new ArgumentException(problem, nameof(certificate));
    }

    /// <summary>
    /// Loads <c>certificate-path</c> (PKCS#12 with <c>certificate-password</c>) and <c>ca-certificates-path</c> (PEM)
    /// under <paramref name="prefix"/>, and checks that this node could itself be admitted by a peer: the certificate
    /// has its private key, allows client and server authentication, is in date and chains to one of the CA certificates.
    /// </summary>
    /// <exception cref="ConfigException">A path is empty, a file cannot be read, or the certificate fails a check.</exception>
    internal static TlsSettings Load(AkkaRaft.Configuration.Config config, string prefix)
    {
        var certificatePath = config.GetNonEmptyString(prefix + "certificate-path");
        var password = config.GetString(prefix + "certificate-password");
        var caPath = config.GetNonEmptyString(prefix + "ca-certificates-path");
        X509Certificate2 certificate;
        try
        {
            certificate = X509CertificateLoader.LoadPkcs12FromFile(certificatePath, password.Length == 0 ? null : password);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or CryptographicException)
        {
            throw new ConfigException($"{prefix}certificate-path: cannot load the PKCS#12 certificate '{certificatePath}': {e.Message}",
                config.GetOrigin(prefix + "certificate-path"), e);
        }

        var caCertificates = new X509Certificate2Collection();
        try
        {
            caCertificates.ImportFromPemFile(caPath);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or CryptographicException)
        {
            throw new ConfigException($"{prefix}ca-certificates-path: cannot load the PEM CA certificates '{caPath}': {e.Message}",
                config.GetOrigin(prefix + "ca-certificates-path"), e);
        }

        if (caCertificates.Count == 0)
        {
            throw config.Invalid(prefix + "ca-certificates-path", $"expected at least one PEM certificate in '{caPath}', found none");
        }

        var problem = OwnCertificateProblem(certificate, caCertificates);
        if (problem is not null)
        {
            throw config.Invalid(prefix + "certificate-path", $"'{certificatePath}' cannot authenticate this node to its peers: {problem}");
        }

        return new TlsSettings(true, certificatePath, caPath, certificate, caCertificates);
    }

    private static string? OwnCertificateProblem(X509Certificate2 certificate, X509Certificate2Collection caCertificates)
    {
        if (!certificate.HasPrivateKey)
        {
            return $"the certificate {certificate.Subject} has no private key";
        }

        return new ClusterCertificateValidator(caCertificates).Problem(certificate, null);
    }
}
