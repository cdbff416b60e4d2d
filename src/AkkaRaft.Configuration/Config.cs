using System.Globalization;

namespace AkkaRaft.Configuration;

/// <summary>
/// A resolved, immutable configuration tree, read with typed getters in Akka.NET's shape. Paths are HOCON path
/// expressions (<c>akkaraft.raft.election-timeout</c>, <c>a."b.c"</c>).
/// <para>
/// Every getter without a default throws <see cref="ConfigException"/> naming the path when the setting is
/// missing, null, or of the wrong type, and names where the bad value was written. Overloads with a default
/// return it only when the path is missing (or set to null, which HOCON uses to clear a value); a value that is
/// present but malformed is an error, never replaced by the default.
/// </para>
/// </summary>
public sealed class Config
{
    private static readonly ConfigOrigin EmptyOrigin = new("empty configuration");

    internal Config(ObjectNode root)
    {
        if (!root.IsResolved)
        {
            throw new InvalidOperationException("a Config must be built from a resolved tree; resolve substitutions first");
        }

        Root = root;
    }

    /// <summary>The configuration with no settings.</summary>
    public static Config Empty { get; } = new(ObjectNode.Empty(EmptyOrigin));

    internal ObjectNode Root { get; }

    /// <summary>True when the configuration holds no setting at all.</summary>
    public bool IsEmpty => Root.Count == 0;

    /// <summary>The keys of the top-level object, in the order they were first defined.</summary>
    public IEnumerable<string> Keys => Root.Keys;

    /// <summary>True when a non-null value exists at <paramref name="path"/>.</summary>
    /// <exception cref="ConfigException">The path expression is malformed.</exception>
    public bool HasPath(string path)
    {
        var node = Find(ConfigPath.Parse(path), out _);
        return node is not null && node is not ScalarNode { Kind: ScalarKind.Null };
    }

    /// <summary>Where the value at <paramref name="path"/> was written, or null when there is no value.</summary>
    public ConfigOrigin? GetOrigin(string path) => Find(ConfigPath.Parse(path), out _)?.Origin;

    /// <summary>A string; numbers and booleans are converted to their text (HOCON.md, automatic type conversions).</summary>
    public string GetString(string path) => Get<string>(path, "a string", AsString);

    /// <summary>A string, or <paramref name="default"/> when the path is missing.</summary>
    public string GetString(string path, string @default) => GetOr<string>(path, "a string", AsString, @default);

    /// <summary>A 32-bit integer (a number, or a string holding one).</summary>
    public int GetInt(string path) => Get<int>(path, "a 32-bit integer", AsInt);

    /// <summary>A 32-bit integer, or <paramref name="default"/> when the path is missing.</summary>
    public int GetInt(string path, int @default) => GetOr<int>(path, "a 32-bit integer", AsInt, @default);

    /// <summary>A 64-bit integer (a number, or a string holding one).</summary>
    public long GetLong(string path) => Get<long>(path, "a 64-bit integer", AsLong);

    /// <summary>A 64-bit integer, or <paramref name="default"/> when the path is missing.</summary>
    public long GetLong(string path, long @default) => GetOr<long>(path, "a 64-bit integer", AsLong, @default);

    /// <summary>A floating-point number (a number, or a string holding one).</summary>
    public double GetDouble(string path) => Get<double>(path, "a number", AsDouble);

    /// <summary>A floating-point number, or <paramref name="default"/> when the path is missing.</summary>
    public double GetDouble(string path, double @default) => GetOr<double>(path, "a number", AsDouble, @default);

    /// <summary>A boolean: true/false, or the strings on/off, yes/no, true/false.</summary>
    public bool GetBoolean(string path) => Get<bool>(path, "a boolean (true/false, on/off, yes/no)", AsBoolean);

    /// <summary>A boolean, or <paramref name="default"/> when the path is missing.</summary>
    public bool GetBoolean(string path, bool @default) => GetOr<bool>(path, "a boolean (true/false, on/off, yes/no)", AsBoolean, @default);

    /// <summary>A duration such as <c>500ms</c>, <c>5 s</c>, <c>2 minutes</c> or <c>1d</c>; a bare number is milliseconds.</summary>
    public TimeSpan GetTimeSpan(string path) => Get<TimeSpan>(path, "a duration such as 500ms", AsDuration);

    /// <summary>A duration, or <paramref name="default"/> when the path is missing.</summary>
    public TimeSpan GetTimeSpan(string path, TimeSpan @default) => GetOr<TimeSpan>(path, "a duration such as 500ms", AsDuration, @default);

    /// <summary>A size in bytes such as <c>10MB</c> (10^7), <c>10MiB</c> (10·2^20) or <c>512k</c> (512·2^10); a bare number is bytes.</summary>
    public long GetByteSize(string path) => Get<long>(path, "a size in bytes such as 64MiB", AsBytes);

    /// <summary>A size in bytes, or <paramref name="default"/> when the path is missing.</summary>
    public long GetByteSize(string path, long @default) => GetOr<long>(path, "a size in bytes such as 64MiB", AsBytes, @default);

    /// <summary>An array of strings (numbers and booleans converted to text).</summary>
    public IReadOnlyList<string> GetStringList(string path) => Get<IReadOnlyList<string>>(path, "an array of strings", AsList<string>(path, "a string", AsString));

    /// <summary>An array of strings, or <paramref name="default"/> when the path is missing.</summary>
    public IReadOnlyList<string> GetStringList(string path, IReadOnlyList<string> @default) =>
        GetOr<IReadOnlyList<string>>(path, "an array of strings", AsList<string>(path, "a string", AsString), @default);

    /// <summary>An array of 32-bit integers.</summary>
    public IReadOnlyList<int> GetIntList(string path) => Get<IReadOnlyList<int>>(path, "an array of integers", AsList<int>(path, "a 32-bit integer", AsInt));

    /// <summary>An array of objects, each as a configuration of its own (such as a list of peers).</summary>
    public IReadOnlyList<Config> GetConfigList(string path) =>
        Get<IReadOnlyList<Config>>(path, "an array of objects", AsList<Config>(path, "an object", AsConfig));

    /// <summary>
    /// The object at <paramref name="path"/> as a configuration of its own (paths relative to it); the empty
    /// configuration when the path is missing.
    /// </summary>
    /// <exception cref="ConfigException">The value at the path is not an object.</exception>
    public Config GetConfig(string path)
    {
        var node = Find(ConfigPath.Parse(path), out _);
        return node switch
        {
            null or ScalarNode { Kind: ScalarKind.Null } => Empty,
            ObjectNode o => new Config(o),
            _ => throw WrongType(path, "an object", node),
        };
    }

    /// <summary>
    /// This configuration with <paramref name="fallback"/> under it: values here win, objects present in both
    /// are merged, as with duplicate keys in one file.
    /// </summary>
    public Config WithFallback(Config fallback)
    {
        ArgumentNullException.ThrowIfNull(fallback);
        if (fallback.IsEmpty)
        {
            return this;
        }

        return IsEmpty ? fallback : new Config(Merge.Objects(Root, fallback.Root));
    }

    /// <summary>
    /// Every leaf (a value that is not an object) as its path and its text: the string itself for scalars
    /// ("null" for null), JSON for arrays. Objects are walked in order; empty objects yield nothing.
    /// </summary>
    public IEnumerable<KeyValuePair<string, string>> AsEnumerable()
    {
        var leaves = new List<KeyValuePair<string, string>>();
        Walk(Root, []);
        return leaves;

        void Walk(ObjectNode node, List<string> prefix)
        {
            foreach (var (key, value) in node.Fields)
            {
                prefix.Add(key);
                switch (value)
                {
                    case ObjectNode child:
                        Walk(child, prefix);
                        break;
                    case ScalarNode scalar:
                        leaves.Add(new(ConfigPath.Render(prefix), scalar.Text));
                        break;
                    default:
                        leaves.Add(new(ConfigPath.Render(prefix), Renderer.Json(value, indented: false)));
                        break;
                }

                prefix.RemoveAt(prefix.Count - 1);
            }
        }
    }

    /// <summary>The tree as JSON (numbers as written, strings escaped), indented by two spaces unless told otherwise.</summary>
    public string ToJson(bool indented = true) => Renderer.Json(Root, indented);

    /// <summary>
    /// The tree as HOCON that parses back to the same tree; with <paramref name="withOrigins"/>, a comment above
    /// each setting says where its value came from.
    /// </summary>
    public string ToHocon(bool withOrigins = false) => Renderer.Hocon(Root, withOrigins);

    /// <summary>The tree as HOCON.</summary>
    public override string ToString() => ToHocon();

    /// <summary>
    /// The same configuration with every secret (a password, the password inside a connection string) replaced by
    /// <see cref="SecretSettings.Mask"/>, for showing it; <see cref="SecretSettings"/> says which settings are secret.
    /// Origins are kept. Never hand the result to a node: its passwords are gone.
    /// </summary>
    public Config WithSecretsMasked() => new(SecretSettings.MaskAll(Root));

    private Node? Find(IReadOnlyList<string> path, out IReadOnlyList<string>? blockedAt)
    {
        blockedAt = null;
        Node current = Root;
        for (var i = 0; i < path.Count; i++)
        {
            if (current is not ObjectNode obj)
            {
                blockedAt = path.Take(i).ToList();
                return null;
            }

            var next = obj.Get(path[i]);
            if (next is null)
            {
                return null;
            }

            current = next;
        }

        return current;
    }

    private delegate bool Converter<T>(Node node, out T value);

    private T Get<T>(string path, string expected, Converter<T> convert)
    {
        var node = FindOrThrowOnBlocked(path, expected);
        if (node is null)
        {
            throw new ConfigException($"{path}: missing setting; expected {expected}");
        }

        if (node is ScalarNode { Kind: ScalarKind.Null })
        {
            throw new ConfigException($"{path}: expected {expected}, got null ({node.Origin})", node.Origin);
        }

        return convert(node, out var value) ? value : throw WrongType(path, expected, node);
    }

    private T GetOr<T>(string path, string expected, Converter<T> convert, T @default)
    {
        var node = FindOrThrowOnBlocked(path, expected);
        if (node is null or ScalarNode { Kind: ScalarKind.Null })
        {
            return @default;
        }

        return convert(node, out var value) ? value : throw WrongType(path, expected, node);
    }

    private Node? FindOrThrowOnBlocked(string path, string expected)
    {
        var node = Find(ConfigPath.Parse(path), out var blockedAt);
        if (blockedAt is not null)
        {
            var blocker = Find(blockedAt, out _)!;
            throw new ConfigException(
                $"{path}: expected {expected}, but {ConfigPath.Render(blockedAt)} is {blocker.Describe()}, not an object ({blocker.Origin})",
                blocker.Origin);
        }

        return node;
    }

    private static ConfigException WrongType(string path, string expected, Node node) =>
        new($"{path}: expected {expected}, got {node.Describe()} ({node.Origin})", node.Origin);

    private static bool AsString(Node node, out string value)
    {
        value = node is ScalarNode { Kind: not ScalarKind.Null } s ? s.Text : "";
        return node is ScalarNode { Kind: not ScalarKind.Null };
    }

    private static bool AsConfig(Node node, out Config value)
    {
        value = node is ObjectNode o ? new Config(o) : Empty;
        return node is ObjectNode;
    }

    private static string? NumericText(Node node) =>
        node is ScalarNode { Kind: ScalarKind.Number or ScalarKind.String } s ? s.Text.Trim() : null;

    private static bool AsLong(Node node, out long value)
    {
        value = 0;
        var text = NumericText(node);
        if (text is null)
        {
            return false;
        }

        if (long.TryParse(text, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out value))
        {
            return true;
        }

        if (decimal.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out var d) && d == decimal.Truncate(d)
            && d >= long.MinValue && d <= long.MaxValue)
        {
            value = (long)d;
            return true;
        }

        return false;
    }

    private static bool AsInt(Node node, out int value)
    {
        value = 0;
        if (!AsLong(node, out var l) || l < int.MinValue || l > int.MaxValue)
        {
            return false;
        }

        value = (int)l;
        return true;
    }

    private static bool AsDouble(Node node, out double value)
    {
        value = 0;
        return NumericText(node) is { } t && double.TryParse(t, NumberStyles.Float, CultureInfo.InvariantCulture, out value)
            && double.IsFinite(value);
    }

    private static bool AsBoolean(Node node, out bool value)
    {
        value = false;
        switch (node)
        {
            case ScalarNode { Kind: ScalarKind.Boolean } b:
                value = b.Text == "true";
                return true;
            case ScalarNode { Kind: ScalarKind.String, Text: "true" or "yes" or "on" }:
                value = true;
                return true;
            case ScalarNode { Kind: ScalarKind.String, Text: "false" or "no" or "off" }:
                return true;
            default:
                return false;
        }
    }

    private static bool AsDuration(Node node, out TimeSpan value)
    {
        value = default;
        if (NumericText(node) is { } t && Units.ParseDuration(t) is { } d)
        {
            value = d;
            return true;
        }

        return false;
    }

    private static bool AsBytes(Node node, out long value)
    {
        value = 0;
        if (NumericText(node) is { } t && Units.ParseBytes(t) is { } b)
        {
            value = b;
            return true;
        }

        return false;
    }

    private static Converter<IReadOnlyList<T>> AsList<T>(string path, string elementExpected, Converter<T> convert) =>
        (Node node, out IReadOnlyList<T> value) =>
        {
            value = [];
            var array = node switch
            {
                ArrayNode a => a,
                ObjectNode o => Concatenation.NumericObjectAsArray(o),
                _ => null,
            };
            if (array is null)
            {
                return false;
            }

            var result = new List<T>(array.Items.Count);
            for (var i = 0; i < array.Items.Count; i++)
            {
                var item = array.Items[i];
                if (item is ScalarNode { Kind: ScalarKind.Null } || !convert(item, out var element))
                {
                    throw WrongType($"{path}[{i}]", elementExpected, item);
                }

                result.Add(element);
            }

            value = result;
            return true;
        };
}
