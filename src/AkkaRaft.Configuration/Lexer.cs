using System.Text;

namespace AkkaRaft.Configuration;

internal enum TokenKind
{
    OpenBrace,
    CloseBrace,
    OpenBracket,
    CloseBracket,
    Comma,
    Colon,
    Equals,
    PlusEquals,
    Newline,
    Whitespace,
    QuotedString,
    UnquotedText,
    Number,
    True,
    False,
    Null,
    Substitution,
    End,
}

/// <summary>A token and where it starts.</summary>
internal sealed class Token(TokenKind kind, string text, ConfigOrigin origin)
{
    public TokenKind Kind { get; } = kind;

    /// <summary>The value of a quoted string, otherwise the text as written.</summary>
    public string Text { get; } = text;

    public ConfigOrigin Origin { get; } = origin;

    /// <summary>For <see cref="TokenKind.Substitution"/>: the parsed path.</summary>
    public IReadOnlyList<string> Path { get; init; } = [];

    public bool Optional { get; init; }

    public bool EnvironmentList { get; init; }

    public bool IsSimpleValue => Kind is TokenKind.QuotedString or TokenKind.UnquotedText or TokenKind.Number
        or TokenKind.True or TokenKind.False or TokenKind.Null;

    public string Describe() => Kind switch
    {
        TokenKind.OpenBrace => "'{'",
        TokenKind.CloseBrace => "'}'",
        TokenKind.OpenBracket => "'['",
        TokenKind.CloseBracket => "']'",
        TokenKind.Comma => "','",
        TokenKind.Colon => "':'",
        TokenKind.Equals => "'='",
        TokenKind.PlusEquals => "'+='",
        TokenKind.Newline => "end of line",
        TokenKind.Whitespace => "whitespace",
        TokenKind.QuotedString => $"the quoted string \"{Text}\"",
        TokenKind.Substitution => "a substitution ${...}",
        TokenKind.End => "end of input",
        _ => $"'{Text}'",
    };
}

/// <summary>
/// Splits HOCON text into tokens (HOCON.md, "Syntax"). Comments are dropped; newlines are tokens because they
/// separate fields and elements; non-newline whitespace is a token because it is kept inside concatenations.
/// </summary>
internal sealed class Lexer
{
    // HOCON.md, "Unquoted strings": characters that end an unquoted string.
    private const string Forbidden = "$\"{}[]:=,+#`^?!@*&\\";

    private readonly string _text;
    private readonly string _source;
    private int _pos;
    private int _line = 1;
    private int _column = 1;

    public Lexer(string text, string source)
    {
        _text = text;
        _source = source;
    }

    /// <summary>True once a comment has been skipped (values from environment variables must not hold one).</summary>
    public bool SawComment { get; private set; }

    public static bool IsWhitespace(char c) => char.IsWhiteSpace(c) || c == '\uFEFF';

    public static bool IsForbidden(char c) => Forbidden.Contains(c);

    private ConfigOrigin Here => new(_source, _line, _column);

    private char Peek(int ahead = 0) => _pos + ahead < _text.Length ? _text[_pos + ahead] : '\0';

    private bool AtEnd(int ahead = 0) => _pos + ahead >= _text.Length;

    private char Advance()
    {
        var c = _text[_pos++];
        if (c == '\n')
        {
            _line++;
            _column = 1;
        }
        else
        {
            _column++;
        }

        return c;
    }

    private ConfigException Error(ConfigOrigin at, string message) => ConfigException.At(at, message);

    public Token Next()
    {
        SkipComments();
        var start = Here;
        if (AtEnd())
        {
            return new Token(TokenKind.End, "", start);
        }

        var c = Peek();
        switch (c)
        {
            case '\n':
                Advance();
                return new Token(TokenKind.Newline, "\n", start);
            case '{':
                Advance();
                return new Token(TokenKind.OpenBrace, "{", start);
            case '}':
                Advance();
                return new Token(TokenKind.CloseBrace, "}", start);
            case '[':
                Advance();
                return new Token(TokenKind.OpenBracket, "[", start);
            case ']':
                Advance();
                return new Token(TokenKind.CloseBracket, "]", start);
            case ',':
                Advance();
                return new Token(TokenKind.Comma, ",", start);
            case ':':
                Advance();
                return new Token(TokenKind.Colon, ":", start);
            case '=':
                Advance();
                return new Token(TokenKind.Equals, "=", start);
            case '+':
                if (Peek(1) == '=')
                {
                    Advance();
                    Advance();
                    return new Token(TokenKind.PlusEquals, "+=", start);
                }

                throw Error(start, "'+' is only allowed as part of '+='; quote the text if you mean a '+' character");
            case '"':
                return Peek(1) == '"' && Peek(2) == '"' ? TripleQuoted(start) : Quoted(start);
            case '$':
                return Substitution(start);
        }

        if (IsWhitespace(c))
        {
            var sb = new StringBuilder();
            while (!AtEnd() && IsWhitespace(Peek()) && Peek() != '\n')
            {
                sb.Append(Advance());
            }

            return new Token(TokenKind.Whitespace, sb.ToString(), start);
        }

        if (IsForbidden(c))
        {
            throw Error(start, $"the character '{c}' is reserved and cannot appear in unquoted text; put the text in quotes");
        }

        if (TryNumber(start) is { } number)
        {
            return number;
        }

        foreach (var (word, kind) in Keywords)
        {
            if (string.CompareOrdinal(_text, _pos, word, 0, word.Length) == 0)
            {
                for (var i = 0; i < word.Length; i++)
                {
                    Advance();
                }

                return new Token(kind, word, start);
            }
        }

        return Unquoted(start);
    }

    private static readonly (string Word, TokenKind Kind)[] Keywords =
        [("true", TokenKind.True), ("false", TokenKind.False), ("null", TokenKind.Null)];

    private void SkipComments()
    {
        while (!AtEnd() && (Peek() == '#' || (Peek() == '/' && Peek(1) == '/')))
        {
            SawComment = true;
            while (!AtEnd() && Peek() != '\n')
            {
                Advance();
            }
        }
    }

    private Token Unquoted(ConfigOrigin start)
    {
        var sb = new StringBuilder();
        while (!AtEnd())
        {
            var c = Peek();
            if (IsWhitespace(c) || IsForbidden(c) || (c == '/' && Peek(1) == '/'))
            {
                break;
            }

            sb.Append(Advance());
        }

        return new Token(TokenKind.UnquotedText, sb.ToString(), start);
    }

    // A JSON number: -?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)? — whatever follows starts the next token.
    private Token? TryNumber(ConfigOrigin start)
    {
        var i = _pos;
        if (i < _text.Length && _text[i] == '-')
        {
            i++;
        }

        if (i >= _text.Length || !char.IsAsciiDigit(_text[i]))
        {
            return null;
        }

        if (_text[i] == '0')
        {
            i++;
        }
        else
        {
            while (i < _text.Length && char.IsAsciiDigit(_text[i]))
            {
                i++;
            }
        }

        if (i + 1 < _text.Length && _text[i] == '.' && char.IsAsciiDigit(_text[i + 1]))
        {
            i++;
            while (i < _text.Length && char.IsAsciiDigit(_text[i]))
            {
                i++;
            }
        }

        if (i < _text.Length && (_text[i] == 'e' || _text[i] == 'E'))
        {
            var j = i + 1;
            if (j < _text.Length && (_text[j] == '+' || _text[j] == '-'))
            {
                j++;
            }

            if (j < _text.Length && char.IsAsciiDigit(_text[j]))
            {
                while (j < _text.Length && char.IsAsciiDigit(_text[j]))
                {
                    j++;
                }

                i = j;
            }
        }

        var text = _text[_pos..i];
        while (_pos < i)
        {
            Advance();
        }

        return new Token(TokenKind.Number, text, start);
    }

    private Token Quoted(ConfigOrigin start)
    {
        Advance(); // opening quote
        var sb = new StringBuilder();
        while (true)
        {
            if (AtEnd())
            {
                throw Error(start, "this quoted string is never closed; expected a closing '\"'");
            }

            var at = Here;
            var c = Advance();
            if (c == '"')
            {
                return new Token(TokenKind.QuotedString, sb.ToString(), start);
            }

            if (c == '\n')
            {
                throw Error(at, $"a quoted string cannot span lines: the string opened at {start} has no closing '\"' on its line (use \"\"\" for multi-line strings, or \\n)");
            }

            if (c < ' ')
            {
                throw Error(at, $"control character U+{(int)c:X4} in a quoted string; write it as an escape such as \\t or \\u{(int)c:X4}");
            }

            if (c != '\\')
            {
                sb.Append(c);
                continue;
            }

            if (AtEnd())
            {
                throw Error(at, "expected an escape character after '\\'");
            }

            var e = Advance();
            switch (e)
            {
                case '"': sb.Append('"'); break;
                case '\\': sb.Append('\\'); break;
                case '/': sb.Append('/'); break;
                case 'b': sb.Append('\b'); break;
                case 'f': sb.Append('\f'); break;
                case 'n': sb.Append('\n'); break;
                case 'r': sb.Append('\r'); break;
                case 't': sb.Append('\t'); break;
                case 'u':
                    var hex = new StringBuilder();
                    for (var i = 0; i < 4; i++)
                    {
                        if (AtEnd() || !char.IsAsciiHexDigit(Peek()))
                        {
                            throw Error(at, "expected four hexadecimal digits after \\u");
                        }

                        hex.Append(Advance());
                    }

                    sb.Append((char)Convert.ToInt32(hex.ToString(), 16));
                    break;
                default:
                    throw Error(at, $"'\\{e}' is not a JSON escape; expected one of \\\" \\\\ \\/ \\b \\f \\n \\r \\t \\uXXXX");
            }
        }
    }

    private Token TripleQuoted(ConfigOrigin start)
    {
        Advance();
        Advance();
        Advance();
        var sb = new StringBuilder();
        while (true)
        {
            if (AtEnd())
            {
                throw Error(start, "this triple-quoted string is never closed; expected a closing \"\"\"");
            }

            if (Peek() == '"' && Peek(1) == '"' && Peek(2) == '"')
            {
                // Any run of three or more quotes ends the string; quotes beyond three belong to it (HOCON.md).
                var run = 0;
                while (Peek(run) == '"')
                {
                    run++;
                }

                sb.Append('"', run - 3);
                for (var i = 0; i < run; i++)
                {
                    Advance();
                }

                return new Token(TokenKind.QuotedString, sb.ToString(), start);
            }

            sb.Append(Advance());
        }
    }

    private Token Substitution(ConfigOrigin start)
    {
        Advance(); // $
        if (Peek() != '{')
        {
            throw Error(start, "expected '{' after '$' (a substitution is written ${path}); quote the text if you mean a '$'");
        }

        Advance();
        var optional = false;
        if (Peek() == '?')
        {
            Advance();
            optional = true;
        }

        var pieces = new List<Token>();
        var environmentList = false;
        while (true)
        {
            if (AtEnd())
            {
                throw Error(start, "this substitution is never closed; expected '}'");
            }

            if (Peek() == '[' && Peek(1) == ']')
            {
                var at = Here;
                Advance();
                Advance();
                if (Peek() != '}')
                {
                    throw Error(at, "'[]' may only end a substitution, as in ${NAME[]}");
                }

                environmentList = true;
                continue;
            }

            var token = Next();
            if (token.Kind == TokenKind.CloseBrace)
            {
                break;
            }

            if (!token.IsSimpleValue && token.Kind != TokenKind.Whitespace)
            {
                throw Error(token.Origin, $"expected a path or '}}' inside the substitution, found {token.Describe()}");
            }

            pieces.Add(token);
        }

        var path = ConfigPath.FromTokens(pieces, start, "substitution");
        return new Token(TokenKind.Substitution, "", start) { Path = path, Optional = optional, EnvironmentList = environmentList };
    }

    /// <summary>
    /// Reads the target of an include statement, just after the word <c>include</c>: a quoted string, or
    /// <c>file("...")</c>, <c>classpath("...")</c>, <c>url("...")</c>, optionally inside <c>required(...)</c>.
    /// </summary>
    public IncludeTarget ReadIncludeTarget(ConfigOrigin includeOrigin)
    {
        SkipAllWhitespace();
        var required = false;
        if (TryWord("required("))
        {
            required = true;
            SkipAllWhitespace();
        }

        var kind = IncludeKind.Heuristic;
        var parens = required ? 1 : 0;
        if (TryWord("file("))
        {
            kind = IncludeKind.File;
        }
        else if (TryWord("classpath("))
        {
            kind = IncludeKind.Classpath;
        }
        else if (TryWord("url("))
        {
            kind = IncludeKind.Url;
        }

        if (kind != IncludeKind.Heuristic)
        {
            parens++;
            SkipAllWhitespace();
        }

        var at = Here;
        if (Peek() != '"')
        {
            throw Error(at, "expected a quoted file name after include, such as include \"other.conf\", include file(\"other.conf\") or include required(\"other.conf\")");
        }

        var name = Peek(1) == '"' && Peek(2) == '"' ? TripleQuoted(at) : Quoted(at);
        for (var i = 0; i < parens; i++)
        {
            SkipAllWhitespace();
            if (Peek() != ')')
            {
                throw Error(Here, "expected ')' to close the include target");
            }

            Advance();
        }

        return new IncludeTarget(kind, name.Text, required, includeOrigin);
    }

    private void SkipAllWhitespace()
    {
        while (true)
        {
            SkipComments();
            if (AtEnd() || !IsWhitespace(Peek()))
            {
                return;
            }

            Advance();
        }
    }

    private bool TryWord(string word)
    {
        if (string.CompareOrdinal(_text, _pos, word, 0, word.Length) != 0)
        {
            return false;
        }

        for (var i = 0; i < word.Length; i++)
        {
            Advance();
        }

        return true;
    }
}

internal enum IncludeKind
{
    Heuristic,
    File,
    Classpath,
    Url,
}

/// <summary>What an include statement names.</summary>
internal sealed record IncludeTarget(IncludeKind Kind, string Name, bool Required, ConfigOrigin Origin);
