using AkkaRaft.Client;
using AkkaRaft.Client.Kv;
using Akka.Actor;
using Akka.Event;
using AkkaRaft.Configuration;
using AkkaRaft.Kv;
using AkkaRaft.Raft.Core;
using AkkaRaft.Raft.Peer;
using Xunit.Abstractions;

namespace AkkaRaft.Raft.Tests.Peer;

/// <summary>What only the actor shell of a peer does; what it decides is the peer logic's, tested in the seeded simulation.</summary>
public sealed class RaftPeerShellTests(ITestOutputHelper output)
    : Akka.TestKit.Xunit2.TestKit(SystemConfig(), "raft-peer-shell", output)
{
    /// <summary>The shipped akka section (serializers), with Akka.Persistence's in-memory journal and snapshot store.</summary>
    private static Akka.Configuration.Config SystemConfig() =>
        Akka.Configuration.ConfigurationFactory.ParseString("""
            akka.loglevel = WARNING
            akka.persistence.journal.plugin = "akka.persistence.journal.inmem"
            akka.persistence.snapshot-store.plugin = "akka.persistence.snapshot-store.inmem"
            """).WithFallback(AkkaHandover.ToAkkaConfig(ConfigurationFactory.Default()));

    [Fact]
    public void A_peer_whose_raft_snapshot_limit_exceeds_what_the_snapshot_store_takes_warns_naming_both_settings()
    {
        Sys.EventStream.Subscribe(TestActor, typeof(Warning));
        var setup = new RaftPeerSetup(1, [1], new ActorRefTransport(), () => new KvStateMachine(KvSettings.Default), RaftPeerSettings.Default)
        {
            MaxSnapshotStoreBytes = 1024 * 1024,
        };

        Sys.ActorOf(RaftPeer.Props(setup), "peer-1");

        var warning = FishForMessage<Warning>(w => w.Message.ToString()!.Contains("max-snapshot-bytes", StringComparison.Ordinal), TimeSpan.FromSeconds(5));
        Assert.Contains("akkaraft.raft.max-snapshot-bytes (268435456)", warning.Message.ToString());
        Assert.Contains("akkaraft.persistence.snapshot-store.max-snapshot-bytes (1048576)", warning.Message.ToString());
    }

    [Fact]
    public async Task A_single_founder_elects_itself_and_answers_a_write_its_status_and_a_consistent_read()
    {
        var setup = new RaftPeerSetup(1, [1], new ActorRefTransport(), () => new KvStateMachine(KvSettings.Default), RaftPeerSettings.Default);
        var peer = Sys.ActorOf(RaftPeer.Props(setup), "peer-2");

        await AwaitAssertAsync(async () => Assert.Equal(RaftRole.Leader, (await peer.Ask<PeerStatus>(GetPeerStatus.Instance, TimeSpan.FromSeconds(3))).Role),
            TimeSpan.FromSeconds(10), TimeSpan.FromMilliseconds(100));
        var written = await peer.Ask<object>(new Write(KvCommands.Put("k", "v")), TimeSpan.FromSeconds(3));
        Assert.Equal(1UL, Assert.IsType<WriteResult>(written).Leader);
        var read = Assert.IsType<QueryResponse>(await peer.Ask<object>(new Query(KvQueries.Get("k"), ReadLevel.Consistent), TimeSpan.FromSeconds(3)));
        Assert.Equal("v", System.Text.Encoding.UTF8.GetString(KvResult.Decode(read.Response).Pair!.Value.Span));
        var status = await peer.Ask<PeerStatus>(GetPeerStatus.Instance, TimeSpan.FromSeconds(3));
        Assert.Equal(1, status.CommitLatency.Count);
        Assert.True(status.Counters.JournalBatches > 0);
    }
}
