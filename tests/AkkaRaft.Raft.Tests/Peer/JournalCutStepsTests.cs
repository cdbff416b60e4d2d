using AkkaRaft.Raft.Peer;

namespace AkkaRaft.Raft.Tests.Peer;

/// <summary>How a peer splits its journal cuts into steps (<see cref="JournalCutSteps"/>).</summary>
public sealed class JournalCutStepsTests
{
    [Fact]
    public void Cuts_go_in_steps_each_after_the_last()
    {
        var cuts = new JournalCutSteps(step: 100);

        Assert.Equal(100L, cuts.Request(250));
        // A cut asked for while a step is under way waits for it.
        Assert.Null(cuts.Request(300));
        Assert.Equal(200L, cuts.Completed(100));
        Assert.Equal(300L, cuts.Completed(200));
        Assert.Null(cuts.Completed(300));
        Assert.Equal(300L, cuts.Cut);
    }

    [Fact]
    public void After_a_start_the_leftovers_below_the_recovered_record_go_in_one_deletion_and_then_steps()
    {
        var cuts = new JournalCutSteps(step: 100, recoveredAt: 5_000);

        Assert.Equal(5_000L, cuts.Request(5_250));
        Assert.Equal(5_100L, cuts.Completed(5_000));
        Assert.Equal(5_200L, cuts.Completed(5_100));
        Assert.Equal(5_250L, cuts.Completed(5_200));
        Assert.Null(cuts.Completed(5_250));
    }

    [Fact]
    public void A_cut_to_where_the_journal_is_cut_already_asks_for_nothing()
    {
        var cuts = new JournalCutSteps(step: 100);
        Assert.Equal(50L, cuts.Request(50));
        Assert.Null(cuts.Completed(50));

        Assert.Null(cuts.Request(50));
        Assert.Null(cuts.Request(40));
    }

    [Fact]
    public void A_failed_step_ends_the_cut_and_the_next_one_goes_on_from_where_it_stopped()
    {
        var cuts = new JournalCutSteps(step: 10, recoveredAt: 100);
        Assert.Equal(100L, cuts.Request(100));
        Assert.Null(cuts.Completed(100));
        Assert.Equal(110L, cuts.Request(150));
        Assert.Equal(120L, cuts.Completed(110));

        cuts.Failed();

        Assert.Equal(110L, cuts.Cut);
        Assert.Equal(120L, cuts.Request(160));
    }
}
