using AkkaRaft.Faults.Workload;

namespace AkkaRaft.Faults.Tests;

public sealed class SeriesLedgerTests
{
    private static SeriesLedger Ledger()
    {
        var ledger = new SeriesLedger("ts0");
        (long, double)[] first = [(1000, 0), (2000, 1)], failed = [(3000, 2)], unknown = [(4000, 3)];
        foreach (var batch in new[] { first, failed, unknown }) ledger.Sent(batch);
        ledger.Acknowledge(first);
        ledger.Fail(failed);
        return ledger;
    }

    [Fact]
    public void A_read_with_every_acknowledged_point_and_perhaps_the_unknown_ones_is_fine()
    {
        var ledger = Ledger();
        Assert.Null(ledger.Check([(1000, 0), (2000, 1)], 2, "a read"));
        Assert.Null(ledger.Check([(1000, 0), (2000, 1), (4000, 3)], 2, "a read"));
        Assert.Null(ledger.Check([], 0, "a read asked before any acknowledgement"));
    }

    [Fact]
    public void A_lost_point_a_changed_value_a_failed_batch_and_a_point_never_sent_are_violations()
    {
        var ledger = Ledger();
        Assert.Equal("ts0: a read lacks the acknowledged point 2000 (of 2 acknowledged before it; it holds 1)", ledger.Check([(1000, 0)], 2, "a read"));
        Assert.Equal("ts0: a read holds 7 at 2000, acknowledged as 1", ledger.Check([(1000, 0), (2000, 7)], 2, "a read"));
        Assert.Equal("ts0: a read holds 3000, of a batch that certainly failed", ledger.Check([(1000, 0), (2000, 1), (3000, 2)], 2, "a read"));
        Assert.Equal("ts0: a read holds 5000, which the client never sent", ledger.Check([(1000, 0), (2000, 1), (5000, 4)], 2, "a read"));
        Assert.Equal("ts0: a read holds 9 at 4000, sent as 3", ledger.Check([(1000, 0), (2000, 1), (4000, 9)], 2, "a read"));
    }
}
