using AkkaRaft.Client;
using AkkaRaft.Raft.Peer;

namespace AkkaRaft.Simulation.Tests;

/// <summary>
/// One-shot watches on a peer that leads a group of one, its effects carried out against a real state machine host: a
/// watch fires once, on the first change after its index, when its session ends or when its peer stops leading.
/// </summary>
public sealed class WatchLogicTests
{
    private static readonly TimeSpan Ttl = TimeSpan.FromSeconds(2);

    [Fact]
    public void A_watch_fires_exactly_once_on_the_first_change_after_its_index_and_a_later_change_finds_it_gone()
    {
        var peer = CoordinationPeer.Elected();
        var read = peer.Put("k", "v0");
        var watcher = peer.Send(new Watch("k", AfterIndex: read.Index));
        var set = Assert.IsType<WatchSet>(Assert.Single(peer.AnswersOf(watcher)));
        Assert.Equal(read.Index, set.AfterIndex);

        peer.Put("other", "x");
        Assert.Single(peer.AnswersOf(watcher));
        var first = peer.Put("k", "v1");
        peer.Put("k", "v2");
        peer.Delete("k");

        Assert.Equal(2, peer.AnswersOf(watcher).Count);
        var fired = Assert.IsType<WatchFired>(peer.AnswersOf(watcher)[1]);
        Assert.Equal(new WatchFired(set.WatchId, WatchReason.DataChanged, "k", first.Index), fired);
        Assert.Equal(0, peer.Host.WatchCount);
    }

    [Fact]
    public void A_prefix_watch_fires_on_a_key_under_the_prefix_and_a_delete_fires_a_key_watch()
    {
        var peer = CoordinationPeer.Elected();
        peer.Put("app/a", "1");
        var prefix = peer.Send(new Watch("app/", Prefix: true));
        var key = peer.Send(new Watch("app/a"));
        peer.Put("apple", "no");
        var deleted = peer.Delete("app/a");

        Assert.Equal(new WatchFired(((WatchSet)peer.AnswersOf(prefix)[0]).WatchId, WatchReason.DataChanged, "app/a", deleted.Index) { Deleted = true }, peer.AnswersOf(prefix)[1]);
        Assert.Equal(new WatchFired(((WatchSet)peer.AnswersOf(key)[0]).WatchId, WatchReason.DataChanged, "app/a", deleted.Index) { Deleted = true }, peer.AnswersOf(key)[1]);
    }

    [Fact]
    public void A_watch_from_an_index_before_a_change_fires_at_once_with_the_first_change_after_it_even_when_the_key_was_deleted()
    {
        var peer = CoordinationPeer.Elected();
        var read = peer.Put("k", "v0");
        var changed = peer.Put("k", "v1");
        peer.Delete("k");

        var fired = Assert.IsType<WatchFired>(peer.Ask(new Watch("k", AfterIndex: read.Index)));
        Assert.Equal(new WatchFired(0, WatchReason.DataChanged, "k", changed.Index), fired);
        Assert.Equal(0, peer.Host.WatchCount);
    }

    [Fact]
    public void A_watch_older_than_the_history_waits_when_its_key_is_unchanged_and_is_refused_when_the_first_change_since_is_not_known()
    {
        var peer = CoordinationPeer.Elected(RaftPeerSettings.Default with { Watches = WatchSettings.Defaults with { HistoryEntries = 1 } });
        var old = peer.Put("kept", "1");
        var changedLater = peer.Put("moved", "1");
        peer.Put("gone", "1");
        peer.Put("moved", "2");
        peer.Put("p/a", "1");
        peer.Put("moved", "3");
        peer.Delete("gone");
        peer.Put("p/b", "1");
        peer.Put("filler", "x");

        // The history holds only the last entry. "kept" has not changed since: its next change is the first.
        Assert.IsType<WatchSet>(peer.Ask(new Watch("kept", AfterIndex: old.Index)));
        // "moved" changed twice since: its last index is not the first change, which a watcher that re-arms from what
        // it is told would never see. "gone" was deleted, which leaves no index. Under "p/" the newest change (p/b)
        // would hide p/a (fault harness bug 7: the prefix watch answered the newest change).
        foreach (var watch in new[] { new Watch("moved", AfterIndex: changedLater.Index), new Watch("gone", AfterIndex: old.Index), new Watch("p/", Prefix: true, AfterIndex: old.Index) })
        {
            var refused = Assert.IsType<RequestRejected>(peer.Ask(watch));
            Assert.Contains("akkaraft.watches.history-entries", refused.Reason);
        }
    }

    [Fact]
    public void A_fired_watch_tells_a_put_from_a_delete_live_and_from_the_history_and_the_end_of_a_session_deletes_its_ephemeral_key()
    {
        var peer = CoordinationPeer.Elected();
        var start = peer.Put("k", "v0");
        var put = peer.Put("k", "v1");
        var deleted = peer.Delete("k");

        Assert.False(Assert.IsType<WatchFired>(peer.Ask(new Watch("k", AfterIndex: start.Index))).Deleted);
        Assert.True(Assert.IsType<WatchFired>(peer.Ask(new Watch("k", AfterIndex: put.Index))).Deleted);

        var session = peer.Open(Ttl);
        var ephemeral = peer.Put("eph", "1", session);
        var watcher = peer.Send(new Watch("eph", AfterIndex: ephemeral.Index));
        peer.RunFor(Ttl + TimeSpan.FromSeconds(1));

        var fired = Assert.IsType<WatchFired>(peer.AnswersOf(watcher)[1]);
        Assert.Equal((WatchReason.DataChanged, "eph", true), (fired.Reason, fired.Key, fired.Deleted));
        Assert.True(fired.Index > deleted.Index);
    }

    [Fact]
    public void A_watch_in_a_session_fires_session_expired_when_the_session_expires_and_not_again()
    {
        var peer = CoordinationPeer.Elected();
        var session = peer.Open(Ttl);
        var watcher = peer.Send(new Watch("k", SessionId: session));
        var set = Assert.IsType<WatchSet>(Assert.Single(peer.AnswersOf(watcher)));

        peer.RunFor(Ttl + TimeSpan.FromSeconds(1));
        peer.Put("k", "after");

        Assert.Equal([set, new WatchFired(set.WatchId, WatchReason.SessionExpired, null, 0)], peer.AnswersOf(watcher));
        Assert.IsType<SessionNotFound>(peer.Ask(new Watch("k", SessionId: session)));
    }

    [Fact]
    public void Every_watch_fires_leader_changed_when_its_peer_stops_leading_and_a_follower_sets_none()
    {
        var peer = CoordinationPeer.Elected();
        var a = peer.Send(new Watch("a"));
        var b = peer.Send(new Watch("b/", Prefix: true));

        peer.StepDown();

        Assert.Equal(WatchReason.LeaderChanged, Assert.IsType<WatchFired>(peer.AnswersOf(a)[1]).Reason);
        Assert.Equal(WatchReason.LeaderChanged, Assert.IsType<WatchFired>(peer.AnswersOf(b)[1]).Reason);
        Assert.Equal(0, peer.Host.WatchCount);
        Assert.IsType<NotLeader>(peer.Ask(new Watch("a", OnNotLeader: NotLeaderPolicy.Reject)));
    }

    [Fact]
    public void Watches_are_bounded_per_session_and_per_node_by_their_settings_and_a_dropped_watch_frees_its_place()
    {
        var peer = CoordinationPeer.Elected(RaftPeerSettings.Default with { Watches = WatchSettings.Defaults with { MaxWatches = 3, MaxWatchesPerSession = 2 } });
        var session = peer.Open(Ttl);
        var first = Assert.IsType<WatchSet>(peer.Ask(new Watch("a", SessionId: session)));
        Assert.IsType<WatchSet>(peer.Ask(new Watch("b", SessionId: session)));

        Assert.Contains("max-watches-per-session = 2", Assert.IsType<Overloaded>(peer.Ask(new Watch("c", SessionId: session))).Reason);
        Assert.IsType<WatchSet>(peer.Ask(new Watch("c")));
        Assert.Contains("max-watches = 3", Assert.IsType<Overloaded>(peer.Ask(new Watch("d"))).Reason);

        // The trigger of the first timed out (or its client died): its place is free again.
        Assert.True(peer.Drop(first.WatchId));
        Assert.IsType<WatchSet>(peer.Ask(new Watch("d", SessionId: session)));
    }

    [Fact]
    public void A_watch_with_a_timeout_above_the_maximum_or_without_a_key_is_refused_before_it_is_set()
    {
        var peer = CoordinationPeer.Elected();
        Assert.Contains("akkaraft.watches.max-timeout", Assert.IsType<RequestRejected>(peer.Ask(new Watch("k", Timeout: TimeSpan.FromHours(1)))).Reason);
        Assert.IsType<RequestRejected>(peer.Ask(new Watch("")));
        Assert.Equal(0, peer.Host.WatchCount);
    }
}
