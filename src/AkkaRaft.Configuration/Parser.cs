namespace AkkaRaft.Configuration;

/// <summary>
/// Builds the (unresolved) value tree of one HOCON document: fields, path keys, duplicate keys merged as they
/// are met, <c>+=</c>, concatenations and includes. Substitutions stay in the tree; <see cref="Resolver"/>
/// replaces them once every source has been merged (HOCON.md: "substitution happens as a final step").
/// </summary>
internal sealed class Parser
{
    /// <summary>The deepest nesting of objects and arrays accepted, so that hostile input cannot overflow the stack.</summary>
    public const int MaxNesting = 400;

    private readonly Lexer _lexer;
    private readonly Includer _includer;
    private readonly IReadOnlyList<string> _prefix;
    private Token? _peeked;
    private int _nesting;

    private Parser(string text, string source, Includer includer, IReadOnlyList<string> prefix)
    {
        _lexer = new Lexer(text, source);
        _includer = includer;
        _prefix = prefix;
    }

    /// <summary>Parses a whole document, which must be an object (braces may be omitted).</summary>
    /// <param name="prefix">Where the document is included (empty for a top-level document).</param>
    public static ObjectNode ParseDocument(string text, string source, Includer includer, IReadOnlyList<string> prefix)
    {
        var parser = new Parser(text, source, includer, prefix);
        return parser.Document();
    }

    /// <summary>
    /// Parses text that must be exactly one HOCON value (an environment variable or a command-line value),
    /// or returns null when it is not one, so that the caller can take the text as a plain string.
    /// </summary>
    public static Node? TryParseSingleValue(string text, string source)
    {
        try
        {
            var parser = new Parser(text, source, Includer.ForText(source), []);
            parser.SkipWhitespaceAndNewlines();
            if (parser.Peek().Kind == TokenKind.End)
            {
                return null;
            }

            var value = parser.Value([]);
            parser.SkipWhitespaceAndNewlines();
            if (parser.Peek().Kind != TokenKind.End || parser._lexer.SawComment)
            {
                return null;
            }

            // A lone scalar is named by the source only: "environment variable X", not "X:1:1".
            return value is ScalarNode scalar ? new ScalarNode(new ConfigOrigin(source), scalar.Kind, scalar.Text) : value;
        }
        catch (ConfigException)
        {
            return null;
        }
    }

    private Token Peek() => _peeked ??= _lexer.Next();

    private Token Take()
    {
        var token = Peek();
        _peeked = null;
        return token;
    }

    private void SkipWhitespace()
    {
        while (Peek().Kind == TokenKind.Whitespace)
        {
            Take();
        }
    }

    private void SkipWhitespaceAndNewlines()
    {
        while (Peek().Kind is TokenKind.Whitespace or TokenKind.Newline)
        {
            Take();
        }
    }

    private static ConfigException Error(Token at, string message) => ConfigException.At(at.Origin, message);

    private ObjectNode Document()
    {
        SkipWhitespaceAndNewlines();
        var first = Peek();
        switch (first.Kind)
        {
            case TokenKind.End:
                return ObjectNode.Empty(first.Origin);
            case TokenKind.OpenBracket:
                throw Error(first, "a configuration document must be an object, found an array; expected '{' or a key");
            case TokenKind.OpenBrace:
                Take();
                var root = ObjectBody(braced: true, first, []);
                SkipWhitespaceAndNewlines();
                var after = Peek();
                if (after.Kind != TokenKind.End)
                {
                    throw Error(after, $"expected end of input after the closing '}}' of the root object, found {after.Describe()}");
                }

                return root;
            default:
                return ObjectBody(braced: false, first, []);
        }
    }

    /// <param name="path">The path of this object within the document, or null inside arrays.</param>
    private ObjectNode ObjectBody(bool braced, Token open, IReadOnlyList<string>? path)
    {
        Enter(open);
        try
        {
            return ObjectFields(braced, open, path);
        }
        finally
        {
            _nesting--;
        }
    }

    private void Enter(Token open)
    {
        _nesting++;
        if (_nesting > MaxNesting || !System.Runtime.CompilerServices.RuntimeHelpers.TryEnsureSufficientExecutionStack())
        {
            throw Error(open, $"objects and arrays are nested more than {MaxNesting} deep");
        }
    }

    private ObjectNode ObjectFields(bool braced, Token open, IReadOnlyList<string>? path)
    {
        var fields = new OrderedDictionary<string, Node>(StringComparer.Ordinal);
        var keyOrigins = new Dictionary<string, ConfigOrigin>(StringComparer.Ordinal);
        while (true)
        {
            SkipWhitespaceAndNewlines();
            var token = Peek();
            if (token.Kind == TokenKind.End)
            {
                if (braced)
                {
                    throw Error(token, $"expected '}}' to close the object opened at {open.Origin}, found end of input");
                }

                break;
            }

            if (token.Kind == TokenKind.CloseBrace)
            {
                if (!braced)
                {
                    throw Error(token, "unbalanced '}': there is no '{' for it to close");
                }

                Take();
                break;
            }

            if (token.Kind == TokenKind.Comma)
            {
                throw Error(token, "unexpected ','; expected a key (a comma may only follow a field, and only once)");
            }

            var key = Field(fields, keyOrigins, path);
            SkipWhitespace();
            var separator = Peek();
            switch (separator.Kind)
            {
                case TokenKind.Comma:
                    Take();
                    break;
                case TokenKind.Newline:
                case TokenKind.CloseBrace:
                case TokenKind.End:
                    break;
                default:
                    throw Error(separator, $"expected ',', a new line or '}}' after the field '{key}', found {separator.Describe()}");
            }
        }

        return new ObjectNode(open.Origin, fields, keyOrigins);
    }

    /// <summary>Parses one field (or include) and merges it into <paramref name="fields"/>; returns the key for messages.</summary>
    private string Field(OrderedDictionary<string, Node> fields, Dictionary<string, ConfigOrigin> keyOrigins, IReadOnlyList<string>? path)
    {
        var first = Peek();
        if (first.Kind == TokenKind.UnquotedText && first.Text == "include")
        {
            Take();
            var target = _lexer.ReadIncludeTarget(first.Origin);
            var included = _includer.Include(target, [.. _prefix, .. path ?? []]);
            foreach (var (name, includedValue) in included.Fields)
            {
                fields[name] = fields.TryGetValue(name, out var earlier) ? Merge.Values(includedValue, earlier) : includedValue;
                keyOrigins[name] = included.KeyOrigin(name);
            }

            return "include";
        }

        var keyTokens = new List<Token>();
        while (Peek().IsSimpleValue || Peek().Kind == TokenKind.Whitespace)
        {
            keyTokens.Add(Take());
        }

        if (Peek().Kind == TokenKind.Substitution)
        {
            throw Error(Peek(), "a key cannot hold a substitution; substitutions belong in values");
        }

        if (keyTokens.Count == 0)
        {
            var found = Peek();
            throw Error(found, $"expected a key, found {found.Describe()}");
        }

        var key = ConfigPath.FromTokens(keyTokens, first.Origin, "key");
        var keyText = ConfigPath.Render(key);
        IReadOnlyList<string>? fieldPath = path is null ? null : [.. path, .. key];
        var separator = Peek();
        Node value;
        switch (separator.Kind)
        {
            case TokenKind.Colon:
            case TokenKind.Equals:
                Take();
                SkipWhitespaceAndNewlines();
                value = Value(fieldPath, keyText);
                break;
            case TokenKind.PlusEquals:
                Take();
                SkipWhitespaceAndNewlines();
                var element = Value(fieldPath, keyText);
                // HOCON.md: "a += b" is "a = ${?a} [b]".
                var self = new SubstitutionNode(separator.Origin, fieldPath ?? key, optional: true, _prefix, environmentList: false);
                value = new ConcatenationNode(separator.Origin, [self, new ArrayNode(separator.Origin, [element])]);
                break;
            case TokenKind.OpenBrace:
                value = Value(fieldPath, keyText);
                break;
            default:
                throw Error(separator, $"expected ':', '=', '+=' or '{{' after the key '{keyText}', found {separator.Describe()}");
        }

        for (var i = key.Count - 1; i >= 1; i--)
        {
            var wrapper = new OrderedDictionary<string, Node>(StringComparer.Ordinal) { [key[i]] = value };
            value = new ObjectNode(first.Origin, wrapper, new Dictionary<string, ConfigOrigin> { [key[i]] = first.Origin });
        }

        fields[key[0]] = fields.TryGetValue(key[0], out var previous) ? Merge.Values(value, previous) : value;
        keyOrigins[key[0]] = first.Origin;
        return keyText;
    }

    /// <summary>A value: one or more simple values, substitutions, objects or arrays on one line, concatenated.</summary>
    private Node Value(IReadOnlyList<string>? path, string? keyForMessages = null)
    {
        var pieces = new List<Node>();
        var start = Peek();
        while (true)
        {
            var token = Peek();
            switch (token.Kind)
            {
                case TokenKind.QuotedString:
                case TokenKind.UnquotedText:
                    Take();
                    pieces.Add(ScalarNode.String(token.Origin, token.Text));
                    continue;
                case TokenKind.Number:
                    Take();
                    pieces.Add(new ScalarNode(token.Origin, ScalarKind.Number, token.Text));
                    continue;
                case TokenKind.True:
                case TokenKind.False:
                    Take();
                    pieces.Add(new ScalarNode(token.Origin, ScalarKind.Boolean, token.Text));
                    continue;
                case TokenKind.Null:
                    Take();
                    pieces.Add(ScalarNode.Null(token.Origin));
                    continue;
                case TokenKind.Substitution:
                    Take();
                    pieces.Add(new SubstitutionNode(token.Origin, token.Path, token.Optional, _prefix, token.EnvironmentList));
                    continue;
                case TokenKind.Whitespace:
                    Take();
                    pieces.Add(new WhitespaceNode(token.Origin, token.Text));
                    continue;
                case TokenKind.OpenBrace:
                    Take();
                    pieces.Add(ObjectBody(braced: true, token, path));
                    continue;
                case TokenKind.OpenBracket:
                    Take();
                    pieces.Add(Array(token));
                    continue;
                case TokenKind.Colon:
                case TokenKind.Equals:
                case TokenKind.PlusEquals:
                    throw Error(token, $"{token.Describe()} cannot appear inside a value; put the value in quotes if it holds one");
            }

            break;
        }

        while (pieces.Count > 0 && pieces[^1] is WhitespaceNode)
        {
            pieces.RemoveAt(pieces.Count - 1);
        }

        if (pieces.Count == 0)
        {
            var found = Peek();
            var what = keyForMessages is null ? "expected a value" : $"expected a value for '{keyForMessages}'";
            throw Error(found, $"{what}, found {found.Describe()}");
        }

        if (pieces.Count == 1)
        {
            return pieces[0];
        }

        if (pieces.Any(p => p is SubstitutionNode))
        {
            return new ConcatenationNode(start.Origin, pieces);
        }

        return Concatenation.Combine(pieces, start.Origin)!;
    }

    private ArrayNode Array(Token open)
    {
        Enter(open);
        try
        {
            return ArrayItems(open);
        }
        finally
        {
            _nesting--;
        }
    }

    private ArrayNode ArrayItems(Token open)
    {
        var items = new List<Node>();
        while (true)
        {
            SkipWhitespaceAndNewlines();
            var token = Peek();
            if (token.Kind == TokenKind.CloseBracket)
            {
                Take();
                return new ArrayNode(open.Origin, items);
            }

            if (token.Kind == TokenKind.End)
            {
                throw Error(token, $"expected ']' to close the array opened at {open.Origin}, found end of input");
            }

            if (token.Kind == TokenKind.Comma)
            {
                throw Error(token, "unexpected ','; expected an array element (a comma may only follow an element, and only once)");
            }

            if (token.Kind is TokenKind.CloseBrace or TokenKind.Colon or TokenKind.Equals or TokenKind.PlusEquals)
            {
                throw Error(token, $"expected an array element or ']' to close the array opened at {open.Origin}, found {token.Describe()}");
            }

            items.Add(Value(null));
            SkipWhitespace();
            var separator = Peek();
            switch (separator.Kind)
            {
                case TokenKind.Comma:
                    Take();
                    break;
                case TokenKind.Newline:
                case TokenKind.CloseBracket:
                    break;
                case TokenKind.End:
                    throw Error(separator, $"expected ']' to close the array opened at {open.Origin}, found end of input");
                default:
                    throw Error(separator, $"expected ',', a new line or ']' after an array element, found {separator.Describe()}");
            }
        }
    }
}
