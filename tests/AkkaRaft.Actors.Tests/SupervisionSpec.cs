using AkkaRaft.Actors;

namespace AkkaRaft.Actors.Tests;

public sealed class SupervisionSpec
{
    private sealed record Make(string Name);

    private sealed record Fail(string How);

    /// <summary>A supervisor that creates children on request and supervises them with the strategy it is given.</summary>
    private sealed class Supervisor(SupervisorStrategy strategy, IActorRef probe) : ReceiveActor
    {
        private readonly SupervisorStrategy _strategy = strategy;
        private readonly IActorRef _probe = probe;

        protected override void PreStart()
        {
            Become(() =>
            {
                Receive<Make>(m => Sender.Tell(Context.ActorOf(Props.Create(() => new Child(_probe)), m.Name), Self));
                Receive<Fail>(f => throw new InvalidOperationException("supervisor " + f.How));
            });
        }

        protected override SupervisorStrategy SupervisorStrategy() => _strategy;

        protected override void PreRestart(Exception reason, object? message)
        {
            _probe.Tell("supervisor-restarting", Self);
            base.PreRestart(reason, message);
        }
    }

    /// <summary>Counts; fails with the exception type named in <see cref="Fail"/>.</summary>
    private sealed class Child : ReceiveActor
    {
        private int _count;

        public Child(IActorRef probe)
        {
            var name = Self.Path.Name;
            Receive<Fail>(f => f.How switch
            {
                "arg" => throw new ArgumentException(name),
                "state" => throw new InvalidOperationException(name),
                _ => throw new NotSupportedException(name),
            });
            Receive<string>(s => s == "inc", _ => Sender.Tell(name + ":" + ++_count, Self));
            Receive<string>(s => s == "start-grandchild", _ => Context.ActorOf(Props.Create(() => new LifecycleReporter(probe)), "grandchild"));
        }

        protected override void PostStop() => Context.System.EventStream.Publish(new ChildStopped(Self.Path.Name));

        protected override void PostRestart(Exception reason) => Context.System.EventStream.Publish(new ChildRestarted(Self.Path.Name));
    }

    private sealed record ChildStopped(string Name);

    private sealed record ChildRestarted(string Name);

    private static Directive Decide(Exception e) => e switch
    {
        ArgumentException => Directive.Resume,
        InvalidOperationException => Directive.Restart,
        NotSupportedException => Directive.Stop,
        _ => Directive.Escalate,
    };

    private static (TestKit.TestKit Kit, IActorRef Supervisor, IActorRef A, IActorRef B) Setup(Mode mode, SupervisorStrategy strategy)
    {
        var kit = Kits.Create(mode);
        var supervisor = kit.Sys.ActorOf(Props.Create(() => new Supervisor(strategy, kit.TestActor)), "sup");
        supervisor.Tell(new Make("a"), kit.TestActor);
        var a = kit.ExpectMsg<IActorRef>();
        supervisor.Tell(new Make("b"), kit.TestActor);
        var b = kit.ExpectMsg<IActorRef>();
        return (kit, supervisor, a, b);
    }

    [Theory]
    [InlineData(Mode.ThreadPool)]
    [InlineData(Mode.Simulation)]
    public void One_for_one_resume_keeps_the_state_of_the_failed_child(Mode mode)
    {
        var (kit, _, a, _) = Setup(mode, new OneForOneStrategy(Decide));
        using var _ = kit;
        a.Tell("inc", kit.TestActor);
        kit.ExpectMsg("a:1");
        a.Tell(new Fail("arg"), kit.TestActor);
        a.Tell("inc", kit.TestActor);
        kit.ExpectMsg("a:2");
    }

    [Theory]
    [InlineData(Mode.ThreadPool)]
    [InlineData(Mode.Simulation)]
    public void One_for_one_restart_resets_only_the_failed_child(Mode mode)
    {
        var (kit, _, a, b) = Setup(mode, new OneForOneStrategy(Decide));
        using var _ = kit;
        a.Tell("inc", kit.TestActor);
        kit.ExpectMsg("a:1");
        b.Tell("inc", kit.TestActor);
        kit.ExpectMsg("b:1");
        a.Tell(new Fail("state"), kit.TestActor);
        a.Tell("inc", kit.TestActor);
        kit.ExpectMsg("a:1");
        b.Tell("inc", kit.TestActor);
        kit.ExpectMsg("b:2");
    }

    [Theory]
    [InlineData(Mode.ThreadPool)]
    [InlineData(Mode.Simulation)]
    public void One_for_one_stop_stops_only_the_failed_child(Mode mode)
    {
        var (kit, _, a, b) = Setup(mode, new OneForOneStrategy(Decide));
        using var _ = kit;
        kit.Watch(a);
        a.Tell(new Fail("other"), kit.TestActor);
        kit.ExpectTerminated(a);
        b.Tell("inc", kit.TestActor);
        kit.ExpectMsg("b:1");
    }

    [Theory]
    [InlineData(Mode.ThreadPool)]
    [InlineData(Mode.Simulation)]
    public void All_for_one_restart_restarts_every_child(Mode mode)
    {
        var (kit, _, a, b) = Setup(mode, new AllForOneStrategy(Decide));
        using var _ = kit;
        var restarts = kit.CreateTestProbe();
        kit.Sys.EventStream.Subscribe(restarts.Ref, typeof(ChildRestarted));
        a.Tell("inc", kit.TestActor);
        kit.ExpectMsg("a:1");
        b.Tell("inc", kit.TestActor);
        kit.ExpectMsg("b:1");
        a.Tell(new Fail("state"), kit.TestActor);
        var restarted = new[] { restarts.ExpectMsg<ChildRestarted>().Name, restarts.ExpectMsg<ChildRestarted>().Name };
        Assert.Equal(["a", "b"], restarted.Order());
        b.Tell("inc", kit.TestActor);
        kit.ExpectMsg("b:1");
        a.Tell("inc", kit.TestActor);
        kit.ExpectMsg("a:1");
    }

    [Theory]
    [InlineData(Mode.ThreadPool)]
    [InlineData(Mode.Simulation)]
    public void All_for_one_stop_stops_every_child(Mode mode)
    {
        var (kit, _, a, b) = Setup(mode, new AllForOneStrategy(Decide));
        using var _ = kit;
        kit.Watch(a);
        var probe = kit.CreateTestProbe();
        probe.Watch(b);
        a.Tell(new Fail("other"), kit.TestActor);
        kit.ExpectTerminated(a);
        probe.ExpectTerminated(b);
    }

    [Theory]
    [InlineData(Mode.ThreadPool)]
    [InlineData(Mode.Simulation)]
    public void Escalate_fails_the_supervisor_whose_own_supervisor_restarts_it_and_its_children(Mode mode)
    {
        var (kit, supervisor, a, _) = Setup(mode, new OneForOneStrategy(_ => Directive.Escalate));
        using var _ = kit;
        kit.Watch(a);
        a.Tell(new Fail("state"), kit.TestActor);
        kit.ExpectMsg("supervisor-restarting");
        // The default PreRestart of the supervisor stops its children.
        kit.ExpectTerminated(a);
        supervisor.Tell(new Make("a"), kit.TestActor);
        var fresh = kit.ExpectMsg<IActorRef>();
        fresh.Tell("inc", kit.TestActor);
        kit.ExpectMsg("a:1");
    }

    [Theory]
    [InlineData(Mode.ThreadPool)]
    [InlineData(Mode.Simulation)]
    public void A_child_that_fails_more_often_than_the_retry_limit_is_stopped(Mode mode)
    {
        var (kit, _, a, _) = Setup(mode, new OneForOneStrategy(2, TimeSpan.FromMinutes(1), Decide));
        using var _ = kit;
        kit.Watch(a);
        a.Tell(new Fail("state"), kit.TestActor);
        a.Tell("inc", kit.TestActor);
        kit.ExpectMsg("a:1");
        a.Tell(new Fail("state"), kit.TestActor);
        a.Tell("inc", kit.TestActor);
        kit.ExpectMsg("a:1");
        a.Tell(new Fail("state"), kit.TestActor);
        kit.ExpectTerminated(a);
    }

    [Fact]
    public void Restarts_outside_the_retry_window_do_not_count_against_the_limit()
    {
        var (kit, _, a, _) = Setup(Mode.Simulation, new OneForOneStrategy(1, TimeSpan.FromSeconds(10), Decide));
        using var _ = kit;
        for (var i = 0; i < 3; i++)
        {
            a.Tell(new Fail("state"), kit.TestActor);
            a.Tell("inc", kit.TestActor);
            kit.ExpectMsg("a:1");
            kit.World!.Advance(TimeSpan.FromSeconds(11));
        }
    }

    [Theory]
    [InlineData(Mode.ThreadPool)]
    [InlineData(Mode.Simulation)]
    public void A_restarted_child_stops_its_own_children_in_the_default_pre_restart(Mode mode)
    {
        var (kit, _, a, _) = Setup(mode, new OneForOneStrategy(Decide));
        using var _ = kit;
        a.Tell("start-grandchild", kit.TestActor);
        kit.ExpectMsg("prestart");
        a.Tell(new Fail("state"), kit.TestActor);
        kit.ExpectMsg("poststop");
        a.Tell("inc", kit.TestActor);
        kit.ExpectMsg("a:1");
    }

    [Theory]
    [InlineData(Mode.ThreadPool)]
    [InlineData(Mode.Simulation)]
    public void Kill_makes_the_default_supervisor_stop_the_actor(Mode mode)
    {
        using var kit = Kits.Create(mode);
        var echo = kit.Sys.ActorOf(Props.Create<Echo>());
        kit.Watch(echo);
        echo.Tell(Kill.Instance, null);
        kit.ExpectTerminated(echo);
    }
}
