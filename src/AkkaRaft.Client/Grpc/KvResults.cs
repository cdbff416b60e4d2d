using System.Text;
using AkkaRaft.Grpc.V1;

namespace AkkaRaft.Client.Grpc;

/// <summary>What every answer says about where it came from (kv.proto's ResponseHeader).</summary>
/// <param name="MemberId">The node that answered.</param>
/// <param name="Term">The Raft term it was in.</param>
/// <param name="Index">A write: its entry's log index. A read: the index it was served at.</param>
/// <param name="LeaderId">The leader the node knew; empty when none.</param>
public sealed record RaftHeader(string MemberId, ulong Term, ulong Index, string LeaderId)
{
    internal static RaftHeader Of(ResponseHeader? header) =>
        header is null ? new RaftHeader("", 0, 0, "") : new RaftHeader(header.MemberId, header.RaftTerm, header.Index, header.LeaderId);
}

/// <summary>A key, its value and the index of the entry that last wrote it.</summary>
/// <param name="Key">The key (UTF-8 text).</param>
/// <param name="Value">The value's bytes.</param>
/// <param name="ModIndex">The log index of the entry that last wrote the key (never 0): what compares are made against.</param>
/// <param name="SessionId">The session owning the key when it is ephemeral; 0 otherwise.</param>
public sealed record KvEntry(string Key, ReadOnlyMemory<byte> Value, ulong ModIndex, long SessionId)
{
    /// <summary>The value as UTF-8 text.</summary>
    public string ValueText => Encoding.UTF8.GetString(Value.Span);

    internal static KvEntry Of(KeyValue kv) => new(kv.Key.ToStringUtf8(), kv.Value.Memory, kv.ModIndex, kv.SessionId);
}

/// <summary>A put's outcome.</summary>
/// <param name="ModIndex">The key's new mod_index (the entry's index).</param>
/// <param name="Header">Who answered.</param>
public sealed record PutResult(ulong ModIndex, RaftHeader Header);

/// <summary>A get's outcome: the entry, or null when the key does not exist.</summary>
/// <param name="Entry">The key's entry; null when absent.</param>
/// <param name="Header">Who answered; <c>Header.Index</c> is the index the read was served at.</param>
public sealed record GetResult(KvEntry? Entry, RaftHeader Header)
{
    /// <summary>Whether the key exists.</summary>
    public bool Found => Entry is not null;
}

/// <summary>
/// A delete's outcome. Without an expected mod_index, deleting an absent key is not an error (<see cref="Deleted"/>
/// is false). With one, a failed compare is a value too: <see cref="CompareFailed"/>, with the key's mod_index now.
/// </summary>
/// <param name="Deleted">The key was deleted.</param>
/// <param name="CompareFailed">An expected mod_index was given and the key did not have it (or was absent); nothing was written.</param>
/// <param name="CurrentIndex">When the compare failed: the key's mod_index now (0: absent).</param>
/// <param name="Header">Who answered; null when the compare failed (a status, not an answer, came back).</param>
public sealed record DeleteResult(bool Deleted, bool CompareFailed, ulong CurrentIndex, RaftHeader? Header);

/// <summary>
/// A compare-and-swap's outcome: a lost race is the expected answer of an optimistic loop, so it is a value here,
/// not an exception; <see cref="ModIndex"/> then is the key's mod_index now, to read and try again from.
/// </summary>
/// <param name="Swapped">The value was written.</param>
/// <param name="ModIndex">Swapped: the key's new mod_index. Not swapped: its mod_index now (0: absent).</param>
/// <param name="Header">Who answered; null when the compare failed.</param>
public sealed record CompareAndSwapResult(bool Swapped, ulong ModIndex, RaftHeader? Header);

/// <summary>A page of a listing.</summary>
/// <param name="Entries">The pairs, in ordinal key order.</param>
/// <param name="More">More keys follow the last one: list again from it.</param>
/// <param name="Header">Who answered; <c>Header.Index</c> is the index the listing was served at.</param>
public sealed record ListPage(IReadOnlyList<KvEntry> Entries, bool More, RaftHeader Header);

/// <summary>A DeleteTree's outcome.</summary>
/// <param name="Deleted">How many keys were deleted.</param>
/// <param name="Header">Who answered; <c>Header.Index</c> is the entry's index.</param>
public sealed record DeleteTreeResult(ulong Deleted, RaftHeader Header);

/// <summary>A batch's outcome.</summary>
/// <param name="Keys">The keys written or deleted, in the order of the batch.</param>
/// <param name="Deleted">How many keys it deleted.</param>
/// <param name="Header">Who answered; <c>Header.Index</c> is the entry's index, every written key's mod_index now.</param>
public sealed record BatchResult(IReadOnlyList<string> Keys, ulong Deleted, RaftHeader Header);

/// <summary>Puts and deletes applied as one log entry, all or nothing; each key at most once.</summary>
public sealed class KvBatch
{
    internal BatchRequest Request { get; } = new();

    /// <summary>How many operations the batch holds.</summary>
    public int Count => Request.Ops.Count;

    /// <summary>Sets <paramref name="key"/> to <paramref name="value"/>.</summary>
    public KvBatch Put(string key, ReadOnlySpan<byte> value)
    {
        Request.Ops.Add(new BatchOp { Put = new PutRequest { Key = KvClient.KeyBytes(key), Value = Google.Protobuf.ByteString.CopyFrom(value) } });
        return this;
    }

    /// <summary>Sets <paramref name="key"/> to <paramref name="value"/> as UTF-8.</summary>
    public KvBatch Put(string key, string value) => Put(key, Encoding.UTF8.GetBytes(value));

    /// <summary>Deletes <paramref name="key"/>, which must exist: else the whole batch fails with <see cref="CompareFailedException"/>.</summary>
    public KvBatch Delete(string key)
    {
        Request.Ops.Add(new BatchOp { Delete = new DeleteRequest { Key = KvClient.KeyBytes(key) } });
        return this;
    }
}
