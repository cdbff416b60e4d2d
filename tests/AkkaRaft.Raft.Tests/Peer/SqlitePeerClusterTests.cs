using System.Text;
using Akka.Actor;
using AkkaRaft.Client;
using AkkaRaft.Client.Kv;
using AkkaRaft.Configuration;
using AkkaRaft.Kv;
using AkkaRaft.Raft.Core;
using AkkaRaft.Raft.Peer;
using AkkaRaft.Raft.Persistence;

namespace AkkaRaft.Raft.Tests.Peer;

/// <summary>
/// A 3-peer group of RaftPeer actors in one actor system, journaling through Akka.Persistence.Sql into one SQLite
/// file (synchronous=FULL) in a temporary directory: a peer is stopped and restarted on its journal, then the whole
/// actor system is terminated and a new one recovers the group from the file, and every acknowledged write is there.
/// </summary>
public sealed class SqlitePeerClusterTests : IAsyncLifetime
{
    private readonly string _directory = Directory.CreateTempSubdirectory("akkaraft-peer-").FullName;
    private readonly ActorRefTransport _transport = new();
    private readonly Dictionary<ulong, IActorRef> _peers = new();
    private readonly ulong[] _ids = [1, 2, 3];
    private readonly RaftPeerSettings _settings = RaftPeerSettings.Default with
    {
        ElectionTimeout = TimeSpan.FromMilliseconds(300), HeartbeatInterval = TimeSpan.FromMilliseconds(30), MaxLogCount = 20,
    };
    private readonly RoleListener.Roles _roles = new();
    private ActorSystem _system = null!;
    private int _incarnation;
    private long _maxCutEvents = RaftPersistenceSettings.Default.MaxCutEvents;

    public Task InitializeAsync()
    {
        StartSystem();
        return Task.CompletedTask;
    }

    [Fact]
    public async Task A_sqlite_group_keeps_every_acknowledged_write_across_a_peer_restart_and_a_whole_system_restart()
    {
        foreach (var id in _ids) Start(id);
        var acknowledged = new Dictionary<string, string>();
        for (var i = 0; i < 40; i++)
        {
            var key = $"k{i % 10}";
            await WriteAsync(key, $"v{i}");
            acknowledged[key] = $"v{i}";
        }

        // One peer stops and comes back on its journal.
        var restarted = _ids[1];
        await StopAsync(restarted);
        for (var i = 40; i < 60; i++)
        {
            var key = $"k{i % 10}";
            await WriteAsync(key, $"v{i}");
            acknowledged[key] = $"v{i}";
        }
        Start(restarted);

        // The whole actor system goes away (journal connections included) and a new one recovers the group from the file.
        await _system.Terminate();
        _peers.Clear();
        _roles.Clear();
        StartSystem();
        foreach (var id in _ids) Start(id);
        foreach (var (key, value) in acknowledged) Assert.Equal(value, await ReadAsync(key));

        var status = await _peers[restarted].Ask<PeerStatus>(GetPeerStatus.Instance, TimeSpan.FromSeconds(10));
        Assert.True(status.FirstIndex > 1, "the log was never compacted into a snapshot");
    }

    [Fact]
    public async Task A_journal_cut_in_steps_of_three_events_deletes_every_event_the_snapshots_made_redundant()
    {
        _maxCutEvents = 3;
        foreach (var id in _ids) Start(id);
        for (var i = 0; i < 80; i++) await WriteAsync($"k{i % 10}", $"v{i}");

        // Each peer's log was compacted (max-log-count 20) several times; every cut went in steps of 3 events, and the
        // steps go on until no event below the peer's snapshot record is left.
        var settings = RaftPersistenceSettings.FromConfig(ConfigurationFactory.Default());
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(30);
        foreach (var id in _ids)
        {
            var persistenceId = $"raft-peer-{id}";
            long snapshotAt = 0, left = -1;
            while (DateTime.UtcNow < deadline)
            {
                snapshotAt = Scalar(RaftPersistence.SqliteSnapshotConnectionString(settings, _directory),
                    $"SELECT coalesce(max(sequence_number), 0) FROM snapshot WHERE persistence_id = '{persistenceId}';");
                left = Scalar(RaftPersistence.SqliteConnectionString(settings, _directory),
                    $"SELECT count(*) FROM journal WHERE persistence_id = '{persistenceId}' AND deleted = 0 AND sequence_number < {snapshotAt};");
                if (snapshotAt > 10 && left == 0) break;
                await Task.Delay(50);
            }

            Assert.True(snapshotAt > 10, $"peer {id} saved no snapshot record past sequence number 10");
            Assert.True(left == 0, $"peer {id}: {left} events below its snapshot record at {snapshotAt} were never deleted");
        }
    }

    private static long Scalar(string connectionString, string sql)
    {
        using var connection = new Microsoft.Data.Sqlite.SqliteConnection(connectionString);
        connection.Open();
        using var command = connection.CreateCommand();
        command.CommandText = sql;
        return Convert.ToInt64(command.ExecuteScalar(), System.Globalization.CultureInfo.InvariantCulture);
    }

    private void StartSystem()
    {
        var config = ConfigurationFactory.ParseString("akkaraft.remote.maximum-frame-size-bytes = 4MiB").WithFallback(ConfigurationFactory.Default());
        var akka = Akka.Configuration.ConfigurationFactory.ParseString("akka.actor.provider = local")
            .WithFallback(RaftPersistence.AkkaConfig(RaftPersistenceSettings.FromConfig(config), _directory))
            .WithFallback(AkkaHandover.ToAkkaConfig(config));
        RaftPersistence.PrepareStorage(RaftPersistenceSettings.FromConfig(config), _directory);
        _system = ActorSystem.Create("sqlite-peers", akka);
        var listener = _system.ActorOf(Props.Create(() => new RoleListener(_roles)));
        _system.EventStream.Subscribe(listener, typeof(PeerRoleChanged));
    }

    private void Start(ulong id)
    {
        var setup = new RaftPeerSetup(id, _ids, _transport, () => new KvStateMachine(KvSettings.Default), _settings)
        {
            JournalPluginId = RaftPersistence.JournalPluginId,
            SnapshotPluginId = RaftPersistence.SnapshotPluginId,
            MaxCutEvents = _maxCutEvents,
        };
        var peer = _system.ActorOf(RaftPeer.Props(setup), $"peer-{id}-{++_incarnation}");
        _peers[id] = peer;
        _transport.Register(id, peer);
    }

    private async Task StopAsync(ulong id)
    {
        var peer = _peers[id];
        _transport.Unregister(id);
        await peer.GracefulStop(TimeSpan.FromSeconds(10));
        _roles.Remove(id);
    }

    private async Task WriteAsync(string key, string value)
    {
        object? answer = null;
        for (var attempt = 0; attempt < 200; attempt++)
        {
            answer = await TargetPeer().Ask<object>(new Write(KvCommands.Put(key, value), TimeSpan.FromSeconds(5)), TimeSpan.FromSeconds(10));
            if (answer is WriteResult result)
            {
                Assert.True(KvResult.Decode(result.Response).IsOk);
                return;
            }
            await _roles.WaitForLeaderAsync(TimeSpan.FromSeconds(20));
        }
        Assert.Fail($"the write of {key} was never acknowledged; the last answer was {answer}");
    }

    private async Task<string?> ReadAsync(string key)
    {
        for (var attempt = 0; attempt < 200; attempt++)
        {
            var answer = await TargetPeer().Ask<object>(new Query(KvQueries.Get(key), ReadLevel.Consistent), TimeSpan.FromSeconds(10));
            if (answer is QueryResponse response)
            {
                var result = KvResult.Decode(response.Response);
                return result.Status == KvStatus.Ok ? Encoding.UTF8.GetString(result.Pair!.Value.Span) : null;
            }
            await _roles.WaitForLeaderAsync(TimeSpan.FromSeconds(20));
        }
        Assert.Fail($"the read of {key} was never answered");
        return null;
    }

    private IActorRef TargetPeer() =>
        _roles.Leader() is { } leader && _peers.TryGetValue(leader, out var peer) ? peer : _peers[_ids[0]];

    public async Task DisposeAsync()
    {
        await _system.Terminate();
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        try
        {
            Directory.Delete(_directory, recursive: true);
        }
        catch (IOException)
        {
            // A file still held by the OS is left to the temp directory's cleanup.
        }
    }
}

/// <summary>Keeps the last <see cref="PeerRoleChanged"/> of each peer, from the event stream.</summary>
internal sealed class RoleListener : ReceiveActor
{
    public RoleListener(Roles roles) => Receive<PeerRoleChanged>(roles.Set);

    /// <summary>The roles seen, shared with the test thread.</summary>
    public sealed class Roles
    {
        private readonly object _gate = new();
        private readonly Dictionary<ulong, PeerRoleChanged> _roles = new();
        private TaskCompletionSource _elected = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public void Set(PeerRoleChanged role)
        {
            lock (_gate)
            {
                _roles[role.NodeId] = role;
                if (role.Role == RaftRole.Leader) _elected.TrySetResult();
            }
        }

        public void Remove(ulong id)
        {
            lock (_gate) _roles.Remove(id);
        }

        public void Clear()
        {
            lock (_gate) _roles.Clear();
        }

        public ulong? Leader()
        {
            lock (_gate)
            {
                foreach (var role in _roles.Values)
                {
                    if (role.Role == RaftRole.Leader) return role.NodeId;
                }
                return null;
            }
        }

        public async Task WaitForLeaderAsync(TimeSpan timeout)
        {
            Task elected;
            lock (_gate)
            {
                if (Leader() is not null) return;
                if (_elected.Task.IsCompleted) _elected = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
                elected = _elected.Task;
            }
            await elected.WaitAsync(timeout);
        }
    }
}
