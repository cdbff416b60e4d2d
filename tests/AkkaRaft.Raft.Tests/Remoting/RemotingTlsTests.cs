using Akka.Actor;
using Akka.Remote;
using Akka.Remote.Transport.DotNetty;
using AkkaRaft.Raft.Remoting;
using AkkaRaft.TestSupport.Certificates;
using Xunit.Abstractions;

namespace AkkaRaft.Raft.Tests.Remoting;

/// <summary>
/// Mutual TLS between nodes on loopback, with a CA the test makes: members (certificates from the cluster CA) talk;
/// a system with another CA's certificate, a self-signed or an expired one, or without TLS, can neither deliver to a
/// member nor receive from it, whichever side dials. A member refusing an inbound outsider keeps running; a member
/// whose own outbound handshake fails is shut down by Akka.Remote 1.5.75.
/// </summary>
public sealed class RemotingTlsTests : Akka.TestKit.Xunit2.TestKit
{
    // Long enough for a loopback connect, a refused handshake and the drop that follows; a delivered message takes milliseconds.
    private static readonly TimeSpan NoDelivery = TimeSpan.FromSeconds(3);

    // Longest wait for something that must happen (an association error, a log line); shared machines can be slow.
    private static readonly TimeSpan EventWithin = TimeSpan.FromSeconds(15);

    private readonly TestCertificateAuthority _cluster = new("akkaraft-test-cluster-ca");
    private readonly List<ActorSystem> _systems = [];

    public RemotingTlsTests(ITestOutputHelper output)
        : base(RemotingTestKit.TestConfig, "remoting-tls-tests", output)
    {
    }

    [Fact(DisplayName = "TLS: two members with certificates from the cluster CA deliver to each other")]
    public void Members_with_certificates_from_the_cluster_ca_deliver_to_each_other()
    {
        var (a, aProbe) = StartWithSink("member-a", RemotingTestKit.Defaults().WithTls(_cluster, "member-a"));
        var (b, bProbe) = StartWithSink("member-b", RemotingTestKit.Defaults().WithTls(_cluster, "member-b"));
        Assert.Equal(RaftRemoting.TlsProtocol, a.BoundAddress().Protocol);

        a.RemoteRef(b.BoundAddress(), "sink").Tell(new TestBlob(1, [1, 2, 3]));
        Assert.Equal(1, bProbe.ExpectMsg<TestBlob>().Id);
        b.RemoteRef(a.BoundAddress(), "sink").Tell(new TestBlob(2, [4]));
        Assert.Equal(2, aProbe.ExpectMsg<TestBlob>().Id);
    }

    public static TheoryData<string> Outsiders() =>
        ["certificate from another CA", "self-signed certificate", "expired certificate from the cluster CA", "no TLS"];

    [Theory(DisplayName = "TLS: an outsider cannot deliver to a member; the member refuses it and keeps serving the cluster")]
    [MemberData(nameof(Outsiders))]
    public void Outsider_cannot_deliver_to_a_member(string outsiderKind)
    {
        var (member, memberProbe) = StartWithSink("member", RemotingTestKit.Defaults().WithTls(_cluster, "member"));
        var (witness, witnessProbe) = StartWithSink("witness", RemotingTestKit.Defaults().WithTls(_cluster, "witness"));
        var (outsider, _) = StartOutsider(outsiderKind);
        var memberWarnings = SubscribeWarnings(member);

        // The outsider addresses the member in its own scheme, so it really dials the member's port.
        AssertRefused(outsider, member.BoundAddress().WithProtocol(outsider.BoundAddress().Protocol), memberProbe);
        if (outsiderKind != "no TLS")
        {
            // The TLS outsiders accept any certificate, so the refusal is the member's: its cluster-CA validator.
            ExpectValidatorRefusal(memberWarnings, "CN=outsider");
        }

        // The member is unharmed: it still talks to its cluster both ways.
        Assert.False(member.WhenTerminated.IsCompleted, "the member shut down after refusing an outsider");
        witness.RemoteRef(member.BoundAddress(), "sink").Tell(new TestBlob(7, []));
        Assert.Equal(7, memberProbe.ExpectMsg<TestBlob>().Id);
        member.RemoteRef(witness.BoundAddress(), "sink").Tell(new TestBlob(8, []));
        Assert.Equal(8, witnessProbe.ExpectMsg<TestBlob>().Id);
    }

    [Theory(DisplayName = "TLS: a member cannot deliver to an outsider; Akka.Remote 1.5.75 then shuts the member's actor system down")]
    [MemberData(nameof(Outsiders))]
    public void Member_cannot_deliver_to_an_outsider_and_is_shut_down(string outsiderKind)
    {
        var (member, _) = StartWithSink("member", RemotingTestKit.Defaults().WithTls(_cluster, "member"));
        var (outsider, outsiderProbe) = StartOutsider(outsiderKind);
        var memberWarnings = SubscribeWarnings(member);

        member.RemoteRef(outsider.BoundAddress().WithProtocol(RaftRemoting.TlsProtocol), "sink").Tell(new TestBlob(666, [6, 6, 6]));
        if (outsiderKind != "no TLS")
        {
            ExpectValidatorRefusal(memberWarnings, "CN=outsider");
        }

        // The member's own outbound handshake failed (it refused the outsider's certificate, or the plain outsider
        // closed the connection on a TLS hello it cannot read), and Akka.Remote 1.5.75 answers any outbound TLS
        // handshake failure by running CoordinatedShutdown (TlsHandshakeFailureReason, exit code 79) on the dialler.
        AssertShutDownByTlsHandshakeFailure(member);
        outsiderProbe.ExpectNoMsg(TimeSpan.FromMilliseconds(500));
        Assert.False(outsider.WhenTerminated.IsCompleted, "the outsider shut down");
    }

    [Fact(DisplayName = "TLS: a member dialling a peer that is down (connection refused) keeps running and reaches the peer once it is up")]
    public void Member_dialling_a_peer_that_is_down_keeps_running()
    {
        var (member, _) = StartWithSink("member", RemotingTestKit.Defaults().WithTls(_cluster, "member"));
        var down = new Address(RaftRemoting.TlsProtocol, "down", "127.0.0.1", FreePort());
        var failures = CreateTestProbe(member);
        member.EventStream.Subscribe(failures.Ref, typeof(AssociationErrorEvent));
        member.RemoteRef(down, "sink").Tell(new TestBlob(1, []));
        failures.ExpectMsg<AssociationErrorEvent>(e => e.RemoteAddress.Equals(down), EventWithin);

        // Give a shutdown, had the failure started one, time to begin.
        ExpectNoMsg(TimeSpan.FromMilliseconds(500));
        Assert.False(member.WhenTerminated.IsCompleted, "a refused TCP connect shut the member down");

        var (peer, peerProbe) = StartWithSink("peer", RemotingTestKit.Defaults().WithTls(_cluster, "peer"));
        AwaitAssert(() =>
        {
            member.RemoteRef(peer.BoundAddress(), "sink").Tell(new TestBlob(2, []));
            Assert.Equal(2, peerProbe.ExpectMsg<TestBlob>(TimeSpan.FromMilliseconds(500)).Id);
        }, TimeSpan.FromSeconds(30), TimeSpan.FromMilliseconds(100));
    }

    [Fact(DisplayName = "TLS: with TLS on, a system created from AkkaConfig alone (without ActorSystemSetup's certificate and validator) fails to start")]
    public void Config_alone_with_tls_fails_to_start()
    {
        var settings = RemotingTestKit.Defaults().WithTls(_cluster, "member");
        var config = RaftRemoting.AkkaConfig(settings, "127.0.0.1", 0).WithFallback(RemotingTestKit.TestConfig);
        var failure = Record.Exception(() => Track(ActorSystem.Create("config-alone", config)));
        Assert.NotNull(failure);
        var innermost = failure;
        while (innermost.InnerException is not null)
        {
            innermost = innermost.InnerException;
        }

        Output?.WriteLine($"start failed as expected: {innermost.GetType().Name}: {innermost.Message}");
        Assert.Contains("certificate", innermost.Message, StringComparison.OrdinalIgnoreCase);
    }

    protected override void AfterAll()
    {
        foreach (var system in _systems)
        {
            Shutdown(system);
        }

        base.AfterAll();
    }

    private Akka.TestKit.TestProbe SubscribeWarnings(ActorSystem system)
    {
        var warnings = CreateTestProbe(system);
        system.EventStream.Subscribe(warnings.Ref, typeof(Akka.Event.Warning));
        return warnings;
    }

    /// <summary>The warning <see cref="ClusterCertificateValidator"/> logs when it refuses a peer's certificate.</summary>
    private void ExpectValidatorRefusal(Akka.TestKit.TestProbe warnings, string subject)
    {
        var refusal = warnings.FishForMessage<Akka.Event.Warning>(
            w => w.Message.ToString()!.StartsWith("Refused TLS peer", StringComparison.Ordinal), EventWithin);
        Assert.Contains(subject, refusal.Message.ToString());
        Output?.WriteLine(refusal.Message.ToString());
    }

    private void AssertShutDownByTlsHandshakeFailure(ActorSystem system)
    {
        AwaitCondition(() => system.WhenTerminated.IsCompleted, TimeSpan.FromSeconds(15), TimeSpan.FromMilliseconds(50),
            $"{system.Name} was expected to be shut down by Akka.Remote after its outbound TLS handshake failed");
        var reason = CoordinatedShutdown.Get(system).ShutdownReason;
        Assert.NotNull(reason);
        Assert.Equal("TlsHandshakeFailureReason", reason.GetType().Name);
    }

    /// <summary>
    /// A system outside the cluster with a sink. The TLS kinds (another CA's certificate, a self-signed one, or one the
    /// cluster CA issued that has expired, as a member's does when nobody renews it) run TLS with mutual
    /// authentication but accept any certificate themselves (suppress-validation), so whatever refuses a connection is
    /// the member; "no TLS" runs plain TCP.
    /// </summary>
    private (ActorSystem System, Akka.TestKit.TestProbe Probe) StartOutsider(string kind)
    {
        if (kind == "no TLS")
        {
            return StartWithSink("outsider", RemotingTestKit.Defaults());
        }

        var certificate = kind switch
        {
            "self-signed certificate" => TestCertificateAuthority.SelfSigned("outsider"),
            "expired certificate from the cluster CA" => _cluster.IssueNode("outsider",
                notBefore: DateTimeOffset.UtcNow.AddDays(-30), notAfter: DateTimeOffset.UtcNow.AddDays(-1)),
            _ => new TestCertificateAuthority("outsider-ca").IssueNode("outsider"),
        };
        var tlsOn = RemotingTestKit.Defaults().WithTls(_cluster, "unused");
        var config = RaftRemoting.AkkaConfig(tlsOn, "127.0.0.1", 0).WithFallback(RemotingTestKit.TestConfig);
        var system = Track(ActorSystem.Create("outsider", BootstrapSetup.Create().WithConfig(config)
            .And(new DotNettySslSetup(certificate, suppressValidation: true, requireMutualAuthentication: true))));
        var probe = CreateTestProbe(system);
        system.ActorOf(Relay.Props(probe.Ref), "sink");
        return (system, probe);
    }

    private static int FreePort()
    {
        using var listener = new System.Net.Sockets.TcpListener(System.Net.IPAddress.Loopback, 0);
        listener.Start();
        return ((System.Net.IPEndPoint)listener.LocalEndpoint).Port;
    }

    /// <summary>
    /// <paramref name="from"/> tries to deliver to the sink at <paramref name="to"/>: the connection attempt is made and
    /// fails (an <see cref="AssociationErrorEvent"/> on the sender's event stream), and nothing reaches the sink.
    /// </summary>
    private void AssertRefused(ActorSystem from, Address to, Akka.TestKit.TestProbe sinkProbe)
    {
        var failures = CreateTestProbe(from);
        from.EventStream.Subscribe(failures.Ref, typeof(AssociationErrorEvent));
        from.RemoteRef(to, "sink").Tell(new TestBlob(666, [6, 6, 6]));
        // The dial ends one of two ways. Usually the dialler finishes its side of the TLS handshake (TLS 1.3 lets the
        // client finish before the server has checked its certificate), the member drops the connection, and the
        // association fails (AssociationErrorEvent; the handshake timeout is 2 s, so a hung dial ends that way too).
        // If the member's refusal reaches the dialler inside its handshake, the handshake fails, and Akka.Remote 1.5.75
        // shuts the dialler down for it, as it does a member that refuses an outsider (the theory below). CI21 saw
        // neither event within 15 s for the self-signed outsider, which only a shut-down dialler explains (it publishes
        // nothing more); this path was not seen locally, so which way each dial ended is printed.
        AwaitCondition(() => failures.HasMessages || from.WhenTerminated.IsCompleted, EventWithin, TimeSpan.FromMilliseconds(50),
            $"{from.Name}'s dial of {to} neither failed its association nor shut {from.Name} down");
        if (failures.HasMessages)
        {
            var error = failures.ExpectMsg<AssociationErrorEvent>(e => e.RemoteAddress.Equals(to));
            Output?.WriteLine($"{from.Name} -> {to}: association failed: {error.Cause?.GetType().Name}: {error.Cause?.Message}");
            from.EventStream.Unsubscribe(failures.Ref);
        }
        else
        {
            AssertShutDownByTlsHandshakeFailure(from);
            Output?.WriteLine($"{from.Name} -> {to}: its TLS handshake failed and Akka.Remote shut {from.Name} down");
        }

        sinkProbe.ExpectNoMsg(NoDelivery);
    }

    private (ActorSystem System, Akka.TestKit.TestProbe Probe) StartWithSink(string name, RemotingSettings settings)
    {
        var system = Track(RemotingTestKit.Start(name, settings));
        var probe = CreateTestProbe(system);
        system.ActorOf(Relay.Props(probe.Ref), "sink");
        return (system, probe);
    }

    private ActorSystem Track(ActorSystem system)
    {
        _systems.Add(system);
        return system;
    }
}
