using System.Text;
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
/// What the actor shell adds to client sessions: on the leader each live session is a child actor of the peer that
/// holds its keep-alive timer; the child goes when the session ends, and its timer is what expires a session the
/// client stopped keeping alive. (What the peer decides is tested in the seeded simulation.)
/// </summary>
public sealed class SessionShellTests(ITestOutputHelper output)
    : Akka.TestKit.Xunit2.TestKit(SystemConfig(), "session-shell", output)
{
    private static Akka.Configuration.Config SystemConfig() =>
        Akka.Configuration.ConfigurationFactory.ParseString("""
            akka.loglevel = WARNING
            akka.persistence.journal.plugin = "akka.persistence.journal.inmem"
            akka.persistence.snapshot-store.plugin = "akka.persistence.snapshot-store.inmem"
            """).WithFallback(AkkaHandover.ToAkkaConfig(ConfigurationFactory.Default()));

    [Fact]
    public async Task A_leader_keeps_a_child_actor_per_live_session_and_its_timer_expires_the_session_and_its_ephemeral_key_when_not_kept_alive()
    {
        var setup = new RaftPeerSetup(1, [1], new ActorRefTransport(), () => new KvStateMachine(KvSettings.Default), RaftPeerSettings.Default);
        var peer = Sys.ActorOf(RaftPeer.Props(setup), "peer");
        await AwaitAssertAsync(async () => Assert.Equal(RaftRole.Leader, (await peer.Ask<PeerStatus>(GetPeerStatus.Instance, TimeSpan.FromSeconds(3))).Role),
            TimeSpan.FromSeconds(10), TimeSpan.FromMilliseconds(100));

        var kept = Assert.IsType<SessionOpened>(await peer.Ask<object>(new OpenSession(TimeSpan.FromSeconds(1)), TimeSpan.FromSeconds(3)));
        var closed = Assert.IsType<SessionOpened>(await peer.Ask<object>(new OpenSession(TimeSpan.FromSeconds(30)), TimeSpan.FromSeconds(3)));
        Assert.IsType<WriteResult>(await peer.Ask<object>(new Write(KvCommands.Put("eph", "1", ephemeral: true)) { SessionId = kept.SessionId }, TimeSpan.FromSeconds(3)));

        // Until the last step the short session is kept alive before every count: a count takes half a second (it
        // waits for identities that do not come), and two of them outlasted its 1 s TTL on a loaded machine (CI39).
        async Task<int> KeptAliveThenCountedAsync()
        {
            Assert.IsType<SessionKeptAlive>(await peer.Ask<object>(new KeepSessionAlive(kept.SessionId), TimeSpan.FromSeconds(3)));
            return await SessionChildrenAsync();
        }

        await AwaitAssertAsync(async () => Assert.Equal(2, await KeptAliveThenCountedAsync()), TimeSpan.FromSeconds(5), TimeSpan.FromMilliseconds(50));

        // Closing one session stops its child.
        Assert.IsType<SessionClosed>(await peer.Ask<object>(new CloseSession(closed.SessionId), TimeSpan.FromSeconds(3)));
        await AwaitAssertAsync(async () => Assert.Equal(1, await KeptAliveThenCountedAsync()), TimeSpan.FromSeconds(5), TimeSpan.FromMilliseconds(50));

        // Nobody keeps the other alive: its child's timer fires, the peer logs its expiry, the key and the child go.
        await AwaitAssertAsync(async () =>
        {
            var read = Assert.IsType<QueryResponse>(await peer.Ask<object>(new Query(KvQueries.Get("eph"), ReadLevel.Consistent), TimeSpan.FromSeconds(3)));
            Assert.Equal(KvStatus.KeyNotFound, KvResult.Decode(read.Response).Status);
        }, TimeSpan.FromSeconds(10), TimeSpan.FromMilliseconds(100));
        Assert.IsType<SessionNotFound>(await peer.Ask<object>(new KeepSessionAlive(kept.SessionId), TimeSpan.FromSeconds(3)));
        await AwaitAssertAsync(async () => Assert.Equal(0, await SessionChildrenAsync()), TimeSpan.FromSeconds(5), TimeSpan.FromMilliseconds(50));
    }

    /// <summary>How many session children the peer has now (ActorSelection with a wildcard, answered by Identify).</summary>
    private async Task<int> SessionChildrenAsync()
    {
        var probe = CreateTestProbe();
        Sys.ActorSelection("/user/peer/session-*").Tell(new Identify(1), probe.Ref);
        var count = 0;
        while (true)
        {
            var identity = await probe.ExpectMsgAsync<ActorIdentity>(TimeSpan.FromMilliseconds(500)).AsTask().ContinueWith(t => t.IsCompletedSuccessfully ? t.Result : null);
            if (identity is null) break;
            // A selection that matches no actor answers one identity without a subject.
            if (identity.Subject is not null) count++;
        }
        return count;
    }
}
