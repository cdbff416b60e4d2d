using AkkaRaft.Actors;
using AkkaRaft.Actors.Serialization;
using AkkaRaft.Actors.Simulation;
using AkkaRaft.Persistence.InMemory;
using AkkaRaft.Persistence.Tests.Protos;

namespace AkkaRaft.Persistence.Tests.Actors;

/// <summary>The untyped base, custom recovery, snapshot failures and misuse, under the simulation dispatcher.</summary>
public sealed class PersistentActorVariantsTests : TestKit.TestKit
{
    private readonly InMemoryPersistencePlugins _plugins = new();

    public PersistentActorVariantsTests()
        : base(new SimulationWorld(77).CreateSystem("variants"))
    {
        PersistenceExtension.Register(Sys, _plugins, PersistentActorTests.Serialization());
    }

    [Fact]
    public void An_untyped_persistent_actor_persists_and_recovers_through_on_command_and_on_recover()
    {
        var first = Sys.ActorOf(Props.Create(() => new Tally("t1", TestActor)));
        ExpectMsg("recovered 0 at 0");
        first.Tell("add", TestActor);
        first.Tell("add", TestActor);
        ExpectMsg("added 1");
        ExpectMsg("added 2");
        Watch(first);
        Sys.Stop(first);
        ExpectTerminated(first);

        Sys.ActorOf(Props.Create(() => new Tally("t1", TestActor)));

        ExpectMsg("recovered 2 at 2");
    }

    [Fact]
    public async Task Recovery_up_to_a_sequence_number_replays_only_that_far_and_new_events_never_reuse_a_number()
    {
        var first = Sys.ActorOf(Props.Create(() => new Tally("t2", TestActor)));
        ExpectMsg("recovered 0 at 0");
        for (var i = 1; i <= 4; i++)
        {
            first.Tell("add", TestActor);
            ExpectMsg($"added {i}");
        }

        Watch(first);
        Sys.Stop(first);
        ExpectTerminated(first);

        var partial = Sys.ActorOf(Props.Create(() => new Tally("t2", TestActor, new Recovery(Snapshots.SnapshotSelectionCriteria.None, ToSequenceNr: 2))));
        ExpectMsg("recovered 2 at 4");
        partial.Tell("add", TestActor);
        ExpectMsg("added 3");

        Assert.Equal(5, await _plugins.Journal.ReadHighestSequenceNrAsync("t2"));
    }

    [Fact]
    public void A_snapshot_that_does_not_serialize_is_answered_with_save_snapshot_failure()
    {
        var probe = CreateTestProbe();
        var account = Sys.ActorOf(Props.Create(() => new UnserializableSnapshotter(probe.Ref)));
        probe.ExpectMsg("recovered");

        account.Tell("snapshot");

        var failure = probe.ExpectMsg<SaveSnapshotFailure>();
        Assert.IsType<SerializationException>(failure.Cause);
        Assert.Contains("System.Uri", failure.Cause.Message);
    }

    [Fact]
    public async Task Persist_during_recovery_fails_the_recovery_and_stops_the_actor()
    {
        await _plugins.Journal.WriteAsync(new AkkaRaft.Persistence.Journal.AtomicWrite(Support.Events.Event("bad", 1)));
        var probe = CreateTestProbe();

        var actor = Watch(Sys.ActorOf(Props.Create(() => new PersistsWhileRecovering(probe.Ref))));

        var failure = Assert.IsType<RecoveryFailedException>(probe.ExpectMsg<Exception>());
        Assert.Contains("during recovery", failure.Message);
        ExpectTerminated(actor);
    }

    private sealed class Tally : UntypedPersistentActor
    {
        private readonly string _id;
        private readonly IActorRef _probe;
        private readonly Recovery _recovery;
        private long _count;

        public Tally(string id, IActorRef probe, Recovery? recovery = null)
        {
            _id = id;
            _probe = probe;
            _recovery = recovery ?? Recovery.Default;
        }

        public override string PersistenceId => _id;

        public override Recovery Recovery => _recovery;

        protected override void OnRecover(object message)
        {
            switch (message)
            {
                case Deposited:
                    _count++;
                    break;
                case RecoveryCompleted:
                    _probe.Tell($"recovered {_count} at {LastSequenceNr}");
                    break;
            }
        }

        protected override void OnCommand(object message)
        {
            if (message is "add")
            {
                Persist(new Deposited { Account = _id, Amount = 1 }, _ =>
                {
                    _count++;
                    Sender.Tell($"added {_count}");
                });
            }
            else
            {
                Unhandled(message);
            }
        }
    }

    private sealed class UnserializableSnapshotter : ReceivePersistentActor
    {
        public UnserializableSnapshotter(IActorRef probe)
        {
            Recover<RecoveryCompleted>(_ => probe.Tell("recovered"));
            Command<string>(_ => SaveSnapshot(new Uri("http://example.org")));
            Command<SaveSnapshotFailure>(f => probe.Tell(f));
        }

        public override string PersistenceId => "snapshotter";
    }

    private sealed class PersistsWhileRecovering : ReceivePersistentActor
    {
        private readonly IActorRef _probe;

        public PersistsWhileRecovering(IActorRef probe)
        {
            _probe = probe;
            RecoverAny(_ => Persist("x", _ => { }));
        }

        public override string PersistenceId => "bad";

        protected override void OnRecoveryFailure(Exception cause, object? @event) => _probe.Tell(cause);
    }
}
