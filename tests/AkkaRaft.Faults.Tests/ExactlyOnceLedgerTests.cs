using AkkaRaft.Faults.Workload;

namespace AkkaRaft.Faults.Tests;

public sealed class ExactlyOnceLedgerTests
{
    [Fact]
    public void Answers_at_one_index_per_write_are_fine_and_a_second_index_is_a_write_applied_twice()
    {
        var ledger = new ExactlyOnceLedger();
        Assert.Null(ledger.Record("41", 1, 50, "the answer"));
        Assert.Null(ledger.Record("41", 1, 50, "a duplicate sent after the answer"));
        Assert.Null(ledger.Record("41", 2, 52, "the answer"));
        Assert.Null(ledger.Record("77", 1, 52, "the answer")); // another session's write 1 is another write

        var violation = ledger.Record("41", 2, 60, "a duplicate sent after the answer");
        Assert.Equal("session 41 write 2: first answered at index 52, a duplicate sent after the answer at index 60 (applied twice)", violation);
        Assert.Equal(3, ledger.Count);
    }
}
