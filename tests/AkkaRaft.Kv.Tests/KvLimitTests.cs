using AkkaRaft.Client.Kv;

namespace AkkaRaft.Kv.Tests;

public sealed class KvLimitTests
{
    private readonly KvHarness _kv = new();

    [Fact]
    public void A_key_at_the_limit_should_be_accepted_and_one_byte_more_refused_changing_nothing()
    {
        var atLimit = new string('k', KvHarness.Small.MaxKeyBytes);
        Assert.Equal(KvStatus.Ok, _kv.Put(atLimit, "v").Status);
        var before = _kv.Snapshot();

        var result = _kv.Put(atLimit + "k", "v");

        Assert.Equal(KvStatus.KeyTooLarge, result.Status);
        Assert.Contains("17 bytes", result.Message);
        Assert.Contains("max-key-bytes (16)", result.Message);
        Assert.Empty(_kv.LastApply.ChangedKeys);
        Assert.Equal(before, _kv.Snapshot());
    }

    [Fact]
    public void A_value_at_the_limit_should_be_accepted_and_one_byte_more_refused_changing_nothing()
    {
        var atLimit = new byte[KvHarness.Small.MaxValueBytes];
        Assert.Equal(KvStatus.Ok, _kv.Write(KvCommands.Put("k", atLimit)).Status);
        var before = _kv.Snapshot();

        var result = _kv.Write(KvCommands.Put("k", new byte[atLimit.Length + 1]));

        Assert.Equal(KvStatus.ValueTooLarge, result.Status);
        Assert.Contains("max-value-bytes (32)", result.Message);
        Assert.Empty(_kv.LastApply.ChangedKeys);
        Assert.Equal(before, _kv.Snapshot());
        Assert.Equal(1UL, _kv.Get("k").Pair!.LastIndex);
    }

    [Fact]
    public void Every_write_should_enforce_the_limits()
    {
        var longKey = new string('k', 17);
        var longValue = new byte[33];
        _kv.Put("k", "v");
        var before = _kv.Snapshot();

        Assert.Equal(KvStatus.ValueTooLarge, _kv.Write(KvCommands.AtomicPut("k", longValue, 1UL)).Status);
        Assert.Equal(KvStatus.ValueTooLarge, _kv.Write(KvCommands.AtomicPut("new", longValue, null)).Status);
        Assert.Equal(KvStatus.KeyTooLarge, _kv.Write(KvCommands.AtomicPut(longKey, "v", null)).Status);
        Assert.Equal(KvStatus.KeyTooLarge, _kv.Write(KvCommands.Delete(longKey)).Status);
        Assert.Equal(KvStatus.KeyTooLarge, _kv.Write(KvCommands.AtomicDelete(longKey, 1)).Status);
        Assert.Equal(KvStatus.KeyTooLarge, _kv.Write(KvCommands.DeleteTree(longKey)).Status);
        Assert.Equal(KvStatus.KeyTooLarge, _kv.Get(longKey).Status);
        Assert.Equal(before, _kv.Snapshot());
    }

    [Fact]
    public void Key_checks_should_be_usable_before_proposing()
    {
        Assert.Equal(KvStatus.Ok, KvKeys.CheckKey("a/b", KvHarness.Small, out var ok));
        Assert.Equal("", ok);
        Assert.Equal(KvStatus.InvalidKey, KvKeys.CheckKey("", KvHarness.Small, out _));
        Assert.Equal(KvStatus.Ok, KvKeys.CheckPrefix("", KvHarness.Small, out _));
        Assert.Equal(KvStatus.InvalidKey, KvKeys.CheckKey("a\uD800", KvHarness.Small, out var surrogate));
        Assert.Contains("surrogate", surrogate);
        Assert.Equal(KvStatus.ValueTooLarge, KvKeys.CheckValue(33, KvHarness.Small, out var tooLarge));
        Assert.Contains("33 bytes", tooLarge);
    }

    [Fact]
    public void A_store_should_refuse_settings_with_a_limit_below_one()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => new KvStateMachine(new KvSettings(0, 1, 1, 1, 1)));
        Assert.Throws<ArgumentOutOfRangeException>(() => new KvStateMachine(new KvSettings(1, 0, 1, 1, 1)));
        Assert.Throws<ArgumentOutOfRangeException>(() => new KvStateMachine(new KvSettings(1, 1, 0, 1, 1)));
        Assert.Throws<ArgumentOutOfRangeException>(() => new KvStateMachine(new KvSettings(1, 1, 1, 0, 1)));
        Assert.Throws<ArgumentOutOfRangeException>(() => new KvStateMachine(new KvSettings(1, 1, 1, 1, 0)));
        Assert.Throws<ArgumentOutOfRangeException>(() => new KvStateMachine(new KvSettings(1, 1, 1, 1, KvSettings.MaxBatchKeysLimit + 1)));
    }
}
