using AkkaRaft.Actors;

namespace AkkaRaft.Actors.Tests;

public sealed class BadInputSpec
{
    [Theory]
    [InlineData(Mode.ThreadPool)]
    [InlineData(Mode.Simulation)]
    public void Telling_a_stopped_actor_produces_a_dead_letter(Mode mode)
    {
        using var kit = Kits.Create(mode);
        kit.Sys.EventStream.Subscribe(kit.TestActor, typeof(DeadLetter));
        var echo = kit.Sys.ActorOf(Props.Create<Echo>());
        kit.Watch(echo);
        kit.Sys.Stop(echo);
        kit.ExpectTerminated(echo);
        echo.Tell(new Ping(1), kit.TestActor);
        var dead = kit.ExpectMsg<DeadLetter>();
        Assert.Equal(new Ping(1), dead.Message);
        Assert.Equal(echo, dead.Recipient);
        Assert.True(kit.Sys.DeadLetterCount >= 1);
    }

    [Theory]
    [InlineData(Mode.ThreadPool)]
    [InlineData(Mode.Simulation)]
    public void A_stopped_dead_letter_subscriber_hears_no_more_and_dead_letters_are_published_once(Mode mode)
    {
        using var kit = Kits.Create(mode);
        var listener = kit.Sys.ActorOf(Props.Create<Echo>());
        kit.Sys.EventStream.Subscribe(listener, typeof(DeadLetter));
        kit.Sys.EventStream.Subscribe(kit.TestActor, typeof(DeadLetter));
        kit.Watch(listener);
        kit.Sys.Stop(listener);
        kit.ExpectTerminated(listener);
        var stopped = kit.Sys.ActorOf(Props.Create<Echo>());
        kit.Watch(stopped);
        kit.Sys.Stop(stopped);
        kit.ExpectTerminated(stopped);

        stopped.Tell(new Ping(7), kit.TestActor);

        // Before, the event went to the stopped listener's closed mailbox, which published it again, to itself, without end.
        var dead = kit.ExpectMsg<DeadLetter>();
        Assert.Equal(new Ping(7), dead.Message);
        Assert.Null(kit.ReceiveOne(TimeSpan.FromMilliseconds(200)));
    }

    [Theory]
    [InlineData(Mode.ThreadPool)]
    [InlineData(Mode.Simulation)]
    public void Telling_a_null_message_throws_argument_null_exception(Mode mode)
    {
        using var kit = Kits.Create(mode);
        var echo = kit.Sys.ActorOf(Props.Create<Echo>());
        Assert.Throws<ArgumentNullException>(() => echo.Tell(null!, kit.TestActor));
        Assert.Throws<ArgumentNullException>(() => echo.Tell(null!));
        Assert.Throws<ArgumentNullException>(() => { _ = echo.Ask<object>(null!); });
        Assert.Throws<ArgumentOutOfRangeException>(() => { _ = echo.Ask<object>("x", TimeSpan.Zero); });
        Assert.Throws<ArgumentOutOfRangeException>(() => { _ = echo.Ask<object>("x", TimeSpan.MaxValue); });
    }

    [Theory]
    [InlineData(Mode.ThreadPool, "")]
    [InlineData(Mode.ThreadPool, "$reserved")]
    [InlineData(Mode.ThreadPool, "a/b")]
    [InlineData(Mode.ThreadPool, "space here")]
    [InlineData(Mode.Simulation, "a#b")]
    public void An_invalid_actor_name_is_rejected(Mode mode, string name)
    {
        using var kit = Kits.Create(mode);
        Assert.Throws<InvalidActorNameException>(() => kit.Sys.ActorOf(Props.Create<Echo>(), name));
    }

    [Theory]
    [InlineData(Mode.ThreadPool)]
    [InlineData(Mode.Simulation)]
    public void A_name_already_taken_by_a_sibling_is_rejected(Mode mode)
    {
        using var kit = Kits.Create(mode);
        kit.Sys.ActorOf(Props.Create<Echo>(), "twin");
        var error = Assert.Throws<InvalidActorNameException>(() => kit.Sys.ActorOf(Props.Create<Echo>(), "twin"));
        Assert.Contains("twin", error.Message);
    }

    [Theory]
    [InlineData(Mode.ThreadPool)]
    [InlineData(Mode.Simulation)]
    public void A_name_is_free_again_once_its_actor_has_stopped(Mode mode)
    {
        using var kit = Kits.Create(mode);
        var first = kit.Sys.ActorOf(Props.Create<Echo>(), "again");
        kit.Watch(first);
        kit.Sys.Stop(first);
        kit.ExpectTerminated(first);
        var second = kit.Sys.ActorOf(Props.Create<Echo>(), "again");
        second.Tell(new Ping(2), kit.TestActor);
        kit.ExpectMsg(new Pong(2));
    }

    [Theory]
    [InlineData(Mode.ThreadPool)]
    [InlineData(Mode.Simulation)]
    public void A_props_whose_constructor_throws_stops_the_actor_with_an_initialization_error(Mode mode)
    {
        using var kit = Kits.Create(mode);
        kit.Sys.EventStream.Subscribe(kit.TestActor, typeof(LogEvent));
        var actor = kit.Sys.ActorOf(Props.Create(() => new ThrowsInConstructor()), "broken");
        var log = kit.FishForMessage<LogEvent>(e => e.Cause is ActorInitializationException);
        Assert.IsType<InvalidOperationException>(log.Cause!.InnerException);
        kit.Watch(actor);
        kit.ExpectTerminated(actor);
    }

    [Theory]
    [InlineData(Mode.ThreadPool)]
    [InlineData(Mode.Simulation)]
    public void An_exception_in_pre_start_stops_the_actor_under_the_default_strategy(Mode mode)
    {
        using var kit = Kits.Create(mode);
        var actor = kit.Sys.ActorOf(Props.Create(() => new ThrowsInPreStart(kit.TestActor)));
        kit.Watch(actor);
        kit.ExpectMsg("poststop");
        kit.ExpectTerminated(actor);
        actor.Tell("x", kit.TestActor);
        kit.ExpectNoMsg(TimeSpan.FromMilliseconds(100));
    }

    [Fact]
    public void An_actor_constructed_with_new_outside_actor_of_is_rejected()
    {
        Assert.Throws<InvalidOperationException>(() => new Echo());
    }

    [Fact]
    public void An_invalid_system_name_is_rejected()
    {
        Assert.Throws<ArgumentException>(() => ActorSystem.Create("bad name"));
        Assert.Throws<ArgumentException>(() => ActorSystem.Create(""));
    }

    [Fact]
    public void Out_of_range_settings_are_rejected_naming_the_setting()
    {
        var error = Assert.Throws<ArgumentOutOfRangeException>(() => ActorSystem.Create("x", ActorSystemSettings.Default with { Throughput = 0 }));
        Assert.Contains("akkaraft.actor.throughput", error.Message);
    }

    [Theory]
    [InlineData(Mode.ThreadPool)]
    [InlineData(Mode.Simulation)]
    public void Asks_pending_when_the_system_terminates_fail_and_later_asks_fail_at_once(Mode mode)
    {
        var kit = Kits.Create(mode);
        var probe = kit.CreateTestProbe();
        var pending = probe.Ref.Ask<string>("question", Timeout.InfiniteTimeSpan);
        probe.ExpectMsg("question");
        kit.Dispose();
        Assert.Throws<AskTimeoutException>(() => pending.GetAwaiter().GetResult());
        var late = probe.Ref.Ask<string>("again");
        Assert.True(late.IsFaulted);
        Assert.IsType<AskTimeoutException>(late.Exception!.InnerException);
    }

    [Theory]
    [InlineData(Mode.ThreadPool)]
    [InlineData(Mode.Simulation)]
    public void An_exception_in_post_stop_is_logged_and_the_actor_still_stops(Mode mode)
    {
        using var kit = Kits.Create(mode);
        kit.Sys.EventStream.Subscribe(kit.TestActor, typeof(LogEvent));
        var actor = kit.Sys.ActorOf(Props.Create(() => new ThrowsInHooks()));
        kit.Watch(actor);
        kit.Sys.Stop(actor);
        var log = kit.FishForMessage<LogEvent>(e => e.Message.Contains("PostStop"));
        Assert.Equal("post stop", log.Cause!.Message);
        kit.FishForMessage<Terminated>(t => Equals(t.ActorRef, actor));
    }

    [Theory]
    [InlineData(Mode.ThreadPool)]
    [InlineData(Mode.Simulation)]
    public void An_exception_in_pre_restart_is_logged_and_the_actor_is_restarted_anyway(Mode mode)
    {
        using var kit = Kits.Create(mode);
        kit.Sys.EventStream.Subscribe(kit.TestActor, typeof(LogEvent));
        var actor = kit.Sys.ActorOf(Props.Create(() => new ThrowsInHooks()));
        actor.Tell("fail", kit.TestActor);
        kit.FishForMessage<LogEvent>(e => e.Message.Contains("PreRestart"));
        actor.Tell("alive?", kit.TestActor);
        kit.FishForMessage<string>(s => s == "alive");
    }

    private sealed class ThrowsInHooks : ReceiveActor
    {
        public ThrowsInHooks()
        {
            Receive<string>(s => s == "fail", _ => throw new InvalidOperationException("handler"));
            Receive<string>(s => s == "alive?", _ => Sender.Tell("alive", Self));
        }

        protected override void PostStop() => throw new InvalidOperationException("post stop");

        protected override void PreRestart(Exception reason, object? message) => throw new InvalidOperationException("pre restart");
    }

    private sealed class ThrowsInConstructor : ReceiveActor
    {
        public ThrowsInConstructor() => throw new InvalidOperationException("cannot build");
    }

    private sealed class ThrowsInPreStart(IActorRef probe) : ReceiveActor
    {
        protected override void PreStart() => throw new InvalidOperationException("cannot start");

        protected override void PostStop() => probe.Tell("poststop", Self);
    }
}
