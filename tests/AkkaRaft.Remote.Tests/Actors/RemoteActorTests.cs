using AkkaRaft.Actors;
using AkkaRaft.Remote.Actors;
using AkkaRaft.Remote.TestHost;
using AkkaRaft.Remote.TestHost.Messages;
using AkkaRaft.Remote.Tests.Transport;

namespace AkkaRaft.Remote.Tests.Actors;

public sealed class RemoteActorTests : IDisposable
{
    private static readonly TimeSpan Within = TimeSpan.FromSeconds(15);
    private readonly RemoteSystems _systems = new();

    public void Dispose() => _systems.Dispose();

    [Fact]
    public void A_message_told_to_a_remote_actor_is_answered_to_the_original_sender()
    {
        var (a, _, _) = _systems.Start("a");
        var (b, bRemote, _) = _systems.Start("b");
        b.ActorOf(Props.Create(() => new EchoActor()), "echo");
        var probe = new AkkaRaft.TestKit.TestKit(a).CreateTestProbe();

        var echo = a.ResolveActorRef($"{bRemote.Address}/user/echo");
        probe.Send(echo, new Ping { Seq = 1, Text = "hello" });

        var pong = probe.ExpectMsg<Pong>(Within);
        Assert.Equal("hello", pong.Text);
        Assert.IsType<RemoteActorRef>(echo);
        Assert.Equal(echo.Path, probe.LastSender!.Path);
    }

    [Fact]
    public async Task Ask_on_a_remote_actor_completes_with_its_reply()
    {
        var (a, _, _) = _systems.Start("a");
        var (b, bRemote, _) = _systems.Start("b");
        b.ActorOf(Props.Create(() => new EchoActor()), "echo");

        var echo = a.ResolveActorRef($"{bRemote.Address}/user/echo");
        var pong = await echo.Ask<Pong>(new Ping { Seq = 7, Text = "ask" }, Within);

        Assert.Equal(7, pong.Seq);
    }

    [Fact]
    public void Messages_from_one_sender_to_one_remote_receiver_arrive_in_order()
    {
        var (a, _, _) = _systems.Start("a");
        var (b, bRemote, _) = _systems.Start("b");
        b.ActorOf(Props.Create(() => new EchoActor()), "echo");
        var probe = new AkkaRaft.TestKit.TestKit(a).CreateTestProbe();
        var echo = a.ResolveActorRef($"{bRemote.Address}/user/echo");

        for (var i = 0; i < 2000; i++) probe.Send(echo, new Ping { Seq = i });

        for (var i = 0; i < 2000; i++) Assert.Equal(i, probe.ExpectMsg<Pong>(Within).Seq);
    }

    [Fact]
    public void A_reply_crosses_three_systems_back_to_the_original_sender()
    {
        var (a, _, _) = _systems.Start("a");
        var (b, bRemote, _) = _systems.Start("b");
        var (c, cRemote, _) = _systems.Start("c");
        c.ActorOf(Props.Create(() => new EchoActor()), "echo");
        var echoOnC = b.ResolveActorRef($"{cRemote.Address}/user/echo");
        b.ActorOf(Props.Create(() => new ForwardingActor(echoOnC)), "forward");
        var probe = new AkkaRaft.TestKit.TestKit(a).CreateTestProbe();

        probe.Send(a.ResolveActorRef($"{bRemote.Address}/user/forward"), new Ping { Seq = 3, Text = "via b" });

        Assert.Equal("via b", probe.ExpectMsg<Pong>(Within).Text);
        Assert.Equal(echoOnC.Path, probe.LastSender!.Path);
    }

    [Fact]
    public void Watching_a_remote_actor_that_stops_delivers_Terminated()
    {
        var (a, _, _) = _systems.Start("a");
        var (b, bRemote, _) = _systems.Start("b");
        var victim = b.ActorOf(Props.Create(() => new EchoActor()), "victim");
        var probe = new AkkaRaft.TestKit.TestKit(a).CreateTestProbe();
        var remoteVictim = a.ResolveActorRef($"{bRemote.Address}/user/victim");
        probe.Send(remoteVictim, new Ping { Seq = 1 });
        probe.ExpectMsg<Pong>(Within);

        a.ActorOf(Props.Create(() => new WatchingActor(remoteVictim, probe.Ref)));
        Assert.Equal("watch barrier", probe.ExpectMsg<Pong>(Within).Text);
        b.Stop(victim);

        var terminated = probe.ExpectMsg<Terminated>(Within);
        Assert.Equal(remoteVictim, terminated.ActorRef);
        Assert.True(terminated.ExistenceConfirmed);
        Assert.False(terminated.AddressTerminated);
    }

    [Fact]
    public void Watching_a_remote_actor_that_does_not_exist_delivers_Terminated_without_existence()
    {
        var (a, _, _) = _systems.Start("a");
        var (_, bRemote, _) = _systems.Start("b");
        var probe = new AkkaRaft.TestKit.TestKit(a).CreateTestProbe();
        var ghost = a.ResolveActorRef($"{bRemote.Address}/user/ghost");

        probe.Watch(ghost);

        Assert.False(probe.ExpectTerminated(ghost, Within).ExistenceConfirmed);
    }

    [Fact]
    public async Task Watching_an_actor_of_a_system_that_goes_silent_delivers_Terminated_and_AddressTerminated()
    {
        var (a, aRemote, _) = _systems.Start("a", RemoteSystems.QuickDetector());
        var (b, bRemote, _) = _systems.Start("b");
        b.ActorOf(Props.Create(() => new EchoActor()), "echo");
        var probe = new AkkaRaft.TestKit.TestKit(a).CreateTestProbe();
        var addressTerminated = new TaskCompletionSource<AddressTerminated>(TaskCreationOptions.RunContinuationsAsynchronously);
        a.EventStream.Subscribe<AddressTerminated>(e => addressTerminated.TrySetResult(e));
        var echo = a.ResolveActorRef($"{bRemote.Address}/user/echo");
        a.ActorOf(Props.Create(() => new WatchingActor(echo, probe.Ref)));
        probe.ExpectMsg<Pong>(Within);

        // b's remoting stops without its actors stopping: to a, b is simply gone (as after a crash or a partition).
        await bRemote.DisposeAsync();

        var terminated = probe.ExpectMsg<Terminated>(Within);
        Assert.Equal(echo, terminated.ActorRef);
        Assert.True(terminated.AddressTerminated);
        Assert.Equal(bRemote.Address, (await addressTerminated.Task.WaitAsync(Within)).Address);
        Assert.Equal(1, aRemote.Transport.Metrics.ConnectionsDialled);
    }

    [Fact]
    public async Task An_unknown_manifest_closes_only_that_connection_and_the_next_messages_flow()
    {
        var (a, _, _) = _systems.Start("a", serialization: RemoteSystems.Serialization(withUnregistered: true));
        var (b, bRemote, bLog) = _systems.Start("b");
        b.ActorOf(Props.Create(() => new EchoActor()), "echo");
        var echo = a.ResolveActorRef($"{bRemote.Address}/user/echo");
        await echo.Ask<Pong>(new Ping { Seq = 0 }, Within);

        echo.Tell(new Unregistered { Text = "b cannot decode this" }, null);

        await TestLimits.EventuallyAsync(() => bRemote.Transport.Metrics.Closed(CloseReason.UnknownMessage) == 1, "b closes the connection");
        Assert.Contains(bLog.Lines, l => l.Contains("UnknownMessage") && l.Contains("akkaraft.remote.tests.Unregistered"));
        var pong = await AskUntilAnsweredAsync(echo, new Ping { Seq = 9 });
        Assert.Equal(9, pong.Seq);
    }

    [Fact]
    public async Task An_unknown_serializer_id_closes_only_that_connection_with_its_reason_counted()
    {
        var (b, bRemote, bLog) = _systems.Start("b");
        b.ActorOf(Props.Create(() => new EchoActor()), "echo");
        // A bare transport stands in for a system whose serializers b does not have.
        var (stranger, _, _) = Transports.Start("stranger");
        await using var _s = stranger;

        stranger.TrySend(bRemote.Transport.Address, new Wire.Frame
        {
            Envelope = new Wire.Envelope
            {
                Recipient = $"{bRemote.Address}/user/echo", SerializerId = 99, Manifest = "whatever",
                Payload = Google.Protobuf.ByteString.CopyFromUtf8("?"),
            },
        });

        await TestLimits.EventuallyAsync(() => bRemote.Transport.Metrics.Closed(CloseReason.UnknownMessage) == 1, "b closes the stranger's connection");
        Assert.Contains(bLog.Lines, l => l.Contains("No serializer with identifier 99"));
        var (a, _, _) = _systems.Start("a");
        Assert.Equal(4, (await a.ResolveActorRef($"{bRemote.Address}/user/echo").Ask<Pong>(new Ping { Seq = 4 }, Within)).Seq);
    }

    [Fact]
    public async Task Remote_actors_talk_over_mutual_tls()
    {
        var ca = new TestCertificates("cluster-ca");
        var (a, _, _) = _systems.Start("a", RemoteSystems.Fast() with { Tls = ca.TlsFor("a") });
        var (b, bRemote, _) = _systems.Start("b", RemoteSystems.Fast() with { Tls = ca.TlsFor("b") });
        b.ActorOf(Props.Create(() => new EchoActor()), "echo");

        var pong = await a.ResolveActorRef($"{bRemote.Address}/user/echo").Ask<Pong>(new Ping { Seq = 5, Text = "tls" }, Within);

        Assert.Equal("tls", pong.Text);
    }

    [Fact]
    public async Task An_ask_to_a_system_with_another_secret_times_out_and_the_refusal_is_counted()
    {
        var (a, _, _) = _systems.Start("a", RemoteSystems.Fast("mine"));
        var (b, bRemote, _) = _systems.Start("b", RemoteSystems.Fast("theirs"));
        b.ActorOf(Props.Create(() => new EchoActor()), "echo");

        await Assert.ThrowsAsync<AskTimeoutException>(() =>
            a.ResolveActorRef($"{bRemote.Address}/user/echo").Ask<Pong>(new Ping { Seq = 1 }, TimeSpan.FromSeconds(1)));

        Assert.True(bRemote.Transport.Metrics.Closed(CloseReason.HandshakeFailed) >= 1);
        Assert.Equal(0, bRemote.Transport.Metrics.FramesReceived);
    }

    /// <summary>
    /// Remoting delivers at most once: a message written into a connection that is being torn down is lost, so after
    /// a disconnect the test asks again (briefly) until the new connection answers.
    /// </summary>
    internal static async Task<Pong> AskUntilAnsweredAsync(IActorRef target, Ping ping)
    {
        using var overall = new CancellationTokenSource(TestLimits.Generous);
        while (true)
        {
            try
            {
                return await target.Ask<Pong>(ping, TimeSpan.FromMilliseconds(500));
            }
            catch (AskTimeoutException) when (!overall.IsCancellationRequested)
            {
                // Try again on the re-established connection.
            }
        }
    }
}
