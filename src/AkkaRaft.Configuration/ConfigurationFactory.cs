namespace AkkaRaft.Configuration;

/// <summary>Parses HOCON text and files into resolved <see cref="Config"/> trees.</summary>
public static class ConfigurationFactory
{
    /// <summary>The name of AkkaRaft's reference configuration, embedded in this assembly.</summary>
    public const string ReferenceResourceName = "reference.conf";

    private static readonly Lazy<ObjectNode> ReferenceTree = new(() => ParseResource(ReferenceResourceName));
    private static readonly Lazy<Config> ReferenceConfig = new(() => new Config(Resolver.Resolve(ReferenceTree.Value, ProcessEnvironment)));

    /// <summary>The configuration with no settings.</summary>
    public static Config Empty => Config.Empty;

    /// <summary>
    /// Parses and resolves HOCON text. Substitutions are resolved within the text, falling back to the process's
    /// environment variables; relative includes are taken from the current directory (the text has no file).
    /// </summary>
    /// <param name="originName">How error messages and origins name the text (default "string").</param>
    /// <exception cref="ConfigException">The text is malformed or a substitution cannot be resolved.</exception>
    public static Config ParseString(string text, string? originName = null)
    {
        ArgumentNullException.ThrowIfNull(text);
        var source = originName ?? "string";
        var tree = Parser.ParseDocument(text, source, Includer.ForText(source), []);
        return new Config(Resolver.Resolve(tree, ProcessEnvironment));
    }

    /// <summary>
    /// Parses and resolves a HOCON (or JSON) file; relative includes are taken from the file's directory.
    /// </summary>
    /// <exception cref="ConfigException">The file cannot be read, is malformed, or a substitution cannot be resolved.</exception>
    public static Config ParseFile(string path)
    {
        var tree = ParseFileTree(path);
        return new Config(Resolver.Resolve(tree, ProcessEnvironment));
    }

    /// <summary>AkkaRaft's reference configuration (hocon/reference.conf, embedded): every setting and its default.</summary>
    public static Config Default() => ReferenceConfig.Value;

    /// <summary>The unresolved tree of the embedded reference configuration.</summary>
    internal static ObjectNode ReferenceUnresolved => ReferenceTree.Value;

    internal static string? ProcessEnvironment(string name) => Environment.GetEnvironmentVariable(name);

    /// <summary>Parses a file without resolving it, so that it can be merged with other sources first.</summary>
    internal static ObjectNode ParseFileTree(string path)
    {
        ArgumentNullException.ThrowIfNull(path);
        string text;
        try
        {
            text = File.ReadAllText(path);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or NotSupportedException or ArgumentException)
        {
            var reason = e is FileNotFoundException or DirectoryNotFoundException ? "no such file" : e.Message;
            throw new ConfigException($"{path}: cannot read the configuration file: {reason}", new ConfigOrigin(path), e);
        }

        return Parser.ParseDocument(text, path, Includer.ForFile(path), []);
    }

    private static ObjectNode ParseResource(string name)
    {
        var text = Includer.ReadResource(name)
            ?? throw new ConfigException($"the embedded resource {name} is missing from {typeof(ConfigurationFactory).Assembly.GetName().Name}");
        return Parser.ParseDocument(text, name, Includer.ForResource(name), []);
    }
}
