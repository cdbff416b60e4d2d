using System.Net.Http;
using System.Net.Sockets;
using Grpc.Core;

namespace AkkaRaft.Client.Grpc;

/// <summary>Whether a call changes the cluster's state: it decides which failures may be sent again.</summary>
public enum RaftCallKind
{
    /// <summary>Changes nothing (Get, List, Status): sent again after any failure of the transport.</summary>
    Read,

    /// <summary>Proposes an entry (Put, Delete, a membership change): sent again only when nothing was written.</summary>
    Write,

    /// <summary>
    /// A write the cluster applies at most once however often it is sent (a session's write, numbered within its
    /// session, exactly once): sent again after any transport failure, as a read is.
    /// </summary>
    IdempotentWrite,
}

/// <summary>What the client does after a failed call.</summary>
internal enum RetryVerdict
{
    /// <summary>Surface the status as it is: the node answered (INVALID_ARGUMENT, FAILED_PRECONDITION, ...), or time is up.</summary>
    Fail,

    /// <summary>Try again (at the leader the trailers name, else the next endpoint after a backoff).</summary>
    Retry,

    /// <summary>A write that may have committed: surface it as <see cref="WriteOutcomeUnknownException"/>, never send it again.</summary>
    OutcomeUnknown,
}

/// <summary>
/// The client's retry rules, apart from the channels so that they are tested alone. UNAVAILABLE is the one status
/// after which a write is sent again: the server answers it only when nothing was proposed (kv.proto), and a
/// transport that never connected sent nothing. Any other failure in the middle of a write leaves its outcome unknown.
/// </summary>
internal static class RetryRules
{
    /// <summary>What to do after <paramref name="failure"/>.</summary>
    /// <param name="failure">The call's status.</param>
    /// <param name="kind">Read or write.</param>
    /// <param name="outOfTime">The call's overall deadline has passed, or its caller cancelled it.</param>
    public static RetryVerdict Classify(RpcException failure, RaftCallKind kind, bool outOfTime)
    {
        ArgumentNullException.ThrowIfNull(failure);
        var write = kind == RaftCallKind.Write;
        var transport = failure.Status.DebugException;
        switch (failure.StatusCode)
        {
            case StatusCode.Unavailable when transport is null || NeverConnected(transport):
                // The node's own UNAVAILABLE (not the leader, no leader yet, journal not writable), or no connection.
                return outOfTime ? RetryVerdict.Fail : RetryVerdict.Retry;
            case StatusCode.Unavailable:
            case StatusCode.Internal or StatusCode.Unknown when transport is not null:
                // The connection broke during the call: the node may have received the request.
                if (write) return RetryVerdict.OutcomeUnknown;
                return outOfTime ? RetryVerdict.Fail : RetryVerdict.Retry;
            case StatusCode.DeadlineExceeded or StatusCode.Cancelled:
                if (write) return RetryVerdict.OutcomeUnknown;
                // A read's own deadline not yet passed: the node's akkaraft.grpc.request-timeout was shorter; ask again.
                return outOfTime ? RetryVerdict.Fail : RetryVerdict.Retry;
            default:
                return RetryVerdict.Fail;
        }
    }

    /// <summary>The leader's gRPC address from an UNAVAILABLE's trailers, when the node named it (and the status is the node's own).</summary>
    public static string? LeaderAddress(RpcException failure)
    {
        ArgumentNullException.ThrowIfNull(failure);
        if (failure.StatusCode != StatusCode.Unavailable || failure.Status.DebugException is not null) return null;
        var address = failure.Trailers.GetValue(LeaderAddressTrailer);
        return string.IsNullOrWhiteSpace(address) ? null : address.Trim();
    }

    /// <summary>Trailer of an UNAVAILABLE "not the leader": the leader's gRPC host:port (RaftCalls on the server).</summary>
    public const string LeaderAddressTrailer = "leader-address";

    /// <summary>Trailer of a FAILED_PRECONDITION compare: the key's mod_index now.</summary>
    public const string CurrentIndexTrailer = "current-index";

    /// <summary>
    /// Whether a transport failure happened before a connection existed (refused, unreachable, name not resolved):
    /// then no byte of the request left the client.
    /// </summary>
    private static bool NeverConnected(Exception transport)
    {
        for (var e = transport; e is not null; e = e.InnerException)
        {
            if (e is HttpRequestException { HttpRequestError: HttpRequestError.ConnectionError or HttpRequestError.NameResolutionError }) return true;
            if (e is SocketException { SocketErrorCode: SocketError.ConnectionRefused or SocketError.HostUnreachable or SocketError.NetworkUnreachable or SocketError.HostNotFound or SocketError.TimedOut }) return true;
        }

        return false;
    }
}
