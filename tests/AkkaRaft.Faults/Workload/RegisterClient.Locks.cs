using System.Globalization;
using System.Net;
using System.Text.Json;

namespace AkkaRaft.Faults.Workload;

/// <summary>How a lock request ended.</summary>
internal enum LockOutcome
{
    /// <summary>Granted (acquire) or released by its holder (release).</summary>
    Done,

    /// <summary>Certainly not: the wait passed (409), the session was not the holder, or nothing was proposed (503 from the node).</summary>
    No,

    /// <summary>The session is gone (404 on acquire).</summary>
    SessionGone,

    /// <summary>Unknown: the request may have taken effect (504, 500, a timeout, a reset connection, an acquire's refused connection).</summary>
    Unknown,
}

// The lock requests of the HTTP API (docs/SESSIONS.md): POST /lock/{name}?session={id}&wait=…, DELETE /lock/{name}?session={id}.
internal sealed partial class RegisterClient
{
    /// <summary>Asks for <paramref name="name"/> for <paramref name="session"/>, waiting up to <paramref name="wait"/>; the outcome and the fencing token.</summary>
    public async Task<(LockOutcome Outcome, ulong Token, string? Error)> AcquireLockAsync(string node, string name, string session, TimeSpan wait, CancellationToken cancellationToken)
    {
        var query = $"session={session}&wait={wait.TotalMilliseconds.ToString("0", CultureInfo.InvariantCulture)}ms";
        var (status, body, _, _, error) = await SendAsync(node, host => new HttpRequestMessage(HttpMethod.Post, $"http://{host}/lock/{Uri.EscapeDataString(name)}?{query}"), cancellationToken)
            .ConfigureAwait(false);
        switch (status)
        {
            case HttpStatusCode.OK:
                using (var document = JsonDocument.Parse(body))
                {
                    return (LockOutcome.Done, document.RootElement.GetProperty("fencingToken").GetUInt64(), null);
                }
            case HttpStatusCode.NotFound:
                return (LockOutcome.SessionGone, 0, Describe(status, body));
            case HttpStatusCode.ServiceUnavailable when error?.Contains(ConnectionFailed, StringComparison.Ordinal) == true:
                // The POST has no body: a refused connection may be the silent resend of one the node read before it
                // was killed (see ConnectionFailed), so the lock may have been granted.
                return (LockOutcome.Unknown, 0, error);
            case HttpStatusCode.Conflict or HttpStatusCode.ServiceUnavailable or HttpStatusCode.InsufficientStorage or HttpStatusCode.TemporaryRedirect:
                return (LockOutcome.No, 0, error ?? Describe(status, body));
            default:
                return (LockOutcome.Unknown, 0, error ?? Describe(status, body));
        }
    }

    /// <summary>
    /// Releases <paramref name="name"/> for <paramref name="session"/>: <see cref="LockOutcome.Done"/> when it answered that
    /// the session held it, <see cref="LockOutcome.No"/> when it did not (404, or <c>wasHolder</c> false), and
    /// <see cref="LockOutcome.Unknown"/> for anything else, to be sent again (a 503 proposed nothing; a timeout may have).
    /// </summary>
    public async Task<(LockOutcome Outcome, string? Error)> ReleaseLockAsync(string node, string name, string session, CancellationToken cancellationToken)
    {
        var (status, body, _, _, error) = await SendAsync(node, host => new HttpRequestMessage(HttpMethod.Delete, $"http://{host}/lock/{Uri.EscapeDataString(name)}?session={session}"), cancellationToken)
            .ConfigureAwait(false);
        switch (status)
        {
            case HttpStatusCode.OK:
                using (var document = JsonDocument.Parse(body))
                {
                    return (document.RootElement.GetProperty("wasHolder").GetBoolean() ? LockOutcome.Done : LockOutcome.No, null);
                }
            case HttpStatusCode.NotFound:
                return (LockOutcome.No, Describe(status, body));
            default:
                return (LockOutcome.Unknown, error ?? Describe(status, body));
        }
    }
}
