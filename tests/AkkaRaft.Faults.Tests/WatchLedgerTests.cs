using AkkaRaft.Faults.Workload;

namespace AkkaRaft.Faults.Tests;

public sealed class WatchLedgerTests
{
    private static WatchChange Put(string key, ulong index) => new("w/" + key, index, false);

    private static WatchChange Delete(string key, ulong index) => new("w/" + key, index, true);

    /// <summary>Writes acknowledged at 11 (put a), 12 (put b), 14 (delete a), 16 (put a); an unanswered put of c and delete of b.</summary>
    private static WatchLedger Ledger()
    {
        var ledger = new WatchLedger("w/");
        foreach (var write in new[] { Put("a", 11), Put("b", 12), Delete("a", 14), Put("a", 16) }) ledger.Acknowledge(write);
        ledger.Unknown("w/c", false);
        ledger.Unknown("w/b", true);
        ledger.Fail("w/a", true, " (404)");
        return ledger;
    }

    private static WatchLedger Watched(WatchLedger ledger, ulong from, params WatchChange[] events)
    {
        ledger.Start(from);
        foreach (var e in events) ledger.Saw(e);
        return ledger;
    }

    [Fact]
    public void A_watcher_that_saw_every_change_once_in_order_passes_and_unanswered_writes_may_show()
    {
        var ledger = Watched(Ledger(), 10, Put("a", 11), Put("b", 12), Put("c", 13), Delete("a", 14), Delete("b", 15), Put("a", 16));
        ledger.Quiet();
        Assert.Empty(ledger.Violations());
        Assert.Equal(6, ledger.Events);
        Assert.Equal(2, ledger.EventsOfUnansweredWrites);
        Assert.Equal(16UL, ledger.LastIndex);
    }

    [Fact]
    public void Writes_at_or_before_the_start_and_after_the_last_index_seen_are_not_expected_until_caught_up()
    {
        var ledger = Watched(Ledger(), 11, Put("b", 12), Delete("a", 14));
        Assert.Empty(ledger.Violations());
        ledger.Quiet(" by n2");
        Assert.Equal(
            ["w/: the acknowledged put of w/a at 16 was never answered to a watcher that watched from 11 until it was caught up "
             + "(2 events; the event before it: the delete of w/a at 14; then caught up: a watch from 14 timed out by n2)"],
            ledger.Violations());
    }

    [Fact]
    public void A_missed_acknowledged_write_is_a_violation()
    {
        var ledger = Watched(Ledger(), 10, Put("a", 11));
        ledger.Saw(Delete("a", 14), " (from n1)");
        Assert.Equal(
            ["w/: the acknowledged put of w/b at 12 was never answered to a watcher that watched from 10 up to 14 "
             + "(2 events; the event before it: the put of w/a at 11; the event after it: the delete of w/a at 14 (from n1))"],
            ledger.Violations());
    }

    [Fact]
    public void A_change_seen_twice_or_out_of_order_is_a_violation()
    {
        Assert.Equal(["w/: the put of w/b at 12 came after index 12 (seen twice)"], Watched(Ledger(), 10, Put("a", 11), Put("b", 12), Put("b", 12)).Violations());
        Assert.Equal(["w/: the put of w/a at 11 came after index 12 (out of order)"], Watched(Ledger(), 10, Put("b", 12), Put("a", 11)).Violations());
    }

    [Fact]
    public void An_event_with_the_wrong_key_or_kind_or_that_no_write_explains_is_a_violation()
    {
        Assert.Equal(["w/: a watch answered the delete of w/a at 11, but the write acknowledged at 11 was the put of w/a at 11"],
            Watched(Ledger(), 10, Delete("a", 11)).Violations());
        Assert.Equal(["w/: a watch answered the put of w/b at 11, but the write acknowledged at 11 was the put of w/a at 11"],
            Watched(Ledger(), 10, Put("b", 11)).Violations());
        // c was only ever put (no answer), d never written.
        var unanswered = new WatchLedger("w/");
        unanswered.Unknown("w/c", false);
        Assert.Equal(
            [
                "w/: a watch answered the delete of w/c at 13, which no write explains (no write acknowledged at 13, no unanswered delete of w/c; its writes around it, in the order sent: put unanswered)",
                "w/: a watch answered the put of w/d at 15, which no write explains (no write acknowledged at 15, no unanswered put of w/d; its writes around it, in the order sent: none)",
            ],
            Watched(unanswered, 10, Delete("c", 13), Put("d", 15)).Violations());
    }

    [Fact]
    public void A_change_from_a_write_answered_as_failed_is_told_with_the_writes_of_its_key_around_it()
    {
        var ledger = new WatchLedger("w/");
        ledger.Acknowledge(Put("a", 5));
        ledger.Acknowledge(Put("a", 11));
        ledger.Fail("w/a", true, " (503 connection failed)");
        ledger.Acknowledge(Put("a", 16));
        ledger.Acknowledge(Put("a", 20));
        Watched(ledger, 10, Put("a", 11), Delete("a", 13), Put("a", 16), Put("a", 20));
        Assert.Equal(
            ["w/: a watch answered the delete of w/a at 13, which no write explains (no write acknowledged at 13, no unanswered delete of w/a; "
             + "its writes around it, in the order sent: put acknowledged at 11; delete failed (503 connection failed); put acknowledged at 16)"],
            ledger.Violations());
    }

    [Fact]
    public void After_a_restart_past_the_watch_history_the_changes_in_the_gap_are_not_expected()
    {
        var ledger = Watched(Ledger(), 10, Put("a", 11));
        // Refused as older than the node's history: the watcher read again at 14 and watches from there.
        Watched(ledger, 14, Put("a", 16));
        ledger.Quiet();
        Assert.Empty(ledger.Violations());
        Assert.Equal(1, ledger.Restarts);
    }

    [Fact]
    public void A_watcher_that_did_not_catch_up_is_checked_only_up_to_what_it_saw()
    {
        var ledger = Watched(Ledger(), 10, Put("a", 11), Put("b", 12));
        Assert.False(ledger.CaughtUp);
        Assert.Empty(ledger.Violations());
    }
}
