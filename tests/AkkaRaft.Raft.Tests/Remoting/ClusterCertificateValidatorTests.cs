using System.Net.Security;
using System.Security.Cryptography.X509Certificates;
using AkkaRaft.Raft.Remoting;
using AkkaRaft.TestSupport.Certificates;

namespace AkkaRaft.Raft.Tests.Remoting;

/// <summary>Which certificates the cluster-CA validator admits, without sockets.</summary>
public sealed class ClusterCertificateValidatorTests
{
    private readonly TestCertificateAuthority _cluster = new("validator-test-ca");

    private ClusterCertificateValidator Validator => new(_cluster.AsTrusted());

    [Fact(DisplayName = "Validator: a certificate the cluster CA issued for client and server authentication is admitted")]
    public void Certificate_from_the_cluster_ca_is_admitted() =>
        Assert.Null(Validator.Problem(_cluster.IssueNode("node-1"), null));

    [Fact(DisplayName = "Validator: no certificate is refused")]
    public void No_certificate_is_refused() =>
        Assert.Equal("no certificate presented", Validator.Problem(null, null));

    [Fact(DisplayName = "Validator: a certificate from another CA is refused, even though that CA is well formed")]
    public void Certificate_from_another_ca_is_refused()
    {
        var problem = Validator.Problem(new TestCertificateAuthority("other-ca").IssueNode("node-1"), null);
        Assert.NotNull(problem);
        Assert.Contains("does not chain to a cluster CA", problem);
    }

    [Fact(DisplayName = "Validator: a self-signed certificate is refused")]
    public void Self_signed_certificate_is_refused() =>
        Assert.Contains("does not chain to a cluster CA", Validator.Problem(TestCertificateAuthority.SelfSigned("node-1"), null));

    [Fact(DisplayName = "Validator: a certificate signed with a member's key instead of the CA's is refused (a member is no CA)")]
    public void Certificate_signed_by_a_member_is_refused()
    {
        var member = _cluster.IssueNode("member");
        var forged = TestCertificateAuthority.IssueWith(member, "forged");

        // The forger also presents the member's certificate as an intermediate, as a TLS peer may.
        using var presented = new X509Chain();
        presented.ChainPolicy.ExtraStore.Add(member);
        presented.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
        presented.ChainPolicy.CustomTrustStore.AddRange(_cluster.AsTrusted());
        presented.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
        presented.Build(forged);
        Assert.Equal(3, presented.ChainElements.Count);

        var problem = Validator.Problem(forged, presented);
        Assert.NotNull(problem);
        Assert.Contains("does not chain to a cluster CA", problem);
    }

    [Fact(DisplayName = "Validator: an expired certificate from the cluster CA is refused")]
    public void Expired_certificate_is_refused() =>
        Assert.Contains("NotTimeValid", Validator.Problem(
            _cluster.IssueNode("node-1", notBefore: DateTimeOffset.UtcNow.AddDays(-30), notAfter: DateTimeOffset.UtcNow.AddDays(-1)), null));

    [Fact(DisplayName = "Validator: a certificate from the cluster CA that is not valid yet is refused")]
    public void Not_yet_valid_certificate_is_refused() =>
        Assert.Contains("NotTimeValid", Validator.Problem(
            _cluster.IssueNode("node-1", notBefore: DateTimeOffset.UtcNow.AddDays(1), notAfter: DateTimeOffset.UtcNow.AddDays(30)), null));

    [Fact(DisplayName = "Validator: a certificate without TLS client authentication is refused (every node also dials)")]
    public void Certificate_without_client_authentication_is_refused() =>
        Assert.Contains("client authentication", Validator.Problem(_cluster.IssueNode("node-1", clientAuthentication: false), null));

    [Fact(DisplayName = "Validator: a certificate without TLS server authentication is refused (every node also listens)")]
    public void Certificate_without_server_authentication_is_refused() =>
        Assert.Contains("server authentication", Validator.Problem(_cluster.IssueNode("node-1", serverAuthentication: false), null));

    [Fact(DisplayName = "Validator: with two CAs in the file (a CA rotation), certificates of either are admitted")]
    public void Either_of_two_cas_is_admitted()
    {
        var next = new TestCertificateAuthority("validator-test-ca-next");
        var validator = new ClusterCertificateValidator([.. _cluster.AsTrusted(), .. next.AsTrusted()]);
        Assert.Null(validator.Problem(_cluster.IssueNode("old"), null));
        Assert.Null(validator.Problem(next.IssueNode("new"), null));
        Assert.NotNull(validator.Problem(new TestCertificateAuthority("third").IssueNode("x"), null));
    }

    [Fact(DisplayName = "Validator: the callback ignores the system trust store's verdict on a cluster certificate, and refuses a missing one")]
    public void Callback_ignores_the_system_verdict_but_not_a_missing_certificate()
    {
        var callback = Validator.Callback;
        var member = _cluster.IssueNode("node-1");
        using var chain = new X509Chain();
        Assert.True(callback(member, chain, "peer", SslPolicyErrors.RemoteCertificateChainErrors, null!));
        Assert.False(callback(member, chain, "peer", SslPolicyErrors.RemoteCertificateNotAvailable, null!));
        Assert.False(callback(new TestCertificateAuthority("other").IssueNode("x"), chain, "peer", SslPolicyErrors.None, null!));
    }

    [Fact(DisplayName = "Validator: a validator without any CA cannot be made")]
    public void Validator_without_a_ca_cannot_be_made() =>
        Assert.Throws<ArgumentException>(() => new ClusterCertificateValidator([]));
}
