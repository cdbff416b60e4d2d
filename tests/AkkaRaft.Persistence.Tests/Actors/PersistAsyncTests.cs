using AkkaRaft.Actors;
using AkkaRaft.Actors.Simulation;
using AkkaRaft.Persistence.InMemory;
using AkkaRaft.Persistence.Journal;
using AkkaRaft.Persistence.Tests.Protos;

namespace AkkaRaft.Persistence.Tests.Actors;

/// <summary>
/// PersistAsync, PersistAllAsync and DeferAsync (commands are not held while events are written; at most one write in
/// flight, later events go together in the next), and persisting from the RecoveryCompleted handler. Simulation
/// dispatcher over a journal the test holds open or closed.
/// </summary>
public sealed class PersistAsyncTests : TestKit.TestKit
{
    private readonly InMemoryStore _store = new();
    private readonly ControlledJournal _journal;
    private readonly TestKit.TestProbe _probe;

    public PersistAsyncTests()
        : base(new SimulationWorld(5150).CreateSystem("persist-async"))
    {
        _journal = new ControlledJournal(_store);
        PersistenceExtension.Register(Sys, new FixedPlugins(_journal, new InMemorySnapshotStore(_store)), PersistentActorTests.Serialization());
        _probe = CreateTestProbe("lifecycle");
    }

    private IActorRef StartAccount(string id)
    {
        var account = Sys.ActorOf(Account.Props(id, _probe.Ref));
        _probe.ExpectMsg<Recovered>();
        return account;
    }

    [Fact]
    public void Commands_are_handled_while_a_PersistAsync_write_is_in_flight_and_its_handler_runs_once_durable()
    {
        var account = StartAccount("s1");
        _journal.Close();

        account.Tell(new DepositAsync(5), TestActor);
        account.Tell(new GetBalance(), TestActor);

        // Answered before the write finished: the balance does not include the event yet.
        ExpectMsg(new Balance(0, 0, false));
        Assert.Equal(1, _journal.WritesWaiting);
        _journal.Open();
        ExpectMsg(new Acked(5, 1));
    }

    [Fact]
    public void Events_persisted_while_a_write_is_in_flight_go_together_in_the_next_write_and_handlers_run_in_call_order()
    {
        var account = StartAccount("s2");
        _journal.Close();

        account.Tell(new DepositAsync(1), TestActor);
        account.Tell(new DepositAsync(2), TestActor);
        account.Tell(new DepositManyAsync([3, 4]), TestActor);
        World!.RunUntilIdle();
        Assert.Single(_journal.WriteCalls);

        _journal.Open();

        ExpectMsg(new Acked(1, 1));
        ExpectMsg(new Acked(3, 2));
        ExpectMsg(new Acked(6, 3));
        ExpectMsg(new Acked(10, 4));
        // One write for the first event; one journal call for the three calls made while it was in flight, each
        // PersistAllAsync still its own atomic write.
        Assert.Equal([1, 2], _journal.WriteCalls.Select(c => c.Count));
        Assert.Equal([(2L, 2L), (3L, 4L)], _journal.WriteCalls[1].Select(w => (w.LowestSequenceNr, w.HighestSequenceNr)));
    }

    [Fact]
    public void Each_async_handler_sees_the_sender_of_the_command_that_persisted_its_event()
    {
        var account = StartAccount("s3");
        var other = CreateTestProbe("other");
        _journal.Close();

        account.Tell(new DepositAsync(1), TestActor);
        account.Tell(new DepositAsync(2), other.Ref);
        account.Tell(new DepositAsync(4), TestActor);
        World!.RunUntilIdle();
        _journal.Open();

        ExpectMsg(new Acked(1, 1));
        other.ExpectMsg(new Acked(3, 2));
        ExpectMsg(new Acked(7, 3));
    }

    [Fact]
    public void A_Persist_after_a_PersistAsync_runs_after_it_and_holds_later_commands_until_its_handler_ran()
    {
        var account = StartAccount("s4");
        _journal.Close();

        account.Tell(new DepositAsync(1), TestActor);
        account.Tell(new Deposit(2), TestActor);
        account.Tell(new GetBalance(), TestActor);
        World!.RunUntilIdle();
        Assert.Null(ReceiveOne(TimeSpan.Zero));
        _journal.Open();

        ExpectMsg(new Acked(1, 1));
        ExpectMsg(new Acked(3, 2));
        ExpectMsg(new Balance(3, 2, false));
    }

    [Fact]
    public void DeferAsync_runs_after_the_handlers_of_earlier_async_persists_and_at_once_when_none_is_pending()
    {
        var account = StartAccount("s5");
        account.Tell(new DeferReply("alone"), TestActor);
        ExpectMsg("alone");

        _journal.Close();
        account.Tell(new DepositAsync(1), TestActor);
        account.Tell(new DeferReply("after the deposit"), TestActor);
        World!.RunUntilIdle();
        Assert.Null(ReceiveOne(TimeSpan.Zero));
        _journal.Open();

        ExpectMsg(new Acked(1, 1));
        ExpectMsg("after the deposit");
    }

    [Fact]
    public void A_failed_async_write_stops_the_actor_and_no_handler_of_it_or_of_later_events_runs()
    {
        var account = StartAccount("s6");
        Watch(account);
        _journal.Close();
        _journal.FailWritesWith = new JournalWriteException("disk on fire");

        account.Tell(new DepositAsync(1), TestActor);
        account.Tell(new DepositAsync(2), TestActor);
        World!.RunUntilIdle();
        _journal.Open();

        var failed = _probe.ExpectMsg<PersistFailed>();
        Assert.Equal(1, failed.SequenceNr);
        Assert.Contains("disk on fire", failed.Cause.Message);
        ExpectTerminated(account);
        Assert.Null(ReceiveOne(TimeSpan.Zero));
        Assert.Single(_journal.WriteCalls);
    }

    [Fact]
    public void Events_persisted_by_the_RecoveryCompleted_handler_are_durable_before_the_first_command()
    {
        var first = Sys.ActorOf(Props.Create(() => new Opening("o1", TestActor)));
        first.Tell("balance", TestActor);
        ExpectMsg("opened at 1");
        ExpectMsg("balance 100 at 1");

        Watch(first);
        Sys.Stop(first);
        ExpectTerminated(first);
        var second = Sys.ActorOf(Props.Create(() => new Opening("o1", TestActor)));
        second.Tell("balance", TestActor);

        // Recovered from the journal: it opens only once.
        ExpectMsg("balance 100 at 1");
        Assert.Single(_journal.WriteCalls);
    }

    [Fact]
    public void PersistAsync_during_replay_is_refused_with_an_error_that_names_the_RecoveryCompleted_handler()
    {
        var actor = Sys.ActorOf(Props.Create(() => new Opening("o2", TestActor)));
        ExpectMsg("opened at 1");
        Watch(actor);
        Sys.Stop(actor);
        ExpectTerminated(actor);

        var misbehaving = Sys.ActorOf(Props.Create(() => new Opening("o2", TestActor, persistOnReplay: true)));

        var failure = ExpectMsg<string>();
        Assert.Contains("during recovery of 'o2'", failure);
        Assert.Contains("RecoveryCompleted", failure);
        Watch(misbehaving);
        ExpectTerminated(misbehaving);
    }

    /// <summary>Opens an account with 100 when it recovers empty, persisting from the RecoveryCompleted handler.</summary>
    private sealed class Opening : ReceivePersistentActor
    {
        private readonly string _id;
        private long _balance;

        public Opening(string id, IActorRef reporter, bool persistOnReplay = false)
        {
            _id = id;
            Recover<Deposited>(e =>
            {
                _balance += e.Amount;
                if (persistOnReplay)
                {
                    try
                    {
                        PersistAsync(e, _ => { });
                    }
                    catch (InvalidOperationException refused)
                    {
                        reporter.Tell(refused.Message);
                        throw;
                    }
                }
            });
            Recover<RecoveryCompleted>(_ =>
            {
                if (LastSequenceNr == 0)
                {
                    Persist(new Deposited { Account = _id, Amount = 100 }, e =>
                    {
                        _balance += e.Amount;
                        reporter.Tell($"opened at {LastSequenceNr}");
                    });
                }
            });
            Command<string>(_ => Sender.Tell($"balance {_balance} at {LastSequenceNr}"));
        }

        public override string PersistenceId => _id;
    }
}
