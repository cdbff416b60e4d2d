using AkkaRaft.TestSupport.Linearizability;

namespace AkkaRaft.Raft.Tests.Linearizability;

/// <summary>Small histories whose verdict is known by reasoning, linearizable and not.</summary>
public sealed class HandMadeHistoryTests
{
    private static void AssertLinearizable(CheckResult result)
    {
        Assert.True(result.IsLinearizable, result.Describe());
        Assert.Equal(Verdict.Linearizable, result.Verdict);
    }

    private static void AssertNotLinearizable(CheckResult result, string key)
    {
        Assert.False(result.IsLinearizable, "expected a violation, got: " + result.Describe());
        Assert.Equal(Verdict.NotLinearizable, result.Verdict);
        Assert.Equal(key, result.Key);
    }

    [Fact]
    public void An_empty_history_is_linearizable()
    {
        var result = LinearizabilityChecker.Check([]);

        AssertLinearizable(result);
        Assert.Null(result.Key);
        Assert.Empty(result.Involved);
    }

    [Fact]
    public void A_read_of_a_key_never_written_returns_absent()
    {
        AssertLinearizable(new HistoryBuilder().Get(1, "x", null, 0, 10).Check());
    }

    [Fact]
    public void A_read_after_a_completed_write_sees_it()
    {
        AssertLinearizable(new HistoryBuilder().Put(1, "x", "a", 0, 10).Get(2, "x", "a", 20, 30).Check());
    }

    [Theory]
    [InlineData("a")]
    [InlineData("b")]
    public void Concurrent_puts_let_a_later_read_see_either_value(string seen)
    {
        var result = new HistoryBuilder()
            .Put(1, "x", "a", 0, 10)
            .Put(2, "x", "b", 5, 15)
            .Get(3, "x", seen, 20, 30)
            .Check();

        AssertLinearizable(result);
    }

    [Fact]
    public void Two_sequential_reads_after_concurrent_puts_cannot_see_the_puts_in_both_orders()
    {
        var result = new HistoryBuilder()
            .Put(1, "x", "a", 0, 10)
            .Put(2, "x", "b", 5, 15)
            .Get(3, "x", "b", 20, 30)
            .Get(3, "x", "a", 40, 50)
            .Check();

        AssertNotLinearizable(result, "x");
    }

    [Fact]
    public void A_stale_read_after_a_completed_write_is_not_linearizable()
    {
        var result = new HistoryBuilder()
            .Put(1, "x", "a", 0, 10)
            .Put(1, "x", "b", 20, 30)
            .Get(2, "x", "a", 40, 50)
            .Check();

        AssertNotLinearizable(result, "x");
    }

    [Theory]
    [InlineData("a")]
    [InlineData("b")]
    public void A_read_concurrent_with_a_write_may_see_the_old_or_the_new_value(string seen)
    {
        var result = new HistoryBuilder()
            .Put(1, "x", "a", 0, 10)
            .Put(1, "x", "b", 20, 40)
            .Get(2, "x", seen, 25, 35)
            .Check();

        AssertLinearizable(result);
    }

    [Fact]
    public void A_read_that_sees_a_new_value_forbids_a_later_read_of_the_old_one()
    {
        // The classic new-then-old inversion: both reads overlap the write, but they are sequential.
        var result = new HistoryBuilder()
            .Put(1, "x", "a", 0, 10)
            .Put(1, "x", "b", 20, 100)
            .Get(2, "x", "b", 30, 40)
            .Get(3, "x", "a", 50, 60)
            .Check();

        AssertNotLinearizable(result, "x");
    }

    [Fact]
    public void A_read_of_a_value_never_written_is_not_linearizable()
    {
        var result = new HistoryBuilder()
            .Put(1, "x", "a", 0, 10)
            .Get(2, "x", "zebra", 5, 15)
            .Check();

        AssertNotLinearizable(result, "x");
    }

    [Fact]
    public void A_read_cannot_see_a_value_written_only_after_it_returned()
    {
        var result = new HistoryBuilder()
            .Get(1, "x", "a", 0, 10)
            .Put(2, "x", "a", 20, 30)
            .Check();

        AssertNotLinearizable(result, "x");
    }

    [Fact]
    public void A_chain_of_compare_and_sets_is_linearizable()
    {
        var result = new HistoryBuilder()
            .Cas(1, "x", null, "a", true, 0, 10)
            .Cas(2, "x", "a", "b", true, 20, 30)
            .Cas(3, "x", "a", "c", false, 40, 50)
            .Get(1, "x", "b", 60, 70)
            .Check();

        AssertLinearizable(result);
    }

    [Fact]
    public void Two_concurrent_compare_and_sets_from_the_same_value_cannot_both_swap()
    {
        // The lost update: both clients read "a" and both believe their increment won.
        var result = new HistoryBuilder()
            .Put(1, "x", "a", 0, 10)
            .Cas(2, "x", "a", "b", true, 20, 40)
            .Cas(3, "x", "a", "c", true, 25, 45)
            .Check();

        AssertNotLinearizable(result, "x");
    }

    [Fact]
    public void Two_concurrent_compare_and_sets_from_the_same_value_may_have_one_winner()
    {
        var result = new HistoryBuilder()
            .Put(1, "x", "a", 0, 10)
            .Cas(2, "x", "a", "b", false, 20, 40)
            .Cas(3, "x", "a", "c", true, 25, 45)
            .Get(1, "x", "c", 50, 60)
            .Check();

        AssertLinearizable(result);
    }

    [Fact]
    public void A_compare_and_set_that_fails_although_the_expected_value_was_held_is_not_linearizable()
    {
        var result = new HistoryBuilder()
            .Put(1, "x", "a", 0, 10)
            .Cas(2, "x", "a", "b", false, 20, 30)
            .Check();

        AssertNotLinearizable(result, "x");
    }

    [Fact]
    public void A_compare_and_set_expecting_absent_swaps_on_a_key_never_written()
    {
        AssertLinearizable(new HistoryBuilder().Cas(1, "x", null, "a", true, 0, 10).Get(1, "x", "a", 20, 30).Check());
        AssertNotLinearizable(new HistoryBuilder().Cas(1, "x", null, "a", false, 0, 10).Check(), "x");
    }

    [Fact]
    public void A_compare_and_set_to_null_removes_the_key()
    {
        var result = new HistoryBuilder()
            .Put(1, "x", "a", 0, 10)
            .Cas(1, "x", "a", null, true, 20, 30)
            .Get(1, "x", null, 40, 50)
            .Check();

        AssertLinearizable(result);
    }

    [Fact]
    public void A_read_after_a_completed_delete_returns_absent()
    {
        var builder = new HistoryBuilder().Put(1, "x", "a", 0, 10).Delete(2, "x", 20, 30);

        AssertLinearizable(builder.Get(3, "x", null, 40, 50).Check());
    }

    [Fact]
    public void A_read_after_a_completed_delete_that_still_sees_the_value_is_not_linearizable()
    {
        var result = new HistoryBuilder().Put(1, "x", "a", 0, 10).Delete(2, "x", 20, 30).Get(3, "x", "a", 40, 50).Check();

        AssertNotLinearizable(result, "x");
    }

    [Fact]
    public void Deleting_an_absent_key_succeeds_and_leaves_it_absent()
    {
        var result = new HistoryBuilder().Delete(1, "x", 0, 10).Get(2, "x", null, 20, 30).Cas(3, "x", null, "a", true, 40, 50).Check();

        AssertLinearizable(result);
    }

    [Fact]
    public void A_timed_out_write_that_took_effect_explains_a_later_read_of_its_value()
    {
        var result = new HistoryBuilder()
            .Put(1, "x", "a", 0, 10)
            .TimedOutPut(2, "x", "b", 20)
            .Get(3, "x", "b", 100, 110)
            .Check();

        AssertLinearizable(result);
    }

    [Fact]
    public void A_timed_out_write_may_never_take_effect()
    {
        var result = new HistoryBuilder()
            .Put(1, "x", "a", 0, 10)
            .TimedOutPut(2, "x", "b", 20)
            .Get(3, "x", "a", 100, 110)
            .Get(3, "x", "a", 1_000, 1_010)
            .Check();

        AssertLinearizable(result);
    }

    [Fact]
    public void A_timed_out_write_may_take_effect_long_after_it_was_invoked()
    {
        var result = new HistoryBuilder()
            .TimedOutPut(1, "x", "late", 0)
            .Put(2, "x", "a", 10, 20)
            .Get(3, "x", "a", 30, 40)
            .Get(3, "x", "late", 500, 510)
            .Check();

        AssertLinearizable(result);
    }

    [Fact]
    public void A_timed_out_write_cannot_take_effect_before_it_was_invoked()
    {
        var result = new HistoryBuilder()
            .Get(1, "x", "b", 0, 10)
            .TimedOutPut(2, "x", "b", 20)
            .Check();

        AssertNotLinearizable(result, "x");
    }

    [Fact]
    public void A_timed_out_write_takes_effect_at_most_once()
    {
        // "late" may land after the put of "a", but then "a" cannot come back.
        var result = new HistoryBuilder()
            .TimedOutPut(1, "x", "late", 0)
            .Put(2, "x", "a", 10, 20)
            .Get(3, "x", "late", 30, 40)
            .Get(3, "x", "a", 50, 60)
            .Check();

        AssertNotLinearizable(result, "x");
    }

    [Fact]
    public void A_timed_out_compare_and_set_may_or_may_not_have_swapped()
    {
        var swapped = new HistoryBuilder()
            .Put(1, "x", "a", 0, 10)
            .TimedOut(2, new KvInput(KvOpKind.Cas, "x", "b", "a"), 20)
            .Get(3, "x", "b", 100, 110);
        var notSwapped = new HistoryBuilder()
            .Put(1, "x", "a", 0, 10)
            .TimedOut(2, new KvInput(KvOpKind.Cas, "x", "b", "a"), 20)
            .Get(3, "x", "a", 100, 110);

        AssertLinearizable(swapped.Check());
        AssertLinearizable(notSwapped.Check());
    }

    [Fact]
    public void A_timed_out_compare_and_set_only_swaps_when_the_expected_value_is_held()
    {
        var result = new HistoryBuilder()
            .Put(1, "x", "a", 0, 10)
            .TimedOut(2, new KvInput(KvOpKind.Cas, "x", "b", "zzz"), 20)
            .Get(3, "x", "b", 100, 110)
            .Check();

        AssertNotLinearizable(result, "x");
    }

    [Fact]
    public void A_timed_out_delete_may_explain_a_read_of_absent()
    {
        var result = new HistoryBuilder()
            .Put(1, "x", "a", 0, 10)
            .TimedOut(2, new KvInput(KvOpKind.Delete, "x"), 20)
            .Get(3, "x", null, 100, 110)
            .Check();

        AssertLinearizable(result);
    }

    [Fact]
    public void A_timed_out_read_constrains_nothing()
    {
        var result = new HistoryBuilder()
            .Put(1, "x", "a", 0, 10)
            .TimedOut(2, new KvInput(KvOpKind.Get, "x"), 20)
            .Get(3, "x", "a", 100, 110)
            .Check();

        AssertLinearizable(result);
    }

    [Fact]
    public void A_write_reported_as_failed_must_not_take_effect()
    {
        var invisible = new HistoryBuilder().Put(1, "x", "a", 0, 10).FailedPut(2, "x", "b", 20, 30).Get(3, "x", "a", 40, 50);
        var visible = new HistoryBuilder().Put(1, "x", "a", 0, 10).FailedPut(2, "x", "b", 20, 30).Get(3, "x", "b", 40, 50);

        AssertLinearizable(invisible.Check());
        AssertNotLinearizable(visible.Check(), "x");
    }

    [Fact]
    public void A_read_reported_as_failed_constrains_nothing()
    {
        var history = new HistoryBuilder()
            .Put(1, "x", "a", 0, 10)
            .Answered(2, new KvInput(KvOpKind.Get, "x"), new KvOutput(null, false), 20, 30)
            .Get(3, "x", "a", 40, 50)
            .Build();

        AssertLinearizable(LinearizabilityChecker.Check(history));
        Assert.Equal("#1 client 2 get(\"x\") -> failed (observed nothing) [20, 30]", history[1].ToString());
    }

    [Fact]
    public void Keys_are_independent_registers()
    {
        // Across keys the history is not sequentially consistent as one register, but each key is fine.
        var result = new HistoryBuilder()
            .Put(1, "x", "a", 0, 10)
            .Put(1, "y", "a", 20, 30)
            .Get(2, "x", "a", 40, 50)
            .Get(2, "y", "a", 40, 50)
            .Get(3, "z", null, 0, 100)
            .Check();

        AssertLinearizable(result);
        Assert.Equal(3, result.KeyCount);
    }

    [Fact]
    public void When_one_key_of_several_fails_the_report_names_that_key_and_only_its_operations()
    {
        var result = new HistoryBuilder()
            .Put(1, "x", "a", 0, 10)      // #0
            .Put(2, "y", "1", 0, 10)      // #1
            .Get(3, "x", "a", 20, 30)     // #2
            .Put(1, "y", "2", 20, 30)     // #3
            .Get(2, "y", "1", 40, 50)     // #4: stale
            .Get(3, "z", null, 40, 50)    // #5
            .Check();

        AssertNotLinearizable(result, "y");
        Assert.Equal([1, 3, 4], result.Involved.Select(o => o.Id));
    }

    [Fact]
    public void When_several_keys_fail_the_report_names_the_first_one_invoked()
    {
        var result = new HistoryBuilder()
            .Get(1, "late", "never", 50, 60)
            .Get(2, "early", "never", 10, 20)
            .Check();

        AssertNotLinearizable(result, "early");
    }

    [Fact]
    public void An_invocation_and_a_return_at_the_same_time_built_by_hand_count_as_concurrent()
    {
        var result = new HistoryBuilder().Put(1, "x", "a", 0, 10).Get(2, "x", null, 10, 20).Check();

        AssertLinearizable(result);
    }

    [Fact]
    public void An_invocation_recorded_after_a_return_at_the_same_time_comes_after_it()
    {
        var recorder = new HistoryRecorder();
        var put = recorder.Invoke(1, new KvInput(KvOpKind.Put, "x", "a"), 0);
        recorder.Return(put, KvOutput.Written, 10);
        var get = recorder.Invoke(2, new KvInput(KvOpKind.Get, "x"), 10);
        recorder.Return(get, KvOutput.Read(null), 20);

        AssertNotLinearizable(LinearizabilityChecker.Check(recorder.Operations), "x");
    }

    [Fact]
    public void An_invocation_recorded_before_a_return_at_the_same_time_is_concurrent_with_it()
    {
        var recorder = new HistoryRecorder();
        var put = recorder.Invoke(1, new KvInput(KvOpKind.Put, "x", "a"), 0);
        var get = recorder.Invoke(2, new KvInput(KvOpKind.Get, "x"), 10);
        recorder.Return(put, KvOutput.Written, 10);
        recorder.Return(get, KvOutput.Read(null), 20);

        AssertLinearizable(LinearizabilityChecker.Check(recorder.Operations));
    }

    [Fact]
    public void An_operation_still_pending_when_the_history_ends_may_or_may_not_have_taken_effect()
    {
        var recorder = new HistoryRecorder();
        var put = recorder.Invoke(1, new KvInput(KvOpKind.Put, "x", "a"), 0);
        recorder.Invoke(2, new KvInput(KvOpKind.Put, "x", "b"), 5);
        recorder.Return(put, KvOutput.Written, 10);
        var get = recorder.Invoke(3, new KvInput(KvOpKind.Get, "x"), 20);
        recorder.Return(get, KvOutput.Read("b"), 30);

        AssertLinearizable(LinearizabilityChecker.Check(recorder.Operations));
    }

    [Theory]
    [InlineData("c", true)]
    [InlineData("v17", false)]
    public void A_history_with_forty_timed_out_writes_is_decided_within_a_small_budget(string lastRead, bool linearizable)
    {
        // Forty writes of unknown outcome, all concurrent with everything after them: 2^40 subsets for a naive
        // search. The failed compare-and-set needs one of them to have landed, the reads pin down two of them.
        var builder = new HistoryBuilder().Put(1, "x", "a", 0, 5);
        for (var i = 0; i < 40; i++) builder.TimedOutPut(10 + i, "x", $"v{i}", 10 + i);
        builder
            .Cas(2, "x", "a", "b", false, 100, 110)
            .Get(3, "x", "v17", 120, 130)
            .Get(3, "x", "v5", 140, 150)
            .Put(2, "x", "c", 160, 170)
            .Get(3, "x", lastRead, 180, 190);

        var result = LinearizabilityChecker.Check(builder.Build(), maxExploredStatesPerKey: 10_000);

        Assert.Equal(linearizable ? Verdict.Linearizable : Verdict.NotLinearizable, result.Verdict);
    }
}
