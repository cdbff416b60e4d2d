using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace AkkaRaft.TestSupport.Certificates;

/// <summary>
/// A certificate authority made by the test (ECDSA P-256, so generation is fast) and the node certificates it issues:
/// what an operator makes with openssl, made in memory with <see cref="CertificateRequest"/>. Used by the peer port's
/// mutual TLS tests and the client ports' TLS tests; nothing it makes is kept in git.
/// </summary>
public sealed class TestCertificateAuthority
{
    private static readonly Oid ServerAuthentication = new("1.3.6.1.5.5.7.3.1");
    private static readonly Oid ClientAuthentication = new("1.3.6.1.5.5.7.3.2");

    private readonly ECDsa _key;

    public TestCertificateAuthority(string name)
    {
        _key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest($"CN={name}", _key, HashAlgorithmName.SHA256);
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(true, false, 0, true));
        request.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.KeyCertSign | X509KeyUsageFlags.CrlSign, true));
        request.CertificateExtensions.Add(new X509SubjectKeyIdentifierExtension(request.PublicKey, false));
        Certificate = request.CreateSelfSigned(DateTimeOffset.UtcNow.AddDays(-1), DateTimeOffset.UtcNow.AddYears(1));
    }

    /// <summary>The CA's certificate, without its key: what nodes trust.</summary>
    public X509Certificate2 Certificate { get; }

    /// <summary>The CA certificate alone, as the collection a node's TLS settings hold.</summary>
    public X509Certificate2Collection AsTrusted() => [X509CertificateLoader.LoadCertificate(Certificate.RawData)];

    /// <summary>
    /// A node certificate signed by this CA, with its private key, loaded back from PKCS#12 as a node loads it.
    /// </summary>
    public X509Certificate2 IssueNode(string name, bool clientAuthentication = true, bool serverAuthentication = true,
        DateTimeOffset? notBefore = null, DateTimeOffset? notAfter = null)
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest($"CN={name}", key, HashAlgorithmName.SHA256);
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(false, false, 0, true));
        request.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.DigitalSignature, true));
        var usages = new OidCollection();
        if (serverAuthentication)
        {
            usages.Add(ServerAuthentication);
        }

        if (clientAuthentication)
        {
            usages.Add(ClientAuthentication);
        }

        request.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension(usages, false));
        var san = new SubjectAlternativeNameBuilder();
        san.AddDnsName(name);
        san.AddIpAddress(System.Net.IPAddress.Loopback);
        request.CertificateExtensions.Add(san.Build());
        request.CertificateExtensions.Add(X509AuthorityKeyIdentifierExtension.CreateFromCertificate(Certificate, true, false));
        var serial = new byte[16];
        RandomNumberGenerator.Fill(serial);
        serial[0] &= 0x7F;
        using var issued = request.Create(Certificate.SubjectName, X509SignatureGenerator.CreateForECDsa(_key),
            notBefore ?? DateTimeOffset.UtcNow.AddDays(-1), notAfter ?? DateTimeOffset.UtcNow.AddDays(30), serial);
        using var withKey = issued.CopyWithPrivateKey(key);
        return X509CertificateLoader.LoadPkcs12(withKey.Export(X509ContentType.Pkcs12, "test"), "test");
    }

    /// <summary>Writes the CA certificate as PEM to <paramref name="path"/> (what <c>ca-certificates-path</c> and <c>--cacert</c> read); returns the path.</summary>
    public string WritePem(string path)
    {
        File.WriteAllText(path, Certificate.ExportCertificatePem());
        return path;
    }

    /// <summary>
    /// Issues a node certificate (<see cref="IssueNode"/>) and writes it with its key as PKCS#12 protected by
    /// <paramref name="password"/> to <paramref name="path"/> (what <c>certificate-path</c> reads); returns the path.
    /// </summary>
    public string WriteNode(string path, string name, string password = "test", bool clientAuthentication = true)
    {
        using var certificate = IssueNode(name, clientAuthentication);
        File.WriteAllBytes(path, certificate.Export(X509ContentType.Pkcs12, password));
        return path;
    }

    /// <summary>
    /// A certificate signed with <paramref name="issuer"/>'s private key (a node's, which is no CA): what someone holding
    /// a member's key, but not the CA's, could make.
    /// </summary>
    public static X509Certificate2 IssueWith(X509Certificate2 issuer, string name)
    {
        using var issuerKey = issuer.GetECDsaPrivateKey() ?? throw new ArgumentException("the issuer has no ECDSA private key", nameof(issuer));
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest($"CN={name}", key, HashAlgorithmName.SHA256);
        request.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension([ServerAuthentication, ClientAuthentication], false));
        using var issued = request.Create(issuer.SubjectName, X509SignatureGenerator.CreateForECDsa(issuerKey),
            DateTimeOffset.UtcNow.AddDays(-1), DateTimeOffset.UtcNow.AddDays(30), [1, 2, 3, 4]);
        using var withKey = issued.CopyWithPrivateKey(key);
        return X509CertificateLoader.LoadPkcs12(withKey.Export(X509ContentType.Pkcs12, "test"), "test");
    }

    /// <summary>A self-signed node certificate with client and server usages: issued by no CA at all.</summary>
    public static X509Certificate2 SelfSigned(string name)
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest($"CN={name}", key, HashAlgorithmName.SHA256);
        request.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension([ServerAuthentication, ClientAuthentication], false));
        using var created = request.CreateSelfSigned(DateTimeOffset.UtcNow.AddDays(-1), DateTimeOffset.UtcNow.AddDays(30));
        return X509CertificateLoader.LoadPkcs12(created.Export(X509ContentType.Pkcs12, "test"), "test");
    }
}
