using System.Diagnostics;
using System.Security.Cryptography.X509Certificates;
using AkkaRaft.Actors;
using AkkaRaft.Remote.TestHost;
using AkkaRaft.Remote.TestHost.Messages;
using AkkaRaft.Remote.Tests.Transport;

namespace AkkaRaft.Remote.Tests.Actors;

/// <summary>The other actor system runs in its own process (AkkaRaft.Remote.TestHost), configured by a HOCON file.</summary>
public sealed class SeparateProcessTests : IDisposable
{
    private static readonly TimeSpan Within = TimeSpan.FromSeconds(15);
    private readonly RemoteSystems _systems = new();
    private readonly List<Process> _children = [];
    private readonly string _root = Directory.CreateTempSubdirectory("akkaraft-remote-proc-").FullName;

    public void Dispose()
    {
        foreach (var child in _children)
        {
            if (!child.HasExited) child.Kill(entireProcessTree: true);
            child.WaitForExit();
            child.Dispose();
        }
        _systems.Dispose();
        Directory.Delete(_root, recursive: true);
    }

    [Fact]
    public async Task A_remote_actor_in_another_process_answers_in_order_is_reported_dead_when_killed_and_is_reached_again_after_restart()
    {
        var (a, aRemote, _) = _systems.Start("a", RemoteSystems.QuickDetector());
        var (child, address) = await StartChildAsync("peer", "akkaraft.remote { port = 0, cluster-secret = test-secret }");
        var echo = a.ResolveActorRef($"{address}/user/echo");

        // Tell and ask, with the reply coming back to the asking ref.
        Assert.Equal("first", (await echo.Ask<Pong>(new Ping { Seq = 1, Text = "first" }, Within)).Text);

        // Ordering between one sender and one receiver across the process boundary.
        var probe = new AkkaRaft.TestKit.TestKit(a).CreateTestProbe();
        for (var i = 0; i < 1000; i++) probe.Send(echo, new Ping { Seq = i });
        for (var i = 0; i < 1000; i++) Assert.Equal(i, probe.ExpectMsg<Pong>(Within).Seq);

        // Death watch: the peer process is killed, so only the failure detector can notice.
        a.ActorOf(Props.Create(() => new WatchingActor(echo, probe.Ref)));
        Assert.Equal("watch barrier", probe.ExpectMsg<Pong>(Within).Text);
        child.Kill(entireProcessTree: true);
        await child.WaitForExitAsync();
        var terminated = probe.ExpectMsg<Terminated>(Within);
        Assert.Equal(echo, terminated.ActorRef);
        Assert.True(terminated.AddressTerminated);

        // The peer comes back on the same port; the next messages reach the new process.
        var (_, restartedAddress) = await StartChildAsync("peer", $"akkaraft.remote {{ port = {address.Port}, cluster-secret = test-secret }}");
        Assert.Equal(address, restartedAddress);
        var pong = await RemoteActorTests.AskUntilAnsweredAsync(echo, new Ping { Seq = 42, Text = "again" });
        Assert.Equal("again", pong.Text);
        Assert.True(aRemote.Transport.Metrics.ConnectionsDialled >= 2);
    }

    [Fact]
    public async Task A_tls_peer_process_answers_refuses_another_secret_and_receives_a_200_MB_snapshot_resumed_after_a_cut()
    {
        var ca = new TestCertificates("cluster-ca");
        var certificatePath = Path.Combine(_root, "peer.pfx");
        await File.WriteAllBytesAsync(certificatePath, ca.Issue("peer").Export(X509ContentType.Pkcs12, "pfx-password"));
        var trustedPath = Path.Combine(_root, "ca.pem");
        await File.WriteAllTextAsync(trustedPath, ca.Authority.ExportCertificatePem());
        var inbox = Path.Combine(_root, "inbox");
        var (_, address) = await StartChildAsync("peer", $$"""
            akkaraft.remote {
              port = 0
              cluster-secret = test-secret
              tls { enabled = on, certificate-path = "{{certificatePath}}", certificate-password = pfx-password, trusted-certificates-path = "{{trustedPath}}" }
            }
            """, inbox);

        // TLS with the right secret: answered.
        var (a, aRemote, _) = _systems.Start("a", RemoteSystems.Fast() with { Tls = ca.TlsFor("a") });
        var echo = a.ResolveActorRef($"{address}/user/echo");
        Assert.Equal("tls", (await echo.Ask<Pong>(new Ping { Seq = 1, Text = "tls" }, Within)).Text);

        // TLS with a valid certificate but another secret: refused in the handshake.
        var (x, xRemote, _) = _systems.Start("x", RemoteSystems.Fast("another-secret") with { Tls = ca.TlsFor("x") });
        await Assert.ThrowsAsync<AskTimeoutException>(() =>
            x.ResolveActorRef($"{address}/user/echo").Ask<Pong>(new Ping { Seq = 1 }, TimeSpan.FromSeconds(1)));
        Assert.True(xRemote.Transport.Metrics.Closed(CloseReason.HandshakeFailed) >= 1);

        // A 200 MB snapshot, cut after 80 MB by the network, resumed by calling again.
        const long length = 200L * 1024 * 1024;
        var source = BulkTransferTests.CreateFile(Path.Combine(_root, "source.snapshot"), length, seed: 11);
        await using var cut = new CuttingProxy(address.Port!.Value, cutAfterBytes: 80L * 1024 * 1024);
        var viaProxy = new RemoteAddress(address.System, address.Host!, cut.Port);
        await Assert.ThrowsAsync<IOException>(() => aRemote.Transport.SendFileAsync(viaProxy, source, "snapshot-7"));

        var result = await aRemote.Transport.SendFileAsync(viaProxy, source, "snapshot-7");

        Assert.InRange(result.ResumedFromOffset, 1, 80L * 1024 * 1024);
        Assert.Equal(BulkTransferTests.Sha256(source), BulkTransferTests.Sha256(Path.Combine(inbox, "snapshot-7")));
        File.Delete(source);
    }

    private async Task<(Process Child, Address Address)> StartChildAsync(string system, string config, string? bulkDirectory = null)
    {
        var configPath = Path.Combine(_root, $"child-{_children.Count}.conf");
        await File.WriteAllTextAsync(configPath, config);
        var hostDll = typeof(EchoActor).Assembly.Location;
        var dotnet = Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") is { Length: > 0 } host ? host : "dotnet";
        var start = new ProcessStartInfo(dotnet)
        {
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        start.ArgumentList.Add("exec");
        start.ArgumentList.Add(hostDll);
        start.ArgumentList.Add(system);
        start.ArgumentList.Add(configPath);
        if (bulkDirectory is not null) start.ArgumentList.Add(bulkDirectory);
        var child = Process.Start(start) ?? throw new InvalidOperationException($"could not start {hostDll}");
        _children.Add(child);
        var errors = new System.Collections.Concurrent.ConcurrentQueue<string>();
        child.ErrorDataReceived += (_, e) => { if (e.Data is not null) errors.Enqueue(e.Data); };
        child.BeginErrorReadLine();
        using var cts = new CancellationTokenSource(TestLimits.Generous);
        while (true)
        {
            var line = await child.StandardOutput.ReadLineAsync(cts.Token);
            if (line is null)
            {
                await child.WaitForExitAsync(cts.Token);
                throw new InvalidOperationException($"the test host exited with code {child.ExitCode} before it was ready: {string.Join(" | ", errors)}");
            }
            if (line.StartsWith("READY ", StringComparison.Ordinal)) return (child, Address.Parse(line["READY ".Length..]));
        }
    }
}
