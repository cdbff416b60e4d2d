using System.Text;
using AkkaRaft.Client.Kv;
using AkkaRaft.Client.Kv.Protocol;
using AkkaRaft.Raft.StateMachines;
using Google.Protobuf;

namespace AkkaRaft.Kv;

/// <summary>
/// The replicated key/value store, with libkv's <c>Store</c> semantics as drax exposes them: Put, Get, Delete,
/// Exists, List, DeleteTree, AtomicPut and AtomicDelete, every key carrying its last-modified Raft index
/// (<see cref="KvPair.LastIndex"/>), and ephemeral keys owned by a client session and deleted when it expires.
/// </summary>
/// <remarks>
/// Build commands with <see cref="KvCommands"/> and queries with <see cref="KvQueries"/>; decode every response
/// with <see cref="KvResult.Decode(ReadOnlySpan{byte})"/>. Failures (key not found, compare failed, limits,
/// invalid keys, malformed requests) are results that changed nothing, never exceptions. Deterministic: no
/// clock, no randomness, ordinal key order everywhere, so replicas hold identical state and write identical
/// snapshots. Not thread-safe: its peer's state machine actor is its only caller.
/// </remarks>
public sealed partial class KvStateMachine : IStateMachine
{
    private readonly KvSettings _settings;

    // The store: values by key, the keys in ordinal order (List, DeleteTree, snapshots), and the keys of
    // each session with ephemeral keys (session expiry). The three always hold the same keys.
    private Dictionary<string, Item> _items = new(StringComparer.Ordinal);
    private SortedSet<string> _order = new(StringComparer.Ordinal);
    private Dictionary<long, SortedSet<string>> _sessionKeys = [];

    /// <summary>Creates an empty store that enforces <paramref name="settings"/>.</summary>
    /// <exception cref="ArgumentOutOfRangeException">A limit in <paramref name="settings"/> is below 1 (or the batch limit above its maximum).</exception>
    public KvStateMachine(KvSettings settings)
    {
        ArgumentNullException.ThrowIfNull(settings);
        settings.Validate();
        _settings = settings;
    }

    /// <summary>The limits this store enforces.</summary>
    public KvSettings Settings => _settings;

    /// <summary>How many keys the store holds.</summary>
    public int Count => _items.Count;

    /// <summary>How many sessions own at least one ephemeral key.</summary>
    public int SessionsWithKeys => _sessionKeys.Count;

    /// <inheritdoc />
    public ApplyResult Apply(in ApplyContext context, ReadOnlyMemory<byte> command)
    {
        ArgumentOutOfRangeException.ThrowIfZero(context.Index, "context.Index");
        KvCommand decoded;
        try
        {
            decoded = KvCommand.Parser.ParseFrom(command.Span);
        }
        catch (InvalidProtocolBufferException)
        {
            // The message of the parser's exception is left out: a result must be the same on every peer.
            return Failed(KvStatus.InvalidRequest, $"The {command.Length} bytes are not a key/value command.");
        }

        switch (decoded.OpCase)
        {
            case KvCommand.OpOneofCase.Put:
                return KvText.TryDecode(decoded.Put.Key, out var putKey)
                    ? Put(context, putKey, decoded.Put.Value, decoded.Put.Ephemeral)
                    : NotUtf8("key");
            case KvCommand.OpOneofCase.AtomicPut:
                return KvText.TryDecode(decoded.AtomicPut.Key, out var atomicPutKey)
                    ? AtomicPut(context, atomicPutKey, decoded.AtomicPut)
                    : NotUtf8("key");
            case KvCommand.OpOneofCase.Delete:
                return KvText.TryDecode(decoded.Delete.Key, out var deleteKey) ? Delete(deleteKey) : NotUtf8("key");
            case KvCommand.OpOneofCase.AtomicDelete:
                return KvText.TryDecode(decoded.AtomicDelete.Key, out var atomicDeleteKey)
                    ? AtomicDelete(atomicDeleteKey, decoded.AtomicDelete.PreviousIndex)
                    : NotUtf8("key");
            case KvCommand.OpOneofCase.DeleteTree:
                return !KvText.TryDecode(decoded.DeleteTree.Prefix, out var prefix) ? NotUtf8("prefix")
                    : !KvText.TryDecode(decoded.DeleteTree.SparePrefix, out var spare) ? NotUtf8("spare_prefix")
                    : DeleteTree(prefix, spare);
            case KvCommand.OpOneofCase.Batch:
                return Batch(context, decoded.Batch);
            default:
                return Failed(KvStatus.InvalidRequest, "The key/value command names no operation.");
        }
    }

    /// <inheritdoc />
    public ApplyResult SessionExpired(in ApplyContext context, long sessionId)
    {
        ArgumentOutOfRangeException.ThrowIfZero(context.Index, "context.Index");
        ArgumentOutOfRangeException.ThrowIfEqual(sessionId, ApplyContext.NoSession);
        if (!_sessionKeys.TryGetValue(sessionId, out var owned))
        {
            return ApplyResult.Unchanged(Encode(new KvResponse()));
        }

        // Ordinal order, from the sorted set: the changed keys are the same on every peer.
        var deleted = owned.ToArray();
        foreach (var key in deleted)
        {
            Remove(key);
        }

        Invariant(!_sessionKeys.ContainsKey(sessionId), $"session {sessionId} still owns keys after its expiry deleted them");
        return new ApplyResult(Encode(new KvResponse { DeletedCount = (ulong)deleted.Length }), deleted);
    }

    /// <inheritdoc />
    public QueryResult Query(ReadOnlyMemory<byte> query)
    {
        KvQuery decoded;
        try
        {
            decoded = KvQuery.Parser.ParseFrom(query.Span);
        }
        catch (InvalidProtocolBufferException)
        {
            return new QueryResult(FailedResponse(KvStatus.InvalidRequest, $"The {query.Length} bytes are not a key/value query."), []);
        }

        switch (decoded.OpCase)
        {
            case KvQuery.OpOneofCase.Get:
                return KvText.TryDecode(decoded.Get.Key, out var getKey) ? Get(getKey) : NotUtf8Answer("key");
            case KvQuery.OpOneofCase.Exists:
                return KvText.TryDecode(decoded.Exists.Key, out var existsKey) ? Exists(existsKey) : NotUtf8Answer("key");
            case KvQuery.OpOneofCase.List:
                if (!KvText.TryDecode(decoded.List.Prefix, out var prefix))
                {
                    return NotUtf8Answer("prefix");
                }

                return KvText.TryDecode(decoded.List.StartAfter, out var startAfter)
                    ? List(prefix, startAfter, decoded.List.Limit)
                    : NotUtf8Answer("start key");
            default:
                return new QueryResult(FailedResponse(KvStatus.InvalidRequest, "The key/value query names no operation."), []);
        }
    }

    private ApplyResult Put(in ApplyContext context, string key, ByteString value, bool ephemeral)
    {
        if (CheckWrite(context, key, value, ephemeral) is { } refused)
        {
            return refused;
        }

        return Written(key, Set(key, value, context, ephemeral));
    }

    private ApplyResult AtomicPut(in ApplyContext context, string key, AtomicPutOp op)
    {
        if (CheckWrite(context, key, op.Value, op.Ephemeral) is { } refused)
        {
            return refused;
        }

        var exists = _items.TryGetValue(key, out var current);
        if (op.PreviousIndex == 0)
        {
            // libkv: no previous pair means create only if absent.
            if (exists)
            {
                return Failed(KvStatus.KeyExists, $"The key '{key}' exists (last modified at index {current!.LastIndex}).", current!.LastIndex);
            }
        }
        else if (!exists)
        {
            return Failed(KvStatus.KeyNotFound, $"The key '{key}' does not exist, so it is not at index {op.PreviousIndex}.");
        }
        else if (current!.LastIndex != op.PreviousIndex)
        {
            return Failed(KvStatus.KeyModified,
                $"The key '{key}' was last modified at index {current.LastIndex}, not {op.PreviousIndex}.", current.LastIndex);
        }

        return Written(key, Set(key, op.Value, context, op.Ephemeral));
    }

    /// <summary>
    /// Applies every operation of the batch or none: all are checked against the state before the first changes it
    /// (no key appears twice, so a check cannot be invalidated by an earlier operation of the same batch).
    /// </summary>
    private ApplyResult Batch(in ApplyContext context, BatchOp batch)
    {
        var items = batch.Items;
        if (items.Count == 0)
        {
            return Failed(KvStatus.InvalidRequest, "The batch holds no operation.");
        }

        var keys = new string[items.Count];
        var seen = new HashSet<string>(StringComparer.Ordinal);
        for (var i = 0; i < items.Count; i++)
        {
            var item = items[i];
            var raw = item.OpCase switch
            {
                BatchItem.OpOneofCase.Put => item.Put.Key,
                BatchItem.OpOneofCase.Delete => item.Delete.Key,
                _ => null,
            };
            if (raw is null)
            {
                return Failed(KvStatus.InvalidRequest, $"Operation {i + 1} of the batch names no operation (put or delete).");
            }

            if (!KvText.TryDecode(raw, out var key))
            {
                return Failed(KvStatus.InvalidKey, $"The key of operation {i + 1} of the batch is not valid UTF-8.");
            }

            if (i == _settings.MaxBatchKeys)
            {
                // Named by its key, as every other refusal of a batch: the first key over the limit.
                return BatchFailed(KvStatus.BatchTooLarge, key,
                    $"The batch holds {items.Count} operations, more than max-batch-keys ({_settings.MaxBatchKeys}); the first over the limit is '{key}'.");
            }

            if (!seen.Add(key))
            {
                return BatchFailed(KvStatus.InvalidRequest, key, $"The key '{key}' appears more than once in the batch.");
            }

            var status = item.OpCase == BatchItem.OpOneofCase.Put
                ? WriteProblem(context, key, item.Put.Value, item.Put.Ephemeral, out var problem)
                : DeleteProblem(key, out problem);
            if (status != KvStatus.Ok)
            {
                return BatchFailed(status, key, $"Key '{key}' (operation {i + 1} of the batch): {problem} Nothing in the batch was applied.");
            }

            keys[i] = key;
        }

        var response = new KvResponse();
        for (var i = 0; i < items.Count; i++)
        {
            var key = keys[i];
            if (items[i].OpCase == BatchItem.OpOneofCase.Put)
            {
                var put = items[i].Put;
                response.Pairs.Add(Set(key, put.Value, context, put.Ephemeral).ToEntry(key, withValue: false));
            }
            else
            {
                var current = _items[key];
                Remove(key);
                response.Pairs.Add(current.ToEntry(key, withValue: false));
                response.DeletedCount++;
            }
        }

        return new ApplyResult(Encode(response), keys);
    }

    private static ApplyResult BatchFailed(KvStatus status, string key, string message) =>
        ApplyResult.Unchanged(Encode(new KvResponse { Status = (KvStatusCode)status, Message = message, FailedKey = ByteString.CopyFromUtf8(key) }));

    private ApplyResult Delete(string key)
    {
        if (DeleteProblem(key, out var message) is var status && status != KvStatus.Ok)
        {
            return Failed(status, message);
        }

        var current = _items[key];
        Remove(key);
        return Deleted(key, current);
    }

    private ApplyResult AtomicDelete(string key, ulong previousIndex)
    {
        if (CheckKey(key) is { } refused)
        {
            return refused;
        }

        if (previousIndex == 0)
        {
            return Failed(KvStatus.InvalidRequest, "AtomicDelete needs the previous index of the key; 0 is none.");
        }

        if (!_items.TryGetValue(key, out var current))
        {
            return Failed(KvStatus.KeyNotFound, $"The key '{key}' does not exist.");
        }

        if (current.LastIndex != previousIndex)
        {
            return Failed(KvStatus.KeyModified,
                $"The key '{key}' was last modified at index {current.LastIndex}, not {previousIndex}.", current.LastIndex);
        }

        Remove(key);
        return Deleted(key, current);
    }

    private ApplyResult DeleteTree(string prefix, string spare)
    {
        if (KvKeys.CheckPrefix(prefix, _settings, out var message) is var status && status != KvStatus.Ok)
        {
            return Failed(status, message);
        }

        var keys = new List<string>();
        foreach (var key in KeysFrom(prefix, prefix))
        {
            if (spare.Length == 0 || !key.StartsWith(spare, StringComparison.Ordinal)) keys.Add(key);
        }

        foreach (var key in keys)
        {
            Remove(key);
        }

        return new ApplyResult(Encode(new KvResponse { DeletedCount = (ulong)keys.Count }), keys);
    }

    private QueryResult Get(string key)
    {
        if (KvKeys.CheckKey(key, _settings, out var message) is var status && status != KvStatus.Ok)
        {
            return new QueryResult(FailedResponse(status, message), []);
        }

        if (!_items.TryGetValue(key, out var item))
        {
            return new QueryResult(FailedResponse(KvStatus.KeyNotFound, $"The key '{key}' does not exist."), [key]);
        }

        return new QueryResult(Encode(new KvResponse { Pair = item.ToEntry(key, withValue: true) }), [key]);
    }

    private QueryResult Exists(string key)
    {
        if (KvKeys.CheckKey(key, _settings, out var message) is var status && status != KvStatus.Ok)
        {
            return new QueryResult(FailedResponse(status, message), []);
        }

        return new QueryResult(Encode(new KvResponse { Exists = _items.ContainsKey(key) }), [key]);
    }

    private QueryResult List(string prefix, string startAfter, uint requestedLimit)
    {
        if (KvKeys.CheckPrefix(prefix, _settings, out var message) is var status && status != KvStatus.Ok)
        {
            return new QueryResult(FailedResponse(status, message), []);
        }

        var limit = requestedLimit == 0 || requestedLimit > (uint)_settings.MaxListResults ? _settings.MaxListResults : (int)requestedLimit;
        var start = startAfter.Length > 0 && string.CompareOrdinal(startAfter, prefix) > 0 ? startAfter : prefix;
        var response = new KvResponse();
        var readKeys = new List<string>();
        var bytes = 0L;
        foreach (var key in KeysFrom(prefix, start))
        {
            if (startAfter.Length > 0 && string.CompareOrdinal(key, startAfter) <= 0)
            {
                continue;
            }

            var item = _items[key];
            var size = (long)Encoding.UTF8.GetByteCount(key) + item.Value.Length;
            if (readKeys.Count == limit || (readKeys.Count > 0 && bytes + size > _settings.MaxListBytes))
            {
                response.Truncated = true;
                break;
            }

            bytes += size;
            readKeys.Add(key);
            response.Pairs.Add(item.ToEntry(key, withValue: true));
        }

        return new QueryResult(Encode(response), readKeys);
    }

    /// <summary>Keys that start with <paramref name="prefix"/> and are not ordinally below <paramref name="from"/>, in order.</summary>
    private IEnumerable<string> KeysFrom(string prefix, string from)
    {
        if (_order.Count == 0 || string.CompareOrdinal(from, _order.Max) > 0)
        {
            yield break;
        }

        // A view bounded by the end of the prefix range keeps the walk to the keys with the prefix (SortedSet
        // counts a view's keys when it makes it).
        var end = KvKeys.PrefixEnd(prefix);
        var upper = end is null || string.CompareOrdinal(end, _order.Max) > 0 ? _order.Max! : end;
        if (string.CompareOrdinal(from, upper) > 0)
        {
            yield break;
        }

        foreach (var key in _order.GetViewBetween(from, upper))
        {
            if (!key.StartsWith(prefix, StringComparison.Ordinal))
            {
                yield break;
            }

            yield return key;
        }
    }

    private ApplyResult? CheckWrite(in ApplyContext context, string key, ByteString value, bool ephemeral) =>
        WriteProblem(context, key, value, ephemeral, out var message) is var status && status != KvStatus.Ok ? Failed(status, message) : null;

    /// <summary>Why a put of <paramref name="key"/> would be refused (its key, value or session), or Ok.</summary>
    private KvStatus WriteProblem(in ApplyContext context, string key, ByteString value, bool ephemeral, out string message)
    {
        if (KvKeys.CheckKey(key, _settings, out message) is var keyStatus && keyStatus != KvStatus.Ok)
        {
            return keyStatus;
        }

        if (KvKeys.CheckValue(value.Length, _settings, out message) is var valueStatus && valueStatus != KvStatus.Ok)
        {
            return valueStatus;
        }

        if (ephemeral && !context.HasSession)
        {
            message = $"The ephemeral key '{key}' needs a client session to own it; the write came without one.";
            return KvStatus.NoSession;
        }

        return KvStatus.Ok;
    }

    /// <summary>Why a delete of <paramref name="key"/> would be refused (its key, or its absence), or Ok.</summary>
    private KvStatus DeleteProblem(string key, out string message)
    {
        if (KvKeys.CheckKey(key, _settings, out message) is var status && status != KvStatus.Ok)
        {
            return status;
        }

        if (!_items.ContainsKey(key))
        {
            message = $"The key '{key}' does not exist.";
            return KvStatus.KeyNotFound;
        }

        return KvStatus.Ok;
    }

    private static ApplyResult NotUtf8(string what) => Failed(KvStatus.InvalidKey, $"The {what} is not valid UTF-8.");

    private static QueryResult NotUtf8Answer(string what) => new(FailedResponse(KvStatus.InvalidKey, $"The {what} is not valid UTF-8."), []);

    private ApplyResult? CheckKey(string key) =>
        KvKeys.CheckKey(key, _settings, out var message) is var status && status != KvStatus.Ok ? Failed(status, message) : null;

    private Item Set(string key, ByteString value, in ApplyContext context, bool ephemeral)
    {
        var sessionId = ephemeral ? context.SessionId : ApplyContext.NoSession;
        if (_items.TryGetValue(key, out var previous))
        {
            Disown(key, previous.SessionId);
        }
        else
        {
            _order.Add(key);
        }

        // ByteString is immutable, so the store can keep the parsed value without a copy.
        var item = new Item(value, context.Index, sessionId);
        _items[key] = item;
        Own(key, sessionId);
        return item;
    }

    private void Remove(string key)
    {
        var removed = _items.Remove(key, out var item);
        Invariant(removed, $"removing the key '{key}', which the store does not hold");
        Invariant(_order.Remove(key), $"the key '{key}' was in the store but not in the ordered index");
        Disown(key, item!.SessionId);
    }

    private void Own(string key, long sessionId)
    {
        if (sessionId == ApplyContext.NoSession)
        {
            return;
        }

        if (!_sessionKeys.TryGetValue(sessionId, out var keys))
        {
            keys = new SortedSet<string>(StringComparer.Ordinal);
            _sessionKeys.Add(sessionId, keys);
        }

        keys.Add(key);
    }

    private void Disown(string key, long sessionId)
    {
        if (sessionId == ApplyContext.NoSession)
        {
            return;
        }

        Invariant(_sessionKeys.TryGetValue(sessionId, out var keys), $"the key '{key}' is owned by session {sessionId}, which owns no keys");
        Invariant(keys!.Remove(key), $"the key '{key}' is owned by session {sessionId}, whose key set lacks it");
        if (keys.Count == 0)
        {
            _sessionKeys.Remove(sessionId);
        }
    }

    private static ApplyResult Written(string key, Item item) =>
        new(Encode(new KvResponse { Pair = item.ToEntry(key, withValue: false) }), [key]);

    private static ApplyResult Deleted(string key, Item item) =>
        new(Encode(new KvResponse { Pair = item.ToEntry(key, withValue: false), DeletedCount = 1 }), [key]);

    private static ApplyResult Failed(KvStatus status, string message, ulong currentIndex = 0) =>
        ApplyResult.Unchanged(FailedResponse(status, message, currentIndex));

    private static byte[] FailedResponse(KvStatus status, string message, ulong currentIndex = 0) =>
        Encode(new KvResponse { Status = (KvStatusCode)status, Message = message, CurrentIndex = currentIndex });

    private static byte[] Encode(KvResponse response) => response.ToByteArray();

    private static void Invariant(bool holds, string broken)
    {
        if (!holds)
        {
            throw new InvalidOperationException($"Key/value store invariant broken: {broken}.");
        }
    }

    /// <summary>One key's data. Immutable: a write replaces the item.</summary>
    private sealed record Item(ByteString Value, ulong LastIndex, long SessionId)
    {
        public KvEntry ToEntry(string key, bool withValue) => new()
        {
            Key = ByteString.CopyFromUtf8(key),
            Value = withValue ? Value : ByteString.Empty,
            LastIndex = LastIndex,
            SessionId = SessionId,
        };
    }
}
