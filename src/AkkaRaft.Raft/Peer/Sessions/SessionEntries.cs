using AkkaRaft.Raft.Peer.Protocol;
using Google.Protobuf;

namespace AkkaRaft.Raft.Peer;

/// <summary>
/// The log entries that open, close and expire client sessions: a <see cref="ClientCommand"/> with no command bytes and
/// a <see cref="SessionEntry"/>. The state machine host applies them to its <see cref="SessionTable"/>; the peer logic
/// reads them too, as it hands them over, to know which sessions live.
/// </summary>
internal static class SessionEntries
{
    /// <summary>Opens a session; its id is the entry's index.</summary>
    public const uint Open = 1;

    /// <summary>Its client closes a session.</summary>
    public const uint Close = 2;

    /// <summary>The leader expires a session whose TTL passed without a keep-alive.</summary>
    public const uint Expire = 3;

    /// <summary>A session acquires a lock, or queues for it (<see cref="LockTable"/>).</summary>
    public const uint AcquireLock = 4;

    /// <summary>A session releases a lock, or leaves its queue.</summary>
    public const uint ReleaseLock = 5;

    // Protobuf writes fields in number order: a client command starts with field 1 (its command, never empty), tag
    // 0x0A; a session entry has only field 6 (length-delimited), tag 0x32. So one byte tells them apart without parsing.
    private const byte SessionEntryTag = (6 << 3) | 2;

    public static byte[] EncodeOpen(TimeSpan ttl, int maxResponses) =>
        Encode(new SessionEntry { Kind = Open, TtlMs = (long)ttl.TotalMilliseconds, MaxResponses = maxResponses });

    public static byte[] EncodeClose(long sessionId) => Encode(new SessionEntry { Kind = Close, SessionId = sessionId });

    public static byte[] EncodeExpire(long sessionId) => Encode(new SessionEntry { Kind = Expire, SessionId = sessionId });

    public static byte[] EncodeAcquire(string name, long sessionId, LockSettings bounds) =>
        Encode(new SessionEntry { Kind = AcquireLock, SessionId = sessionId, LockName = name, MaxLocks = bounds.MaxLocks, MaxLockWaiters = bounds.MaxWaiters });

    public static byte[] EncodeRelease(string name, long sessionId) => Encode(new SessionEntry { Kind = ReleaseLock, SessionId = sessionId, LockName = name });

    /// <summary>The session entry in a normal entry's data, or null for anything else (a client command, a no-op).</summary>
    public static SessionEntry? Read(byte[] entryData)
    {
        if (entryData.Length == 0 || entryData[0] != SessionEntryTag) return null;
        return ClientCommand.Parser.ParseFrom(entryData).Session;
    }

    private static byte[] Encode(SessionEntry entry) => new ClientCommand { Session = entry }.ToByteArray();
}
