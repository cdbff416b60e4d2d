using AkkaRaft.Client.Sessions;

namespace AkkaRaft.Client.Tests;

/// <summary>The routing rules of the session actors, without actors: time is a number passed in.</summary>
public sealed class PeerRoutesTests
{
    private static readonly TimeSpan Fail = TimeSpan.FromSeconds(10);
    private static readonly TimeSpan Election = TimeSpan.FromSeconds(1);

    private static PeerRoutes ThreeKnownPeers()
    {
        var routes = new PeerRoutes(["a", "b", "c"], Fail, Election);
        routes.Learn([new ClusterMember(1, "a", "a", ""), new ClusterMember(2, "b", "b", ""), new ClusterMember(3, "c", "c", "")], m => m.RaftAddress, addMembers: false);
        return routes;
    }

    private static TimeSpan At(double seconds) => TimeSpan.FromSeconds(seconds);

    [Fact]
    public void The_leader_is_picked_until_it_fails_and_then_the_others_in_turn()
    {
        var routes = ThreeKnownPeers();
        routes.Served(1, leaderId: 2);
        Assert.Equal(1, routes.Pick(At(0)));
        Assert.Equal(1, routes.Pick(At(0)));
        routes.Failed(1, At(0), "silent");
        Assert.Equal(-1, routes.Leader);
        var next = routes.Pick(At(0));
        Assert.NotEqual(1, next);
        Assert.NotEqual(next, routes.Pick(At(0)));
    }

    [Fact]
    public void A_failed_peer_is_skipped_for_the_fail_timeout_even_when_named_and_followed_again_after_it()
    {
        var routes = ThreeKnownPeers();
        routes.Failed(0, At(0), "silent");
        Assert.True(routes.NotLeader(1, leaderHint: 1, At(0.5), "stale view"));
        Assert.Equal(-1, routes.Leader);
        Assert.Equal(2, routes.Pick(At(0.5)));
        Assert.True(routes.NotLeader(2, leaderHint: 1, At(10), "follower"));
        Assert.Equal(0, routes.Leader);
        Assert.Equal(0, routes.Pick(At(10)));
    }

    [Fact]
    public void Peers_that_do_not_lead_are_skipped_for_the_election_timeout_and_none_usable_is_all_failed()
    {
        var routes = ThreeKnownPeers();
        for (var i = 0; i < 3; i++) Assert.False(routes.NotLeader(i, leaderHint: 0, At(0), "election"));
        Assert.Equal(-1, routes.Pick(At(0.9)));
        Assert.All(routes.Describe(At(0.9)), line => Assert.Contains("not leading", line, StringComparison.Ordinal));
        Assert.NotEqual(-1, routes.Pick(At(1)));
    }

    [Fact]
    public void A_hint_naming_a_peer_that_said_it_does_not_lead_makes_it_the_leader_at_once()
    {
        var routes = ThreeKnownPeers();
        routes.NotLeader(2, leaderHint: 0, At(0), "election");
        routes.NotLeader(0, leaderHint: 3, At(0.1), "follower");
        Assert.Equal(2, routes.Leader);
        Assert.Equal(2, routes.Pick(At(0.1)));
    }

    [Fact]
    public void Members_read_from_one_peer_become_routes_and_an_unknown_hint_is_not_followed()
    {
        var routes = new PeerRoutes(["a"], Fail, Election);
        Assert.False(routes.NotLeader(0, leaderHint: 3, At(0), "follower"));
        routes.Learn([new ClusterMember(1, "a", "a", ""), new ClusterMember(3, "c", "c", "")], m => m.RaftAddress, addMembers: true);
        Assert.Equal(2, routes.Count);
        Assert.True(routes.Follow(3, At(0)));
        Assert.Equal("c", routes.PathOf(routes.Pick(At(0))));
    }
}
