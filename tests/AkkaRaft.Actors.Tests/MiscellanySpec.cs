using AkkaRaft.Actors;

namespace AkkaRaft.Actors.Tests;

public sealed class MiscellanySpec
{
    private sealed class Greeter(string greeting) : ReceiveActor
    {
        private readonly string _greeting = greeting;

        protected override void PreStart() => Become(() => Receive<string>(name => Sender.Tell(_greeting + " " + name, Self)));
    }

    [Theory]
    [InlineData(Mode.ThreadPool)]
    [InlineData(Mode.Simulation)]
    public void Props_created_from_a_type_and_arguments_construct_the_actor(Mode mode)
    {
        using var kit = Kits.Create(mode);
        var greeter = kit.Sys.ActorOf(Props.Create(typeof(Greeter), "hello"));
        greeter.Tell("world", kit.TestActor);
        kit.ExpectMsg("hello world");
        Assert.Throws<ArgumentException>(() => Props.Create(typeof(string)));
    }

    [Theory]
    [InlineData(Mode.ThreadPool)]
    [InlineData(Mode.Simulation)]
    public void An_unsubscribed_actor_no_longer_receives_events(Mode mode)
    {
        using var kit = Kits.Create(mode);
        Assert.True(kit.Sys.EventStream.Subscribe(kit.TestActor, typeof(string)));
        Assert.False(kit.Sys.EventStream.Subscribe(kit.TestActor, typeof(string)));
        kit.Sys.EventStream.Publish("first");
        kit.ExpectMsg("first");
        Assert.True(kit.Sys.EventStream.Unsubscribe(kit.TestActor, typeof(string)));
        kit.Sys.EventStream.Publish("second");
        kit.ExpectNoMsg(TimeSpan.FromMilliseconds(100));
    }

    [Theory]
    [InlineData(Mode.ThreadPool)]
    [InlineData(Mode.Simulation)]
    public void System_actors_live_under_the_system_guardian(Mode mode)
    {
        using var kit = Kits.Create(mode);
        var endpoint = kit.Sys.SystemActorOf(Props.Create<Echo>(), "endpoint");
        Assert.Equal("akkaraft://test/system/endpoint", endpoint.Path.ToString());
        Assert.Same(endpoint, kit.Sys.ResolveActorRef("akkaraft://test/system/endpoint"));
        endpoint.Tell(new Ping(1), kit.TestActor);
        kit.ExpectMsg(new Pong(1));
    }

    [Fact]
    public void Messages_that_do_not_influence_the_receive_timeout_let_it_fire()
    {
        using var kit = Kits.Create(Mode.Simulation);
        var actor = kit.Sys.ActorOf(Props.Create(() => new TimeoutWatcher(kit.TestActor)));
        kit.World!.Advance(TimeSpan.FromSeconds(0.5));
        actor.Tell(new Quiet(), null);
        kit.World.Advance(TimeSpan.FromSeconds(0.6));
        kit.ExpectMsg("timeout", TimeSpan.Zero);
        Assert.Equal(TimeSpan.FromSeconds(1.1), kit.World.Now);
    }

    [Fact]
    public void Ordinary_messages_restart_the_receive_timeout()
    {
        using var kit = Kits.Create(Mode.Simulation);
        var actor = kit.Sys.ActorOf(Props.Create(() => new TimeoutWatcher(kit.TestActor)));
        kit.World!.Advance(TimeSpan.FromSeconds(0.5));
        actor.Tell("noise", null);
        kit.World.Advance(TimeSpan.FromSeconds(0.6));
        kit.ExpectNoMsg(TimeSpan.Zero);
        kit.ExpectMsg("timeout", TimeSpan.FromSeconds(1));
    }

    private sealed record Quiet : INotInfluenceReceiveTimeout;

    private sealed class TimeoutWatcher : ReceiveActor
    {
        public TimeoutWatcher(IActorRef probe)
        {
            SetReceiveTimeout(TimeSpan.FromSeconds(1));
            Receive<ReceiveTimeout>(_ =>
            {
                SetReceiveTimeout(null);
                probe.Tell("timeout", Self);
            });
            ReceiveAny(_ => { });
        }
    }

    [Fact]
    public void Tell_inside_an_actor_uses_the_actor_as_implicit_sender()
    {
        using var kit = Kits.Create(Mode.Simulation);
        var echo = kit.Sys.ActorOf(Props.Create<Echo>());
        var relay = kit.Sys.ActorOf(Props.Create(() => new ImplicitSender(echo, kit.TestActor)));
        relay.Tell("go", null);
        kit.ExpectMsg(new Pong(1));
        Assert.Equal(echo, kit.LastSender);
    }

    private sealed class ImplicitSender : ReceiveActor
    {
        public ImplicitSender(IActorRef echo, IActorRef probe)
        {
            Receive<string>(_ => echo.Tell(new Ping(1)));
            Receive<Pong>(p => probe.Forward(p));
        }
    }

    [Theory]
    [InlineData(Mode.ThreadPool)]
    [InlineData(Mode.Simulation)]
    public void The_scheduler_rejects_negative_and_absurdly_long_delays_and_still_fires_after_a_long_one(Mode mode)
    {
        using var kit = Kits.Create(mode);
        var scheduler = kit.Sys.Scheduler;
        Assert.Throws<ArgumentOutOfRangeException>(() => scheduler.ScheduleTellOnce(TimeSpan.FromSeconds(-1), kit.TestActor, "x", null));
        Assert.Throws<ArgumentOutOfRangeException>(() => scheduler.ScheduleTellOnce(TimeSpan.MaxValue, kit.TestActor, "x", null));
        Assert.Throws<ArgumentOutOfRangeException>(() => scheduler.ScheduleTellRepeatedly(TimeSpan.Zero, TimeSpan.Zero, kit.TestActor, "x", null));
        // A delay longer than Monitor.Wait accepts must not break the scheduler's thread.
        var far = scheduler.ScheduleTellOnce(TimeSpan.FromDays(300), kit.TestActor, "far", null);
        scheduler.ScheduleTellOnce(TimeSpan.FromMilliseconds(20), kit.TestActor, "near", null);
        kit.ExpectMsg("near");
        far.Cancel();
        Assert.True(far.IsCancellationRequested);
    }
}
