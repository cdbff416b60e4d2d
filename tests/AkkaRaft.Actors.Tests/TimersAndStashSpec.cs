using AkkaRaft.Actors;

namespace AkkaRaft.Actors.Tests;

public sealed class TimersAndStashSpec
{
    [Theory]
    [InlineData(Mode.ThreadPool)]
    [InlineData(Mode.Simulation)]
    public void A_single_timer_fires_once_and_a_cancelled_timer_never_fires(Mode mode)
    {
        using var kit = Kits.Create(mode);
        kit.Sys.ActorOf(Props.Create(() => new TimerUser(kit.TestActor)));
        kit.ExpectMsg("single");
        kit.ExpectNoMsg(TimeSpan.FromMilliseconds(400));
    }

    [Theory]
    [InlineData(Mode.ThreadPool)]
    [InlineData(Mode.Simulation)]
    public void A_periodic_timer_fires_until_cancelled_by_key(Mode mode)
    {
        using var kit = Kits.Create(mode);
        var actor = kit.Sys.ActorOf(Props.Create(() => new Ticker(kit.TestActor)));
        kit.ExpectMsg("tick");
        kit.ExpectMsg("tick");
        kit.ExpectMsg("tick");
        kit.ExpectMsg("stopped", TimeSpan.FromSeconds(3));
        kit.ExpectNoMsg(TimeSpan.FromMilliseconds(200));
        Assert.NotNull(actor);
    }

    [Theory]
    [InlineData(Mode.ThreadPool)]
    [InlineData(Mode.Simulation)]
    public void Stashed_messages_are_processed_in_order_after_unstash_all(Mode mode)
    {
        using var kit = Kits.Create(mode);
        var actor = kit.Sys.ActorOf(Props.Create(() => new Gate()));
        actor.Tell("a", kit.TestActor);
        actor.Tell("b", kit.TestActor);
        actor.Tell(new Open(), kit.TestActor);
        actor.Tell("c", kit.TestActor);
        kit.ExpectMsg("a");
        kit.ExpectMsg("b");
        kit.ExpectMsg("c");
    }

    [Theory]
    [InlineData(Mode.ThreadPool)]
    [InlineData(Mode.Simulation)]
    public void Stashing_beyond_the_stash_capacity_fails_the_actor_with_stash_overflow(Mode mode)
    {
        using var kit = Kits.Create(mode, settings: ActorSystemSettings.Default with { StashCapacity = 2, StdoutLogLevel = LogLevel.Off });
        kit.Sys.EventStream.Subscribe(kit.TestActor, typeof(LogEvent));
        var actor = kit.Sys.ActorOf(Props.Create(() => new Gate()));
        actor.Tell("a", kit.TestActor);
        actor.Tell("b", kit.TestActor);
        actor.Tell("c", kit.TestActor);
        var log = kit.FishForMessage<LogEvent>(e => e.Cause is StashOverflowException);
        Assert.Contains("stash-capacity", log.Cause!.Message);
    }

    private sealed record Open;

    private sealed class Gate : ReceiveActor, IWithStash
    {
        public Gate()
        {
            Receive<Open>(_ =>
            {
                Stash.UnstashAll();
                Become(() => Receive<string>(s => Sender.Tell(s, Self)));
            });
            Receive<string>(_ => Stash.Stash());
        }

        public IStash Stash { get; set; } = null!;
    }

    private sealed class TimerUser : ReceiveActor, IWithTimers
    {
        public TimerUser(IActorRef probe)
        {
            Receive<string>(s => probe.Tell(s, Self));
        }

        public ITimerScheduler Timers { get; set; } = null!;

        protected override void PreStart()
        {
            Timers.StartSingleTimer("one", "single", TimeSpan.FromMilliseconds(50));
            Timers.StartSingleTimer("two", "cancelled", TimeSpan.FromMilliseconds(100));
            Timers.Cancel("two");
            Assert.True(Timers.IsTimerActive("one"));
            Assert.False(Timers.IsTimerActive("two"));
        }
    }

    private sealed class Ticker : ReceiveActor, IWithTimers
    {
        private int _ticks;

        public Ticker(IActorRef probe)
        {
            Receive<string>(s => s == "tick", s =>
            {
                probe.Tell(s, Self);
                if (++_ticks == 3)
                {
                    Timers.Cancel("tick");
                    probe.Tell("stopped", Self);
                }
            });
        }

        public ITimerScheduler Timers { get; set; } = null!;

        protected override void PreStart() => Timers.StartPeriodicTimer("tick", "tick", TimeSpan.FromMilliseconds(30));
    }
}
