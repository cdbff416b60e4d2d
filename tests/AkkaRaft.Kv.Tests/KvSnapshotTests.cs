using System.Buffers.Binary;
using AkkaRaft.Client.Kv;
using AkkaRaft.Raft.StateMachines;

namespace AkkaRaft.Kv.Tests;

public sealed class KvSnapshotTests
{
    [Fact]
    public void A_restored_store_should_answer_as_the_original()
    {
        var original = Populated();
        var restored = new KvHarness();

        Restore(restored, original.Snapshot());

        Assert.Equal(original.Keys(), restored.Keys());
        Assert.Equal(original.Read(KvQueries.List("")).Pairs, restored.Read(KvQueries.List("")).Pairs);
        Assert.Equal(original.Get("b/2"), restored.Get("b/2"));
        Assert.Equal(original.Snapshot(), restored.Snapshot());
    }

    [Fact]
    public void A_restored_store_should_keep_last_indexes_so_compare_and_swap_continues()
    {
        var original = Populated();
        var restored = new KvHarness();
        Restore(restored, original.Snapshot());
        var index = original.Get("a").Pair!.LastIndex;

        var result = restored.Write(KvCommands.AtomicPut("a", "swapped", index));

        Assert.Equal(KvStatus.Ok, result.Status);
    }

    [Fact]
    public void Two_stores_fed_the_same_commands_should_write_identical_bytes()
    {
        Assert.Equal(Populated().Snapshot(), Populated().Snapshot());
    }

    [Fact]
    public void The_order_keys_were_inserted_in_should_not_show_in_the_snapshot()
    {
        // The same state (keys, values, indexes, owners) reached in two orders: only the state may count.
        var forward = new KvStateMachine(KvHarness.Small);
        var backward = new KvStateMachine(KvHarness.Small);
        forward.Apply(new ApplyContext(1, 1, 0), KvCommands.Put("a", "1"));
        forward.Apply(new ApplyContext(2, 1, 5), KvCommands.Put("b", "2", ephemeral: true));
        forward.Apply(new ApplyContext(3, 1, 0), KvCommands.Put("c", "3"));
        backward.Apply(new ApplyContext(3, 1, 0), KvCommands.Put("c", "3"));
        backward.Apply(new ApplyContext(9, 1, 0), KvCommands.Put("tmp", "x"));
        backward.Apply(new ApplyContext(2, 1, 5), KvCommands.Put("b", "2", ephemeral: true));
        backward.Apply(new ApplyContext(9, 1, 0), KvCommands.Delete("tmp"));
        backward.Apply(new ApplyContext(1, 1, 0), KvCommands.Put("a", "1"));

        Assert.Equal(StateMachineConformance.Snapshot(forward), StateMachineConformance.Snapshot(backward));
    }

    [Fact]
    public void An_empty_store_should_round_trip()
    {
        var empty = new KvHarness();
        var target = Populated();

        Restore(target, empty.Snapshot());

        Assert.Equal(0, target.Machine.Count);
        Assert.Empty(target.Keys());
        Assert.Equal(empty.Snapshot(), target.Snapshot());
    }

    [Fact]
    public void Every_single_flipped_bit_position_should_be_rejected_and_leave_the_state_unchanged()
    {
        var snapshot = Populated().Snapshot();
        var target = new KvHarness();
        target.Put("mine", "kept");
        var before = target.Snapshot();

        for (var i = 0; i < snapshot.Length; i++)
        {
            var corrupt = (byte[])snapshot.Clone();
            corrupt[i] ^= (byte)(1 << (i % 8));

            var error = Assert.Throws<InvalidSnapshotException>(() => Restore(target, corrupt));

            Assert.Contains("snapshot", error.Message);
            Assert.Equal(before, target.Snapshot());
        }
    }

    [Fact]
    public void Every_truncation_should_be_rejected_as_truncated_or_corrupt()
    {
        var snapshot = Populated().Snapshot();
        var target = new KvHarness();

        for (var length = 0; length < snapshot.Length; length++)
        {
            var error = Assert.Throws<InvalidSnapshotException>(() => Restore(target, snapshot.AsSpan(0, length).ToArray()));
            Assert.Matches("truncated|corrupt|not a key/value", error.Message);
        }

        Assert.Equal(0, target.Machine.Count);
    }

    [Fact]
    public void A_truncated_snapshot_should_say_where_it_ends()
    {
        var snapshot = Populated().Snapshot();

        var error = Assert.Throws<InvalidSnapshotException>(() => Restore(new KvHarness(), snapshot[..^1]));

        Assert.Contains("truncated: the checksum", error.Message);
    }

    [Fact]
    public void A_flipped_value_byte_should_be_reported_as_a_checksum_mismatch()
    {
        var source = new KvHarness();
        source.Put("k", "value-value-value");
        var snapshot = source.Snapshot();
        var at = snapshot.AsSpan().IndexOf("value-value"u8);
        snapshot[at] ^= 0x01;

        var error = Assert.Throws<InvalidSnapshotException>(() => Restore(new KvHarness(), snapshot));

        Assert.Contains("corrupt: its checksum", error.Message);
    }

    [Fact]
    public void Bytes_after_the_checksum_should_be_rejected()
    {
        var snapshot = Populated().Snapshot();

        var error = Assert.Throws<InvalidSnapshotException>(() => Restore(new KvHarness(), [.. snapshot, 0]));

        Assert.Contains("after its checksum", error.Message);
    }

    [Fact]
    public void A_snapshot_of_another_format_version_should_be_rejected_naming_both_versions()
    {
        var snapshot = Populated().Snapshot();
        BinaryPrimitives.WriteUInt32LittleEndian(snapshot.AsSpan(4), 2);

        var error = Assert.Throws<InvalidSnapshotException>(() => Restore(new KvHarness(), snapshot));

        Assert.Contains("format version 2", error.Message);
        Assert.Contains("reads version 1", error.Message);
    }

    [Fact]
    public void Bytes_that_are_not_a_snapshot_should_be_rejected_by_their_magic()
    {
        var error = Assert.Throws<InvalidSnapshotException>(() => Restore(new KvHarness(), "not a snapshot at all"u8.ToArray()));

        Assert.Contains("magic", error.Message);
    }

    [Fact]
    public void An_entry_length_larger_than_the_stream_should_be_rejected_without_reading_past_it()
    {
        var source = new KvHarness();
        source.Put("k", "v");
        var snapshot = source.Snapshot();
        BinaryPrimitives.WriteUInt32LittleEndian(snapshot.AsSpan(16), int.MaxValue - 4);

        var error = Assert.Throws<InvalidSnapshotException>(() => Restore(new KvHarness(), snapshot));

        Assert.Contains("truncated: entry 0 of 1", error.Message);
    }

    [Fact]
    public void Snapshot_should_start_with_the_magic_and_the_format_version()
    {
        var snapshot = new KvHarness().Snapshot();

        Assert.Equal("AKVS"u8.ToArray(), snapshot[..4]);
        Assert.Equal(KvStateMachine.SnapshotFormatVersion, BinaryPrimitives.ReadUInt32LittleEndian(snapshot.AsSpan(4)));
        Assert.Equal(20, snapshot.Length);
    }

    [Fact]
    public void A_snapshot_written_under_larger_limits_should_restore_under_smaller_ones()
    {
        var large = new KvHarness(new KvSettings(1024, 1024, 10, 4096, 100));
        large.Put(new string('k', 100), new string('v', 500));
        var small = new KvHarness();

        Restore(small, large.Snapshot());

        Assert.Equal(1, small.Machine.Count);
        Assert.Equal(large.Snapshot(), small.Snapshot());
    }

    [Fact]
    public void Restore_should_read_from_a_stream_that_returns_one_byte_at_a_time()
    {
        var original = Populated();
        var restored = new KvHarness();

        restored.Machine.RestoreSnapshot(new TrickleStream(original.Snapshot()));

        Assert.Equal(original.Snapshot(), restored.Snapshot());
    }

    private static KvHarness Populated()
    {
        var kv = new KvHarness();
        kv.Put("b/2", "two");
        kv.Put("a", "one");
        kv.Put("b/1", "uno", sessionId: 4, ephemeral: true);
        kv.Write(KvCommands.AtomicPut("c", "three", null));
        kv.Put("gone", "x");
        kv.Write(KvCommands.Delete("gone"));
        kv.Write(KvCommands.Put("empty", ReadOnlySpan<byte>.Empty));
        kv.Put("ключ", "значение");
        return kv;
    }

    private static void Restore(KvHarness target, byte[] snapshot)
    {
        using var input = new MemoryStream(snapshot, writable: false);
        target.Machine.RestoreSnapshot(input);
    }

    /// <summary>A stream that hands out one byte per read, as a slow network stream may.</summary>
    private sealed class TrickleStream(byte[] data) : Stream
    {
        private int _position;

        public override bool CanRead => true;

        public override bool CanSeek => false;

        public override bool CanWrite => false;

        public override long Length => throw new NotSupportedException();

        public override long Position { get => _position; set => throw new NotSupportedException(); }

        public override int Read(byte[] buffer, int offset, int count)
        {
            if (count == 0 || _position == data.Length)
            {
                return 0;
            }

            buffer[offset] = data[_position++];
            return 1;
        }

        public override void Flush() { }

        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

        public override void SetLength(long value) => throw new NotSupportedException();

        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
    }
}
