using AkkaRaft.Client;
using AkkaRaft.Grpc.V1;
using AkkaRaft.Raft.Core;
using Grpc.Core;

namespace AkkaRaft.Server.Grpc;

/// <summary>
/// <c>akkaraft.v1.Session</c> (protos/session.proto): client sessions, as the HTTP API's <c>POST /session</c>,
/// <c>PUT /session/{id}</c> and <c>DELETE /session/{id}</c>, with etcd's lease keep-alive stream. A follower passes
/// each request on to the leader through its Raft peer when the call says <c>forward: true</c>.
/// </summary>
public sealed class SessionService(RaftCalls calls) : AkkaRaft.Grpc.V1.Session.SessionBase
{
    /// <inheritdoc />
    public override async Task<OpenSessionResponse> Open(OpenSessionRequest request, ServerCallContext context)
    {
        var (min, max) = (calls.Sessions.MinTtl, calls.Sessions.MaxTtl);
        if (request.TtlMs < (long)min.TotalMilliseconds || request.TtlMs > (long)max.TotalMilliseconds)
        {
            throw RaftCalls.Invalid("ttl_ms", $"{request.TtlMs} is outside {(long)min.TotalMilliseconds}..{(long)max.TotalMilliseconds} (akkaraft.sessions.min-ttl, max-ttl)");
        }

        var budget = calls.BudgetOf(context);
        var answer = await calls.AskAsync(new OpenSession(TimeSpan.FromMilliseconds(request.TtlMs), budget, RaftCalls.PolicyOf(context)), budget, context, write: true)
            .ConfigureAwait(false);
        if (answer is not SessionOpened opened) throw calls.Failure(answer);
        return new OpenSessionResponse
        {
            Header = calls.Header((ulong)opened.SessionId, opened.Leader, opened.Term),
            Id = opened.SessionId,
            TtlMs = (long)opened.Ttl.TotalMilliseconds,
        };
    }

    /// <inheritdoc />
    public override async Task KeepAlive(IAsyncStreamReader<KeepAliveRequest> requestStream, IServerStreamWriter<KeepAliveResponse> responseStream, ServerCallContext context)
    {
        ArgumentNullException.ThrowIfNull(requestStream);
        ArgumentNullException.ThrowIfNull(responseStream);
        ArgumentNullException.ThrowIfNull(context);
        var policy = RaftCalls.PolicyOf(context);
        // One request at a time, each answered before the next is read: the answers come in the order of the requests.
        while (await NextRequestAsync(requestStream, context.CancellationToken).ConfigureAwait(false))
        {
            var request = requestStream.Current;
            CheckId(request.Id, "id");
            var budget = calls.BudgetOf(context);
            var answer = await calls.AskAsync(new KeepSessionAlive(request.Id, policy), budget, context, write: false).ConfigureAwait(false);
            var response = answer switch
            {
                SessionKeptAlive kept => new KeepAliveResponse
                {
                    Header = calls.Header(0, kept.Leader, kept.Term),
                    Id = kept.SessionId,
                    TtlMs = (long)kept.Ttl.TotalMilliseconds,
                },
                // etcd's answer for a lease that is gone: TTL 0, and the stream goes on for the other sessions on it. The
                // header names no leader and no term: the answer is about the session, not about a commit.
                SessionNotFound => new KeepAliveResponse { Header = calls.Header(0, RaftIds.None, 0), Id = request.Id, TtlMs = 0 },
                RequestTimedOut timedOut => throw RaftCalls.DeadlineExceeded(timedOut.After, write: false),
                _ => throw calls.Failure(answer),
            };
            await responseStream.WriteAsync(response, context.CancellationToken).ConfigureAwait(false);
        }
    }

    /// <inheritdoc />
    public override async Task<CloseSessionResponse> Close(CloseSessionRequest request, ServerCallContext context)
    {
        CheckId(request.Id, "id");
        var budget = calls.BudgetOf(context);
        var answer = await calls.AskAsync(new CloseSession(request.Id, budget, RaftCalls.PolicyOf(context)), budget, context, write: true).ConfigureAwait(false);
        if (answer is not SessionClosed closed) throw calls.Failure(answer);
        return new CloseSessionResponse { Header = calls.Header(closed.Index, closed.Leader, closed.Term) };
    }

    /// <summary>
    /// The next message of a request stream. A message that cannot be read (not a KeepAliveRequest, a truncated or
    /// compressed frame Grpc.AspNetCore refuses with INTERNAL) is the client's error: INVALID_ARGUMENT, not the UNKNOWN
    /// or INTERNAL that say the server failed.
    /// </summary>
    private static async Task<bool> NextRequestAsync<T>(IAsyncStreamReader<T> stream, CancellationToken cancellationToken)
    {
        try
        {
            return await stream.MoveNext(cancellationToken).ConfigureAwait(false);
        }
        catch (Google.Protobuf.InvalidProtocolBufferException e)
        {
            throw new RpcException(new Status(StatusCode.InvalidArgument, $"a message of the request stream is not a valid {typeof(T).Name}: {e.Message}"));
        }
        catch (RpcException e) when (e.StatusCode == StatusCode.Internal)
        {
            throw new RpcException(new Status(StatusCode.InvalidArgument, $"a message of the request stream cannot be read: {e.Status.Detail}"));
        }
    }

    /// <summary>A session id: positive (the log index of the entry that opened it).</summary>
    /// <exception cref="RpcException">INVALID_ARGUMENT naming <paramref name="field"/>.</exception>
    internal static void CheckId(long id, string field)
    {
        if (id <= 0) throw RaftCalls.Invalid(field, $"{id} is not a session id (a positive integer, as Session.Open answered it)");
    }
}
