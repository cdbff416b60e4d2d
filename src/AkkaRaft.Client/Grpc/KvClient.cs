using System.Globalization;
using System.Text;
using AkkaRaft.Grpc.V1;
using Google.Protobuf;
using Grpc.Core;
using GrpcReadLevel = AkkaRaft.Grpc.V1.ReadLevel;
using KvStub = AkkaRaft.Grpc.V1.Kv.KvClient;

namespace AkkaRaft.Client.Grpc;

/// <summary>
/// The key/value store (<c>akkaraft.v1.Kv</c>, protos/kv.proto) through an <see cref="AkkaRaftGrpcClient"/>: string
/// keys, byte values, results with their log index. Writes follow the leader and are sent again only when nothing
/// was written.
/// <para>
/// Errors: a compare that fails is a value (<see cref="CompareAndSwapResult.Swapped"/> false,
/// <see cref="DeleteResult.CompareFailed"/>), since losing a race is what an optimistic loop expects; a batch whose
/// delete finds no key throws <see cref="CompareFailedException"/>. Otherwise the exceptions of
/// <see cref="AkkaRaftGrpcClient.CallAsync{TResponse}"/>: <see cref="RpcException"/> with the node's status
/// (INVALID_ARGUMENT naming the field, RESOURCE_EXHAUSTED naming the setting), <see cref="WriteOutcomeUnknownException"/>,
/// <see cref="RaftUnavailableException"/>.
/// </para>
/// </summary>
public sealed class KvClient(AkkaRaftGrpcClient client)
{
    private readonly AkkaRaftGrpcClient _client = client ?? throw new ArgumentNullException(nameof(client));

    /// <summary>Sets <paramref name="key"/> to <paramref name="value"/>.</summary>
    public async Task<PutResult> PutAsync(string key, ReadOnlyMemory<byte> value, DateTime? deadline = null, CancellationToken cancellationToken = default)
    {
        var request = new PutRequest { Key = KeyBytes(key), Value = ByteString.CopyFrom(value.Span) };
        var response = await _client.CallAsync(RaftCallKind.Write, (invoker, options) => new KvStub(invoker).PutAsync(request, options), deadline, null, cancellationToken).ConfigureAwait(false);
        return new PutResult(response.ModIndex, RaftHeader.Of(response.Header));
    }

    /// <summary>Sets <paramref name="key"/> to <paramref name="value"/> as UTF-8.</summary>
    public Task<PutResult> PutAsync(string key, string value, DateTime? deadline = null, CancellationToken cancellationToken = default) =>
        PutAsync(key, Encoding.UTF8.GetBytes(value ?? throw new ArgumentNullException(nameof(value))), deadline, cancellationToken);

    /// <summary>Reads <paramref name="key"/> at <paramref name="level"/> (the leader's state by default; a follower's own with Stale).</summary>
    public async Task<GetResult> GetAsync(string key, GrpcReadLevel level = GrpcReadLevel.Default, DateTime? deadline = null, CancellationToken cancellationToken = default)
    {
        var request = new GetRequest { Key = KeyBytes(key), Level = level };
        var response = await _client.CallAsync(RaftCallKind.Read, (invoker, options) => new KvStub(invoker).GetAsync(request, options), deadline, null, cancellationToken).ConfigureAwait(false);
        return new GetResult(response.Found ? KvEntry.Of(response.Kv) : null, RaftHeader.Of(response.Header));
    }

    /// <summary>
    /// Deletes <paramref name="key"/>; with <paramref name="expectedModIndex"/> not 0, only if its mod_index is that
    /// (else <see cref="DeleteResult.CompareFailed"/>).
    /// </summary>
    public async Task<DeleteResult> DeleteAsync(string key, ulong expectedModIndex = 0, DateTime? deadline = null, CancellationToken cancellationToken = default)
    {
        var request = new DeleteRequest { Key = KeyBytes(key), ExpectedModIndex = expectedModIndex };
        try
        {
            var response = await _client.CallAsync(RaftCallKind.Write, (invoker, options) => new KvStub(invoker).DeleteAsync(request, options), deadline, null, cancellationToken).ConfigureAwait(false);
            return new DeleteResult(response.Deleted > 0, false, 0, RaftHeader.Of(response.Header));
        }
        catch (RpcException e) when (expectedModIndex != 0 && CurrentIndex(e) is { } current)
        {
            return new DeleteResult(false, true, current, null);
        }
    }

    /// <summary>One page of the keys under <paramref name="prefix"/> after <paramref name="startAfter"/>, at most <paramref name="limit"/> (0: the node's maximum).</summary>
    public async Task<ListPage> ListAsync(string prefix = "", string startAfter = "", uint limit = 0, GrpcReadLevel level = GrpcReadLevel.Default, DateTime? deadline = null, CancellationToken cancellationToken = default)
    {
        var request = new ListRequest { Prefix = KeyBytes(prefix), StartAfter = KeyBytes(startAfter), Limit = limit, Level = level };
        var response = await _client.CallAsync(RaftCallKind.Read, (invoker, options) => new KvStub(invoker).ListAsync(request, options), deadline, null, cancellationToken).ConfigureAwait(false);
        var entries = new KvEntry[response.Kvs.Count];
        for (var i = 0; i < entries.Length; i++) entries[i] = KvEntry.Of(response.Kvs[i]);
        return new ListPage(entries, response.More, RaftHeader.Of(response.Header));
    }

    /// <summary>Deletes every key under <paramref name="prefix"/> in one entry; an empty prefix needs <paramref name="allKeys"/>.</summary>
    public async Task<DeleteTreeResult> DeleteTreeAsync(string prefix, bool allKeys = false, DateTime? deadline = null, CancellationToken cancellationToken = default)
    {
        var request = new DeleteTreeRequest { Prefix = KeyBytes(prefix), AllKeys = allKeys };
        var response = await _client.CallAsync(RaftCallKind.Write, (invoker, options) => new KvStub(invoker).DeleteTreeAsync(request, options), deadline, null, cancellationToken).ConfigureAwait(false);
        return new DeleteTreeResult(response.Deleted, RaftHeader.Of(response.Header));
    }

    /// <summary>
    /// Writes <paramref name="value"/> only if <paramref name="key"/>'s mod_index is <paramref name="expectedModIndex"/>
    /// (0: only if it does not exist). A lost compare is <see cref="CompareAndSwapResult.Swapped"/> false.
    /// </summary>
    public async Task<CompareAndSwapResult> CompareAndSwapAsync(string key, ReadOnlyMemory<byte> value, ulong expectedModIndex, DateTime? deadline = null, CancellationToken cancellationToken = default)
    {
        var request = new CompareAndSwapRequest { Key = KeyBytes(key), Value = ByteString.CopyFrom(value.Span), ExpectedModIndex = expectedModIndex };
        try
        {
            var response = await _client.CallAsync(RaftCallKind.Write, (invoker, options) => new KvStub(invoker).CompareAndSwapAsync(request, options), deadline, null, cancellationToken).ConfigureAwait(false);
            return new CompareAndSwapResult(true, response.ModIndex, RaftHeader.Of(response.Header));
        }
        catch (RpcException e) when (CurrentIndex(e) is { } current)
        {
            return new CompareAndSwapResult(false, current, null);
        }
    }

    /// <summary>Compare-and-swap of a UTF-8 value.</summary>
    public Task<CompareAndSwapResult> CompareAndSwapAsync(string key, string value, ulong expectedModIndex, DateTime? deadline = null, CancellationToken cancellationToken = default) =>
        CompareAndSwapAsync(key, Encoding.UTF8.GetBytes(value ?? throw new ArgumentNullException(nameof(value))), expectedModIndex, deadline, cancellationToken);

    /// <summary>Applies <paramref name="batch"/> as one log entry, all or nothing.</summary>
    /// <exception cref="CompareFailedException">A delete's key does not exist; nothing was written.</exception>
    public async Task<BatchResult> BatchAsync(KvBatch batch, DateTime? deadline = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(batch);
        var request = batch.Request.Clone();
        try
        {
            var response = await _client.CallAsync(RaftCallKind.Write, (invoker, options) => new KvStub(invoker).BatchAsync(request, options), deadline, null, cancellationToken).ConfigureAwait(false);
            var keys = new string[response.Kvs.Count];
            for (var i = 0; i < keys.Length; i++) keys[i] = response.Kvs[i].Key.ToStringUtf8();
            return new BatchResult(keys, response.Deleted, RaftHeader.Of(response.Header));
        }
        catch (RpcException e) when (CurrentIndex(e) is { } current)
        {
            throw new CompareFailedException(e.Status.Detail, current, e);
        }
    }

    /// <summary>A key's bytes: its UTF-8 (the node checks the rest and answers INVALID_ARGUMENT naming the field).</summary>
    internal static ByteString KeyBytes(string key) => ByteString.CopyFromUtf8(key ?? throw new ArgumentNullException(nameof(key)));

    /// <summary>The <c>current-index</c> of a FAILED_PRECONDITION compare; null for any other status.</summary>
    private static ulong? CurrentIndex(RpcException e) =>
        e.StatusCode == StatusCode.FailedPrecondition
        && e.Trailers.GetValue(RetryRules.CurrentIndexTrailer) is { } text
        && ulong.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var index)
            ? index
            : null;
}
