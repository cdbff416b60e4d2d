using System.Text;
using AkkaRaft.Actors;
using AkkaRaft.Actors.Serialization;
using AkkaRaft.Persistence;
using AkkaRaft.Kv;
using AkkaRaft.Persistence.Journal;
using AkkaRaft.Persistence.Sql.Sqlite;
using AkkaRaft.Raft.Core;
using AkkaRaft.Raft.Peer;

namespace AkkaRaft.Simulation.Tests;

/// <summary>
/// A 3-peer group on the thread-pool dispatcher with each peer's journal and snapshots in its own SQLite file
/// (synchronous=FULL) in a temporary directory: a peer is stopped and restarted on its file, then the whole
/// group is, and every acknowledged write is still there.
/// </summary>
public sealed class SqlitePeerClusterTests : IDisposable
{
    private readonly string _directory = Path.Combine(Path.GetTempPath(), "akkaraft-peer-" + Guid.NewGuid().ToString("N"));
    private readonly ActorSystem _system = ActorSystem.Create("sqlite-peers", ActorSystemSettings.Default with { StdoutLogLevel = LogLevel.Off });
    private readonly ActorRefTransport _transport = new();
    private readonly PersistencePluginMap _plugins = new();
    private readonly Dictionary<ulong, IActorRef> _peers = new();
    private readonly ulong[] _ids = [1, 2, 3];
    private readonly RaftPeerSettings _settings;
    private readonly object _gate = new();
    private readonly Dictionary<ulong, PeerRoleChanged> _roles = new();
    private int _incarnation;

    public SqlitePeerClusterTests()
    {
        var defaults = RaftPeerSettings.Default;
        _settings = defaults with { ElectionTimeout = TimeSpan.FromMilliseconds(300), HeartbeatInterval = TimeSpan.FromMilliseconds(30), MaxLogCount = 20 };
        PersistenceExtension.Register(_system, _plugins, SerializationRegistry.CreateDefault());
        _system.EventStream.Subscribe<PeerRoleChanged>(e =>
        {
            lock (_gate) _roles[e.NodeId] = e;
        });
    }

    [Fact]
    public async Task A_sqlite_group_keeps_every_acknowledged_write_across_a_peer_restart_and_a_whole_group_restart()
    {
        foreach (var id in _ids) Start(id);
        var acknowledged = new Dictionary<string, string>();
        for (var i = 0; i < 40; i++)
        {
            var key = $"k{i % 10}";
            await WriteAsync(key, $"v{i}");
            acknowledged[key] = $"v{i}";
        }

        // One peer stops (its actor and its database connection go away) and comes back on the same file.
        var restarted = _ids[1];
        await StopAsync(restarted);
        for (var i = 40; i < 60; i++)
        {
            var key = $"k{i % 10}";
            await WriteAsync(key, $"v{i}");
            acknowledged[key] = $"v{i}";
        }
        Start(restarted);

        // The whole group stops and restarts from its SQLite files.
        foreach (var id in _ids) await StopAsync(id);
        foreach (var id in _ids) Start(id);
        foreach (var (key, value) in acknowledged) Assert.Equal(value, await ReadAsync(key));

        var status = await _peers[restarted].Ask<PeerStatus>(GetPeerStatus.Instance, TimeSpan.FromSeconds(10));
        Assert.True(status.FirstIndex > 1, "the log was never compacted into a snapshot");
    }

    private void Start(ulong id)
    {
        // Each peer on its own file, opened anew for each incarnation.
        var database = SqliteDatabase.Open(Path.Combine(_directory, $"peer-{id}.db"), TimeSpan.FromSeconds(5));
        var journal = new SqliteJournal(database, GroupCommitSettings.Default);
        _plugins.Set($"peer-{id}", journal, new SqliteSnapshotStore(database));
        var setup = new RaftPeerSetup(id, _ids, _transport, () => new KvStateMachine(KvSettings.Default), _settings)
        {
            JournalPluginId = $"peer-{id}",
            SnapshotPluginId = $"peer-{id}",
        };
        var peer = _system.ActorOf(RaftPeer.Props(setup), $"peer-{id}-{++_incarnation}");
        _peers[id] = peer;
        _transport.Register(id, peer);
    }

    private async Task StopAsync(ulong id)
    {
        var peer = _peers[id];
        _transport.Unregister(id);
        var stopped = new TaskCompletionSource();
        var watcher = _system.ActorOf(Props.Create(() => new StopWatcher(peer, stopped)));
        _system.Stop(peer);
        await stopped.Task.WaitAsync(TimeSpan.FromSeconds(10));
        _system.Stop(watcher);
        lock (_gate) _roles.Remove(id);
    }

    private async Task WriteAsync(string key, string value)
    {
        for (var attempt = 0; attempt < 200; attempt++)
        {
            var answer = await TargetPeer().Ask<object>(new Write(KvCommands.Put(key, value), TimeSpan.FromSeconds(5)), TimeSpan.FromSeconds(10));
            if (answer is WriteResult result)
            {
                Assert.True(KvResult.Decode(result.Response).IsOk);
                return;
            }
            await WaitForLeaderAsync();
        }
        Assert.Fail($"the write of {key} was never acknowledged");
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
            await WaitForLeaderAsync();
        }
        Assert.Fail($"the read of {key} was never answered");
        return null;
    }

    private IActorRef TargetPeer()
    {
        lock (_gate)
        {
            foreach (var role in _roles.Values)
            {
                if (role.Role == RaftRole.Leader && _peers.TryGetValue(role.NodeId, out var leader)) return leader;
            }
        }
        return _peers[_ids[0]];
    }

    private async Task WaitForLeaderAsync()
    {
        var elected = new TaskCompletionSource();
        using var subscription = _system.EventStream.Subscribe<PeerRoleChanged>(e =>
        {
            if (e.Role == RaftRole.Leader) elected.TrySetResult();
        });
        lock (_gate)
        {
            if (_roles.Values.Any(r => r.Role == RaftRole.Leader)) return;
        }
        await elected.Task.WaitAsync(TimeSpan.FromSeconds(20));
    }

    public void Dispose()
    {
        _system.Dispose();
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

    private sealed class StopWatcher : ReceiveActor
    {
        public StopWatcher(IActorRef subject, TaskCompletionSource stopped)
        {
            Receive<Terminated>(_ => stopped.TrySetResult());
            Context.Watch(subject);
        }
    }
}
