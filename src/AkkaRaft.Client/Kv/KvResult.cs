using AkkaRaft.Client.Kv.Protocol;
using Google.Protobuf;

namespace AkkaRaft.Client.Kv;

/// <summary>How a key/value command or query ended. Every failure changed nothing.</summary>
public enum KvStatus
{
    /// <summary>Done.</summary>
    Ok = 0,

    /// <summary>The key does not exist (Get, Delete, AtomicPut with a previous index, AtomicDelete).</summary>
    KeyNotFound = 1,

    /// <summary>AtomicPut without a previous index (create-if-absent) found the key;
    /// <see cref="KvResult.CurrentIndex"/> is its last-modified index.</summary>
    KeyExists = 2,

    /// <summary>The key's last-modified index is not the previous index given (AtomicPut, AtomicDelete);
    /// <see cref="KvResult.CurrentIndex"/> is the index now.</summary>
    KeyModified = 3,

    /// <summary>The key or prefix is longer than <c>akkaraft.kv.max-key-bytes</c> in UTF-8.</summary>
    KeyTooLarge = 4,

    /// <summary>The value is longer than <c>akkaraft.kv.max-value-bytes</c>.</summary>
    ValueTooLarge = 5,

    /// <summary>The key is empty or holds a control character.</summary>
    InvalidKey = 6,

    /// <summary>An ephemeral write came without a client session to own the key.</summary>
    NoSession = 7,

    /// <summary>The command or query bytes are not a key/value request (or lack a required field).</summary>
    InvalidRequest = 8,

    /// <summary>A batch holds more operations than <c>akkaraft.kv.max-batch-keys</c>.</summary>
    BatchTooLarge = 9,
}

/// <summary>A key with its value and metadata, as libkv's <c>KVPair</c>.</summary>
/// <param name="Key">The key.</param>
/// <param name="Value">The value; do not change the bytes.</param>
/// <param name="LastIndex">The Raft index of the entry that last wrote the key: the version AtomicPut and
/// AtomicDelete compare against. Never 0.</param>
/// <param name="SessionId">The client session that owns the key if it is ephemeral (it is deleted when the
/// session expires); 0 for a key that outlives sessions.</param>
public sealed record KvPair(string Key, ReadOnlyMemory<byte> Value, ulong LastIndex, long SessionId = 0)
{
    /// <summary>Whether the key dies with its session.</summary>
    public bool IsEphemeral => SessionId != 0;

    /// <summary>Equal when key, value bytes, index and session are equal.</summary>
    public bool Equals(KvPair? other) =>
        other is not null
        && string.Equals(Key, other.Key, StringComparison.Ordinal)
        && Value.Span.SequenceEqual(other.Value.Span)
        && LastIndex == other.LastIndex
        && SessionId == other.SessionId;

    /// <summary>A hash of key, index and session (the value is left out: equal pairs still hash equal).</summary>
    public override int GetHashCode() => HashCode.Combine(StringComparer.Ordinal.GetHashCode(Key), LastIndex, SessionId);

    /// <exception cref="InvalidDataException">The entry's key is not valid UTF-8.</exception>
    internal static KvPair FromEntry(KvEntry entry) =>
        KvText.TryDecode(entry.Key, out var key)
            ? new KvPair(key, entry.Value.Memory, entry.LastIndex, entry.SessionId)
            : throw new InvalidDataException("A key in the key/value response is not valid UTF-8.");
}

/// <summary>
/// The decoded answer of the key/value state machine to a command (the response of an applied entry) or a query.
/// Which fields are set depends on the operation; the others are empty, zero or false.
/// </summary>
/// <param name="Status">How it ended; anything but <see cref="KvStatus.Ok"/> changed nothing.</param>
/// <param name="Pair">Get: the pair read. Put, AtomicPut: the pair written, its LastIndex the new version, without
/// its value (the caller has it; responses stay small). Delete, AtomicDelete: the pair deleted, without its value.
/// Otherwise null.</param>
/// <param name="Pairs">List: the pairs found, in ordinal key order. Batch: the pairs written or deleted, in batch order,
/// without their values, each LastIndex the batch's entry index (for a delete, the index the key had). Otherwise empty.</param>
/// <param name="Exists">Exists: whether the key exists.</param>
/// <param name="CurrentIndex">KeyExists, KeyModified: the key's last-modified index now; 0 if absent.</param>
/// <param name="DeletedCount">Delete, AtomicDelete (1), DeleteTree, Batch, session expiry: how many keys were deleted.</param>
/// <param name="Truncated">List: more keys with the prefix follow the last pair; list again starting after it.</param>
/// <param name="Message">A failure: what was wrong, in a sentence. Empty when <see cref="Status"/> is Ok.</param>
/// <param name="FailedKey">A failed batch: the key of the operation that failed it; empty otherwise (and when the batch
/// as a whole is wrong, as an empty one).</param>
public sealed record KvResult(
    KvStatus Status,
    KvPair? Pair,
    IReadOnlyList<KvPair> Pairs,
    bool Exists,
    ulong CurrentIndex,
    ulong DeletedCount,
    bool Truncated,
    string Message,
    string FailedKey = "")
{
    /// <summary>Whether the operation succeeded.</summary>
    public bool IsOk => Status == KvStatus.Ok;

    /// <summary>Equal when every field is, the pairs compared by content and in order.</summary>
    public bool Equals(KvResult? other) =>
        other is not null
        && Status == other.Status
        && Equals(Pair, other.Pair)
        && Pairs.SequenceEqual(other.Pairs)
        && Exists == other.Exists
        && CurrentIndex == other.CurrentIndex
        && DeletedCount == other.DeletedCount
        && Truncated == other.Truncated
        && string.Equals(Message, other.Message, StringComparison.Ordinal)
        && string.Equals(FailedKey, other.FailedKey, StringComparison.Ordinal);

    /// <summary>A hash of the scalar fields and the number of pairs.</summary>
    public override int GetHashCode() => HashCode.Combine(Status, Pair, Pairs.Count, Exists, CurrentIndex, DeletedCount, Truncated, Message);

    /// <summary>Decodes the response bytes of a key/value command or query.</summary>
    /// <exception cref="InvalidDataException">The bytes are not a key/value response.</exception>
    public static KvResult Decode(ReadOnlySpan<byte> response)
    {
        KvResponse decoded;
        try
        {
            decoded = KvResponse.Parser.ParseFrom(response);
        }
        catch (InvalidProtocolBufferException e)
        {
            throw new InvalidDataException($"The {response.Length} bytes are not a key/value response: {e.Message}", e);
        }

        if (!Enum.IsDefined((KvStatus)decoded.Status))
        {
            throw new InvalidDataException($"The key/value response has the unknown status {(int)decoded.Status}.");
        }

        var pairs = new KvPair[decoded.Pairs.Count];
        for (var i = 0; i < pairs.Length; i++)
        {
            pairs[i] = KvPair.FromEntry(decoded.Pairs[i]);
        }

        return new KvResult(
            (KvStatus)decoded.Status,
            decoded.Pair is null ? null : KvPair.FromEntry(decoded.Pair),
            pairs,
            decoded.Exists,
            decoded.CurrentIndex,
            decoded.DeletedCount,
            decoded.Truncated,
            decoded.Message,
            decoded.FailedKey.IsEmpty ? ""
                : KvText.TryDecode(decoded.FailedKey, out var failedKey) ? failedKey
                : throw new InvalidDataException("The failed key in the key/value response is not valid UTF-8."));
    }

    /// <summary>Decodes the response bytes of a key/value command or query.</summary>
    /// <exception cref="InvalidDataException">The bytes are not a key/value response.</exception>
    public static KvResult Decode(ReadOnlyMemory<byte> response) => Decode(response.Span);
}
