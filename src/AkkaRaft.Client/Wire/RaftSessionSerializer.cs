using System.Runtime.Serialization;
using Akka.Actor;
using Akka.Serialization;
using AkkaRaft.Client.Wire.Sessions;
using Google.Protobuf;

namespace AkkaRaft.Client.Wire;

/// <summary>
/// Protobuf forms (<c>Wire/raft_session.proto</c>) of the session messages (<see cref="IRaftSessionMessage"/>), one
/// short manifest each. An unknown manifest or a payload that does not parse is a <see cref="SerializationException"/>:
/// Akka.Remote drops that one message and keeps the connection.
/// </summary>
public sealed class RaftSessionSerializer : SerializerWithStringManifest
{
    /// <summary>This serializer's identifier on the wire (<c>akka.actor.serialization-identifiers</c>).</summary>
    public const int Id = 107;

    private const string OpenManifest = "SO";
    private const string OpenedManifest = "SOK";
    private const string KeepAliveManifest = "SK";
    private const string KeptAliveManifest = "SKK";
    private const string CloseManifest = "SC";
    private const string ClosedManifest = "SCK";
    private const string NotFoundManifest = "SNF";

    /// <summary>Created by Akka's serialization extension from the configuration.</summary>
    public RaftSessionSerializer(ExtendedActorSystem system) : base(system)
    {
    }

    /// <inheritdoc />
    public override int Identifier => Id;

    /// <inheritdoc />
    public override string Manifest(object o) => o switch
    {
        OpenSession => OpenManifest,
        SessionOpened => OpenedManifest,
        KeepSessionAlive => KeepAliveManifest,
        SessionKeptAlive => KeptAliveManifest,
        CloseSession => CloseManifest,
        SessionClosed => ClosedManifest,
        SessionNotFound => NotFoundManifest,
        _ => throw Unknown(o),
    };

    /// <inheritdoc />
    public override byte[] ToBinary(object obj)
    {
        ArgumentNullException.ThrowIfNull(obj);
        return obj switch
        {
            OpenSession m => new OpenSessionMessage
            {
                TtlMs = (long)m.Ttl.TotalMilliseconds, TimeoutMs = Millis(m.Timeout), RejectWhenNotLeader = m.OnNotLeader == NotLeaderPolicy.Reject, Hops = m.Hops,
            }.ToByteArray(),
            SessionOpened m => new SessionOpenedMessage { SessionId = m.SessionId, TtlMs = (long)m.Ttl.TotalMilliseconds, Leader = m.Leader, Term = m.Term }.ToByteArray(),
            KeepSessionAlive m => new KeepSessionAliveMessage { SessionId = m.SessionId, RejectWhenNotLeader = m.OnNotLeader == NotLeaderPolicy.Reject, Hops = m.Hops }.ToByteArray(),
            SessionKeptAlive m => new SessionKeptAliveMessage { SessionId = m.SessionId, TtlMs = (long)m.Ttl.TotalMilliseconds, Leader = m.Leader, Term = m.Term }.ToByteArray(),
            CloseSession m => new CloseSessionMessage
            {
                SessionId = m.SessionId, TimeoutMs = Millis(m.Timeout), RejectWhenNotLeader = m.OnNotLeader == NotLeaderPolicy.Reject, Hops = m.Hops,
            }.ToByteArray(),
            SessionClosed m => new SessionClosedMessage { SessionId = m.SessionId, Index = m.Index, Leader = m.Leader, Term = m.Term }.ToByteArray(),
            SessionNotFound m => new SessionNotFoundMessage { SessionId = m.SessionId, Reason = m.Reason }.ToByteArray(),
            _ => throw Unknown(obj),
        };
    }

    /// <inheritdoc />
    public override object FromBinary(byte[] bytes, string manifest)
    {
        ArgumentNullException.ThrowIfNull(bytes);
        try
        {
            switch (manifest)
            {
                case OpenManifest:
                    var open = OpenSessionMessage.Parser.ParseFrom(bytes);
                    return new OpenSession(TimeSpan.FromMilliseconds(open.TtlMs), Duration(open.TimeoutMs), Policy(open.RejectWhenNotLeader)) { Hops = Hops(open.Hops) };
                case OpenedManifest:
                    var opened = SessionOpenedMessage.Parser.ParseFrom(bytes);
                    return new SessionOpened(opened.SessionId, TimeSpan.FromMilliseconds(opened.TtlMs), opened.Leader) { Term = opened.Term };
                case KeepAliveManifest:
                    var keep = KeepSessionAliveMessage.Parser.ParseFrom(bytes);
                    return new KeepSessionAlive(keep.SessionId, Policy(keep.RejectWhenNotLeader)) { Hops = Hops(keep.Hops) };
                case KeptAliveManifest:
                    var kept = SessionKeptAliveMessage.Parser.ParseFrom(bytes);
                    return new SessionKeptAlive(kept.SessionId, TimeSpan.FromMilliseconds(kept.TtlMs), kept.Leader) { Term = kept.Term };
                case CloseManifest:
                    var close = CloseSessionMessage.Parser.ParseFrom(bytes);
                    return new CloseSession(close.SessionId, Duration(close.TimeoutMs), Policy(close.RejectWhenNotLeader)) { Hops = Hops(close.Hops) };
                case ClosedManifest:
                    var closed = SessionClosedMessage.Parser.ParseFrom(bytes);
                    return new SessionClosed(closed.SessionId, closed.Index, closed.Leader) { Term = closed.Term };
                case NotFoundManifest:
                    var notFound = SessionNotFoundMessage.Parser.ParseFrom(bytes);
                    return new SessionNotFound(notFound.SessionId, notFound.Reason);
                default:
                    throw new SerializationException($"The Raft session serializer has no manifest '{manifest}'.");
            }
        }
        catch (InvalidProtocolBufferException e)
        {
            throw new SerializationException($"A Raft session message (manifest '{manifest}', {bytes.Length} bytes) does not parse: {e.Message}", e);
        }
    }

    private static long Millis(TimeSpan? timeout) => timeout is { } t ? Math.Max(1, (long)t.TotalMilliseconds) : 0;

    private static TimeSpan? Duration(long millis) => millis > 0 ? TimeSpan.FromMilliseconds(millis) : null;

    private static NotLeaderPolicy Policy(bool reject) => reject ? NotLeaderPolicy.Reject : NotLeaderPolicy.Forward;

    private static int Hops(int hops) => hops >= 0 ? hops : throw new SerializationException($"A Raft session request arrived with {hops} hops.");

    private static SerializationException Unknown(object message) =>
        new($"The Raft session serializer does not know {message.GetType().FullName}.");
}
