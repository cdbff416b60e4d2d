using AkkaRaft.Actors;

namespace AkkaRaft.Actors.Tests;

public sealed class MailboxSpec
{
    /// <summary>Blocks its mailbox until told to go on, so that messages pile up.</summary>
    private sealed class Stuck : ReceiveActor
    {
        public Stuck(IActorRef probe)
        {
            var open = false;
            Receive<string>(s => s == "open", _ => open = true);
            ReceiveAny(m =>
            {
                if (open) probe.Tell(m, Self);
            });
        }
    }

    [Fact]
    public void A_bounded_mailbox_sends_overflow_to_dead_letters_and_counts_it()
    {
        using var kit = Kits.Create(Mode.Simulation);
        kit.Sys.EventStream.Subscribe(kit.TestActor, typeof(DeadLetter));
        var actor = kit.Sys.ActorOf(Props.Create(() => new Stuck(kit.TestActor)).WithBoundedMailbox(3));
        // Under the simulation nothing runs until the test waits, so exactly the first three fit.
        actor.Tell("open", null);
        actor.Tell(1, null);
        actor.Tell(2, null);
        actor.Tell(3, null);
        actor.Tell(4, null);
        Assert.Equal(2, kit.Sys.MailboxOverflowCount);
        Assert.Equal(3, kit.ExpectMsg<DeadLetter>().Message);
        Assert.Equal(4, kit.ExpectMsg<DeadLetter>().Message);
        kit.ExpectMsg(1);
        kit.ExpectMsg(2);
        actor.Tell(5, null);
        kit.ExpectMsg(5);
    }

    [Fact]
    public void The_default_mailbox_capacity_setting_bounds_every_mailbox()
    {
        using var kit = Kits.Create(Mode.Simulation, settings: ActorSystemSettings.Default with { MailboxCapacity = 1, StdoutLogLevel = LogLevel.Off });
        var actor = kit.Sys.ActorOf(Props.Create(() => new Stuck(kit.TestActor)));
        kit.World!.RunUntilIdle();
        actor.Tell(1, null);
        actor.Tell(2, null);
        Assert.Equal(1, kit.Sys.MailboxOverflowCount);
    }

    [Fact]
    public void A_zero_or_negative_mailbox_bound_is_rejected()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => MailboxKind.Bounded(0));
        Assert.Throws<ArgumentOutOfRangeException>(() => ActorSystem.Create("x", ActorSystemSettings.Default with { MailboxCapacity = -1 }));
    }

    [Fact]
    public void Dead_letters_are_logged_at_most_the_configured_number_per_interval()
    {
        using var kit = Kits.Create(Mode.Simulation, settings: ActorSystemSettings.Default with
        {
            DeadLetterLogMax = 2,
            DeadLetterLogInterval = TimeSpan.FromSeconds(10),
            StdoutLogLevel = LogLevel.Off,
        });
        var logs = new List<LogEvent>();
        kit.Sys.EventStream.Subscribe<LogEvent>(logs.Add);
        for (var i = 0; i < 5; i++) kit.Sys.DeadLetters.Tell(i, null);
        Assert.Equal(5, kit.Sys.DeadLetterCount);
        Assert.Equal(2, logs.Count(l => l.Message.Contains("was not delivered")));
        kit.World!.Advance(TimeSpan.FromSeconds(11));
        kit.Sys.DeadLetters.Tell(99, null);
        Assert.Contains(logs, l => l.Message.StartsWith("3 dead letters were not logged"));
        Assert.Equal(3, logs.Count(l => l.Message.Contains("was not delivered")));
    }

    [Fact]
    public void Props_with_an_unknown_dispatcher_are_rejected_naming_it()
    {
        using var kit = Kits.Create(Mode.ThreadPool);
        var error = Assert.Throws<ActorSystemConfigurationException>(() => kit.Sys.ActorOf(Props.Create<Echo>().WithDispatcher("nope")));
        Assert.Contains("nope", error.Message);
    }

    [Fact]
    public void Props_can_select_a_configured_dispatcher()
    {
        using var kit = Kits.Create(Mode.ThreadPool, settings: ActorSystemSettings.Default with
        {
            Dispatchers = new Dictionary<string, int> { ["io"] = 5 },
            StdoutLogLevel = LogLevel.Off,
        });
        var echo = kit.Sys.ActorOf(Props.Create<Echo>().WithDispatcher("io"));
        echo.Tell(new Ping(1), kit.TestActor);
        kit.ExpectMsg(new Pong(1));
    }

    [Fact]
    public void Many_senders_to_one_actor_each_keep_their_order_on_the_thread_pool()
    {
        using var kit = Kits.Create(Mode.ThreadPool);
        var collector = kit.Sys.ActorOf(Props.Create(() => new OrderChecker(kit.TestActor)));
        const int senders = 4, perSender = 20_000;
        var threads = Enumerable.Range(0, senders).Select(s => new Thread(() =>
        {
            for (var i = 0; i < perSender; i++) collector.Tell(new Numbered(s, i), null);
        })).ToList();
        threads.ForEach(t => t.Start());
        threads.ForEach(t => t.Join());
        collector.Tell("done?", kit.TestActor);
        Assert.Equal(senders * perSender, kit.ExpectMsg<int>(TimeSpan.FromSeconds(20)));
    }

    private sealed record Numbered(int Sender, int N);

    /// <summary>Checks per-sender order and that only one message is processed at a time.</summary>
    private sealed class OrderChecker : ReceiveActor
    {
        private readonly Dictionary<int, int> _next = [];
        private int _count;
        private int _inside;

        public OrderChecker(IActorRef probe)
        {
            Receive<Numbered>(n =>
            {
                if (Interlocked.Increment(ref _inside) != 1) throw new InvalidOperationException("two messages processed at once");
                _next.TryGetValue(n.Sender, out var expected);
                if (n.N != expected) probe.Tell($"out of order: sender {n.Sender} expected {expected} got {n.N}", Self);
                _next[n.Sender] = n.N + 1;
                _count++;
                Interlocked.Decrement(ref _inside);
            });
            Receive<string>(_ => Sender.Tell(_count, Self));
        }
    }
}
