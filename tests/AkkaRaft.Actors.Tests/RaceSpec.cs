using AkkaRaft.Actors;

namespace AkkaRaft.Actors.Tests;

/// <summary>Races on the thread-pool dispatcher whose outcome must not depend on timing.</summary>
public sealed class RaceSpec
{
    private sealed class Counting(int[] processed) : ReceiveActor
    {
        protected override void PreStart() => Become(() => Receive<int>(_ => Interlocked.Increment(ref processed[0])));
    }

    [Fact]
    public void Messages_racing_with_a_stop_are_each_either_processed_or_a_dead_letter()
    {
        using var kit = Kits.Create(Mode.ThreadPool);
        var deadLetters = 0;
        kit.Sys.EventStream.Subscribe<DeadLetter>(d =>
        {
            if (d.Message is int) Interlocked.Increment(ref deadLetters);
        });
        const int rounds = 20, senders = 3, perSender = 2_000;
        var processed = new int[1];
        for (var round = 0; round < rounds; round++)
        {
            var actor = kit.Sys.ActorOf(Props.Create(() => new Counting(processed)));
            kit.Watch(actor);
            var threads = Enumerable.Range(0, senders).Select(_ => new Thread(() =>
            {
                for (var i = 0; i < perSender; i++) actor.Tell(i, null);
            })).ToList();
            threads.ForEach(t => t.Start());
            kit.Sys.Stop(actor);
            threads.ForEach(t => t.Join());
            kit.ExpectTerminated(actor);
        }
        // Every message was counted once: processed before the stop, or drained to dead letters after it. Both counts
        // are final here: senders drain what they enqueued after the close themselves, before Join returns, and the
        // actor drains its mailbox before Terminated is sent.
        Assert.Equal(rounds * senders * perSender, Volatile.Read(ref processed[0]) + Volatile.Read(ref deadLetters));
    }

    [Fact]
    public void A_watch_racing_with_a_stop_always_ends_in_terminated()
    {
        using var kit = Kits.Create(Mode.ThreadPool);
        for (var round = 0; round < 200; round++)
        {
            var actor = kit.Sys.ActorOf(Props.Create<Echo>());
            var stopper = new Thread(() => kit.Sys.Stop(actor));
            stopper.Start();
            kit.Watch(actor);
            stopper.Join();
            kit.ExpectTerminated(actor);
        }
    }

    [Fact]
    public void Only_one_of_many_concurrent_actor_of_with_the_same_name_succeeds()
    {
        using var kit = Kits.Create(Mode.ThreadPool);
        for (var round = 0; round < 50; round++)
        {
            var name = "contended-" + round;
            var created = 0;
            var rejected = 0;
            var threads = Enumerable.Range(0, 4).Select(_ => new Thread(() =>
            {
                try
                {
                    kit.Sys.ActorOf(Props.Create<Echo>(), name);
                    Interlocked.Increment(ref created);
                }
                catch (InvalidActorNameException)
                {
                    Interlocked.Increment(ref rejected);
                }
            })).ToList();
            threads.ForEach(t => t.Start());
            threads.ForEach(t => t.Join());
            Assert.Equal(1, created);
            Assert.Equal(3, rejected);
        }
    }
}
