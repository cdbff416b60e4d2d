using System.Text;
using AkkaRaft.Actors.Serialization;
using AkkaRaft.Persistence.Journal;
using AkkaRaft.Persistence.Tests.Support;
using static AkkaRaft.Persistence.Tests.Support.Events;

namespace AkkaRaft.Persistence.Tests.Conformance;

/// <summary>
/// What every journal plugin must do, in the manner of Akka.Persistence.TCK's JournalSpec. A plugin's test class
/// derives from this and says how to open its journal over the test's storage and how to damage a stored payload.
/// </summary>
public abstract class JournalSpec : IAsyncLifetime
{
    /// <summary>The journal under test; replaced by <see cref="ReopenAsync"/>.</summary>
    protected IJournal Journal { get; private set; } = null!;

    /// <summary>Opens a journal over this test's storage; every call sees what earlier journals stored.</summary>
    protected abstract Task<IJournal> OpenJournalAsync();

    /// <summary>Damages the stored payload of one event (outside the journal, as a failing disk would).</summary>
    protected abstract Task CorruptStoredPayloadAsync(string persistenceId, long sequenceNr);

    /// <summary>Removes this test's storage.</summary>
    protected abstract Task DeleteStorageAsync();

    /// <summary>Closes the journal and opens a new one over the same storage, like a process restart.</summary>
    protected async Task ReopenAsync()
    {
        await Journal.DisposeAsync();
        Journal = await OpenJournalAsync();
    }

    public async Task InitializeAsync() => Journal = await OpenJournalAsync();

    public async Task DisposeAsync()
    {
        await Journal.DisposeAsync();
        await DeleteStorageAsync();
    }

    [Fact]
    public async Task Replay_returns_every_written_event_in_sequence_order()
    {
        var pid = UniqueId("a");
        await Journal.WriteAsync(Write(pid, 1, 3));
        await Journal.WriteAsync(Write(pid, 4, 5));

        var replayed = await ReplayAll(Journal, pid);

        Assert.Equal([1L, 2, 3, 4, 5], replayed.Select(e => e.SequenceNr));
        Assert.All(replayed, e => Assert.Equal(PayloadOf(pid, e.SequenceNr), e.Payload.Payload.ToArray()));
    }

    [Fact]
    public async Task Replay_keeps_serializer_id_manifest_and_bytes_exactly()
    {
        var pid = UniqueId("bytes");
        var payload = new byte[300];
        new Random(7).NextBytes(payload);
        var events = new List<PersistentEvent>
        {
            new(pid, 1, new SerializedMessage(ProtobufSerializer.Id, "akkaraft.raft.Entry", payload)),
            new(pid, 2, new SerializedMessage(42, "manifest-ü-ñ-日本", Array.Empty<byte>())),
        };
        await Journal.WriteAsync(new AtomicWrite(events));

        var replayed = await ReplayAll(Journal, pid);

        Assert.Equal(2, replayed.Count);
        Assert.Equal(ProtobufSerializer.Id, replayed[0].Payload.SerializerId);
        Assert.Equal("akkaraft.raft.Entry", replayed[0].Payload.Manifest);
        Assert.Equal(payload, replayed[0].Payload.Payload.ToArray());
        Assert.Equal(42, replayed[1].Payload.SerializerId);
        Assert.Equal("manifest-ü-ñ-日本", replayed[1].Payload.Manifest);
        Assert.Empty(replayed[1].Payload.Payload.ToArray());
    }

    [Theory]
    [InlineData(2, 4, long.MaxValue, new long[] { 2, 3, 4 })]
    [InlineData(1, long.MaxValue, 2, new long[] { 1, 2 })]
    [InlineData(3, 3, 10, new long[] { 3 })]
    [InlineData(6, 10, 10, new long[0])]
    [InlineData(4, 2, 10, new long[0])]
    [InlineData(1, 5, 0, new long[0])]
    public async Task Replay_returns_only_the_range_asked_for_and_at_most_max_events(long from, long to, long max, long[] expected)
    {
        var pid = UniqueId("range");
        await Journal.WriteAsync(Write(pid, 1, 5));

        var replayed = await ReplayAll(Journal, pid, from, to, max);

        Assert.Equal(expected, replayed.Select(e => e.SequenceNr));
    }

    [Fact]
    public async Task Replay_of_an_unknown_persistence_id_returns_nothing()
    {
        Assert.Empty(await ReplayAll(Journal, UniqueId("nobody")));
    }

    [Fact]
    public async Task Highest_sequence_number_is_zero_for_an_unknown_persistence_id()
    {
        Assert.Equal(0, await Journal.ReadHighestSequenceNrAsync(UniqueId("nobody")));
    }

    [Fact]
    public async Task Highest_sequence_number_is_the_last_one_written()
    {
        var pid = UniqueId("high");
        await Journal.WriteAsync(Write(pid, 1, 7));

        Assert.Equal(7, await Journal.ReadHighestSequenceNrAsync(pid));
    }

    [Fact]
    public async Task Delete_removes_events_up_to_and_including_the_given_sequence_number()
    {
        var pid = UniqueId("del");
        await Journal.WriteAsync(Write(pid, 1, 5));

        await Journal.DeleteMessagesToAsync(pid, 3);

        Assert.Equal([4L, 5], (await ReplayAll(Journal, pid)).Select(e => e.SequenceNr));
    }

    [Fact]
    public async Task Deleting_every_event_keeps_the_highest_sequence_number()
    {
        var pid = UniqueId("delall");
        await Journal.WriteAsync(Write(pid, 1, 5));

        await Journal.DeleteMessagesToAsync(pid, 5);

        Assert.Empty(await ReplayAll(Journal, pid));
        Assert.Equal(5, await Journal.ReadHighestSequenceNrAsync(pid));
    }

    [Fact]
    public async Task Deleting_beyond_the_highest_sequence_number_does_not_raise_it()
    {
        var pid = UniqueId("delbeyond");
        await Journal.WriteAsync(Write(pid, 1, 3));

        await Journal.DeleteMessagesToAsync(pid, long.MaxValue);
        await ReopenAsync();

        Assert.Empty(await ReplayAll(Journal, pid));
        Assert.Equal(3, await Journal.ReadHighestSequenceNrAsync(pid));
    }

    [Fact]
    public async Task Writing_continues_after_deleting_every_event()
    {
        var pid = UniqueId("after");
        await Journal.WriteAsync(Write(pid, 1, 3));
        await Journal.DeleteMessagesToAsync(pid, 3);

        await Journal.WriteAsync(Write(pid, 4, 5));

        Assert.Equal([4L, 5], (await ReplayAll(Journal, pid)).Select(e => e.SequenceNr));
        Assert.Equal(5, await Journal.ReadHighestSequenceNrAsync(pid));
    }

    [Fact]
    public async Task Delete_of_one_persistence_id_leaves_the_others_alone()
    {
        var a = UniqueId("a");
        var b = UniqueId("b");
        await Journal.WriteAsync([Write(a, 1, 3), Write(b, 1, 3)]);

        await Journal.DeleteMessagesToAsync(a, 3);

        Assert.Equal(3, (await ReplayAll(Journal, b)).Count);
    }

    [Fact]
    public async Task Writing_a_sequence_number_already_taken_is_refused_and_stores_nothing_of_that_atomic_write()
    {
        var pid = UniqueId("dup");
        await Journal.WriteAsync(Write(pid, 1, 3));

        var error = await Assert.ThrowsAsync<JournalWriteException>(async () => await Journal.WriteAsync(Write(pid, 3, 6)));

        Assert.Contains(pid, error.Message);
        Assert.Equal([1L, 2, 3], (await ReplayAll(Journal, pid)).Select(e => e.SequenceNr));
        Assert.Equal(3, await Journal.ReadHighestSequenceNrAsync(pid));
    }

    [Fact]
    public async Task A_list_of_writes_for_many_persistence_ids_is_stored_all_together_or_not_at_all()
    {
        var a = UniqueId("a");
        var b = UniqueId("b");
        var c = UniqueId("c");
        await Journal.WriteAsync(Write(c, 1, 1));

        await Assert.ThrowsAsync<JournalWriteException>(async () => await Journal.WriteAsync([Write(a, 1, 2), Write(b, 1, 2), Write(c, 1, 1)]));
        await Journal.WriteAsync([Write(a, 1, 2), Write(b, 1, 2)]);

        Assert.Equal([1L, 2], (await ReplayAll(Journal, a)).Select(e => e.SequenceNr));
        Assert.Equal([1L, 2], (await ReplayAll(Journal, b)).Select(e => e.SequenceNr));
        Assert.Single(await ReplayAll(Journal, c));
    }

    [Fact]
    public async Task Events_survive_closing_and_reopening_the_journal()
    {
        var pid = UniqueId("durable");
        await Journal.WriteAsync(Write(pid, 1, 4));
        await Journal.DeleteMessagesToAsync(pid, 1);

        await ReopenAsync();

        Assert.Equal([2L, 3, 4], (await ReplayAll(Journal, pid)).Select(e => e.SequenceNr));
        Assert.Equal(4, await Journal.ReadHighestSequenceNrAsync(pid));
    }

    [Fact]
    public async Task Concurrent_writers_of_many_persistence_ids_all_get_their_events_stored_in_order()
    {
        const int writers = 16;
        const int writesEach = 10;
        var pids = Enumerable.Range(0, writers).Select(i => UniqueId($"w{i}")).ToArray();
        var before = Journal.Counters.Snapshot();

        await Task.WhenAll(pids.Select(async pid =>
        {
            for (var i = 0; i < writesEach; i++)
            {
                await Journal.WriteAsync(Write(pid, (i * 2) + 1, (i * 2) + 2));
            }
        }));

        foreach (var pid in pids)
        {
            Assert.Equal(Enumerable.Range(1, writesEach * 2).Select(i => (long)i), (await ReplayAll(Journal, pid)).Select(e => e.SequenceNr));
        }

        var counted = Journal.Counters.Snapshot().Since(before);
        Assert.Equal(writers * writesEach, counted.WriteRequests);
        Assert.Equal(writers * writesEach * 2, counted.Events);
        Assert.InRange(counted.Transactions, 1, counted.WriteRequests);
    }

    [Fact]
    public async Task A_corrupted_payload_stops_replay_with_an_error_naming_persistence_id_and_sequence_number()
    {
        var pid = UniqueId("corrupt");
        await Journal.WriteAsync(Write(pid, 1, 5));

        await CorruptStoredPayloadAsync(pid, 3);

        var replayed = new List<long>();
        var error = await Assert.ThrowsAsync<JournalCorruptedException>(async () =>
        {
            await foreach (var e in Journal.ReplayAsync(pid, 1, long.MaxValue, long.MaxValue))
            {
                replayed.Add(e.SequenceNr);
            }
        });
        Assert.Equal([1L, 2], replayed);
        Assert.Equal(pid, error.PersistenceId);
        Assert.Equal(3, error.SequenceNr);
        Assert.Contains($"'{pid}'", error.Message);
        Assert.Contains("sequence number 3", error.Message);
    }

    [Fact]
    public async Task Events_after_a_corrupted_one_are_still_readable_when_the_replay_starts_after_it()
    {
        var pid = UniqueId("corrupt-skip");
        await Journal.WriteAsync(Write(pid, 1, 5));

        await CorruptStoredPayloadAsync(pid, 2);

        Assert.Equal([3L, 4, 5], (await ReplayAll(Journal, pid, from: 3)).Select(e => e.SequenceNr));
    }

    /// <summary>The bytes of the stored payload of one event, to find it in a file.</summary>
    protected static byte[] StoredPayload(string persistenceId, long sequenceNr) => PayloadOf(persistenceId, sequenceNr);

    /// <summary>Describes a payload for assertion messages.</summary>
    protected static string Describe(byte[] payload) => Encoding.UTF8.GetString(payload);
}
