using AkkaRaft.Client.Kv;
using AkkaRaft.Grpc.V1;
using AkkaRaft.Server.Node;
using Google.Protobuf;
using Grpc.Core;

namespace AkkaRaft.Server.Grpc;

/// <summary>
/// <c>akkaraft.v1.Kv</c> (protos/kv.proto): the key/value store, each RPC the key/value command or query the HTTP API
/// sends for the same operation. Fields are checked before anything is proposed; the state machine checks them again
/// as it applies.
/// </summary>
public sealed class KvService(RaftCalls calls) : AkkaRaft.Grpc.V1.Kv.KvBase
{
    /// <inheritdoc />
    public override async Task<PutResponse> Put(PutRequest request, ServerCallContext context)
    {
        RequireKeyValue();
        var key = RaftCalls.Writable(calls.Key(request.Key, "key"), "key");
        calls.CheckValue(request.Value, "value");
        var session = SessionOf(request.Session, "session");
        var (written, term) = await calls.WriteAsync(KvCommands.Put(key, request.Value.Span, session?.Ephemeral ?? false), context, session).ConfigureAwait(false);
        var result = KvResult.Decode(written.Response);
        if (!result.IsOk) throw RaftCalls.KvFailure(result, "key", key, compare: false);
        return new PutResponse { Header = calls.Header(written.Index, written.Leader, term), ModIndex = result.Pair?.LastIndex ?? written.Index };
    }

    /// <inheritdoc />
    public override async Task<GetResponse> Get(GetRequest request, ServerCallContext context)
    {
        RequireKeyValue();
        var key = calls.Key(request.Key, "key");
        var (read, term) = await calls.QueryAsync(KvQueries.Get(key), RaftCalls.LevelOf(request.Level, "level"), context).ConfigureAwait(false);
        var result = KvResult.Decode(read.Response);
        var response = new GetResponse { Header = calls.Header(read.AppliedIndex, read.Leader, term) };
        if (result.Status == KvStatus.KeyNotFound) return response;
        if (!result.IsOk) throw RaftCalls.KvFailure(result, "key", key, compare: false);
        response.Found = true;
        response.Kv = KeyValueOf(result.Pair!);
        return response;
    }

    /// <inheritdoc />
    public override async Task<DeleteResponse> Delete(DeleteRequest request, ServerCallContext context)
    {
        RequireKeyValue();
        var key = RaftCalls.Writable(calls.Key(request.Key, "key"), "key");
        var compare = request.ExpectedModIndex != 0;
        var command = compare ? KvCommands.AtomicDelete(key, request.ExpectedModIndex) : KvCommands.Delete(key);
        var (written, term) = await calls.WriteAsync(command, context).ConfigureAwait(false);
        var result = KvResult.Decode(written.Response);
        var response = new DeleteResponse { Header = calls.Header(written.Index, written.Leader, term) };
        // etcd's DeleteRange: deleting an absent key is not an error, it deletes nothing (unless a compare was asked).
        if (result.Status == KvStatus.KeyNotFound && !compare) return response;
        if (!result.IsOk) throw RaftCalls.KvFailure(result, "key", key, compare);
        response.Deleted = 1;
        return response;
    }

    /// <inheritdoc />
    public override async Task<ListResponse> List(ListRequest request, ServerCallContext context)
    {
        RequireKeyValue();
        var prefix = calls.Prefix(request.Prefix, "prefix");
        var startAfter = calls.Prefix(request.StartAfter, "start_after");
        var (read, term) = await calls.QueryAsync(KvQueries.List(prefix, startAfter, request.Limit), RaftCalls.LevelOf(request.Level, "level"), context).ConfigureAwait(false);
        var result = KvResult.Decode(read.Response);
        if (!result.IsOk) throw RaftCalls.KvFailure(result, "prefix", prefix, compare: false);
        var response = new ListResponse { Header = calls.Header(read.AppliedIndex, read.Leader, term), More = result.Truncated };
        // The cluster's own records stay out of a listing that does not ask for them (as GET /keys).
        var showInternal = MemberDirectory.IsInternal(prefix);
        foreach (var pair in result.Pairs)
        {
            if (showInternal || !MemberDirectory.IsInternal(pair.Key)) response.Kvs.Add(KeyValueOf(pair));
        }

        return response;
    }

    /// <inheritdoc />
    public override async Task<DeleteTreeResponse> DeleteTree(DeleteTreeRequest request, ServerCallContext context)
    {
        RequireKeyValue();
        var prefix = RaftCalls.Writable(calls.Prefix(request.Prefix, "prefix"), "prefix");
        if (prefix.Length == 0 && !request.AllKeys) throw RaftCalls.Invalid("prefix", "empty, which would delete every key: set all_keys to true to mean that");
        if (prefix.Length > 0 && request.AllKeys) throw RaftCalls.Invalid("all_keys", "set together with a prefix: leave the prefix empty to delete every key");
        // Deleting every key (or a tree over the cluster's own records) leaves those records be.
        var (written, term) = await calls.WriteAsync(KvCommands.DeleteTree(prefix, MemberDirectory.SparedByDeleteTree(prefix)), context).ConfigureAwait(false);
        var result = KvResult.Decode(written.Response);
        if (!result.IsOk) throw RaftCalls.KvFailure(result, "prefix", prefix, compare: false);
        return new DeleteTreeResponse { Header = calls.Header(written.Index, written.Leader, term), Deleted = result.DeletedCount };
    }

    /// <inheritdoc />
    public override async Task<CompareAndSwapResponse> CompareAndSwap(CompareAndSwapRequest request, ServerCallContext context)
    {
        RequireKeyValue();
        var key = RaftCalls.Writable(calls.Key(request.Key, "key"), "key");
        calls.CheckValue(request.Value, "value");
        var previous = request.ExpectedModIndex == 0 ? (ulong?)null : request.ExpectedModIndex;
        var session = SessionOf(request.Session, "session");
        var (written, term) = await calls.WriteAsync(KvCommands.AtomicPut(key, request.Value.Span, previous, session?.Ephemeral ?? false), context, session).ConfigureAwait(false);
        var result = KvResult.Decode(written.Response);
        if (!result.IsOk) throw RaftCalls.KvFailure(result, "key", key, compare: true);
        return new CompareAndSwapResponse { Header = calls.Header(written.Index, written.Leader, term), ModIndex = result.Pair?.LastIndex ?? written.Index };
    }

    /// <inheritdoc />
    public override async Task<BatchResponse> Batch(BatchRequest request, ServerCallContext context)
    {
        RequireKeyValue();
        var max = calls.Node.KvSettings.MaxBatchKeys;
        if (request.Ops.Count == 0) throw RaftCalls.Invalid("ops", "empty: a batch needs at least one put or delete");
        if (request.Ops.Count > max) throw RaftCalls.TooLarge($"ops holds {request.Ops.Count} operations, more than {max}", "akkaraft.kv.max-batch-keys");
        var session = SessionOf(request.Session, "session");
        var ephemeral = session?.Ephemeral ?? false;
        var operations = new KvBatchOperation[request.Ops.Count];
        var fields = new Dictionary<string, string>(StringComparer.Ordinal);
        for (var i = 0; i < operations.Length; i++)
        {
            var op = request.Ops[i];
            string field;
            switch (op.OpCase)
            {
                case BatchOp.OpOneofCase.Put:
                    field = $"ops[{i}].put.key";
                    var key = RaftCalls.Writable(calls.Key(op.Put.Key, field), field);
                    calls.CheckValue(op.Put.Value, $"ops[{i}].put.value");
                    if (op.Put.Session is not null) throw RaftCalls.Invalid($"ops[{i}].put.session", "a batch is written in one session: set the batch's session instead");
                    operations[i] = KvBatchOperation.Put(key, op.Put.Value.Memory, ephemeral);
                    break;
                case BatchOp.OpOneofCase.Delete:
                    field = $"ops[{i}].delete.key";
                    if (op.Delete.ExpectedModIndex != 0) throw RaftCalls.Invalid($"ops[{i}].delete.expected_mod_index", "a batch has no compares: leave it 0");
                    operations[i] = KvBatchOperation.Delete(RaftCalls.Writable(calls.Key(op.Delete.Key, field), field));
                    break;
                default:
                    throw RaftCalls.Invalid($"ops[{i}]", "sets neither put nor delete");
            }

            if (!fields.TryAdd(operations[i].Key, field)) throw RaftCalls.Invalid(field, $"the key '{ClientText.Shown(operations[i].Key)}' is also {fields[operations[i].Key]}: a batch names each key once");
        }

        var (written, term) = await calls.WriteAsync(KvCommands.Batch(operations), context, session).ConfigureAwait(false);
        var result = KvResult.Decode(written.Response);
        if (!result.IsOk)
        {
            // A delete of an absent key fails the batch: its precondition (the key exists) did not hold.
            var failedField = fields.TryGetValue(result.FailedKey, out var f) ? f : "ops";
            throw RaftCalls.KvFailure(result, failedField, result.FailedKey, compare: true);
        }

        var response = new BatchResponse { Header = calls.Header(written.Index, written.Leader, term), Deleted = result.DeletedCount };
        foreach (var pair in result.Pairs) response.Kvs.Add(new KeyValue { Key = ByteString.CopyFromUtf8(pair.Key), ModIndex = pair.LastIndex });
        return response;
    }

    /// <summary>
    /// The session part of a write (HTTP's <c>?session=&amp;ephemeral=&amp;seq=&amp;ack=</c>), checked as the HTTP API checks
    /// it; null for a write outside any session.
    /// </summary>
    internal static WriteSession? SessionOf(SessionWrite? session, string field)
    {
        if (session is null) return null;
        if (session.Id <= 0) throw RaftCalls.Invalid($"{field}.id", $"{session.Id} is not a session id (a positive integer, as Session.Open answered it)");
        if (session.Ack != 0 && session.Seq == 0) throw RaftCalls.Invalid($"{field}.ack", "set without seq: ack counts the exactly-once writes of a session");
        if (session.Ack > session.Seq) throw RaftCalls.Invalid($"{field}.ack", $"{session.Ack} is more than seq {session.Seq}: it is the lowest seq whose answer you have not received");
        return new WriteSession(session.Id, session.Seq, session.Ack == 0 ? session.Seq : session.Ack, session.Ephemeral);
    }

    private static KeyValue KeyValueOf(KvPair pair) => new()
    {
        Key = ByteString.CopyFromUtf8(pair.Key),
        Value = ByteString.CopyFrom(pair.Value.Span),
        ModIndex = pair.LastIndex,
        SessionId = pair.SessionId,
    };

    /// <summary>
    /// A node started with a state machine of the user's own has no key/value store: a key/value command proposed there
    /// would be applied by the user's machine.
    /// </summary>
    private void RequireKeyValue()
    {
        if (calls.Node.ServesKeyValue) return;
        throw new RpcException(new Status(StatusCode.Unimplemented, AkkaRaftNode.NoKeyValueReason));
    }
}
