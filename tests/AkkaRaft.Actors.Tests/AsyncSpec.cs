using AkkaRaft.Actors;

namespace AkkaRaft.Actors.Tests;

public sealed class AsyncSpec
{
    [Theory]
    [InlineData(Mode.ThreadPool)]
    [InlineData(Mode.Simulation)]
    public void Receive_async_holds_the_mailbox_until_the_task_completes_and_keeps_the_sender(Mode mode)
    {
        using var kit = Kits.Create(mode);
        var echo = kit.Sys.ActorOf(Props.Create<Echo>());
        var actor = kit.Sys.ActorOf(Props.Create(() => new AsyncAsker(echo, kit.TestActor)));
        actor.Tell(1, kit.TestActor);
        actor.Tell(2, kit.TestActor);
        // Each request awaits an Ask to the echo; the second waits until the first finished.
        kit.ExpectMsg("start:1");
        kit.ExpectMsg("done:1");
        kit.ExpectMsg("start:2");
        kit.ExpectMsg("done:2");
    }

    [Theory]
    [InlineData(Mode.ThreadPool)]
    [InlineData(Mode.Simulation)]
    public void A_faulted_receive_async_task_is_a_failure_handled_by_the_supervisor(Mode mode)
    {
        using var kit = Kits.Create(mode);
        var echo = kit.Sys.ActorOf(Props.Create<Echo>());
        var actor = kit.Sys.ActorOf(Props.Create(() => new AsyncAsker(echo, kit.TestActor)));
        actor.Tell(-1, kit.TestActor);
        kit.ExpectMsg("start:-1");
        kit.ExpectMsg("restarted");
        actor.Tell(3, kit.TestActor);
        kit.ExpectMsg("start:3");
        kit.ExpectMsg("done:3");
    }

    [Theory]
    [InlineData(Mode.ThreadPool)]
    [InlineData(Mode.Simulation)]
    public void Pipe_to_delivers_the_result_or_a_status_failure(Mode mode)
    {
        using var kit = Kits.Create(mode);
        Task.FromResult(5).PipeTo(kit.TestActor);
        kit.ExpectMsg(5);
        Task.FromException<int>(new InvalidOperationException("bad")).PipeTo(kit.TestActor);
        Assert.Equal("bad", kit.ExpectMsg<Status.Failure>().Cause.Message);
    }

    private sealed class AsyncAsker : ReceiveActor
    {
        public AsyncAsker(IActorRef echo, IActorRef probe)
        {
            ReceiveAsync<int>(async n =>
            {
                var sender = Sender;
                sender.Tell("start:" + n, Self);
                var pong = await echo.Ask<Pong>(new Ping(n));
                if (n < 0) throw new InvalidOperationException("negative");
                // After the await we are back on the actor: Sender is the original sender.
                Sender.Tell("done:" + pong.N, Self);
            });

            _probe = probe;
        }

        private readonly IActorRef _probe;

        protected override void PostRestart(Exception reason) => _probe.Tell("restarted", Self);
    }
}
