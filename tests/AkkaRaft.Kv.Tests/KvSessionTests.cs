using AkkaRaft.Client.Kv;
using AkkaRaft.Raft.StateMachines;

namespace AkkaRaft.Kv.Tests;

public sealed class KvSessionTests
{
    private readonly KvHarness _kv = new();

    [Fact]
    public void An_ephemeral_put_should_belong_to_the_proposing_session()
    {
        var result = _kv.Put("svc/a", "addr", sessionId: 7, ephemeral: true);

        Assert.Equal(KvStatus.Ok, result.Status);
        Assert.Equal(7L, result.Pair!.SessionId);
        Assert.True(_kv.Get("svc/a").Pair!.IsEphemeral);
    }

    [Fact]
    public void A_put_that_is_not_ephemeral_should_not_belong_to_its_session()
    {
        _kv.Put("k", "v", sessionId: 7);

        Assert.Equal(0L, _kv.Get("k").Pair!.SessionId);
        Assert.Empty(_kv.Machine.SessionExpired(new ApplyContext(9, 1, 0), 7).ChangedKeys);
        Assert.Equal("v", _kv.ValueOf("k"));
    }

    [Fact]
    public void Session_expiry_should_delete_exactly_that_sessions_ephemeral_keys_in_ordinal_order()
    {
        _kv.Put("svc/b", "1", sessionId: 7, ephemeral: true);
        _kv.Put("svc/a", "2", sessionId: 7, ephemeral: true);
        _kv.Put("svc/c", "3", sessionId: 8, ephemeral: true);
        _kv.Put("config", "4", sessionId: 7);
        _kv.Write(KvCommands.AtomicPut("lock", "7", null, ephemeral: true), sessionId: 7);

        var result = _kv.Expire(7);

        Assert.Equal(KvStatus.Ok, result.Status);
        Assert.Equal(3UL, result.DeletedCount);
        Assert.Equal(["lock", "svc/a", "svc/b"], _kv.LastApply.ChangedKeys);
        Assert.Equal(["config", "svc/c"], _kv.Keys());
        Assert.Equal(1, _kv.Machine.SessionsWithKeys);
    }

    [Fact]
    public void Expiry_of_a_session_without_keys_should_change_nothing()
    {
        _kv.Put("k", "v", sessionId: 8, ephemeral: true);
        var before = _kv.Snapshot();

        var result = _kv.Expire(9);

        Assert.Equal(0UL, result.DeletedCount);
        Assert.Empty(_kv.LastApply.ChangedKeys);
        Assert.Equal(before, _kv.Snapshot());
    }

    [Fact]
    public void An_ephemeral_write_without_a_session_should_be_refused_and_change_nothing()
    {
        var result = _kv.Put("k", "v", sessionId: ApplyContext.NoSession, ephemeral: true);

        Assert.Equal(KvStatus.NoSession, result.Status);
        Assert.Contains("session", result.Message);
        Assert.Equal(0, _kv.Machine.Count);
        Assert.Equal(KvStatus.NoSession, _kv.Write(KvCommands.AtomicPut("k", "v", null, ephemeral: true)).Status);
    }

    [Fact]
    public void A_plain_put_over_an_ephemeral_key_should_make_it_outlive_the_session()
    {
        _kv.Put("k", "v1", sessionId: 7, ephemeral: true);
        _kv.Put("k", "v2", sessionId: 7);

        _kv.Expire(7);

        Assert.Equal("v2", _kv.ValueOf("k"));
        Assert.Equal(0, _kv.Machine.SessionsWithKeys);
    }

    [Fact]
    public void An_ephemeral_put_by_another_session_should_move_the_key_to_that_session()
    {
        _kv.Put("leader", "a", sessionId: 7, ephemeral: true);
        _kv.Put("leader", "b", sessionId: 8, ephemeral: true);

        _kv.Expire(7);
        Assert.Equal("b", _kv.ValueOf("leader"));

        _kv.Expire(8);
        Assert.Null(_kv.ValueOf("leader"));
    }

    [Fact]
    public void A_deleted_ephemeral_key_should_not_be_deleted_again_by_the_expiry()
    {
        _kv.Put("a", "v", sessionId: 7, ephemeral: true);
        _kv.Put("b", "v", sessionId: 7, ephemeral: true);
        _kv.Write(KvCommands.Delete("a"));
        _kv.Write(KvCommands.DeleteTree("b"));
        _kv.Put("a", "plain");

        var result = _kv.Expire(7);

        Assert.Equal(0UL, result.DeletedCount);
        Assert.Equal("plain", _kv.ValueOf("a"));
    }

    [Fact]
    public void Expiry_of_no_session_should_be_refused_as_a_caller_bug()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => _kv.Machine.SessionExpired(new ApplyContext(1, 1, 0), ApplyContext.NoSession));
    }

    [Fact]
    public void Ephemeral_keys_should_survive_a_snapshot_and_still_die_with_their_session()
    {
        _kv.Put("e", "v", sessionId: 7, ephemeral: true);
        _kv.Put("p", "v");
        var restored = new KvHarness();
        using (var snapshot = new MemoryStream(_kv.Snapshot()))
        {
            restored.Machine.RestoreSnapshot(snapshot);
        }

        var result = restored.Expire(7);

        Assert.Equal(["e"], restored.LastApply.ChangedKeys);
        Assert.Equal(1UL, result.DeletedCount);
        Assert.Equal(["p"], restored.Keys());
    }
}
