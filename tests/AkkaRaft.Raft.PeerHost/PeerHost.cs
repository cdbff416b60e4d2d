using System.Globalization;
using Akka.Actor;
using AkkaRaft.Client;
using AkkaRaft.Configuration;
using AkkaRaft.Kv;
using AkkaRaft.Raft.Peer;
using AkkaRaft.Raft.Persistence;
using Config = AkkaRaft.Configuration.Config;

namespace AkkaRaft.Raft.PeerHost;

/// <summary>
/// The line the host prints on standard output once its peer is up: the bound port, and the peer's state as
/// recovered from its journal and snapshot store alone (reported before any other peer or client can reach it).
/// </summary>
/// <param name="Port">The remoting port.</param>
/// <param name="FirstIndex">The first index in the recovered log (the snapshot's index + 1).</param>
/// <param name="LastIndex">The last index of the recovered log (the snapshot's index when the log is empty).</param>
/// <param name="Term">The recovered term.</param>
/// <param name="RecoveredEvents">Journal events replayed (0 when everything came from the snapshot, or for a new group).</param>
public sealed record PeerHostReady(int Port, ulong FirstIndex, ulong LastIndex, ulong Term, long RecoveredEvents)
{
    private const string Prefix = "ready ";

    /// <summary>The line: <c>ready &lt;port&gt; first-index=F last-index=L term=T recovered-events=E</c>.</summary>
    public override string ToString() => string.Create(CultureInfo.InvariantCulture,
        $"{Prefix}{Port} first-index={FirstIndex} last-index={LastIndex} term={Term} recovered-events={RecoveredEvents}");

    /// <summary>Reads a line printed by <see cref="ToString"/>; null for any other line.</summary>
    /// <exception cref="FormatException">The line starts like a ready line but is malformed.</exception>
    public static PeerHostReady? TryParse(string line)
    {
        ArgumentNullException.ThrowIfNull(line);
        if (!line.StartsWith(Prefix, StringComparison.Ordinal)) return null;
        var parts = line[Prefix.Length..].Split(' ');
        if (parts.Length != 5) throw new FormatException($"malformed ready line '{line}'");
        return new PeerHostReady(
            int.Parse(parts[0], CultureInfo.InvariantCulture),
            ulong.Parse(ValueOf(parts[1], "first-index", line), CultureInfo.InvariantCulture),
            ulong.Parse(ValueOf(parts[2], "last-index", line), CultureInfo.InvariantCulture),
            ulong.Parse(ValueOf(parts[3], "term", line), CultureInfo.InvariantCulture),
            long.Parse(ValueOf(parts[4], "recovered-events", line), CultureInfo.InvariantCulture));
    }

    private static string ValueOf(string part, string key, string line) =>
        part.StartsWith(key + "=", StringComparison.Ordinal) ? part[(key.Length + 1)..] : throw new FormatException($"expected {key}= in ready line '{line}'");
}

/// <summary>
/// One Raft peer with the key/value state machine in this process: an actor system with remoting on the peer's
/// address, the journal and snapshot store in SQLite (synchronous=FULL) under the data directory, and the peer
/// behind an inbox that is opened once the peer has recovered.
/// </summary>
public sealed class PeerHost : IAsyncDisposable
{
    private readonly ActorSystem _system;

    private PeerHost(ActorSystem system, PeerHostReady ready)
    {
        _system = system;
        Ready = ready;
    }

    /// <summary>What the host reports once it is up.</summary>
    public PeerHostReady Ready { get; }

    /// <summary>
    /// Starts the peer: binds remoting, opens the SQLite file, starts the peer, waits until it has recovered
    /// (asking its status), and only then creates the inbox the other peers and clients send to.
    /// </summary>
    /// <exception cref="ConfigException">A setting of the config file is invalid.</exception>
    /// <exception cref="System.Net.Sockets.SocketException">The port cannot be bound.</exception>
    public static async Task<PeerHost> StartAsync(PeerHostArguments arguments, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(arguments);
        var config = ConfigurationFactory.ParseFile(arguments.ConfigFile).WithFallback(ConfigurationFactory.Default());
        var self = arguments.Self;
        // The configured journal and snapshot store: SQLite (synchronous=FULL) under the data directory.
        var system = RaftActorSystem.Create(PeerHostPaths.SystemName, config, self.Host, self.Port, arguments.DataDirectory);
        try
        {
            var transport = new StaticPeersTransport(system, self.NodeId, arguments.Peers);
            var setup = CreateSetup(arguments, transport, config);
            // Under the backoff supervisor, as a node runs it: a failed journal write stops the peer, which comes back from its journal.
            var peer = system.ActorOf(RaftPeer.SupervisedProps(setup), PeerHostPaths.PeerName);
            transport.SetSelf(peer);
            var recovered = await WaitUntilRecoveredAsync(peer, setup.Settings.HeartbeatInterval, cancellationToken).ConfigureAwait(false);
            system.ActorOf(Props.Create(() => new PeerInbox(peer)), PeerHostPaths.InboxName);
            var port = ((ExtendedActorSystem)system).Provider.DefaultAddress.Port ?? self.Port;
            var ready = new PeerHostReady(port, recovered.FirstIndex, recovered.LastIndex, recovered.Term, recovered.Counters.RecoveredEvents);
            return new PeerHost(system, ready);
        }
        catch
        {
            await system.Terminate().ConfigureAwait(false);
            throw;
        }
    }

    /// <summary>Everything the peer is made of; it journals through the system's persistence (the default plugin).</summary>
    private static RaftPeerSetup CreateSetup(PeerHostArguments arguments, IRaftTransport transport, Config config)
    {
        var kv = KvSettings.FromConfig(config);
        var voters = arguments.Peers.Select(p => p.NodeId).ToArray();
        var persistence = RaftPersistenceSettings.FromConfig(config);
        return new RaftPeerSetup(arguments.NodeId, voters, transport, () => new KvStateMachine(kv), RaftPeerSettings.FromConfig(config))
        {
            JournalPluginId = RaftPersistence.JournalPluginId,
            SnapshotPluginId = RaftPersistence.SnapshotPluginId,
            MaxEventBytes = persistence.MaxEventBytes,
            MaxSnapshotStoreBytes = persistence.MaxSnapshotBytes,
        };
    }

    /// <summary>
    /// Asks the peer for its status until it reports a configuration (a recovering peer reports none). Nothing but
    /// these asks reaches the peer yet, so the status is what the journal and snapshot store held.
    /// </summary>
    private static async Task<PeerStatus> WaitUntilRecoveredAsync(IActorRef peer, TimeSpan pollInterval, CancellationToken cancellationToken)
    {
        while (true)
        {
            var status = await peer.Ask<PeerStatus>(GetPeerStatus.Instance, cancellationToken: cancellationToken).ConfigureAwait(false);
            if (status.Voters.Count > 0) return status;
            await Task.Delay(pollInterval, cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>Stops the actor system (the journal finishes its pending writes first).</summary>
    public async ValueTask DisposeAsync() => await _system.Terminate().ConfigureAwait(false);
}
