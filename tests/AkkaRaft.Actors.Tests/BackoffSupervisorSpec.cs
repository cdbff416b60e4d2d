using AkkaRaft.Actors;
using AkkaRaft.Actors.Pattern;
using AkkaRaft.Actors.Simulation;
using AkkaRaft.TestKit;

namespace AkkaRaft.Actors.Tests;

/// <summary>
/// The backoff supervisor, mostly under the simulation: delays are checked in virtual time, exactly (the child reports
/// the virtual time it started and stopped at).
/// </summary>
public sealed class BackoffSupervisorSpec
{
    private static readonly TimeSpan Second = TimeSpan.FromSeconds(1);

    private sealed record Started(IActorRef Child, TimeSpan At);

    private sealed record Stopped(IActorRef Child, TimeSpan At);

    private sealed record Count(int N);

    /// <summary>
    /// Reports start and stop (with virtual time) to a probe; "stop" stops it, "throw" and "throw-arg" fail it, "inc"
    /// counts (the count is the state a fresh incarnation loses), Ping is answered with Pong.
    /// </summary>
    private sealed class Child : ReceiveActor
    {
        private readonly IActorRef _events;
        private int _count;

        public Child(IActorRef events)
        {
            _events = events;
            Receive<string>(s => s == "stop", _ => Context.Stop(Self));
            Receive<string>(s => s == "throw", _ => throw new InvalidOperationException("boom"));
            Receive<string>(s => s == "throw-arg", _ => throw new ArgumentException("bad"));
            Receive<string>(s => s == "inc", _ => Sender.Tell(new Count(++_count), Self));
            Receive<Ping>(p => Sender.Tell(new Pong(p.N), Self));
        }

        protected override void PreStart() => _events.Tell(new Started(Self, Context.System.Clock.Elapsed), Self);

        protected override void PostStop() => _events.Tell(new Stopped(Self, Context.System.Clock.Elapsed), Self);
    }

    private sealed class World : IDisposable
    {
        public World(int seed = 42)
        {
            Kit = Kits.Create(Mode.Simulation, seed);
            Events = Kit.CreateTestProbe("events");
        }

        public TestKit.TestKit Kit { get; }

        public TestProbe Events { get; }

        public SimulationWorld Sim => Kit.World!;

        public Props ChildProps => Props.Create(() => new Child(Events.Ref));

        public IActorRef Start(BackoffOptions options, string name = "sup") => Kit.Sys.ActorOf(BackoffSupervisor.Props(options), name);

        public int RestartCount(IActorRef supervisor)
        {
            supervisor.Tell(BackoffSupervisor.GetRestartCount.Instance, Kit.TestActor);
            return Kit.ExpectMsg<BackoffSupervisor.RestartCount>().Count;
        }

        public IActorRef? CurrentChild(IActorRef supervisor)
        {
            supervisor.Tell(BackoffSupervisor.GetCurrentChild.Instance, Kit.TestActor);
            return Kit.ExpectMsg<BackoffSupervisor.CurrentChild>().Ref;
        }

        /// <summary>Stops the running child through the supervisor and returns when and how long until the next start.</summary>
        public (Stopped Stop, Started Next) StopAndAwaitRestart(IActorRef supervisor, TimeSpan? within = null)
        {
            supervisor.Tell("stop", Kit.TestActor);
            var stopped = Events.ExpectMsg<Stopped>();
            var started = Events.ExpectMsg<Started>(within ?? TimeSpan.FromMinutes(10));
            return (stopped, started);
        }

        public void Dispose() => Kit.Dispose();
    }

    [Fact]
    public void On_stop_starts_the_child_again_after_the_min_backoff_and_forwards_to_the_new_one()
    {
        using var w = new World();
        var supervisor = w.Start(Backoff.OnStop(w.ChildProps, "peer", Second, 10 * Second, 0));
        var first = w.Events.ExpectMsg<Started>();
        Assert.Equal("peer", first.Child.Path.Name);
        Assert.Equal(supervisor.Path / "peer", first.Child.Path);

        var (stop, next) = w.StopAndAwaitRestart(supervisor);
        Assert.Same(first.Child, stop.Child);
        Assert.NotSame(first.Child, next.Child);
        Assert.Equal("peer", next.Child.Path.Name);
        Assert.Equal(Second, next.At - stop.At);

        supervisor.Tell(new Ping(7), w.Kit.TestActor);
        w.Kit.ExpectMsg(new Pong(7));
        Assert.Same(next.Child, w.Kit.LastSender);
        Assert.Same(next.Child, w.CurrentChild(supervisor));
    }

    [Theory]
    [InlineData(Mode.ThreadPool)]
    [InlineData(Mode.Simulation)]
    public void The_supervisor_forwards_keeping_the_original_sender(Mode mode)
    {
        using var kit = Kits.Create(mode);
        var events = kit.CreateTestProbe();
        var supervisor = kit.Sys.ActorOf(
            BackoffSupervisor.Props(Backoff.OnStop(Props.Create(() => new Child(events.Ref)), "child", TimeSpan.FromMilliseconds(10), Second, 0.2)),
            "sup");
        var child = events.ExpectMsg<Started>().Child;
        var other = kit.CreateTestProbe();
        other.Send(supervisor, new Ping(1));
        other.ExpectMsg(new Pong(1));
        Assert.Same(child, other.LastSender);
        supervisor.Tell("inc", kit.TestActor);
        kit.ExpectMsg(new Count(1));
        supervisor.Tell(BackoffSupervisor.GetCurrentChild.Instance, kit.TestActor);
        Assert.Same(child, kit.ExpectMsg<BackoffSupervisor.CurrentChild>().Ref);
    }

    [Fact]
    public void The_backoff_doubles_with_each_restart_and_is_capped_at_the_max()
    {
        using var w = new World();
        var supervisor = w.Start(Backoff.OnStop(w.ChildProps, "peer", Second, 5 * Second, 0));
        w.Events.ExpectMsg<Started>();
        var delays = new List<TimeSpan>();
        for (var i = 0; i < 6; i++)
        {
            Assert.Equal(i, w.RestartCount(supervisor));
            var (stop, next) = w.StopAndAwaitRestart(supervisor);
            delays.Add(next.At - stop.At);
        }
        // The child stops at once each time, so the default auto reset (after MinBackoff of running) never fires.
        Assert.Equal([Second, 2 * Second, 4 * Second, 5 * Second, 5 * Second, 5 * Second], delays);
        Assert.Equal(6, w.RestartCount(supervisor));
    }

    [Fact]
    public void Messages_sent_while_the_child_is_down_go_to_dead_letters()
    {
        using var w = new World();
        // A handler rather than a subscribed probe: a probe stopped at shutdown would receive dead letters of its own.
        var deadLetters = new List<DeadLetter>();
        using var subscription = w.Kit.Sys.EventStream.Subscribe<DeadLetter>(deadLetters.Add);
        var supervisor = w.Start(Backoff.OnStop(w.ChildProps, "peer", 3 * Second, 10 * Second, 0));
        w.Events.ExpectMsg<Started>();
        supervisor.Tell("stop", w.Kit.TestActor);
        var stopped = w.Events.ExpectMsg<Stopped>();
        w.Sim.RunUntilIdle(); // the supervisor has seen Terminated; time has not moved, so no restart yet
        Assert.Equal(stopped.At, w.Sim.Now);

        Assert.Null(w.CurrentChild(supervisor));
        supervisor.Tell(new Ping(1), w.Kit.TestActor);
        w.Sim.RunUntilIdle();
        var dead = Assert.Single(deadLetters);
        Assert.Equal(new Ping(1), dead.Message);
        Assert.Same(w.Kit.TestActor, dead.Sender);
        Assert.Same(supervisor, dead.Recipient);
        w.Kit.ExpectNoMsg(TimeSpan.FromSeconds(1));

        var next = w.Events.ExpectMsg<Started>();
        Assert.Equal(3 * Second, next.At - stopped.At);
        supervisor.Tell(new Ping(2), w.Kit.TestActor);
        w.Kit.ExpectMsg(new Pong(2));
    }

    [Fact]
    public void Auto_reset_sets_the_count_back_to_zero_once_the_child_ran_for_the_reset_interval()
    {
        using var w = new World();
        var supervisor = w.Start(Backoff.OnStop(w.ChildProps, "peer", Second, 60 * Second, 0).WithAutoReset(3 * Second));
        w.Events.ExpectMsg<Started>();
        Assert.Equal(Second, Delay(w.StopAndAwaitRestart(supervisor)));
        Assert.Equal(2 * Second, Delay(w.StopAndAwaitRestart(supervisor)));
        Assert.Equal(2, w.RestartCount(supervisor));

        w.Sim.Advance(3 * Second);
        Assert.Equal(0, w.RestartCount(supervisor));
        Assert.Equal(Second, Delay(w.StopAndAwaitRestart(supervisor)));
    }

    [Fact]
    public void A_child_that_stops_before_the_reset_interval_keeps_the_backoff_growing()
    {
        using var w = new World();
        var supervisor = w.Start(Backoff.OnStop(w.ChildProps, "peer", Second, 60 * Second, 0).WithAutoReset(3 * Second));
        w.Events.ExpectMsg<Started>();
        Assert.Equal(Second, Delay(w.StopAndAwaitRestart(supervisor)));
        Assert.Equal(2 * Second, Delay(w.StopAndAwaitRestart(supervisor)));

        w.Sim.Advance(TimeSpan.FromMilliseconds(2999));
        Assert.Equal(2, w.RestartCount(supervisor));
        Assert.Equal(4 * Second, Delay(w.StopAndAwaitRestart(supervisor)));
        // The reset timer of the stopped incarnation was cancelled: it does not reset the count later.
        w.Sim.Advance(TimeSpan.FromMilliseconds(2999));
        Assert.Equal(3, w.RestartCount(supervisor));
    }

    [Fact]
    public void The_default_reset_interval_is_the_min_backoff()
    {
        var options = Backoff.OnStop(Props.Create<Echo>(), "echo", 2 * Second, 8 * Second, 0.1);
        Assert.Equal(2 * Second, options.ResetBackoff);
        Assert.False(options.IsManualReset);
        Assert.Equal(-1, options.MaxNrOfRetries);
        Assert.True(options.WithManualReset().IsManualReset);
        Assert.Equal(5 * Second, options.WithManualReset().WithAutoReset(5 * Second).ResetBackoff);
    }

    [Fact]
    public void Manual_reset_keeps_the_count_until_Reset_is_sent()
    {
        using var w = new World();
        var supervisor = w.Start(Backoff.OnStop(w.ChildProps, "peer", Second, 60 * Second, 0).WithManualReset());
        w.Events.ExpectMsg<Started>();
        Assert.Equal(Second, Delay(w.StopAndAwaitRestart(supervisor)));
        Assert.Equal(2 * Second, Delay(w.StopAndAwaitRestart(supervisor)));

        w.Sim.Advance(TimeSpan.FromHours(1));
        Assert.Equal(2, w.RestartCount(supervisor));
        Assert.Equal(4 * Second, Delay(w.StopAndAwaitRestart(supervisor)));

        supervisor.Tell(BackoffSupervisor.Reset.Instance, w.Kit.TestActor);
        Assert.Equal(0, w.RestartCount(supervisor));
        Assert.Equal(Second, Delay(w.StopAndAwaitRestart(supervisor)));
    }

    [Fact]
    public void The_supervisor_stops_itself_when_the_max_number_of_retries_is_used_up()
    {
        using var w = new World();
        var supervisor = w.Start(Backoff.OnStop(w.ChildProps, "peer", Second, 60 * Second, 0).WithMaxNrOfRetries(2));
        w.Kit.Watch(supervisor);
        w.Events.ExpectMsg<Started>();
        Assert.Equal(Second, Delay(w.StopAndAwaitRestart(supervisor)));
        Assert.Equal(2 * Second, Delay(w.StopAndAwaitRestart(supervisor)));

        supervisor.Tell("stop", w.Kit.TestActor);
        w.Events.ExpectMsg<Stopped>();
        w.Kit.ExpectTerminated(supervisor);
        w.Events.ExpectNoMsg(TimeSpan.FromMinutes(1));
    }

    [Fact]
    public void Zero_retries_gives_up_at_the_first_stop()
    {
        using var w = new World();
        var supervisor = w.Start(Backoff.OnStop(w.ChildProps, "peer", Second, 60 * Second, 0).WithMaxNrOfRetries(0));
        w.Kit.Watch(supervisor);
        w.Events.ExpectMsg<Started>();
        supervisor.Tell("stop", w.Kit.TestActor);
        w.Events.ExpectMsg<Stopped>();
        w.Kit.ExpectTerminated(supervisor);
        w.Events.ExpectNoMsg(TimeSpan.FromMinutes(1));
    }

    [Fact]
    public void Auto_reset_gives_the_retries_back()
    {
        using var w = new World();
        var supervisor = w.Start(Backoff.OnStop(w.ChildProps, "peer", Second, 60 * Second, 0).WithMaxNrOfRetries(1));
        w.Kit.Watch(supervisor);
        w.Events.ExpectMsg<Started>();
        Assert.Equal(Second, Delay(w.StopAndAwaitRestart(supervisor)));
        w.Sim.Advance(Second); // ran for the reset interval (MinBackoff): the count is 0 again
        Assert.Equal(Second, Delay(w.StopAndAwaitRestart(supervisor)));
        supervisor.Tell("stop", w.Kit.TestActor);
        w.Events.ExpectMsg<Stopped>();
        w.Kit.ExpectTerminated(supervisor);
    }

    [Fact]
    public void On_failure_stops_the_failed_child_and_starts_a_fresh_one_after_the_backoff()
    {
        using var w = new World();
        var supervisor = w.Start(Backoff.OnFailure(w.ChildProps, "peer", 2 * Second, 60 * Second, 0));
        var first = w.Events.ExpectMsg<Started>();
        supervisor.Tell("inc", w.Kit.TestActor);
        w.Kit.ExpectMsg(new Count(1));

        supervisor.Tell("throw", w.Kit.TestActor);
        var stopped = w.Events.ExpectMsg<Stopped>();
        Assert.Same(first.Child, stopped.Child);
        var next = w.Events.ExpectMsg<Started>();
        Assert.NotSame(first.Child, next.Child);
        Assert.Equal(2 * Second, next.At - stopped.At);
        Assert.Equal(1, w.RestartCount(supervisor));

        supervisor.Tell("inc", w.Kit.TestActor);
        w.Kit.ExpectMsg(new Count(1)); // a fresh incarnation: the count started over

        supervisor.Tell("throw", w.Kit.TestActor);
        var stopped2 = w.Events.ExpectMsg<Stopped>();
        Assert.Equal(4 * Second, w.Events.ExpectMsg<Started>(TimeSpan.FromMinutes(1)).At - stopped2.At);
    }

    [Fact]
    public void On_failure_keeps_the_other_directives_of_the_strategy()
    {
        using var w = new World();
        var strategy = new OneForOneStrategy(e => e is ArgumentException ? Directive.Resume : Directive.Restart);
        var supervisor = w.Start(Backoff.OnFailure(w.ChildProps, "peer", Second, 60 * Second, 0).WithSupervisorStrategy(strategy));
        var first = w.Events.ExpectMsg<Started>();
        supervisor.Tell("inc", w.Kit.TestActor);
        w.Kit.ExpectMsg(new Count(1));
        supervisor.Tell("throw-arg", w.Kit.TestActor);
        supervisor.Tell("inc", w.Kit.TestActor);
        w.Kit.ExpectMsg(new Count(2)); // resumed: same incarnation, state kept
        Assert.Same(first.Child, w.Kit.LastSender);
        w.Events.ExpectNoMsg(TimeSpan.FromMinutes(1));
        Assert.Equal(0, w.RestartCount(supervisor));
    }

    [Fact]
    public void On_failure_a_child_that_stops_by_itself_stops_the_supervisor()
    {
        using var w = new World();
        var supervisor = w.Start(Backoff.OnFailure(w.ChildProps, "peer", Second, 60 * Second, 0));
        w.Kit.Watch(supervisor);
        w.Events.ExpectMsg<Started>();
        supervisor.Tell("stop", w.Kit.TestActor);
        w.Events.ExpectMsg<Stopped>();
        w.Kit.ExpectTerminated(supervisor);
        w.Events.ExpectNoMsg(TimeSpan.FromMinutes(1));
    }

    [Fact]
    public void On_failure_gives_up_after_the_max_number_of_retries()
    {
        using var w = new World();
        var supervisor = w.Start(Backoff.OnFailure(w.ChildProps, "peer", Second, 60 * Second, 0).WithMaxNrOfRetries(1));
        w.Kit.Watch(supervisor);
        w.Events.ExpectMsg<Started>();
        supervisor.Tell("throw", w.Kit.TestActor);
        w.Events.ExpectMsg<Stopped>();
        w.Events.ExpectMsg<Started>();
        supervisor.Tell("throw", w.Kit.TestActor);
        w.Events.ExpectMsg<Stopped>();
        w.Kit.ExpectTerminated(supervisor);
        w.Events.ExpectNoMsg(TimeSpan.FromMinutes(1));
    }

    [Fact]
    public void On_stop_with_the_default_strategy_restarts_a_failing_child_in_place_without_backoff()
    {
        using var w = new World();
        var supervisor = w.Start(Backoff.OnStop(w.ChildProps, "peer", Second, 60 * Second, 0));
        var first = w.Events.ExpectMsg<Started>();
        supervisor.Tell("throw", w.Kit.TestActor);
        // Akka's default PreRestart calls PostStop, and PostRestart calls PreStart: the same ref, at the same instant.
        var stopped = w.Events.ExpectMsg<Stopped>();
        var restarted = w.Events.ExpectMsg<Started>();
        Assert.Same(first.Child, restarted.Child);
        Assert.Equal(stopped.At, restarted.At);
        Assert.Equal(0, w.RestartCount(supervisor));
    }

    [Fact]
    public void On_stop_with_the_stopping_strategy_turns_a_failure_into_a_delayed_restart()
    {
        using var w = new World();
        var supervisor = w.Start(Backoff.OnStop(w.ChildProps, "peer", Second, 60 * Second, 0).WithDefaultStoppingStrategy());
        var first = w.Events.ExpectMsg<Started>();
        supervisor.Tell("throw", w.Kit.TestActor);
        var stopped = w.Events.ExpectMsg<Stopped>();
        var next = w.Events.ExpectMsg<Started>();
        Assert.NotSame(first.Child, next.Child);
        Assert.Equal(Second, next.At - stopped.At);
    }

    [Fact]
    public void An_escalated_failure_restarts_the_supervisor_which_starts_a_fresh_child()
    {
        using var w = new World();
        var escalate = new OneForOneStrategy(_ => Directive.Escalate);
        var supervisor = w.Start(Backoff.OnStop(w.ChildProps, "peer", Second, 60 * Second, 0).WithSupervisorStrategy(escalate));
        var first = w.Events.ExpectMsg<Started>();
        supervisor.Tell("throw", w.Kit.TestActor);
        // The user guardian restarts the supervisor: its PreRestart stops the child, its PreStart starts a new one.
        Assert.Same(first.Child, w.Events.ExpectMsg<Stopped>().Child);
        var next = w.Events.ExpectMsg<Started>();
        Assert.NotSame(first.Child, next.Child);
        // The old child's Terminated reaches the new supervisor instance and is ignored (not forwarded to the new child).
        supervisor.Tell(new Ping(3), w.Kit.TestActor);
        w.Kit.ExpectMsg(new Pong(3));
        Assert.Same(next.Child, w.CurrentChild(supervisor));
        w.Events.ExpectNoMsg(TimeSpan.FromMinutes(1));
    }

    [Fact]
    public void The_random_part_comes_from_the_seed_and_stays_within_the_factor()
    {
        const double factor = 0.5;
        using var w = new World();
        var options = Backoff.OnStop(w.ChildProps, "peer", Second, 8 * Second, factor).WithManualReset().WithRandomSeed(1234);
        var supervisor = w.Start(options);
        w.Events.ExpectMsg<Started>();
        var draws = new DeterministicRandom(1234);
        for (var n = 0; n < 6; n++)
        {
            var delay = Delay(w.StopAndAwaitRestart(supervisor));
            var exponential = TimeSpan.FromTicks(Math.Min(Second.Ticks << n, 8 * Second.Ticks));
            var expected = TimeSpan.FromTicks((long)(exponential.Ticks * (1 + (draws.NextDouble() * factor))));
            Assert.Equal(expected, delay);
            Assert.InRange(delay, exponential, exponential * (1 + factor));
        }
    }

    [Fact]
    public void Without_a_seed_the_simulated_world_seed_makes_the_delays_replay()
    {
        static List<TimeSpan> Run(int seed)
        {
            using var w = new World(seed);
            var supervisor = w.Start(Backoff.OnStop(w.ChildProps, "peer", Second, 8 * Second, 0.5).WithManualReset());
            w.Events.ExpectMsg<Started>();
            var delays = new List<TimeSpan>();
            for (var n = 0; n < 5; n++) delays.Add(Delay(w.StopAndAwaitRestart(supervisor)));
            return delays;
        }

        var first = Run(9);
        Assert.Equal(first, Run(9));
        Assert.NotEqual(first, Run(10));
        Assert.NotEqual([Second, 2 * Second, 4 * Second, 8 * Second, 8 * Second], first); // the random part was added
    }

    [Fact]
    public void CalculateDelay_doubles_caps_and_never_overflows()
    {
        var options = Backoff.OnStop(Props.Create<Echo>(), "echo", TimeSpan.FromMilliseconds(100), 30 * Second, 0.2);
        Assert.Equal(TimeSpan.FromMilliseconds(100), BackoffSupervisor.CalculateDelay(options, 0, 0));
        Assert.Equal(TimeSpan.FromMilliseconds(800), BackoffSupervisor.CalculateDelay(options, 3, 0));
        Assert.Equal(30 * Second, BackoffSupervisor.CalculateDelay(options, 20, 0));
        Assert.Equal(30 * Second, BackoffSupervisor.CalculateDelay(options, int.MaxValue, 0));
        Assert.Equal(TimeSpan.FromMilliseconds(110), BackoffSupervisor.CalculateDelay(options, 0, 0.5));
        Assert.Equal(36 * Second, BackoffSupervisor.CalculateDelay(options, 1000, 1 - 1e-12).RoundToMillis());
        Assert.Throws<ArgumentOutOfRangeException>(() => BackoffSupervisor.CalculateDelay(options, -1, 0));
        Assert.Throws<ArgumentOutOfRangeException>(() => BackoffSupervisor.CalculateDelay(options, 0, 1));
        Assert.Throws<ArgumentOutOfRangeException>(() => BackoffSupervisor.CalculateDelay(options, 0, double.NaN));
    }

    public static TheoryData<string, Func<BackoffOptions>> InvalidOptions()
    {
        var props = Props.Create<Echo>();
        var ok = Backoff.OnStop(props, "echo", Second, 10 * Second, 0.2);
        return new TheoryData<string, Func<BackoffOptions>>
        {
            { "minBackoff", () => Backoff.OnStop(props, "echo", TimeSpan.Zero, 10 * Second, 0.2) },
            { "minBackoff", () => Backoff.OnFailure(props, "echo", -Second, 10 * Second, 0.2) },
            { "maxBackoff", () => Backoff.OnStop(props, "echo", Second, -Second, 0.2) },
            { "maxBackoff", () => Backoff.OnStop(props, "echo", 2 * Second, Second, 0.2) },
            { "maxBackoff", () => Backoff.OnStop(props, "echo", Second, TimeSpan.FromDays(366), 0.2) },
            { "randomFactor", () => Backoff.OnStop(props, "echo", Second, 10 * Second, -0.1) },
            { "randomFactor", () => Backoff.OnFailure(props, "echo", Second, 10 * Second, 1.5) },
            { "randomFactor", () => Backoff.OnStop(props, "echo", Second, 10 * Second, double.NaN) },
            { "childName", () => Backoff.OnStop(props, "", Second, 10 * Second, 0.2) },
            { "childName", () => Backoff.OnStop(props, "a/b", Second, 10 * Second, 0.2) },
            { "childName", () => Backoff.OnStop(props, "$gen", Second, 10 * Second, 0.2) },
            { "resetBackoff", () => ok.WithAutoReset(TimeSpan.Zero) },
            { "resetBackoff", () => ok.WithAutoReset(TimeSpan.FromDays(400)) },
            { "maxNrOfRetries", () => ok.WithMaxNrOfRetries(-2) },
        };
    }

    [Theory]
    [MemberData(nameof(InvalidOptions))]
    public void Invalid_options_are_rejected_with_a_message_naming_the_argument(string argument, Func<BackoffOptions> create)
    {
        var e = Assert.Throws<ArgumentException>(create);
        Assert.Equal(argument, e.ParamName);
        Assert.Contains(argument, e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Options_are_immutable_and_describe_themselves()
    {
        var options = Backoff.OnFailure(Props.Create<Echo>(), "echo", Second, 10 * Second, 0.2);
        var limited = options.WithMaxNrOfRetries(3).WithRandomSeed(5).WithSupervisorStrategy(SupervisorStrategy.StoppingStrategy);
        Assert.Equal(-1, options.MaxNrOfRetries);
        Assert.Null(options.RandomSeed);
        Assert.Null(options.SupervisorStrategy);
        Assert.Equal(3, limited.MaxNrOfRetries);
        Assert.Equal(5, limited.RandomSeed);
        Assert.Same(SupervisorStrategy.StoppingStrategy, limited.SupervisorStrategy);
        Assert.Equal(BackoffMode.OnFailure, limited.Mode);
        Assert.Contains("at most 3 retries", limited.ToString(), StringComparison.Ordinal);
        Assert.Equal(typeof(BackoffSupervisor), limited.Props().ActorType);
    }

    private static TimeSpan Delay((Stopped Stop, Started Next) restart) => restart.Next.At - restart.Stop.At;
}

internal static class TimeSpanRounding
{
    public static TimeSpan RoundToMillis(this TimeSpan value) => TimeSpan.FromMilliseconds(Math.Round(value.TotalMilliseconds));
}
