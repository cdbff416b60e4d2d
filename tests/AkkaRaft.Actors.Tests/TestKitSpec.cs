using AkkaRaft.Actors;
using Xunit.Sdk;

namespace AkkaRaft.Actors.Tests;

public sealed class TestKitSpec
{
    [Theory]
    [InlineData(Mode.ThreadPool)]
    [InlineData(Mode.Simulation)]
    public void Expect_msg_fails_when_no_message_arrives_in_time(Mode mode)
    {
        using var kit = Kits.Create(mode);
        var error = Assert.Throws<XunitException>(() => kit.ExpectMsg<string>(TimeSpan.FromMilliseconds(100)));
        Assert.Contains("timeout", error.Message);
    }

    [Theory]
    [InlineData(Mode.ThreadPool)]
    [InlineData(Mode.Simulation)]
    public void Expect_msg_fails_on_a_message_of_another_type_or_failing_the_predicate(Mode mode)
    {
        using var kit = Kits.Create(mode);
        kit.TestActor.Tell(1, null);
        Assert.Throws<XunitException>(() => kit.ExpectMsg<string>());
        kit.TestActor.Tell(2, null);
        Assert.Throws<XunitException>(() => kit.ExpectMsg<int>(n => n > 5));
    }

    [Theory]
    [InlineData(Mode.ThreadPool)]
    [InlineData(Mode.Simulation)]
    public void Expect_no_msg_fails_when_a_message_arrives(Mode mode)
    {
        using var kit = Kits.Create(mode);
        kit.TestActor.Tell("surprise", null);
        Assert.Throws<XunitException>(() => kit.ExpectNoMsg(TimeSpan.FromMilliseconds(100)));
    }

    [Theory]
    [InlineData(Mode.ThreadPool)]
    [InlineData(Mode.Simulation)]
    public void Fish_for_message_skips_messages_until_the_matching_one(Mode mode)
    {
        using var kit = Kits.Create(mode);
        for (var i = 0; i < 5; i++) kit.TestActor.Tell(i, null);
        Assert.Equal(3, kit.FishForMessage<int>(n => n == 3));
        kit.ExpectMsg(4);
    }

    [Theory]
    [InlineData(Mode.ThreadPool)]
    [InlineData(Mode.Simulation)]
    public void A_probe_replies_to_and_forwards_for_the_last_sender(Mode mode)
    {
        using var kit = Kits.Create(mode);
        var probe = kit.CreateTestProbe();
        var echo = kit.Sys.ActorOf(Props.Create<Echo>());
        probe.Ref.Tell("question", kit.TestActor);
        probe.ExpectMsg("question");
        probe.Reply("answer");
        kit.ExpectMsg("answer");
        Assert.Equal(probe.Ref, kit.LastSender);
        probe.Forward(echo, new Ping(4));
        kit.ExpectMsg(new Pong(4));
        probe.Send(echo, new Ping(5));
        probe.ExpectMsg(new Pong(5));
    }

    [Fact]
    public void Waiting_under_the_simulation_advances_virtual_time_instead_of_blocking()
    {
        using var kit = Kits.Create(Mode.Simulation);
        kit.Sys.Scheduler.ScheduleTellOnce(TimeSpan.FromHours(3), kit.TestActor, "later", null);
        kit.ExpectMsg("later", TimeSpan.FromHours(4));
        Assert.Equal(TimeSpan.FromHours(3), kit.World!.Now);
        kit.ExpectNoMsg(TimeSpan.FromDays(1));
        Assert.Equal(TimeSpan.FromHours(27), kit.World.Now);
    }

    [Theory]
    [InlineData(Mode.ThreadPool)]
    [InlineData(Mode.Simulation)]
    public void Unwatch_cancels_a_terminated_that_was_not_yet_delivered(Mode mode)
    {
        using var kit = Kits.Create(mode);
        var echo = kit.Sys.ActorOf(Props.Create<Echo>());
        var actor = kit.Sys.ActorOf(Props.Create(() => new LateUnwatcher(echo, kit.TestActor)));
        kit.ExpectMsg("watching");
        var helper = kit.Sys.ActorOf(Props.Create(() => new TerminationWaiter(echo, kit.TestActor)));
        kit.ExpectMsg("ready");
        actor.Tell(helper, kit.TestActor);
        kit.ExpectMsg("unwatched");
        kit.ExpectNoMsg(TimeSpan.FromMilliseconds(200));
    }

    [Theory]
    [InlineData(Mode.ThreadPool)]
    [InlineData(Mode.Simulation)]
    public void Watch_with_delivers_the_custom_message_instead_of_terminated(Mode mode)
    {
        using var kit = Kits.Create(mode);
        var echo = kit.Sys.ActorOf(Props.Create<Echo>());
        kit.Sys.ActorOf(Props.Create(() => new CustomWatcher(echo, kit.TestActor)));
        kit.ExpectMsg("watching");
        kit.Sys.Stop(echo);
        kit.ExpectMsg("echo is gone");
    }

    /// <summary>
    /// Watches the subject; on receiving the helper, stops the subject and awaits the helper's confirmation that it
    /// stopped. The death notification reaches this actor while it awaits (so its Terminated is queued behind the held
    /// mailbox), and the actor unwatches before the Terminated reaches the head of the mailbox.
    /// </summary>
    private sealed class LateUnwatcher : ReceiveActor
    {
        public LateUnwatcher(IActorRef subject, IActorRef probe)
        {
            Context.Watch(subject);
            probe.Tell("watching", Self);
            ReceiveAsync<IActorRef>(async helper =>
            {
                Context.Stop(subject);
                await helper.Ask<string>("wait");
                Context.Unwatch(subject);
                probe.Tell("unwatched", Self);
            });
            Receive<Terminated>(t => probe.Tell(t, Self));
        }
    }

    /// <summary>Answers "wait" once the subject has stopped.</summary>
    private sealed class TerminationWaiter : ReceiveActor
    {
        private IActorRef? _waiting;
        private bool _gone;

        public TerminationWaiter(IActorRef subject, IActorRef probe)
        {
            Context.Watch(subject);
            probe.Tell("ready", Self);
            Receive<string>(_ =>
            {
                _waiting = Sender;
                if (_gone) _waiting.Tell("gone", Self);
            });
            Receive<Terminated>(_ =>
            {
                _gone = true;
                _waiting?.Tell("gone", Self);
            });
        }
    }

    private sealed class CustomWatcher : ReceiveActor
    {
        public CustomWatcher(IActorRef subject, IActorRef probe)
        {
            Context.WatchWith(subject, "echo is gone");
            probe.Tell("watching", Self);
            Receive<string>(s => probe.Tell(s, Self));
        }
    }
}
