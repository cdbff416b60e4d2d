using Akka.Actor;
using AkkaRaft.Client;
using AkkaRaft.Client.Kv;
using AkkaRaft.Configuration;
using AkkaRaft.Kv;
using AkkaRaft.Raft.Core;
using AkkaRaft.Raft.Peer;
using Xunit.Abstractions;

namespace AkkaRaft.Raft.Tests.Peer;

/// <summary>
/// What the actor shell adds to watches: each waiting watch is a child actor of the state machine actor
/// (<c>watch-{id}</c>) that answers its client once and stops; a client that dies takes its watch with it
/// (DeathWatch), and a watch whose timeout passes answers <see cref="WatchTimedOut"/>. A lock waiter is answered when
/// the lock passes to it. (What fires when is tested in the seeded simulation's logic tests.)
/// </summary>
public sealed class WatchShellTests(ITestOutputHelper output)
    : Akka.TestKit.Xunit2.TestKit(SystemConfig(), "watch-shell", output)
{
    private static readonly TimeSpan Wait = TimeSpan.FromSeconds(5);

    private static Akka.Configuration.Config SystemConfig() =>
        Akka.Configuration.ConfigurationFactory.ParseString("""
            akka.loglevel = WARNING
            akka.persistence.journal.plugin = "akka.persistence.journal.inmem"
            akka.persistence.snapshot-store.plugin = "akka.persistence.snapshot-store.inmem"
            """).WithFallback(AkkaHandover.ToAkkaConfig(ConfigurationFactory.Default()));

    private async Task<IActorRef> LeaderAsync()
    {
        var setup = new RaftPeerSetup(1, [1], new ActorRefTransport(), () => new KvStateMachine(KvSettings.Default), RaftPeerSettings.Default);
        var peer = Sys.ActorOf(RaftPeer.Props(setup), "peer");
        await AwaitAssertAsync(async () => Assert.Equal(RaftRole.Leader, (await peer.Ask<PeerStatus>(GetPeerStatus.Instance, TimeSpan.FromSeconds(3))).Role),
            TimeSpan.FromSeconds(10), TimeSpan.FromMilliseconds(100));
        return peer;
    }

    [Fact]
    public async Task A_watch_is_a_child_actor_that_answers_its_client_once_and_stops_and_a_dead_client_takes_its_watch_with_it()
    {
        var peer = await LeaderAsync();
        var client = CreateTestProbe();
        peer.Tell(new Watch("k"), client.Ref);
        var set = await client.ExpectMsgAsync<WatchSet>(Wait);
        var trigger = client.LastSender;
        Assert.Equal($"watch-{set.WatchId}", trigger.Path.Name);
        Watch(trigger);

        Assert.IsType<WriteResult>(await peer.Ask<object>(new Write(KvCommands.Put("k", "1")), Wait));
        var fired = await client.ExpectMsgAsync<WatchFired>(Wait);
        Assert.Equal((set.WatchId, WatchReason.DataChanged, "k"), (fired.WatchId, fired.Reason, fired.Key));
        // Both answers name the leader and its term, so a front end needs no status ask to fill a response header.
        var term = (await peer.Ask<PeerStatus>(GetPeerStatus.Instance, Wait)).Term;
        Assert.Equal((1ul, term), (set.Leader, set.Term));
        Assert.Equal((1ul, term), (fired.Leader, fired.Term));
        await ExpectTerminatedAsync(trigger, Wait);
        Assert.IsType<WriteResult>(await peer.Ask<object>(new Write(KvCommands.Put("k", "2")), Wait));
        await client.ExpectNoMsgAsync(TimeSpan.FromMilliseconds(300));

        // A client that dies: its watch's actor sees it (DeathWatch) and goes, and the watch is forgotten.
        var doomed = CreateTestProbe();
        peer.Tell(new Watch("other"), doomed.Ref);
        await doomed.ExpectMsgAsync<WatchSet>(Wait);
        var orphan = doomed.LastSender;
        Watch(orphan);
        Assert.Equal(1, await CountAsync("/user/peer/*/watch-*"));
        Sys.Stop(doomed.Ref);
        await ExpectTerminatedAsync(orphan, Wait);
        Assert.Equal(0, await CountAsync("/user/peer/*/watch-*"));
    }

    [Fact]
    public async Task A_watch_whose_timeout_passes_answers_timed_out_once_and_its_place_is_free_again()
    {
        var peer = await LeaderAsync();
        var client = CreateTestProbe();
        peer.Tell(new Watch("quiet", Timeout: TimeSpan.FromMilliseconds(200)), client.Ref);
        var set = await client.ExpectMsgAsync<WatchSet>(Wait);

        Assert.Equal(new WatchTimedOut(set.WatchId, TimeSpan.FromMilliseconds(200)), await client.ExpectMsgAsync<WatchTimedOut>(Wait));
        Assert.IsType<WriteResult>(await peer.Ask<object>(new Write(KvCommands.Put("quiet", "now")), Wait));
        await client.ExpectNoMsgAsync(TimeSpan.FromMilliseconds(300));
        await AwaitAssertAsync(async () => Assert.Equal(0, await CountAsync("/user/peer/*/watch-*")), Wait);
    }

    [Fact]
    public async Task A_client_queued_for_a_lock_is_answered_when_the_holder_releases_it()
    {
        var peer = await LeaderAsync();
        var a = Assert.IsType<SessionOpened>(await peer.Ask<object>(new OpenSession(TimeSpan.FromSeconds(30)), Wait)).SessionId;
        var b = Assert.IsType<SessionOpened>(await peer.Ask<object>(new OpenSession(TimeSpan.FromSeconds(30)), Wait)).SessionId;
        var held = Assert.IsType<LockAcquired>(await peer.Ask<object>(new AcquireLock("L", a), Wait));
        var waiter = CreateTestProbe();
        peer.Tell(new AcquireLock("L", b), waiter.Ref);
        await waiter.ExpectNoMsgAsync(TimeSpan.FromMilliseconds(300));

        var released = Assert.IsType<LockReleased>(await peer.Ask<object>(new ReleaseLock("L", a), Wait));

        var got = await waiter.ExpectMsgAsync<LockAcquired>(Wait);
        Assert.Equal((b, released.Index), (got.SessionId, got.FencingToken));
        Assert.True(got.FencingToken > held.FencingToken);
    }

    [Fact]
    public async Task A_session_queued_again_is_not_answered_by_the_grant_of_its_earlier_place_applied_in_the_same_batch()
    {
        // The state machine actor alone, fed batches as its peer sends them. Sessions 1, 2 and 3 are opened by entries
        // 1 to 3 (a session's id is the index that opened it); session 1 holds lock L from entry 4.
        var machine = Sys.ActorOf(Props.Create(() => new StateMachineActor(new KvStateMachine(KvSettings.Default), WatchSettings.Defaults)));
        ulong index = 0;
        Entry Next(byte[] data) => new(1, ++index, EntryType.Normal, data);
        var locks = LockSettings.Defaults;
        machine.Tell(new ApplyEntries(
            [Next(SessionEntries.EncodeOpen(TimeSpan.FromMinutes(1), 10)), Next(SessionEntries.EncodeOpen(TimeSpan.FromMinutes(1), 10)),
             Next(SessionEntries.EncodeOpen(TimeSpan.FromMinutes(1), 10)), Next(SessionEntries.EncodeAcquire("L", 1, locks))],
            null, Leader: 1));

        // One batch, as a leader applies a backlog at once (a new leader, or commits held up by a lossy network): session 2
        // queues (5), gets L when session 1 releases it (6) and gives it to session 3 (7, 8); then session 2's client asks
        // again, on this leader, and queues behind session 3 (9). The grant at 6 was for a place session 2 no longer has.
        var client = CreateTestProbe();
        var batch = new[]
        {
            Next(SessionEntries.EncodeAcquire("L", 2, locks)), Next(SessionEntries.EncodeRelease("L", 1)),
            Next(SessionEntries.EncodeAcquire("L", 3, locks)), Next(SessionEntries.EncodeRelease("L", 2)),
            Next(SessionEntries.EncodeAcquire("L", 2, locks)),
        };
        machine.Tell(new ApplyEntries(batch, [null, null, null, null, client.Ref], Leader: 1));
        await client.ExpectNoMsgAsync(TimeSpan.FromMilliseconds(300));

        // Session 3 releases (10): now session 2 holds L, and its fencing token is that release's index.
        machine.Tell(new ApplyEntries([Next(SessionEntries.EncodeRelease("L", 3))], null, Leader: 1));
        var granted = await client.ExpectMsgAsync<LockAcquired>(Wait);
        Assert.Equal(("L", 2L, 10ul), (granted.Name, granted.SessionId, granted.FencingToken));
        await client.ExpectNoMsgAsync(TimeSpan.FromMilliseconds(200));
    }

    /// <summary>How many actors a wildcard selection finds (each answers Identify; none answers one identity without a subject).</summary>
    private async Task<int> CountAsync(string path)
    {
        var probe = CreateTestProbe();
        Sys.ActorSelection(path).Tell(new Identify(1), probe.Ref);
        var count = 0;
        while (true)
        {
            var identity = await probe.ExpectMsgAsync<ActorIdentity>(TimeSpan.FromMilliseconds(500)).AsTask().ContinueWith(t => t.IsCompletedSuccessfully ? t.Result : null);
            if (identity is null) break;
            if (identity.Subject is not null) count++;
        }
        return count;
    }
}
