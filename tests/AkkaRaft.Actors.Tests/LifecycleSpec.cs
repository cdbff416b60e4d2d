using AkkaRaft.Actors;

namespace AkkaRaft.Actors.Tests;

public sealed class LifecycleSpec
{
    [Theory]
    [InlineData(Mode.ThreadPool)]
    [InlineData(Mode.Simulation)]
    public void A_failing_actor_is_restarted_by_default_and_keeps_its_mailbox(Mode mode)
    {
        using var kit = Kits.Create(mode);
        var actor = kit.Sys.ActorOf(Props.Create(() => new LifecycleReporter(kit.TestActor)), "worker");
        kit.ExpectMsg("prestart");
        actor.Tell(5, kit.TestActor);
        kit.ExpectMsg(5);
        actor.Tell("boom", kit.TestActor);
        actor.Tell(1, kit.TestActor);
        kit.ExpectMsg("prerestart:boom");
        kit.ExpectMsg("poststop");
        kit.ExpectMsg("postrestart:boom");
        kit.ExpectMsg("prestart");
        // The fresh instance starts from zero, and the message queued behind the failing one was kept.
        kit.ExpectMsg(1);
    }

    [Theory]
    [InlineData(Mode.ThreadPool)]
    [InlineData(Mode.Simulation)]
    public void A_watcher_receives_terminated_when_the_watched_actor_stops(Mode mode)
    {
        using var kit = Kits.Create(mode);
        var echo = kit.Sys.ActorOf(Props.Create<Echo>());
        var watcher = kit.Sys.ActorOf(Props.Create(() => new Watcher(echo, kit.TestActor)));
        watcher.Tell("ready?", kit.TestActor);
        kit.ExpectMsg("ready");
        kit.Sys.Stop(echo);
        var terminated = kit.ExpectMsg<Terminated>();
        Assert.Equal(echo, terminated.ActorRef);
        Assert.True(terminated.ExistenceConfirmed);
    }

    [Theory]
    [InlineData(Mode.ThreadPool)]
    [InlineData(Mode.Simulation)]
    public void Watching_an_actor_that_already_stopped_delivers_terminated_at_once(Mode mode)
    {
        using var kit = Kits.Create(mode);
        var echo = kit.Sys.ActorOf(Props.Create<Echo>());
        kit.Watch(echo);
        kit.Sys.Stop(echo);
        kit.ExpectTerminated(echo);
        var late = kit.CreateTestProbe();
        late.Watch(echo);
        Assert.False(late.ExpectTerminated(echo).ExistenceConfirmed);
    }

    [Theory]
    [InlineData(Mode.ThreadPool)]
    [InlineData(Mode.Simulation)]
    public void An_actor_that_does_not_handle_terminated_of_a_watched_actor_dies_of_a_death_pact(Mode mode)
    {
        using var kit = Kits.Create(mode);
        var echo = kit.Sys.ActorOf(Props.Create<Echo>());
        var watcher = kit.Sys.ActorOf(Props.Create(() => new CarelessWatcher(echo)));
        kit.Watch(watcher);
        watcher.Tell("ready?", kit.TestActor);
        kit.ExpectMsg("ready");
        kit.Sys.Stop(echo);
        kit.ExpectTerminated(watcher);
    }

    [Theory]
    [InlineData(Mode.ThreadPool)]
    [InlineData(Mode.Simulation)]
    public void Stopping_a_parent_stops_its_children_first(Mode mode)
    {
        using var kit = Kits.Create(mode);
        var parent = kit.Sys.ActorOf(Props.Create(() => new Parent(kit.TestActor)), "parent");
        parent.Tell("make", kit.TestActor);
        var child = kit.ExpectMsg<IActorRef>();
        kit.ExpectMsg("prestart");
        Assert.Equal("akkaraft://test/user/parent/kid", child.Path.ToString());
        kit.Watch(parent);
        kit.Sys.Stop(parent);
        kit.ExpectMsg("poststop");
        kit.ExpectTerminated(parent);
    }

    [Theory]
    [InlineData(Mode.ThreadPool)]
    [InlineData(Mode.Simulation)]
    public void Context_child_finds_a_child_by_name_and_nobody_otherwise(Mode mode)
    {
        using var kit = Kits.Create(mode);
        var parent = kit.Sys.ActorOf(Props.Create(() => new Parent(kit.TestActor)));
        parent.Tell("make", kit.TestActor);
        var child = kit.ExpectMsg<IActorRef>();
        kit.ExpectMsg("prestart");
        parent.Tell("find", kit.TestActor);
        Assert.Equal(child, kit.ExpectMsg<IActorRef>());
        parent.Tell("find-missing", kit.TestActor);
        Assert.Same(ActorRefs.Nobody, kit.ExpectMsg<IActorRef>());
    }

    [Theory]
    [InlineData(Mode.ThreadPool)]
    [InlineData(Mode.Simulation)]
    public void A_receive_timeout_arrives_when_no_message_came(Mode mode)
    {
        using var kit = Kits.Create(mode);
        kit.Sys.ActorOf(Props.Create(() => new Idler(kit.TestActor)));
        kit.ExpectMsg("idle", TimeSpan.FromSeconds(5));
    }

    private sealed class Watcher : ReceiveActor
    {
        public Watcher(IActorRef subject, IActorRef probe)
        {
            Context.Watch(subject);
            Receive<string>(_ => Sender.Tell("ready", Self));
            Receive<Terminated>(t => probe.Tell(t, Self));
        }
    }

    private sealed class CarelessWatcher : ReceiveActor
    {
        public CarelessWatcher(IActorRef subject)
        {
            Context.Watch(subject);
            Receive<string>(_ => Sender.Tell("ready", Self));
        }
    }

    private sealed class Parent : ReceiveActor
    {
        public Parent(IActorRef probe)
        {
            Receive<string>(s => s == "make", _ => Sender.Tell(Context.ActorOf(Props.Create(() => new LifecycleReporter(probe)), "kid"), Self));
            Receive<string>(s => s == "find", _ => Sender.Tell(Context.Child("kid"), Self));
            Receive<string>(s => s == "find-missing", _ => Sender.Tell(Context.Child("nope"), Self));
        }
    }

    private sealed class Idler : ReceiveActor
    {
        public Idler(IActorRef probe)
        {
            SetReceiveTimeout(TimeSpan.FromMilliseconds(200));
            Receive<ReceiveTimeout>(_ =>
            {
                SetReceiveTimeout(null);
                probe.Tell("idle", Self);
            });
        }
    }
}
