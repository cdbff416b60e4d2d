using Grpc.Core;

namespace AkkaRaft.Client.Grpc;

/// <summary>
/// A write whose outcome is unknown: it reached a node (or may have) and then the call ended without an answer
/// (DEADLINE_EXCEEDED, CANCELLED, or the connection broke mid-call). The entry may still commit, so the client did not
/// send it again: read the key before writing again, or write in a session. <see cref="Exception.InnerException"/>
/// is the call's <see cref="RpcException"/>.
/// </summary>
public sealed class WriteOutcomeUnknownException(string endpoint, RpcException inner)
    : Exception($"the write sent to {endpoint} ended with {inner.StatusCode} ({inner.Status.Detail}) and may have committed; it was not retried: read before writing again", inner)
{
    /// <summary>The endpoint the write was sent to.</summary>
    public string Endpoint { get; } = endpoint;

    /// <summary>The status the call ended with.</summary>
    public StatusCode StatusCode => ((RpcException)InnerException!).StatusCode;
}

/// <summary>
/// No member served the call before its deadline: every attempt was refused before anything was written (no leader
/// yet, an endpoint that could not be reached, a member's UNAVAILABLE). Nothing was written.
/// <see cref="Exception.InnerException"/> is the last attempt's <see cref="RpcException"/>, when there was one.
/// </summary>
public sealed class RaftUnavailableException(string message, int attempts, RpcException? last)
    : Exception(message, last)
{
    /// <summary>How many calls were made (connection attempts that timed out included).</summary>
    public int Attempts { get; } = attempts;
}

/// <summary>
/// A batch's precondition failed (a delete of a key that does not exist): nothing was written.
/// <see cref="CurrentIndex"/> is the key's mod_index now (0: absent), from the trailer <c>current-index</c>.
/// </summary>
public sealed class CompareFailedException(string message, ulong currentIndex, RpcException inner) : Exception(message, inner)
{
    /// <summary>The mod_index of the key the compare was about, now (0: the key is absent).</summary>
    public ulong CurrentIndex { get; } = currentIndex;
}
