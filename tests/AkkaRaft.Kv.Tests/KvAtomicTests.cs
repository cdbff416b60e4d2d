using System.Text;
using AkkaRaft.Client.Kv;
using AkkaRaft.Client.Kv.Protocol;
using Google.Protobuf;

namespace AkkaRaft.Kv.Tests;

public sealed class KvAtomicTests
{
    private readonly KvHarness _kv = new();

    [Fact]
    public void AtomicPut_without_previous_index_should_create_an_absent_key()
    {
        var result = _kv.Write(KvCommands.AtomicPut("lock", "me", previousIndex: null));

        Assert.Equal(KvStatus.Ok, result.Status);
        Assert.Equal(1UL, result.Pair!.LastIndex);
        Assert.Equal(["lock"], _kv.LastApply.ChangedKeys);
        Assert.Equal("me", _kv.ValueOf("lock"));
    }

    [Fact]
    public void AtomicPut_without_previous_index_should_refuse_an_existing_key_and_report_its_index()
    {
        _kv.Put("other", "x");
        _kv.Put("lock", "first");

        var result = _kv.Write(KvCommands.AtomicPut("lock", "second", previousIndex: null));

        Assert.Equal(KvStatus.KeyExists, result.Status);
        Assert.Equal(2UL, result.CurrentIndex);
        Assert.Contains("'lock'", result.Message);
        Assert.Empty(_kv.LastApply.ChangedKeys);
        Assert.Equal("first", _kv.ValueOf("lock"));
    }

    [Fact]
    public void AtomicPut_with_the_current_index_should_swap_the_value_and_return_the_new_index()
    {
        var created = _kv.Put("k", "v1");
        _kv.Put("unrelated", "x");

        var result = _kv.Write(KvCommands.AtomicPut("k", "v2", created.Pair!.LastIndex));

        Assert.Equal(KvStatus.Ok, result.Status);
        Assert.Equal(3UL, result.Pair!.LastIndex);
        Assert.Equal("v2", _kv.ValueOf("k"));
        Assert.Equal(3UL, _kv.Get("k").Pair!.LastIndex);
    }

    [Fact]
    public void AtomicPut_with_a_stale_index_should_be_refused_with_the_current_index()
    {
        var first = _kv.Put("k", "v1");
        _kv.Put("k", "v2");
        var before = _kv.Snapshot();

        var result = _kv.Write(KvCommands.AtomicPut("k", "v3", first.Pair!.LastIndex));

        Assert.Equal(KvStatus.KeyModified, result.Status);
        Assert.Equal(2UL, result.CurrentIndex);
        Assert.Contains("index 2, not 1", result.Message);
        Assert.Empty(_kv.LastApply.ChangedKeys);
        Assert.Equal(before, _kv.Snapshot());
    }

    [Fact]
    public void AtomicPut_with_a_previous_index_on_a_missing_key_should_answer_key_not_found()
    {
        var result = _kv.Write(KvCommands.AtomicPut("k", "v", 7UL));

        Assert.Equal(KvStatus.KeyNotFound, result.Status);
        Assert.Equal(0UL, result.CurrentIndex);
        Assert.Equal(0, _kv.Machine.Count);
    }

    [Fact]
    public void Two_clients_racing_with_the_same_index_should_see_exactly_one_win()
    {
        var read = _kv.Put("counter", "0").Pair!.LastIndex;

        var first = _kv.Write(KvCommands.AtomicPut("counter", "1", read));
        var second = _kv.Write(KvCommands.AtomicPut("counter", "1", read));

        Assert.Equal(KvStatus.Ok, first.Status);
        Assert.Equal(KvStatus.KeyModified, second.Status);
        Assert.Equal(first.Pair!.LastIndex, second.CurrentIndex);
    }

    [Fact]
    public void AtomicDelete_with_the_current_index_should_delete_the_key()
    {
        var written = _kv.Put("k", "v");

        var result = _kv.Write(KvCommands.AtomicDelete("k", written.Pair!.LastIndex));

        Assert.Equal(KvStatus.Ok, result.Status);
        Assert.Equal(1UL, result.DeletedCount);
        Assert.Equal(["k"], _kv.LastApply.ChangedKeys);
        Assert.Equal(KvStatus.KeyNotFound, _kv.Get("k").Status);
    }

    [Fact]
    public void AtomicDelete_with_a_stale_index_should_be_refused_with_the_current_index()
    {
        var first = _kv.Put("k", "v1");
        _kv.Put("k", "v2");

        var result = _kv.Write(KvCommands.AtomicDelete("k", first.Pair!.LastIndex));

        Assert.Equal(KvStatus.KeyModified, result.Status);
        Assert.Equal(2UL, result.CurrentIndex);
        Assert.Equal("v2", _kv.ValueOf("k"));
    }

    [Fact]
    public void AtomicDelete_of_a_missing_key_should_answer_key_not_found()
    {
        Assert.Equal(KvStatus.KeyNotFound, _kv.Write(KvCommands.AtomicDelete("k", 1)).Status);
    }

    [Fact]
    public void AtomicDelete_without_a_previous_index_in_the_log_should_answer_invalid_request_and_keep_the_key()
    {
        // The builder refuses index 0; a command from elsewhere may still carry it.
        _kv.Put("k", "v");
        var command = new KvCommand { AtomicDelete = new AtomicDeleteOp { Key = ByteString.CopyFromUtf8("k"), PreviousIndex = 0 } }.ToByteArray();

        var result = _kv.Write(command);

        Assert.Equal(KvStatus.InvalidRequest, result.Status);
        Assert.Contains("previous index", result.Message);
        Assert.Equal("v", _kv.ValueOf("k"));
    }

    [Fact]
    public void A_value_read_with_its_index_should_be_swappable_in_a_read_modify_write_loop()
    {
        _kv.Put("n", "0");
        for (var i = 1; i <= 10; i++)
        {
            var read = _kv.Get("n").Pair!;
            var next = int.Parse(Encoding.UTF8.GetString(read.Value.Span)) + 1;
            Assert.Equal(KvStatus.Ok, _kv.Write(KvCommands.AtomicPut("n", next.ToString(), read.LastIndex)).Status);
        }

        Assert.Equal("10", _kv.ValueOf("n"));
    }
}
