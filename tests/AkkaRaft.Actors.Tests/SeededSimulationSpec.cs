using AkkaRaft.Actors;
using AkkaRaft.Actors.Simulation;

namespace AkkaRaft.Actors.Tests;

/// <summary>
/// Properties checked over many seeded interleavings. Every failure names its seed; rerun one with
/// <c>AKKARAFT_SIM_SEED=&lt;seed&gt;</c>, or more of them with <c>AKKARAFT_SIM_SEEDS=&lt;count&gt;</c> (default 40).
/// </summary>
public sealed class SeededSimulationSpec
{
    public static TheoryData<int> Seeds()
    {
        var data = new TheoryData<int>();
        if (int.TryParse(Environment.GetEnvironmentVariable("AKKARAFT_SIM_SEED"), out var one))
        {
            data.Add(one);
            return data;
        }
        var count = int.TryParse(Environment.GetEnvironmentVariable("AKKARAFT_SIM_SEEDS"), out var n) ? n : 40;
        for (var seed = 1; seed <= count; seed++) data.Add(seed);
        return data;
    }

    private sealed record Numbered(int Sender, int N);

    private sealed record Explode(int Sender, int N);

    /// <summary>Records what it processed; fails on <see cref="Explode"/> (and is restarted, keeping its mailbox).</summary>
    private sealed class Receiver(List<(int Sender, int N)> log, int[] concurrent) : ReceiveActor
    {
        protected override void PreStart()
        {
            Become(() =>
            {
                Receive<Numbered>(m =>
                {
                    if (++concurrent[0] != 1) throw new InvalidOperationException("two messages at once");
                    log.Add((m.Sender, m.N));
                    concurrent[0]--;
                });
                Receive<Explode>(m =>
                {
                    log.Add((m.Sender, m.N));
                    throw new InvalidOperationException("explode");
                });
            });
        }
    }

    /// <summary>Sends its numbered messages in bursts, some of them failing the receiver.</summary>
    private sealed class Sender(int id, IActorRef target, int count) : ReceiveActor
    {
        protected override void PreStart()
        {
            var random = Context.System.Simulation!.Random;
            var next = 0;
            Become(() => Receive<string>(_ =>
            {
                var burst = random.NextInt(1, 5);
                for (var i = 0; i < burst && next < count; i++, next++)
                {
                    target.Tell(random.Chance(0.05) ? new Explode(id, next) : new Numbered(id, next), Self);
                }
                if (next < count) Self.Tell("more", Self);
            }));
            Self.Tell("more", Self);
        }
    }

    [Theory]
    [MemberData(nameof(Seeds))]
    public void Every_message_is_processed_once_in_per_sender_order_across_restarts(int seed)
    {
        var world = new SimulationWorld(seed);
        var system = world.CreateSystem("seeded", ActorSystemSettings.Default with { StdoutLogLevel = LogLevel.Off });
        var log = new List<(int Sender, int N)>();
        var receiver = system.ActorOf(Props.Create(() => new Receiver(log, new int[1])));
        const int senders = 4, perSender = 50;
        for (var s = 0; s < senders; s++)
        {
            var id = s;
            system.ActorOf(Props.Create(() => new Sender(id, receiver, perSender)));
        }
        world.RunFor(TimeSpan.FromSeconds(1));
        for (var s = 0; s < senders; s++)
        {
            var mine = log.Where(e => e.Sender == s).Select(e => e.N).ToList();
            Assert.True(mine.SequenceEqual(Enumerable.Range(0, perSender)),
                $"seed {seed}: sender {s} saw {string.Join(",", mine)} (rerun with AKKARAFT_SIM_SEED={seed})");
        }
    }
}
