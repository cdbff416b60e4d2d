using System.Collections.Concurrent;
using Akka.Actor;
using AkkaRaft.Raft.Core;

namespace AkkaRaft.Raft.Peer;

/// <summary>
/// How a <see cref="RaftPeer"/> reaches the other peers of its group. Raft messages are plain actor messages
/// (the records of <see cref="RaftMessage"/>); an implementation maps a node id to an <see cref="IActorRef"/>,
/// local today, remote once the remoting layer supplies refs with the same API. Delivery is best effort:
/// Raft tolerates loss, duplication and reordering. Implementations must be thread-safe.
/// </summary>
public interface IRaftTransport
{
    /// <summary>Sends <paramref name="message"/> to the peer <see cref="RaftMessage.To"/>; dropped silently when it is unknown.</summary>
    /// <param name="message">The Raft message.</param>
    /// <param name="sender">The sending peer's actor.</param>
    void Send(RaftMessage message, IActorRef sender);

    /// <summary>Passes a client request from peer <paramref name="from"/> on to peer <paramref name="to"/>, keeping the client as sender.</summary>
    /// <returns>False when <paramref name="to"/> is unknown (nothing was sent).</returns>
    bool Forward(ulong from, ulong to, object request, IActorRef client);
}

/// <summary>
/// An <see cref="IRaftTransport"/> over a registry of actor refs: node id → the peer's actor. Register each
/// peer (again after a restart, which gives a new ref) with <see cref="Register"/>. Thread-safe.
/// </summary>
public sealed class ActorRefTransport : IRaftTransport
{
    private readonly ConcurrentDictionary<ulong, IActorRef> _peers = new();

    /// <summary>Makes <paramref name="peer"/> the actor of node <paramref name="nodeId"/>, replacing any earlier one.</summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="nodeId"/> is 0.</exception>
    public void Register(ulong nodeId, IActorRef peer)
    {
        ArgumentOutOfRangeException.ThrowIfZero(nodeId);
        ArgumentNullException.ThrowIfNull(peer);
        _peers[nodeId] = peer;
    }

    /// <summary>Forgets node <paramref name="nodeId"/>: messages to it are dropped.</summary>
    public void Unregister(ulong nodeId) => _peers.TryRemove(nodeId, out _);

    /// <summary>The actor of node <paramref name="nodeId"/>, or null.</summary>
    public IActorRef? PeerOf(ulong nodeId) => _peers.TryGetValue(nodeId, out var peer) ? peer : null;

    /// <inheritdoc />
    public void Send(RaftMessage message, IActorRef sender)
    {
        ArgumentNullException.ThrowIfNull(message);
        if (_peers.TryGetValue(message.To, out var peer)) peer.Tell(message, sender);
    }

    /// <inheritdoc />
    public bool Forward(ulong from, ulong to, object request, IActorRef client)
    {
        ArgumentNullException.ThrowIfNull(request);
        if (!_peers.TryGetValue(to, out var peer)) return false;
        peer.Tell(request, client);
        return true;
    }
}
