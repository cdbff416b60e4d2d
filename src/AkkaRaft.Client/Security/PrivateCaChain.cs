using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace AkkaRaft.Client.Security;

/// <summary>
/// The chain check every TLS end of AkkaRaft makes against a private CA (the Raft port's mutual TLS, the client ports'
/// HTTPS and gRPC, the .NET client): the given CA certificates are the only trust anchors, the chain the TLS layer
/// presented lends its intermediates (never trust), and nothing is fetched or checked for revocation (a private CA
/// publishes no revocation list; rotate the CA to exclude a holder).
/// </summary>
public static class PrivateCaChain
{
    /// <summary>A chain policy for <paramref name="ca"/>; the caller builds it (and reads its status on failure) and disposes it.</summary>
    /// <param name="ca">The trust anchors.</param>
    /// <param name="presented">The chain the TLS layer built, whose elements may serve as intermediates; may be null.</param>
    /// <param name="usageOid">An extended key usage the certificate must allow when it lists usages; null for any.</param>
    public static X509Chain For(X509Certificate2Collection ca, X509Chain? presented, string? usageOid = null)
    {
        ArgumentNullException.ThrowIfNull(ca);
        var chain = new X509Chain();
        chain.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
        chain.ChainPolicy.CustomTrustStore.AddRange(ca);
        chain.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
        chain.ChainPolicy.DisableCertificateDownloads = true;
        if (usageOid is not null) chain.ChainPolicy.ApplicationPolicy.Add(new Oid(usageOid));
        if (presented is not null)
        {
            foreach (var element in presented.ChainElements) chain.ChainPolicy.ExtraStore.Add(element.Certificate);
        }

        return chain;
    }

    /// <summary>Whether <paramref name="certificate"/> chains to one of <paramref name="ca"/> (and allows <paramref name="usageOid"/> when given).</summary>
    public static bool Verifies(X509Certificate2 certificate, X509Chain? presented, X509Certificate2Collection ca, string? usageOid = null)
    {
        ArgumentNullException.ThrowIfNull(certificate);
        if (ca.Count == 0) return false;
        using var chain = For(ca, presented, usageOid);
        try
        {
            return chain.Build(certificate);
        }
        catch (CryptographicException)
        {
            return false;
        }
    }
}
