using AkkaRaft.Client;
using AkkaRaft.Client.Kv;
using System.Globalization;
using System.Text;
using System.Text.Json;
using Akka.Actor;
using AkkaRaft.Configuration;
using AkkaRaft.Kv;
using AkkaRaft.Raft.Core;
using AkkaRaft.Raft.Peer;
using AkkaRaft.Raft.Persistence;
using AkkaConfig = Akka.Configuration.Config;
using AkkaConfigurationFactory = Akka.Configuration.ConfigurationFactory;

namespace AkkaRaft.Benchmarks.Raft;

/// <summary>
/// Three <see cref="RaftPeer"/> actors in one Akka.NET actor system, each journaling through Akka.Persistence.Sql
/// into its own SQLite file (WAL) under a temporary directory, as three nodes would on their own disks, running the
/// key/value state machine. The actor system is configured the way a node is: <see cref="RaftPersistence.AkkaConfig"/>
/// for each peer's file, re-rooted under a plugin id of its own, over <see cref="AkkaHandover.ToAkkaConfig"/> of the
/// resolved configuration (reference.conf binds the Raft serializers).
/// </summary>
public sealed class SqlitePeerGroup : IAsyncDisposable
{
    private static readonly ulong[] Ids = [1, 2, 3];

    private readonly string _directory;
    private readonly Dictionary<ulong, IActorRef> _peers = new();
    private readonly TaskCompletionSource<ulong> _elected = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private long _leaderId;
    private long _leaderChanges;

    private SqlitePeerGroup(string directory, ActorSystem system)
    {
        _directory = directory;
        System = system;
    }

    /// <summary>The actor system of the three peers.</summary>
    public ActorSystem System { get; }

    /// <summary>The actor of the peer that last reported itself leader on the event stream.</summary>
    public IActorRef Leader => _peers.TryGetValue((ulong)Interlocked.Read(ref _leaderId), out var leader) ? leader : ActorRefs.Nobody;

    /// <summary>How many times a peer other than the last leader reported itself leader, since the start.</summary>
    public long LeaderChanges => Interlocked.Read(ref _leaderChanges);

    /// <summary>
    /// Starts the group on fresh files, waits for a leader and for its first write to commit.
    /// </summary>
    /// <param name="journalOverrides">HOCON keys set in every peer's journal section (e.g. <c>batch-size = 400</c>), or empty for Akka.Persistence.Sql's defaults.</param>
    public static async Task<SqlitePeerGroup> StartAsync(string journalOverrides = "")
    {
        var directory = Directory.CreateTempSubdirectory("akkaraft-bench-raft-").FullName;
        var resolved = ConfigurationFactory.Default();
        var persistence = RaftPersistenceSettings.FromConfig(resolved);
        var akka = AkkaConfigurationFactory.ParseString("akka.actor.provider = local\nakka.loglevel = WARNING\nakka.stdout-loglevel = WARNING");
        foreach (var id in Ids)
        {
            var peerDirectory = Path.Combine(directory, $"peer-{id}");
            RaftPersistence.PrepareStorage(persistence, peerDirectory);
            akka = akka.WithFallback(PeerPlugins(id, RaftPersistence.AkkaConfig(persistence, peerDirectory), journalOverrides));
        }

        akka = akka.WithFallback(AkkaHandover.ToAkkaConfig(resolved));
        var system = ActorSystem.Create("bench-raft", akka);
        var group = new SqlitePeerGroup(directory, system);
        var listener = system.ActorOf(Props.Create(() => new LeaderListener(group)), "leader-listener");
        system.EventStream.Subscribe(listener, typeof(PeerRoleChanged));

        var transport = new ActorRefTransport();
        foreach (var id in Ids)
        {
            var setup = new RaftPeerSetup(id, Ids, transport, () => new KvStateMachine(KvSettings.Default), RaftPeerSettings.FromConfig(resolved))
            {
                JournalPluginId = JournalPluginId(id),
                SnapshotPluginId = SnapshotPluginId(id),
                MaxEventBytes = persistence.MaxEventBytes,
                MaxSnapshotStoreBytes = persistence.MaxSnapshotBytes,
            };
            group._peers[id] = system.ActorOf(RaftPeer.Props(setup), $"peer-{id}");
            transport.Register(id, group._peers[id]);
        }

        await group._elected.Task.WaitAsync(TimeSpan.FromSeconds(60)).ConfigureAwait(false);
        // The leader's no-op must commit before proposals count as steady state.
        var first = await group.Leader.Ask<object>(new Write(KvCommands.Put("warm", "up"), OnNotLeader: NotLeaderPolicy.Reject), TimeSpan.FromSeconds(30)).ConfigureAwait(false);
        if (first is not WriteResult) throw new InvalidOperationException($"the first write was answered {first}");
        return group;
    }

    /// <summary>The journal plugin id of peer <paramref name="id"/>.</summary>
    public static string JournalPluginId(ulong id) => $"akka.persistence.journal.raft-peer-{id}";

    /// <summary>The snapshot store plugin id of peer <paramref name="id"/>.</summary>
    public static string SnapshotPluginId(ulong id) => $"akka.persistence.snapshot-store.raft-peer-{id}";

    /// <summary>The leader's counters now.</summary>
    public async Task<RaftPeerCounters> LeaderCountersAsync() =>
        (await Leader.Ask<PeerStatus>(GetPeerStatus.Instance, TimeSpan.FromSeconds(10)).ConfigureAwait(false)).Counters;

    /// <summary>The counters of all three peers now.</summary>
    public async Task<RaftPeerCounters[]> AllCountersAsync()
    {
        var all = new RaftPeerCounters[Ids.Length];
        for (var i = 0; i < Ids.Length; i++)
        {
            all[i] = (await _peers[Ids[i]].Ask<PeerStatus>(GetPeerStatus.Instance, TimeSpan.FromSeconds(10)).ConfigureAwait(false)).Counters;
        }

        return all;
    }

    /// <summary>Terminates the actor system and removes the files.</summary>
    public async ValueTask DisposeAsync()
    {
        await System.Terminate().ConfigureAwait(false);
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        try
        {
            Directory.Delete(_directory, recursive: true);
        }
        catch (IOException)
        {
            // A file the OS still holds is left to the temp directory's cleanup.
        }
    }

    /// <summary>
    /// The journal and snapshot store sections <see cref="RaftPersistence.AkkaConfig"/> writes for one file, under
    /// this peer's own plugin ids. Akka.Persistence.Sql's plugins fall back on their defaults for every key not given.
    /// </summary>
    private static AkkaConfig PeerPlugins(ulong id, AkkaConfig node, string journalOverrides)
    {
        var text = new StringBuilder();
        Section(text, JournalPluginId(id), node.GetConfig(RaftPersistence.JournalPluginId), journalOverrides);
        Section(text, SnapshotPluginId(id), node.GetConfig(RaftPersistence.SnapshotPluginId), "");
        return AkkaConfigurationFactory.ParseString(text.ToString());
    }

    private static void Section(StringBuilder text, string pluginId, AkkaConfig plugin, string overrides)
    {
        text.Append(CultureInfo.InvariantCulture, $"{pluginId} {{\n");
        // The keys RaftPersistence.AkkaConfig sets (the rest are Akka.Persistence.Sql's defaults either way).
        foreach (var key in new[] { "class", "plugin-dispatcher", "connection-string", "provider-name", "table-mapping" })
        {
            text.Append(CultureInfo.InvariantCulture, $"  {key} = {Quote(plugin.GetString(key))}\n");
        }

        foreach (var key in new[] { "batch-size", "buffer-size", "parallelism", "replay-batch-size" })
        {
            text.Append(CultureInfo.InvariantCulture, $"  {key} = {plugin.GetInt(key)}\n");
        }

        text.Append(CultureInfo.InvariantCulture, $"  plugin-id = {Quote(pluginId)}\n");
        text.Append(CultureInfo.InvariantCulture, $"  auto-initialize = {(plugin.GetBoolean("auto-initialize") ? "on" : "off")}\n");
        text.Append(overrides).Append("\n}\n");
    }

    private static string Quote(string value) => JsonSerializer.Serialize(value);

    private void OnLeader(ulong id)
    {
        var previous = (ulong)Interlocked.Exchange(ref _leaderId, (long)id);
        if (previous != 0 && previous != id) Interlocked.Increment(ref _leaderChanges);
        _elected.TrySetResult(id);
    }

    /// <summary>Follows the peers' roles on the event stream: the last peer that reported itself leader is the leader.</summary>
    private sealed class LeaderListener : ReceiveActor
    {
        public LeaderListener(SqlitePeerGroup group) =>
            Receive<PeerRoleChanged>(changed =>
            {
                if (changed.Role == RaftRole.Leader) group.OnLeader(changed.NodeId);
            });
    }
}
