using AkkaRaft.Client;
using AkkaRaft.Raft.Core;

namespace AkkaRaft.TestSupport.Simulation;

/// <summary>One node of a <see cref="RaftNetwork"/>: the core, its storage (what survives a crash) and what it applied.</summary>
public sealed class NetworkNode
{
    internal NetworkNode(ulong id, RaftNode raft, MemoryStorage storage)
    {
        Id = id;
        Raft = raft;
        Storage = storage;
    }

    /// <summary>Node id.</summary>
    public ulong Id { get; }

    /// <summary>The core (replaced on restart).</summary>
    public RaftNode Raft { get; internal set; }

    /// <summary>The persisted state.</summary>
    public MemoryStorage Storage { get; }

    /// <summary>Committed entries applied since the last (re)start, after the snapshot restored then.</summary>
    public List<Entry> Applied { get; } = new();

    /// <summary>Snapshot the state machine was last restored from (null: none).</summary>
    public Snapshot? RestoredSnapshot { get; internal set; }

    /// <summary>Confirmed reads received.</summary>
    public List<ReadState> Reads { get; } = new();

    /// <summary>Contexts of the reads the node handed back unconfirmed (<see cref="Ready.DroppedReads"/>).</summary>
    public List<ulong> DroppedReads { get; } = new();

    /// <summary>True while crashed.</summary>
    public bool Down { get; internal set; }

    /// <summary>Payloads of the applied normal, non-empty entries as strings (for assertions).</summary>
    public IReadOnlyList<string> AppliedCommands()
    {
        var result = new List<string>();
        foreach (var e in Applied)
        {
            if (e.Type == EntryType.Normal && e.Data.Length > 0) result.Add(System.Text.Encoding.UTF8.GetString(e.Data));
        }
        return result;
    }
}

/// <summary>
/// A synchronous network of Raft cores for table-driven tests (like etcd's raft test <c>network</c>): messages
/// are delivered in order, one at a time, until the cluster is quiet; links can be cut one way or both,
/// nodes isolated, crashed and restarted from their persisted state, and messages dropped by a filter.
/// </summary>
public sealed class RaftNetwork
{
    private readonly Func<ulong, RaftConfig> _configFor;
    private readonly ulong _seed;
    private readonly Queue<RaftMessage> _queue = new();
    private readonly HashSet<(ulong From, ulong To)> _cut = new();
    private int _restarts;

    /// <summary>Creates a cluster of voters 1..<paramref name="size"/>.</summary>
    /// <param name="size">Number of voters.</param>
    /// <param name="configure">Adjusts each node's config (defaults: election 10 ticks, heartbeat 1, pre-vote and check-quorum on).</param>
    /// <param name="seed">Seed of the election-timeout randomness.</param>
    public RaftNetwork(int size, Func<RaftConfig, RaftConfig>? configure = null, ulong seed = 1)
        : this(Enumerable.Range(1, size).Select(i => (ulong)i).ToArray(), configure, seed)
    {
    }

    /// <summary>Creates a cluster whose initial voters are <paramref name="voters"/>.</summary>
    public RaftNetwork(ulong[] voters, Func<RaftConfig, RaftConfig>? configure = null, ulong seed = 1)
    {
        _seed = seed;
        _configFor = id => (configure ?? (c => c))(new RaftConfig { NodeId = id });
        foreach (var id in voters) AddNode(id, MemoryStorage.ForNewCluster(voters));
    }

    /// <summary>Creates a network over given storages (each node restarts from what its storage holds).</summary>
    public RaftNetwork(IReadOnlyDictionary<ulong, MemoryStorage> storages, Func<RaftConfig, RaftConfig>? configure = null, ulong seed = 1)
    {
        _seed = seed;
        _configFor = id => (configure ?? (c => c))(new RaftConfig { NodeId = id });
        foreach (var (id, storage) in storages) AddNode(id, storage);
    }

    /// <summary>Terms of the entries node <paramref name="id"/> has persisted, from its first index.</summary>
    public ulong[] LogTerms(ulong id)
    {
        var storage = Nodes[id].Storage;
        if (storage.LastIndex < storage.FirstIndex) return [];
        var entries = storage.Entries(storage.FirstIndex, storage.LastIndex + 1, long.MaxValue);
        var terms = new ulong[entries.Length];
        for (var i = 0; i < entries.Length; i++) terms[i] = entries[i].Term;
        return terms;
    }

    /// <summary>The nodes by id.</summary>
    public SortedDictionary<ulong, NetworkNode> Nodes { get; } = new();

    /// <summary>Every message delivered, in order (for tests that check what was said).</summary>
    public List<RaftMessage> Delivered { get; } = new();

    /// <summary>Drops every message for which it returns true (in addition to cut links).</summary>
    public Func<RaftMessage, bool>? DropFilter { get; set; }

    /// <summary>The node with <paramref name="id"/>.</summary>
    public NetworkNode this[ulong id] => Nodes[id];

    /// <summary>The core of node <paramref name="id"/>.</summary>
    public RaftNode Raft(ulong id) => Nodes[id].Raft;

    /// <summary>Adds a node that is not (yet) in any configuration: empty storage, empty configuration.</summary>
    public NetworkNode AddNode(ulong id) => AddNode(id, MemoryStorage.ForJoiningNode());

    private NetworkNode AddNode(ulong id, MemoryStorage storage)
    {
        var node = new NetworkNode(id, NewCore(id, storage), storage);
        Nodes[id] = node;
        return node;
    }

    private RaftNode NewCore(ulong id, MemoryStorage storage) =>
        new(_configFor(id), storage, new SeededRandomSource(_seed * 7919 + id * 104729 + (ulong)_restarts));

    /// <summary>Cuts both directions between two nodes.</summary>
    public void Cut(ulong a, ulong b)
    {
        _cut.Add((a, b));
        _cut.Add((b, a));
    }

    /// <summary>Cuts only messages from <paramref name="from"/> to <paramref name="to"/>.</summary>
    public void CutOneWay(ulong from, ulong to) => _cut.Add((from, to));

    /// <summary>Cuts a node off from every other.</summary>
    public void Isolate(ulong id)
    {
        foreach (var other in Nodes.Keys)
        {
            if (other != id) Cut(id, other);
        }
    }

    /// <summary>Restores every link and removes the drop filter.</summary>
    public void Heal()
    {
        _cut.Clear();
        DropFilter = null;
    }

    /// <summary>Crashes a node: it stops, and messages to it are lost. Its storage keeps what was persisted.</summary>
    public void Crash(ulong id) => Nodes[id].Down = true;

    /// <summary>Restarts a crashed node from its storage only.</summary>
    public void Restart(ulong id)
    {
        var node = Nodes[id];
        _restarts++;
        node.Raft = NewCore(id, node.Storage);
        node.Applied.Clear();
        node.RestoredSnapshot = node.Storage.Snapshot.Metadata.Index > 0 ? node.Storage.Snapshot : null;
        node.Down = false;
    }

    /// <summary>Ticks a node <paramref name="times"/> times, then lets the cluster settle.</summary>
    public void Tick(ulong id, int times = 1)
    {
        for (var i = 0; i < times; i++)
        {
            if (!Nodes[id].Down) Nodes[id].Raft.Tick();
            Stabilize();
        }
    }

    /// <summary>Ticks every live node <paramref name="times"/> times (settling after each round).</summary>
    public void TickAll(int times = 1)
    {
        for (var i = 0; i < times; i++)
        {
            foreach (var node in Nodes.Values)
            {
                if (!node.Down) node.Raft.Tick();
            }
            Stabilize();
        }
    }

    /// <summary>Makes <paramref name="id"/> campaign and settles.</summary>
    public void Campaign(ulong id)
    {
        Nodes[id].Raft.Campaign();
        Stabilize();
    }

    /// <summary>Proposes <paramref name="command"/> at <paramref name="id"/> and settles.</summary>
    public RequestResult Propose(ulong id, string command)
    {
        var result = Nodes[id].Raft.Propose(System.Text.Encoding.UTF8.GetBytes(command));
        Stabilize();
        return result;
    }

    /// <summary>Processes every Ready and delivers every message until nothing is left.</summary>
    public void Stabilize()
    {
        while (true)
        {
            var progressed = false;
            foreach (var node in Nodes.Values)
            {
                if (node.Down) continue;
                while (node.Raft.HasReady)
                {
                    ProcessReady(node);
                    progressed = true;
                }
            }
            if (_queue.Count > 0)
            {
                var message = _queue.Dequeue();
                progressed = true;
                if (Nodes.TryGetValue(message.To, out var target) && !target.Down)
                {
                    Delivered.Add(message);
                    target.Raft.Step(message);
                }
            }
            if (!progressed) return;
        }
    }

    private void ProcessReady(NetworkNode node)
    {
        var ready = node.Raft.GetReady();
        node.Storage.Save(ready);
        foreach (var message in ready.Messages)
        {
            if (_cut.Contains((message.From, message.To))) continue;
            if (DropFilter is not null && DropFilter(message)) continue;
            _queue.Enqueue(message);
        }
        if (ready.Snapshot is not null)
        {
            node.RestoredSnapshot = ready.Snapshot;
            node.Applied.Clear();
        }
        node.Applied.AddRange(ready.CommittedEntries);
        node.Reads.AddRange(ready.ReadStates);
        node.DroppedReads.AddRange(ready.DroppedReads);
        node.Raft.Advance(ready);
    }

    /// <summary>The id of the single node that is leader in the highest term, or 0.</summary>
    public ulong Leader()
    {
        ulong leader = 0, term = 0;
        foreach (var node in Nodes.Values)
        {
            if (node.Down || node.Raft.Role != RaftRole.Leader) continue;
            if (node.Raft.Term >= term)
            {
                term = node.Raft.Term;
                leader = node.Id;
            }
        }
        return leader;
    }

    /// <summary>Ticks everyone until some node is leader (at most <paramref name="maxRounds"/> rounds); returns it or 0.</summary>
    public ulong TickUntilLeader(int maxRounds = 200)
    {
        for (var i = 0; i < maxRounds; i++)
        {
            var leader = Leader();
            if (leader != 0 && Nodes.Values.All(n => n.Down || n.Raft.Leader == leader || _cut.Contains((leader, n.Id)))) return leader;
            TickAll();
        }
        return Leader();
    }
}
