using AkkaRaft.Client;
using AkkaRaft.Client.Kv;
using AkkaRaft.TestSupport.Simulation;
using AkkaRaft.Kv;
using AkkaRaft.Raft.Core;
using AkkaRaft.Raft.Peer;

namespace AkkaRaft.Simulation.Tests.Support;

/// <summary>How a <see cref="PeerSimulator"/> is built.</summary>
internal sealed record PeerSimulatorOptions
{
    /// <summary>Founding voters (ids 1..n).</summary>
    public int Peers { get; init; } = 3;

    /// <summary>The peers' settings (the simulation's time is virtual, so any timing works).</summary>
    public required RaftPeerSettings Settings { get; init; }

    /// <summary>The longest command a peer accepts (a real journal's event limit less the entry framing).</summary>
    public long MaxCommandBytes { get; init; } = 1024 * 1024 - RaftJournal.EntryFramingBytes;

    /// <summary>Longest fsync of a simulated disk.</summary>
    public TimeSpan MaxDiskLatency { get; init; } = TimeSpan.FromMilliseconds(8);

    /// <summary>The disks acknowledge writes before they are durable (a bug the checker must catch).</summary>
    public bool LyingDisks { get; init; }

    /// <summary>Largest relative error of a peer's tick clock (0.02: each peer ticks 2 % fast to 2 % slow, fixed per incarnation).</summary>
    public double MaxClockDrift { get; init; } = 0.02;

    /// <summary>
    /// Check election safety (one leader per term) and state machine safety (one entry per index) on every role
    /// change and every applied entry. Mutation tests turn it off to show the linearizability checker catches the bug alone.
    /// </summary>
    public bool CheckSafety { get; init; } = true;

    /// <summary>
    /// A peer that throws a broken Raft invariant is stopped and started again from its disk, as its supervisor would,
    /// instead of failing the run. Mutation tests turn it on.
    /// </summary>
    public bool SuperviseInvariantViolations { get; init; }

    /// <summary>Delay before a stopped peer (failed write, broken invariant) is started again.</summary>
    public TimeSpan RestartBackoff { get; init; } = TimeSpan.FromMilliseconds(100);

    /// <summary>Receives a line per notable event (roles, crashes, restarts, faults); for debugging one seed.</summary>
    public Action<string>? Trace { get; init; }
}

/// <summary>A Raft safety property observed broken, or a peer failing, in a simulated run; the message names the seed.</summary>
internal sealed class PeerSimulationException(string message, Exception? inner = null) : Exception(message, inner);

/// <summary>
/// A group of <see cref="PeerLogic{TClient}"/>s run in one thread without actors: virtual time, one seeded order of
/// delivery, a <see cref="SimulatedNetwork"/> that drops, delays, duplicates, reorders and partitions, a
/// <see cref="SimulatedDisk"/> per peer that loses what was not fsynced when the peer crashes, and the key/value state
/// machine applied synchronously from each peer's effects. A crashed peer restarts from its disk alone. The same seed
/// gives the same run, event for event.
/// </summary>
internal sealed partial class PeerSimulator
{
    private readonly PeerSimulatorOptions _options;
    private readonly PriorityQueue<SimEvent, (long Time, long Sequence)> _events = new();
    private readonly SortedDictionary<ulong, SimPeer> _peers = new();
    private readonly List<ulong> _nodeIds = new();
    private readonly ulong[] _founders;
    private long _sequence;
    private int _probes;

    /// <summary>The group of <paramref name="options"/>, every founder started, for <paramref name="seed"/>.</summary>
    public PeerSimulator(int seed, PeerSimulatorOptions options)
    {
        Seed = seed;
        _options = options;
        Random = new SimRandom((ulong)(uint)seed);
        _founders = Enumerable.Range(1, options.Peers).Select(i => (ulong)i).ToArray();
        foreach (var id in _founders) Add(id, founder: true);
        foreach (var id in _founders) Start(id);
    }

    /// <summary>The seed of this run.</summary>
    public int Seed { get; }

    /// <summary>Virtual time since the start.</summary>
    public TimeSpan Now { get; private set; }

    /// <summary>The simulation's own randomness (network, disks, faults); each peer's core has its own.</summary>
    public SimRandom Random { get; }

    /// <summary>The links between peers.</summary>
    public SimulatedNetwork Network { get; } = new();

    /// <summary>The peers' settings.</summary>
    public RaftPeerSettings Settings => _options.Settings;

    /// <summary>Every node the simulation knows (founders, then joiners), up or down.</summary>
    public IReadOnlyList<ulong> NodeIds => _nodeIds;

    /// <summary>Called when a peer starts saving a snapshot record (a run may crash it right then).</summary>
    public Action<SimPeer>? OnSnapshotSave { get; set; }

    /// <summary>Every command any peer's state machine applied, with the log indexes it applied at (all peers, all incarnations).</summary>
    public AppliedCommands Applied { get; } = new();

    /// <summary>Power losses so far.</summary>
    public int Crashes { get; private set; }

    /// <summary>Peers stopped by a failed write or a broken invariant and started again, so far.</summary>
    public int Restarts { get; private set; }

    /// <summary>Peers restarted because they broke a Raft invariant (only with <see cref="PeerSimulatorOptions.SuperviseInvariantViolations"/>).</summary>
    public int InvariantRestarts { get; private set; }

    /// <summary>Events handled so far.</summary>
    public long EventsHandled { get; private set; }

    /// <summary>The simulated peer <paramref name="id"/>.</summary>
    public SimPeer Peer(ulong id) => _peers[id];

    /// <summary>Every simulated peer, by id.</summary>
    public IEnumerable<SimPeer> Peers => _peers.Values;

    /// <summary>Whether peer <paramref name="id"/> exists and runs.</summary>
    public bool IsUp(ulong id) => _peers.TryGetValue(id, out var peer) && peer.Up;

    /// <summary>The peer that is up and believes it leads in the highest term, or 0.</summary>
    public ulong Leader()
    {
        ulong leader = 0, term = 0;
        foreach (var peer in _peers.Values)
        {
            if (peer.Up && peer.Role == RaftRole.Leader && peer.Term >= term)
            {
                leader = peer.Id;
                term = peer.Term;
            }
        }
        return leader;
    }

    // ------------------------------------------------------------------ running

    /// <summary>Runs events until <paramref name="done"/> holds (checked before each event) or <paramref name="limit"/> of virtual time passed.</summary>
    public bool RunUntil(Func<bool> done, TimeSpan limit)
    {
        var end = Now + limit;
        while (true)
        {
            if (done()) return true;
            if (!_events.TryPeek(out _, out var next) || next.Time > end.Ticks)
            {
                Now = end;
                return done();
            }
            HandleNext();
        }
    }

    /// <summary>Runs every event of the next <paramref name="span"/> of virtual time.</summary>
    public void RunFor(TimeSpan span) => RunUntil(static () => false, span);

    private void HandleNext()
    {
        var ev = _events.Dequeue();
        Now = TimeSpan.FromTicks(ev.Time);
        EventsHandled++;
        try
        {
            Handle(ev);
        }
        catch (Exception e) when (e is not PeerSimulationException)
        {
            throw new PeerSimulationException($"seed {Seed}, at {Now.TotalMilliseconds:F1} ms of virtual time, handling {ev}: {e.GetType().Name}: {e.Message}", e);
        }
    }

    // ------------------------------------------------------------------ peers

    private void Add(ulong id, bool founder)
    {
        var peer = new SimPeer(id, founder);
        peer.Disk = new SimulatedDisk(this, peer) { MaxLatency = _options.MaxDiskLatency, AcknowledgeBeforeFlush = _options.LyingDisks };
        _peers.Add(id, peer);
        _nodeIds.Add(id);
    }

    /// <summary>Adds peer <paramref name="id"/> with an empty disk and no founders: it waits to be added to the group by the leader.</summary>
    public void AddJoiningPeer(ulong id)
    {
        Add(id, founder: false);
        Start(id);
    }

    /// <summary>Starts peer <paramref name="id"/> (if down) from what its disk holds.</summary>
    public void Start(ulong id)
    {
        var peer = _peers[id];
        if (peer.Up) return;
        peer.Incarnation++;
        peer.Epoch++;
        peer.Up = true;
        peer.Role = RaftRole.Follower;
        peer.Leader = RaftIds.None;
        peer.Term = 0;
        var recovered = peer.Disk.Recover($"raft-peer-{id}");
        // Each incarnation has its own election randomness and its own clock error, both from the seed.
        var random = new SeededRandomSource(((ulong)(uint)Seed << 20) ^ (id << 8) ^ (ulong)peer.Incarnation);
        var setup = new PeerLogicSetup(id, peer.Founder ? _founders : [], _options.Settings, _options.MaxCommandBytes, random);
        peer.Logic = new PeerLogic<SimClient>(setup, recovered);
        peer.SessionTimers.Clear();
        peer.Machine = new StateMachineHost(new RecordingStateMachine(new KvStateMachine(KvSettings.Default), Applied));
        var drift = 1 + (Random.NextDouble() * 2 - 1) * _options.MaxClockDrift;
        peer.TickPeriod = TimeSpan.FromTicks((long)(_options.Settings.HeartbeatInterval.Ticks * drift));
        Trace($"peer {id} starts (incarnation {peer.Incarnation}, {recovered.RecoveredEvents} events recovered, log [{recovered.Storage.FirstIndex}, {recovered.Storage.LastIndex}])");
        Schedule(Now + Random.Upto(peer.TickPeriod), new SimEvent(SimEventKind.Tick) { Peer = peer, Epoch = peer.Epoch });
        Feed(peer, Input.Start, null, null);
    }

    /// <summary>Power loss of peer <paramref name="id"/>: its memory and its unflushed writes are gone. Started again after <paramref name="restartAfter"/>, if given.</summary>
    public void Crash(ulong id, TimeSpan? restartAfter = null)
    {
        var peer = _peers[id];
        if (!peer.Up) return;
        Crashes++;
        Down(peer);
        peer.Disk.Crash();
        Trace($"peer {id} crashes");
        if (restartAfter is { } after) ScheduleCall(Now + after, () => Start(id));
    }

    /// <summary>Peer <paramref name="id"/> stops (its writes reach the disk) and its supervisor starts it again after the backoff.</summary>
    public void StopAndRestart(ulong id, string reason)
    {
        var peer = _peers[id];
        if (!peer.Up) return;
        Restarts++;
        Down(peer);
        peer.Disk.Stop();
        Trace($"peer {id} stops: {reason}");
        ScheduleCall(Now + _options.RestartBackoff, () => Start(id));
    }

    private static void Down(SimPeer peer)
    {
        peer.Up = false;
        peer.Epoch++;
        peer.Logic = null;
        peer.Machine = null;
        peer.Role = RaftRole.Follower;
        peer.Leader = RaftIds.None;
    }

    // ------------------------------------------------------------------ clients

    /// <summary>Sends <paramref name="request"/> to peer <paramref name="id"/> from a fresh probe, and returns the probe that will hold the answer.</summary>
    public ProbeClient Send(ulong id, object request)
    {
        var probe = new ProbeClient($"probe {++_probes}");
        SendRequest(id, request, probe);
        return probe;
    }

    /// <summary>Sends <paramref name="request"/> to peer <paramref name="id"/> and runs until it is answered.</summary>
    /// <exception cref="InvalidOperationException">No answer within <paramref name="limit"/> (default 6 s) of virtual time.</exception>
    public object Ask(ulong id, object request, TimeSpan? limit = null)
    {
        var probe = Send(id, request);
        var wait = limit ?? TimeSpan.FromSeconds(6);
        if (!RunUntil(() => probe.Answer is not null, wait))
            throw new InvalidOperationException($"seed {Seed}: peer {id} did not answer {request} within {wait.TotalSeconds} s of virtual time");
        return probe.Answer!;
    }

    /// <summary>The status of peer <paramref name="id"/> now (read directly; no time passes).</summary>
    /// <exception cref="InvalidOperationException">The peer is down.</exception>
    public PeerStatus Status(ulong id) =>
        _peers[id].Logic?.Status() ?? throw new InvalidOperationException($"peer {id} is down");

    // ------------------------------------------------------------------ scheduling

    /// <summary>Runs <paramref name="action"/> at <paramref name="at"/> (after the events already due then).</summary>
    public void ScheduleCall(TimeSpan at, Action action) => Schedule(at, new SimEvent(SimEventKind.Call) { Payload = action });

    internal void ScheduleDisk(SimPeer peer, TimeSpan at, DiskWrite write) =>
        Schedule(at, new SimEvent(SimEventKind.Disk) { Peer = peer, Payload = write });

    private void Schedule(TimeSpan at, SimEvent ev)
    {
        if (at < Now) throw new InvalidOperationException($"an event scheduled at {at} is in the past ({Now})");
        ev.Time = at.Ticks;
        _events.Enqueue(ev, (at.Ticks, ++_sequence));
    }

    private void Trace(string line) => _options.Trace?.Invoke($"{Now.TotalMilliseconds,10:F1} ms  {line}");
}

/// <summary>One simulated peer: its disk (which outlives it) and, while it runs, its logic and state machine.</summary>
internal sealed class SimPeer(ulong id, bool founder)
{
    /// <summary>Its node id.</summary>
    public ulong Id { get; } = id;

    /// <summary>A founding voter (it bootstraps the group); otherwise it joins through a membership change.</summary>
    public bool Founder { get; } = founder;

    /// <summary>Its disk.</summary>
    public SimulatedDisk Disk { get; set; } = null!;

    /// <summary>Whether it runs.</summary>
    public bool Up { get; set; }

    /// <summary>How many times it was started.</summary>
    public int Incarnation { get; set; }

    /// <summary>Changes on every start and stop: events of another epoch are lost.</summary>
    public int Epoch { get; set; }

    /// <summary>The logic of the running incarnation.</summary>
    public PeerLogic<SimClient>? Logic { get; set; }

    /// <summary>The state machine of the running incarnation.</summary>
    public StateMachineHost? Machine { get; set; }

    /// <summary>The role it last announced.</summary>
    public RaftRole Role { get; set; }

    /// <summary>The leader it last announced.</summary>
    public ulong Leader { get; set; }

    /// <summary>The term of its last announcement.</summary>
    public ulong Term { get; set; }

    /// <summary>Its heartbeat interval on its own (drifting) clock.</summary>
    public TimeSpan TickPeriod { get; set; }

    /// <summary>The armed keep-alive timer of each session (by token: a timer re-armed or dropped since does not fire).</summary>
    public Dictionary<long, long> SessionTimers { get; } = new();

    /// <summary>The last session timer token handed out.</summary>
    public long SessionTimerToken { get; set; }

    /// <inheritdoc />
    public override string ToString() => $"peer {Id}";
}
