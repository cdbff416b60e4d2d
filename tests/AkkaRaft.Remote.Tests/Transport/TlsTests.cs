using AkkaRaft.Remote.Transport;

namespace AkkaRaft.Remote.Tests.Transport;

public sealed class TlsTests
{
    [Fact]
    public async Task Systems_with_certificates_from_the_cluster_authority_exchange_messages_over_tls()
    {
        var ca = new TestCertificates("cluster-ca");
        var (a, aHandler, _) = Transports.Start("a", Transports.Loopback() with { Tls = ca.TlsFor("a") });
        var (b, bHandler, _) = Transports.Start("b", Transports.Loopback() with { Tls = ca.TlsFor("b") });
        await using var _a = a;
        await using var _b = b;
        bHandler.OnEnvelope = (from, frame) => b.TrySend(from, Transports.Envelope("/user/r", "re:" + frame.Envelope.Payload.ToStringUtf8()));

        a.TrySend(b.Address, Transports.Envelope("/user/x", "over tls"));

        Assert.Equal("re:over tls", (await aHandler.NextAsync()).Frame.Envelope.Payload.ToStringUtf8());
    }

    [Fact]
    public async Task A_system_whose_certificate_comes_from_another_authority_is_refused()
    {
        var ca = new TestCertificates("cluster-ca");
        var rogue = new TestCertificates("rogue-ca");
        // The intruder trusts our authority, so only our side's validation of *its* certificate can stop it.
        var intruderTls = new RemoteTlsSettings(rogue.Issue("intruder"), [ca.Authority]);
        var (intruder, _, _) = Transports.Start("a", Transports.Loopback() with { Tls = intruderTls });
        var (b, bHandler, _) = Transports.Start("b", Transports.Loopback() with { Tls = ca.TlsFor("b") });
        await using var _i = intruder;
        await using var _b = b;

        intruder.TrySend(b.Address, Transports.Envelope("/user/x", "let me in"));

        await TestLimits.EventuallyAsync(() => b.Metrics.Closed(CloseReason.TlsFailed) >= 1, "b refuses the rogue certificate");
        Assert.Equal(0, b.Metrics.FramesReceived);
        Assert.False(bHandler.Frames.Reader.TryRead(out _));
    }

    [Fact]
    public async Task A_plain_tcp_system_cannot_talk_to_a_tls_system()
    {
        var ca = new TestCertificates("cluster-ca");
        var (plain, _, _) = Transports.Start("a");
        var (b, bHandler, _) = Transports.Start("b", Transports.Loopback() with { Tls = ca.TlsFor("b") });
        await using var _p = plain;
        await using var _b = b;

        plain.TrySend(b.Address, Transports.Envelope("/user/x", "plaintext"));

        await TestLimits.EventuallyAsync(() => b.Metrics.Closed(CloseReason.TlsFailed) >= 1, "b refuses a client without TLS");
        Assert.Equal(0, b.Metrics.FramesReceived);
    }
}
