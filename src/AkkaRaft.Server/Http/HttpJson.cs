using System.Text.Encodings.Web;
using System.Text.Json;

namespace AkkaRaft.Server.Http;

/// <summary>How every JSON body of the HTTP API is written.</summary>
internal static class HttpJson
{
    /// <summary>
    /// Compact JSON that keeps keys, values and error details readable: <c>'</c>, <c>+</c> and non-ASCII text are
    /// written as themselves, not as <c>\u0027</c>. The bodies are served as <c>application/json</c> (or
    /// <c>application/problem+json</c>), never embedded in HTML, so the relaxed encoder is the right one, as in raftdb.
    /// </summary>
    public static readonly JsonSerializerOptions Options = new()
    {
        WriteIndented = false,
        Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
    };

    /// <summary>Serializes <paramref name="body"/> as one line, ending with a newline so terminal output stays tidy.</summary>
    public static string Serialize(object body) => JsonSerializer.Serialize(body, Options) + "\n";
}
