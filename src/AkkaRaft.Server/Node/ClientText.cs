namespace AkkaRaft.Server.Node;

/// <summary>How a client's own text (a key, a prefix, a series name) appears in the messages that answer it.</summary>
public static class ClientText
{
    /// <summary>The text as an error message shows it: at most 64 characters, then an ellipsis.</summary>
    public static string Shown(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        return text.Length <= 64 ? text : text[..64] + "…";
    }
}
