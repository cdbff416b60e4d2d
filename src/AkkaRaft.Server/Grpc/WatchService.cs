using AkkaRaft.Client;
using AkkaRaft.Grpc.V1;
using AkkaRaft.Raft.Core;
using AkkaRaft.Server.Node;
using Google.Protobuf;
using Grpc.Core;
using PeerWatch = AkkaRaft.Client.Watch;

namespace AkkaRaft.Server.Grpc;

/// <summary>
/// <c>akkaraft.v1.Watch</c> (protos/session.proto): a stream of the changes of a key or prefix, made of the peer's
/// one-shot watches (the HTTP API's <c>GET /watch</c>). Each trigger is delivered and the next set from its index, so
/// that no change between two of them is missed: the peer fires a watch from an index it has passed at once, from its
/// history of changed keys. A watch that times out (after <c>akkaraft.watches.max-timeout</c>) is set again from the
/// same index; one whose leader stopped leading is set again on the new leader.
/// </summary>
public sealed class WatchService(RaftCalls calls) : AkkaRaft.Grpc.V1.Watch.WatchBase
{
    /// <summary>Wait between two attempts to set a watch again while the cluster has no leader.</summary>
    private static readonly TimeSpan NoLeaderRetryInterval = TimeSpan.FromMilliseconds(100);

    /// <inheritdoc />
    public override async Task Watch(WatchRequest request, IServerStreamWriter<WatchResponse> responseStream, ServerCallContext context)
    {
        ArgumentNullException.ThrowIfNull(request);
        ArgumentNullException.ThrowIfNull(responseStream);
        ArgumentNullException.ThrowIfNull(context);
        var key = request.Prefix ? calls.Prefix(request.Key, "key") : calls.Key(request.Key, "key");
        if (request.SessionId < 0) SessionService.CheckId(request.SessionId, "session_id");
        // Cancelled when the stream ends, however it ends: a watch still set then is dropped (its waiter stops).
        using var ended = CancellationTokenSource.CreateLinkedTokenSource(context.CancellationToken);
        try
        {
            await StreamAsync(request, key, responseStream, context, ended.Token).ConfigureAwait(false);
        }
        finally
        {
            await ended.CancelAsync().ConfigureAwait(false);
        }
    }

    private async Task StreamAsync(WatchRequest request, string key, IServerStreamWriter<WatchResponse> responseStream, ServerCallContext context, CancellationToken ended)
    {
        var policy = RaftCalls.PolicyOf(context);
        var node = calls.Node;
        var cancelled = context.CancellationToken;
        // The index the next trigger fires after: the request's, then the set watch's, then each delivered change's.
        ulong? after = request.AfterIndex == 0 ? null : request.AfterIndex;
        var created = false;
        // While there is no leader, the watch is set again until akkaraft.grpc.request-timeout has passed.
        DateTime? leaderlessSince = null;
        while (true)
        {
            var set = new TaskCompletionSource<WatchSet>(TaskCreationOptions.RunContinuationsAsynchronously);
            var watch = new PeerWatch(key, request.Prefix, after, request.SessionId, calls.Watches.MaxTimeout, policy);
            var waiting = WatchWaiter.WaitAsync(node.System, node.Peer, watch, calls.Watches.MaxTimeout + node.Settings.Grpc.RequestTimeout, ended, s => set.TrySetResult(s));
            object answer;
            try
            {
                if (!created && await Task.WhenAny(set.Task, waiting).ConfigureAwait(false) == set.Task)
                {
                    var watchSet = await set.Task.ConfigureAwait(false);
                    after = watchSet.AfterIndex;
                    await SendAsync(responseStream, WatchEventKind.Created, null, watchSet.AfterIndex, watchSet.Leader, watchSet.Term, context).ConfigureAwait(false);
                    created = true;
                }

                answer = await waiting.ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (cancelled.IsCancellationRequested)
            {
                // The client cancelled the stream, or its deadline passed: gRPC reports which; the watch is dropped.
                return;
            }

            // A watch was set, or fired at once: there is a leader again.
            if (set.Task.IsCompleted || answer is WatchFired { Reason: WatchReason.DataChanged }) leaderlessSince = null;
            switch (answer)
            {
                case WatchFired { Reason: WatchReason.DataChanged } fired:
                    if (!created)
                    {
                        // Fired at once (a change after the request's index was known): CREATED first, as always.
                        await SendAsync(responseStream, WatchEventKind.Created, null, after ?? 0, fired.Leader, fired.Term, context).ConfigureAwait(false);
                        created = true;
                    }

                    await SendAsync(responseStream, WatchEventKind.Changed, fired.Key, fired.Index, fired.Leader, fired.Term, context, fired.Deleted).ConfigureAwait(false);
                    after = fired.Index;
                    break;
                case WatchFired { Reason: WatchReason.SessionExpired } expired:
                    await SendAsync(responseStream, WatchEventKind.SessionExpired, null, 0, expired.Leader, expired.Term, context).ConfigureAwait(false);
                    return;
                case WatchFired { Reason: WatchReason.LeaderChanged }:
                    // The peer that served it stopped leading: set it again, from the same index, on the new leader (after
                    // a pause: an election takes at least that long).
                    await Task.Delay(NoLeaderRetryInterval, cancelled).ConfigureAwait(false);
                    break;
                case WatchTimedOut:
                    // Nothing changed within max-timeout: set it again from the same index.
                    break;
                case NotLeader notLeader when created && (notLeader.LeaderHint == RaftIds.None || notLeader.LeaderHint == node.RaftId || policy == NotLeaderPolicy.Forward):
                    // Between leaders: wait for one, as long as a request may wait.
                    leaderlessSince ??= DateTime.UtcNow;
                    if (DateTime.UtcNow - leaderlessSince > node.Settings.Grpc.RequestTimeout)
                    {
                        throw new RpcException(new global::Grpc.Core.Status(StatusCode.Unavailable,
                            $"no leader to serve the watch for {node.Settings.Grpc.RequestTimeout.TotalMilliseconds:0}ms; watch again from index {after}"));
                    }

                    await Task.Delay(NoLeaderRetryInterval, cancelled).ConfigureAwait(false);
                    break;
                case RequestRejected rejected:
                    // The key and the timeout are checked already: the index is older than the watch history.
                    throw new RpcException(new global::Grpc.Core.Status(StatusCode.OutOfRange, $"after_index: {rejected.Reason}"));
                case RequestTimedOut timedOut:
                    throw RaftCalls.DeadlineExceeded(timedOut.After, write: false);
                default:
                    throw calls.Failure(answer);
            }
        }
    }

    /// <summary>
    /// One event; its header names the leader that served the watch and its term, as the peer's answer said (a leader
    /// of an earlier version says neither: then this node's own status does).
    /// </summary>
    private async Task SendAsync(IServerStreamWriter<WatchResponse> stream, WatchEventKind kind, string? key, ulong index, ulong leader, ulong term, ServerCallContext context, bool deleted = false)
    {
        if (term == 0)
        {
            var status = await calls.StatusAsync(context).ConfigureAwait(false);
            (leader, term) = (status.Leader, status.Term);
        }

        await stream.WriteAsync(new WatchResponse
        {
            Header = calls.Header(index, leader, term),
            Kind = kind,
            Key = key is null ? ByteString.Empty : ByteString.CopyFromUtf8(key),
            Index = index,
            Deleted = deleted,
        }, context.CancellationToken).ConfigureAwait(false);
    }
}
