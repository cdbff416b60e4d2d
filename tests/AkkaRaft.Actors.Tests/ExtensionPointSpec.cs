using AkkaRaft.Actors;

namespace AkkaRaft.Actors.Tests;

/// <summary>
/// The hooks persistence builds on, used from another assembly (this one): an actor base class that intercepts every
/// message with AroundReceive, stashes commands while a "journal write" is in flight, and brings the write's completion
/// back into its mailbox with PipeTo(Self).
/// </summary>
public sealed class ExtensionPointSpec
{
    private sealed record WriteCompleted(object Event);

    /// <summary>A miniature persistent actor: Persist runs an asynchronous write; commands wait in the stash meanwhile.</summary>
    private abstract class MiniPersistentActor : ReceiveActor, IWithStash
    {
        private Action<object>? _pendingHandler;

        public IStash Stash { get; set; } = null!;

        protected abstract Task Write(object @event);

        protected void Persist(object @event, Action<object> handler)
        {
            _pendingHandler = handler;
            Write(@event).PipeTo(Self, Self, success: () => new WriteCompleted(@event));
        }

        protected override void AroundReceive(Receive receive, object message)
        {
            if (message is WriteCompleted done)
            {
                var handler = _pendingHandler!;
                _pendingHandler = null;
                handler(done.Event);
                Stash.UnstashAll();
                return;
            }
            if (_pendingHandler is not null)
            {
                Stash.Stash();
                return;
            }
            base.AroundReceive(receive, message);
        }
    }

    private sealed class Journaled : MiniPersistentActor
    {
        private readonly List<int> _state = [];

        public Journaled(IActorRef probe)
        {
            Receive<int>(n => Persist(n, e =>
            {
                _state.Add((int)e);
                probe.Tell(string.Join(",", _state), Self);
            }));
        }

        protected override Task Write(object @event) =>
            Context.System.Simulation is null ? Task.Run(() => Thread.Yield()) : Task.CompletedTask;
    }

    [Theory]
    [InlineData(Mode.ThreadPool)]
    [InlineData(Mode.Simulation)]
    public void Commands_arriving_during_a_write_are_stashed_and_processed_in_order_after_it(Mode mode)
    {
        using var kit = Kits.Create(mode);
        var actor = kit.Sys.ActorOf(Props.Create(() => new Journaled(kit.TestActor)));
        for (var i = 1; i <= 4; i++) actor.Tell(i, kit.TestActor);
        kit.ExpectMsg("1");
        kit.ExpectMsg("1,2");
        kit.ExpectMsg("1,2,3");
        kit.ExpectMsg("1,2,3,4");
    }

    /// <summary>RunTask: awaits inside resume on the actor, and the mailbox waits until the task completes.</summary>
    private sealed class TaskRunner : UntypedActor
    {
        private readonly IActorRef _probe;
        private int _inFlight;

        public TaskRunner(IActorRef probe) => _probe = probe;

        protected override void OnReceive(object message)
        {
            var n = (int)message;
            RunTask(async () =>
            {
                _inFlight++;
                await Task.Yield();
                _probe.Tell($"{n}:{_inFlight}", Self);
                _inFlight--;
            });
        }
    }

    [Theory]
    [InlineData(Mode.ThreadPool)]
    [InlineData(Mode.Simulation)]
    public void Run_task_holds_other_messages_until_the_task_completes(Mode mode)
    {
        using var kit = Kits.Create(mode);
        var actor = kit.Sys.ActorOf(Props.Create(() => new TaskRunner(kit.TestActor)));
        actor.Tell(1, null);
        actor.Tell(2, null);
        kit.ExpectMsg("1:1");
        kit.ExpectMsg("2:1");
    }
}
