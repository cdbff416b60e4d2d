using Akka.Actor;
using Akka.TestKit;
using AkkaRaft.Client.Kv;
using AkkaRaft.Client.Sessions;

namespace AkkaRaft.Client.Tests;

public sealed class RaftSessionSpec : SessionSpec
{
    // A keep-alive every 20s: never due at the same virtual moment as an answer timeout (3s) in these tests.
    private static readonly TimeSpan Ttl = TimeSpan.FromSeconds(60);
    private static readonly TimeSpan KeepAliveInterval = TimeSpan.FromSeconds(20);
    private const long SessionId = 42;

    private readonly TestProbe _subscriber;

    public RaftSessionSpec()
    {
        _subscriber = CreateTestProbe("subscriber");
    }

    private IActorRef Start(bool readMembers = false) =>
        Sys.ActorOf(RaftSession.Props(new RaftSessionSettings(Contacts(readMembers), Ttl)
        {
            AnswerTimeout = AnswerTimeout, RequestTimeout = TimeSpan.FromSeconds(2), FailTimeout = FailTimeout, ElectionTimeout = ElectionTimeout,
            Subscriber = _subscriber.Ref,
        }));

    /// <summary>Starts a session that node 2 leads: node 1 refuses the open and names it.</summary>
    private IActorRef StartOpenAtNode2()
    {
        var session = Start();
        var open = Peers[0].ExpectMsg<OpenSession>();
        Assert.Equal(Ttl, open.Ttl);
        Peers[0].Reply(new NotLeader(2, "follower"));
        Peers[0].ExpectMsg<GetClusterMembers>();
        Peers[0].Reply(Members());
        Peers[1].ExpectMsg<OpenSession>();
        Peers[1].Reply(new SessionOpened(SessionId, Ttl, 2));
        var opened = _subscriber.ExpectMsg<RaftSessionOpened>();
        Assert.Equal(SessionId, opened.SessionId);
        return session;
    }

    [Fact]
    public void A_session_should_open_through_whichever_peer_follow_the_leader_and_keep_itself_alive_there_on_its_timer()
    {
        var session = StartOpenAtNode2();
        for (var i = 1; i <= 3; i++)
        {
            Clock.Advance(KeepAliveInterval);
            Assert.Equal(SessionId, Peers[1].ExpectMsg<KeepSessionAlive>().SessionId);
            Peers[1].Reply(new SessionKeptAlive(SessionId, Ttl, 2));
            // One keep-alive at a time: the next tick is skipped while this answer is on its way, so wait for it.
            var answered = i;
            AwaitAssert(() =>
            {
                session.Tell(GetRaftSessionState.Instance, TestActor);
                var state = ExpectMsg<RaftSessionState>();
                Assert.Equal(answered, state.KeepAlives);
                Assert.Equal(PathOf(1), state.LeaderPath);
            });
        }

        Peers[0].ExpectNoMsg(TimeSpan.FromMilliseconds(100));
        Peers[2].ExpectNoMsg(TimeSpan.FromMilliseconds(100));
    }

    [Fact]
    public void A_session_should_number_its_writes_and_send_the_same_number_again_through_a_failover_and_a_timeout_until_answered()
    {
        var session = StartOpenAtNode2();
        session.Tell(SessionWrite.Put("k", "v1", ephemeral: true), TestActor);
        var first = Peers[1].ExpectMsg<Write>();
        Assert.Equal((SessionId, 1ul, 1ul), (first.SessionId, first.Sequence, first.AcknowledgedBelow));
        Assert.Equal(KvCommands.Put("k", "v1", ephemeral: true), first.Command);
        session.Tell(SessionWrite.Put("k", "v2"), TestActor); // queued behind the first

        // The leader dies with write 1 in flight: no answer. The next peer answers that node 3 leads now.
        Clock.Advance(AnswerTimeout);
        var (peer, again) = ExpectAtSomePeer<Write>();
        Assert.NotEqual(1, peer);
        Assert.Equal(1ul, again.Sequence);
        if (peer == 0)
        {
            Peers[0].Reply(new NotLeader(3, "follower"));
            again = Peers[2].ExpectMsg<Write>();
            Assert.Equal(1ul, again.Sequence);
        }

        // Node 3 could not commit it in time (ambiguous): the same number once more, to the same leader.
        Peers[2].Reply(new RequestTimedOut(TimeSpan.FromSeconds(2)));
        again = Peers[2].ExpectMsg<Write>();
        Assert.Equal((SessionId, 1ul), (again.SessionId, again.Sequence));
        Peers[2].Reply(Written(17, 3));
        Assert.Equal(17ul, ExpectMsg<WriteResult>().Index);

        // Write 2 goes next, acknowledging the answer of write 1.
        var second = Peers[2].ExpectMsg<Write>();
        Assert.Equal((SessionId, 2ul, 2ul), (second.SessionId, second.Sequence, second.AcknowledgedBelow));
        Assert.Equal(KvCommands.Put("k", "v2"), second.Command);
        Peers[2].Reply(Written(18, 3));
        Assert.Equal(18ul, ExpectMsg<WriteResult>().Index);

        session.Tell(GetRaftSessionState.Instance, TestActor);
        var state = ExpectMsg<RaftSessionState>();
        Assert.Equal(3ul, state.NextSequence);
        Assert.True(state.Resends >= 2, $"{state.Resends} resends");
    }

    [Fact]
    public void A_session_should_report_its_loss_to_the_subscriber_when_a_keep_alive_finds_it_gone_and_stop()
    {
        var session = StartOpenAtNode2();
        Watch(session);
        Clock.Advance(KeepAliveInterval);
        Peers[1].ExpectMsg<KeepSessionAlive>();
        Peers[1].Reply(new SessionNotFound(SessionId, "expired: its ttl passed without a keep-alive"));
        var lost = _subscriber.ExpectMsg<RaftSessionLost>();
        Assert.Equal(SessionId, lost.SessionId);
        Assert.Contains("expired", lost.Reason, StringComparison.Ordinal);
        ExpectTerminated(session);
    }

    [Fact]
    public void A_session_should_answer_its_waiting_writers_when_a_write_finds_it_gone()
    {
        var session = StartOpenAtNode2();
        session.Tell(SessionWrite.Put("k", "v1"), TestActor);
        session.Tell(SessionWrite.Put("k", "v2"), TestActor);
        Peers[1].ExpectMsg<Write>();
        Peers[1].Reply(new SessionNotFound(SessionId, "closed"));
        Assert.Equal(SessionId, _subscriber.ExpectMsg<RaftSessionLost>().SessionId);
        Assert.Equal(SessionId, ExpectMsg<RaftSessionLost>().SessionId);
        Assert.Equal(SessionId, ExpectMsg<RaftSessionLost>().SessionId);
    }

    [Fact]
    public void A_session_whose_ttl_the_cluster_refuses_reports_it_and_stops()
    {
        var session = Start();
        Watch(session);
        Peers[0].ExpectMsg<OpenSession>();
        Peers[0].Reply(new RequestRejected("a session's ttl must be from 10s (akkaraft.sessions.min-ttl)"));
        var lost = _subscriber.ExpectMsg<RaftSessionLost>();
        Assert.Equal(0, lost.SessionId);
        Assert.Contains("min-ttl", lost.Reason, StringComparison.Ordinal);
        ExpectTerminated(session);
    }

    [Fact]
    public void A_session_should_send_queries_to_the_leader_and_set_a_query_s_watch_there_after_the_index_it_read_at()
    {
        var session = StartOpenAtNode2();
        // Bad input is answered, and the session lives on (a restart would forget it).
        session.Tell(new SessionWrite([]), TestActor);
        Assert.Contains("at least one byte", ExpectMsg<RequestRejected>().Reason, StringComparison.Ordinal);
        session.Tell(new SessionQuery(KvQueries.Get("k"), ReadLevel.Consistent, new SessionWatch("", "k")), TestActor);
        Assert.Contains("needs a name and a key", ExpectMsg<RequestRejected>().Reason, StringComparison.Ordinal);
        ExpectNothingAtPeers();

        session.Tell(new SessionQuery(KvQueries.Get("k"), ReadLevel.Consistent, new SessionWatch("my-watch", "k")), TestActor);
        var query = Peers[1].ExpectMsg<Query>();
        Assert.Equal(ReadLevel.Consistent, query.Level);
        Peers[1].Reply(new QueryResponse(new byte[] { 3 }, 20, 2, ReadPath.ReadIndex));
        Assert.Equal(20ul, ExpectMsg<QueryResponse>().AppliedIndex);

        // The watch goes to the leader that answered, after the index the answer was read at, in the session.
        var watch = Peers[1].ExpectMsg<Watch>();
        Assert.Equal(("k", false, (ulong?)20, SessionId), (watch.Key, watch.Prefix, watch.AfterIndex, watch.SessionId));
        Peers[1].Reply(new WatchSet(7, 20, 2));
        _subscriber.ExpectNoMsg(TimeSpan.FromMilliseconds(100));
        Peers[1].Reply(new WatchFired(7, WatchReason.DataChanged, "k", 23));
        var fired = _subscriber.ExpectMsg<RaftSessionWatchFired>();
        Assert.Equal((session, "my-watch", WatchReason.DataChanged, "k", 23ul), (fired.Session, fired.Watch, fired.Reason, fired.Key, fired.Index));
        _subscriber.ExpectNoMsg(TimeSpan.FromMilliseconds(100)); // once
    }

    [Fact]
    public void A_session_s_watch_fires_leader_changed_when_the_watch_actor_on_the_leader_dies_and_reports_a_refusal()
    {
        var session = StartOpenAtNode2();
        session.Tell(new SessionQuery(KvQueries.List("jobs/"), ReadLevel.Consistent, new SessionWatch("jobs", "jobs/", Prefix: true)), TestActor);
        Peers[1].ExpectMsg<Query>();
        Peers[1].Reply(new QueryResponse(new byte[] { 3 }, 30, 2, ReadPath.ReadIndex));
        ExpectMsg<QueryResponse>();
        Assert.True(Peers[1].ExpectMsg<Watch>().Prefix);
        var watcher = Peers[1].LastSender;
        var watchActor = CreateTestProbe("watch-actor");
        watcher.Tell(new WatchSet(8, 30, 2), watchActor.Ref);
        Sys.Stop(watchActor.Ref); // its node went away with it
        var fired = _subscriber.ExpectMsg<RaftSessionWatchFired>();
        Assert.Equal(("jobs", WatchReason.LeaderChanged), (fired.Watch, fired.Reason));

        session.Tell(new SessionQuery(KvQueries.Get("k"), ReadLevel.Consistent, new SessionWatch("too-many", "k")), TestActor);
        Peers[1].ExpectMsg<Query>();
        Peers[1].Reply(new QueryResponse(new byte[] { 3 }, 31, 2, ReadPath.ReadIndex));
        ExpectMsg<QueryResponse>();
        Peers[1].ExpectMsg<Watch>();
        Peers[1].Reply(new Overloaded("akkaraft.watches.max-watches-per-session reached"));
        var failed = _subscriber.ExpectMsg<RaftSessionWatchFailed>();
        Assert.Equal("too-many", failed.Watch);
        Assert.Contains("max-watches-per-session", failed.Reason, StringComparison.Ordinal);
    }

    [Fact]
    public void A_session_should_close_after_its_writes_are_answered_and_stop()
    {
        var session = StartOpenAtNode2();
        Watch(session);
        session.Tell(SessionWrite.Put("k", "v"), TestActor);
        Peers[1].ExpectMsg<Write>();
        var writeCourier = Peers[1].LastSender;
        var closer = CreateTestProbe("closer");
        session.Tell(CloseRaftSession.Instance, closer.Ref);
        session.Tell(SessionWrite.Put("k", "late"), TestActor);
        Assert.Contains("closing", ExpectMsg<RequestRejected>().Reason, StringComparison.Ordinal);
        Peers[1].ExpectNoMsg(TimeSpan.FromMilliseconds(100)); // the close waits for write 1's answer
        writeCourier.Tell(Written(30, 2));
        ExpectMsg<WriteResult>();
        Assert.Equal(SessionId, Peers[1].ExpectMsg<CloseSession>().SessionId);
        Peers[1].Reply(new SessionClosed(SessionId, 31, 2));
        closer.ExpectMsg<SessionClosed>();
        ExpectTerminated(session);
    }

    [Fact]
    public void A_session_stopped_without_a_close_tells_the_leader_to_close_it()
    {
        var session = StartOpenAtNode2();
        Sys.Stop(session);
        var close = Peers[1].ExpectMsg<CloseSession>();
        Assert.Equal(SessionId, close.SessionId);
    }
}
