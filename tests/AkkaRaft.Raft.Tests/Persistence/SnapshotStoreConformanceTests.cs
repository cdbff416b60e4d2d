using Akka.Persistence;
using Akka.TestKit;
using AkkaRaft.Raft.Persistence;
using Xunit.Abstractions;

namespace AkkaRaft.Raft.Tests.Persistence;

/// <summary>
/// The cases of Akka's <c>SnapshotStoreSpec</c> that the Raft peer relies on, run against the snapshot store
/// <see cref="RaftPersistence.AkkaConfig"/> configures, through the snapshot protocol (SaveSnapshot, LoadSnapshot,
/// DeleteSnapshot, DeleteSnapshots). Each test starts with snapshots at sequence numbers 1 to 5 of <see cref="Pid"/>,
/// taken one minute apart from <see cref="Epoch"/>, on a database of its own.
/// </summary>
public abstract class SnapshotStoreConformanceTests : SqlPersistenceTestKit
{
    /// <summary>The persistence id the tests save snapshots of.</summary>
    protected const string Pid = "p-1";

    /// <summary>When snapshot 1 was taken; snapshot n was taken n-1 minutes later.</summary>
    protected static readonly DateTime Epoch = new(2026, 1, 2, 3, 4, 5, DateTimeKind.Utc);

    private readonly TestProbe _probe;
    private readonly List<SnapshotMetadata> _saved = [];

    /// <summary>Saves snapshots 1 to 5.</summary>
    protected SnapshotStoreConformanceTests(RaftPersistencePlugin plugin, ITestOutputHelper output)
        : base(TestStorage.Create(plugin), output)
    {
        _probe = CreateTestProbe();
        for (var seq = 1; seq <= 5; seq++)
        {
            var metadata = new SnapshotMetadata(Pid, seq, Epoch.AddMinutes(seq - 1));
            SnapshotStore.Tell(new SaveSnapshot(metadata, new TestEvent($"s-{seq}")), _probe.Ref);
            _saved.Add(_probe.ExpectMsg<SaveSnapshotSuccess>(s => Assert.Equal(seq, s.Metadata.SequenceNr)).Metadata);
        }
    }

    [Fact]
    public void Snapshot_store_should_find_no_snapshot_of_an_unknown_persistence_id()
    {
        SnapshotStore.Tell(new LoadSnapshot("unknown", SnapshotSelectionCriteria.Latest, long.MaxValue), _probe.Ref);
        _probe.ExpectMsg<LoadSnapshotResult>(r =>
        {
            Assert.Null(r.Snapshot);
            Assert.Equal(long.MaxValue, r.ToSequenceNr);
        });
    }

    [Fact]
    public void Snapshot_store_should_find_no_snapshot_when_none_matches_the_criteria()
    {
        SnapshotStore.Tell(new LoadSnapshot(Pid, new SnapshotSelectionCriteria(long.MaxValue, Epoch.AddSeconds(-1)), long.MaxValue), _probe.Ref);
        _probe.ExpectMsg<LoadSnapshotResult>(r => Assert.Null(r.Snapshot));
    }

    [Fact]
    public void Snapshot_store_should_load_the_latest_snapshot()
    {
        SnapshotStore.Tell(new LoadSnapshot(Pid, SnapshotSelectionCriteria.Latest, long.MaxValue), _probe.Ref);
        ExpectLoaded(5);
    }

    [Fact]
    public void Snapshot_store_should_load_the_latest_snapshot_up_to_a_max_sequence_number()
    {
        SnapshotStore.Tell(new LoadSnapshot(Pid, new SnapshotSelectionCriteria(3), long.MaxValue), _probe.Ref);
        ExpectLoaded(3);
    }

    [Fact]
    public void Snapshot_store_should_load_the_latest_snapshot_up_to_the_recovery_to_sequence_number()
    {
        SnapshotStore.Tell(new LoadSnapshot(Pid, new SnapshotSelectionCriteria(4), 2), _probe.Ref);
        ExpectLoaded(2, toSequenceNr: 2);
    }

    [Fact]
    public void Snapshot_store_should_load_the_latest_snapshot_up_to_a_max_timestamp()
    {
        // Between snapshot 3 (Epoch + 2min) and snapshot 4 (Epoch + 3min).
        SnapshotStore.Tell(new LoadSnapshot(Pid, new SnapshotSelectionCriteria(long.MaxValue, Epoch.AddMinutes(2.5)), long.MaxValue), _probe.Ref);
        ExpectLoaded(3);
    }

    [Fact]
    public void Snapshot_store_should_load_by_max_sequence_number_and_max_timestamp_together()
    {
        SnapshotStore.Tell(new LoadSnapshot(Pid, new SnapshotSelectionCriteria(2, Epoch.AddMinutes(10)), long.MaxValue), _probe.Ref);
        ExpectLoaded(2);
        SnapshotStore.Tell(new LoadSnapshot(Pid, new SnapshotSelectionCriteria(4, Epoch.AddMinutes(0.5)), long.MaxValue), _probe.Ref);
        ExpectLoaded(1);
    }

    [Fact]
    public void Snapshot_store_should_delete_one_snapshot()
    {
        var fourth = _saved[3];
        SnapshotStore.Tell(new DeleteSnapshot(fourth), _probe.Ref);
        _probe.ExpectMsg<DeleteSnapshotSuccess>(d => Assert.Equal(4, d.Metadata.SequenceNr));

        SnapshotStore.Tell(new LoadSnapshot(Pid, new SnapshotSelectionCriteria(4), long.MaxValue), _probe.Ref);
        ExpectLoaded(3);
        SnapshotStore.Tell(new LoadSnapshot(Pid, SnapshotSelectionCriteria.Latest, long.MaxValue), _probe.Ref);
        ExpectLoaded(5);
    }

    [Fact]
    public void Snapshot_store_should_delete_the_snapshots_matching_criteria()
    {
        var criteria = new SnapshotSelectionCriteria(3);
        SnapshotStore.Tell(new DeleteSnapshots(Pid, criteria), _probe.Ref);
        _probe.ExpectMsg<DeleteSnapshotsSuccess>(d => Assert.Equal(criteria, d.Criteria));

        SnapshotStore.Tell(new LoadSnapshot(Pid, new SnapshotSelectionCriteria(3), long.MaxValue), _probe.Ref);
        _probe.ExpectMsg<LoadSnapshotResult>(r => Assert.Null(r.Snapshot));
        SnapshotStore.Tell(new LoadSnapshot(Pid, SnapshotSelectionCriteria.Latest, long.MaxValue), _probe.Ref);
        ExpectLoaded(5);
    }

    [Fact]
    public void Snapshot_store_should_delete_every_snapshot_of_a_persistence_id_and_no_other()
    {
        var other = new SnapshotMetadata("p-2", 9, Epoch);
        SnapshotStore.Tell(new SaveSnapshot(other, new TestEvent("other")), _probe.Ref);
        _probe.ExpectMsg<SaveSnapshotSuccess>();

        SnapshotStore.Tell(new DeleteSnapshots(Pid, SnapshotSelectionCriteria.Latest), _probe.Ref);
        _probe.ExpectMsg<DeleteSnapshotsSuccess>();

        SnapshotStore.Tell(new LoadSnapshot(Pid, SnapshotSelectionCriteria.Latest, long.MaxValue), _probe.Ref);
        _probe.ExpectMsg<LoadSnapshotResult>(r => Assert.Null(r.Snapshot));
        SnapshotStore.Tell(new LoadSnapshot("p-2", SnapshotSelectionCriteria.Latest, long.MaxValue), _probe.Ref);
        _probe.ExpectMsg<LoadSnapshotResult>(r => Assert.Equal(new TestEvent("other"), r.Snapshot?.Snapshot));
    }

    [Fact]
    public void Snapshot_store_should_replace_a_snapshot_saved_again_at_the_same_sequence_number()
    {
        var again = new SnapshotMetadata(Pid, 5, Epoch.AddMinutes(30));
        SnapshotStore.Tell(new SaveSnapshot(again, new TestEvent("s-5-again")), _probe.Ref);
        _probe.ExpectMsg<SaveSnapshotSuccess>();

        SnapshotStore.Tell(new LoadSnapshot(Pid, SnapshotSelectionCriteria.Latest, long.MaxValue), _probe.Ref);
        _probe.ExpectMsg<LoadSnapshotResult>(r =>
        {
            Assert.Equal(new TestEvent("s-5-again"), r.Snapshot?.Snapshot);
            Assert.Equal(Epoch.AddMinutes(30), r.Snapshot?.Metadata.Timestamp);
        });
    }

    [Fact]
    public void Snapshot_store_should_save_and_load_a_snapshot_of_several_megabytes()
    {
        var big = new TestEvent(new string('x', 4 * 1024 * 1024));
        SnapshotStore.Tell(new SaveSnapshot(new SnapshotMetadata(Pid, 6, Epoch.AddMinutes(5)), big), _probe.Ref);
        _probe.ExpectMsg<SaveSnapshotSuccess>();

        SnapshotStore.Tell(new LoadSnapshot(Pid, SnapshotSelectionCriteria.Latest, long.MaxValue), _probe.Ref);
        _probe.ExpectMsg<LoadSnapshotResult>(r => Assert.Equal(big, r.Snapshot?.Snapshot));
    }

    private void ExpectLoaded(long sequenceNr, long toSequenceNr = long.MaxValue) =>
        _probe.ExpectMsg<LoadSnapshotResult>(r =>
        {
            Assert.NotNull(r.Snapshot);
            Assert.Equal(Pid, r.Snapshot.Metadata.PersistenceId);
            Assert.Equal(sequenceNr, r.Snapshot.Metadata.SequenceNr);
            Assert.Equal(Epoch.AddMinutes(sequenceNr - 1), r.Snapshot.Metadata.Timestamp);
            Assert.Equal(new TestEvent($"s-{sequenceNr}"), r.Snapshot.Snapshot);
            Assert.Equal(toSequenceNr, r.ToSequenceNr);
        });
}

/// <summary>The snapshot cases on the embedded SQLite file.</summary>
public sealed class SqliteSnapshotStoreConformanceTests(ITestOutputHelper output)
    : SnapshotStoreConformanceTests(RaftPersistencePlugin.Sqlite, output);

/// <summary>The snapshot cases on the PostgreSQL server.</summary>
public sealed class PostgreSqlSnapshotStoreConformanceTests(ITestOutputHelper output)
    : SnapshotStoreConformanceTests(RaftPersistencePlugin.PostgreSql, output);
