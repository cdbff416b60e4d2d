using System.Runtime.Serialization;
using Akka.Actor;
using Akka.Serialization;
using AkkaRaft.Raft.Core;
using AkkaRaft.Raft.Peer;
using AkkaRaft.Raft.Wire.Protocol;
using Google.Protobuf;
using AkkaRaft.Raft.Protos;

namespace AkkaRaft.Raft.Wire;

/// <summary>
/// Protobuf forms (<c>Wire/raft_wire.proto</c>) of the Raft peer messages (manifest <c>p</c>) and of the client
/// protocol (manifest <c>c</c>). No type names travel: the manifest picks the envelope and its oneof case picks the
/// record. Bound in <c>reference.conf</c> (<c>akka.actor.serialization-bindings</c>) to <see cref="IRaftWireMessage"/>.
/// </summary>
/// <remarks>
/// An unknown manifest or a payload that does not parse is a <see cref="SerializationException"/>: Akka.Remote drops
/// that one message and keeps the connection.
/// </remarks>
public sealed class RaftWireSerializer : SerializerWithStringManifest
{
    /// <summary>This serializer's identifier on the wire (<c>akka.actor.serialization-identifiers</c>).</summary>
    public const int Id = 101;

    private const string PeerManifest = "p";
    private const string ClientManifest = "c";

    /// <summary>Created by Akka's serialization extension from the configuration.</summary>
    public RaftWireSerializer(ExtendedActorSystem system) : base(system)
    {
    }

    /// <inheritdoc />
    public override int Identifier => Id;

    /// <summary>Whether this serializer carries messages of <paramref name="type"/>.</summary>
    public static bool CanSerialize(Type type) =>
        typeof(RaftMessage).IsAssignableFrom(type)
        || type == typeof(Write) || type == typeof(WriteResult) || type == typeof(Query) || type == typeof(QueryResponse)
        || type == typeof(NotLeader) || type == typeof(Overloaded) || type == typeof(RequestTimedOut) || type == typeof(RequestRejected)
        || type == typeof(AddVoter) || type == typeof(RemoveVoter) || type == typeof(MembershipChanged)
        || type == typeof(TransferLeadership) || type == typeof(GetPeerStatus) || type == typeof(PeerStatus);

    /// <inheritdoc />
    public override string Manifest(object o) => o switch
    {
        RaftMessage => PeerManifest,
        _ when CanSerialize(o.GetType()) => ClientManifest,
        _ => throw Unknown(o),
    };

    /// <inheritdoc />
    public override byte[] ToBinary(object obj)
    {
        ArgumentNullException.ThrowIfNull(obj);
        IMessage wire = obj is RaftMessage peer ? ToWire(peer) : ToWireClient(obj);
        return wire.ToByteArray();
    }

    /// <inheritdoc />
    public override object FromBinary(byte[] bytes, string manifest)
    {
        ArgumentNullException.ThrowIfNull(bytes);
        try
        {
            return manifest switch
            {
                PeerManifest => FromWire(WirePeerMessage.Parser.ParseFrom(bytes)),
                ClientManifest => FromWireClient(WireClientMessage.Parser.ParseFrom(bytes)),
                _ => throw new SerializationException($"The Raft wire serializer has no manifest '{manifest}' (it knows '{PeerManifest}' and '{ClientManifest}')."),
            };
        }
        catch (InvalidProtocolBufferException e)
        {
            throw new SerializationException($"A Raft wire message (manifest '{manifest}', {bytes.Length} bytes) does not parse: {e.Message}", e);
        }
        catch (InvalidDataException e)
        {
            // It parsed, but holds what no peer sends (an entry of an unknown type): as bad as garbage.
            throw new SerializationException($"A Raft wire message (manifest '{manifest}') is invalid: {e.Message}", e);
        }
    }

    // ------------------------------------------------------------------ peer messages

    private static WirePeerMessage ToWire(RaftMessage message)
    {
        var wire = new WirePeerMessage { From = message.From, To = message.To, Term = message.Term };
        switch (message)
        {
            case RequestVote m:
                wire.RequestVote = new WireRequestVote
                {
                    LastLogIndex = m.LastLogIndex, LastLogTerm = m.LastLogTerm, PreVote = m.PreVote, LeadershipTransfer = m.LeadershipTransfer,
                };
                break;
            case RequestVoteResponse m:
                wire.RequestVoteResponse = new WireRequestVoteResponse { PreVote = m.PreVote, Granted = m.Granted };
                break;
            case AppendEntries m:
                var append = new WireAppendEntries { PrevLogIndex = m.PrevLogIndex, PrevLogTerm = m.PrevLogTerm, LeaderCommit = m.LeaderCommit };
                foreach (var e in m.Entries)
                {
                    append.Entries.Add(RaftProtoTypes.ToProto(e));
                }

                wire.AppendEntries = append;
                break;
            case AppendEntriesResponse m:
                wire.AppendEntriesResponse = new WireAppendEntriesResponse
                {
                    Success = m.Success, Index = m.Index, RejectHint = m.RejectHint, LogTermHint = m.LogTermHint,
                };
                break;
            case Heartbeat m:
                wire.Heartbeat = new WireHeartbeat { Commit = m.Commit, Round = m.Round };
                break;
            case HeartbeatResponse m:
                wire.HeartbeatResponse = new WireHeartbeatResponse { Round = m.Round };
                break;
            case InstallSnapshot m:
                wire.InstallSnapshot = new WireInstallSnapshot
                {
                    SnapshotIndex = m.Metadata.Index, SnapshotTerm = m.Metadata.Term, ConfState = RaftProtoTypes.ToProto(m.Metadata.ConfState),
                    Offset = m.Offset, Chunk = ByteString.CopyFrom(m.Chunk), TotalBytes = m.TotalBytes, Done = m.Done,
                };
                break;
            case InstallSnapshotResponse m:
                wire.InstallSnapshotResponse = new WireInstallSnapshotResponse { SnapshotIndex = m.SnapshotIndex, NextOffset = m.NextOffset };
                break;
            case TimeoutNow:
                wire.TimeoutNow = new WireTimeoutNow();
                break;
            default:
                throw Unknown(message);
        }

        return wire;
    }

    private static RaftMessage FromWire(WirePeerMessage w) => w.BodyCase switch
    {
        WirePeerMessage.BodyOneofCase.RequestVote => new RequestVote(w.From, w.To, w.Term, w.RequestVote.LastLogIndex, w.RequestVote.LastLogTerm,
            w.RequestVote.PreVote, w.RequestVote.LeadershipTransfer),
        WirePeerMessage.BodyOneofCase.RequestVoteResponse => new RequestVoteResponse(w.From, w.To, w.Term, w.RequestVoteResponse.PreVote, w.RequestVoteResponse.Granted),
        WirePeerMessage.BodyOneofCase.AppendEntries => new AppendEntries(w.From, w.To, w.Term, w.AppendEntries.PrevLogIndex, w.AppendEntries.PrevLogTerm,
            RaftProtoTypes.ToEntries(w.AppendEntries.Entries), w.AppendEntries.LeaderCommit),
        WirePeerMessage.BodyOneofCase.AppendEntriesResponse => new AppendEntriesResponse(w.From, w.To, w.Term, w.AppendEntriesResponse.Success,
            w.AppendEntriesResponse.Index, w.AppendEntriesResponse.RejectHint, w.AppendEntriesResponse.LogTermHint),
        WirePeerMessage.BodyOneofCase.Heartbeat => new Heartbeat(w.From, w.To, w.Term, w.Heartbeat.Commit, w.Heartbeat.Round),
        WirePeerMessage.BodyOneofCase.HeartbeatResponse => new HeartbeatResponse(w.From, w.To, w.Term, w.HeartbeatResponse.Round),
        WirePeerMessage.BodyOneofCase.InstallSnapshot => new InstallSnapshot(w.From, w.To, w.Term,
            new SnapshotMetadata(w.InstallSnapshot.SnapshotIndex, w.InstallSnapshot.SnapshotTerm, RaftProtoTypes.ToConfState(w.InstallSnapshot.ConfState)),
            w.InstallSnapshot.Offset, w.InstallSnapshot.Chunk.ToByteArray(), w.InstallSnapshot.TotalBytes, w.InstallSnapshot.Done),
        WirePeerMessage.BodyOneofCase.InstallSnapshotResponse => new InstallSnapshotResponse(w.From, w.To, w.Term,
            w.InstallSnapshotResponse.SnapshotIndex, w.InstallSnapshotResponse.NextOffset),
        WirePeerMessage.BodyOneofCase.TimeoutNow => new TimeoutNow(w.From, w.To, w.Term),
        _ => throw new SerializationException("A Raft peer message arrived without a body."),
    };

    // ------------------------------------------------------------------ client protocol

    private static WireClientMessage ToWireClient(object message)
    {
        var wire = new WireClientMessage();
        switch (message)
        {
            case Write m:
                wire.Write = new WireWrite
                {
                    Command = ByteString.CopyFrom(m.Command), TimeoutMs = Millis(m.Timeout), RejectWhenNotLeader = m.OnNotLeader == NotLeaderPolicy.Reject, Hops = m.Hops,
                };
                break;
            case WriteResult m:
                wire.WriteResult = new WireWriteResult { Response = ByteString.CopyFrom(m.Response.Span), Index = m.Index, Leader = m.Leader };
                break;
            case Query m:
                wire.Query = new WireQuery
                {
                    Bytes = ByteString.CopyFrom(m.Bytes), Level = (uint)m.Level, TimeoutMs = Millis(m.Timeout),
                    RejectWhenNotLeader = m.OnNotLeader == NotLeaderPolicy.Reject, Hops = m.Hops,
                };
                break;
            case QueryResponse m:
                wire.QueryResponse = new WireQueryResponse
                {
                    Response = ByteString.CopyFrom(m.Response.Span), AppliedIndex = m.AppliedIndex, Leader = m.Leader, ServedBy = (uint)m.ServedBy,
                };
                break;
            case NotLeader m:
                wire.NotLeader = new WireNotLeader { LeaderHint = m.LeaderHint, Reason = m.Reason };
                break;
            case Overloaded m:
                wire.Overloaded = new WireReason { Reason = m.Reason };
                break;
            case RequestTimedOut m:
                wire.TimedOut = new WireTimedOut { AfterMs = (long)m.After.TotalMilliseconds };
                break;
            case RequestRejected m:
                wire.Rejected = new WireReason { Reason = m.Reason };
                break;
            case AddVoter m:
                wire.AddVoter = new WireMembership { NodeId = m.NodeId, TimeoutMs = Millis(m.Timeout) };
                break;
            case RemoveVoter m:
                wire.RemoveVoter = new WireMembership { NodeId = m.NodeId, TimeoutMs = Millis(m.Timeout) };
                break;
            case MembershipChanged m:
                wire.MembershipChanged = new WireMembershipChanged { Index = m.Index };
                wire.MembershipChanged.Voters.AddRange(m.Voters);
                break;
            case TransferLeadership m:
                wire.TransferLeadership = new WireTransferLeadership { Target = m.Target };
                break;
            case GetPeerStatus:
                wire.GetPeerStatus = new WireGetPeerStatus();
                break;
            case PeerStatus m:
                var status = new WirePeerStatus
                {
                    NodeId = m.NodeId, Role = (uint)m.Role, Term = m.Term, Leader = m.Leader, CommitIndex = m.CommitIndex, AppliedIndex = m.AppliedIndex,
                    FirstIndex = m.FirstIndex, LastIndex = m.LastIndex, JournalBatches = m.Counters.JournalBatches,
                    EntriesPersisted = m.Counters.EntriesPersisted, EntriesApplied = m.Counters.EntriesApplied, SnapshotsSaved = m.Counters.SnapshotsSaved,
                    SnapshotsInstalled = m.Counters.SnapshotsInstalled, RecoveredEvents = m.Counters.RecoveredEvents,
                };
                status.Voters.AddRange(m.Voters);
                wire.PeerStatus = status;
                break;
            default:
                throw Unknown(message);
        }

        return wire;
    }

    private static object FromWireClient(WireClientMessage w) => w.BodyCase switch
    {
        WireClientMessage.BodyOneofCase.Write => new Write(w.Write.Command.ToByteArray(), Duration(w.Write.TimeoutMs), Policy(w.Write.RejectWhenNotLeader))
        {
            Hops = w.Write.Hops,
        },
        WireClientMessage.BodyOneofCase.WriteResult => new WriteResult(w.WriteResult.Response.ToByteArray(), w.WriteResult.Index, w.WriteResult.Leader),
        WireClientMessage.BodyOneofCase.Query => new Query(w.Query.Bytes.ToByteArray(), Level(w.Query.Level), Duration(w.Query.TimeoutMs), Policy(w.Query.RejectWhenNotLeader))
        {
            Hops = w.Query.Hops,
        },
        WireClientMessage.BodyOneofCase.QueryResponse => new QueryResponse(w.QueryResponse.Response.ToByteArray(), w.QueryResponse.AppliedIndex,
            w.QueryResponse.Leader, w.QueryResponse.ServedBy <= (uint)ReadPath.ReadIndex ? (ReadPath)w.QueryResponse.ServedBy : throw Bad("read path", w.QueryResponse.ServedBy)),
        WireClientMessage.BodyOneofCase.NotLeader => new NotLeader(w.NotLeader.LeaderHint, w.NotLeader.Reason),
        WireClientMessage.BodyOneofCase.Overloaded => new Overloaded(w.Overloaded.Reason),
        WireClientMessage.BodyOneofCase.TimedOut => new RequestTimedOut(TimeSpan.FromMilliseconds(w.TimedOut.AfterMs)),
        WireClientMessage.BodyOneofCase.Rejected => new RequestRejected(w.Rejected.Reason),
        WireClientMessage.BodyOneofCase.AddVoter => new AddVoter(w.AddVoter.NodeId, Duration(w.AddVoter.TimeoutMs)),
        WireClientMessage.BodyOneofCase.RemoveVoter => new RemoveVoter(w.RemoveVoter.NodeId, Duration(w.RemoveVoter.TimeoutMs)),
        WireClientMessage.BodyOneofCase.MembershipChanged => new MembershipChanged(w.MembershipChanged.Index, w.MembershipChanged.Voters.ToArray()),
        WireClientMessage.BodyOneofCase.TransferLeadership => new TransferLeadership(w.TransferLeadership.Target),
        WireClientMessage.BodyOneofCase.GetPeerStatus => GetPeerStatus.Instance,
        WireClientMessage.BodyOneofCase.PeerStatus => new PeerStatus(w.PeerStatus.NodeId,
            w.PeerStatus.Role <= (uint)RaftRole.Leader ? (RaftRole)w.PeerStatus.Role : throw Bad("role", w.PeerStatus.Role),
            w.PeerStatus.Term, w.PeerStatus.Leader, w.PeerStatus.CommitIndex, w.PeerStatus.AppliedIndex, w.PeerStatus.FirstIndex, w.PeerStatus.LastIndex,
            w.PeerStatus.Voters.ToArray(),
            new RaftPeerCounters(w.PeerStatus.JournalBatches, w.PeerStatus.EntriesPersisted, w.PeerStatus.EntriesApplied, w.PeerStatus.SnapshotsSaved,
                w.PeerStatus.SnapshotsInstalled, w.PeerStatus.RecoveredEvents)),
        _ => throw new SerializationException("A Raft client message arrived without a body."),
    };

    private static long Millis(TimeSpan? timeout) => timeout is { } t ? Math.Max(1, (long)t.TotalMilliseconds) : 0;

    private static TimeSpan? Duration(long millis) => millis > 0 ? TimeSpan.FromMilliseconds(millis) : null;

    private static NotLeaderPolicy Policy(bool reject) => reject ? NotLeaderPolicy.Reject : NotLeaderPolicy.Forward;

    private static ReadLevel Level(uint level) => level <= (uint)ReadLevel.Consistent ? (ReadLevel)level : throw Bad("read level", level);

    private static SerializationException Bad(string what, uint value) => new($"A Raft client message arrived with the unknown {what} {value}.");

    private static SerializationException Unknown(object message) =>
        new($"The Raft wire serializer does not know {message.GetType().FullName}.");
}
