using System.Text;
using AkkaRaft.Client.Kv.Protocol;
using Google.Protobuf;

namespace AkkaRaft.Client.Kv;

/// <summary>
/// Builds the bytes of key/value writes, to propose to Raft (the command of a <c>Write</c>). The answer comes
/// back as the applied entry's response; decode it with <see cref="KvResult.Decode(ReadOnlySpan{byte})"/>.
/// </summary>
/// <remarks>
/// Keys and values are checked when the command is applied (size limits, an empty key or a control character
/// give a failed <see cref="KvResult"/> that changed nothing); the server checks them up front too (<c>AkkaRaft.Kv.KvKeys</c>) to refuse such a
/// request before proposing it. Only what cannot be encoded at all throws here.
/// </remarks>
public static class KvCommands
{
    /// <summary>Sets <paramref name="key"/> to <paramref name="value"/> whatever it held (libkv <c>Put</c>).</summary>
    /// <param name="key">The key.</param>
    /// <param name="value">The value, copied.</param>
    /// <param name="ephemeral">Whether the key belongs to the proposing client session and is deleted when the
    /// session expires; a later non-ephemeral write makes it permanent again.</param>
    /// <returns>The command; the answer's <see cref="KvResult.Pair"/> is the pair written.</returns>
    /// <exception cref="ArgumentException"><paramref name="key"/> holds an unpaired surrogate (no UTF-8 form).</exception>
    public static byte[] Put(string key, ReadOnlySpan<byte> value, bool ephemeral = false) =>
        Encode(new KvCommand { Put = new PutOp { Key = KeyBytes(key), Value = ByteString.CopyFrom(value), Ephemeral = ephemeral } });

    /// <summary>Sets <paramref name="key"/> to the UTF-8 bytes of <paramref name="value"/>.</summary>
    /// <exception cref="ArgumentException">The key or value holds an unpaired surrogate.</exception>
    public static byte[] Put(string key, string value, bool ephemeral = false) => Put(key, Utf8(value), ephemeral);

    /// <summary>
    /// libkv's <c>AtomicPut</c>: with no <paramref name="previousIndex"/>, creates the key only if it does not
    /// exist (else <see cref="KvStatus.KeyExists"/>); with one, replaces the value only if the key's
    /// last-modified index is still <paramref name="previousIndex"/> (else <see cref="KvStatus.KeyModified"/>, or
    /// <see cref="KvStatus.KeyNotFound"/> if the key is gone), with the current index in the answer.
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="previousIndex"/> is 0 (no key has that index).</exception>
    /// <exception cref="ArgumentException"><paramref name="key"/> holds an unpaired surrogate.</exception>
    public static byte[] AtomicPut(string key, ReadOnlySpan<byte> value, ulong? previousIndex, bool ephemeral = false)
    {
        if (previousIndex is { } index)
        {
            ArgumentOutOfRangeException.ThrowIfZero(index, nameof(previousIndex));
        }

        return Encode(new KvCommand
        {
            AtomicPut = new AtomicPutOp { Key = KeyBytes(key), Value = ByteString.CopyFrom(value), PreviousIndex = previousIndex ?? 0, Ephemeral = ephemeral },
        });
    }

    /// <summary>AtomicPut of the UTF-8 bytes of <paramref name="value"/>.</summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="previousIndex"/> is 0.</exception>
    /// <exception cref="ArgumentException">The key or value holds an unpaired surrogate.</exception>
    public static byte[] AtomicPut(string key, string value, ulong? previousIndex, bool ephemeral = false) =>
        AtomicPut(key, Utf8(value), previousIndex, ephemeral);

    /// <summary>Deletes <paramref name="key"/> (libkv <c>Delete</c>); <see cref="KvStatus.KeyNotFound"/> if it does not exist.</summary>
    /// <exception cref="ArgumentException"><paramref name="key"/> holds an unpaired surrogate.</exception>
    public static byte[] Delete(string key) => Encode(new KvCommand { Delete = new DeleteOp { Key = KeyBytes(key) } });

    /// <summary>
    /// Deletes every key that starts with <paramref name="prefix"/> (libkv <c>DeleteTree</c>), but those that start
    /// with <paramref name="sparePrefix"/> when it is not empty; the answer's <see cref="KvResult.DeletedCount"/> says
    /// how many (0 is not an error). The empty prefix deletes every key.
    /// </summary>
    /// <exception cref="ArgumentException">A prefix holds an unpaired surrogate.</exception>
    public static byte[] DeleteTree(string prefix, string sparePrefix = "") =>
        Encode(new KvCommand { DeleteTree = new DeleteTreeOp { Prefix = KeyBytes(prefix), SparePrefix = KeyBytes(sparePrefix) } });

    /// <summary>
    /// libkv's <c>AtomicDelete</c>: deletes <paramref name="key"/> only if its last-modified index is still
    /// <paramref name="previousIndex"/> (else <see cref="KvStatus.KeyModified"/> with the current index, or
    /// <see cref="KvStatus.KeyNotFound"/>).
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="previousIndex"/> is 0.</exception>
    /// <exception cref="ArgumentException"><paramref name="key"/> holds an unpaired surrogate.</exception>
    public static byte[] AtomicDelete(string key, ulong previousIndex)
    {
        ArgumentOutOfRangeException.ThrowIfZero(previousIndex);
        return Encode(new KvCommand { AtomicDelete = new AtomicDeleteOp { Key = KeyBytes(key), PreviousIndex = previousIndex } });
    }

    /// <summary>
    /// Several puts and deletes applied as one log entry, all or nothing: either every operation takes effect, every
    /// key written getting the entry's index as its last-modified index, or none does. The batch is refused, changing
    /// nothing, when it is empty, holds more than <c>akkaraft.kv.max-batch-keys</c> operations, names a key twice,
    /// or when any operation would fail alone (a key or value over its limit, an invalid key, a delete of an absent
    /// key: <see cref="KvStatus.KeyNotFound"/>, an ephemeral put without a session); the failed answer names that key
    /// in <see cref="KvResult.FailedKey"/> and its message.
    /// </summary>
    /// <param name="operations">The operations, in order (the answer's <see cref="KvResult.Pairs"/> follows it).</param>
    /// <returns>The command; the answer's <see cref="KvResult.Pairs"/> are the pairs written or deleted, without values,
    /// and <see cref="KvResult.DeletedCount"/> the number of deletes.</returns>
    /// <exception cref="ArgumentException">A key holds an unpaired surrogate, or an operation is null.</exception>
    public static byte[] Batch(IEnumerable<KvBatchOperation> operations)
    {
        ArgumentNullException.ThrowIfNull(operations);
        var batch = new BatchOp();
        foreach (var operation in operations)
        {
            if (operation is null) throw new ArgumentException("A batch operation is null.", nameof(operations));
            batch.Items.Add(operation.IsDelete
                ? new BatchItem { Delete = new DeleteOp { Key = KeyBytes(operation.Key, nameof(operations)) } }
                : new BatchItem { Put = new PutOp { Key = KeyBytes(operation.Key, nameof(operations)), Value = ByteString.CopyFrom(operation.Value.Span), Ephemeral = operation.Ephemeral } });
        }

        return Encode(new KvCommand { Batch = batch });
    }

    internal static byte[] Encode(IMessage message) => message.ToByteArray();

    internal static ByteString KeyBytes(string text, [System.Runtime.CompilerServices.CallerArgumentExpression(nameof(text))] string? name = null) =>
        ByteString.CopyFromUtf8(Utf16(text, name));

    internal static string Utf16(string text, [System.Runtime.CompilerServices.CallerArgumentExpression(nameof(text))] string? name = null)
    {
        ArgumentNullException.ThrowIfNull(text, name);
        if (!KvText.IsWellFormed(text))
        {
            throw new ArgumentException("The text holds an unpaired UTF-16 surrogate, which has no UTF-8 form.", name);
        }

        return text;
    }

    private static byte[] Utf8(string value, [System.Runtime.CompilerServices.CallerArgumentExpression(nameof(value))] string? name = null) =>
        Encoding.UTF8.GetBytes(Utf16(value, name));
}

/// <summary>One operation of a <see cref="KvCommands.Batch"/>: a put or a delete.</summary>
public sealed record KvBatchOperation
{
    private KvBatchOperation(string key, ReadOnlyMemory<byte> value, bool isDelete, bool ephemeral)
    {
        ArgumentNullException.ThrowIfNull(key);
        Key = key;
        Value = value;
        IsDelete = isDelete;
        Ephemeral = ephemeral;
    }

    /// <summary>The key.</summary>
    public string Key { get; }

    /// <summary>A put: the value. Empty for a delete.</summary>
    public ReadOnlyMemory<byte> Value { get; }

    /// <summary>True for a delete.</summary>
    public bool IsDelete { get; }

    /// <summary>A put: whether the key belongs to the proposing session (see <see cref="KvCommands.Put(string, ReadOnlySpan{byte}, bool)"/>).</summary>
    public bool Ephemeral { get; }

    /// <summary>Sets <paramref name="key"/> to <paramref name="value"/> (the bytes are copied when the batch is built).</summary>
    public static KvBatchOperation Put(string key, ReadOnlyMemory<byte> value, bool ephemeral = false) => new(key, value, false, ephemeral);

    /// <summary>Sets <paramref name="key"/> to the UTF-8 bytes of <paramref name="value"/>.</summary>
    /// <exception cref="ArgumentException">The value holds an unpaired surrogate.</exception>
    public static KvBatchOperation Put(string key, string value, bool ephemeral = false) =>
        new(key, Encoding.UTF8.GetBytes(KvCommands.Utf16(value)), false, ephemeral);

    /// <summary>Deletes <paramref name="key"/>, which must exist (else the whole batch fails with <see cref="KvStatus.KeyNotFound"/>).</summary>
    public static KvBatchOperation Delete(string key) => new(key, ReadOnlyMemory<byte>.Empty, true, false);
}

/// <summary>Builds the bytes of key/value reads, to pass to the state machine's <c>Query</c> at a read level.</summary>
public static class KvQueries
{
    /// <summary>The pair of <paramref name="key"/> (libkv <c>Get</c>), or <see cref="KvStatus.KeyNotFound"/>.</summary>
    /// <exception cref="ArgumentException"><paramref name="key"/> holds an unpaired surrogate.</exception>
    public static byte[] Get(string key) => KvCommands.Encode(new KvQuery { Get = new GetOp { Key = KvCommands.KeyBytes(key) } });

    /// <summary>Whether <paramref name="key"/> exists (libkv <c>Exists</c>), in <see cref="KvResult.Exists"/>.</summary>
    /// <exception cref="ArgumentException"><paramref name="key"/> holds an unpaired surrogate.</exception>
    public static byte[] Exists(string key) => KvCommands.Encode(new KvQuery { Exists = new ExistsOp { Key = KvCommands.KeyBytes(key) } });

    /// <summary>
    /// The pairs whose key starts with <paramref name="prefix"/> (libkv <c>List</c>; the empty prefix lists every
    /// key), in ordinal key order (<see cref="string.CompareOrdinal(string, string)"/>). An empty result is Ok, not
    /// KeyNotFound. At most <paramref name="limit"/> pairs (0, or more than <c>akkaraft.kv.max-list-results</c>,
    /// means that maximum) and about <c>akkaraft.kv.max-list-bytes</c> of keys and values (always at least one
    /// pair); if more follow, <see cref="KvResult.Truncated"/> is set: list again with
    /// <paramref name="startAfter"/> = the last key returned.
    /// </summary>
    /// <param name="prefix">The prefix keys must start with.</param>
    /// <param name="startAfter">List only keys ordinally after this one; null or empty to start at the first.</param>
    /// <param name="limit">Most pairs wanted; 0 for the configured maximum.</param>
    /// <exception cref="ArgumentException">The prefix or start key holds an unpaired surrogate.</exception>
    public static byte[] List(string prefix, string? startAfter = null, uint limit = 0) =>
        KvCommands.Encode(new KvQuery
        {
            List = new ListOp { Prefix = KvCommands.KeyBytes(prefix), StartAfter = KvCommands.KeyBytes(startAfter ?? "", nameof(startAfter)), Limit = limit },
        });
}
