using System.Text;
using AkkaRaft.Actors;
using AkkaRaft.Actors.Pattern;
using AkkaRaft.Actors.Serialization;
using AkkaRaft.Actors.Simulation;
using AkkaRaft.Client;
using AkkaRaft.Client.Kv;
using AkkaRaft.Kv;
using AkkaRaft.Persistence;
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

    [Fact]
    public void A_follower_forwards_a_write_to_the_leader_or_answers_not_leader_with_the_hint_as_the_request_asks()
    {
        using var _ = NoSynchronizationContext.Enter();
        var group = new Group(seed: 12);
        var leader = group.WaitForLeader();
        group.World.RunFor(TimeSpan.FromMilliseconds(200));
        var follower = group.Ids.First(id => id != leader);

        var forwarded = Assert.IsType<WriteResult>(group.Ask(group.Peer(follower), new Write(KvCommands.Put("k", "via follower"))));
        Assert.Equal(leader, forwarded.Leader);
        var refused = Assert.IsType<NotLeader>(group.Ask(group.Peer(follower), new Write(KvCommands.Put("k", "refused"), OnNotLeader: NotLeaderPolicy.Reject)));
        Assert.Equal(leader, refused.LeaderHint);

        var read = Assert.IsType<QueryResponse>(group.Ask(group.Peer(follower), new Query(KvQueries.Get("k"), ReadLevel.Consistent)));
        Assert.Equal("via follower", Value(read));
    }

    [Fact]
    public void An_empty_command_is_rejected_and_nothing_is_proposed()
    {
        using var _ = NoSynchronizationContext.Enter();
        var group = new Group(seed: 13);
        var leader = group.WaitForLeader();
        var before = group.Status(leader).LastIndex;
        Assert.IsType<RequestRejected>(group.Ask(group.Peer(leader), new Write([])));
        Assert.Equal(before, group.Status(leader).LastIndex);
    }

    [Fact]
    public void A_default_read_says_it_fell_back_to_read_index_when_lease_reads_are_off_and_uses_the_lease_when_on()
    {
        using var _ = NoSynchronizationContext.Enter();
        var off = new Group(seed: 14);
        var leader = off.WaitForLeader();
        off.Ask(off.Peer(leader), new Write(KvCommands.Put("k", "v")));
        Assert.Equal(ReadPath.ReadIndex, Assert.IsType<QueryResponse>(off.Ask(off.Peer(leader), new Query(KvQueries.Get("k")))).ServedBy);

        var on = new Group(seed: 14, leaseReads: true);
        leader = on.WaitForLeader();
        on.Ask(on.Peer(leader), new Write(KvCommands.Put("k", "v")));
        on.World.RunFor(TimeSpan.FromMilliseconds(200));
        var read = Assert.IsType<QueryResponse>(on.Ask(on.Peer(leader), new Query(KvQueries.Get("k"))));
        Assert.Equal(ReadPath.Lease, read.ServedBy);
        Assert.Equal("v", Value(read));
    }

    [Fact]
    public void A_write_that_cannot_commit_times_out_with_the_request_timeout()
    {
        using var _ = NoSynchronizationContext.Enter();
        var group = new Group(seed: 15);
        var leader = group.WaitForLeader();
        foreach (var other in group.Ids.Where(id => id != leader))
        {
            group.Network.Cut(leader, other);
            group.Network.Cut(other, leader);
        }
        var answer = group.Ask(group.Peer(leader), new Write(KvCommands.Put("k", "lost"), TimeSpan.FromMilliseconds(200)));
        Assert.Equal(TimeSpan.FromMilliseconds(200), Assert.IsType<RequestTimedOut>(answer).After);
    }

    [Fact]
    public void Group_commit_puts_writes_that_arrive_during_a_journal_write_into_one_batch()
    {
        using var _ = NoSynchronizationContext.Enter();
        var group = new Group(seed: 16);
        var leader = group.WaitForLeader();
        group.World.RunFor(TimeSpan.FromMilliseconds(200));
        var before = group.Status(leader).Counters;
        var tasks = Enumerable.Range(0, 50).Select(i => group.Peer(leader).Ask<object>(new Write(KvCommands.Put($"k{i}", "v")), TimeSpan.FromSeconds(5))).ToList();
        Assert.True(group.World.RunUntil(() => tasks.All(t => t.IsCompleted), TimeSpan.FromSeconds(5)));
        Assert.All(tasks, t => Assert.IsType<WriteResult>(t.Result));
        var after = group.Status(leader).Counters;
        var entries = after.EntriesPersisted - before.EntriesPersisted;
        var batches = after.JournalBatches - before.JournalBatches;
        Assert.True(entries >= 50, $"{entries} entries persisted");
        Assert.True(batches < entries / 5, $"{batches} journal batches for {entries} entries");
    }

    [Fact]
    public void Peers_compact_their_logs_and_a_restarted_group_recovers_from_snapshot_plus_tail_losing_nothing_acknowledged()
    {
        using var _ = NoSynchronizationContext.Enter();
        var group = new Group(seed: 17, maxLogCount: 10);
        var leader = group.WaitForLeader();
        for (var i = 0; i < 35; i++) Assert.IsType<WriteResult>(group.Ask(group.Peer(leader), new Write(KvCommands.Put($"k{i % 7}", $"v{i}"))));
        group.World.RunFor(TimeSpan.FromMilliseconds(300));
        foreach (var id in group.Ids)
        {
            var status = group.Status(id);
            Assert.True(status.FirstIndex > 20, $"peer {id} still holds its log from {status.FirstIndex}");
            Assert.True(status.Counters.SnapshotsSaved > 0);
        }

        foreach (var id in group.Ids) group.Crash(id);
        foreach (var id in group.Ids) group.Start(id);
        leader = group.WaitForLeader();
        for (var k = 0; k < 7; k++)
        {
            var read = Assert.IsType<QueryResponse>(group.Ask(group.Peer(leader), new Query(KvQueries.Get($"k{k}"), ReadLevel.Consistent)));
            Assert.Equal($"v{28 + k}", Value(read));
        }
        Assert.True(group.Status(leader).FirstIndex > 20, "the restarted leader rebuilt its log without the snapshot");
    }

    [Fact]
    public void A_lagging_follower_receives_the_snapshot_in_chunks_and_catches_up()
    {
        using var _ = NoSynchronizationContext.Enter();
        var group = new Group(seed: 18, maxLogCount: 10, snapshotChunkBytes: 32);
        var leader = group.WaitForLeader();
        var lagging = group.Ids.First(id => id != leader);
        group.Crash(lagging);
        for (var i = 0; i < 30; i++) Assert.IsType<WriteResult>(group.Ask(group.Peer(leader), new Write(KvCommands.Put($"k{i % 5}", $"v{i}"))));
        group.Start(lagging);
        Assert.True(group.World.RunUntil(() => group.Status(lagging).AppliedIndex >= group.Status(leader).CommitIndex, TimeSpan.FromSeconds(10)));
        Assert.True(group.Status(lagging).Counters.SnapshotsInstalled > 0, "the follower caught up without a snapshot");
        var read = Assert.IsType<QueryResponse>(group.Ask(group.Peer(lagging), new Query(KvQueries.Get("k4"), ReadLevel.Stale)));
        Assert.Equal("v29", Value(read));
        Assert.Equal(ReadPath.Local, read.ServedBy);
    }

    [Fact]
    public void A_voter_added_through_the_log_joins_with_an_empty_journal_and_catches_up()
    {
        using var _ = NoSynchronizationContext.Enter();
        var group = new Group(seed: 19);
        var leader = group.WaitForLeader();
        Assert.IsType<WriteResult>(group.Ask(group.Peer(leader), new Write(KvCommands.Put("k", "before join"))));
        group.AddJoiningPeer(4);
        var changed = Assert.IsType<MembershipChanged>(group.Ask(group.Peer(leader), new AddVoter(4)));
        Assert.Equal(new ulong[] { 1, 2, 3, 4 }, changed.Voters);
        Assert.True(group.World.RunUntil(() => group.Status(4).AppliedIndex >= changed.Index, TimeSpan.FromSeconds(10)));
        Assert.Equal("before join", Value(Assert.IsType<QueryResponse>(group.Ask(group.Peer(4), new Query(KvQueries.Get("k"), ReadLevel.Stale)))));
        Assert.IsType<RequestRejected>(group.Ask(group.Peer(leader), new AddVoter(0)));
    }

    [Fact]
    public void A_failed_journal_write_stops_the_leader_its_backoff_supervisor_starts_it_from_its_journal_and_the_group_goes_on()
    {
        using var _ = NoSynchronizationContext.Enter();
        var group = new Group(seed: 20, supervised: true);
        var leader = group.WaitForLeader();
        Assert.IsType<WriteResult>(group.Ask(group.Peer(leader), new Write(KvCommands.Put("k", "before"))));
        group.Disks[leader].FailNextWrite = true;
        // The client whose write was in the failed batch is not answered (the peer stopped): its own timeout tells it.
        var failed = group.Peer(leader).Ask<object>(new Write(KvCommands.Put("k", "failed write")), TimeSpan.FromSeconds(1));
        group.World.RunUntilCompleted(failed, TimeSpan.FromSeconds(2));
        Assert.IsType<AskTimeoutException>(failed.Exception?.InnerException);
        Assert.True(group.Status(leader).Counters.RecoveredEvents > 0, "the peer did not recover from its journal after the failure");

        var newLeader = group.WaitForLeader();
        var written = group.Ask(group.Peer(newLeader), new Write(KvCommands.Put("k", "after")));
        Assert.IsType<WriteResult>(written);
        Assert.Equal("after", Value(Assert.IsType<QueryResponse>(group.Ask(group.Peer(newLeader), new Query(KvQueries.Get("k"), ReadLevel.Consistent)))));
    }

    [Fact]
    public void A_command_too_large_for_one_journal_event_is_refused_naming_the_setting_and_the_group_goes_on()
    {
        using var _ = NoSynchronizationContext.Enter();
        var group = new Group(seed: 21);
        var leader = group.WaitForLeader();
        var huge = new byte[PersistenceSettings.Default.MaxEventBytes];

        var refused = Assert.IsType<RequestRejected>(group.Ask(group.Peer(leader), new Write(huge)));

        Assert.Contains("max-event-bytes", refused.Reason);
        Assert.IsType<WriteResult>(group.Ask(group.Peer(leader), new Write(KvCommands.Put("k", "small"))));
    }

    [Fact]
    public void A_peer_whose_raft_snapshot_limit_exceeds_what_persistence_can_save_warns_naming_both_settings()
    {
        using var _ = NoSynchronizationContext.Enter();
        var world = new SimulationWorld(22);
        var system = world.CreateSystem("limits", ActorSystemSettings.Default with { StdoutLogLevel = LogLevel.Off });
        var warnings = new List<string>();
        system.EventStream.Subscribe<LogEvent>(e =>
        {
            if (e.Level == LogLevel.Warning) warnings.Add(e.Message);
        });
        var disk = new SimulatedDisk(world, 5);
        var persistence = PersistenceSettings.Default with { MaxSnapshotBytes = 1024 * 1024 };
        PersistenceExtension.Register(system, new PersistencePluginMap().Set("disk", disk, disk), SerializationRegistry.CreateDefault(), persistence);
        var setup = new RaftPeerSetup(1, [1], new SimulatedNetwork(world), () => new KvStateMachine(KvSettings.Default), RaftPeerSettings.Default)
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

    private static string? Value(QueryResponse read)
    {
        var result = KvResult.Decode(read.Response);
        return result.Status == KvStatus.Ok ? Encoding.UTF8.GetString(result.Pair!.Value.Span) : null;
    }

    /// <summary>A small fault-free group on the simulation dispatcher.</summary>
    internal sealed class Group
    {
        private readonly bool _supervised;

        public Group(int seed, int peers = 3, int maxLogCount = 10_000, bool leaseReads = false, int snapshotChunkBytes = 512 * 1024, bool supervised = false)
        {
            _supervised = supervised;
            World = new SimulationWorld(seed);
            System = World.CreateSystem("basic", ActorSystemSettings.Default with { StdoutLogLevel = LogLevel.Warning });
            Network = new SimulatedNetwork(World);
            PersistenceExtension.Register(System, _plugins, SerializationRegistry.CreateDefault());
            if (Environment.GetEnvironmentVariable("AKKARAFT_TRACE") is { } tracePath)
            {
                var writer = new StreamWriter(tracePath) { AutoFlush = true };
                World.Tracer = e => writer.WriteLine($"{e.Time.TotalMilliseconds} {e.Recipient.Path} <- {e.Message} from {e.Sender?.Path}");
                System.EventStream.Subscribe<object>(e => writer.WriteLine($"EVENT {e}"));
            }
            Ids = Enumerable.Range(1, peers).Select(i => (ulong)i).ToArray();
            var defaults = RaftPeerSettings.Default;
            Settings = defaults with { MaxLogCount = maxLogCount, Core = defaults.Core with { LeaseReads = leaseReads, SnapshotChunkBytes = snapshotChunkBytes } };
            System.EventStream.Subscribe<PeerRoleChanged>(e => Roles[e.NodeId] = e);
            foreach (var id in Ids)
            {
                Disks[id] = new SimulatedDisk(World, 5);
                _plugins.Set($"disk-{id}", Disks[id], Disks[id]);
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

        private readonly PersistencePluginMap _plugins = new();

        private int _incarnation;

        public IActorRef Peer(ulong id) => Peers[id];

        public void AddJoiningPeer(ulong id)
        {
            Disks[id] = new SimulatedDisk(World, 5);
            _plugins.Set($"disk-{id}", Disks[id], Disks[id]);
            Start(id, joining: true);
        }

        public void Start(ulong id, bool joining = false)
        {
            var disk = Disks[id];
            disk.Reopen();
            var setup = new RaftPeerSetup(id, joining ? [] : Ids, Network, () => new KvStateMachine(KvSettings.Default), Settings)
            {
                JournalPluginId = $"disk-{id}",
                SnapshotPluginId = $"disk-{id}",
                RandomFactory = () => new SeededRandomSource(id * 31 + (ulong)_incarnation),
            };
            // Supervised: a backoff supervisor starts the peer again after it stopped (a failed journal write stops it).
            var props = _supervised
                ? BackoffSupervisor.Props(Backoff.OnStop(RaftPeer.Props(setup), "peer", TimeSpan.FromMilliseconds(100), TimeSpan.FromSeconds(1), 0.2).WithRandomSeed((long)id))
                : RaftPeer.Props(setup);
            var peer = System.ActorOf(props, $"peer-{id}-{++_incarnation}");
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
