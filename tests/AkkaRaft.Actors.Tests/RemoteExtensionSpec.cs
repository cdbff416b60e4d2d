using System.Collections.Concurrent;
using AkkaRaft.Actors;

namespace AkkaRaft.Actors.Tests;

/// <summary>The hooks the remote layer builds on, exercised with a fake remote ref.</summary>
public sealed class RemoteExtensionSpec
{
    private sealed class FakeRemoteRef(ActorSystem system, ActorPath path) : IInternalActorRef, IWatchableActorRef
    {
        public ConcurrentQueue<(object Message, IActorRef? Sender)> Sent { get; } = new();

        public ConcurrentQueue<string> WatchEvents { get; } = new();

        public ActorPath Path { get; } = path;

        public ActorSystem System { get; } = system;

        public bool IsLocal => false;

        public void Tell(object message, IActorRef? sender) => Sent.Enqueue((message ?? throw new ArgumentNullException(nameof(message)), sender));

        public void AddWatcher(IActorRef watcher) => WatchEvents.Enqueue("watch:" + watcher.Path.Name);

        public void RemoveWatcher(IActorRef watcher) => WatchEvents.Enqueue("unwatch:" + watcher.Path.Name);
    }

    private sealed class FakeProvider(ActorSystem system) : IRemoteActorRefProvider
    {
        public Address Address { get; } = Address.Tcp(system.Name, "10.0.0.1", 2552);

        public IActorRef? ResolveActorRef(ActorPath path) => new FakeRemoteRef(system, path);
    }

    [Fact]
    public void Actor_paths_print_and_parse_with_local_and_tcp_addresses()
    {
        var path = ActorPath.Parse("akkaraft.tcp://sys@host:2552/user/a/b");
        Assert.Equal(Address.Tcp("sys", "host", 2552), path.Address);
        Assert.Equal(["user", "a", "b"], path.Elements);
        Assert.Equal("b", path.Name);
        Assert.Equal("akkaraft.tcp://sys@host:2552/user/a/b", path.ToString());
        var local = ActorPath.Root(Address.Local("sys")) / "user" / "x";
        Assert.Equal("akkaraft://sys/user/x", local.ToString());
        Assert.Equal("akkaraft.tcp://sys@host:2552/user/x", local.ToStringWithAddress(path.Address));
        var withUid = ActorPath.Parse("akkaraft://sys/user/x#42");
        Assert.Equal(42, withUid.Uid);
        Assert.Equal(local, withUid);
        Assert.Equal("akkaraft://sys/user/x#42", withUid.ToSerializationFormat());
        Assert.Throws<FormatException>(() => ActorPath.Parse("not a path"));
        Assert.Throws<FormatException>(() => ActorPath.Parse("akkaraft.tcp://sys@host:notaport/user"));
        Assert.False(ActorPath.TryParse("akkaraft://sys/user//x", out _));
    }

    [Theory]
    [InlineData(Mode.ThreadPool)]
    [InlineData(Mode.Simulation)]
    public void Resolve_actor_ref_finds_local_actors_by_path_and_dead_letters_missing_ones(Mode mode)
    {
        using var kit = Kits.Create(mode);
        var echo = kit.Sys.ActorOf(Props.Create<Echo>(), "echo");
        Assert.Same(echo, kit.Sys.ResolveActorRef("akkaraft://test/user/echo"));
        Assert.Same(echo, kit.Sys.ResolveActorRef(echo.Path.ToSerializationFormat()));
        Assert.Same(kit.Sys.DeadLetters, kit.Sys.ResolveActorRef("akkaraft://test/deadLetters"));
        var stale = kit.Sys.ResolveActorRef("akkaraft://test/user/echo#" + (echo.Path.Uid + 1));
        Assert.NotSame(echo, stale);
        var missing = kit.Sys.ResolveActorRef("akkaraft://test/user/nobody-here");
        kit.Sys.EventStream.Subscribe(kit.TestActor, typeof(DeadLetter));
        missing.Tell("hello", null);
        Assert.Equal("hello", kit.ExpectMsg<DeadLetter>().Message);
    }

    [Theory]
    [InlineData(Mode.ThreadPool)]
    [InlineData(Mode.Simulation)]
    public void Deliver_hands_an_inbound_message_to_a_local_actor_with_the_given_sender(Mode mode)
    {
        using var kit = Kits.Create(mode);
        var echo = kit.Sys.ActorOf(Props.Create<Echo>(), "echo");
        kit.Sys.RegisterRemoteProvider(new FakeProvider(kit.Sys));
        var remoteSender = (FakeRemoteRef)kit.Sys.ResolveActorRef("akkaraft.tcp://other@10.0.0.2:2552/user/client");
        // Paths with the public address are local.
        kit.Sys.Deliver(ActorPath.Parse("akkaraft.tcp://test@10.0.0.1:2552/user/echo"), new Ping(3), remoteSender);
        kit.Sys.Deliver(ActorPath.Parse("akkaraft.tcp://test@10.0.0.1:2552/user/echo"), new Ping(4), kit.TestActor);
        kit.ExpectMsg(new Pong(4));
        Assert.True(remoteSender.Sent.TryDequeue(out var reply));
        Assert.Equal(new Pong(3), reply.Message);
        Assert.Same(echo, reply.Sender);
        Assert.Throws<ArgumentException>(() => kit.Sys.Deliver(ActorPath.Parse("akkaraft.tcp://other@10.0.0.2:2552/user/x"), "x", null));
        Assert.Equal(Address.Tcp("test", "10.0.0.1", 2552), kit.Sys.PublicAddress);
    }

    [Theory]
    [InlineData(Mode.ThreadPool)]
    [InlineData(Mode.Simulation)]
    public void Notify_terminated_delivers_terminated_of_a_remote_ref_to_its_local_watchers(Mode mode)
    {
        using var kit = Kits.Create(mode);
        kit.Sys.RegisterRemoteProvider(new FakeProvider(kit.Sys));
        var remote = (FakeRemoteRef)kit.Sys.ResolveActorRef("akkaraft.tcp://other@10.0.0.2:2552/user/peer");
        kit.Watch(remote);
        Assert.Contains("watch:testActor", remote.WatchEvents);
        kit.Sys.NotifyTerminated(remote, existenceConfirmed: true, addressTerminated: true);
        var terminated = kit.ExpectTerminated(remote);
        Assert.True(terminated.AddressTerminated);
    }

    [Theory]
    [InlineData(Mode.ThreadPool)]
    [InlineData(Mode.Simulation)]
    public void A_remote_watcher_of_a_local_actor_is_told_terminated_when_it_stops(Mode mode)
    {
        using var kit = Kits.Create(mode);
        var remoteWatcher = new FakeRemoteRef(kit.Sys, ActorPath.Parse("akkaraft.tcp://other@10.0.0.2:2552/user/w"));
        var echo = kit.Sys.ActorOf(Props.Create<Echo>());
        kit.Sys.WatchOnBehalf(echo, remoteWatcher);
        kit.Watch(echo);
        kit.Sys.Stop(echo);
        kit.ExpectTerminated(echo);
        Assert.True(remoteWatcher.Sent.TryDequeue(out var sent));
        Assert.Equal(echo, Assert.IsType<Terminated>(sent.Message).ActorRef);
    }

    [Theory]
    [InlineData(Mode.ThreadPool)]
    [InlineData(Mode.Simulation)]
    public void Ask_works_through_a_ref_implemented_outside_the_kernel(Mode mode)
    {
        using var kit = Kits.Create(mode);
        var echo = kit.Sys.ActorOf(Props.Create<Echo>());
        var proxy = new ForwardingRef(kit.Sys, echo);
        Assert.Equal(new Pong(8), kit.Await(proxy.Ask<Pong>(new Ping(8))));
    }

    private sealed class ForwardingRef(ActorSystem system, IActorRef target) : IInternalActorRef
    {
        public ActorPath Path => target.Path;

        public ActorSystem System { get; } = system;

        public bool IsLocal => false;

        public void Tell(object message, IActorRef? sender) => target.Tell(message, sender);
    }

    [Theory]
    [InlineData(Mode.ThreadPool)]
    [InlineData(Mode.Simulation)]
    public void The_temporary_sender_of_an_ask_resolves_by_path_until_answered(Mode mode)
    {
        using var kit = Kits.Create(mode);
        var holder = kit.CreateTestProbe();
        var task = holder.Ref.Ask<string>("question", TimeSpan.FromSeconds(5));
        holder.ExpectMsg("question");
        var replyTo = holder.LastSender!;
        Assert.Equal("temp", replyTo.Path.Elements[0]);
        kit.Sys.Deliver(replyTo.Path, "answer", null);
        Assert.Equal("answer", kit.Await(task));
    }
}
