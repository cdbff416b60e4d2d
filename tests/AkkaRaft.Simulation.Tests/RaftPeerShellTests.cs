using AkkaRaft.Actors;
using AkkaRaft.Actors.Serialization;
using AkkaRaft.Actors.Simulation;
using AkkaRaft.Kv;
using AkkaRaft.Persistence;
using AkkaRaft.Persistence.InMemory;
using AkkaRaft.Raft.Peer;

namespace AkkaRaft.Simulation.Tests;

/// <summary>What only the actor shell of a peer does (its decisions are the peer logic's, tested in the simulation).</summary>
public sealed class RaftPeerShellTests
{
    [Fact]
    public void A_peer_whose_raft_snapshot_limit_exceeds_what_persistence_can_save_warns_naming_both_settings()
    {
        var world = new SimulationWorld(22);
        var system = world.CreateSystem("limits", ActorSystemSettings.Default with { StdoutLogLevel = LogLevel.Off });
        var warnings = new List<string>();
        system.EventStream.Subscribe<LogEvent>(e =>
        {
            if (e.Level == LogLevel.Warning) warnings.Add(e.Message);
        });
        var store = new InMemoryStore();
        var journal = new InMemoryJournal(store);
        var snapshots = new InMemorySnapshotStore(store);
        var persistence = PersistenceSettings.Default with { MaxSnapshotBytes = 1024 * 1024 };
        PersistenceExtension.Register(system, new PersistencePluginMap().Set("disk", journal, snapshots), SerializationRegistry.CreateDefault(), persistence);
        var setup = new RaftPeerSetup(1, [1], new ActorRefTransport(), () => new KvStateMachine(KvSettings.Default), RaftPeerSettings.Default)
        {
            JournalPluginId = "disk",
            SnapshotPluginId = "disk",
        };

        system.ActorOf(RaftPeer.Props(setup), "peer");
        world.RunFor(TimeSpan.FromSeconds(1));

        var warning = Assert.Single(warnings, w => w.Contains("max-snapshot-bytes", StringComparison.Ordinal));
        Assert.Contains("akkaraft.raft.max-snapshot-bytes (268435456)", warning);
        Assert.Contains("akkaraft.persistence.snapshot-store.max-snapshot-bytes (1048576)", warning);
    }
}
