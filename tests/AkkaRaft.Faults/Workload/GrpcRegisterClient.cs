using AkkaRaft.Client.Grpc;
using Grpc.Core;
using GrpcReadLevel = AkkaRaft.Grpc.V1.ReadLevel;

namespace AkkaRaft.Faults.Workload;

/// <summary>
/// The register operations through the gRPC API and the .NET client library (<see cref="KvClient"/> over an
/// <see cref="AkkaRaftGrpcClient"/>), given one node's gRPC address only: the library follows the leader from the
/// trailers, waits for ready connections and backs off on its own, so what is checked is what a user of the library
/// gets under faults. Outcomes follow the library's contract: <see cref="RaftUnavailableException"/> and the node's
/// refusals (RESOURCE_EXHAUSTED for a full disk, INVALID_ARGUMENT) wrote nothing, so a fail;
/// <see cref="WriteOutcomeUnknownException"/>, DEADLINE_EXCEEDED or CANCELLED leave a write unknown (info); a read
/// that did not answer observed nothing.
/// </summary>
internal sealed class GrpcRegisterClient : IDisposable
{
    private readonly AkkaRaftGrpcClient _client;
    private readonly KvClient _kv;
    private readonly IReadOnlyDictionary<string, string> _httpOf;

    /// <param name="endpoint">The node's gRPC address, the only one the client is given.</param>
    /// <param name="timeout">Each operation's deadline, retries included.</param>
    /// <param name="httpOf">Each member's HTTP address by id: the history names the node that answered by it.</param>
    public GrpcRegisterClient(string endpoint, TimeSpan timeout, IReadOnlyDictionary<string, string> httpOf)
    {
        _client = new AkkaRaftGrpcClient(new AkkaRaftGrpcClientOptions { Endpoints = [endpoint], Deadline = timeout });
        _kv = new KvClient(_client);
        _httpOf = httpOf;
    }

    /// <summary>Reads <paramref name="key"/> at <paramref name="level"/> (<c>consistent</c> or <c>default</c>).</summary>
    public async Task<Answer> ReadAsync(string key, string level, CancellationToken cancellationToken)
    {
        try
        {
            var got = await _kv.GetAsync(key, level == "consistent" ? GrpcReadLevel.Consistent : GrpcReadLevel.Default, cancellationToken: cancellationToken).ConfigureAwait(false);
            return new Answer(Outcome.Ok, got.Entry?.ValueText, got.Entry?.ModIndex ?? 0, Node: NodeOf(got.Header.MemberId));
        }
        catch (Exception e) when (e is RpcException or RaftUnavailableException && !cancellationToken.IsCancellationRequested)
        {
            return new Answer(Outcome.Fail, Error: Describe(e));
        }
    }

    /// <summary>
    /// Writes <paramref name="value"/> to <paramref name="key"/>; with <paramref name="conditional"/>, only if the key's
    /// mod_index is <paramref name="ifMatch"/> (0 = only if the key is absent).
    /// </summary>
    public async Task<Answer> WriteAsync(string key, string value, bool conditional, ulong ifMatch, CancellationToken cancellationToken)
    {
        try
        {
            if (!conditional)
            {
                var put = await _kv.PutAsync(key, value, cancellationToken: cancellationToken).ConfigureAwait(false);
                return new Answer(Outcome.Ok, value, put.ModIndex, Node: NodeOf(put.Header.MemberId));
            }

            var swap = await _kv.CompareAndSwapAsync(key, value, ifMatch, cancellationToken: cancellationToken).ConfigureAwait(false);
            return swap.Swapped
                ? new Answer(Outcome.Ok, value, swap.ModIndex, Node: NodeOf(swap.Header?.MemberId))
                : new Answer(Outcome.Fail, Mismatch: true, Error: "compare failed");
        }
        catch (RaftUnavailableException e) when (!cancellationToken.IsCancellationRequested)
        {
            return new Answer(Outcome.Fail, Error: Describe(e));
        }
        catch (WriteOutcomeUnknownException e) when (!cancellationToken.IsCancellationRequested)
        {
            return new Answer(Outcome.Info, Error: Describe(e));
        }
        catch (RpcException e) when (!cancellationToken.IsCancellationRequested)
        {
            // The node's own answer: DEADLINE_EXCEEDED and CANCELLED may have committed; any other wrote nothing.
            return new Answer(e.StatusCode is StatusCode.DeadlineExceeded or StatusCode.Cancelled or StatusCode.Unknown or StatusCode.Internal ? Outcome.Info : Outcome.Fail,
                Error: Describe(e));
        }
    }

    public void Dispose() => _client.Dispose();

    private string? NodeOf(string? memberId) => memberId is not null && _httpOf.TryGetValue(memberId, out var http) ? http : null;

    private static string Describe(Exception e) => e is RpcException rpc ? $"gRPC {rpc.StatusCode}: {rpc.Status.Detail}" : $"gRPC: {e.Message}";
}
