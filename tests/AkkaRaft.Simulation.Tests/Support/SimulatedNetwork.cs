using AkkaRaft.Actors;
using AkkaRaft.Actors.Simulation;
using AkkaRaft.Raft.Core;
using AkkaRaft.Raft.Peer;

namespace AkkaRaft.Simulation.Tests.Support;

/// <summary>
/// An <see cref="IRaftTransport"/> for a simulated world: peers' actor refs by node id, with seeded message drops,
/// delays (some long) and partitions (directed cuts). Forwarded client requests cross the same network.
/// </summary>
public sealed class SimulatedNetwork : IRaftTransport
{
    private readonly SimulationWorld _world;
    private readonly Dictionary<ulong, IActorRef> _peers = new();
    private readonly HashSet<(ulong From, ulong To)> _cut = new();

    /// <summary>A network of <paramref name="world"/>.</summary>
    public SimulatedNetwork(SimulationWorld world) => _world = world;

    /// <summary>Probability that a message is lost.</summary>
    public double DropRate { get; set; }

    /// <summary>Largest ordinary delay (ms).</summary>
    public int MaxDelayMs { get; set; } = 5;

    /// <summary>Probability that a message takes 20 to 150 ms extra.</summary>
    public double LongDelayRate { get; set; }

    /// <summary>Probability that a Raft message is delivered twice.</summary>
    public double DuplicateRate { get; set; }

    /// <summary>Messages delivered twice so far.</summary>
    public long Duplicated { get; private set; }

    /// <summary>Messages dropped so far (by loss or partition).</summary>
    public long Dropped { get; private set; }

    /// <summary>Messages delivered late so far.</summary>
    public long Delayed { get; private set; }

    /// <summary>Sets the current actor of node <paramref name="id"/> (null: the node is down).</summary>
    public void SetPeer(ulong id, IActorRef? peer)
    {
        if (peer is null) _peers.Remove(id);
        else _peers[id] = peer;
    }

    /// <summary>Cuts the link from <paramref name="from"/> to <paramref name="to"/>.</summary>
    public void Cut(ulong from, ulong to) => _cut.Add((from, to));

    /// <summary>Heals every cut.</summary>
    public void HealAll() => _cut.Clear();

    /// <summary>Whether any link is cut.</summary>
    public bool HasCuts => _cut.Count > 0;

    /// <inheritdoc />
    public void Send(RaftMessage message, IActorRef sender) => Route(message.From, message.To, message, sender);

    /// <inheritdoc />
    public bool Forward(ulong from, ulong to, object request, IActorRef client)
    {
        if (!_peers.ContainsKey(to)) return false;
        Route(from, to, request, client);
        return true;
    }

    private void Route(ulong from, ulong to, object message, IActorRef sender)
    {
        if (_cut.Contains((from, to)) || _world.Random.Chance(DropRate) || !_peers.TryGetValue(to, out var peer))
        {
            Dropped++;
            return;
        }
        Schedule(from, to, message, sender, peer);
        // Only Raft messages are duplicated: a client request delivered twice would be proposed twice, which
        // only client sessions (a later issue) can deduplicate; the actor transport never duplicates a tell.
        if (message is RaftMessage && _world.Random.Chance(DuplicateRate))
        {
            Duplicated++;
            Schedule(from, to, message, sender, peer);
        }
    }

    private void Schedule(ulong from, ulong to, object message, IActorRef sender, IActorRef peer)
    {
        var delay = _world.Random.NextInt(MaxDelayMs + 1);
        if (_world.Random.Chance(LongDelayRate))
        {
            Delayed++;
            delay += 20 + _world.Random.NextInt(130);
        }
        // Look the peer up again on arrival: a partition that began, or a crash, stops a message in flight.
        _world.Scheduler.ScheduleOnce(TimeSpan.FromMilliseconds(delay), () =>
        {
            if (_cut.Contains((from, to)) || !_peers.TryGetValue(to, out var current) || !ReferenceEquals(current, peer)) return;
            current.Tell(message, sender);
        });
    }
}
