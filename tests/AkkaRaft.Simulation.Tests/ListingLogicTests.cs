using AkkaRaft.Client;
using AkkaRaft.Raft.Peer;

namespace AkkaRaft.Simulation.Tests;

/// <summary>
/// The listing of sessions, locks and watches (GET /sessions) on a peer that leads a group of one, its effects carried
/// out against a real state machine host: what it names, the time each session has left, and its limit.
/// </summary>
public sealed class ListingLogicTests
{
    private static readonly TimeSpan Ttl = TimeSpan.FromSeconds(10);

    [Fact]
    public void The_leader_lists_its_sessions_with_time_left_the_held_locks_with_holder_token_and_waiters_and_its_watches()
    {
        var peer = CoordinationPeer.Elected();
        var s1 = peer.Open(Ttl);
        var s2 = peer.Open(TimeSpan.FromSeconds(4));
        var held = Assert.IsType<LockAcquired>(peer.Ask(new AcquireLock("jobs/leader", s1)));
        peer.Send(new AcquireLock("jobs/leader", s2));
        peer.Send(new Watch("config/", Prefix: true, SessionId: s2));
        peer.Send(new Watch("flag"));
        peer.RunFor(TimeSpan.FromSeconds(1));

        var listing = Assert.IsType<CoordinationListing>(peer.Ask(new ListCoordination()));

        Assert.Equal([s1, s2], listing.Sessions.Select(s => s.Id));
        Assert.Equal([Ttl, TimeSpan.FromSeconds(4)], listing.Sessions.Select(s => s.Ttl));
        // A second passed with no keep-alive: each has its ttl less about that second left (ticks are heartbeat steps).
        Assert.All(listing.Sessions, s => Assert.InRange(s.ExpiresIn!.Value, s.Ttl - TimeSpan.FromSeconds(1.2), s.Ttl - TimeSpan.FromSeconds(0.8)));
        var lockListed = Assert.Single(listing.Locks);
        Assert.Equal(("jobs/leader", s1, held.FencingToken, 1), (lockListed.Name, lockListed.Holder, lockListed.FencingToken, lockListed.WaiterCount));
        Assert.Equal([s2], lockListed.Waiters);
        Assert.Equal(2, listing.WatchCount);
        Assert.Equal([("config/", true, s2), ("flag", false, 0L)], listing.Watches.Select(w => (w.Key, w.Prefix, w.SessionId)));
        Assert.Equal((2, 1, peer.Logic.NodeId), (listing.SessionCount, listing.LockCount, listing.Leader));

        // The holder's session closes: the lock passes to the waiter and the closed session is no longer listed.
        Assert.IsType<SessionClosed>(peer.Ask(new CloseSession(s1)));
        var after = Assert.IsType<CoordinationListing>(peer.Ask(new ListCoordination()));
        Assert.Equal([s2], after.Sessions.Select(s => s.Id));
        var passed = Assert.Single(after.Locks);
        Assert.Equal(s2, passed.Holder);
        Assert.True(passed.FencingToken > held.FencingToken);
        Assert.Empty(passed.Waiters);
    }

    [Fact]
    public void A_listing_names_at_most_the_limit_of_each_kind_and_counts_them_all()
    {
        var settings = RaftPeerSettings.Default with { Sessions = SessionSettings.Defaults with { MaxListed = 2 } };
        var peer = CoordinationPeer.Elected(settings);
        var sessions = Enumerable.Range(0, 3).Select(_ => peer.Open(Ttl)).ToList();
        foreach (var s in sessions) peer.Ask(new AcquireLock("L" + s, s));
        foreach (var s in sessions) peer.Send(new AcquireLock("L" + sessions[0], s));

        var capped = Assert.IsType<CoordinationListing>(peer.Ask(new ListCoordination(Limit: 50)));
        Assert.Equal(2, capped.Limit);
        Assert.Equal(sessions.Take(2), capped.Sessions.Select(s => s.Id));
        Assert.Equal((3, 3), (capped.SessionCount, capped.LockCount));
        Assert.Equal(2, capped.Locks.Count);
        var first = capped.Locks.Single(l => l.Name == "L" + sessions[0]);
        Assert.Equal((2, 2), (first.Waiters.Count, first.WaiterCount));

        var one = Assert.IsType<CoordinationListing>(peer.Ask(new ListCoordination(Limit: 1)));
        Assert.Equal((1, 1, 3), (one.Sessions.Count, one.Locks.Count, one.SessionCount));

        var refused = Assert.IsType<RequestRejected>(peer.Ask(new ListCoordination(Limit: -1)));
        Assert.Contains("akkaraft.sessions.max-listed", refused.Reason);
    }

    [Fact]
    public void A_peer_that_does_not_lead_answers_not_leader()
    {
        var peer = CoordinationPeer.Elected();
        peer.Open(Ttl);
        peer.StepDown();

        Assert.IsType<NotLeader>(peer.Ask(new ListCoordination(OnNotLeader: NotLeaderPolicy.Reject)));
    }
}
