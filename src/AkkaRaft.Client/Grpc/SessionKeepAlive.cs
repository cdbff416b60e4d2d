using AkkaRaft.Grpc.V1;
using Grpc.Core;
using SessionStub = AkkaRaft.Grpc.V1.Session.SessionClient;

namespace AkkaRaft.Client.Grpc;

/// <summary>
/// Keeps a session alive while the application holds it idle (etcd's lease KeepAlive): every
/// <see cref="Interval"/> (a third of the TTL by default) it renews the session through <c>Session.KeepAlive</c>, on
/// whichever member leads, with the client's retries. It ends, and <see cref="Ended"/> says why, when the cluster answers
/// that the session is gone (TTL 0: it expired or was closed), or when no renewal got through within the session's
/// TTL (the session may have expired meanwhile). Dispose it to stop renewing; the session itself stays open until it
/// is closed or its TTL passes.
/// </summary>
/// <remarks>
/// Each renewal is one request and its answer on a <c>KeepAlive</c> stream of its own: a renewal goes wherever the
/// client's retry loop sends a call (following the leader named in the trailers), which one long stream on one member
/// could not.
/// </remarks>
public sealed class SessionKeepAlive : IAsyncDisposable
{
    private readonly AkkaRaftGrpcClient _client;
    private readonly CancellationTokenSource _stop = new();
    private readonly TaskCompletionSource<string> _ended = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly Task _loop;
    private long _lastRenewedTicks;

    private SessionKeepAlive(AkkaRaftGrpcClient client, long sessionId, TimeSpan ttl, TimeSpan interval)
    {
        _client = client;
        SessionId = sessionId;
        Ttl = ttl;
        Interval = interval;
        _lastRenewedTicks = DateTime.UtcNow.Ticks;
        _loop = RunAsync();
    }

    /// <summary>The session kept alive.</summary>
    public long SessionId { get; }

    /// <summary>Its time to live: a renewal must get through within it.</summary>
    public TimeSpan Ttl { get; }

    /// <summary>The time between two renewals.</summary>
    public TimeSpan Interval { get; }

    /// <summary>When the last renewal was sent that the cluster answered (UTC); the session lives at least a TTL from then.</summary>
    public DateTime LastRenewedUtc => new(Interlocked.Read(ref _lastRenewedTicks), DateTimeKind.Utc);

    /// <summary>Completes, with the reason, when the session can no longer be kept alive; never when it is disposed first.</summary>
    public Task<string> Ended => _ended.Task;

    /// <summary>Starts renewing session <paramref name="sessionId"/> of time to live <paramref name="ttl"/> every <paramref name="interval"/> (default: a third of the TTL).</summary>
    /// <exception cref="ArgumentOutOfRangeException">The interval is not positive or not shorter than the TTL.</exception>
    public static SessionKeepAlive Start(AkkaRaftGrpcClient client, long sessionId, TimeSpan ttl, TimeSpan? interval = null)
    {
        ArgumentNullException.ThrowIfNull(client);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(sessionId);
        var every = interval ?? ttl / 3;
        if (every <= TimeSpan.Zero || every >= ttl)
            throw new ArgumentOutOfRangeException(nameof(interval), every, $"a keep-alive interval must be positive and shorter than the session's TTL ({ttl.TotalMilliseconds:0} ms)");
        return new SessionKeepAlive(client, sessionId, ttl, every);
    }

    /// <summary>Stops renewing (the session stays open until it is closed or its TTL passes).</summary>
    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync().ConfigureAwait(false);
        await _loop.ConfigureAwait(false);
        _stop.Dispose();
    }

    private async Task RunAsync()
    {
        using var timer = new PeriodicTimer(Interval);
        try
        {
            while (await timer.WaitForNextTickAsync(_stop.Token).ConfigureAwait(false))
            {
                if (await RenewAsync().ConfigureAwait(false) is { } reason)
                {
                    _ended.TrySetResult(reason);
                    return;
                }
            }
        }
        catch (OperationCanceledException) when (_stop.IsCancellationRequested)
        {
            // Disposed.
        }
    }

    /// <summary>One renewal, retried until the session's TTL from the last renewal has passed; null when it got through, else why it ended.</summary>
    private async Task<string?> RenewAsync()
    {
        var sent = DateTime.UtcNow;
        var expires = LastRenewedUtc + Ttl;
        try
        {
            var answer = await _client.CallAsync(RaftCallKind.Read, (invoker, options) => Once(invoker, options, SessionId), expires, null, _stop.Token).ConfigureAwait(false);
            if (answer.TtlMs == 0) return $"session {SessionId} is gone: it expired or was closed";
            Interlocked.Exchange(ref _lastRenewedTicks, sent.Ticks);
            return null;
        }
        catch (RaftUnavailableException e)
        {
            return $"session {SessionId} was not renewed within its TTL of {Ttl.TotalMilliseconds:0} ms and may have expired ({e.Message})";
        }
        catch (RpcException e) when (!_stop.IsCancellationRequested)
        {
            return $"session {SessionId} could not be renewed: {e.StatusCode} ({e.Status.Detail})";
        }
    }

    /// <summary>One keep-alive on a stream of its own, as a unary call (its status and trailers are the stream's).</summary>
    private static AsyncUnaryCall<KeepAliveResponse> Once(CallInvoker invoker, CallOptions options, long sessionId)
    {
        var call = new SessionStub(invoker).KeepAlive(options);
        return new AsyncUnaryCall<KeepAliveResponse>(RoundAsync(call, sessionId), call.ResponseHeadersAsync, call.GetStatus, call.GetTrailers, call.Dispose);
    }

    private static async Task<KeepAliveResponse> RoundAsync(AsyncDuplexStreamingCall<KeepAliveRequest, KeepAliveResponse> call, long sessionId)
    {
        await call.RequestStream.WriteAsync(new KeepAliveRequest { Id = sessionId }).ConfigureAwait(false);
        await call.RequestStream.CompleteAsync().ConfigureAwait(false);
        // A failure (UNAVAILABLE naming the leader, say) is thrown here as the stream's status.
        if (!await call.ResponseStream.MoveNext(CancellationToken.None).ConfigureAwait(false))
            throw new RpcException(new Status(StatusCode.Unavailable, "the keep-alive stream ended without an answer"));
        return call.ResponseStream.Current;
    }
}
