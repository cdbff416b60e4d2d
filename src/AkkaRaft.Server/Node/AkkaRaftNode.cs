using System.Text;
using Akka.Actor;
using Akka.Cluster.Tools.Client;
using Akka.Event;
using AkkaRaft.Client;
using AkkaRaft.Client.Kv;
using AkkaRaft.Configuration;
using AkkaRaft.Kv;
using AkkaRaft.Raft.Core;
using AkkaRaft.Raft.Peer;
using AkkaRaft.Raft.Peer.Snapshots;
using AkkaRaft.Raft.Persistence;
using AkkaRaft.Raft.Remoting;
using AkkaRaft.Raft.StateMachines;
using AkkaRaft.TimeSeries;
using Config = AkkaRaft.Configuration.Config;

namespace AkkaRaft.Server.Node;

/// <summary>
/// One AkkaRaft node: an Akka.NET actor system with Akka.Remote on the Raft address, Akka.Cluster following the Raft
/// configuration (<see cref="NodeCluster"/>), Akka.Persistence.Sql (SQLite under the data directory by default, or
/// PostgreSQL), and a <see cref="RaftPeer"/> over the key/value state machine (or a state machine of your own). The
/// HTTP API (<see cref="Http.HttpFrontEnd"/>) and embedding applications talk to it through <see cref="AskAsync"/>;
/// other Akka apps through the inbox <c>/user/raft</c>, by <c>ActorSelection</c> or by <c>ClusterClient</c> (the inbox
/// is registered with the <see cref="ClusterClientReceptionist"/>).
/// </summary>
public sealed class AkkaRaftNode : IAsyncDisposable
{
    private readonly RaftPersistenceSettings _persistence;
    private readonly CancellationTokenSource _stopping = new();
    private Task _background = Task.CompletedTask;
    private Task _retention = Task.CompletedTask;
    private readonly IActorRef _membership;
    private int _disposed;

    private AkkaRaftNode(ServerSettings settings, Config config, ActorSystem system, HostPort raftAddress,
        RaftPersistenceSettings persistence, NodeEventCounters events, MemberDirectory directory, IActorRef peer, IActorRef membership, KvSettings kv,
        JournalHealth journalHealth)
    {
        JournalHealth = journalHealth;
        _membership = membership;
        Settings = settings;
        Config = config;
        System = system;
        RaftAddress = raftAddress;
        _persistence = persistence;
        Events = events;
        Directory = directory;
        Peer = peer;
        KvSettings = kv;
        RaftId = NodeIds.RaftIdOf(settings.Node.Id);
    }

    /// <summary>The server settings it runs with.</summary>
    public ServerSettings Settings { get; }

    /// <summary>The full configuration.</summary>
    public Config Config { get; }

    /// <summary>The node's actor system (named by <c>akkaraft.node.actor-system-name</c>, <c>akkaraft</c> by default).</summary>
    public ActorSystem System { get; }

    /// <summary>The Raft peer actor (<c>/user/raft-peer</c>, behind the inbox <c>/user/raft</c>): send it the messages of
    /// <c>AkkaRaft.Client</c>'s <c>RaftClientProtocol.cs</c>.</summary>
    public IActorRef Peer { get; }

    /// <summary>The Akka cluster this node is a member of (it follows the Raft configuration; see <see cref="NodeCluster"/>).</summary>
    public Akka.Cluster.Cluster Cluster => Akka.Cluster.Cluster.Get(System);

    /// <summary>Ids and addresses of the members.</summary>
    public MemberDirectory Directory { get; }

    /// <summary>The key/value limits.</summary>
    public KvSettings KvSettings { get; }

    /// <summary>The time-series limits.</summary>
    public TimeSeriesSettings TimeSeriesSettings { get; private init; } = TimeSeriesSettings.Default;

    /// <summary>The node's snapshot port and snapshot files (under <c>snapshots</c> in the data directory).</summary>
    public SnapshotTransfer? Snapshots { get; private init; }

    /// <summary>Whether the node serves the time-series store (its state machine is a <see cref="NodeStateMachine"/>).</summary>
    public bool ServesTimeSeries { get; private init; }

    /// <summary>
    /// Whether the node serves the key/value store (its state machine is a <see cref="NodeStateMachine"/>). A node that
    /// runs a state machine of the user's own does not: key/value commands sent to it would reach the user's machine.
    /// Nor does it keep the replicated member records (they live in the key/value store): its members are the static
    /// peers of its configuration, and joining one is refused.
    /// </summary>
    public bool ServesKeyValue => ServesTimeSeries;

    /// <summary>Whether the peer's journal takes writes (a full disk or a failing database stops it).</summary>
    public JournalHealth JournalHealth { get; }

    /// <summary>This node's Raft id (derived from its name).</summary>
    public ulong RaftId { get; }

    /// <summary>The name of this node.</summary>
    public string Id => Settings.Node.Id;

    /// <summary>The Raft address actually bound (the port is the OS's choice when configured as 0).</summary>
    public HostPort RaftAddress { get; }

    /// <summary>The HTTP address this node advertises; set by the HTTP front end once it listens.</summary>
    public HostPort? HttpAddress { get; private set; }

    /// <summary>Dead letters and remote associations since the node started.</summary>
    internal NodeEventCounters Events { get; }

    /// <summary>Fires when the node is stopping.</summary>
    public CancellationToken Stopping => _stopping.Token;

    /// <summary>The SQLite file (or null under another plugin) whose size /status reports as the journal size.</summary>
    public string? JournalFile => RaftPersistence.SqliteFile(_persistence, Settings.Node.DataDirectoryFullPath);

    /// <summary>
    /// Starts a node with the key/value and time-series stores in one Raft group (<see cref="NodeStateMachine"/>):
    /// opens the data directory, binds the Raft address, starts the peer. The peer founds a one-member cluster when it
    /// has no journal and neither joins nor has static peers.
    /// </summary>
    /// <exception cref="ConfigException">A setting is invalid.</exception>
    /// <exception cref="System.Net.Sockets.SocketException">The Raft address cannot be bound.</exception>
    public static Task<AkkaRaftNode> StartAsync(Config config, CancellationToken cancellationToken = default)
    {
        var kv = KvSettings.FromConfig(config);
        var ts = TimeSeriesSettings.FromConfig(config);
        return StartCoreAsync(config, _ => new NodeStateMachine(new KvStateMachine(kv), ts), servesTimeSeries: true, cancellationToken);
    }

    /// <summary>Starts a node whose replicated state is made by <paramref name="stateMachineFactory"/>.</summary>
    /// <exception cref="ConfigException">A setting is invalid.</exception>
    public static Task<AkkaRaftNode> StartAsync(Config config, Func<IStateMachine> stateMachineFactory, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(stateMachineFactory);
        return StartAsync(config, _ => stateMachineFactory(), cancellationToken);
    }

    /// <summary>
    /// Starts a node whose replicated state is made by <paramref name="stateMachineFactory"/> from the node's actor
    /// system: what a <see cref="TypedStateMachine{TCommand,TQuery}"/> needs to read its commands with the node's
    /// serialization (<c>system =&gt; new YourStateMachine(system)</c>). The factory runs at every start of the Raft peer.
    /// </summary>
    /// <exception cref="ConfigException">A setting is invalid.</exception>
    /// <exception cref="Akka.Configuration.ConfigurationException">Akka refused its configuration, for example a type in
    /// <c>akka.actor.serialization-settings.hyperion.allowed-types</c> that does not load.</exception>
    public static Task<AkkaRaftNode> StartAsync(Config config, Func<ActorSystem, IStateMachine> stateMachineFactory, CancellationToken cancellationToken = default) =>
        StartCoreAsync(config, stateMachineFactory, servesTimeSeries: false, cancellationToken);

    private static async Task<AkkaRaftNode> StartCoreAsync(Config config, Func<ActorSystem, IStateMachine> stateMachineFactory, bool servesTimeSeries, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(config);
        ArgumentNullException.ThrowIfNull(stateMachineFactory);
        var settings = ServerSettings.FromConfig(config);
        var raftSettings = RaftPeerSettings.FromConfig(config);
        var persistence = RaftPersistenceSettings.FromConfig(config);
        var kv = KvSettings.FromConfig(config);
        var timeSeries = TimeSeriesSettings.FromConfig(config);
        var dataDirectory = settings.Node.DataDirectoryFullPath;
        var remoting = RemotingSettings.FromConfig(config);
        var system = NodeCluster.CreateSystem(settings.Node.ActorSystemName, config, settings.RaftAddress.Host, settings.RaftAddress.Port, dataDirectory);
        var events = new NodeEventCounters(system);
        var address = ((ExtendedActorSystem)system).Provider.DefaultAddress;
        var bound = new HostPort(address.Host ?? settings.RaftAddress.Host, address.Port ?? settings.RaftAddress.Port);

        var directory = new MemberDirectory();
        var selfId = NodeIds.RaftIdOf(settings.Node.Id);
        foreach (var peer in settings.Peers)
        {
            directory.Upsert(new Member(peer.Id, peer.RaftAddress.ToString(), ""));
        }

        directory.Upsert(new Member(settings.Node.Id, bound.ToString(), ""));
        var transport = new RemoteRaftTransport(system, directory, RaftRemoting.Protocol(remoting));
        // Snapshots travel outside remoting: the bytes from the leader's snapshot port (sendfile), the metadata as a peer message.
        var log = system.Log;
        // With akkaraft.remote.tls the snapshot port speaks TLS too, with the same certificates and CA as the Raft port.
        var snapshots = new SnapshotTransfer(raftSettings.Transfer, raftSettings.Core.MaxSnapshotBytes, Path.Combine(dataDirectory, "snapshots"), bound.Host,
            e =>
            {
                if (e.Kind is SnapshotTransferEventKind.Refused or SnapshotTransferEventKind.FetchFailed or SnapshotTransferEventKind.DirectoryUnwritable)
                    log.Warning("snapshot transfer: {0} (snapshot {1}, term {2}, offset {3}): {4}", e.Kind, e.Index, e.Term, e.Offset, e.Detail);
                else if (e.Kind is not SnapshotTransferEventKind.ChunkVerified)
                    log.Info("snapshot transfer: {0} (snapshot {1}, term {2}, offset {3})", e.Kind, e.Index, e.Term, e.Offset);
            }, remoting.Tls);
        // A node that joins learns its configuration from the leader; one that founds a cluster starts with its voters.
        IReadOnlyList<ulong> voters = settings.Join.Length > 0 ? [] : settings.Peers.Count > 0 ? settings.Peers.Select(p => NodeIds.RaftIdOf(p.Id)).ToArray() : [selfId];
        var setup = new RaftPeerSetup(selfId, voters, transport, () => stateMachineFactory(system), raftSettings)
        {
            PersistenceId = $"raft-peer-{settings.Node.Id}",
            JournalPluginId = RaftPersistence.JournalPluginId,
            SnapshotPluginId = RaftPersistence.SnapshotPluginId,
            // A command's entry must fit one journal event and one remote frame (an AppendEntries carrying it alone).
            MaxEventBytes = Math.Min(persistence.MaxEventBytes, remoting.MaxPayloadBytes),
            MaxSnapshotStoreBytes = persistence.MaxSnapshotBytes,
            MaxCutEvents = persistence.MaxCutEvents,
            SnapshotTransfer = snapshots,
        };
        var peerRef = system.ActorOf(RaftPeer.SupervisedProps(setup), RemoteRaftTransport.PeerName);
        transport.SetSelf(selfId, peerRef);
        var inbox = system.ActorOf(Props.Create(() => new RaftInbox(peerRef, transport, directory, settings.RequestTimeout)), RemoteRaftTransport.InboxName);
        // Other Akka apps reach the inbox through ClusterClient: ClusterClient.Send("/user/raft", message).
        ClusterClientReceptionist.Get(system).RegisterService(inbox);
        var membership = system.ActorOf(ClusterMembership.Props(peerRef, directory, selfId, settings.DirectoryRefreshInterval, settings.RequestTimeout), "raft-cluster");
        var node = new AkkaRaftNode(settings, config, system, bound, persistence, events, directory, peerRef, membership, kv, setup.JournalHealth)
        {
            TimeSeriesSettings = timeSeries,
            ServesTimeSeries = servesTimeSeries,
            Snapshots = snapshots,
        };
        if (servesTimeSeries && timeSeries.Retention > TimeSpan.Zero) node._retention = Task.Run(() => node.RetainAsync(node._stopping.Token));
        return node;
    }

    /// <summary>
    /// Records the HTTP address the front end listens on, and starts publishing this member's record (on a node that
    /// serves the key/value store, where the records are kept; see <see cref="ServesKeyValue"/>).
    /// </summary>
    public void Advertise(HostPort httpAddress)
    {
        HttpAddress = httpAddress;
        Directory.Upsert(new Member(Id, RaftAddress.ToString(), httpAddress.ToString(), GrpcAddress?.ToString()));
        if (ServesKeyValue) _background = Task.Run(() => MaintainDirectoryAsync(_stopping.Token));
    }

    /// <summary>The gRPC address this node advertises; set by the gRPC front end once it listens (null while off).</summary>
    public HostPort? GrpcAddress { get; private set; }

    /// <summary>
    /// Records the gRPC address the gRPC front end listens on. This member's record carries it from then on (the
    /// directory maintenance started by <see cref="Advertise"/> replicates a changed record), so that followers can
    /// name the leader's gRPC address to a client.
    /// </summary>
    public void AdvertiseGrpc(HostPort grpcAddress)
    {
        GrpcAddress = grpcAddress;
        Directory.Upsert(new Member(Id, RaftAddress.ToString(), HttpAddress?.ToString() ?? "", grpcAddress.ToString()));
    }

    /// <summary>Why a node that runs a state machine of the user's own refuses a key/value request.</summary>
    public const string NoKeyValueReason =
        "this node runs a state machine of your own, which has no key/value store: send its commands through the gRPC StateMachine service or as actor messages";

    /// <summary>
    /// Why a node that runs a state machine of the user's own refuses a join: its members' addresses are not replicated.
    /// </summary>
    public const string NoMemberRecordsReason =
        "this node runs a state machine of your own, which keeps no member records (they live in the key/value store): list every member in akkaraft.cluster.peers on each of them instead of joining; nothing was changed";

    /// <summary>This node as a member record.</summary>
    public Member Self => Directory.Find(RaftId) ?? new Member(Id, RaftAddress.ToString(), HttpAddress?.ToString() ?? "", GrpcAddress?.ToString());

    /// <summary>Has the Akka cluster membership checked against the Raft configuration now (after a membership change).</summary>
    public void CheckClusterMembership() => _membership.Tell(ClusterMembership.Check.Instance);

    /// <summary>The members of the Akka cluster as this node sees them, with their reachability.</summary>
    public IReadOnlyList<ClusterMemberView> ClusterView() => NodeCluster.View(Cluster);

    /// <summary>Asks the peer; an Ask timeout becomes <see cref="RequestTimedOut"/>.</summary>
    public async Task<object> AskAsync(object message, TimeSpan timeout, CancellationToken cancellationToken = default)
    {
        try
        {
            return await Peer.Ask(message, timeout, cancellationToken).ConfigureAwait(false);
        }
        catch (AskTimeoutException)
        {
            return new RequestTimedOut(timeout);
        }
    }

    /// <summary>The peer's status.</summary>
    public async Task<PeerStatus> StatusAsync(CancellationToken cancellationToken = default) =>
        await Peer.Ask<PeerStatus>(GetPeerStatus.Instance, Settings.RequestTimeout, cancellationToken).ConfigureAwait(false);

    /// <summary>Re-reads the member records from the local (stale) state, and makes sure this node's own record is replicated.</summary>
    private async Task MaintainDirectoryAsync(CancellationToken cancellationToken)
    {
        while (!cancellationToken.IsCancellationRequested)
        {
            try
            {
                await RefreshDirectoryAsync(cancellationToken).ConfigureAwait(false);
                await PublishSelfAsync(cancellationToken).ConfigureAwait(false);
            }
            catch (Exception e) when (e is AskTimeoutException or OperationCanceledException or InvalidDataException)
            {
                // The next round tries again; a stopping node leaves the loop below.
            }

            try
            {
                await Task.Delay(Settings.DirectoryRefreshInterval, cancellationToken).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                return;
            }
        }
    }

    /// <summary>
    /// Reads the member records from this node's state machine (a stale read: whatever it has applied). This node's own
    /// record there is left out: its addresses are the ones it listens on now (<see cref="Advertise"/>,
    /// <see cref="AdvertiseGrpc"/>), and the replicated one may be an earlier incarnation's. Read back, that old record
    /// replaced the new gRPC port (":0" picks a new one at each start) and, being then equal to <see cref="Self"/>, was
    /// never published again: followers named a restarted leader at its old port (CI27).
    /// </summary>
    public async Task RefreshDirectoryAsync(CancellationToken cancellationToken = default)
    {
        if (!ServesKeyValue) return;
        var answer = await AskAsync(new Query(KvQueries.List(MemberDirectory.KeyPrefix), ReadLevel.Stale), Settings.RequestTimeout, cancellationToken).ConfigureAwait(false);
        if (answer is not QueryResponse response) return;
        var result = KvResult.Decode(response.Response);
        foreach (var pair in result.Pairs)
        {
            if (Member.TryParse(pair.Value.Span) is { } member && member.RaftId != RaftId) Directory.Upsert(member);
        }
    }

    /// <summary>
    /// Time-series retention: while this node leads, proposes a drop of the blocks older than
    /// <c>akkaraft.time-series.retention</c> every <c>retention-check-interval</c>. The cutoff is in the command, read from
    /// this node's clock once, so every peer drops the same blocks.
    /// </summary>
    private async Task RetainAsync(CancellationToken cancellationToken)
    {
        while (!cancellationToken.IsCancellationRequested)
        {
            try
            {
                await Task.Delay(TimeSeriesSettings.RetentionCheckInterval, cancellationToken).ConfigureAwait(false);
                var status = await StatusAsync(cancellationToken).ConfigureAwait(false);
                if (status.Role != RaftRole.Leader) continue;
                var cutoff = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds() - (long)TimeSeriesSettings.Retention.TotalMilliseconds;
                await AskAsync(new Write(AkkaRaft.Client.TimeSeries.TsCommands.DropBefore(cutoff)), Settings.RequestTimeout, cancellationToken).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                return;
            }
            catch (AskTimeoutException)
            {
                // The next round tries again.
            }
        }
    }

    private async Task PublishSelfAsync(CancellationToken cancellationToken)
    {
        if (HttpAddress is null) return;
        var status = await StatusAsync(cancellationToken).ConfigureAwait(false);
        if (status.Leader == RaftIds.None || !status.Voters.Contains(RaftId)) return;
        var stored = await AskAsync(new Query(KvQueries.Get(MemberDirectory.KeyOf(Id)), ReadLevel.Stale), Settings.RequestTimeout, cancellationToken).ConfigureAwait(false);
        var self = Self;
        if (stored is QueryResponse q && KvResult.Decode(q.Response) is { IsOk: true, Pair: { } pair } && Member.TryParse(pair.Value.Span) == self) return;
        await AskAsync(new Write(KvCommands.Put(MemberDirectory.KeyOf(Id), self.ToJsonBytes())), Settings.RequestTimeout, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>
    /// Stops the node: hands leadership to another voter when this one leads (waiting up to the shutdown timeout),
    /// then stops the actor system and closes the journal (pending writes finish first).
    /// </summary>
    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0) return;
        await _stopping.CancelAsync().ConfigureAwait(false);
        try
        {
            await TransferLeadershipAwayAsync().ConfigureAwait(false);
        }
        catch (Exception e) when (e is AskTimeoutException or OperationCanceledException)
        {
            // Stopping anyway: the others elect a leader after their election timeout.
        }

        try
        {
            await _background.ConfigureAwait(false);
            await _retention.ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
        }

        await CoordinatedShutdown.Get(System).Run(CoordinatedShutdown.ActorSystemTerminateReason.Instance).ConfigureAwait(false);
        if (Snapshots is not null) await Snapshots.DisposeAsync().ConfigureAwait(false);
        _stopping.Dispose();
    }

    private async Task TransferLeadershipAwayAsync()
    {
        var status = await StatusAsync().ConfigureAwait(false);
        if (status.Role != RaftRole.Leader) return;
        var target = status.Voters.FirstOrDefault(v => v != RaftId);
        if (target == RaftIds.None) return;
        await AskAsync(new TransferLeadership(target), Settings.ShutdownTimeout).ConfigureAwait(false);
        var deadline = DateTime.UtcNow + Settings.ShutdownTimeout;
        while (DateTime.UtcNow < deadline)
        {
            status = await StatusAsync().ConfigureAwait(false);
            if (status.Role != RaftRole.Leader) return;
            await Task.Delay(Settings.RaftHeartbeat()).ConfigureAwait(false);
        }
    }

    /// <summary>A one-line description for the console.</summary>
    public override string ToString() => new StringBuilder().Append("node ").Append(Id).Append(" raft ").Append(RaftAddress).ToString();
}

/// <summary>Small helpers over <see cref="ServerSettings"/>.</summary>
internal static class ServerSettingsExtensions
{
    /// <summary>A polling interval short enough to notice a leadership change quickly.</summary>
    public static TimeSpan RaftHeartbeat(this ServerSettings settings) => TimeSpan.FromMilliseconds(Math.Max(10, settings.RequestTimeout.TotalMilliseconds / 100));
}

/// <summary>
/// Counts what an operator watches on <c>/metrics</c> from the actor system's event stream: dead letters, and
/// Akka.Remote's associations with other members (made, and failed).
/// </summary>
internal sealed class NodeEventCounters
{
    private long _deadLetters;
    private long _associations;
    private long _associationErrors;

    public NodeEventCounters(ActorSystem system)
    {
        var counter = system.ActorOf(Props.Create(() => new Subscriber(this)), "event-counters");
        system.EventStream.Subscribe(counter, typeof(AllDeadLetters));
        system.EventStream.Subscribe(counter, typeof(Akka.Remote.AssociatedEvent));
        system.EventStream.Subscribe(counter, typeof(Akka.Remote.AssociationErrorEvent));
    }

    /// <summary>Messages that reached no actor.</summary>
    public long DeadLetters => Interlocked.Read(ref _deadLetters);

    /// <summary>Associations (connections, either way) made with other actor systems.</summary>
    public long Associations => Interlocked.Read(ref _associations);

    /// <summary>Associations that failed.</summary>
    public long AssociationErrors => Interlocked.Read(ref _associationErrors);

    private sealed class Subscriber : ReceiveActor
    {
        public Subscriber(NodeEventCounters counters)
        {
            Receive<AllDeadLetters>(_ => Interlocked.Increment(ref counters._deadLetters));
            Receive<Akka.Remote.AssociatedEvent>(_ => Interlocked.Increment(ref counters._associations));
            Receive<Akka.Remote.AssociationErrorEvent>(_ => Interlocked.Increment(ref counters._associationErrors));
        }
    }
}
