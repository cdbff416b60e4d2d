using System.Collections.Concurrent;
using Akka.Actor;
using AkkaRaft.Client;
using AkkaRaft.Raft.Core;
using AkkaRaft.Raft.Peer;

namespace AkkaRaft.Server.Node;

/// <summary>
/// Carries Raft messages and forwarded client requests between members over remoting: node id → the member's
/// Raft address in the <see cref="MemberDirectory"/> → <c>akka.tcp://akkaraft@host:port/user/raft</c> (Akka.Remote).
/// Messages to a member whose address is not known yet are dropped (Raft retries). Thread-safe.
/// </summary>
public sealed class RemoteRaftTransport : IRaftTransport
{
    /// <summary>The name of the actor under /user that other members and clients send to (<see cref="RaftInbox"/>).</summary>
    public const string InboxName = RaftPaths.InboxName;

    /// <summary>The name of the Raft peer actor under /user.</summary>
    public const string PeerName = "raft-peer";

    private readonly ActorSystem _system;
    private readonly MemberDirectory _directory;
    private readonly ConcurrentDictionary<ulong, (string Raft, IActorRef Ref)> _refs = new();
    private readonly ConcurrentDictionary<ulong, IActorRef> _learned = new();
    private IActorRef? _self;
    private ulong _selfId;

    private readonly string _protocol;

    /// <summary>A transport that finds members in <paramref name="directory"/>, at addresses of <paramref name="protocol"/> (<c>akka.tcp</c>, or <c>akka.ssl.tcp</c> under TLS).</summary>
    public RemoteRaftTransport(ActorSystem system, MemberDirectory directory, string protocol)
    {
        _system = system;
        _directory = directory;
        _protocol = protocol;
    }

    /// <summary>Sets the local peer, which messages to this node's own id go to directly.</summary>
    public void SetSelf(ulong raftId, IActorRef peer)
    {
        _selfId = raftId;
        _self = peer;
    }

    /// <summary>The actor path of the Raft peer at <paramref name="raftAddress"/>.</summary>
    public static string PeerPath(string protocol, string systemName, string raftAddress) => RaftPaths.Inbox(raftAddress, systemName, protocol);

    /// <summary>
    /// Remembers who sent a message as node <paramref name="raftId"/>: a member whose address is not in the directory
    /// yet (a node that just joined hears from the leader before it learns the leader's record) can still answer.
    /// </summary>
    public void Learn(ulong raftId, IActorRef sender)
    {
        if (raftId == _selfId || sender.IsNobody()) return;
        _learned[raftId] = sender;
    }

    /// <inheritdoc />
    public void Send(RaftMessage message, IActorRef sender)
    {
        RefOf(message.To)?.Tell(message, sender);
    }

    /// <inheritdoc />
    public bool Forward(ulong from, ulong to, object request, IActorRef client)
    {
        var target = RefOf(to);
        if (target is null) return false;
        target.Tell(request, client);
        return true;
    }

    private IActorRef? RefOf(ulong raftId)
    {
        if (raftId == _selfId && _self is not null) return _self;
        var member = _directory.Find(raftId);
        if (member is null) return _learned.TryGetValue(raftId, out var learned) ? learned : null;
        if (_refs.TryGetValue(raftId, out var cached) && cached.Raft == member.Raft) return cached.Ref;
        // Resolving a remote path makes a ref without a round trip; Akka.Remote connects on the first message.
        var resolved = ((ExtendedActorSystem)_system).Provider.ResolveActorRef(PeerPath(_protocol, _system.Name, member.Raft));
        _refs[raftId] = (member.Raft, resolved);
        return resolved;
    }
}

/// <summary>
/// The actor other members and clients send to (<c>/user/raft</c>, also the service ClusterClient reaches through
/// the receptionist): it passes every message on to the Raft peer with its sender, and tells the transport which
/// ref speaks for which node id. It answers <see cref="GetClusterMembers"/> itself, from the member directory.
/// </summary>
public sealed class RaftInbox : ReceiveActor
{
    /// <summary>An inbox in front of <paramref name="peer"/>.</summary>
    public RaftInbox(IActorRef peer, RemoteRaftTransport transport, MemberDirectory directory)
    {
        Receive<GetClusterMembers>(_ => Sender.Tell(new ClusterMembers(
            directory.Members.Select(m => new ClusterMember(m.RaftId, m.Id, m.Raft, m.Http)).ToArray())));
        ReceiveAny(message =>
        {
            if (message is RaftMessage raft) transport.Learn(raft.From, Sender);
            peer.Tell(message, Sender);
        });
    }
}
