using AkkaRaft.Actors;
using AkkaRaft.TestKit;

namespace AkkaRaft.Actors.Tests;

public sealed class ActorBasicsSpec
{
    [Theory]
    [InlineData(Mode.ThreadPool)]
    [InlineData(Mode.Simulation)]
    public void An_actor_replies_to_the_sender_of_a_message(Mode mode)
    {
        using var kit = Kits.Create(mode);
        var echo = kit.Sys.ActorOf(Props.Create<Echo>(), "echo");
        echo.Tell(new Ping(1), kit.TestActor);
        kit.ExpectMsg(new Pong(1));
        Assert.Equal(echo, kit.LastSender);
    }

    [Theory]
    [InlineData(Mode.ThreadPool)]
    [InlineData(Mode.Simulation)]
    public void Messages_from_one_sender_arrive_in_the_order_they_were_sent(Mode mode)
    {
        using var kit = Kits.Create(mode);
        var echo = kit.Sys.ActorOf(Props.Create<Echo>());
        for (var i = 0; i < 500; i++) echo.Tell(new Ping(i), kit.TestActor);
        for (var i = 0; i < 500; i++) kit.ExpectMsg(new Pong(i));
    }

    [Theory]
    [InlineData(Mode.ThreadPool)]
    [InlineData(Mode.Simulation)]
    public void Ask_completes_with_the_reply(Mode mode)
    {
        using var kit = Kits.Create(mode);
        var echo = kit.Sys.ActorOf(Props.Create<Echo>());
        var reply = kit.Await(echo.Ask<Pong>(new Ping(7), TimeSpan.FromSeconds(5)));
        Assert.Equal(new Pong(7), reply);
    }

    [Theory]
    [InlineData(Mode.ThreadPool)]
    [InlineData(Mode.Simulation)]
    public void Ask_fails_with_a_timeout_naming_the_target_and_the_message_type(Mode mode)
    {
        using var kit = Kits.Create(mode);
        var silent = kit.Sys.ActorOf(Props.Create(() => new Silent()), "silent");
        var task = silent.Ask<Pong>(new Ping(1), TimeSpan.FromMilliseconds(200));
        var error = Assert.Throws<AskTimeoutException>(() => kit.Await(task));
        Assert.Contains("/user/silent", error.Message);
        Assert.Contains(typeof(Ping).FullName!, error.Message);
    }

    [Fact]
    public void Ask_under_the_simulation_times_out_in_virtual_time_without_real_waiting()
    {
        using var kit = Kits.Create(Mode.Simulation);
        var silent = kit.Sys.ActorOf(Props.Create(() => new Silent()));
        var task = silent.Ask<Pong>(new Ping(1), TimeSpan.FromHours(1));
        Assert.Throws<AskTimeoutException>(() => kit.Await(task, TimeSpan.FromHours(2)));
        Assert.True(kit.World!.Now >= TimeSpan.FromHours(1));
    }

    [Theory]
    [InlineData(Mode.ThreadPool)]
    [InlineData(Mode.Simulation)]
    public void Ask_fails_with_the_cause_of_a_status_failure_reply(Mode mode)
    {
        using var kit = Kits.Create(mode);
        var failing = kit.Sys.ActorOf(Props.Create(() => new FailureReplier()));
        var error = Assert.Throws<InvalidOperationException>(() => kit.Await(failing.Ask<int>("x")));
        Assert.Equal("no", error.Message);
    }

    [Theory]
    [InlineData(Mode.ThreadPool)]
    [InlineData(Mode.Simulation)]
    public void Lifecycle_hooks_run_around_the_life_of_an_actor(Mode mode)
    {
        using var kit = Kits.Create(mode);
        var actor = kit.Sys.ActorOf(Props.Create(() => new LifecycleReporter(kit.TestActor)));
        kit.ExpectMsg("prestart");
        kit.Watch(actor);
        actor.Tell(PoisonPill.Instance, null);
        kit.ExpectMsg("poststop");
        kit.ExpectTerminated(actor);
    }

    [Theory]
    [InlineData(Mode.ThreadPool)]
    [InlineData(Mode.Simulation)]
    public void Messages_before_a_poison_pill_are_processed_and_those_after_go_to_dead_letters(Mode mode)
    {
        using var kit = Kits.Create(mode);
        var echo = kit.Sys.ActorOf(Props.Create<Echo>());
        kit.Watch(echo);
        echo.Tell(new Ping(1), kit.TestActor);
        echo.Tell(PoisonPill.Instance, kit.TestActor);
        echo.Tell(new Ping(2), kit.TestActor);
        kit.ExpectMsg(new Pong(1));
        kit.ExpectTerminated(echo);
        echo.Tell(new Ping(3), kit.TestActor);
        kit.ExpectNoMsg(TimeSpan.FromMilliseconds(100));
        Assert.True(kit.Sys.DeadLetterCount >= 2);
    }

    [Theory]
    [InlineData(Mode.ThreadPool)]
    [InlineData(Mode.Simulation)]
    public void Become_and_become_stacked_change_the_behaviour(Mode mode)
    {
        using var kit = Kits.Create(mode);
        var actor = kit.Sys.ActorOf(Props.Create(() => new Switcher()));
        actor.Tell("who", kit.TestActor);
        kit.ExpectMsg("a");
        actor.Tell("switch", kit.TestActor);
        actor.Tell("who", kit.TestActor);
        kit.ExpectMsg("b");
        actor.Tell("push", kit.TestActor);
        actor.Tell("who", kit.TestActor);
        kit.ExpectMsg("c");
        actor.Tell("pop", kit.TestActor);
        actor.Tell("who", kit.TestActor);
        kit.ExpectMsg("b");
    }

    [Theory]
    [InlineData(Mode.ThreadPool)]
    [InlineData(Mode.Simulation)]
    public void Receive_with_a_predicate_only_handles_matching_messages(Mode mode)
    {
        using var kit = Kits.Create(mode);
        var actor = kit.Sys.ActorOf(Props.Create(() => new PredicateActor()));
        actor.Tell(5, kit.TestActor);
        actor.Tell(50, kit.TestActor);
        kit.ExpectMsg("small");
        kit.ExpectMsg("any:50");
    }

    [Theory]
    [InlineData(Mode.ThreadPool)]
    [InlineData(Mode.Simulation)]
    public void An_untyped_actor_handles_messages_in_on_receive(Mode mode)
    {
        using var kit = Kits.Create(mode);
        var actor = kit.Sys.ActorOf(Props.Create(() => new UntypedEcho()));
        actor.Tell("hi", kit.TestActor);
        kit.ExpectMsg("untyped:hi");
    }

    [Theory]
    [InlineData(Mode.ThreadPool)]
    [InlineData(Mode.Simulation)]
    public void Unhandled_messages_are_published_on_the_event_stream(Mode mode)
    {
        using var kit = Kits.Create(mode);
        kit.Sys.EventStream.Subscribe(kit.TestActor, typeof(UnhandledMessage));
        var echo = kit.Sys.ActorOf(Props.Create<Echo>());
        echo.Tell(3.14, kit.TestActor);
        var unhandled = kit.ExpectMsg<UnhandledMessage>();
        Assert.Equal(3.14, unhandled.Message);
        Assert.Equal(echo, unhandled.Recipient);
    }

    [Theory]
    [InlineData(Mode.ThreadPool)]
    [InlineData(Mode.Simulation)]
    public void Forward_keeps_the_original_sender(Mode mode)
    {
        using var kit = Kits.Create(mode);
        var echo = kit.Sys.ActorOf(Props.Create<Echo>());
        var forwarder = kit.Sys.ActorOf(Props.Create(() => new Forwarder(echo)));
        forwarder.Tell(new Ping(9), kit.TestActor);
        kit.ExpectMsg(new Pong(9));
        Assert.Equal(echo, kit.LastSender);
    }

    [Theory]
    [InlineData(Mode.ThreadPool)]
    [InlineData(Mode.Simulation)]
    public void Identify_answers_with_the_actor_ref(Mode mode)
    {
        using var kit = Kits.Create(mode);
        var echo = kit.Sys.ActorOf(Props.Create<Echo>(), "who");
        echo.Tell(new Identify(1), kit.TestActor);
        var identity = kit.ExpectMsg<ActorIdentity>();
        Assert.Equal(echo, identity.Subject);
        Assert.Equal(1, identity.MessageId);
    }

    [Theory]
    [InlineData(Mode.ThreadPool)]
    [InlineData(Mode.Simulation)]
    public void Terminate_stops_every_actor_and_completes_when_terminated(Mode mode)
    {
        var kit = Kits.Create(mode);
        var actor = kit.Sys.ActorOf(Props.Create(() => new LifecycleReporter(kit.TestActor)));
        kit.ExpectMsg("prestart");
        var probe = kit.CreateTestProbe();
        var other = kit.Sys.ActorOf(Props.Create(() => new LifecycleReporter(probe.Ref)));
        probe.ExpectMsg("prestart");
        kit.Dispose();
        Assert.True(kit.Sys.WhenTerminated.IsCompletedSuccessfully);
        Assert.Throws<InvalidOperationException>(() => kit.Sys.ActorOf(Props.Create<Echo>()));
        Assert.NotNull(other);
        Assert.NotNull(actor);
    }

    private sealed class Silent : ReceiveActor
    {
        public Silent() => ReceiveAny(_ => { });
    }

    private sealed class FailureReplier : ReceiveActor
    {
        public FailureReplier() => ReceiveAny(_ => Sender.Tell(new Status.Failure(new InvalidOperationException("no")), Self));
    }

    private sealed class Switcher : ReceiveActor
    {
        public Switcher() => A();

        private void A()
        {
            Receive<string>(s => s == "who", _ => Sender.Tell("a", Self));
            Receive<string>(s => s == "switch", _ => Become(B));
        }

        private void B()
        {
            Receive<string>(s => s == "who", _ => Sender.Tell("b", Self));
            Receive<string>(s => s == "push", _ => BecomeStacked(C));
        }

        private void C()
        {
            Receive<string>(s => s == "who", _ => Sender.Tell("c", Self));
            Receive<string>(s => s == "pop", _ => UnbecomeStacked());
        }
    }

    private sealed class PredicateActor : ReceiveActor
    {
        public PredicateActor()
        {
            Receive<int>(n => n < 10, _ => Sender.Tell("small", Self));
            ReceiveAny(m => Sender.Tell("any:" + m, Self));
        }
    }

    private sealed class UntypedEcho : UntypedActor
    {
        protected override void OnReceive(object message) => Sender.Tell("untyped:" + message, Self);
    }

    private sealed class Forwarder(IActorRef target) : ReceiveActor
    {
        private readonly IActorRef _target = target;

        protected override void PreStart() => Become(() => ReceiveAny(m => _target.Forward(m)));
    }
}
