using System.Globalization;
using System.Text;
using AkkaRaft.Client;
using AkkaRaft.Grpc.V1;
using AkkaRaft.Server.Node;
using Google.Protobuf;
using Grpc.Core;
using Status = Grpc.Core.Status;

namespace AkkaRaft.Server.Grpc;

/// <summary>
/// <c>akkaraft.v1.Lock</c> (protos/session.proto): locks held by sessions, as the HTTP API's <c>POST</c> and
/// <c>DELETE /lock/{name}</c> (etcd's v3lock). A Lock call waits in the lock's queue until its deadline (or
/// <c>akkaraft.grpc.request-timeout</c> without one); a call that stops waiting takes its session out of the queue, so
/// that the lock never passes to a session whose client gave up.
/// </summary>
public sealed class LockService(RaftCalls calls) : AkkaRaft.Grpc.V1.Lock.LockBase
{
    private static readonly UTF8Encoding StrictUtf8 = new(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true);

    /// <inheritdoc />
    public override async Task<LockResponse> Lock(LockRequest request, ServerCallContext context)
    {
        ArgumentNullException.ThrowIfNull(request);
        ArgumentNullException.ThrowIfNull(context);
        var name = NameOf(request.Name);
        SessionService.CheckId(request.SessionId, "session_id");
        var node = calls.Node;
        var policy = RaftCalls.PolicyOf(context);
        // The acquire's commit may take what any write may; the wait in the queue lasts until the call's deadline.
        var commit = calls.BudgetOf(context);
        var wait = context.Deadline == DateTime.MaxValue ? node.Settings.Grpc.RequestTimeout : context.Deadline - DateTime.UtcNow;
        object answer;
        try
        {
            answer = await node.AskAsync(new AcquireLock(name, request.SessionId, commit, policy), wait, context.CancellationToken).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            var left = await LeaveQueueAsync(name, request.SessionId, policy).ConfigureAwait(false);
            throw context.Deadline <= DateTime.UtcNow
                ? new RpcException(new Status(StatusCode.DeadlineExceeded, NotAcquired(name, wait, request.SessionId, left)))
                : new RpcException(new Status(StatusCode.Cancelled, $"the call was cancelled; {LeftQueue(request.SessionId, left)}"));
        }

        switch (answer)
        {
            case LockAcquired acquired:
                return new LockResponse
                {
                    Header = calls.Header(acquired.FencingToken, acquired.Leader, acquired.Term),
                    Name = request.Name,
                    SessionId = acquired.SessionId,
                    FencingToken = acquired.FencingToken,
                };
            case RequestTimedOut:
                // Still queued, or the acquire may yet commit: leave the queue (a release finds the lock held and frees it).
                var left = await LeaveQueueAsync(name, request.SessionId, policy).ConfigureAwait(false);
                throw new RpcException(new Status(StatusCode.DeadlineExceeded, NotAcquired(name, wait, request.SessionId, left)));
            case RequestRejected rejected:
                throw RaftCalls.Invalid("name", rejected.Reason);
            default:
                throw calls.Failure(answer);
        }
    }

    /// <inheritdoc />
    public override async Task<UnlockResponse> Unlock(UnlockRequest request, ServerCallContext context)
    {
        ArgumentNullException.ThrowIfNull(request);
        ArgumentNullException.ThrowIfNull(context);
        var name = NameOf(request.Name);
        SessionService.CheckId(request.SessionId, "session_id");
        var budget = calls.BudgetOf(context);
        var answer = await calls.AskAsync(new ReleaseLock(name, request.SessionId, budget, RaftCalls.PolicyOf(context)), budget, context, write: true).ConfigureAwait(false);
        switch (answer)
        {
            case LockReleased released:
                return new UnlockResponse { Header = calls.Header(released.Index, released.Leader, released.Term), WasHolder = released.WasHolder };
            case RequestRejected rejected:
                throw RaftCalls.Invalid("name", rejected.Reason);
            default:
                throw calls.Failure(answer);
        }
    }

    /// <summary>Takes the session out of the lock's queue (or releases the lock, if the acquire committed meanwhile); the answer.</summary>
    private async Task<object> LeaveQueueAsync(string name, long sessionId, NotLeaderPolicy policy)
    {
        var timeout = calls.Node.Settings.Grpc.RequestTimeout;
        // Not the call's token: the call is over (cancelled, or past its deadline), and the queue must still be left.
        return await calls.Node.AskAsync(new ReleaseLock(name, sessionId, timeout, policy), timeout + TimeSpan.FromSeconds(1), CancellationToken.None).ConfigureAwait(false);
    }

    private static string NotAcquired(string name, TimeSpan wait, long sessionId, object left) =>
        $"lock '{ClientText.Shown(name)}' was not acquired within {wait.TotalMilliseconds.ToString("0", CultureInfo.InvariantCulture)}ms; {LeftQueue(sessionId, left)}";

    private static string LeftQueue(long sessionId, object left) => left is LockReleased or LockNotHeld
        ? $"session {sessionId} left its queue"
        : $"leaving its queue failed ({left.GetType().Name}): Unlock it, or let session {sessionId} end";

    /// <summary>A lock name: strict UTF-8, 1 to <c>akkaraft.locks.max-name-bytes</c> bytes (the peer checks the characters).</summary>
    private string NameOf(ByteString bytes)
    {
        if (bytes.Length == 0) throw RaftCalls.Invalid("name", "empty: a lock needs a name");
        if (bytes.Length > calls.Locks.MaxNameBytes) throw RaftCalls.TooLarge($"name is {bytes.Length} bytes, more than {calls.Locks.MaxNameBytes}", "akkaraft.locks.max-name-bytes");
        try
        {
            return StrictUtf8.GetString(bytes.Span);
        }
        catch (DecoderFallbackException)
        {
            throw RaftCalls.Invalid("name", "not valid UTF-8 (lock names are UTF-8 text)");
        }
    }
}
