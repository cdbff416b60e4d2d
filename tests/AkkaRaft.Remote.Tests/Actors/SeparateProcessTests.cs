using System.Diagnostics;
using AkkaRaft.Actors;
using AkkaRaft.Remote.Actors;
using AkkaRaft.Remote.TestHost;
using AkkaRaft.Remote.TestHost.Messages;
using AkkaRaft.Remote.Tests.Transport;

namespace AkkaRaft.Remote.Tests.Actors;

public sealed class SeparateProcessTests : IDisposable
{
    private static readonly TimeSpan Within = TimeSpan.FromSeconds(15);
    private readonly RemoteSystems _systems = new();
    private readonly List<Process> _children = [];

    public void Dispose()
    {
        foreach (var child in _children)
        {
            if (!child.HasExited) child.Kill(entireProcessTree: true);
            child.Dispose();
        }
        _systems.Dispose();
    }

    [Fact]
    public async Task A_remote_actor_in_another_process_answers_in_order_is_reported_dead_when_killed_and_is_reached_again_after_restart()
    {
        var (a, aRemote, _) = _systems.Start("a");
        var (child, address) = await StartChildAsync("peer", port: 0);
        var echo = a.ResolveActorRef($"{address}/user/echo");

        // Tell and ask, with the reply coming back to the asking ref.
        Assert.Equal("first", (await echo.Ask<Pong>(new Ping { Seq = 1, Text = "first" }, Within)).Text);

        // Ordering between one sender and one receiver across the process boundary.
        var probe = new AkkaRaft.TestKit.TestKit(a).CreateTestProbe();
        for (var i = 0; i < 1000; i++) probe.Send(echo, new Ping { Seq = i });
        for (var i = 0; i < 1000; i++) Assert.Equal(i, probe.ExpectMsg<Pong>(Within).Seq);

        // Death watch: the peer process is killed, so only the failure detector can notice.
        probe.Watch(echo);
        probe.Send(echo, new Ping { Seq = -1 });
        probe.ExpectMsg<Pong>(Within);
        child.Kill(entireProcessTree: true);
        await child.WaitForExitAsync();
        var terminated = probe.ExpectTerminated(echo, Within);
        Assert.True(terminated.AddressTerminated);

        // The peer comes back on the same port; the next messages reach the new process.
        var (_, restartedAddress) = await StartChildAsync("peer", port: address.Port!.Value);
        Assert.Equal(address, restartedAddress);
        var pong = await RemoteActorTests.AskUntilAnsweredAsync(echo, new Ping { Seq = 42, Text = "again" });
        Assert.Equal("again", pong.Text);
        Assert.True(aRemote.Transport.Metrics.ConnectionsDialled >= 2);
    }

    private async Task<(Process Child, Address Address)> StartChildAsync(string system, int port)
    {
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
        start.ArgumentList.Add(port.ToString(System.Globalization.CultureInfo.InvariantCulture));
        start.ArgumentList.Add("test-secret");
        var child = Process.Start(start) ?? throw new InvalidOperationException($"could not start {hostDll}");
        _children.Add(child);
        child.ErrorDataReceived += (_, _) => { };
        child.BeginErrorReadLine();
        using var cts = new CancellationTokenSource(TestLimits.Generous);
        while (true)
        {
            var line = await child.StandardOutput.ReadLineAsync(cts.Token)
                ?? throw new InvalidOperationException($"the test host exited with code {(child.WaitForExit(1000) ? child.ExitCode : -1)} before it was ready");
            if (line.StartsWith("READY ", StringComparison.Ordinal)) return (child, Address.Parse(line["READY ".Length..]));
        }
    }
}
