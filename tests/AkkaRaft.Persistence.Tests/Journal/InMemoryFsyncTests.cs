using System.Text;
using AkkaRaft.Actors.Serialization;
using AkkaRaft.Persistence.InMemory;
using AkkaRaft.Persistence.Snapshots;
using static AkkaRaft.Persistence.Tests.Support.Events;

namespace AkkaRaft.Persistence.Tests.Journal;

public sealed class InMemoryFsyncTests
{
    [Fact]
    public async Task With_fsync_on_a_crash_loses_nothing_that_was_acknowledged()
    {
        var store = new InMemoryStore(fsyncOnWrite: true);
        var journal = new InMemoryJournal(store);
        await journal.WriteAsync(Write("p", 1, 3));

        Assert.Equal(0, store.Crash());

        Assert.Equal(3, (await ReplayAll(new InMemoryJournal(store), "p")).Count);
        Assert.Equal(1, journal.Counters.Fsyncs);
    }

    [Fact]
    public async Task With_fsync_off_a_crash_keeps_only_what_was_flushed()
    {
        var store = new InMemoryStore(fsyncOnWrite: false);
        var journal = new InMemoryJournal(store);
        await journal.WriteAsync(Write("p", 1, 2));
        store.Flush();
        await journal.WriteAsync(Write("p", 3, 4));
        await journal.WriteAsync(Write("q", 1, 1));

        Assert.Equal(2, store.Crash());

        var restarted = new InMemoryJournal(store);
        Assert.Equal([1L, 2], (await ReplayAll(restarted, "p")).Select(e => e.SequenceNr));
        Assert.Equal(2, await restarted.ReadHighestSequenceNrAsync("p"));
        Assert.Empty(await ReplayAll(restarted, "q"));
        Assert.Equal(0, journal.Counters.Fsyncs);
    }

    [Fact]
    public async Task With_fsync_off_an_unflushed_delete_is_undone_by_a_crash()
    {
        var store = new InMemoryStore(fsyncOnWrite: false);
        var journal = new InMemoryJournal(store);
        await journal.WriteAsync(Write("p", 1, 3));
        store.Flush();

        await journal.DeleteMessagesToAsync("p", 2);
        store.Crash();

        Assert.Equal([1L, 2, 3], (await ReplayAll(journal, "p")).Select(e => e.SequenceNr));
    }

    [Fact]
    public async Task With_fsync_off_unflushed_snapshot_changes_are_undone_by_a_crash()
    {
        var store = new InMemoryStore(fsyncOnWrite: false);
        var snapshots = new InMemorySnapshotStore(store);
        var t = DateTimeOffset.FromUnixTimeMilliseconds(1_000);
        await snapshots.SaveAsync(new SnapshotMetadata("p", 1, t), new SerializedMessage(1, "", Encoding.UTF8.GetBytes("one")));
        store.Flush();
        await snapshots.SaveAsync(new SnapshotMetadata("p", 1, t), new SerializedMessage(1, "", Encoding.UTF8.GetBytes("replaced")));
        await snapshots.SaveAsync(new SnapshotMetadata("p", 2, t), new SerializedMessage(1, "", Encoding.UTF8.GetBytes("two")));

        store.Crash();

        var loaded = await snapshots.LoadAsync("p", SnapshotSelectionCriteria.Latest);
        Assert.Equal((1L, "one"), (loaded!.Metadata.SequenceNr, Encoding.UTF8.GetString(loaded.Snapshot.Payload.Span)));
    }

    [Fact]
    public async Task A_sequence_number_written_again_after_a_crash_lost_it_is_accepted()
    {
        var store = new InMemoryStore(fsyncOnWrite: false);
        var journal = new InMemoryJournal(store);
        await journal.WriteAsync(Write("p", 1, 1));
        store.Crash();

        await journal.WriteAsync(Write("p", 1, 1));

        Assert.Single(await ReplayAll(journal, "p"));
    }
}
