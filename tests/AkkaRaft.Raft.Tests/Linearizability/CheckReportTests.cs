using AkkaRaft.TestSupport.Linearizability;

namespace AkkaRaft.Raft.Tests.Linearizability;

/// <summary>What the checker tells a developer when a history is wrong, undecided, or malformed.</summary>
public sealed class CheckReportTests
{
    private static IReadOnlyList<Operation> StaleReadOnY() => new HistoryBuilder()
        .Put(1, "x", "a", 0, 10)      // #0
        .Put(2, "y", "1", 0, 10)      // #1
        .Put(1, "y", "2", 20, 30)     // #2
        .Get(2, "y", "1", 40, 50)     // #3: stale
        .Get(3, "x", "a", 40, 50)     // #4
        .Build();

    [Fact]
    public void A_linearizable_result_has_no_key_no_operations_and_says_so()
    {
        var result = LinearizabilityChecker.Check(new HistoryBuilder().Put(1, "x", "a", 0, 10).Get(2, "x", "a", 20, 30).Build());

        Assert.True(result.IsLinearizable);
        Assert.Null(result.Key);
        Assert.Empty(result.Involved);
        Assert.Empty(result.LongestLinearizablePrefix);
        Assert.Equal(2, result.OperationCount);
        Assert.Equal(1, result.KeyCount);
        Assert.StartsWith("Linearizable: 2 operations on 1 key (", result.Describe());
    }

    [Fact]
    public void A_violation_report_names_the_key_and_lists_its_operations_with_times()
    {
        var result = LinearizabilityChecker.Check(StaleReadOnY());
        var report = result.Describe();

        Assert.Equal("y", result.Key);
        Assert.StartsWith("Not linearizable: the 3 operations on key \"y\" have no linearization", report);
        Assert.Contains("#1 client 2 put(\"y\", \"1\") -> ok [0, 10]", report);
        Assert.Contains("#2 client 1 put(\"y\", \"2\") -> ok [20, 30]", report);
        Assert.Contains("#3 client 2 get(\"y\") -> \"1\" [40, 50]", report);
        Assert.DoesNotContain("#0 ", report);
        Assert.DoesNotContain("#4 ", report);
    }

    [Fact]
    public void A_violation_report_gives_the_longest_linearizable_prefix_and_why_it_cannot_be_extended()
    {
        var result = LinearizabilityChecker.Check(StaleReadOnY());
        var report = result.Describe();

        Assert.Equal([1, 2], result.LongestLinearizablePrefix.Select(o => o.Id));
        Assert.Contains("Longest linearizable prefix (2 of 3 operations):", report);
        Assert.Contains("After that prefix \"y\" holds \"2\".", report);
        Assert.Contains("#3 client 2 get(\"y\") -> \"1\" [40, 50]: it read \"1\", but \"y\" held \"2\"", report);
    }

    [Fact]
    public void A_read_of_a_value_never_written_is_reported_as_such()
    {
        var result = new HistoryBuilder().Put(1, "x", "a", 0, 10).Get(2, "x", "ghost", 20, 30).Check();

        Assert.Contains("it read \"ghost\", but \"x\" held \"a\"; no operation on \"x\" ever writes \"ghost\"", result.Describe());
    }

    [Fact]
    public void A_lost_update_report_says_which_compare_and_set_could_not_have_swapped()
    {
        var result = new HistoryBuilder()
            .Put(1, "x", "a", 0, 10)
            .Cas(2, "x", "a", "b", true, 20, 40)
            .Cas(3, "x", "a", "c", true, 25, 45)
            .Check();
        var report = result.Describe();

        Assert.Equal(2, result.LongestLinearizablePrefix.Count);
        Assert.Contains("it swapped, but \"x\" held", report);
        Assert.Contains("not the expected \"a\"", report);
    }

    [Fact]
    public void A_timed_out_operation_is_shown_with_an_unknown_outcome_and_an_open_interval()
    {
        var result = new HistoryBuilder()
            .TimedOutPut(4, "x", "b", 20)
            .Get(1, "x", "b", 0, 10)
            .Check();

        Assert.Contains("#0 client 4 put(\"x\", \"b\") -> ? (outcome unknown) [20, inf)", result.Describe());
    }

    [Fact]
    public void Operations_that_cannot_affect_the_verdict_are_listed_but_said_to_be_left_out_of_the_search()
    {
        var result = new HistoryBuilder()
            .Put(1, "x", "a", 0, 10)
            .TimedOutPut(2, "x", "unseen", 12)
            .TimedOut(3, new KvInput(KvOpKind.Get, "x"), 14)
            .Get(1, "x", "ghost", 20, 30)
            .Check();

        Assert.Equal(4, result.Involved.Count);
        Assert.Contains("(2 operation(s) on \"x\" cannot affect the verdict and were not searched", result.Describe());
    }

    [Fact]
    public void A_search_that_runs_out_of_budget_is_undecided_and_not_reported_as_linearizable()
    {
        var builder = new HistoryBuilder();
        for (var i = 0; i < 8; i++) builder.Put(i, "x", $"v{i}", 0, 100);
        builder.Get(9, "x", "v3", 200, 210);

        var bounded = LinearizabilityChecker.Check(builder.Build(), maxExploredStatesPerKey: 3);
        var unbounded = LinearizabilityChecker.Check(builder.Build());

        Assert.Equal(Verdict.Undecided, bounded.Verdict);
        Assert.False(bounded.IsLinearizable);
        Assert.Equal("x", bounded.Key);
        Assert.StartsWith("Undecided: the search budget ran out on key \"x\"", bounded.Describe());
        Assert.Contains("stopped after exploring 3 states", bounded.Describe());
        Assert.Equal(Verdict.Linearizable, unbounded.Verdict);
    }

    [Fact]
    public void A_proven_violation_on_one_key_wins_over_an_undecided_key_checked_before_it()
    {
        var builder = new HistoryBuilder();
        for (var i = 0; i < 8; i++) builder.Put(i, "busy", $"v{i}", 0, 100);
        builder.Get(9, "busy", "v3", 200, 210);
        builder.Get(1, "wrong", "ghost", 300, 310);

        var result = LinearizabilityChecker.Check(builder.Build(), maxExploredStatesPerKey: 3);

        Assert.Equal(Verdict.NotLinearizable, result.Verdict);
        Assert.Equal("wrong", result.Key);
    }

    [Fact]
    public void A_budget_below_one_state_is_rejected()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => LinearizabilityChecker.Check([], 0));
    }

    [Fact]
    public void A_null_history_is_rejected()
    {
        Assert.Throws<ArgumentNullException>(() => LinearizabilityChecker.Check(null!));
    }

    [Fact]
    public void Two_operations_with_the_same_id_are_rejected_with_the_id_in_the_message()
    {
        var history = new[]
        {
            Operation.Completed(7, 1, new KvInput(KvOpKind.Get, "x"), KvOutput.Read(null), 0, 1),
            Operation.Completed(7, 2, new KvInput(KvOpKind.Get, "x"), KvOutput.Read(null), 0, 1),
        };

        var error = Assert.Throws<ArgumentException>(() => LinearizabilityChecker.Check(history));
        Assert.Contains("#7", error.Message);
    }

    [Fact]
    public void A_put_without_a_value_is_rejected()
    {
        var history = new[] { Operation.Completed(0, 1, new KvInput(KvOpKind.Put, "x"), KvOutput.Written, 0, 1) };

        var error = Assert.Throws<ArgumentException>(() => LinearizabilityChecker.Check(history));
        Assert.Contains("put without a value", error.Message);
    }

    [Fact]
    public void An_operation_returning_before_its_invocation_is_rejected()
    {
        var history = new[] { Operation.Completed(3, 1, new KvInput(KvOpKind.Get, "x"), KvOutput.Read(null), 10, 5) };

        var error = Assert.Throws<ArgumentException>(() => LinearizabilityChecker.Check(history));
        Assert.Contains("#3 returns at 5, before its invocation at 10", error.Message);
    }

    [Fact]
    public void A_verdict_contradicting_the_linearizable_flag_cannot_be_built()
    {
        Assert.Throws<ArgumentException>(() => new CheckResult(true, null, []) { Verdict = Verdict.Undecided });
    }
}
