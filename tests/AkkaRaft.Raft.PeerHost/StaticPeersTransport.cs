using Akka.Actor;
using AkkaRaft.Raft.Core;
using AkkaRaft.Raft.Peer;

namespace AkkaRaft.Raft.PeerHost;

/// <summary>Names and paths shared by the host and the tests that talk to it.</summary>
public static class PeerHostPaths
{
    /// <summary>The actor system name of every host.</summary>
    public const string SystemName = "peerhost";

    /// <summary>The actor under /user that other peers and clients send to (<see cref="PeerInbox"/>).</summary>
    public const string InboxName = "raft";

    /// <summary>The Raft peer actor under /user; reached from outside only through the inbox.</summary>
    public const string PeerName = "raft-peer";

    /// <summary>The remote path of the inbox of the host listening at <paramref name="hostPort"/>.</summary>
    public static string InboxPath(string hostPort) => $"akka.tcp://{SystemName}@{hostPort}/user/{InboxName}";
}

/// <summary>
/// An <see cref="IRaftTransport"/> over a fixed group: node id → the inbox of that peer's host process, resolved
/// once (a remote ref reconnects by itself when the process comes back on the same port). Messages to this node's
/// own id go to the local peer. Thread-safe after <see cref="SetSelf"/>.
/// </summary>
public sealed class StaticPeersTransport : IRaftTransport
{
    private readonly ulong _selfId;
    private readonly Dictionary<ulong, IActorRef> _others = new();
    private IActorRef? _self;

    /// <summary>Resolves the inboxes of every peer in <paramref name="peers"/> except <paramref name="selfId"/>.</summary>
    public StaticPeersTransport(ActorSystem system, ulong selfId, IEnumerable<PeerAddress> peers)
    {
        ArgumentNullException.ThrowIfNull(system);
        ArgumentNullException.ThrowIfNull(peers);
        _selfId = selfId;
        foreach (var peer in peers)
        {
            if (peer.NodeId != selfId) _others.Add(peer.NodeId, ((ExtendedActorSystem)system).Provider.ResolveActorRef(PeerHostPaths.InboxPath(peer.HostPort)));
        }
    }

    /// <summary>Sets the local peer actor, which messages to this node's own id go to.</summary>
    public void SetSelf(IActorRef peer) => Volatile.Write(ref _self, peer);

    /// <inheritdoc />
    public void Send(RaftMessage message, IActorRef sender)
    {
        ArgumentNullException.ThrowIfNull(message);
        RefOf(message.To)?.Tell(message, sender);
    }

    /// <inheritdoc />
    public bool Forward(ulong from, ulong to, object request, IActorRef client)
    {
        ArgumentNullException.ThrowIfNull(request);
        var target = RefOf(to);
        if (target is null) return false;
        target.Tell(request, client);
        return true;
    }

    private IActorRef? RefOf(ulong nodeId) =>
        nodeId == _selfId ? Volatile.Read(ref _self) : _others.GetValueOrDefault(nodeId);
}

/// <summary>
/// The actor other peers and clients send to (<c>/user/raft</c>): it passes every message on to the Raft peer,
/// keeping the sender. The host creates it only after the peer has recovered and reported its recovered state,
/// so that nothing from outside reaches the peer before that report.
/// </summary>
public sealed class PeerInbox : ReceiveActor
{
    /// <summary>An inbox in front of <paramref name="peer"/>.</summary>
    public PeerInbox(IActorRef peer)
    {
        ReceiveAny(message => peer.Tell(message, Sender));
    }
}
