using AkkaRaft.Client;
using AkkaRaft.Client.Kv;
using AkkaRaft.TestSupport.Simulation;
using AkkaRaft.Raft.Core;
using AkkaRaft.Raft.Peer;
using AkkaRaft.TestSupport.Linearizability;

namespace AkkaRaft.Simulation.Tests.Support;

/// <summary>How hard a randomized run is.</summary>
internal sealed record PeerSimulationOptions
{
    /// <summary>Peers in the group.</summary>
    public int Peers { get; init; } = 3;

    /// <summary>
    /// Peers that start empty and outside the group (ids after the founders'). With any, an operator
    /// (<see cref="VoterReplacement"/>) first makes them learners, then replaces every founding voter by them in one
    /// request while the clients run.
    /// </summary>
    public int Joiners { get; init; }

    /// <summary>Most peers down at once; null for a minority of all peers.</summary>
    public int? MaxDown { get; init; }

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

    /// <summary>Probability of a stall (300 to 1,500 ms): see <see cref="SimulatedNetwork.StallRate"/>.</summary>
    public double StallRate { get; init; } = 0.01;

    /// <summary>Mean virtual time between faults; zero for none.</summary>
    public TimeSpan FaultInterval { get; init; } = TimeSpan.FromMilliseconds(400);

    /// <summary>Longest fsync.</summary>
    public TimeSpan MaxDiskLatency { get; init; } = TimeSpan.FromMilliseconds(8);

    /// <summary>Applied entries between snapshots (small, so runs compact and install snapshots often).</summary>
    public int MaxLogCount { get; init; } = 16;

    /// <summary>Probability that a peer saving a snapshot record (a leader compacting, a follower installing the leader's) crashes right then.</summary>
    public double CrashDuringSnapshotSave { get; init; } = 0.15;

    /// <summary>The disks acknowledge writes before they are durable (a bug the checker must catch).</summary>
    public bool LyingDisks { get; init; }

    /// <summary>Whether leaders serve default reads under their lease.</summary>
    public bool LeaseReads { get; init; }

    /// <summary>Clients write through client sessions and retry every ambiguous write (<see cref="SessionKvClient"/>).</summary>
    public bool SessionClients { get; init; }

    /// <summary>With <see cref="SessionClients"/>: whether writes carry sequence numbers (off: the control experiment).</summary>
    public bool ExactlyOnce { get; init; } = true;

    /// <summary>See <see cref="PeerSimulatorOptions.CheckSafety"/>.</summary>
    public bool CheckSafety { get; init; } = true;

    /// <summary>See <see cref="PeerSimulatorOptions.SuperviseInvariantViolations"/>.</summary>
    public bool SuperviseInvariantViolations { get; init; }

    /// <summary>Receives a line per notable event; for debugging one seed.</summary>
    public Action<string>? Trace { get; init; }
}

/// <summary>What a randomized run did.</summary>
internal sealed record PeerSimulationReport(
    int Seed, int Operations, int Completed, int TimedOut, int Faults, int Crashes, int LostWrites, long Dropped, long Delayed,
    long Duplicated, TimeSpan VirtualTime, long Batches, long Events, long SimulatorEvents);

/// <summary>
/// A randomized run of a simulated group serving the key/value state machine: clients recording a history, seeded
/// network faults (loss, delay, duplicates, isolating and one-way partitions), power losses that lose unflushed writes
/// (also while a peer saves a snapshot record), restarts from disk, leadership transfers. After the workload
/// every fault heals, every peer starts, and every key is read consistently, so lost acknowledged writes show.
/// </summary>
internal sealed class SimulatedPeerCluster
{
    private readonly PeerSimulationOptions _options;
    private readonly PeerSimulator _simulator;
    private readonly ClientWorkload _work;
    private readonly List<SessionKvClient> _sessionClients = new();
    private readonly VoterReplacement? _replacement;
    private int _faults;
    private bool _faultsOn = true;

    /// <summary>Builds the group for <paramref name="seed"/>; nothing runs until <see cref="Run"/>.</summary>
    public SimulatedPeerCluster(int seed, PeerSimulationOptions options)
    {
        Seed = seed;
        _options = options;
        var defaults = RaftPeerSettings.Default;
        var settings = defaults with
        {
            ElectionTimeout = TimeSpan.FromMilliseconds(300),
            HeartbeatInterval = TimeSpan.FromMilliseconds(30),
            RequestTimeout = TimeSpan.FromSeconds(1),
            MaxLogCount = options.MaxLogCount,
            Core = defaults.Core with
            {
                ElectionTicks = 10,
                LeaseReads = options.LeaseReads,
                LeaseDriftMarginTicks = 2,
                MaxAppendEntriesBytes = 512,
                MaxInflightMessages = 8,
                // A few entries per Ready: reads then wait for the state machine to reach their index.
                MaxCommittedBytesPerReady = 200,
            },
        };
        _simulator = new PeerSimulator(seed, new PeerSimulatorOptions
        {
            Peers = options.Peers,
            Settings = settings,
            MaxDiskLatency = options.MaxDiskLatency,
            LyingDisks = options.LyingDisks,
            CheckSafety = options.CheckSafety,
            SuperviseInvariantViolations = options.SuperviseInvariantViolations,
            Trace = options.Trace,
        });
        _simulator.Network.DropRate = options.DropRate;
        _simulator.Network.LongDelayRate = options.LongDelayRate;
        _simulator.Network.StallRate = options.StallRate;
        _simulator.Network.DuplicateRate = options.DuplicateRate;
        _simulator.OnSnapshotSave = MaybeCrashDuringSnapshot;
        var keys = Enumerable.Range(0, options.Keys).Select(i => ((char)('a' + i)).ToString()).ToArray();
        _work = new ClientWorkload { Operations = options.Operations, Keys = keys };
        if (options.Joiners > 0)
        {
            var founders = Enumerable.Range(1, options.Peers).Select(i => (ulong)i).ToArray();
            var joiners = Enumerable.Range(options.Peers + 1, options.Joiners).Select(i => (ulong)i).ToArray();
            foreach (var id in joiners) _simulator.AddJoiningPeer(id);
            _replacement = new VoterReplacement(_simulator, founders, joiners);
        }
    }

    /// <summary>When the clients' workload (and the faults) ended, before healing.</summary>
    public TimeSpan LoadEndedAt { get; private set; }

    /// <summary>The operator replacing the voters, in a run with <see cref="PeerSimulationOptions.Joiners"/>.</summary>
    public VoterReplacement? Replacement => _replacement;

    /// <summary>The seed.</summary>
    public int Seed { get; }

    /// <summary>The history recorded so far.</summary>
    public HistoryRecorder History => _work.History;

    /// <summary>The session clients of a <see cref="PeerSimulationOptions.SessionClients"/> run.</summary>
    public IReadOnlyList<SessionKvClient> SessionClients => _sessionClients;

    /// <summary>
    /// Every put the session clients sent that the state machines applied at more than one log index (each put writes
    /// a value of its own, so two indexes mean one write applied twice), as "put at [i, j]" lines; empty when none.
    /// </summary>
    public IReadOnlyList<string> WritesAppliedTwice()
    {
        var twice = new List<string>();
        foreach (var client in _sessionClients)
        {
            foreach (var put in client.Puts)
            {
                var at = _simulator.Applied.IndexesOf(put);
                if (at.Count > 1) twice.Add($"{client}: a put applied at indexes [{string.Join(", ", at)}]");
            }
        }
        return twice;
    }

    /// <summary>Runs the clients to the end with faults, then heals everything and reads every key consistently.</summary>
    /// <exception cref="PeerSimulationException">A peer failed, a safety property broke, or the run did not finish.</exception>
    public PeerSimulationReport Run()
    {
        for (var c = 0; c < _options.Clients; c++) StartClient(c, finalReadsOnly: false);
        if (_options.FaultInterval > TimeSpan.Zero) ScheduleFault();
        _replacement?.Start(TimeSpan.FromMilliseconds(100) + _simulator.Random.Upto(TimeSpan.FromMilliseconds(200)));
        var limit = TimeSpan.FromSeconds(30 + _options.Operations);
        if (!_simulator.RunUntil(() => _work.Running == 0, limit))
            throw new PeerSimulationException($"seed {Seed}: clients did not finish within {limit} of virtual time");

        LoadEndedAt = _simulator.Now;

        // Recovery: no more faults, every peer up, then every key read through a consistent read.
        _faultsOn = false;
        _simulator.Network.HealAll();
        _simulator.Network.Calm();
        foreach (var id in _simulator.NodeIds) _simulator.Start(id);
        if (_replacement is { } replacement)
        {
            // No fixed settling time here: the replacement's end and a new voter leading are what the final reads need.
            if (!_simulator.RunUntil(() => replacement.Done, TimeSpan.FromSeconds(30)))
                throw new PeerSimulationException($"seed {Seed}: the voters were not replaced ({replacement.Attempts} requests)");
            CheckReplaced();
        }
        else _simulator.RunFor(TimeSpan.FromSeconds(2));
        StartClient(_options.Clients, finalReadsOnly: true);
        if (!_simulator.RunUntil(() => _work.Running == 0, TimeSpan.FromSeconds(60)))
            throw new PeerSimulationException($"seed {Seed}: the final reads did not finish");

        if (_options.SessionClients && _options.ExactlyOnce && WritesAppliedTwice() is { Count: > 0 } twice)
            throw new PeerSimulationException($"seed {Seed}: writes with sequence numbers applied more than once:\n{string.Join("\n", twice)}");

        var disks = _simulator.Peers.Select(p => p.Disk).ToList();
        var network = _simulator.Network;
        return new PeerSimulationReport(Seed, _work.Invoked, _work.Completed, _work.TimedOut, _faults, _simulator.Crashes,
            disks.Sum(d => d.LostWrites), network.Dropped, network.Delayed, network.Duplicated, _simulator.Now,
            disks.Sum(d => d.JournalWrites), disks.Sum(d => d.JournalEvents), _simulator.EventsHandled);
    }

    private void StartClient(int id, bool finalReadsOnly)
    {
        var random = new SimRandom((ulong)(uint)Seed * 7919UL + (ulong)id);
        if (_options.SessionClients && !finalReadsOnly)
        {
            var client = new SessionKvClient(id, _simulator, _work, random, _options.ExactlyOnce);
            _sessionClients.Add(client);
            client.Start();
            return;
        }
        new KvWorkloadClient(id, _simulator, _work, random, finalReadsOnly).Start();
    }

    /// <summary>Sometimes crashes a peer while its snapshot record is being saved: at once, or while the write is in flight.</summary>
    private void MaybeCrashDuringSnapshot(SimPeer peer)
    {
        if (!_faultsOn || !_simulator.Random.Chance(_options.CrashDuringSnapshotSave) || DownCount() >= MaxDown()) return;
        _faults++;
        var epoch = peer.Epoch;
        var id = peer.Id;
        if (_simulator.Random.Chance(0.5))
        {
            Crash(id);
            return;
        }
        _simulator.ScheduleCall(_simulator.Now + _simulator.Random.Upto(_options.MaxDiskLatency), () =>
        {
            if (_faultsOn && peer.Epoch == epoch && DownCount() < MaxDown()) Crash(id);
        });
    }

    private void Crash(ulong id) =>
        _simulator.Crash(id, restartAfter: TimeSpan.FromMilliseconds(100) + _simulator.Random.Upto(TimeSpan.FromMilliseconds(900)));

    private int DownCount() => _simulator.NodeIds.Count(id => !_simulator.IsUp(id));

    private int MaxDown() => _options.MaxDown ?? (_simulator.NodeIds.Count - 1) / 2;

    /// <summary>After the replacement and healing: the new voters agree on the final configuration and one of them leads.</summary>
    private void CheckReplaced()
    {
        var joiners = Enumerable.Range(_options.Peers + 1, _options.Joiners).Select(i => (ulong)i).ToArray();
        if (!_simulator.RunUntil(() => joiners.Contains(_simulator.Leader()) && joiners.All(id => Final(_simulator.Peer(id).Logic!.CommittedConfiguration)),
                TimeSpan.FromSeconds(10)))
        {
            var views = string.Join("; ", joiners.Select(id => $"{id}: {_simulator.Peer(id).Logic!.CommittedConfiguration}"));
            throw new PeerSimulationException($"seed {Seed}: after the replacement leader {_simulator.Leader()}, committed configurations {views}");
        }

        bool Final(ConfState conf) => conf.Voters.SequenceEqual(joiners) && conf.VotersOutgoing.Length == 0 && conf.Learners.Length == 0;
    }

    private void ScheduleFault() =>
        _simulator.ScheduleCall(_simulator.Now + _simulator.Random.Upto(2 * _options.FaultInterval), () =>
        {
            if (!_faultsOn) return;
            InjectFault();
            ScheduleFault();
        });

    private void InjectFault()
    {
        _faults++;
        var ids = _simulator.NodeIds;
        var network = _simulator.Network;
        var roll = _simulator.Random.Next(100);
        if (roll < 25)
        {
            // Isolate one peer (often the leader) in both directions.
            network.Isolate(LeaderOrRandom(), ids);
        }
        else if (roll < 35)
        {
            // A one-way cut: the victim hears nobody, but everybody hears it.
            var victim = ids[_simulator.Random.Next(ids.Count)];
            foreach (var other in ids)
            {
                if (other != victim) network.Cut(other, victim);
            }
        }
        else if (roll < 60)
        {
            network.HealAll();
        }
        else if (roll < 80)
        {
            if (DownCount() < MaxDown()) Crash(LeaderOrRandom());
        }
        else if (roll < 88)
        {
            // Leadership transfer (thesis 3.10) to a random other peer, asked of whoever leads now.
            var leader = _simulator.Leader();
            var target = ids[_simulator.Random.Next(ids.Count)];
            if (leader != 0 && target != leader) _simulator.Send(leader, new TransferLeadership(target));
        }
        else
        {
            network.DropRate = network.DropRate > 0 ? 0 : _options.DropRate * 2;
        }
    }

    private ulong LeaderOrRandom()
    {
        var ids = _simulator.NodeIds;
        if (_simulator.Random.Chance(0.6) && _simulator.Leader() is var leader and not 0) return leader;
        return ids[_simulator.Random.Next(ids.Count)];
    }
}
