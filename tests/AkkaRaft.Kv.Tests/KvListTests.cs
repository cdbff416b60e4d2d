using AkkaRaft.Client.Kv;

namespace AkkaRaft.Kv.Tests;

public sealed class KvListTests
{
    private readonly KvHarness _kv = new(new KvSettings(MaxKeyBytes: 64, MaxValueBytes: 64, MaxListResults: 100, MaxListBytes: 4096, MaxBatchKeys: 100));

    [Fact]
    public void List_should_return_the_keys_with_the_prefix_in_ordinal_order()
    {
        foreach (var key in new[] { "app/b", "app/B", "app/a", "apple", "app/a/x", "ap", "b", "app/Ä", "app/_" })
        {
            _kv.Put(key, "v:" + key);
        }

        var result = _kv.Read(KvQueries.List("app/"));

        Assert.Equal(KvStatus.Ok, result.Status);
        Assert.Equal(["app/B", "app/_", "app/a", "app/a/x", "app/b", "app/Ä"], result.Pairs.Select(p => p.Key));
        Assert.Equal(["app/B", "app/_", "app/a", "app/a/x", "app/b", "app/Ä"], _kv.LastQuery.ReadKeys);
        Assert.Equal("v:app/a", System.Text.Encoding.UTF8.GetString(result.Pairs[2].Value.Span));
        Assert.False(result.Truncated);
    }

    [Fact]
    public void List_with_the_empty_prefix_should_return_every_key()
    {
        _kv.Put("b", "1");
        _kv.Put("a", "2");

        Assert.Equal(["a", "b"], _kv.Read(KvQueries.List("")).Pairs.Select(p => p.Key));
    }

    [Fact]
    public void List_of_a_prefix_no_key_has_should_be_ok_and_empty()
    {
        _kv.Put("a", "1");

        var result = _kv.Read(KvQueries.List("z"));

        Assert.Equal(KvStatus.Ok, result.Status);
        Assert.Empty(result.Pairs);
        Assert.Empty(_kv.Read(KvQueries.List("a/")).Pairs);
        Assert.Empty(new KvHarness().Read(KvQueries.List("")).Pairs);
    }

    [Fact]
    public void List_should_find_keys_whose_prefix_ends_in_the_highest_character()
    {
        _kv.Put("a\uFFFF", "1");
        _kv.Put("a\uFFFFb", "2");
        _kv.Put("b", "3");

        Assert.Equal(["a\uFFFF", "a\uFFFFb"], _kv.Read(KvQueries.List("a\uFFFF")).Pairs.Select(p => p.Key));
        Assert.Equal(["a\uFFFF", "a\uFFFFb"], _kv.Read(KvQueries.List("a")).Pairs.Select(p => p.Key));
    }

    [Fact]
    public void List_beyond_its_limit_should_be_truncated_and_continue_after_the_last_key()
    {
        for (var i = 0; i < 7; i++)
        {
            _kv.Put($"k/{i}", "v");
        }

        var first = _kv.Read(KvQueries.List("k/", limit: 3));
        var second = _kv.Read(KvQueries.List("k/", startAfter: first.Pairs[^1].Key, limit: 3));
        var third = _kv.Read(KvQueries.List("k/", startAfter: second.Pairs[^1].Key, limit: 3));

        Assert.Equal(["k/0", "k/1", "k/2"], first.Pairs.Select(p => p.Key));
        Assert.True(first.Truncated);
        Assert.Equal(["k/3", "k/4", "k/5"], second.Pairs.Select(p => p.Key));
        Assert.True(second.Truncated);
        Assert.Equal(["k/6"], third.Pairs.Select(p => p.Key));
        Assert.False(third.Truncated);
    }

    [Fact]
    public void List_should_never_return_more_than_max_list_results()
    {
        var kv = new KvHarness();
        for (var i = 0; i < 12; i++)
        {
            kv.Put($"k{i:D2}", "v");
        }

        var capped = kv.Read(KvQueries.List("k", limit: 1000));

        Assert.Equal(KvHarness.Small.MaxListResults, capped.Pairs.Count);
        Assert.True(capped.Truncated);
        Assert.Equal(12, kv.Keys("k").Count);
    }

    [Fact]
    public void List_should_stop_at_max_list_bytes_but_always_return_one_pair()
    {
        var kv = new KvHarness(new KvSettings(MaxKeyBytes: 16, MaxValueBytes: 100, MaxListResults: 100, MaxListBytes: 50, MaxBatchKeys: 100));
        kv.Write(KvCommands.Put("a", new byte[20]));
        kv.Write(KvCommands.Put("b", new byte[20]));
        kv.Write(KvCommands.Put("c", new byte[20]));
        kv.Write(KvCommands.Put("d", new byte[100]));

        var first = kv.Read(KvQueries.List(""));
        var second = kv.Read(KvQueries.List("", "b"));
        var third = kv.Read(KvQueries.List("", "c"));

        Assert.Equal(["a", "b"], first.Pairs.Select(p => p.Key));
        Assert.True(first.Truncated);
        Assert.Equal(["c"], second.Pairs.Select(p => p.Key));
        Assert.True(second.Truncated);
        Assert.Equal(["d"], third.Pairs.Select(p => p.Key));
        Assert.False(third.Truncated);
    }

    [Fact]
    public void List_with_a_start_key_before_the_prefix_should_start_at_the_prefix()
    {
        _kv.Put("a", "1");
        _kv.Put("b/1", "2");
        _kv.Put("b/2", "3");

        Assert.Equal(["b/1", "b/2"], _kv.Read(KvQueries.List("b/", startAfter: "a")).Pairs.Select(p => p.Key));
        Assert.Equal(["b/2"], _kv.Read(KvQueries.List("b/", startAfter: "b/1")).Pairs.Select(p => p.Key));
        Assert.Empty(_kv.Read(KvQueries.List("b/", startAfter: "c")).Pairs);
    }

    [Fact]
    public void List_with_an_invalid_or_too_long_prefix_should_be_refused()
    {
        Assert.Equal(KvStatus.InvalidKey, _kv.Read(KvQueries.List("a\tb")).Status);
        Assert.Equal(KvStatus.KeyTooLarge, _kv.Read(KvQueries.List(new string('p', 65))).Status);
    }

    [Fact]
    public void DeleteTree_should_delete_exactly_the_keys_with_the_prefix_and_report_them_in_ordinal_order()
    {
        foreach (var key in new[] { "dir/b", "dir/a", "dir", "dir/a/deep", "dirt", "other" })
        {
            _kv.Put(key, "v");
        }

        var result = _kv.Write(KvCommands.DeleteTree("dir/"));

        Assert.Equal(KvStatus.Ok, result.Status);
        Assert.Equal(3UL, result.DeletedCount);
        Assert.Equal(["dir/a", "dir/a/deep", "dir/b"], _kv.LastApply.ChangedKeys);
        Assert.Equal(["dir", "dirt", "other"], _kv.Keys());
    }

    [Fact]
    public void DeleteTree_with_a_spare_prefix_should_keep_the_keys_under_it_and_not_count_them()
    {
        foreach (var key in new[] { "_sys/a", "_sys/b", "_user", "a", "b/c" })
        {
            _kv.Put(key, "v");
        }

        var result = _kv.Write(KvCommands.DeleteTree("", sparePrefix: "_sys/"));

        Assert.Equal(KvStatus.Ok, result.Status);
        Assert.Equal(3UL, result.DeletedCount);
        Assert.Equal(["_user", "a", "b/c"], _kv.LastApply.ChangedKeys);
        Assert.Equal(["_sys/a", "_sys/b"], _kv.Keys());
    }

    [Fact]
    public void DeleteTree_of_a_prefix_no_key_has_should_delete_nothing_and_succeed()
    {
        _kv.Put("a", "v");

        var result = _kv.Write(KvCommands.DeleteTree("b"));

        Assert.Equal(KvStatus.Ok, result.Status);
        Assert.Equal(0UL, result.DeletedCount);
        Assert.Empty(_kv.LastApply.ChangedKeys);
        Assert.Equal(["a"], _kv.Keys());
    }

    [Fact]
    public void DeleteTree_with_the_empty_prefix_should_delete_every_key()
    {
        _kv.Put("a", "v");
        _kv.Put("b", "v", sessionId: 3, ephemeral: true);

        var result = _kv.Write(KvCommands.DeleteTree(""));

        Assert.Equal(2UL, result.DeletedCount);
        Assert.Equal(0, _kv.Machine.Count);
        Assert.Equal(0, _kv.Machine.SessionsWithKeys);
    }

    [Fact]
    public void DeleteTree_with_a_too_long_prefix_should_be_refused_and_delete_nothing()
    {
        _kv.Put("a", "v");

        Assert.Equal(KvStatus.KeyTooLarge, _kv.Write(KvCommands.DeleteTree(new string('a', 65))).Status);
        Assert.Equal(1, _kv.Machine.Count);
    }
}
