namespace AkkaRaft.Configuration;

// The value tree. The parser builds it, with substitutions, concatenations and merge stacks still in it;
// the resolver turns it into a tree of objects, arrays and scalars only. Nodes are immutable once built.

/// <summary>A node of the value tree and the origin of the text it came from.</summary>
internal abstract class Node(ConfigOrigin origin)
{
    public ConfigOrigin Origin { get; } = origin;

    /// <summary>True when the node and everything under it hold no substitution, concatenation or merge stack.</summary>
    public abstract bool IsResolved { get; }

    /// <summary>A word for error messages: "a string", "an object"...</summary>
    public abstract string Describe();
}

internal enum ScalarKind
{
    String,
    Number,
    Boolean,
    Null,
}

/// <summary>A string, number, boolean or null. Numbers keep the text they were written with.</summary>
internal sealed class ScalarNode(ConfigOrigin origin, ScalarKind kind, string text) : Node(origin)
{
    public ScalarKind Kind { get; } = kind;

    /// <summary>The string's value, the number as written, "true"/"false", or "null".</summary>
    public string Text { get; } = text;

    public override bool IsResolved => true;

    public static ScalarNode String(ConfigOrigin origin, string value) => new(origin, ScalarKind.String, value);

    public static ScalarNode Null(ConfigOrigin origin) => new(origin, ScalarKind.Null, "null");

    public override string Describe() => Kind switch
    {
        ScalarKind.String => $"'{Text}'",
        ScalarKind.Number => $"the number {Text}",
        ScalarKind.Boolean => $"the boolean {Text}",
        _ => "null",
    };
}

/// <summary>An object; fields keep the order in which they were first defined.</summary>
internal sealed class ObjectNode : Node
{
    private readonly OrderedDictionary<string, Node> _fields;
    private readonly IReadOnlyDictionary<string, ConfigOrigin>? _keyOrigins;
    private readonly bool _resolved;

    /// <param name="keyOrigins">Where each key was written, when known (for messages about keys).</param>
    /// <param name="ignoresFallbacks">True once the object has hidden a non-object value: objects further below
    /// must not merge into it (HOCON.md, "Config object merging and file merging").</param>
    public ObjectNode(
        ConfigOrigin origin, OrderedDictionary<string, Node> fields, IReadOnlyDictionary<string, ConfigOrigin>? keyOrigins = null,
        bool ignoresFallbacks = false)
        : base(origin)
    {
        _fields = fields;
        _keyOrigins = keyOrigins;
        IgnoresFallbacks = ignoresFallbacks;
        _resolved = true;
        foreach (var (_, value) in fields)
        {
            if (!value.IsResolved)
            {
                _resolved = false;
                break;
            }
        }
    }

    public static ObjectNode Empty(ConfigOrigin origin) => new(origin, new OrderedDictionary<string, Node>(StringComparer.Ordinal));

    public IReadOnlyDictionary<string, Node> Fields => _fields;

    public IEnumerable<string> Keys => _fields.Keys;

    public int Count => _fields.Count;

    public override bool IsResolved => _resolved;

    public Node? Get(string key) => _fields.TryGetValue(key, out var value) ? value : null;

    public IReadOnlyDictionary<string, ConfigOrigin>? KeyOrigins => _keyOrigins;

    public bool IgnoresFallbacks { get; }

    /// <summary>A copy with other fields but the same origin, key origins and fallback rule.</summary>
    public ObjectNode With(OrderedDictionary<string, Node> fields) => new(Origin, fields, _keyOrigins, IgnoresFallbacks);

    public ObjectNode IgnoringFallbacks() => IgnoresFallbacks ? this : new(Origin, _fields, _keyOrigins, ignoresFallbacks: true);

    /// <summary>Where the key was written, or else where its value was.</summary>
    public ConfigOrigin KeyOrigin(string key) =>
        _keyOrigins is not null && _keyOrigins.TryGetValue(key, out var origin) ? origin : _fields[key].Origin;

    public override string Describe() => "an object";
}

/// <summary>An array.</summary>
internal sealed class ArrayNode(ConfigOrigin origin, IReadOnlyList<Node> items) : Node(origin)
{
    public IReadOnlyList<Node> Items { get; } = items;

    public override bool IsResolved { get; } = items.All(i => i.IsResolved);

    public override string Describe() => "an array";
}

/// <summary>A substitution <c>${path}</c> or <c>${?path}</c>.</summary>
/// <param name="path">The path as written.</param>
/// <param name="includePrefix">The path at which the file holding it was included (empty at the root): the
/// substitution is looked up first under this prefix, then from the root (HOCON.md, include semantics).</param>
/// <param name="environmentList">True for <c>${NAME[]}</c>: an environment list NAME_0, NAME_1, ...</param>
internal sealed class SubstitutionNode(
    ConfigOrigin origin, IReadOnlyList<string> path, bool optional, IReadOnlyList<string> includePrefix, bool environmentList)
    : Node(origin)
{
    public IReadOnlyList<string> Path { get; } = path;

    public bool Optional { get; } = optional;

    public IReadOnlyList<string> IncludePrefix { get; } = includePrefix;

    public bool EnvironmentList { get; } = environmentList;

    public override bool IsResolved => false;

    public override string Describe() => $"the substitution {this}";

    public override string ToString() =>
        "${" + (Optional ? "?" : "") + ConfigPath.Render(Path) + (EnvironmentList ? "[]" : "") + "}";
}

/// <summary>Unquoted whitespace between the parts of a concatenation; it counts only between simple values.</summary>
internal sealed class WhitespaceNode(ConfigOrigin origin, string text) : Node(origin)
{
    public string Text { get; } = text;

    public override bool IsResolved => false;

    public override string Describe() => "whitespace";
}

/// <summary>A value concatenation that holds at least one substitution, resolved once the substitutions are.</summary>
internal sealed class ConcatenationNode(ConfigOrigin origin, IReadOnlyList<Node> pieces) : Node(origin)
{
    public IReadOnlyList<Node> Pieces { get; } = pieces;

    public override bool IsResolved => false;

    public override string Describe() => "a concatenation";

    public bool HasSubstitution => Pieces.Any(p => p is SubstitutionNode || p is ConcatenationNode c && c.HasSubstitution);
}

/// <summary>
/// Several values for one field that could not be merged while parsing because some are not resolved yet
/// (duplicate keys, file fallbacks). Highest priority first. Resolution merges them as HOCON.md says:
/// objects merge with the objects below them, a non-object hides everything below it.
/// </summary>
internal sealed class MergeStackNode(IReadOnlyList<Node> values) : Node(values[0].Origin)
{
    public IReadOnlyList<Node> Values { get; } = values;

    public override bool IsResolved => false;

    public override string Describe() => "a merge of several values";
}

/// <summary>The merge rule of HOCON.md ("duplicate keys and object merging"), for parse time and fallbacks.</summary>
internal static class Merge
{
    /// <summary>Merges <paramref name="high"/> over <paramref name="low"/>.</summary>
    public static Node Values(Node high, Node low)
    {
        if (high is ObjectNode highObject && low is ObjectNode lowObject)
        {
            return Objects(highObject, lowObject);
        }

        if (high is ScalarNode || high is ArrayNode)
        {
            return high; // a non-object hides whatever was below it
        }

        if (high is ObjectNode hiding && (low is ScalarNode || low is ArrayNode))
        {
            return hiding.IgnoringFallbacks();
        }

        var stack = new List<Node>();
        Flatten(high, stack);
        Flatten(low, stack);
        return new MergeStackNode(stack);
    }

    public static ObjectNode Objects(ObjectNode high, ObjectNode low)
    {
        if (high.IgnoresFallbacks)
        {
            return high;
        }

        var fields = new OrderedDictionary<string, Node>(StringComparer.Ordinal);
        foreach (var (key, lowValue) in low.Fields)
        {
            fields[key] = high.Get(key) is { } highValue ? Values(highValue, lowValue) : lowValue;
        }

        foreach (var (key, highValue) in high.Fields)
        {
            fields.TryAdd(key, highValue);
        }

        Dictionary<string, ConfigOrigin>? keyOrigins = null;
        if (high.KeyOrigins is not null || low.KeyOrigins is not null)
        {
            keyOrigins = new Dictionary<string, ConfigOrigin>(StringComparer.Ordinal);
            foreach (var (key, origin) in low.KeyOrigins ?? new Dictionary<string, ConfigOrigin>())
            {
                keyOrigins[key] = origin;
            }

            foreach (var (key, origin) in high.KeyOrigins ?? new Dictionary<string, ConfigOrigin>())
            {
                keyOrigins[key] = origin;
            }
        }

        return new ObjectNode(high.Origin, fields, keyOrigins, low.IgnoresFallbacks);
    }

    private static void Flatten(Node node, List<Node> into)
    {
        if (node is MergeStackNode stack)
        {
            into.AddRange(stack.Values);
        }
        else
        {
            into.Add(node);
        }
    }
}
