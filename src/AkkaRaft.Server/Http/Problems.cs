namespace AkkaRaft.Server.Http;

/// <summary>
/// Errors as RFC 9457 problem details (<c>application/problem+json</c>): a status, a short title, and a detail that
/// names the problem. Never a stack trace.
/// </summary>
public static class Problems
{
    /// <summary>The content type of problem answers.</summary>
    public const string ContentType = "application/problem+json";

    /// <summary>Writes a problem answer.</summary>
    public static Task WriteAsync(HttpContext context, int status, string detail, ulong? currentIndex = null) =>
        WriteAsync(context, status, detail, currentIndex, null);

    /// <summary>Writes a problem answer with extension members (RFC 9457 §3.2) beside the standard ones.</summary>
    public static Task WriteAsync(HttpContext context, int status, string detail, ulong? currentIndex, IReadOnlyDictionary<string, object>? extensions)
    {
        ArgumentNullException.ThrowIfNull(context);
        context.Response.StatusCode = status;
        context.Response.ContentType = ContentType;
        var body = new Dictionary<string, object>
        {
            ["type"] = "about:blank",
            ["title"] = TitleOf(status),
            ["status"] = status,
            ["detail"] = detail,
        };
        if (currentIndex is { } index) body["currentIndex"] = index;
        if (extensions is not null)
        {
            foreach (var (name, value) in extensions) body[name] = value;
        }

        return context.Request.Method == HttpMethods.Head ? Task.CompletedTask : context.Response.WriteAsync(HttpJson.Serialize(body));
    }

    private static string TitleOf(int status) => status switch
    {
        400 => "Bad Request",
        401 => "Unauthorized",
        403 => "Forbidden",
        404 => "Not Found",
        405 => "Method Not Allowed",
        408 => "Request Timeout",
        409 => "Conflict",
        412 => "Precondition Failed",
        413 => "Content Too Large",
        422 => "Unprocessable Content",
        429 => "Too Many Requests",
        431 => "Request Header Fields Too Large",
        500 => "Internal Server Error",
        503 => "Service Unavailable",
        504 => "Gateway Timeout",
        _ => "Error",
    };
}
