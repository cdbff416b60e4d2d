using Akka.Actor;
using Akka.Cluster;
using Akka.Cluster.Tools.Client;
using Akka.Cluster.Tools.PublishSubscribe;
using Akka.Event;
using AkkaRaft.Client;
using AkkaRaft.Raft;
using AkkaRaft.Raft.Peer;
using AkkaRaft.Raft.Remoting;

namespace AkkaRaft.Server.Node;

/// <summary>
/// Akka.Cluster on the Raft addresses, following Raft's configuration: the actor system of a node is a cluster
/// member (<c>akka.actor.provider = cluster</c>) whose membership <see cref="ClusterMembership"/> keeps in step with
/// the Raft group. Raft is the authority; Akka.Cluster never downs anyone by itself (<c>downing-provider-class = ""</c>
/// in reference.conf), so a paused or partitioned member stays a member and is only marked unreachable.
/// </summary>
public static class NodeCluster
{
    /// <summary>
    /// The whole Akka configuration of a node: the cluster provider first, then what <see cref="RaftActorSystem.AkkaConfig"/>
    /// makes of the resolved file (remoting on the Raft address, persistence, reference.conf's <c>akka</c> section),
    /// then the defaults of ClusterClientReceptionist and DistributedPubSub. Those two must be there when the actor system
    /// starts: Akka reads serializer bindings only then, and their extensions add their defaults later, too late to
    /// bind ClusterClient's and DistributedPubSub's protobuf serializers.
    /// </summary>
    /// <exception cref="Configuration.ConfigException">An <c>akkaraft.remote</c> or <c>akkaraft.persistence</c> setting is invalid.</exception>
    public static Akka.Configuration.Config AkkaConfig(AkkaRaft.Configuration.Config resolved, string host, int port, string dataDirectory) =>
        Akka.Configuration.ConfigurationFactory.ParseString("akka.actor.provider = cluster")
            .WithFallback(RaftActorSystem.AkkaConfig(resolved, host, port, dataDirectory))
            .WithFallback(ClusterClientReceptionist.DefaultConfig())
            .WithFallback(DistributedPubSub.DefaultConfig());

    /// <summary>
    /// Creates a node's actor system from <see cref="AkkaConfig"/>, with <see cref="RaftRemoting.ActorSystemSetup"/>:
    /// with <c>akkaraft.remote.tls</c> on, this node's certificate and the cluster CA's validator.
    /// </summary>
    /// <exception cref="Configuration.ConfigException">A setting is invalid, or a TLS file cannot be read.</exception>
    public static ActorSystem CreateSystem(string name, AkkaRaft.Configuration.Config resolved, string host, int port, string dataDirectory) =>
        ActorSystem.Create(name, RaftRemoting.ActorSystemSetup(RemotingSettings.FromConfig(resolved), AkkaConfig(resolved, host, port, dataDirectory)));

    /// <summary>The Akka address of the member whose Raft address is <paramref name="raftAddress"/>, or null when it does not parse.</summary>
    public static Address? AddressOf(Address self, string raftAddress) =>
        HostPort.TryParse(raftAddress, out var hostPort) && hostPort.Port > 0 ? new Address(self.Protocol, self.System, hostPort.Host, hostPort.Port) : null;

    /// <summary>The members of <paramref name="cluster"/> as this node sees them (none once it left or was downed).</summary>
    public static IReadOnlyList<ClusterMemberView> View(Cluster cluster)
    {
        ArgumentNullException.ThrowIfNull(cluster);
        if (cluster.IsTerminated) return [];
        var state = cluster.State;
        var unreachable = state.Unreachable.Select(m => m.UniqueAddress).ToHashSet();
        return state.Members
            .Select(m => new ClusterMemberView(new HostPort(m.Address.Host ?? "", m.Address.Port ?? 0).ToString(), StatusName(m.Status), !unreachable.Contains(m.UniqueAddress)))
            .ToList();
    }

    /// <summary>A member's status as /status spells it (<c>up</c>, <c>weakly-up</c>, ...).</summary>
    public static string StatusName(MemberStatus status) => status switch
    {
        MemberStatus.Joining => "joining",
        MemberStatus.WeaklyUp => "weakly-up",
        MemberStatus.Up => "up",
        MemberStatus.Leaving => "leaving",
        MemberStatus.Exiting => "exiting",
        MemberStatus.Down => "down",
        MemberStatus.Removed => "removed",
        _ => status.ToString().ToLowerInvariant(),
    };
}

/// <summary>
/// Keeps this node's Akka.Cluster membership in step with the Raft group it belongs to, checking every
/// <c>akkaraft.node.directory-refresh-interval</c> and whenever the peer's role or the cluster's members change:
/// <list type="bullet">
/// <item>a node that is in the Raft configuration but not in an Akka cluster joins one through the members it knows
/// from the member directory, the Raft leader's address first (<c>JoinSeedNodes</c>); the leader itself is thus the
/// first seed and forms the cluster when no other member is in one yet (founders, a whole cluster restarted);</item>
/// <item>the Raft leader downs every Akka member whose address is no Raft member's any more, once the directory knows
/// every Raft member's address (a node removed from Raft, or an old address of a node that moved).</item>
/// </list>
/// A member downed this way cannot join again in the same incarnation (Akka's rule): when it is added back to Raft
/// it says so in its log, and joins the Akka cluster when it is restarted.
/// </summary>
internal sealed class ClusterMembership : ReceiveActor, IWithTimers
{
    /// <summary>Check now (the HTTP API sends it after a membership change commits).</summary>
    public sealed record Check
    {
        /// <summary>The single instance.</summary>
        public static Check Instance { get; } = new();
    }

    private sealed record Observed(PeerStatus Status);

    private sealed record AskFailed(Exception Cause);

    private readonly IActorRef _peer;
    private readonly MemberDirectory _directory;
    private readonly ulong _selfId;
    private readonly TimeSpan _interval;
    private readonly TimeSpan _askTimeout;
    private readonly Cluster _cluster = Cluster.Get(Context.System);
    private readonly ILoggingAdapter _log = Context.GetLogger();
    private IReadOnlyList<Address> _seeds = [];
    private bool _asking;
    private bool _toldRestart;

    /// <summary>Follows the peer <paramref name="peer"/> (node <paramref name="selfId"/>), finding addresses in <paramref name="directory"/>.</summary>
    public ClusterMembership(IActorRef peer, MemberDirectory directory, ulong selfId, TimeSpan interval, TimeSpan askTimeout)
    {
        _peer = peer;
        _directory = directory;
        _selfId = selfId;
        _interval = interval;
        _askTimeout = askTimeout;
        Receive<Check>(_ => AskStatus());
        Receive<ClusterEvent.IMemberEvent>(_ => AskStatus());
        Receive<ClusterEvent.CurrentClusterState>(_ => AskStatus());
        Receive<PeerRoleChanged>(_ => AskStatus());
        Receive<Observed>(o =>
        {
            _asking = false;
            Reconcile(o.Status);
        });
        Receive<AskFailed>(_ => _asking = false); // a busy or restarting peer: the next check asks again
    }

    /// <inheritdoc />
    public ITimerScheduler Timers { get; set; } = null!;

    /// <summary>The props of the one instance a node runs.</summary>
    public static Props Props(IActorRef peer, MemberDirectory directory, ulong selfId, TimeSpan interval, TimeSpan askTimeout) =>
        Akka.Actor.Props.Create(() => new ClusterMembership(peer, directory, selfId, interval, askTimeout));

    /// <inheritdoc />
    protected override void PreStart()
    {
        Timers.StartPeriodicTimer("check", Check.Instance, _interval);
        _cluster.Subscribe(Self, ClusterEvent.SubscriptionInitialStateMode.InitialStateAsSnapshot, typeof(ClusterEvent.IMemberEvent));
        Context.System.EventStream.Subscribe(Self, typeof(PeerRoleChanged));
    }

    /// <inheritdoc />
    protected override void PostStop()
    {
        _cluster.Unsubscribe(Self);
        Context.System.EventStream.Unsubscribe(Self);
    }

    private void AskStatus()
    {
        if (_asking) return;
        _asking = true;
        _peer.Ask<PeerStatus>(GetPeerStatus.Instance, _askTimeout)
            .PipeTo(Self, success: status => new Observed(status), failure: e => new AskFailed(e));
    }

    private void Reconcile(PeerStatus status)
    {
        var configured = status.Members.Count > 0 ? status.Members.Select(m => m.NodeId).ToList() : status.Voters.ToList();
        if (!configured.Contains(_selfId)) return; // not yet (or no longer) in the Raft group: nothing to follow
        if (CoordinatedShutdown.Get(Context.System).ShutdownReason is not null) return; // stopping: it leaves the cluster on purpose
        if (_cluster.IsTerminated)
        {
            if (!_toldRestart)
            {
                _toldRestart = true;
                _log.Warning("This node is in the Raft configuration but was removed from the Akka cluster, which it cannot join again in this " +
                             "incarnation; restart it to join the Akka cluster (Raft replication works meanwhile).");
            }

            return;
        }

        if (!IsMember(_cluster.SelfUniqueAddress))
        {
            Join(status, configured);
        }
        else if (status.Role == RaftRole.Leader && _cluster.SelfMember.Status == MemberStatus.Up)
        {
            DownRemoved(configured);
        }
    }

    /// <summary>Joins the Akka cluster through the known members, the Raft leader first; again only when that list changed.</summary>
    private void Join(PeerStatus status, List<ulong> configured)
    {
        if (status.Leader == 0) return; // an election first: it names the member that may form the cluster
        var leader = status.Leader == _selfId ? _cluster.SelfAddress : AddressOf(status.Leader);
        if (leader is null) return;
        var seeds = new List<Address> { leader };
        foreach (var id in configured)
        {
            if (id == _selfId || id == status.Leader) continue;
            if (AddressOf(id) is { } address) seeds.Add(address);
        }

        if (seeds.SequenceEqual(_seeds)) return; // Akka keeps trying these by itself
        _seeds = seeds;
        _log.Info("Joining the Akka cluster through {0} (Raft leader first)", string.Join(", ", seeds));
        _cluster.JoinSeedNodes(seeds);
    }

    /// <summary>Downs the Akka members that are no Raft member's address, when every Raft member's address is known.</summary>
    private void DownRemoved(List<ulong> configured)
    {
        var addresses = new HashSet<Address>();
        foreach (var id in configured)
        {
            if (AddressOf(id) is not { } address) return; // cannot tell who is removed until the directory knows everyone
            addresses.Add(address);
        }

        foreach (var member in _cluster.State.Members)
        {
            if (addresses.Contains(member.Address) || member.Status is MemberStatus.Down or MemberStatus.Removed or MemberStatus.Exiting) continue;
            _log.Warning("Downing Akka cluster member {0}: it is not in the Raft configuration", member.Address);
            _cluster.Down(member.Address);
        }
    }

    private bool IsMember(UniqueAddress node)
    {
        foreach (var member in _cluster.State.Members)
        {
            if (member.UniqueAddress.Equals(node)) return true;
        }

        return false;
    }

    private Address? AddressOf(ulong raftId) =>
        raftId == _selfId ? _cluster.SelfAddress : _directory.Find(raftId) is { } member ? NodeCluster.AddressOf(_cluster.SelfAddress, member.Raft) : null;
}

/// <summary>One member of the Akka cluster as a node sees it.</summary>
/// <param name="Address">host:port of its actor system (its Raft address).</param>
/// <param name="Status">Its membership status (<see cref="NodeCluster.StatusName"/>).</param>
/// <param name="Reachable">False when any member's failure detector marks it unreachable (Akka's reachability, gossiped).</param>
public sealed record ClusterMemberView(string Address, string Status, bool Reachable);
