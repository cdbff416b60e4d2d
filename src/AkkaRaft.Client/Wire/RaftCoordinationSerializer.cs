using System.Runtime.Serialization;
using System.Text.Unicode;
using Akka.Actor;
using Akka.Serialization;
using AkkaRaft.Client.Wire.Coordination;
using Google.Protobuf;

namespace AkkaRaft.Client.Wire;

/// <summary>
/// Protobuf forms (<c>Wire/raft_coordination.proto</c>) of the watch and lock messages (<see cref="IRaftCoordinationMessage"/>),
/// one short manifest each. Keys and lock names travel as UTF-8 bytes and are refused when they are not valid UTF-8. An
/// unknown manifest or a payload that does not parse is a <see cref="SerializationException"/>: Akka.Remote drops that
/// one message and keeps the connection.
/// </summary>
public sealed class RaftCoordinationSerializer : SerializerWithStringManifest
{
    /// <summary>This serializer's identifier on the wire (<c>akka.actor.serialization-identifiers</c>).</summary>
    public const int Id = 110;

    private const string WatchManifest = "W";
    private const string WatchSetManifest = "WS";
    private const string WatchFiredManifest = "WF";
    private const string WatchTimedOutManifest = "WT";
    private const string AcquireManifest = "LA";
    private const string AcquiredManifest = "LAK";
    private const string ReleaseManifest = "LR";
    private const string ReleasedManifest = "LRK";
    private const string NotHeldManifest = "LNH";
    private const string ListManifest = "LL";
    private const string ListingManifest = "LLK";

    /// <summary>Created by Akka's serialization extension from the configuration.</summary>
    public RaftCoordinationSerializer(ExtendedActorSystem system) : base(system)
    {
    }

    /// <inheritdoc />
    public override int Identifier => Id;

    /// <inheritdoc />
    public override string Manifest(object o) => o switch
    {
        Watch => WatchManifest,
        WatchSet => WatchSetManifest,
        WatchFired => WatchFiredManifest,
        WatchTimedOut => WatchTimedOutManifest,
        AcquireLock => AcquireManifest,
        LockAcquired => AcquiredManifest,
        ReleaseLock => ReleaseManifest,
        LockReleased => ReleasedManifest,
        LockNotHeld => NotHeldManifest,
        ListCoordination => ListManifest,
        CoordinationListing => ListingManifest,
        _ => throw Unknown(o),
    };

    /// <inheritdoc />
    public override byte[] ToBinary(object obj)
    {
        ArgumentNullException.ThrowIfNull(obj);
        return obj switch
        {
            Watch m => new WatchMessage
            {
                Key = Utf8Of(m.Key), Prefix = m.Prefix, HasAfterIndex = m.AfterIndex.HasValue, AfterIndex = m.AfterIndex ?? 0, SessionId = m.SessionId,
                TimeoutMs = Millis(m.Timeout), RejectWhenNotLeader = m.OnNotLeader == NotLeaderPolicy.Reject, Hops = m.Hops,
            }.ToByteArray(),
            WatchSet m => new WatchSetMessage { WatchId = m.WatchId, AfterIndex = m.AfterIndex, Leader = m.Leader, Term = m.Term }.ToByteArray(),
            WatchFired m => new WatchFiredMessage
            {
                WatchId = m.WatchId, Reason = (int)m.Reason, HasKey = m.Key is not null, Key = m.Key is null ? ByteString.Empty : Utf8Of(m.Key), Index = m.Index, Deleted = m.Deleted, Term = m.Term, Leader = m.Leader,
            }.ToByteArray(),
            WatchTimedOut m => new WatchTimedOutMessage { WatchId = m.WatchId, AfterMs = (long)m.After.TotalMilliseconds }.ToByteArray(),
            AcquireLock m => new AcquireLockMessage
            {
                Name = Utf8Of(m.Name), SessionId = m.SessionId, TimeoutMs = Millis(m.Timeout), RejectWhenNotLeader = m.OnNotLeader == NotLeaderPolicy.Reject, Hops = m.Hops,
            }.ToByteArray(),
            LockAcquired m => new LockAcquiredMessage { Name = Utf8Of(m.Name), SessionId = m.SessionId, FencingToken = m.FencingToken, Leader = m.Leader, Term = m.Term }.ToByteArray(),
            ReleaseLock m => new ReleaseLockMessage
            {
                Name = Utf8Of(m.Name), SessionId = m.SessionId, TimeoutMs = Millis(m.Timeout), RejectWhenNotLeader = m.OnNotLeader == NotLeaderPolicy.Reject, Hops = m.Hops,
            }.ToByteArray(),
            LockReleased m => new LockReleasedMessage { Name = Utf8Of(m.Name), SessionId = m.SessionId, Index = m.Index, WasHolder = m.WasHolder, Leader = m.Leader, Term = m.Term }.ToByteArray(),
            LockNotHeld m => new LockNotHeldMessage { Name = Utf8Of(m.Name), SessionId = m.SessionId, Reason = m.Reason }.ToByteArray(),
            ListCoordination m => new ListCoordinationMessage { Limit = m.Limit, RejectWhenNotLeader = m.OnNotLeader == NotLeaderPolicy.Reject, Hops = m.Hops }.ToByteArray(),
            CoordinationListing m => ListingOf(m).ToByteArray(),
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
                case WatchManifest:
                    var watch = WatchMessage.Parser.ParseFrom(bytes);
                    return new Watch(Text(watch.Key, "key"), watch.Prefix, watch.HasAfterIndex ? watch.AfterIndex : null, watch.SessionId, Duration(watch.TimeoutMs),
                        Policy(watch.RejectWhenNotLeader)) { Hops = Hops(watch.Hops) };
                case WatchSetManifest:
                    var set = WatchSetMessage.Parser.ParseFrom(bytes);
                    return new WatchSet(set.WatchId, set.AfterIndex, set.Leader) { Term = set.Term };
                case WatchFiredManifest:
                    var fired = WatchFiredMessage.Parser.ParseFrom(bytes);
                    if (!Enum.IsDefined((WatchReason)fired.Reason)) throw new SerializationException($"A fired watch arrived with the unknown reason {fired.Reason}.");
                    return new WatchFired(fired.WatchId, (WatchReason)fired.Reason, fired.HasKey ? Text(fired.Key, "key") : null, fired.Index) { Deleted = fired.Deleted, Term = fired.Term, Leader = fired.Leader };
                case WatchTimedOutManifest:
                    var timedOut = WatchTimedOutMessage.Parser.ParseFrom(bytes);
                    return new WatchTimedOut(timedOut.WatchId, TimeSpan.FromMilliseconds(timedOut.AfterMs));
                case AcquireManifest:
                    var acquire = AcquireLockMessage.Parser.ParseFrom(bytes);
                    return new AcquireLock(Text(acquire.Name, "lock name"), acquire.SessionId, Duration(acquire.TimeoutMs), Policy(acquire.RejectWhenNotLeader)) { Hops = Hops(acquire.Hops) };
                case AcquiredManifest:
                    var acquired = LockAcquiredMessage.Parser.ParseFrom(bytes);
                    return new LockAcquired(Text(acquired.Name, "lock name"), acquired.SessionId, acquired.FencingToken, acquired.Leader) { Term = acquired.Term };
                case ReleaseManifest:
                    var release = ReleaseLockMessage.Parser.ParseFrom(bytes);
                    return new ReleaseLock(Text(release.Name, "lock name"), release.SessionId, Duration(release.TimeoutMs), Policy(release.RejectWhenNotLeader)) { Hops = Hops(release.Hops) };
                case ReleasedManifest:
                    var released = LockReleasedMessage.Parser.ParseFrom(bytes);
                    return new LockReleased(Text(released.Name, "lock name"), released.SessionId, released.Index, released.WasHolder) { Leader = released.Leader, Term = released.Term };
                case NotHeldManifest:
                    var notHeld = LockNotHeldMessage.Parser.ParseFrom(bytes);
                    return new LockNotHeld(Text(notHeld.Name, "lock name"), notHeld.SessionId, notHeld.Reason);
                case ListManifest:
                    var list = ListCoordinationMessage.Parser.ParseFrom(bytes);
                    if (list.Limit < 0) throw new SerializationException($"A listing request arrived with the limit {list.Limit}.");
                    return new ListCoordination(list.Limit, Policy(list.RejectWhenNotLeader)) { Hops = Hops(list.Hops) };
                case ListingManifest:
                    return ListingFrom(CoordinationListingMessage.Parser.ParseFrom(bytes));
                default:
                    throw new SerializationException($"The Raft coordination serializer has no manifest '{manifest}'.");
            }
        }
        catch (InvalidProtocolBufferException e)
        {
            throw new SerializationException($"A Raft watch or lock message (manifest '{manifest}', {bytes.Length} bytes) does not parse: {e.Message}", e);
        }
    }

    private static CoordinationListingMessage ListingOf(CoordinationListing m)
    {
        var message = new CoordinationListingMessage
        {
            SessionCount = m.SessionCount, LockCount = m.LockCount, WatchCount = m.WatchCount, Index = m.Index, Leader = m.Leader, Limit = m.Limit,
        };
        foreach (var s in m.Sessions)
        {
            message.Sessions.Add(new ListedSessionMessage
            {
                Id = s.Id, TtlMs = (long)s.Ttl.TotalMilliseconds, HasExpiresIn = s.ExpiresIn.HasValue, ExpiresInMs = (long)(s.ExpiresIn ?? TimeSpan.Zero).TotalMilliseconds,
            });
        }
        foreach (var l in m.Locks)
        {
            var listed = new ListedLockMessage { Name = Utf8Of(l.Name), Holder = l.Holder, FencingToken = l.FencingToken, WaiterCount = l.WaiterCount };
            listed.Waiters.Add(l.Waiters);
            message.Locks.Add(listed);
        }
        foreach (var w in m.Watches)
            message.Watches.Add(new ListedWatchMessage { Id = w.Id, Key = Utf8Of(w.Key), Prefix = w.Prefix, SessionId = w.SessionId, AfterIndex = w.AfterIndex });
        return message;
    }

    private static CoordinationListing ListingFrom(CoordinationListingMessage m) => new(
        m.Sessions.Select(s => new ListedSession(s.Id, TimeSpan.FromMilliseconds(s.TtlMs), s.HasExpiresIn ? TimeSpan.FromMilliseconds(s.ExpiresInMs) : null)).ToList(),
        m.SessionCount,
        m.Locks.Select(l => new ListedLock(Text(l.Name, "lock name"), l.Holder, l.FencingToken, l.Waiters.ToList(), l.WaiterCount)).ToList(),
        m.LockCount,
        m.Watches.Select(w => new ListedWatch(w.Id, Text(w.Key, "key"), w.Prefix, w.SessionId, w.AfterIndex)).ToList(),
        m.WatchCount,
        m.Index, m.Leader, m.Limit);

    private static ByteString Utf8Of(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        if (!Kv.KvText.IsWellFormed(text)) throw new SerializationException("A key or lock name holds an unpaired UTF-16 surrogate, so it has no UTF-8 form.");
        return ByteString.CopyFromUtf8(text);
    }

    private static string Text(ByteString bytes, string what) =>
        Utf8.IsValid(bytes.Span) ? bytes.ToStringUtf8() : throw new SerializationException($"A Raft watch or lock message's {what} is not valid UTF-8.");

    private static long Millis(TimeSpan? timeout) => timeout is { } t ? Math.Max(1, (long)t.TotalMilliseconds) : 0;

    private static TimeSpan? Duration(long millis) => millis > 0 ? TimeSpan.FromMilliseconds(millis) : null;

    private static NotLeaderPolicy Policy(bool reject) => reject ? NotLeaderPolicy.Reject : NotLeaderPolicy.Forward;

    private static int Hops(int hops) => hops >= 0 ? hops : throw new SerializationException($"A Raft watch or lock request arrived with {hops} hops.");

    private static SerializationException Unknown(object message) =>
        new($"The Raft coordination serializer does not know {message.GetType().FullName}.");
}
