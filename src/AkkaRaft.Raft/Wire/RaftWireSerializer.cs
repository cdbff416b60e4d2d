using System.Runtime.Serialization;
using Akka.Actor;
using Akka.Serialization;
using AkkaRaft.Raft.Core;
using AkkaRaft.Raft.Peer.Snapshots;
using AkkaRaft.Raft.Wire.Protocol;
using Google.Protobuf;
using AkkaRaft.Raft.Protos;

namespace AkkaRaft.Raft.Wire;

/// <summary>
/// Protobuf forms (<c>Wire/raft_wire.proto</c>) of the Raft peer messages (manifest <c>p</c>). No type names travel:
/// the manifest picks the envelope and its oneof case picks the record. Bound in <c>reference.conf</c>
/// (<c>akka.actor.serialization-bindings</c>) to <see cref="RaftMessage"/>. The client protocol has its own
/// serializer, <see cref="AkkaRaft.Client.Wire.RaftClientSerializer"/> (id 103).
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

    /// <summary>Created by Akka's serialization extension from the configuration.</summary>
    public RaftWireSerializer(ExtendedActorSystem system) : base(system)
    {
    }

    /// <inheritdoc />
    public override int Identifier => Id;

    /// <inheritdoc />
    public override string Manifest(object o) => o switch
    {
        RaftMessage => PeerManifest,
        _ => throw Unknown(o),
    };

    /// <inheritdoc />
    public override byte[] ToBinary(object obj)
    {
        ArgumentNullException.ThrowIfNull(obj);
        return obj is RaftMessage peer ? ToWire(peer).ToByteArray() : throw Unknown(obj);
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
                _ => throw new SerializationException($"The Raft wire serializer has no manifest '{manifest}' (it knows '{PeerManifest}')."),
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
                    SnapshotIndex = m.Snapshot.Metadata.Index, SnapshotTerm = m.Snapshot.Metadata.Term,
                    ConfState = RaftProtoTypes.ToProto(m.Snapshot.Metadata.ConfState), Data = ByteString.CopyFrom(m.Snapshot.Data),
                };
                break;
            case SnapshotOffer m:
                wire.SnapshotOffer = new WireSnapshotOffer
                {
                    SnapshotIndex = m.Metadata.Index, SnapshotTerm = m.Metadata.Term, ConfState = RaftProtoTypes.ToProto(m.Metadata.ConfState),
                    TotalBytes = m.TotalBytes, Crc32C = m.Crc32C, Endpoint = m.Endpoint, Token = ByteString.CopyFrom(m.Token),
                };
                break;
            case TimeoutNow:
                wire.TimeoutNow = new WireTimeoutNow();
                break;
            case ReadIndexRequest m:
                wire.ReadIndexRequest = new WireReadIndexRequest { Context = m.Context };
                break;
            case ReadIndexResponse m:
                wire.ReadIndexResponse = new WireReadIndexResponse { Context = m.Context, Index = m.Index, Granted = m.Granted };
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
        WirePeerMessage.BodyOneofCase.InstallSnapshot => new InstallSnapshot(w.From, w.To, w.Term, new Snapshot(
            new SnapshotMetadata(w.InstallSnapshot.SnapshotIndex, w.InstallSnapshot.SnapshotTerm, RaftProtoTypes.ToConfState(w.InstallSnapshot.ConfState)),
            w.InstallSnapshot.Data.ToByteArray())),
        WirePeerMessage.BodyOneofCase.SnapshotOffer => new SnapshotOffer(w.From, w.To, w.Term,
            new SnapshotMetadata(w.SnapshotOffer.SnapshotIndex, w.SnapshotOffer.SnapshotTerm, RaftProtoTypes.ToConfState(w.SnapshotOffer.ConfState)),
            w.SnapshotOffer.TotalBytes, w.SnapshotOffer.Crc32C, w.SnapshotOffer.Endpoint, w.SnapshotOffer.Token.ToByteArray()),
        WirePeerMessage.BodyOneofCase.TimeoutNow => new TimeoutNow(w.From, w.To, w.Term),
        WirePeerMessage.BodyOneofCase.ReadIndexRequest => new ReadIndexRequest(w.From, w.To, w.Term, w.ReadIndexRequest.Context),
        WirePeerMessage.BodyOneofCase.ReadIndexResponse => new ReadIndexResponse(w.From, w.To, w.Term,
            w.ReadIndexResponse.Context, w.ReadIndexResponse.Index, w.ReadIndexResponse.Granted),
        _ => throw new SerializationException("A Raft peer message arrived without a body."),
    };

    private static SerializationException Unknown(object message) =>
        new($"The Raft wire serializer does not know {message.GetType().FullName}.");
}
