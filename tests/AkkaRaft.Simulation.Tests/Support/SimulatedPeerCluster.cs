using AkkaRaft.Actors;
using AkkaRaft.Actors.Serialization;
using AkkaRaft.Actors.Simulation;
using AkkaRaft.Client;
using AkkaRaft.Kv;
using AkkaRaft.Persistence;
using AkkaRaft.Raft.Core;
using AkkaRaft.Raft.Peer;

namespace AkkaRaft.Simulation.Tests.Support;

/// <summary>How hard a simulated run is.</summary>
public sealed record PeerSimulationOptions
{
    /// <summary>Peers in the group.</summary>
    public int Peers { get; init; } = 3;

    /// <summary>Concurrent clients.</summary>
    public int Clients { get; init; } = 4;

    /// <summary>Operations in total.</summary>
    public int Operations { get; init; } = 100;

    /// <summary>Keys.</summary>
    public int Keys { get; init; } = 3;

    /// <summary>Probability of a message loss while the network is lossy.</summary>
    public double DropRate { get; init; } = 0.05;

    /// <summary>Probability that a Raft message is delivered twice.</summary>
    public double DuplicateRate { get; init; } = 0.02;

    /// <summary>Probability of a long delay.</summary>
    public double LongDelayRate { get; init; } = 0.05;

    /// <summary>Mean virtual time between faults (ms); 0 for none.</summary>
    public int FaultIntervalMs { get; init; } = 400;

    /// <summary>Longest journal write (ms).</summary>
    public int MaxDiskLatencyMs { get; init; } = 8;

    /// <summary>Applied entries between snapshots (small, so runs compact and install snapshots often).</summary>
    public int MaxLogCount { get; init; } = 16;

    /// <summary>Probability that a leader saving a snapshot crashes right then.</summary>
    public double CrashLeaderDuringSnapshot { get; init; } = 0.15;

    /// <summary>The disks acknowledge writes before they are durable (a bug the checker must catch).</summary>
    public bool LyingDisks { get; init; }

    /// <summary>Whether leaders serve default reads under their lease.</summary>
    public bool LeaseReads { get; init; }
}

/// <summary>What a simulated run did.</summary>
public sealed record PeerSimulationReport(int Seed, int Operations, int Completed, int TimedOut, int Faults, int Crashes, int LostChanges, long Dropped, long Delayed, long Duplicated, TimeSpan VirtualTime, long Batches, long Events);

/// <summary>
/// A group of <see cref="RaftPeer"/>s serving the key/value state machine in one <see cref="SimulationWorld"/>:
/// seeded network faults (loss, delay, partitions), peer crashes that lose unflushed writes (a leader also while
/// it saves a snapshot) and restarts from the journal, and clients that record a history for the checker.
/// </summary>
public sealed class SimulatedPeerCluster
{
    private readonly PeerSimulationOptions _options;
    private readonly SimulationWorld _world;
    private readonly ActorSystem _system;
    private readonly SimulatedNetwork _network;
    private readonly PersistencePluginMap _plugins = new();
    private readonly Dictionary<ulong, SimulatedDisk> _disks = new();
    private readonly Dictionary<ulong, IActorRef?> _peers = new();
    private readonly Dictionary<ulong, int> _incarnations = new();
    private readonly Dictionary<ulong, (ulong Leader, RaftRole Role)> _views = new();
    private readonly ulong[] _ids;
    private readonly RaftPeerSettings _settings;
    private readonly ClientWorkload _work;
    private int _faults;
    private int _crashes;
    private bool _faultsOn = true;

    /// <summary>Builds the group for <paramref name="seed"/>; nothing runs until <see cref="Run"/>.</summary>
    public SimulatedPeerCluster(int seed, PeerSimulationOptions options)
    {
        Seed = seed;
        _options = options;
        _world = new SimulationWorld(seed);
        _system = _world.CreateSystem("sim", ActorSystemSettings.Default with { StdoutLogLevel = LogLevel.Off, LogLevel = LogLevel.Error });
        PersistenceExtension.Register(_system, _plugins, SerializationRegistry.CreateDefault());
        _network = new SimulatedNetwork(_world) { DropRate = options.DropRate, LongDelayRate = options.LongDelayRate, DuplicateRate = options.DuplicateRate };
        _ids = Enumerable.Range(1, options.Peers).Select(i => (ulong)i).ToArray();
        var defaults = RaftPeerSettings.Default;
        _settings = defaults with
        {
            ElectionTimeout = TimeSpan.FromMilliseconds(300),
            HeartbeatInterval = TimeSpan.FromMilliseconds(30),
            RequestTimeout = TimeSpan.FromSeconds(1),
            MaxLogCount = options.MaxLogCount,
            Core = defaults.Core with { LeaseReads = options.LeaseReads, LeaseDriftMarginTicks = 2, SnapshotChunkBytes = 64, MaxAppendEntriesBytes = 512, MaxInflightMessages = 8 },
        };
        _system.EventStream.Subscribe<PeerRoleChanged>(e => _views[e.NodeId] = (e.Leader, e.Role));
        var keys = Enumerable.Range(0, options.Keys).Select(i => ((char)('a' + i)).ToString()).ToArray();
        _work = new ClientWorkload { Operations = options.Operations, Keys = keys, NodeIds = _ids, PeerOf = id => _peers.GetValueOrDefault(id) };
        foreach (var id in _ids)
        {
            var disk = new SimulatedDisk(_world, options.MaxDiskLatencyMs) { AcknowledgeBeforeFlush = options.LyingDisks };
            var nodeId = id;
            disk.OnSnapshotSave = () => MaybeCrashDuringSnapshot(nodeId);
            _disks[id] = disk;
            _plugins.Set(DiskId(id), disk, disk);
            Start(id);
        }
    }

    /// <summary>The seed.</summary>
    public int Seed { get; }

    /// <summary>The history recorded so far.</summary>
    public AkkaRaft.TestSupport.Linearizability.HistoryRecorder History => _work.History;

    /// <summary>Runs the clients to the end with faults, then heals everything and reads every key consistently.</summary>
    public PeerSimulationReport Run()
    {
        for (var c = 0; c < _options.Clients; c++) StartClient(c, finalReadsOnly: false);
        if (_options.FaultIntervalMs > 0) ScheduleFault();
        var limit = TimeSpan.FromSeconds(30 + _options.Operations);
        if (!_world.RunUntil(() => _work.Running == 0, limit))
            throw new InvalidOperationException($"seed {Seed}: clients did not finish within {limit} of virtual time");
        // Recovery: no more faults, every peer up, then every key read through a consistent read.
        _faultsOn = false;
        _network.HealAll();
        _network.DropRate = 0;
        _network.LongDelayRate = 0;
        _network.DuplicateRate = 0;
        foreach (var id in _ids)
        {
            if (_peers.GetValueOrDefault(id) is null) Start(id);
        }
        _world.RunFor(TimeSpan.FromSeconds(2));
        StartClient(_options.Clients, finalReadsOnly: true);
        if (!_world.RunUntil(() => _work.Running == 0, TimeSpan.FromSeconds(60)))
            throw new InvalidOperationException($"seed {Seed}: the final reads did not finish");
        var lost = _disks.Values.Sum(d => d.LostChanges);
        return new PeerSimulationReport(Seed, _work.Invoked, _work.Completed, _work.TimedOut, _faults, _crashes, lost,
            _network.Dropped, _network.Delayed, _network.Duplicated, _world.Now, _disks.Values.Sum(d => d.Counters.Transactions), _disks.Values.Sum(d => d.Counters.Events));
    }

    private void StartClient(int id, bool finalReadsOnly)
    {
        var random = new DeterministicRandom(Seed * 7919L + id);
        _system.ActorOf(Props.Create(() => new KvClientActor(id, _work, random, () => _world.Now.Ticks, finalReadsOnly)), $"client-{id}-{(finalReadsOnly ? "final" : "load")}");
    }

    private void Start(ulong id)
    {
        var incarnation = _incarnations.GetValueOrDefault(id) + 1;
        _incarnations[id] = incarnation;
        var disk = _disks[id];
        var randomSeed = (ulong)(Seed * 1_000_003L) + id * 7919 + (ulong)incarnation;
        var setup = new RaftPeerSetup(id, _ids, _network, () => new KvStateMachine(KvSettings.Default), _settings)
        {
            JournalPluginId = DiskId(id),
            SnapshotPluginId = DiskId(id),
            RandomFactory = () => new SeededRandomSource(randomSeed),
        };
        disk.Reopen();
        var peer = _system.ActorOf(RaftPeer.Props(setup), $"peer-{id}-{incarnation}");
        _peers[id] = peer;
        _network.SetPeer(id, peer);
    }

    private static string DiskId(ulong id) => $"disk-{id}";

    private void Crash(ulong id)
    {
        if (_peers.GetValueOrDefault(id) is not { } peer) return;
        _crashes++;
        _system.Stop(peer);
        _peers[id] = null;
        _network.SetPeer(id, null);
        _views.Remove(id);
        _disks[id].Crash();
        var nodeId = id;
        _world.Scheduler.ScheduleOnce(TimeSpan.FromMilliseconds(100 + _world.Random.NextInt(900)), () =>
        {
            if (_peers.GetValueOrDefault(nodeId) is null) Start(nodeId);
        });
    }

    private void MaybeCrashDuringSnapshot(ulong id)
    {
        if (!_faultsOn || !_views.TryGetValue(id, out var view) || view.Role != RaftRole.Leader) return;
        if (!_world.Random.Chance(_options.CrashLeaderDuringSnapshot) || DownCount() >= MaxDown()) return;
        _faults++;
        Crash(id);
    }

    private int DownCount() => _ids.Count(id => _peers.GetValueOrDefault(id) is null);

    private int MaxDown() => (_ids.Length - 1) / 2;

    private void ScheduleFault() =>
        _world.Scheduler.ScheduleOnce(TimeSpan.FromMilliseconds(_world.Random.NextInt(_options.FaultIntervalMs * 2)), () =>
        {
            if (!_faultsOn) return;
            InjectFault();
            ScheduleFault();
        });

    private void InjectFault()
    {
        _faults++;
        var roll = _world.Random.NextInt(100);
        if (roll < 25)
        {
            // Isolate one peer (often the leader) in both directions.
            var victim = LeaderOrRandom();
            foreach (var other in _ids)
            {
                if (other == victim) continue;
                _network.Cut(victim, other);
                _network.Cut(other, victim);
            }
        }
        else if (roll < 35)
        {
            // A one-way cut: victim hears nobody, but everybody hears it.
            var victim = _ids[_world.Random.NextInt(_ids.Length)];
            foreach (var other in _ids)
            {
                if (other != victim) _network.Cut(other, victim);
            }
        }
        else if (roll < 60)
        {
            _network.HealAll();
        }
        else if (roll < 80)
        {
            if (DownCount() < MaxDown()) Crash(LeaderOrRandom());
        }
        else if (roll < 88)
        {
            // Leadership transfer (thesis 3.10) to a random other peer, asked of whoever leads now.
            var leader = _views.Where(v => v.Value.Role == RaftRole.Leader).Select(v => v.Key).FirstOrDefault();
            if (leader != 0 && _peers.GetValueOrDefault(leader) is { } peer)
            {
                var target = _ids[_world.Random.NextInt(_ids.Length)];
                if (target != leader) peer.Tell(new TransferLeadership(target));
            }
        }
        else
        {
            _network.DropRate = _network.DropRate > 0 ? 0 : _options.DropRate * 2;
        }
    }

    private ulong LeaderOrRandom()
    {
        if (_world.Random.Chance(0.6))
        {
            foreach (var (id, view) in _views)
            {
                if (view.Role == RaftRole.Leader && _peers.GetValueOrDefault(id) is not null) return id;
            }
        }
        return _ids[_world.Random.NextInt(_ids.Length)];
    }
}
