using System.Text;
using AkkaRaft.Actors;
using AkkaRaft.Actors.Simulation;
using AkkaRaft.Kv;
using AkkaRaft.Raft.Core;
using AkkaRaft.Raft.Peer;
using AkkaRaft.Simulation.Tests.Support;

namespace AkkaRaft.Simulation.Tests;

/// <summary>Plain scenarios of a simulated 3-peer group without faults: writes, reads, forwarding, restarts, snapshots, membership.</summary>
public sealed class PeerClusterBasicTests
{
    [Fact]
    public void A_three_peer_group_elects_a_leader_and_answers_a_write_with_the_result_and_the_leader()
    {
        using var _ = NoSynchronizationContext.Enter();
        var group = new Group(seed: 11);
        var leader = group.WaitForLeader();
        var answer = group.Ask(group.Peer(leader), new Write(KvCommands.Put("k", "v1")));
        var written = Assert.IsType<WriteResult>(answer);
        Assert.Equal(leader, written.Leader);
        Assert.True(KvResult.Decode(written.Response).IsOk);
        var read = Assert.IsType<QueryResponse>(group.Ask(group.Peer(leader), new Query(KvQueries.Get("k"), ReadLevel.Consistent)));
        Assert.Equal("v1", Encoding.UTF8.GetString(KvResult.Decode(read.Response).Pair!.Value.Span));
        Assert.Equal(ReadPath.ReadIndex, read.ServedBy);
    }

    /// <summary>A small fault-free group on the simulation dispatcher.</summary>
    internal sealed class Group
    {
        public Group(int seed, int peers = 3, int maxLogCount = 10_000)
        {
            World = new SimulationWorld(seed);
            System = World.CreateSystem("basic", ActorSystemSettings.Default with { StdoutLogLevel = LogLevel.Warning });
            Network = new SimulatedNetwork(World);
            if (Environment.GetEnvironmentVariable("AKKARAFT_TRACE") is { } tracePath)
            {
                var writer = new StreamWriter(tracePath) { AutoFlush = true };
                World.Tracer = e => writer.WriteLine($"{e.Time.TotalMilliseconds} {e.Recipient.Path} <- {e.Message} from {e.Sender?.Path}");
                System.EventStream.Subscribe<object>(e => writer.WriteLine($"EVENT {e}"));
            }
            Ids = Enumerable.Range(1, peers).Select(i => (ulong)i).ToArray();
            var defaults = RaftPeerSettings.Default;
            Settings = defaults with { MaxLogCount = maxLogCount };
            System.EventStream.Subscribe<PeerRoleChanged>(e => Roles[e.NodeId] = e);
            foreach (var id in Ids)
            {
                Disks[id] = new SimulatedDisk(World, 5);
                Start(id);
            }
        }

        public SimulationWorld World { get; }

        public ActorSystem System { get; }

        public SimulatedNetwork Network { get; }

        public ulong[] Ids { get; }

        public RaftPeerSettings Settings { get; }

        public Dictionary<ulong, SimulatedDisk> Disks { get; } = new();

        public Dictionary<ulong, IActorRef> Peers { get; } = new();

        public Dictionary<ulong, PeerRoleChanged> Roles { get; } = new();

        private int _incarnation;

        public IActorRef Peer(ulong id) => Peers[id];

        public void Start(ulong id)
        {
            var disk = Disks[id];
            disk.Reopen();
            var setup = new RaftPeerSetup(id, Ids, Network, () => new KvStateMachine(KvSettings.Default), disk, disk, Settings)
            {
                RandomFactory = () => new SeededRandomSource(id * 31 + (ulong)_incarnation),
            };
            var peer = System.ActorOf(RaftPeer.Props(setup), $"peer-{id}-{++_incarnation}");
            Peers[id] = peer;
            Network.SetPeer(id, peer);
        }

        public void Crash(ulong id)
        {
            System.Stop(Peers[id]);
            Network.SetPeer(id, null);
            Roles.Remove(id);
            Disks[id].Crash();
            World.RunUntilIdle();
        }

        public ulong WaitForLeader()
        {
            ulong leader = 0;
            Assert.True(World.RunUntil(() =>
            {
                leader = Roles.Values.Where(r => r.Role == RaftRole.Leader).Select(r => r.NodeId).FirstOrDefault();
                return leader != 0;
            }, TimeSpan.FromSeconds(10)), "no leader within 10 s of virtual time");
            return leader;
        }

        public object Ask(IActorRef peer, object request)
        {
            var task = peer.Ask<object>(request, TimeSpan.FromSeconds(5));
            Assert.True(World.RunUntilCompleted(task, TimeSpan.FromSeconds(6)), $"no answer to {request}");
            return task.Result;
        }

        public PeerStatus Status(ulong id) => Assert.IsType<PeerStatus>(Ask(Peer(id), GetPeerStatus.Instance));
    }
}
