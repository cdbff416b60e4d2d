using AkkaRaft.Raft.Peer;

namespace AkkaRaft.Raft.Tests.Peer;

/// <summary>How a peer splits its journal cuts into steps (<see cref="JournalCutSteps"/>).</summary>
public sealed class JournalCutStepsTests
{
    [Fact]
    public void The_first_cut_goes_whole_and_later_ones_in_steps_each_after_the_last()
    {
        var cuts = new JournalCutSteps(step: 100);

        Assert.Equal(1_000L, cuts.Request(1_000));
        Assert.Null(cuts.Completed(1_000));
        Assert.Equal(1_100L, cuts.Request(1_250));
        // A cut asked for while a step is under way waits for it.
        Assert.Null(cuts.Request(1_300));
        Assert.Equal(1_200L, cuts.Completed(1_100));
        Assert.Equal(1_300L, cuts.Completed(1_200));
        Assert.Null(cuts.Completed(1_300));
        Assert.Equal(1_300L, cuts.Cut);
    }

    [Fact]
    public void A_cut_to_where_the_journal_is_cut_already_asks_for_nothing()
    {
        var cuts = new JournalCutSteps(step: 10);
        Assert.Equal(50L, cuts.Request(50));
        Assert.Null(cuts.Completed(50));

        Assert.Null(cuts.Request(50));
        Assert.Null(cuts.Request(40));
    }

    [Fact]
    public void A_failed_step_ends_the_cut_and_the_next_one_goes_on_from_where_it_stopped()
    {
        var cuts = new JournalCutSteps(step: 10);
        Assert.Equal(100L, cuts.Request(100));
        Assert.Null(cuts.Completed(100));
        Assert.Equal(110L, cuts.Request(150));
        Assert.Equal(120L, cuts.Completed(110));

        cuts.Failed();

        Assert.Equal(110L, cuts.Cut);
        Assert.Equal(120L, cuts.Request(160));
    }
}
