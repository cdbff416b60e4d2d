using System.Text;
using AkkaRaft.Client.Kv;
using AkkaRaft.Client.Kv.Protocol;
using AkkaRaft.Raft.StateMachines;
using Google.Protobuf;

namespace AkkaRaft.Kv.Tests;

public sealed class KvOperationTests
{
    private readonly KvHarness _kv = new();

    [Fact]
    public void Put_then_get_should_return_the_value_with_the_index_of_the_put()
    {
        _kv.Put("a", "x");
        _kv.Put("b", "y");

        var result = _kv.Get("a");

        Assert.Equal(KvStatus.Ok, result.Status);
        Assert.Equal(new KvPair("a", "x"u8.ToArray(), 1), result.Pair);
        Assert.Equal(["a"], _kv.LastQuery.ReadKeys);
    }

    [Fact]
    public void Put_should_answer_the_written_pair_without_its_value_and_report_the_key_changed()
    {
        var result = _kv.Put("k", "v");

        Assert.Equal(KvStatus.Ok, result.Status);
        Assert.Equal(new KvPair("k", ReadOnlyMemory<byte>.Empty, 1), result.Pair);
        Assert.Equal("", result.Message);
        Assert.Equal(["k"], _kv.LastApply.ChangedKeys);
    }

    [Fact]
    public void Put_over_an_existing_key_should_replace_the_value_and_move_its_last_index()
    {
        _kv.Put("k", "old");
        _kv.Put("other", "x");
        _kv.Put("k", "new");

        var pair = _kv.Get("k").Pair!;

        Assert.Equal("new", Encoding.UTF8.GetString(pair.Value.Span));
        Assert.Equal(3UL, pair.LastIndex);
        Assert.Equal(2, _kv.Machine.Count);
    }

    [Fact]
    public void Put_of_an_empty_value_should_store_an_empty_value()
    {
        _kv.Write(KvCommands.Put("k", ReadOnlySpan<byte>.Empty));

        Assert.Equal("", _kv.ValueOf("k"));
    }

    [Fact]
    public void Get_of_a_missing_key_should_answer_key_not_found_naming_the_key()
    {
        _kv.Put("a", "x");

        var result = _kv.Get("b");

        Assert.Equal(KvStatus.KeyNotFound, result.Status);
        Assert.Null(result.Pair);
        Assert.Contains("'b'", result.Message);
        Assert.Equal(["b"], _kv.LastQuery.ReadKeys);
    }

    [Fact]
    public void Exists_should_tell_a_present_key_from_a_missing_one()
    {
        _kv.Put("a", "x");

        Assert.True(_kv.Read(KvQueries.Exists("a")).Exists);
        Assert.Equal(KvStatus.Ok, _kv.Read(KvQueries.Exists("b")).Status);
        Assert.False(_kv.Read(KvQueries.Exists("b")).Exists);
    }

    [Fact]
    public void Delete_should_remove_the_key_and_answer_the_deleted_pair()
    {
        _kv.Put("a", "x");
        _kv.Put("b", "y");

        var result = _kv.Write(KvCommands.Delete("a"));

        Assert.Equal(KvStatus.Ok, result.Status);
        Assert.Equal(1UL, result.DeletedCount);
        Assert.Equal(new KvPair("a", ReadOnlyMemory<byte>.Empty, 1), result.Pair);
        Assert.Equal(["a"], _kv.LastApply.ChangedKeys);
        Assert.Equal(KvStatus.KeyNotFound, _kv.Get("a").Status);
        Assert.Equal("y", _kv.ValueOf("b"));
    }

    [Fact]
    public void Delete_of_a_missing_key_should_answer_key_not_found_and_change_nothing()
    {
        _kv.Put("a", "x");
        var before = _kv.Snapshot();

        var result = _kv.Write(KvCommands.Delete("b"));

        Assert.Equal(KvStatus.KeyNotFound, result.Status);
        Assert.Empty(_kv.LastApply.ChangedKeys);
        Assert.Equal(before, _kv.Snapshot());
    }

    [Fact]
    public void A_command_that_is_not_protobuf_should_answer_invalid_request_and_change_nothing()
    {
        _kv.Put("a", "x");
        var before = _kv.Snapshot();

        var result = _kv.Write([0xFF, 0xFF, 0xFF]);

        Assert.Equal(KvStatus.InvalidRequest, result.Status);
        Assert.Contains("not a key/value command", result.Message);
        Assert.Empty(_kv.LastApply.ChangedKeys);
        Assert.Equal(before, _kv.Snapshot());
    }

    [Fact]
    public void A_key_that_is_not_utf8_should_be_refused_as_invalid_rather_than_replaced()
    {
        // KvCommand { put { key = C3 28 } }: a broken two-byte sequence where the key's UTF-8 should be.
        var result = _kv.Write([0x0A, 0x04, 0x0A, 0x02, 0xC3, 0x28]);

        Assert.Equal(KvStatus.InvalidKey, result.Status);
        Assert.Contains("not valid UTF-8", result.Message);
        Assert.Equal(0, _kv.Machine.Count);
        // KvQuery { get { key = FF } }.
        Assert.Equal(KvStatus.InvalidKey, _kv.Read([0x0A, 0x03, 0x0A, 0x01, 0xFF]).Status);
    }

    [Fact]
    public void A_command_that_names_no_operation_should_answer_invalid_request()
    {
        var result = _kv.Write([]);

        Assert.Equal(KvStatus.InvalidRequest, result.Status);
        Assert.Contains("names no operation", result.Message);
    }

    [Fact]
    public void A_query_that_is_not_protobuf_or_names_no_operation_should_answer_invalid_request()
    {
        Assert.Equal(KvStatus.InvalidRequest, _kv.Read([0x0A, 0x05, 0x01]).Status);
        Assert.Equal(KvStatus.InvalidRequest, _kv.Read([]).Status);
        Assert.Empty(_kv.LastQuery.ReadKeys);
    }

    [Fact]
    public void Apply_should_refuse_index_zero_as_a_caller_bug()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => _kv.Machine.Apply(new ApplyContext(0, 1, 0), KvCommands.Put("k", "v")));
        Assert.Equal(0, _kv.Machine.Count);
    }

    [Fact]
    public void Empty_key_should_be_refused_as_invalid_by_every_operation()
    {
        Assert.Equal(KvStatus.InvalidKey, _kv.Put("", "v").Status);
        Assert.Equal(KvStatus.InvalidKey, _kv.Write(KvCommands.AtomicPut("", "v", null)).Status);
        Assert.Equal(KvStatus.InvalidKey, _kv.Write(KvCommands.Delete("")).Status);
        Assert.Equal(KvStatus.InvalidKey, _kv.Write(KvCommands.AtomicDelete("", 1)).Status);
        Assert.Equal(KvStatus.InvalidKey, _kv.Get("").Status);
        Assert.Equal(KvStatus.InvalidKey, _kv.Read(KvQueries.Exists("")).Status);
        Assert.Contains("empty", _kv.Get("").Message);
        Assert.Equal(0, _kv.Machine.Count);
    }

    [Fact]
    public void Key_with_a_control_character_should_be_refused_naming_the_character()
    {
        var result = _kv.Put("a\nb", "v");

        Assert.Equal(KvStatus.InvalidKey, result.Status);
        Assert.Contains("U+000A", result.Message);
        Assert.Equal(KvStatus.InvalidKey, _kv.Put("a\u007Fb", "v").Status);
        Assert.Equal(KvStatus.InvalidKey, _kv.Write(KvCommands.DeleteTree("\0")).Status);
        Assert.Equal(0, _kv.Machine.Count);
    }

    [Fact]
    public void Non_ascii_keys_should_be_stored_and_their_size_measured_in_utf8()
    {
        Assert.Equal(KvStatus.Ok, _kv.Put("ключ/😀", "v").Status);
        Assert.Equal("v", _kv.ValueOf("ключ/😀"));

        // 8 characters of 2 UTF-8 bytes each = 16 bytes, the limit; one more character is over it.
        Assert.Equal(KvStatus.Ok, _kv.Put("ключключ", "v").Status);
        Assert.Equal(KvStatus.KeyTooLarge, _kv.Put("ключключк", "v").Status);
    }

    [Fact]
    public void Command_builders_should_refuse_text_with_an_unpaired_surrogate_naming_the_parameter()
    {
        var error = Assert.Throws<ArgumentException>(() => KvCommands.Put("a\uD800", "v"));
        Assert.Equal("key", error.ParamName);
        Assert.Equal("value", Assert.Throws<ArgumentException>(() => KvCommands.Put("a", "\uDC00")).ParamName);
        Assert.Equal("startAfter", Assert.Throws<ArgumentException>(() => KvQueries.List("p", "\uD800")).ParamName);
        Assert.Throws<ArgumentNullException>(() => KvCommands.Delete(null!));
    }

    [Fact]
    public void Atomic_builders_should_refuse_previous_index_zero()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => KvCommands.AtomicPut("k", "v", 0UL));
        Assert.Throws<ArgumentOutOfRangeException>(() => KvCommands.AtomicDelete("k", 0));
    }

    [Fact]
    public void Result_decoding_should_refuse_bytes_that_are_not_a_response()
    {
        Assert.Throws<InvalidDataException>(() => KvResult.Decode([0xFF, 0xFF]));
        Assert.Throws<InvalidDataException>(() => KvResult.Decode(new KvResponse { Status = (KvStatusCode)99 }.ToByteArray()));
    }

    [Fact]
    public void Pairs_should_be_equal_by_content_of_their_value()
    {
        var a = new KvPair("k", new byte[] { 1, 2 }, 3, 4);
        var b = new KvPair("k", new byte[] { 1, 2 }, 3, 4);

        Assert.Equal(a, b);
        Assert.Equal(a.GetHashCode(), b.GetHashCode());
        Assert.NotEqual(a, b with { Value = new byte[] { 1, 3 } });
        Assert.NotEqual(a, b with { LastIndex = 5 });
        Assert.True(a.IsEphemeral);
    }
}
