namespace AkkaRaft.Configuration;

/// <summary>
/// Loads the configuration AkkaRaft runs with. Precedence, highest first:
/// <list type="number">
/// <item>overrides: command-line options, given as HOCON paths and values (<c>akkaraft.raft.election-timeout</c> → <c>750ms</c>,
/// <c>akka.loglevel</c> → <c>DEBUG</c>);</item>
/// <item>environment variables: <c>AKKARAFT__RAFT__ELECTION_TIMEOUT=750ms</c> sets <c>akkaraft.raft.election-timeout</c>
/// (a double underscore separates path elements, a single underscore becomes '-', names are lower-cased);</item>
/// <item>the user's file (<c>--file</c>);</item>
/// <item>the embedded reference.conf.</item>
/// </list>
/// The sources are merged as HOCON merges duplicate keys, then resolved together, so a substitution in the
/// user's file may refer to a default, and <c>x = ${x} [...]</c> extends it. Values from the environment and
/// overrides are read as HOCON values (numbers, durations, <c>[a, b]</c>, <c>{...}</c>); text that is not one
/// well-formed value (a URL, a Windows path) is taken verbatim as a string.
/// </summary>
public static class AkkaRaftConfig
{
    /// <summary>The root under which every AkkaRaft setting lives.</summary>
    public const string RootPath = "akkaraft";

    /// <summary>
    /// The root of Akka.NET's own settings, beside <see cref="RootPath"/> in the same file as in any Akka app. The
    /// loader reads and resolves it like the rest and <see cref="AkkaHandover"/> hands it to Akka; its keys are not
    /// checked here (Akka's reference.conf files and its plugins define them, and Akka ignores keys it does not know).
    /// </summary>
    public const string AkkaRootPath = "akka";

    /// <summary>The only roots a configuration may hold; any other root is refused as an unknown setting.</summary>
    public static IReadOnlyList<string> Roots { get; } = [AkkaRootPath, RootPath];

    /// <summary>
    /// The prefix of environment variables that set AkkaRaft settings. There is no such variable for the <c>akka</c>
    /// section: Akka.NET reads none, and a file can take any Akka setting from any variable with <c>${?NAME}</c>.
    /// </summary>
    public const string EnvironmentPrefix = "AKKARAFT__";

    /// <summary>
    /// Loads, merges and resolves the configuration, and rejects unknown settings: roots other than <c>akka</c> and
    /// <c>akkaraft</c>, and settings under <c>akkaraft</c> that reference.conf does not have. Hand the result to
    /// Akka.NET with <see cref="AkkaHandover.ToAkkaConfig"/>.
    /// </summary>
    /// <param name="file">The user's file, or null for none.</param>
    /// <param name="environment">The environment variables: AKKARAFT__* variables set settings, and every
    /// variable is a fallback for substitutions not found in the configuration.</param>
    /// <param name="overrides">Command-line overrides: HOCON path → HOCON value text; may be null.</param>
    /// <exception cref="ConfigException">A source is malformed, a substitution cannot be resolved, or settings are
    /// unknown (every unknown setting is listed, with its origin and a suggestion when one is close).</exception>
    public static Config Load(string? file, IDictionary<string, string?> environment, IReadOnlyDictionary<string, string>? overrides)
    {
        ArgumentNullException.ThrowIfNull(environment);
        var sources = ReadSources(file, environment, overrides);
        var reference = ConfigurationFactory.ReferenceUnresolved;
        var unknown = new List<UnknownSetting>();
        foreach (var source in sources)
        {
            unknown.AddRange(UnknownSettings.Find(reference, source));
        }

        if (unknown.Count > 0)
        {
            throw new ConfigException(UnknownSettings.Describe(unknown), unknown[0].Origin);
        }

        ObjectNode merged = reference;
        foreach (var source in sources.AsEnumerable().Reverse())
        {
            merged = Merge.Objects(source, merged);
        }

        var resolved = Resolver.Resolve(merged, name => environment.TryGetValue(name, out var value) ? value : null);
        return new Config(resolved);
    }

    /// <summary>
    /// Every root other than <c>akka</c> and <c>akkaraft</c>, and every setting under <c>akkaraft</c> that
    /// reference.conf does not have, that the user's file, environment or overrides set; empty when all are known.
    /// <see cref="Load"/> throws when this is not empty.
    /// </summary>
    /// <exception cref="ConfigException">A source is malformed.</exception>
    public static IReadOnlyList<UnknownSetting> FindUnknownSettings(
        string? file, IDictionary<string, string?> environment, IReadOnlyDictionary<string, string>? overrides)
    {
        ArgumentNullException.ThrowIfNull(environment);
        var reference = ConfigurationFactory.ReferenceUnresolved;
        return ReadSources(file, environment, overrides).SelectMany(s => UnknownSettings.Find(reference, s)).ToList();
    }

    /// <summary>The settings that AKKARAFT__* environment variables set, as a configuration tree (unresolved).</summary>
    internal static ObjectNode FromEnvironment(IDictionary<string, string?> environment)
    {
        var root = ObjectNode.Empty(new ConfigOrigin("environment"));
        foreach (var (name, value) in environment.OrderBy(e => e.Key, StringComparer.Ordinal))
        {
            if (!name.StartsWith(EnvironmentPrefix, StringComparison.Ordinal) || value is null)
            {
                continue;
            }

            var origin = new ConfigOrigin($"environment variable {name}");
            var path = EnvironmentVariableToPath(name, origin);
            root = Merge.Objects(At(path, ValueFromText(value, origin)), root);
        }

        return root;
    }

    /// <summary>Maps <c>AKKARAFT__RAFT__ELECTION_TIMEOUT</c> to <c>akkaraft.raft.election-timeout</c>.</summary>
    /// <exception cref="ConfigException">The name has an empty element (three underscores in a row, or a trailing __).</exception>
    public static string EnvironmentVariableToPath(string name) =>
        ConfigPath.Render(EnvironmentVariableToPath(name, new ConfigOrigin($"environment variable {name}")));

    private static IReadOnlyList<string> EnvironmentVariableToPath(string name, ConfigOrigin origin)
    {
        var elements = name.Split("__");
        var path = new List<string>(elements.Length);
        foreach (var element in elements)
        {
            if (element.Length == 0 || element.StartsWith('_') || element.EndsWith('_'))
            {
                throw new ConfigException(
                    $"{origin}: cannot map the name to a setting: expected elements separated by '__', such as AKKARAFT__RAFT__ELECTION_TIMEOUT",
                    origin);
            }

            path.Add(element.ToLowerInvariant().Replace('_', '-'));
        }

        return path;
    }

    internal static ObjectNode FromOverrides(IReadOnlyDictionary<string, string> overrides)
    {
        var root = ObjectNode.Empty(new ConfigOrigin("command line"));
        foreach (var (pathText, value) in overrides)
        {
            IReadOnlyList<string> path;
            try
            {
                path = ConfigPath.Parse(pathText);
            }
            catch (ConfigException e)
            {
                var badPath = new ConfigOrigin($"command-line option {pathText}");
                throw new ConfigException($"{badPath}: '{pathText}' is not a setting path such as akkaraft.node.id ({e.Message})", badPath, e);
            }

            // The origin is printed by config show --origins and in error messages, so it names the option, not its value:
            // a secret stays out of it even under a mistyped path ("certificate-pasword"), which the rule for secrets cannot
            // tell is one. config show prints the value itself, masked when it is a secret.
            var origin = new ConfigOrigin($"command-line option {pathText}");
            root = Merge.Objects(At(path, ValueFromText(value, origin)), root);
        }

        return root;
    }

    /// <summary>Reads text as one HOCON value, or as a verbatim string when it is not exactly one value.</summary>
    internal static Node ValueFromText(string text, ConfigOrigin origin) =>
        Parser.TryParseSingleValue(text, origin.Source) ?? ScalarNode.String(origin, text);

    private static ObjectNode At(IReadOnlyList<string> path, Node value)
    {
        for (var i = path.Count - 1; i >= 0; i--)
        {
            var fields = new OrderedDictionary<string, Node>(StringComparer.Ordinal) { [path[i]] = value };
            value = new ObjectNode(value.Origin, fields);
        }

        return (ObjectNode)value;
    }

    /// <summary>The user's sources, highest priority first: overrides, environment, file.</summary>
    private static List<ObjectNode> ReadSources(string? file, IDictionary<string, string?> environment, IReadOnlyDictionary<string, string>? overrides)
    {
        var sources = new List<ObjectNode>();
        if (overrides is { Count: > 0 })
        {
            sources.Add(FromOverrides(overrides));
        }

        sources.Add(FromEnvironment(environment));
        if (file is not null)
        {
            sources.Add(ConfigurationFactory.ParseFileTree(file));
        }

        return sources;
    }
}
