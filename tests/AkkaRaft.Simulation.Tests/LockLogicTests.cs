using AkkaRaft.Client;
using AkkaRaft.Raft.Peer;

namespace AkkaRaft.Simulation.Tests;

/// <summary>
/// Locks on a peer that leads a group of one, against a real state machine host: first come first served by log index,
/// passed on only through the log (a release, or the end of the holder's session), each holder with a larger fencing
/// token than the one before.
/// </summary>
public sealed class LockLogicTests
{
    private static readonly TimeSpan Ttl = TimeSpan.FromSeconds(2);

    [Fact]
    public void Waiters_get_the_lock_in_the_order_their_acquires_committed_each_with_a_larger_fencing_token()
    {
        var peer = CoordinationPeer.Elected();
        var (s1, s2, s3) = (peer.Open(Ttl), peer.Open(Ttl), peer.Open(Ttl));
        var first = Assert.IsType<LockAcquired>(peer.Ask(new AcquireLock("L", s1)));
        var second = peer.Send(new AcquireLock("L", s2));
        var third = peer.Send(new AcquireLock("L", s3));
        Assert.Empty(peer.AnswersOf(second));
        Assert.Equal([s2, s3], peer.Host.Locks.WaitersOf("L"));

        var released = Assert.IsType<LockReleased>(peer.Ask(new ReleaseLock("L", s1)));
        Assert.True(released.WasHolder);
        var got2 = Assert.IsType<LockAcquired>(Assert.Single(peer.AnswersOf(second)));
        Assert.Equal(released.Index, got2.FencingToken);
        Assert.Empty(peer.AnswersOf(third));

        peer.Ask(new ReleaseLock("L", s2));
        var got3 = Assert.IsType<LockAcquired>(Assert.Single(peer.AnswersOf(third)));
        Assert.True(first.FencingToken < got2.FencingToken && got2.FencingToken < got3.FencingToken);
    }

    [Fact]
    public void A_lock_passes_on_when_its_holders_session_expires_and_a_waiter_whose_session_ends_leaves_the_queue()
    {
        var peer = CoordinationPeer.Elected();
        var holder = peer.Open(Ttl);
        var waiter = peer.Open(TimeSpan.FromMinutes(1));
        var leaver = peer.Open(Ttl);
        peer.Ask(new AcquireLock("L", holder));
        var waiting = peer.Send(new AcquireLock("L", waiter));
        var leaving = peer.Send(new AcquireLock("L", leaver));

        // Only the waiter keeps its session alive.
        for (var i = 0; i < 4; i++)
        {
            peer.RunFor(TimeSpan.FromSeconds(1));
            Assert.IsType<SessionKeptAlive>(peer.Ask(new KeepSessionAlive(waiter)));
        }

        Assert.Equal((waiter, Assert.IsType<LockAcquired>(Assert.Single(peer.AnswersOf(waiting))).FencingToken), peer.Host.Locks.HolderOf("L"));
        Assert.IsType<SessionNotFound>(Assert.Single(peer.AnswersOf(leaving)));
        Assert.Empty(peer.Host.Locks.WaitersOf("L"));
        Assert.IsType<SessionNotFound>(peer.Ask(new AcquireLock("L", holder)));
    }

    [Fact]
    public void An_acquire_retried_by_the_holder_answers_its_token_and_a_waiter_that_releases_leaves_the_queue()
    {
        var peer = CoordinationPeer.Elected();
        var (s1, s2) = (peer.Open(Ttl), peer.Open(Ttl));
        var held = Assert.IsType<LockAcquired>(peer.Ask(new AcquireLock("L", s1)));
        Assert.Equal(held.FencingToken, Assert.IsType<LockAcquired>(peer.Ask(new AcquireLock("L", s1))).FencingToken);
        var waiting = peer.Send(new AcquireLock("L", s2));

        var left = Assert.IsType<LockReleased>(peer.Ask(new ReleaseLock("L", s2)));

        Assert.False(left.WasHolder);
        Assert.IsType<LockNotHeld>(Assert.Single(peer.AnswersOf(waiting)));
        Assert.Equal((s1, held.FencingToken), peer.Host.Locks.HolderOf("L"));
        Assert.IsType<LockNotHeld>(peer.Ask(new ReleaseLock("L", s2)));
    }

    [Fact]
    public void Locks_and_their_queues_are_bounded_by_the_leaders_settings_and_names_are_checked_before_proposing()
    {
        var peer = CoordinationPeer.Elected(RaftPeerSettings.Default with { Locks = new LockSettings(MaxLocks: 1, MaxWaiters: 1, MaxNameBytes: 8) });
        var (s1, s2, s3) = (peer.Open(Ttl), peer.Open(Ttl), peer.Open(Ttl));
        peer.Ask(new AcquireLock("A", s1));
        Assert.Contains("akkaraft.locks.max-locks = 1", Assert.IsType<Overloaded>(peer.Ask(new AcquireLock("B", s1))).Reason);
        peer.Send(new AcquireLock("A", s2));
        Assert.Contains("akkaraft.locks.max-waiters = 1", Assert.IsType<Overloaded>(peer.Ask(new AcquireLock("A", s3))).Reason);
        Assert.Contains("max-name-bytes", Assert.IsType<RequestRejected>(peer.Ask(new AcquireLock("much-too-long", s1))).Reason);
        Assert.IsType<RequestRejected>(peer.Ask(new AcquireLock("A", 0)));
    }

    [Fact]
    public void The_lock_table_travels_in_snapshots_holder_token_and_queue_alike()
    {
        var peer = CoordinationPeer.Elected();
        var (s1, s2, s3) = (peer.Open(Ttl), peer.Open(Ttl), peer.Open(Ttl));
        var held = Assert.IsType<LockAcquired>(peer.Ask(new AcquireLock("L", s1)));
        peer.Send(new AcquireLock("L", s3));
        peer.Send(new AcquireLock("L", s2));
        var snapshot = peer.Host.TakeSnapshot();

        var restored = new StateMachineHost(new Kv.KvStateMachine(Kv.KvSettings.Default));
        restored.Restore(snapshot.Data, snapshot.Index);

        Assert.Equal((s1, held.FencingToken), restored.Locks.HolderOf("L"));
        Assert.Equal([s3, s2], restored.Locks.WaitersOf("L"));
        Assert.Equal(snapshot.Data, restored.TakeSnapshot().Data);
    }
}
