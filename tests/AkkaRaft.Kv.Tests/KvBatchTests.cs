using AkkaRaft.Client.Kv;
using AkkaRaft.Client.Kv.Protocol;
using AkkaRaft.Raft.StateMachines;
using Google.Protobuf;

namespace AkkaRaft.Kv.Tests;

/// <summary>Batch writes: several puts and deletes in one entry, all or nothing, one last-modified index.</summary>
public sealed class KvBatchTests
{
    private readonly KvHarness _kv = new();

    [Fact]
    public void A_batch_should_write_every_key_with_the_index_of_its_one_entry()
    {
        _kv.Put("old", "x");

        var result = _kv.Write(KvCommands.Batch([KvBatchOperation.Put("a", "1"), KvBatchOperation.Put("b", "2"), KvBatchOperation.Delete("old")]));

        Assert.Equal(KvStatus.Ok, result.Status);
        Assert.Equal(["a", "b", "old"], result.Pairs.Select(p => p.Key));
        Assert.Equal([2UL, 2UL, 1UL], result.Pairs.Select(p => p.LastIndex));
        Assert.Equal(1UL, result.DeletedCount);
        Assert.Equal(["a", "b", "old"], _kv.LastApply.ChangedKeys);
        Assert.Equal("1", _kv.ValueOf("a"));
        Assert.Equal("2", _kv.ValueOf("b"));
        Assert.Null(_kv.ValueOf("old"));
        Assert.Equal(2UL, _kv.Get("a").Pair!.LastIndex);
        Assert.Equal(2UL, _kv.Get("b").Pair!.LastIndex);
    }

    [Fact]
    public void A_batch_with_a_value_over_the_limit_should_change_nothing_and_name_that_key()
    {
        _kv.Put("a", "before");
        var before = _kv.Snapshot();

        var result = _kv.Write(KvCommands.Batch([KvBatchOperation.Put("a", "after"), KvBatchOperation.Put("big", new string('x', 33))]));

        Assert.Equal(KvStatus.ValueTooLarge, result.Status);
        Assert.Equal("big", result.FailedKey);
        Assert.Contains("'big'", result.Message);
        Assert.Contains("max-value-bytes", result.Message);
        Assert.Empty(result.Pairs);
        Assert.Empty(_kv.LastApply.ChangedKeys);
        Assert.Equal(before, _kv.Snapshot());
        Assert.Equal("before", _kv.ValueOf("a"));
    }

    [Fact]
    public void A_batch_with_a_key_over_the_limit_should_change_nothing_and_name_that_key()
    {
        var longKey = new string('k', 17);

        var result = _kv.Write(KvCommands.Batch([KvBatchOperation.Put("a", "1"), KvBatchOperation.Put(longKey, "2")]));

        Assert.Equal(KvStatus.KeyTooLarge, result.Status);
        Assert.Equal(longKey, result.FailedKey);
        Assert.Contains("max-key-bytes", result.Message);
        Assert.Null(_kv.ValueOf("a"));
        Assert.Equal(0, _kv.Machine.Count);
    }

    [Fact]
    public void A_batch_over_max_batch_keys_should_change_nothing_and_name_the_first_key_over_the_limit()
    {
        // KvHarness.Small allows 4 keys per batch.
        var operations = Enumerable.Range(1, 5).Select(i => KvBatchOperation.Put($"k{i}", "v")).ToList();

        var result = _kv.Write(KvCommands.Batch(operations));

        Assert.Equal(KvStatus.BatchTooLarge, result.Status);
        Assert.Equal("k5", result.FailedKey);
        Assert.Contains("max-batch-keys (4)", result.Message);
        Assert.Equal(0, _kv.Machine.Count);

        var atTheLimit = _kv.Write(KvCommands.Batch(operations.Take(4)));
        Assert.Equal(KvStatus.Ok, atTheLimit.Status);
        Assert.Equal(4, _kv.Machine.Count);
    }

    [Fact]
    public void A_batch_deleting_an_absent_key_should_change_nothing()
    {
        var result = _kv.Write(KvCommands.Batch([KvBatchOperation.Put("a", "1"), KvBatchOperation.Delete("absent")]));

        Assert.Equal(KvStatus.KeyNotFound, result.Status);
        Assert.Equal("absent", result.FailedKey);
        Assert.Null(_kv.ValueOf("a"));
    }

    [Fact]
    public void A_batch_naming_a_key_twice_should_be_refused()
    {
        var result = _kv.Write(KvCommands.Batch([KvBatchOperation.Put("a", "1"), KvBatchOperation.Put("a", "2")]));

        Assert.Equal(KvStatus.InvalidRequest, result.Status);
        Assert.Equal("a", result.FailedKey);
        Assert.Contains("more than once", result.Message);
        Assert.Null(_kv.ValueOf("a"));
    }

    [Fact]
    public void An_empty_batch_or_one_with_an_empty_operation_should_be_an_invalid_request()
    {
        Assert.Equal(KvStatus.InvalidRequest, _kv.Write(KvCommands.Batch([])).Status);

        var empty = new KvCommand { Batch = new BatchOp { Items = { new BatchItem { Put = new PutOp { Key = ByteString.CopyFromUtf8("a") } }, new BatchItem() } } };
        var result = _kv.Write(empty.ToByteArray());

        Assert.Equal(KvStatus.InvalidRequest, result.Status);
        Assert.Contains("Operation 2", result.Message);
        Assert.Equal(0, _kv.Machine.Count);
    }

    [Fact]
    public void An_ephemeral_put_in_a_batch_needs_a_session_and_belongs_to_it()
    {
        var refused = _kv.Write(KvCommands.Batch([KvBatchOperation.Put("a", "1"), KvBatchOperation.Put("lease", "me", ephemeral: true)]));
        Assert.Equal(KvStatus.NoSession, refused.Status);
        Assert.Equal(0, _kv.Machine.Count);

        var written = _kv.Write(KvCommands.Batch([KvBatchOperation.Put("a", "1"), KvBatchOperation.Put("lease", "me", ephemeral: true)]), sessionId: 7);
        Assert.Equal(KvStatus.Ok, written.Status);
        Assert.Equal(1UL, _kv.Expire(7).DeletedCount);
        Assert.Equal("1", _kv.ValueOf("a"));
        Assert.Null(_kv.ValueOf("lease"));
    }

    [Fact]
    public void Replicas_applying_the_same_batches_should_write_identical_snapshots_that_restore_the_indexes()
    {
        KvHarness Fed()
        {
            var kv = new KvHarness();
            kv.Put("z", "0");
            kv.Write(KvCommands.Batch([KvBatchOperation.Put("m", "1"), KvBatchOperation.Put("b", "2"), KvBatchOperation.Delete("z")]));
            kv.Write(KvCommands.Batch([KvBatchOperation.Put("b", "3"), KvBatchOperation.Put("a", "4")]));
            return kv;
        }

        var one = Fed().Snapshot();
        Assert.Equal(one, Fed().Snapshot());

        var restored = new KvStateMachine(KvHarness.Small);
        using (var input = new MemoryStream(one)) restored.RestoreSnapshot(input);
        var answer = KvResult.Decode(restored.Query(KvQueries.List("")).Response.Span);
        Assert.Equal([("a", 3UL), ("b", 3UL), ("m", 2UL)], answer.Pairs.Select(p => (p.Key, p.LastIndex)));
    }

    [Fact]
    public void Building_a_batch_with_an_unpaired_surrogate_key_should_throw()
    {
        Assert.Throws<ArgumentException>(() => KvCommands.Batch([KvBatchOperation.Put("a\uD800", "1")]));
    }

    [Fact]
    public void A_batch_result_should_be_the_same_on_every_replica()
    {
        var command = KvCommands.Batch([KvBatchOperation.Put("a", "1"), KvBatchOperation.Put("b", new string('x', 40))]);
        var first = new KvStateMachine(KvHarness.Small).Apply(new ApplyContext(1, 1, ApplyContext.NoSession), command);
        var second = new KvStateMachine(KvHarness.Small).Apply(new ApplyContext(1, 1, ApplyContext.NoSession), command);

        Assert.Equal(first.Response.ToArray(), second.Response.ToArray());
    }
}
