using Akka.Actor;
using AkkaRaft.Client.Sessions;

namespace AkkaRaft.Client.Tests;

public sealed class LightSessionSpec : SessionSpec
{
    private IActorRef Start(bool readMembers = false) =>
        Sys.ActorOf(LightSession.Props(new LightSessionSettings(Contacts(readMembers), FailTimeout, ElectionTimeout) { AnswerTimeout = AnswerTimeout }));

    private static Write AWrite() => new([7]);

    [Fact]
    public void A_light_session_should_follow_a_not_leader_hint_to_the_leader_and_send_the_next_request_straight_there()
    {
        var session = Start();
        session.Tell(AWrite(), TestActor);
        var first = Peers[0].ExpectMsg<Write>();
        Assert.Equal(NotLeaderPolicy.Reject, first.OnNotLeader); // it wants to know who leads, not to be forwarded
        Peers[0].Reply(new NotLeader(2, "follower"));
        // Node 2 has no route yet: the members are read from the peer that named it.
        Peers[0].ExpectMsg<GetClusterMembers>();
        Peers[0].Reply(Members());
        Peers[1].ExpectMsg<Write>();
        Peers[1].Reply(Written(5, 2));
        Assert.Equal(5ul, ExpectMsg<WriteResult>().Index);

        session.Tell(new Query([1]), TestActor);
        Peers[1].ExpectMsg<Query>();
        Peers[1].Reply(new QueryResponse(new byte[] { 2 }, 5, 2, ReadPath.Lease));
        ExpectMsg<QueryResponse>();
        Peers[0].ExpectNoMsg(TimeSpan.FromMilliseconds(100));
        Peers[2].ExpectNoMsg(TimeSpan.FromMilliseconds(100));
    }

    [Fact]
    public void A_light_session_should_read_the_members_from_the_one_peer_it_was_started_with()
    {
        var session = Start(readMembers: true);
        Peers[0].ExpectMsg<GetClusterMembers>();
        session.Tell(AWrite(), TestActor); // waits for the members
        Peers[0].Reply(Members());
        Peers[0].ExpectMsg<Write>();
        Peers[0].Reply(new NotLeader(3, "follower"));
        // Node 3 was never named at the start, but the members made a route to it.
        Peers[2].ExpectMsg<Write>();
        Peers[2].Reply(Written(9, 3));
        ExpectMsg<WriteResult>();
    }

    [Fact]
    public void A_light_session_should_skip_a_failed_peer_for_the_fail_timeout_even_when_a_hint_names_it_and_try_it_again_after()
    {
        var session = Start();
        session.Tell(AWrite(), TestActor);
        Peers[0].ExpectMsg<Write>();
        Peers[0].Reply(Written(1, 1)); // node 1 leads
        ExpectMsg<WriteResult>();

        session.Tell(AWrite(), TestActor);
        Peers[0].ExpectMsg<Write>();
        Clock.Advance(AnswerTimeout); // node 1 does not answer: failed
        Peers[1].ExpectMsg<Write>();
        Peers[1].Reply(new NotLeader(1, "stale view")); // names the failed node
        // Node 1 is skipped for the fail timeout whatever node 2 thinks; node 2 said it does not lead: node 3 it is.
        Peers[2].ExpectMsg<Write>();
        Peers[2].Reply(Written(2, 3));
        ExpectMsg<WriteResult>();
        Peers[0].ExpectNoMsg(TimeSpan.FromMilliseconds(100));

        // After the fail timeout node 1 is a candidate route again: when the leader (3) stops answering, it is next in turn.
        Clock.Advance(FailTimeout);
        session.Tell(AWrite(), TestActor);
        Peers[2].ExpectMsg<Write>();
        Clock.Advance(AnswerTimeout);
        var (peer, _) = ExpectAtSomePeer<Write>();
        Assert.NotEqual(2, peer);
    }

    [Fact]
    public void A_light_session_should_skip_a_former_leader_for_the_election_timeout_and_answer_all_failed_when_no_peer_is_usable()
    {
        var session = Start();
        session.Tell(AWrite(), TestActor);
        Peers[0].ExpectMsg<Write>();
        Peers[0].Reply(Written(1, 1));
        ExpectMsg<WriteResult>();

        // The leader steps down, and nobody knows a new one yet (an election).
        session.Tell(AWrite(), TestActor);
        Peers[0].ExpectMsg<Write>();
        Peers[0].Reply(new NotLeader(0, "stepped down"));
        var (second, _) = ExpectAtSomePeer<Write>();
        Assert.NotEqual(0, second);
        Peers[second].Reply(new NotLeader(0, "election"));
        var (third, _) = ExpectAtSomePeer<Write>();
        Assert.NotEqual(0, third);
        Assert.NotEqual(second, third);
        Peers[third].Reply(new NotLeader(0, "election"));
        var failed = ExpectMsg<AllFailed>();
        Assert.Equal(3, failed.Peers.Count);
        Assert.All(failed.Peers, p => Assert.Contains("not leading", p, StringComparison.Ordinal));

        // Within the election timeout nobody is asked at all.
        session.Tell(AWrite(), TestActor);
        ExpectMsg<AllFailed>();
        ExpectNothingAtPeers();

        // After it, the peers are asked again.
        Clock.Advance(ElectionTimeout);
        session.Tell(AWrite(), TestActor);
        var (again, _) = ExpectAtSomePeer<Write>();
        Peers[again].Reply(Written(4, (ulong)again + 1));
        ExpectMsg<WriteResult>();
    }

    [Fact]
    public void A_light_session_should_answer_all_failed_when_no_peer_answers()
    {
        var session = Start();
        session.Tell(AWrite(), TestActor);
        var asked = new HashSet<int>();
        for (var i = 0; i < 3; i++)
        {
            var (peer, _) = ExpectAtSomePeer<Write>();
            Assert.True(asked.Add(peer), $"peer {peer} was asked twice");
            Clock.Advance(AnswerTimeout);
        }

        var failed = ExpectMsg<AllFailed>();
        Assert.All(failed.Peers, p => Assert.Contains("no answer", p, StringComparison.Ordinal));
    }

    [Fact]
    public void A_light_session_should_route_through_a_relay_with_forwarding_as_a_cluster_client_wants()
    {
        var relay = CreateTestProbe("cluster-client");
        var session = Sys.ActorOf(LightSession.Props(new LightSessionSettings(
            RaftContacts.Through(relay.Ref, m => new Relayed(m), "a relay"), FailTimeout, ElectionTimeout) { AnswerTimeout = AnswerTimeout }));
        session.Tell(AWrite(), TestActor);
        var relayed = relay.ExpectMsg<Relayed>();
        Assert.Equal(NotLeaderPolicy.Forward, Assert.IsType<Write>(relayed.Message).OnNotLeader);
        relay.Reply(Written(3, 2));
        ExpectMsg<WriteResult>();
    }

    private sealed record Relayed(object Message);
}
