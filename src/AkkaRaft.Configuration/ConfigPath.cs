using System.Text;

namespace AkkaRaft.Configuration;

/// <summary>Path expressions (HOCON.md, "Path expressions"): <c>a.b."c.d"</c> is the path a → b → c.d.</summary>
internal static class ConfigPath
{
    /// <summary>Parses a path expression given to the API, such as <c>akkaraft.raft.election-timeout</c>.</summary>
    public static IReadOnlyList<string> Parse(string path)
    {
        ArgumentNullException.ThrowIfNull(path);
        var origin = new ConfigOrigin($"path '{path}'", 1, 1);
        var lexer = new Lexer(path, $"path '{path}'");
        var tokens = new List<Token>();
        while (true)
        {
            var token = lexer.Next();
            if (token.Kind == TokenKind.End)
            {
                break;
            }

            if (!token.IsSimpleValue && token.Kind != TokenKind.Whitespace)
            {
                throw ConfigException.At(token.Origin, $"expected a path such as a.b.c, found {token.Describe()}");
            }

            tokens.Add(token);
        }

        if (lexer.SawComment)
        {
            throw ConfigException.At(origin, "a path cannot hold '#' or '//' unless they are quoted");
        }

        return FromTokens(tokens, origin, "path");
    }

    /// <summary>
    /// Turns the tokens of a key or a substitution into path elements: '.' outside quotes separates elements,
    /// whitespace between tokens is kept, and leading and trailing whitespace is dropped.
    /// </summary>
    public static IReadOnlyList<string> FromTokens(IReadOnlyList<Token> tokens, ConfigOrigin origin, string what)
    {
        var first = 0;
        var last = tokens.Count - 1;
        while (first <= last && tokens[first].Kind == TokenKind.Whitespace)
        {
            first++;
        }

        while (last >= first && tokens[last].Kind == TokenKind.Whitespace)
        {
            last--;
        }

        if (first > last)
        {
            throw ConfigException.At(origin, $"expected a {what} such as a.b.c, found nothing");
        }

        var elements = new List<string>();
        var current = new StringBuilder();
        var currentHasQuoted = false;
        for (var i = first; i <= last; i++)
        {
            var token = tokens[i];
            if (token.Kind == TokenKind.QuotedString)
            {
                current.Append(token.Text);
                currentHasQuoted = true;
                continue;
            }

            var parts = token.Text.Split('.');
            current.Append(parts[0]);
            for (var p = 1; p < parts.Length; p++)
            {
                Close(token.Origin);
                current.Append(parts[p]);
            }
        }

        Close(tokens[last].Origin);
        return elements;

        void Close(ConfigOrigin at)
        {
            if (current.Length == 0 && !currentHasQuoted)
            {
                throw ConfigException.At(at,
                    $"a {what} cannot have an empty element (as in a..b, .a or a.); quote it as \"\" if you mean an empty key");
            }

            elements.Add(current.ToString());
            current.Clear();
            currentHasQuoted = false;
        }
    }

    /// <summary>Renders a path, quoting the elements that need it.</summary>
    public static string Render(IEnumerable<string> path) => string.Join('.', path.Select(e => QuoteIfNeeded(e, forPath: true)));

    /// <summary>Renders one path element or key; quoted when it could not be read back unquoted.</summary>
    public static string QuoteIfNeeded(string element, bool forPath)
    {
        if (element.Length > 0 && IsPlain(element, forPath))
        {
            return element;
        }

        return Quote(element);
    }

    private static bool IsPlain(string s, bool forPath)
    {
        if (!char.IsAsciiLetter(s[0]) && s[0] != '_')
        {
            return false;
        }

        if (s == "include" || s.StartsWith("true", StringComparison.Ordinal) || s.StartsWith("false", StringComparison.Ordinal)
            || s.StartsWith("null", StringComparison.Ordinal))
        {
            return forPath && s != "include";
        }

        foreach (var c in s)
        {
            if (!(char.IsAsciiLetterOrDigit(c) || c == '-' || c == '_'))
            {
                return false;
            }
        }

        return true;
    }

    /// <summary>A JSON string literal.</summary>
    public static string Quote(string s)
    {
        var sb = new StringBuilder(s.Length + 2);
        sb.Append('"');
        foreach (var c in s)
        {
            switch (c)
            {
                case '"': sb.Append("\\\""); break;
                case '\\': sb.Append("\\\\"); break;
                case '\n': sb.Append("\\n"); break;
                case '\r': sb.Append("\\r"); break;
                case '\t': sb.Append("\\t"); break;
                case '\b': sb.Append("\\b"); break;
                case '\f': sb.Append("\\f"); break;
                default:
                    if (c < ' ' || c == '\u2028' || c == '\u2029')
                    {
                        sb.Append($"\\u{(int)c:x4}");
                    }
                    else
                    {
                        sb.Append(c);
                    }

                    break;
            }
        }

        sb.Append('"');
        return sb.ToString();
    }
}
