using System.Collections.Concurrent;
using Akka.Actor;
using AkkaRaft.Client;
using AkkaRaft.Client.TimeSeries;
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
/// ref speaks for which node id. It answers <see cref="GetClusterMembers"/> itself, from the member directory, and
/// turns the time-series messages (<see cref="PutTimeData"/>, <see cref="PutTimeDataBatch"/>, <see cref="GetTimeData"/>)
/// into a <see cref="Write"/> or <see cref="Query"/> of the time-series store, answering with
/// <see cref="TimeDataWritten"/>, <see cref="TimeData"/> or <see cref="TimeDataRefused"/> (or the peer's own
/// NotLeader, Overloaded, RequestTimedOut, RequestRejected, StorageUnavailable).
/// </summary>
public sealed class RaftInbox : ReceiveActor
{
    /// <summary>An inbox in front of <paramref name="peer"/>; <paramref name="requestTimeout"/> bounds a time-series request that names no timeout.</summary>
    public RaftInbox(IActorRef peer, RemoteRaftTransport transport, MemberDirectory directory, TimeSpan requestTimeout)
    {
        Receive<GetClusterMembers>(_ => Sender.Tell(new ClusterMembers(
            directory.Members.Select(m => new ClusterMember(m.RaftId, m.Id, m.Raft, m.Http)).ToArray())));
        Receive<PutTimeData>(m => Relay(peer, new Write(TsCommands.Append(m.Series, m.Timestamp, m.Value, m.Unit), m.Timeout ?? requestTimeout, m.OnNotLeader), null));
        Receive<PutTimeDataBatch>(m => Relay(peer, new Write(TsCommands.AppendMany(m.Series, m.Unit), m.Timeout ?? requestTimeout, m.OnNotLeader), null));
        Receive<GetTimeData>(m => Relay(peer, new Query(TsQueries.Range(m.Series, m.From, m.To, unit: m.Unit), m.Level, m.Timeout ?? requestTimeout, m.OnNotLeader), m.Series));
        ReceiveAny(message =>
        {
            if (message is RaftMessage raft) transport.Learn(raft.From, Sender);
            peer.Tell(message, Sender);
        });
    }

    /// <summary>Asks the peer and pipes the translated answer to the sender; the Ask outlives the request's own timeout by a second.</summary>
    private void Relay(IActorRef peer, object request, string? series)
    {
        var timeout = request switch
        {
            Write w => w.Timeout!.Value,
            Query q => q.Timeout!.Value,
            _ => throw new ArgumentException("only writes and queries are relayed", nameof(request)),
        };
        peer.Ask(request, timeout + TimeSpan.FromSeconds(1)).PipeTo(Sender, Self,
            answer => Translate(answer, series),
            failure => failure is AskTimeoutException ? new RequestTimedOut(timeout) : new Status.Failure(failure));
    }

    private static object Translate(object answer, string? series)
    {
        switch (answer)
        {
            case WriteResult written:
            {
                var result = TsResult.Decode(written.Response);
                return result.IsOk
                    ? new TimeDataWritten(result.Appended, result.Duplicates, written.Index, written.Leader)
                    : new TimeDataRefused(result.Status, result.Message, result.FailedSeries, result.OldestAccepted);
            }

            case QueryResponse read:
            {
                var result = TsResult.Decode(read.Response);
                return result.IsOk
                    ? new TimeData(series!, result.Unit, result.Points, read.AppliedIndex, read.Leader)
                    : new TimeDataRefused(result.Status, result.Message, series, result.OldestAccepted);
            }

            default:
                return answer;
        }
    }
}
