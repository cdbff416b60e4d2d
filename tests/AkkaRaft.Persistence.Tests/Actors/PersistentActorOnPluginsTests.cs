using AkkaRaft.Actors;
using AkkaRaft.Configuration;
using AkkaRaft.Persistence.Journal;
using AkkaRaft.Persistence.Sql;
using AkkaRaft.Persistence.Tests.Support;
using Google.Protobuf;
using Microsoft.Data.Sqlite;

namespace AkkaRaft.Persistence.Tests.Actors;

/// <summary>
/// The same persistent actor over each real plugin (chosen by configuration, as a node would), on the thread-pool
/// dispatcher: the real SQLite file and the real PostgreSQL server.
/// </summary>
public sealed class PersistentActorOnPluginsTests : IAsyncLifetime
{
    private readonly string _directory = SqliteFiles.NewTempDirectory();
    private readonly string _schema = PostgresTestDatabase.NewSchemaName();

    public Task InitializeAsync() => PostgresTestDatabase.EnsureReachableAsync();

    public async Task DisposeAsync()
    {
        SqliteConnection.ClearAllPools();
        SqliteFiles.DeleteDirectory(_directory);
        await PostgresTestDatabase.DropSchemaAsync(_schema);
    }

    private PersistencePlugins Plugins(string plugin) => new(
        PersistenceSettings.FromConfig(ConfigurationFactory.ParseString($$"""
            akkaraft.persistence {
              journal.plugin = {{plugin}}
              snapshot-store.plugin = {{plugin}}
              postgresql { connection-string = "{{PostgresTestDatabase.ConnectionString}}", schema = {{_schema}} }
            }
            """).WithFallback(ConfigurationFactory.Default())),
        _directory);

    /// <summary>A node: an actor system with persistence over <paramref name="plugins"/>.</summary>
    private static TestKit.TestKit Node(PersistencePlugins plugins)
    {
        var node = new TestKit.TestKit();
        PersistenceExtension.Register(node.Sys, plugins, PersistentActorTests.Serialization(), plugins.Settings);
        return node;
    }

    [Theory]
    [InlineData("sqlite")]
    [InlineData("postgresql")]
    [InlineData("inmem")]
    public async Task An_actor_recovers_its_events_and_snapshot_after_its_node_restarts(string plugin)
    {
        var plugins = Plugins(plugin);
        using (var node = Node(plugins))
        {
            var probe = node.CreateTestProbe();
            var account = node.Sys.ActorOf(Account.Props("acct", probe.Ref));
            probe.ExpectMsg<Recovered>();
            account.Tell(new DepositMany([1, 2, 3]), node.TestActor);
            node.ExpectMsg(new Acked(1, 1));
            node.ExpectMsg(new Acked(3, 2));
            node.ExpectMsg(new Acked(6, 3));
            account.Tell(new TakeSnapshot(), node.TestActor);
            probe.ExpectMsg<SaveSnapshotSuccess>();
            account.Tell(new Deposit(4), node.TestActor);
            node.ExpectMsg(new Acked(10, 4));
        }

        if (plugin == "inmem")
        {
            // The in-memory store lives in the plugins object; a "restart" keeps it, like a disk would.
            plugins = new PersistencePlugins(plugins.Settings, _directory, plugins.InMemoryStore);
        }
        else
        {
            await plugins.DisposeAsync();
            plugins = Plugins(plugin);
        }

        await using (plugins)
        {
            using var node = Node(plugins);
            var probe = node.CreateTestProbe();
            node.Sys.ActorOf(Account.Props("acct", probe.Ref));

            var recovered = probe.ExpectMsg<Recovered>();
            Assert.Equal(["snapshot@3", "replay@4:True"], recovered.Log);
            Assert.Equal((10L, 4L), (recovered.Balance, recovered.LastSequenceNr));
        }
    }

    [Fact]
    public async Task A_flipped_byte_in_the_sqlite_file_fails_recovery_naming_persistence_id_and_sequence_number()
    {
        var plugins = Plugins("sqlite");
        using (var node = Node(plugins))
        {
            var probe = node.CreateTestProbe();
            var account = node.Sys.ActorOf(Account.Props("flip", probe.Ref));
            probe.ExpectMsg<Recovered>();
            account.Tell(new Deposit(111_111), node.TestActor);
            account.Tell(new Deposit(222_222), node.TestActor);
            node.ExpectMsg<Acked>();
            node.ExpectMsg<Acked>();
        }

        await plugins.DisposeAsync();
        SqliteConnection.ClearAllPools();
        var marker = new Protos.Deposited { Account = "flip", Amount = 222_222 }.ToByteArray();
        Assert.Equal(1, SqliteFiles.FlipByteInside(Path.Combine(_directory, "persistence.db"), marker));

        await using var reopened = Plugins("sqlite");
        using var restarted = Node(reopened);
        var restartProbe = restarted.CreateTestProbe();
        var incarnation = restarted.Watch(restarted.Sys.ActorOf(Account.Props("flip", restartProbe.Ref)));

        var failure = Assert.IsType<RecoveryFailedException>(restartProbe.ExpectMsg<RecoveryFailed>().Cause);
        Assert.Equal(("flip", 2L), (failure.PersistenceId, failure.SequenceNr));
        Assert.IsType<JournalCorruptedException>(failure.InnerException);
        restarted.ExpectTerminated(incarnation);
    }

    [Fact]
    public async Task An_actor_may_use_another_journal_than_the_configured_default()
    {
        await using var plugins = Plugins("sqlite");
        using var node = Node(plugins);
        var probe = node.CreateTestProbe();
        var account = node.Sys.ActorOf(Account.Props("elsewhere", probe.Ref, journalPluginId: "inmem"));
        probe.ExpectMsg<Recovered>();

        account.Tell(new Deposit(1), node.TestActor);
        node.ExpectMsg(new Acked(1, 1));

        Assert.Equal(1, await (await plugins.GetJournalAsync("inmem")).ReadHighestSequenceNrAsync("elsewhere"));
        Assert.Equal(0, await (await plugins.GetJournalAsync()).ReadHighestSequenceNrAsync("elsewhere"));
    }

    [Fact]
    public async Task Many_actors_persisting_at_once_share_sqlite_transactions()
    {
        await using var plugins = Plugins("sqlite");
        using var node = Node(plugins);
        var probe = node.CreateTestProbe();
        var accounts = Enumerable.Range(0, 32).Select(i => node.Sys.ActorOf(Account.Props($"many-{i}", probe.Ref))).ToArray();
        foreach (var _ in accounts)
        {
            probe.ExpectMsg<Recovered>();
        }

        var journal = await plugins.GetJournalAsync();
        var before = journal.Counters.Snapshot();
        for (var round = 0; round < 5; round++)
        {
            foreach (var account in accounts)
            {
                account.Tell(new Deposit(1), node.TestActor);
            }

            for (var i = 0; i < accounts.Length; i++)
            {
                node.ExpectMsg<Acked>(a => a.SequenceNr == round + 1);
            }
        }

        var counted = journal.Counters.Snapshot().Since(before);
        Assert.Equal(160, counted.WriteRequests);
        Assert.Equal(counted.Transactions, counted.Fsyncs);
        Assert.InRange(counted.Transactions, 1, counted.WriteRequests);
    }
}
