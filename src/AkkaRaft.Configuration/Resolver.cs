using System.Collections.Immutable;

namespace AkkaRaft.Configuration;

/// <summary>
/// Resolves substitutions against the whole merged tree (HOCON.md, "Substitutions" and "Self-Referential
/// Substitutions"):
/// <list type="bullet">
/// <item>lookups are lazy and resolve only the path they need, so an object may refer to its own fields;</item>
/// <item>while a field whose value is a substitution or a concatenation holding one is being resolved, that
/// field is replaced in the lookup tree by the values it overrides (the rest of its merge stack), or by a
/// marker when there are none: this is how <c>path = ${path} [x]</c> sees the earlier value, and how a
/// cycle is detected and named;</item>
/// <item>a path absent from the tree falls back to the environment variable of the same name;</item>
/// <item>every substitution is resolved once (memoized by its occurrence), as the spec asks.</item>
/// </list>
/// </summary>
internal sealed class Resolver
{
    /// <summary>The deepest chain of lookups accepted (substitutions of substitutions, nested objects).</summary>
    public const int MaxDepth = 1000;

    private readonly ObjectNode _root;
    private readonly Func<string, string?> _environment;
    private readonly Dictionary<string, Node?> _shallow = new(StringComparer.Ordinal);
    private readonly Dictionary<string, Node?> _full = new(StringComparer.Ordinal);
    private readonly Dictionary<SubstitutionNode, Node?> _substitutions = new(ReferenceEqualityComparer.Instance);
    private readonly Dictionary<(object Stack, int From), Node> _remainders = new(new RemainderComparer());
    private readonly HashSet<string> _inProgress = new(StringComparer.Ordinal);
    private readonly List<string> _trail = [];

    private Resolver(ObjectNode root, Func<string, string?> environment)
    {
        _root = root;
        _environment = environment;
    }

    /// <summary>Resolves every substitution in <paramref name="root"/>.</summary>
    /// <param name="environment">Looks up an environment variable; null or empty means absent.</param>
    public static ObjectNode Resolve(ObjectNode root, Func<string, string?> environment)
    {
        if (root.IsResolved)
        {
            return root;
        }

        var resolver = new Resolver(root, environment);
        return (ObjectNode)resolver.Full([], Context.Empty)!;
    }

    /// <summary>Raised when a lookup meets the field being resolved: a cycle, or a self-reference with nothing below.</summary>
    private sealed class CycleSignal(string path, IReadOnlyList<string> chain, bool metReplacedField) : Exception
    {
        public string PathText { get; } = path;

        public IReadOnlyList<string> Chain { get; } = chain;

        /// <summary>True when the lookup met the field being resolved (rather than re-entering a resolution).</summary>
        public bool MetReplacedField { get; } = metReplacedField;
    }

    /// <summary>
    /// The replacements of fields in the lookup tree; immutable. Contexts are interned by the resolver, so the
    /// same replacements reached the same way share one <see cref="Id"/>, which keys the memo tables.
    /// </summary>
    private sealed class Context
    {
        public static readonly Context Empty = new(0, ImmutableDictionary<string, Node?>.Empty.WithComparers(StringComparer.Ordinal));

        public Context(int id, ImmutableDictionary<string, Node?> overrides)
        {
            Id = id;
            Overrides = overrides;
        }

        public int Id { get; }

        /// <summary>Field path key → the values it overrides (the rest of its merge stack), or null for none.</summary>
        public ImmutableDictionary<string, Node?> Overrides { get; }
    }

    private readonly Dictionary<(int Parent, string Path, object? Remainder), Context> _contexts = new(new ContextKeyComparer());

    private sealed class ContextKeyComparer : IEqualityComparer<(int Parent, string Path, object? Remainder)>
    {
        public bool Equals((int Parent, string Path, object? Remainder) x, (int Parent, string Path, object? Remainder) y) =>
            x.Parent == y.Parent && x.Path == y.Path && ReferenceEquals(x.Remainder, y.Remainder);

        public int GetHashCode((int Parent, string Path, object? Remainder) obj) =>
            HashCode.Combine(obj.Parent, obj.Path, obj.Remainder is null ? 0 : System.Runtime.CompilerServices.RuntimeHelpers.GetHashCode(obj.Remainder));
    }

    /// <summary>The context with the field at <paramref name="path"/> replaced by <paramref name="remainder"/>.</summary>
    private Context Replace(Context context, string path, Node? remainder)
    {
        if (!_contexts.TryGetValue((context.Id, path, remainder), out var derived))
        {
            derived = new Context(_contexts.Count + 1, context.Overrides.SetItem(path, remainder));
            _contexts[(context.Id, path, remainder)] = derived;
        }

        return derived;
    }

    private sealed class RemainderComparer : IEqualityComparer<(object Stack, int From)>
    {
        public bool Equals((object Stack, int From) x, (object Stack, int From) y) => ReferenceEquals(x.Stack, y.Stack) && x.From == y.From;

        public int GetHashCode((object Stack, int From) obj) => HashCode.Combine(System.Runtime.CompilerServices.RuntimeHelpers.GetHashCode(obj.Stack), obj.From);
    }

    private static string Key(IReadOnlyList<string> path) => string.Join('\u0001', path);

    private static string Display(IReadOnlyList<string> path) => path.Count == 0 ? "(root)" : ConfigPath.Render(path);

    /// <summary>The value at <paramref name="path"/> with every substitution under it resolved; null when absent.</summary>
    private Node? Full(IReadOnlyList<string> path, Context context)
    {
        var memo = "F" + context.Id + "|" + Key(path);
        if (_full.TryGetValue(memo, out var known))
        {
            return known;
        }

        if (!_inProgress.Add(memo))
        {
            throw Cycle(Display(path), metReplacedField: false);
        }

        if (_trail.Count >= MaxDepth || !System.Runtime.CompilerServices.RuntimeHelpers.TryEnsureSufficientExecutionStack())
        {
            _inProgress.Remove(memo);
            throw new ConfigException(
                $"substitutions are nested more than {Math.Min(MaxDepth, _trail.Count)} deep while resolving {Display(path)}; " +
                $"the chain starts {string.Join(" -> ", _trail.Take(5))} ...");
        }

        _trail.Add(Display(path));
        try
        {
            var shallow = Shallow(path, context);
            Node? result = shallow switch
            {
                ObjectNode o when !o.IsResolved => FullObject(o, path, context),
                ArrayNode a when !a.IsResolved => Anonymous(a, context),
                _ => shallow,
            };
            _full[memo] = result;
            return result;
        }
        finally
        {
            _inProgress.Remove(memo);
            _trail.RemoveAt(_trail.Count - 1);
        }
    }

    private ObjectNode FullObject(ObjectNode node, IReadOnlyList<string> path, Context context)
    {
        var fields = new OrderedDictionary<string, Node>(StringComparer.Ordinal);
        foreach (var key in node.Keys)
        {
            if (Full([.. path, key], context) is { } value)
            {
                fields[key] = value;
            }
        }

        return node.With(fields);
    }

    /// <summary>
    /// The value at <paramref name="path"/> with its own substitutions, concatenations and merges resolved, but
    /// the fields of an object left as they are (resolved only when looked up); null when absent.
    /// </summary>
    private Node? Shallow(IReadOnlyList<string> path, Context context)
    {
        var memo = "S" + context.Id + "|" + Key(path);
        if (_shallow.TryGetValue(memo, out var known))
        {
            return known;
        }

        if (!_inProgress.Add(memo))
        {
            throw Cycle(Display(path), metReplacedField: false);
        }

        try
        {
            var raw = RawAt(path, context);
            var result = raw is null ? null : Field(raw, path, context);
            _shallow[memo] = result;
            return result;
        }
        finally
        {
            _inProgress.Remove(memo);
        }
    }

    /// <summary>The unresolved node at a path, honouring the replacements of the context.</summary>
    private Node? RawAt(IReadOnlyList<string> path, Context context)
    {
        if (context.Overrides.TryGetValue(Key(path), out var replaced))
        {
            return replaced ?? throw Cycle(Display(path), metReplacedField: true);
        }

        if (path.Count == 0)
        {
            return _root;
        }

        return Shallow(path.Take(path.Count - 1).ToList(), context) is ObjectNode parent ? parent.Get(path[^1]) : null;
    }

    private CycleSignal Cycle(string path, bool metReplacedField)
    {
        var start = _trail.IndexOf(path);
        var chain = start < 0 ? [path] : _trail.Skip(start).ToList();
        if (chain.Count == 1 || chain[^1] != path)
        {
            chain.Add(path);
        }

        return new CycleSignal(path, chain, metReplacedField);
    }

    private static bool MayReferToItself(Node node) =>
        node is SubstitutionNode || node is ConcatenationNode c && c.HasSubstitution;

    /// <summary>Resolves the value of a field (a merge stack, or one value).</summary>
    private Node? Field(Node raw, IReadOnlyList<string>? path, Context context)
    {
        if (raw is MergeStackNode stack)
        {
            return Stack(stack.Values, path, context);
        }

        if (path is not null && MayReferToItself(raw))
        {
            return Value(raw, Replace(context, Key(path), null));
        }

        return Value(raw, context);
    }

    private Node? Stack(IReadOnlyList<Node> values, IReadOnlyList<string>? path, Context context)
    {
        ObjectNode? merged = null;
        for (var i = 0; i < values.Count; i++)
        {
            var value = values[i];
            var valueContext = context;
            if (path is not null && MayReferToItself(value))
            {
                valueContext = Replace(context, Key(path), Remainder(values, i + 1));
            }

            var resolved = Value(value, valueContext);
            if (resolved is null)
            {
                continue; // an undefined ${?x} leaves the earlier value in place
            }

            if (resolved is ObjectNode obj)
            {
                merged = merged is null ? obj : Merge.Objects(merged, obj);
                continue;
            }

            return merged?.IgnoringFallbacks() ?? resolved; // a non-object hides what is below it; an object above it wins
        }

        return merged;
    }

    private Node? Remainder(IReadOnlyList<Node> values, int from)
    {
        if (from >= values.Count)
        {
            return null;
        }

        if (!_remainders.TryGetValue((values, from), out var node))
        {
            node = from == values.Count - 1 ? values[from] : new MergeStackNode(values.Skip(from).ToList());
            _remainders[(values, from)] = node;
        }

        return node;
    }

    /// <summary>Resolves one value's own substitutions and concatenation; objects and arrays are returned as they are.</summary>
    private Node? Value(Node node, Context context)
    {
        switch (node)
        {
            case SubstitutionNode substitution:
                return Lookup(substitution, context);
            case ConcatenationNode concatenation:
                var parts = new List<Node?>(concatenation.Pieces.Count);
                foreach (var piece in concatenation.Pieces)
                {
                    parts.Add(piece is WhitespaceNode ? piece : Value(piece, context));
                }

                return Concatenation.Combine(parts, concatenation.Origin);
            case MergeStackNode stack:
                return Stack(stack.Values, null, context);
            default:
                return node;
        }
    }

    /// <summary>Fully resolves a value that has no path of its own (an array element, or inside one).</summary>
    private Node? Anonymous(Node node, Context context)
    {
        var resolved = Value(node, context);
        switch (resolved)
        {
            case ObjectNode o when !o.IsResolved:
                var fields = new OrderedDictionary<string, Node>(StringComparer.Ordinal);
                foreach (var (key, value) in o.Fields)
                {
                    if (Anonymous(value, context) is { } v)
                    {
                        fields[key] = v;
                    }
                }

                return o.With(fields);
            case ArrayNode a when !a.IsResolved:
                var items = new List<Node>(a.Items.Count);
                foreach (var item in a.Items)
                {
                    if (Anonymous(item, context) is { } v)
                    {
                        items.Add(v);
                    }
                }

                return new ArrayNode(a.Origin, items);
            default:
                return resolved;
        }
    }

    private Node? Lookup(SubstitutionNode substitution, Context context)
    {
        if (_substitutions.TryGetValue(substitution, out var known))
        {
            return known;
        }

        var result = LookupUncached(substitution, context);
        _substitutions[substitution] = result;
        return result;
    }

    private Node? LookupUncached(SubstitutionNode substitution, Context context)
    {
        CycleSignal? cycle = null;
        var candidates = substitution.IncludePrefix.Count > 0
            ? new[] { substitution.IncludePrefix.Concat(substitution.Path).ToList(), substitution.Path }
            : new[] { substitution.Path };
        foreach (var candidate in candidates)
        {
            try
            {
                if (Full(candidate, context) is { } found)
                {
                    return found;
                }
            }
            catch (CycleSignal signal)
            {
                cycle ??= signal;
            }
        }

        var name = string.Join('.', substitution.Path);
        if (substitution.EnvironmentList)
        {
            var items = new List<Node>();
            for (var i = 0; _environment($"{name}_{i}") is { Length: > 0 } item; i++)
            {
                items.Add(ScalarNode.String(new ConfigOrigin($"environment variable {name}_{i}"), item));
            }

            if (items.Count > 0)
            {
                return new ArrayNode(new ConfigOrigin($"environment variables {name}_0..{name}_{items.Count - 1}"), items);
            }
        }
        else if (_environment(name) is { Length: > 0 } value)
        {
            return ScalarNode.String(new ConfigOrigin($"environment variable {name}"), value);
        }

        if (substitution.Optional)
        {
            return null;
        }

        var path = ConfigPath.Render(substitution.Path);
        if (cycle is not null)
        {
            if (cycle.MetReplacedField && cycle.Chain.Count == 2 && cycle.Chain[0] == cycle.Chain[1])
            {
                throw ConfigException.At(substitution.Origin,
                    $"cannot resolve {substitution}: it refers to {cycle.PathText} itself and {cycle.PathText} has no earlier value to refer to " +
                    $"(a self-reference sees only the values set before it); use ${{?{path}}} if it is optional");
            }

            var hint = cycle.MetReplacedField ? "" : " (a substitution inside an array or object cannot refer to the field holding it)";
            throw ConfigException.At(substitution.Origin,
                $"cannot resolve {substitution}: substitution cycle {string.Join(" -> ", cycle.Chain)}{hint}");
        }

        var environmentName = substitution.EnvironmentList ? name + "_0" : name;
        throw ConfigException.At(substitution.Origin,
            $"cannot resolve {substitution}: there is no setting {path} and no environment variable {environmentName}; " +
            $"write ${{?{path}}} if it is optional");
    }
}
