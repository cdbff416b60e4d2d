using AkkaRaft.Actors;
using AkkaRaft.Actors.Serialization;
using AkkaRaft.Actors.Simulation;
using AkkaRaft.Persistence.InMemory;
using AkkaRaft.Persistence.Journal;
using AkkaRaft.Persistence.Tests.Protos;
using Google.Protobuf.WellKnownTypes;

namespace AkkaRaft.Persistence.Tests.Actors;

/// <summary>
/// PersistentActor semantics under the deterministic simulation dispatcher, over an in-memory journal the test can
/// hold open: whether a write is in flight is a state the test sets, never a race.
/// </summary>
public sealed class PersistentActorTests : TestKit.TestKit
{
    private const int Seed = 4242;
    private readonly InMemoryStore _store = new();
    private readonly ControlledJournal _journal;
    private readonly TestKit.TestProbe _probe;

    public PersistentActorTests()
        : base(new SimulationWorld(Seed).CreateSystem("persistence"))
    {
        _journal = new ControlledJournal(_store);
        PersistenceExtension.Register(Sys, new FixedPlugins(_journal, new InMemorySnapshotStore(_store)), Serialization());
        _probe = CreateTestProbe("lifecycle");
    }

    internal static SerializationRegistry Serialization()
    {
        var registry = SerializationRegistry.CreateDefault();
        registry.Protobuf!.RegisterFile(TestMessagesReflection.Descriptor).Register<Int64Value>();
        return registry;
    }

    private IActorRef StartAccount(string id)
    {
        var account = Sys.ActorOf(Account.Props(id, _probe.Ref));
        _probe.ExpectMsg<Recovered>();
        return account;
    }

    /// <summary>Stops <paramref name="account"/>, starts a new incarnation with the same persistence id and waits for its recovery.</summary>
    private (IActorRef Account, Recovered Recovered) Restart(IActorRef account, string id)
    {
        Watch(account);
        Sys.Stop(account);
        ExpectTerminated(account);
        var incarnation = Sys.ActorOf(Account.Props(id, _probe.Ref));
        return (incarnation, _probe.ExpectMsg<Recovered>());
    }

    [Fact]
    public void PersistentActor_should_recover_from_persisted_events()
    {
        var account = StartAccount("a1");
        account.Tell(new Deposit(5), TestActor);
        account.Tell(new Deposit(7), TestActor);
        ExpectMsg(new Acked(5, 1));
        ExpectMsg(new Acked(12, 2));

        var (_, recovered) = Restart(account, "a1");

        Assert.Equal((12L, 2L, true), (recovered.Balance, recovered.LastSequenceNr, recovered.IsRecovering));
        Assert.Equal(["replay@1:True", "replay@2:True"], recovered.Log);
    }

    [Fact]
    public void A_handler_runs_only_after_the_journal_acknowledged_the_write()
    {
        var account = StartAccount("a2");
        _journal.Close();

        account.Tell(new Deposit(5), TestActor);
        World!.RunUntilIdle();

        Assert.Equal(1, _journal.WritesWaiting);
        Assert.Null(ReceiveOne(TimeSpan.Zero));
        _journal.Open();
        ExpectMsg(new Acked(5, 1));
        account.Tell(new GetBalance(), TestActor);
        ExpectMsg(new Balance(5, 1, false));
    }

    [Fact]
    public void Commands_that_arrive_while_a_persist_is_in_flight_wait_until_its_handler_ran()
    {
        var account = StartAccount("a3");
        _journal.Close();
        account.Tell(new Deposit(5), TestActor);
        account.Tell(new GetBalance(), TestActor);
        account.Tell(new Deposit(1), TestActor);
        World!.RunUntilIdle();

        Assert.Single(_journal.WriteCalls);
        Assert.Null(ReceiveOne(TimeSpan.Zero));
        _journal.Open();

        ExpectMsg(new Acked(5, 1));
        ExpectMsg(new Balance(5, 1, false));
        ExpectMsg(new Acked(6, 2));
    }

    [Fact]
    public void PersistAll_writes_its_events_in_one_atomic_write_and_runs_the_handlers_in_order()
    {
        var account = StartAccount("a4");

        account.Tell(new DepositMany([1, 2, 3]), TestActor);

        ExpectMsg(new Acked(1, 1));
        ExpectMsg(new Acked(3, 2));
        ExpectMsg(new Acked(6, 3));
        var write = Assert.Single(Assert.Single(_journal.WriteCalls));
        Assert.Equal((1L, 3L), (write.LowestSequenceNr, write.HighestSequenceNr));
    }

    [Fact]
    public void Nested_persists_run_after_the_outer_handlers_and_defer_runs_after_every_persist_of_its_command()
    {
        var account = StartAccount("a5");

        account.Tell(new DepositNested(), TestActor);

        ExpectMsg("outer-1");
        ExpectMsg("outer-2");
        ExpectMsg("deferred");
        ExpectMsg("inner-1");
        ExpectMsg("inner-2");
        Assert.Equal([2, 2], _journal.WriteCalls.Select(c => c.Count));
        account.Tell(new GetBalance(), TestActor);
        ExpectMsg(new Balance(33, 4, false));
    }

    [Fact]
    public void A_failed_write_stops_the_actor_and_acknowledges_nothing()
    {
        var account = StartAccount("a6");
        account.Tell(new Deposit(5), TestActor);
        ExpectMsg(new Acked(5, 1));
        Watch(account);
        _journal.FailWritesWith = new JournalWriteException("disk on fire");

        account.Tell(new Deposit(7), TestActor);
        account.Tell(new GetBalance(), TestActor);

        var failed = _probe.ExpectMsg<PersistFailed>();
        Assert.Equal(2, failed.SequenceNr);
        Assert.Contains("'a6'", failed.Cause.Message);
        Assert.Contains("disk on fire", failed.Cause.Message);
        ExpectTerminated(account);
        Assert.Null(ReceiveOne(TimeSpan.Zero));
    }

    [Fact]
    public void Recovery_of_a_corrupted_event_stops_the_actor_with_an_error_naming_persistence_id_and_sequence_number()
    {
        var account = StartAccount("a7");
        account.Tell(new DepositMany([1, 2, 3]), TestActor);
        ExpectMsg<Acked>();
        ExpectMsg<Acked>();
        ExpectMsg<Acked>();
        Watch(account);
        Sys.Stop(account);
        ExpectTerminated(account);
        _store.CorruptEvent("a7", 2);

        var restarted = Watch(Sys.ActorOf(Account.Props("a7", _probe.Ref)));

        var failure = Assert.IsType<RecoveryFailedException>(_probe.ExpectMsg<RecoveryFailed>().Cause);
        Assert.Equal(("a7", 2L), (failure.PersistenceId, failure.SequenceNr));
        Assert.Contains("persistence id 'a7'", failure.Message);
        Assert.Contains("sequence number 2", failure.Message);
        Assert.IsType<JournalCorruptedException>(failure.InnerException);
        ExpectTerminated(restarted);
    }

    [Fact]
    public void Recovery_starts_from_the_latest_snapshot_and_replays_only_later_events()
    {
        var account = StartAccount("a8");
        account.Tell(new DepositMany([1, 2]), TestActor);
        ExpectMsg<Acked>();
        ExpectMsg<Acked>();
        account.Tell(new TakeSnapshot(), TestActor);
        Assert.Equal(2, _probe.ExpectMsg<SaveSnapshotSuccess>().Metadata.SequenceNr);
        account.Tell(new Deposit(10), TestActor);
        ExpectMsg(new Acked(13, 3));

        var (_, recovered) = Restart(account, "a8");

        Assert.Equal(["snapshot@2", "replay@3:True"], recovered.Log);
        Assert.Equal((13L, 3L), (recovered.Balance, recovered.LastSequenceNr));
    }

    [Fact]
    public void Sequence_numbers_continue_after_every_event_was_deleted()
    {
        var account = StartAccount("a9");
        account.Tell(new DepositMany([1, 2, 3]), TestActor);
        ExpectMsg<Acked>();
        ExpectMsg<Acked>();
        ExpectMsg<Acked>();

        account.Tell(new DeleteEventsUpTo(long.MaxValue), TestActor);
        Assert.Equal(3, _probe.ExpectMsg<DeleteMessagesSuccess>().ToSequenceNr);
        var (incarnation, recovered) = Restart(account, "a9");
        incarnation.Tell(new Deposit(10), TestActor);

        Assert.Empty(recovered.Log);
        Assert.Equal(3, recovered.LastSequenceNr);
        ExpectMsg(new Acked(10, 4));
    }

    [Fact]
    public void After_deleting_snapshots_recovery_replays_every_event()
    {
        var account = StartAccount("a10");
        account.Tell(new DepositMany([4, 5]), TestActor);
        ExpectMsg<Acked>();
        ExpectMsg<Acked>();
        account.Tell(new TakeSnapshot(), TestActor);
        _probe.ExpectMsg<SaveSnapshotSuccess>();

        account.Tell(new DeleteSnapshotsUpTo(long.MaxValue), TestActor);
        _probe.ExpectMsg<DeleteSnapshotsSuccess>();
        var (_, recovered) = Restart(account, "a10");

        Assert.Equal(["replay@1:True", "replay@2:True"], recovered.Log);
        Assert.Equal(9, recovered.Balance);
    }

    [Fact]
    public void An_event_that_does_not_serialize_is_rejected_and_the_actor_goes_on()
    {
        var account = StartAccount("a11");

        account.Tell(new DepositUnserializable(), TestActor);
        account.Tell(new Deposit(3), TestActor);

        var rejected = _probe.ExpectMsg<PersistRejected>();
        Assert.IsType<SerializationException>(rejected.Cause);
        Assert.Equal(1, rejected.SequenceNr);
        ExpectMsg(new Acked(3, 1));
        Assert.Single(_journal.WriteCalls);
    }

    [Fact]
    public void A_new_incarnation_after_a_stop_continues_the_sequence_numbers()
    {
        var account = StartAccount("a12");
        account.Tell(new Deposit(1), TestActor);
        ExpectMsg(new Acked(1, 1));
        var (incarnation, _) = Restart(account, "a12");

        incarnation.Tell(new Deposit(1), TestActor);

        ExpectMsg(new Acked(2, 2));
    }

    [Fact]
    public void Without_registered_persistence_the_actor_stops_with_an_error_saying_how_to_register_it()
    {
        using var bare = new TestKit.TestKit(new SimulationWorld(Seed).CreateSystem("bare"));
        var probe = bare.CreateTestProbe();

        var account = bare.Watch(bare.Sys.ActorOf(Account.Props("a13", probe.Ref)));

        var failure = probe.ExpectMsg<RecoveryFailed>().Cause;
        Assert.Contains("PersistenceExtension.Register", failure.Message);
        bare.ExpectTerminated(account);
    }
}
