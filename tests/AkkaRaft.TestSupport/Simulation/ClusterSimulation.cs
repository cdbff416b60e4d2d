using AkkaRaft.Client;
using AkkaRaft.Raft.Core;

namespace AkkaRaft.TestSupport.Simulation;

/// <summary>
/// A randomized, single-threaded, reproducible simulation of a Raft cluster serving a key/value register:
/// N cores over a network that drops, duplicates, delays and reorders messages, with partitions (symmetric,
/// isolating, asymmetric), crashes and restarts from persisted state only, per-node clock drift, leadership
/// transfers and membership changes; clients issue get/put/delete/cas with timeouts and retries against the
/// leader and record what they see in an <see cref="IKvHistory"/>. Along the way it checks election safety
/// (one leader per term) and state-machine safety (every node applies the same entry at each index).
/// </summary>
public sealed partial class ClusterSimulation
{
    private readonly ulong _seed;
    private readonly SimulationOptions _options;
    private readonly IKvHistory _history;
    private readonly SimRandom _random;
    private readonly PriorityQueue<SimEvent, (long, long)> _events = new();
    private readonly SortedDictionary<ulong, SimNode> _nodes = new();
    private readonly List<SimNode> _nodeList = new();
    private readonly HashSet<(ulong From, ulong To)> _cut = new();
    private readonly Dictionary<ulong, ulong> _leaderOfTerm = new();
    private readonly Dictionary<ulong, (ulong Term, int Hash)> _appliedAt = new();
    private readonly List<SimClient> _clients = new();
    private readonly SimulationReport _report;
    private readonly string[] _keys;
    private long _now;
    private long _sequence;
    private long _requestIds;
    private ulong _nextNodeId;
    private int _restartCount;

    /// <summary>Creates a simulation; nothing runs until <see cref="Run"/>.</summary>
    public ClusterSimulation(ulong seed, SimulationOptions options, IKvHistory history)
    {
        _seed = seed;
        _options = options;
        _history = history;
        _random = new SimRandom(seed);
        _report = new SimulationReport { Seed = seed, Nodes = options.Nodes };
        _keys = new string[options.Keys];
        for (var i = 0; i < _keys.Length; i++) _keys[i] = ((char)('a' + i)).ToString();
        var voters = new ulong[options.Nodes];
        for (var i = 0; i < voters.Length; i++) voters[i] = (ulong)i + 1;
        _nextNodeId = (ulong)options.Nodes + 1;
        foreach (var id in voters) AddNode(id, MemoryStorage.ForNewCluster(voters));
        for (var c = 0; c < options.Clients; c++) _clients.Add(new SimClient(c));
    }

    /// <summary>Runs until every operation has returned or timed out (or the virtual time limit), and reports.</summary>
    /// <exception cref="SimulationViolationException">A Raft safety property broke (the message names the seed).</exception>
    public SimulationReport Run()
    {
        foreach (var client in _clients) Schedule(_random.Next(5), new SimEvent(EventKind.ClientStart) { Client = client });
        if (_options.FaultIntervalMs > 0) Schedule(_random.Next(_options.FaultIntervalMs * 2), new SimEvent(EventKind.Fault));
        while (_events.TryDequeue(out var ev, out var at))
        {
            _now = at.Item1;
            if (_now > _options.MaxVirtualMs) break;
            try
            {
                Handle(ev);
            }
            catch (RaftInvariantException ex) when (_options.SuperviseInvariantViolations)
            {
                // The supervisor's answer to a broken invariant: crash the node, restart it from its journal.
                _report.InvariantCrashes++;
                foreach (var node in _nodeList)
                {
                    if (node.Up && node.Raft.Id == InvariantNode(ex)) CrashNode(node, restartAfterMs: 1);
                }
            }
            catch (RaftInvariantException ex)
            {
                throw new SimulationViolationException($"seed {_seed}: at {_now} ms a node broke an invariant: {ex.Message}", ex);
            }
            if (AllClientsDone()) break;
        }
        foreach (var client in _clients)
        {
            if (client.OpId < 0) continue;
            _history.Timeout(client.OpId);
            _report.TimedOut++;
            client.OpId = -1;
        }
        _report.VirtualMs = _now;
        _report.Elections = _leaderOfTerm.Count;
        return _report;
    }

    private bool AllClientsDone()
    {
        if (_report.Invoked < _options.Operations) return false;
        foreach (var client in _clients)
        {
            if (client.OpId >= 0) return false;
        }
        return true;
    }

    // The node whose core is being driven, so a broken invariant can be pinned on it.
    private SimNode? _current;

    private ulong InvariantNode(RaftInvariantException _) => _current?.Id ?? 0;

    private void Schedule(long delay, SimEvent ev) => _events.Enqueue(ev, (_now + delay, _sequence++));

    private void Handle(SimEvent ev)
    {
        _current = ev.Node;
        switch (ev.Kind)
        {
            case EventKind.Deliver: Deliver(ev.Message!); break;
            case EventKind.Tick: OnTick(ev.Node!, ev.Epoch); break;
            case EventKind.PersistDone: OnPersistDone(ev.Node!, ev.Epoch); break;
            case EventKind.ClientArrive: OnRequestArrives(ev.Node!, ev.Request!); break;
            case EventKind.ClientReply: OnReply(ev.Client!, ev.RequestId, ev.Reply!); break;
            case EventKind.ClientTimeout: OnClientTimeout(ev.Client!, ev.OpId); break;
            case EventKind.ClientStart: StartOperation(ev.Client!); break;
            case EventKind.ClientRetry: SendAttempt(ev.Client!, ev.OpId); break;
            case EventKind.Fault: InjectFault(); break;
            case EventKind.Restart: RestartNode(ev.Node!); break;
            case EventKind.Flush: OnFlush(ev.Node!, ev.Epoch); break;
        }
    }

    // ------------------------------------------------------------------ nodes

    private SimNode AddNode(ulong id, MemoryStorage storage)
    {
        var drift = 1.0 + (_random.NextDouble() * 2 - 1) * _options.MaxDrift;
        var node = new SimNode(id, storage, _options.TickMs * drift);
        if (Math.Abs(drift - 1.0) > 0.005) _report.Count(FaultKinds.ClockDrift);
        if (_options.AcknowledgeBeforePersist) node.Durable = Clone(storage);
        StartCore(node);
        _nodes[id] = node;
        _nodeList.Add(node);
        return node;
    }

    private void StartCore(SimNode node)
    {
        Trace($"node {node.Id}: start");
        var config = new RaftConfig
        {
            NodeId = node.Id,
            ElectionTicks = 10,
            HeartbeatTicks = 2,
            LeaseReads = _options.LeaseReads,
            LeaseDriftMarginTicks = 3,
            MaxAppendEntriesBytes = 512,
            MaxInflightMessages = 8,
        };
        if (_options.Configure is not null) config = _options.Configure(config);
        var random = new SeededRandomSource(_seed * 1_000_003 + node.Id * 7919 + (ulong)_restartCount);
        node.Raft = new RaftNode(config, node.Storage, random);
        var snapshot = node.Storage.Snapshot;
        node.Kv = KvStateMachine.Restore(snapshot.Data);
        node.KvApplied = snapshot.Metadata.Index;
        node.Up = true;
        node.Epoch++;
        node.NextTickAt = _now + 1 + _random.Next((int)node.TickMs);
        Schedule((long)node.NextTickAt - _now, new SimEvent(EventKind.Tick) { Node = node, Epoch = node.Epoch });
    }

    private void OnTick(SimNode node, int epoch)
    {
        if (!node.Up || node.Epoch != epoch) return;
        _current = node;
        node.Raft.Tick();
        Pump(node);
        // Fractional intervals accumulate, so a node's clock runs at its own rate over time (drift).
        node.NextTickAt += node.TickMs;
        Schedule(Math.Max(0, (long)Math.Round(node.NextTickAt) - _now), new SimEvent(EventKind.Tick) { Node = node, Epoch = epoch });
    }

    /// <summary>Takes the node's next Ready, if any, and schedules its write; a leader sends at once (thesis 10.2.1).</summary>
    private void Pump(SimNode node)
    {
        if (!node.Up || node.Outstanding is not null || !node.Raft.HasReady) return;
        var ready = node.Raft.GetReady();
        node.Outstanding = ready;
        // The soft state is as of now; the node may step messages (and change term) before the write completes.
        node.OutstandingTerm = node.Raft.Term;
        node.SentEarly = false;
        if (_options.AcknowledgeBeforePersist)
        {
            // The bug: the write only reaches the page cache; the node goes on (and answers) as if it were
            // durable, and the disk catches up later. A crash loses what the disk has not got yet.
            node.Storage.Save(ready);
            if (ready.MustPersist)
            {
                node.PageCache.Enqueue((_now + _random.Next(_options.MaxPersistMs + 1), ready));
                Schedule(_options.MaxPersistMs + 1, new SimEvent(EventKind.Flush) { Node = node, Epoch = node.Epoch });
            }
            Schedule(0, new SimEvent(EventKind.PersistDone) { Node = node, Epoch = node.Epoch });
            return;
        }
        if (node.Raft.Role == RaftRole.Leader && ready.Snapshot is null)
        {
            // Thesis 10.2.1: the leader's messages do not depend on its own write.
            SendAll(ready.Messages);
            node.SentEarly = true;
        }
        var latency = ready.MustPersist ? _random.Next(_options.MaxPersistMs + 1) : 0;
        Schedule(latency, new SimEvent(EventKind.PersistDone) { Node = node, Epoch = node.Epoch });
    }

    private void OnFlush(SimNode node, int epoch)
    {
        if (!node.Up || node.Epoch != epoch) return;
        while (node.PageCache.Count > 0 && node.PageCache.Peek().Due <= _now) node.Durable!.Save(node.PageCache.Dequeue().Ready);
    }

    private static MemoryStorage Clone(MemoryStorage source)
    {
        var copy = new MemoryStorage(source.Snapshot);
        if (source.LastIndex >= source.FirstIndex) copy.Append(source.Entries(source.FirstIndex, source.LastIndex + 1, long.MaxValue));
        copy.SetHardState(source.HardState);
        return copy;
    }

    private void OnPersistDone(SimNode node, int epoch)
    {
        if (!node.Up || node.Epoch != epoch || node.Outstanding is null) return;
        var ready = node.Outstanding;
        if (!_options.AcknowledgeBeforePersist) node.Storage.Save(ready);
        if (!node.SentEarly) SendAll(ready.Messages);
        if (ready.SoftState is { } soft) OnSoftState(node, soft);
        if (ready.Snapshot is { } snapshot)
        {
            node.Kv = KvStateMachine.Restore(snapshot.Data);
            node.KvApplied = snapshot.Metadata.Index;
            _report.SnapshotsInstalled++;
        }
        foreach (var entry in ready.CommittedEntries) Apply(node, entry);
        foreach (var read in ready.ReadStates)
        {
            if (!node.PendingReads.Remove(read.Context, out var request)) continue;
            node.ReadsWaitingApply.Add((read.Index, request));
        }
        foreach (var context in ready.DroppedReads)
        {
            if (node.PendingReads.Remove(context, out var request)) Reply(request, ClientReplyKind.NotLeader, null, node.Raft.Leader);
        }
        ServeReadsUpToApplied(node);
        node.Outstanding = null;
        node.Raft.Advance(ready);
        if (_options.CompactEvery > 0 && node.Raft.AppliedIndex >= node.Raft.FirstIndex + (ulong)_options.CompactEvery)
        {
            // The state machine is exactly at the applied index here: its snapshot is the log prefix.
            node.Raft.CompactLog(node.Raft.AppliedIndex, node.Kv.Snapshot());
        }
        Pump(node);
    }

    private void Trace(string line) => _options.Trace?.Invoke($"{_now,7} {line}");

    private void OnSoftState(SimNode node, SoftState soft)
    {
        if (_options.Trace is not null)
            Trace($"node {node.Id}: {soft.Role} term={node.OutstandingTerm} lead={soft.Leader} last={node.Raft.LastIndex}/{node.Raft.LastTerm} commit={node.Raft.CommitIndex} conf={node.Raft.Configuration}");
        if (soft.Role == RaftRole.Leader)
        {
            var term = node.OutstandingTerm;
            if (_options.CheckSafety && _leaderOfTerm.TryGetValue(term, out var other) && other != node.Id)
                throw new SimulationViolationException($"seed {_seed}: election safety broken: nodes {other} and {node.Id} both lead term {term}");
            _leaderOfTerm[term] = node.Id;
        }
        else if (node.PendingReads.Count > 0 && !(soft.Role == RaftRole.Follower && soft.Leader != RaftIds.None))
        {
            // A follower of a known leader keeps the reads it forwarded: those that will not be answered come back
            // in DroppedReads.
            // Reads not yet confirmed will never be: they were not served, so the client may retry elsewhere.
            foreach (var request in node.PendingReads.Values) Reply(request, ClientReplyKind.NotLeader, null, soft.Leader);
            node.PendingReads.Clear();
        }
    }

    private void Apply(SimNode node, Entry entry)
    {
        if (_options.CheckSafety) CheckSameEntryEverywhere(node, entry);

        KvResponse? response = null;
        var opId = -1;
        if (entry.Type == EntryType.Normal && entry.Data.Length > 0)
        {
            var command = KvCommand.Decode(entry.Data);
            opId = command.OpId;
            response = node.Kv.Apply(command.Request);
        }
        node.KvApplied = entry.Index;
        if (node.PendingWrites.Remove(entry.Index, out var pending))
        {
            if (response is not null && opId == pending.Request.OpId && entry.Term == pending.Term)
                Reply(pending.Request, ClientReplyKind.Ok, response, 0);
            else
                Reply(pending.Request, ClientReplyKind.Failed, null, node.Raft.Leader); // another entry took the index: ours never applies
        }
    }

    /// <summary>State-machine safety (Raft §5.4.3): every node applies the same entry at a given index.</summary>
    private void CheckSameEntryEverywhere(SimNode node, Entry entry)
    {
        var hash = entry.Data.Length == 0 ? 0 : HashOf(entry.Data);
        if (!_appliedAt.TryGetValue(entry.Index, out var seen))
        {
            _appliedAt[entry.Index] = (entry.Term, hash);
            return;
        }
        if (seen.Term != entry.Term || seen.Hash != hash)
        {
            throw new SimulationViolationException(
                $"seed {_seed}: state machine safety broken: node {node.Id} applied term {entry.Term} at index {entry.Index}, another node applied term {seen.Term}");
        }
    }

    private static int HashOf(byte[] data)
    {
        var hash = new HashCode();
        hash.AddBytes(data);
        return hash.ToHashCode();
    }

    private void ServeReadsUpToApplied(SimNode node)
    {
        var waiting = node.ReadsWaitingApply;
        for (var i = 0; i < waiting.Count; i++)
        {
            var (index, request) = waiting[i];
            if (index > node.KvApplied) continue;
            Reply(request, ClientReplyKind.Ok, new KvResponse(node.Kv.Get(request.Operation.Key), true), 0);
            waiting.RemoveAt(i);
            i--;
        }
    }

    // ------------------------------------------------------------------ network

    private void SendAll(IReadOnlyList<RaftMessage> messages)
    {
        for (var i = 0; i < messages.Count; i++) Send(messages[i]);
    }

    private void Send(RaftMessage message)
    {
        if (_cut.Contains((message.From, message.To))) return;
        if (_random.Chance(_options.DropRate))
        {
            _report.Count(FaultKinds.Drop);
            return;
        }
        ScheduleDelivery(message);
        if (_random.Chance(_options.DuplicateRate))
        {
            _report.Count(FaultKinds.Duplicate);
            ScheduleDelivery(message);
        }
    }

    private void ScheduleDelivery(RaftMessage message)
    {
        long delay = _options.MinDelayMs + _random.Next(_options.MaxDelayMs - _options.MinDelayMs + 1);
        if (_random.Chance(_options.LongDelayRate))
        {
            _report.Count(FaultKinds.Delay);
            delay += 20 + _random.Next(130);
        }
        Schedule(delay, new SimEvent(EventKind.Deliver) { Message = message });
    }

    private void Deliver(RaftMessage message)
    {
        // A partition that began while the message was in flight still stops it.
        if (_cut.Contains((message.From, message.To))) return;
        if (!_nodes.TryGetValue(message.To, out var node) || !node.Up) return;
        _report.MessagesDelivered++;
        _current = node;
        node.Raft.Step(message);
        Pump(node);
    }
}
