using System.Runtime.Serialization;
using Akka.Actor;
using Akka.Persistence;
using AkkaRaft.Raft.Persistence;
using Xunit.Abstractions;

namespace AkkaRaft.Raft.Tests.Persistence;

/// <summary>
/// A persistent actor on the configuration <see cref="RaftPersistence.AkkaConfig"/> ships: what one PersistAll costs in
/// SQL transactions, recovery after a restart, and how a corrupted journal row or snapshot fails recovery.
/// </summary>
public abstract class PersistentActorTests : SqlPersistenceTestKit
{
    /// <summary>A system whose SQL the test watches.</summary>
    protected PersistentActorTests(RaftPersistencePlugin plugin, ITestOutputHelper output)
        : base(TestStorage.Create(plugin), new SqlObserver(), output)
    {
    }

    [Theory]
    [InlineData(1)]
    [InlineData(10)]
    [InlineData(250)]
    [InlineData(1500)] // more rows than one INSERT statement carries (db-round-trip-max-batch-size = 1000)
    public void PersistAll_should_write_its_events_in_one_transaction(int events)
    {
        var log = Sys.ActorOf(EventLogActor.Props("p-1", TestActor));
        ExpectMsg<EventLogActor.Recovered>();
        Observer!.ClearInserts();

        var values = Enumerable.Range(1, events).Select(i => $"v-{i}").ToList();
        log.Tell(new EventLogActor.PersistAllOf(values));
        ExpectMsg<EventLogActor.Persisted>(p => Assert.Equal(events, p.SequenceNr));

        var inserts = Observer.JournalInserts;
        Assert.NotEmpty(inserts);
        Assert.All(inserts, i => Assert.NotEqual(0, i.Transaction));
        var transaction = Assert.Single(inserts.Select(i => i.Transaction).Distinct());
        Assert.True(Observer.Committed(transaction), $"transaction {transaction} of the journal INSERTs was not committed");
        Output?.WriteLine($"PersistAll of {events}: {inserts.Count} INSERT statement(s) in 1 transaction");
    }

    [Fact]
    public void PersistAll_should_be_replayed_whole_after_the_actor_restarts()
    {
        var log = Sys.ActorOf(EventLogActor.Props("p-1", TestActor));
        ExpectMsg<EventLogActor.Recovered>(r => Assert.Empty(r.Values));
        log.Tell(new EventLogActor.PersistAllOf(["a", "b", "c"]));
        ExpectMsg<EventLogActor.Persisted>(p => Assert.Equal(3, p.SequenceNr));
        log.Tell(new EventLogActor.PersistAllOf(["d"]));
        ExpectMsg<EventLogActor.Persisted>(p => Assert.Equal(4, p.SequenceNr));
        Watch(log);
        Sys.Stop(log);
        ExpectTerminated(log);

        Sys.ActorOf(EventLogActor.Props("p-1", TestActor));
        ExpectMsg<EventLogActor.Recovered>(r =>
        {
            Assert.Equal(["a", "b", "c", "d"], r.Values);
            Assert.Equal(4, r.LastSequenceNr);
        });
    }

    [Fact]
    public void Many_persistent_actors_writing_at_once_should_all_be_acknowledged_and_replayed()
    {
        // Their writes queue in the one journal, are grouped up to max-batch-size rows per transaction and run
        // write-parallelism transactions at once: on SQLite these wait for each other's lock (busy-timeout).
        const int actors = 16;
        const int commands = 10;
        var logs = Enumerable.Range(0, actors).Select(a => Sys.ActorOf(EventLogActor.Props($"p-{a}", TestActor))).ToList();
        for (var a = 0; a < actors; a++)
        {
            ExpectMsg<EventLogActor.Recovered>();
        }

        for (var c = 0; c < commands; c++)
        {
            for (var a = 0; a < actors; a++)
            {
                logs[a].Tell(new EventLogActor.PersistAllOf([$"{a}-{c}-x", $"{a}-{c}-y", $"{a}-{c}-z"]));
            }
        }

        for (var i = 0; i < actors * commands; i++)
        {
            ExpectMsg<EventLogActor.Persisted>();
        }

        Output?.WriteLine($"{Observer!.JournalInserts.Select(t => t.Transaction).Distinct().Count()} write transactions for {actors * commands} PersistAll calls");
        foreach (var log in logs)
        {
            Watch(log);
            Sys.Stop(log);
            ExpectTerminated(log);
        }

        for (var a = 0; a < actors; a++)
        {
            Sys.ActorOf(EventLogActor.Props($"p-{a}", TestActor));
            var recovered = ExpectMsg<EventLogActor.Recovered>();
            Assert.Equal(3 * commands, recovered.LastSequenceNr);
            var owner = recovered.Values[0].Split('-')[0];
            var expected = Enumerable.Range(0, commands).SelectMany(c => new[] { $"{owner}-{c}-x", $"{owner}-{c}-y", $"{owner}-{c}-z" });
            Assert.Equal(expected, recovered.Values);
        }
    }

    [Fact]
    public void Recovery_should_fail_on_a_corrupted_row_with_the_serializer_exception_after_the_last_good_event()
    {
        var log = Sys.ActorOf(EventLogActor.Props("p-1", TestActor));
        ExpectMsg<EventLogActor.Recovered>();
        log.Tell(new EventLogActor.PersistAllOf(["a", "b", "c"]));
        ExpectMsg<EventLogActor.Persisted>();
        Watch(log);
        Sys.Stop(log);
        ExpectTerminated(log);

        // Overwrite event 2's bytes with ones the serializer refuses (no TEV1 header).
        var changed = Storage.Execute($"UPDATE {Storage.JournalTable} SET message = {GarbageLiteral} WHERE persistence_id = 'p-1' AND sequence_number = 2;");
        Assert.Equal(1, changed);

        var restarted = Sys.ActorOf(EventLogActor.Props("p-1", TestActor));
        Watch(restarted);
        var failed = ExpectMsg<EventLogActor.RecoveryFailed>();
        Output?.WriteLine($"cause: {failed.Cause.GetType().FullName}: {failed.Cause.Message}; message: {failed.Message ?? "null"}; LastSequenceNr: {failed.LastSequenceNr}");

        // Akka.Persistence.Sql hands over the serializer's exception as it is: it names neither the persistence id
        // nor the sequence number. The actor knows both: its PersistenceId, and LastSequenceNr + 1 is the bad row.
        var cause = Assert.IsType<SerializationException>(failed.Cause);
        Assert.Contains("TEV1", cause.Message, StringComparison.Ordinal);
        Assert.Null(failed.Message);
        Assert.Equal(1, failed.LastSequenceNr);
        ExpectTerminated(restarted);
    }

    [Fact]
    public void Recovery_should_fail_on_a_corrupted_snapshot_with_the_serializer_exception()
    {
        var log = Sys.ActorOf(EventLogActor.Props("p-1", TestActor));
        ExpectMsg<EventLogActor.Recovered>();
        log.Tell(new EventLogActor.PersistAllOf(["a", "b", "c"]));
        ExpectMsg<EventLogActor.Persisted>();
        SnapshotStore.Tell(new SaveSnapshot(new SnapshotMetadata("p-1", 2, DateTime.UtcNow), new TestEvent("s")), TestActor);
        ExpectMsg<SaveSnapshotSuccess>();
        Watch(log);
        Sys.Stop(log);
        ExpectTerminated(log);

        var changed = Storage.ExecuteOnSnapshots($"UPDATE {Storage.SnapshotTable} SET snapshot = {GarbageLiteral} WHERE persistence_id = 'p-1' AND sequence_number = 2;");
        Assert.Equal(1, changed);

        var restarted = Sys.ActorOf(EventLogActor.Props("p-1", TestActor));
        Watch(restarted);
        var failed = ExpectMsg<EventLogActor.RecoveryFailed>();
        Output?.WriteLine($"cause: {failed.Cause.GetType().FullName}: {failed.Cause.Message}; LastSequenceNr: {failed.LastSequenceNr}");

        // The snapshot store's load fails and recovery fails with it: it does not fall back to replaying the journal.
        var cause = Assert.IsType<SerializationException>(failed.Cause);
        Assert.Contains("TEV1", cause.Message, StringComparison.Ordinal);
        Assert.Equal(0, failed.LastSequenceNr);
        ExpectTerminated(restarted);
    }

    private string GarbageLiteral => Storage.Settings.Plugin == RaftPersistencePlugin.Sqlite ? "X'00FF00FF'" : "'\\x00ff00ff'::bytea";
}

/// <summary>The persistent actor cases on the embedded SQLite file.</summary>
public sealed class SqlitePersistentActorTests(ITestOutputHelper output)
    : PersistentActorTests(RaftPersistencePlugin.Sqlite, output);

/// <summary>The persistent actor cases on the PostgreSQL server.</summary>
public sealed class PostgreSqlPersistentActorTests(ITestOutputHelper output)
    : PersistentActorTests(RaftPersistencePlugin.PostgreSql, output);
