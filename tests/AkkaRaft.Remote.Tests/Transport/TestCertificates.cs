using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace AkkaRaft.Remote.Tests.Transport;

/// <summary>A throwaway certificate authority made in-process, issuing node certificates for TLS tests.</summary>
internal sealed class TestCertificates
{
    private readonly ECDsa _caKey = ECDsa.Create(ECCurve.NamedCurves.nistP256);

    public TestCertificates(string name)
    {
        var request = new CertificateRequest($"CN={name}", _caKey, HashAlgorithmName.SHA256);
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(true, false, 0, true));
        request.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.KeyCertSign | X509KeyUsageFlags.CrlSign, true));
        Authority = request.CreateSelfSigned(DateTimeOffset.UtcNow.AddHours(-1), DateTimeOffset.UtcNow.AddDays(2));
    }

    public X509Certificate2 Authority { get; }

    public X509Certificate2 Issue(string node)
    {
        var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest($"CN={node}", key, HashAlgorithmName.SHA256);
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(false, false, 0, false));
        request.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.DigitalSignature, true));
        request.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension(
            [new Oid("1.3.6.1.5.5.7.3.1"), new Oid("1.3.6.1.5.5.7.3.2")], false));
        var serial = RandomNumberGenerator.GetBytes(8);
        // Inside the authority's validity by construction, whatever the clock does between the two calls.
        using var issued = request.Create(Authority, Authority.NotBefore.ToUniversalTime(), Authority.NotAfter.ToUniversalTime().AddHours(-1), serial);
        return issued.CopyWithPrivateKey(key);
    }

    public RemoteTlsSettings TlsFor(string node) => new(Issue(node), [Authority]);
}
