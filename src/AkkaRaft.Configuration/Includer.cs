
namespace AkkaRaft.Configuration;

/// <summary>
/// Finds and parses included documents (HOCON.md, "Includes"). Relative names are taken relative to the
/// directory of the including file (never the working directory, except for text that has no file), and inside
/// an embedded resource they name other embedded resources; a name
/// without extension loads NAME.json then NAME.conf; a missing file is ignored unless the include is
/// <c>required(...)</c>; <c>classpath(...)</c> reads a resource embedded in this assembly (such as
/// <c>reference.conf</c>); <c>url(...)</c> accepts only <c>file:</c> URLs.
/// </summary>
internal sealed class Includer
{
    /// <summary>The deepest chain of nested includes accepted before reporting an error.</summary>
    public const int MaxDepth = 50;

    private readonly string? _directory;
    private readonly IReadOnlyList<string> _chain;
    private readonly bool _inResource;

    private Includer(string? directory, IReadOnlyList<string> chain, bool inResource = false)
    {
        _directory = directory;
        _chain = chain;
        _inResource = inResource;
    }

    /// <summary>For a document read from a file: includes are relative to the file's directory.</summary>
    public static Includer ForFile(string file) =>
        new(Path.GetDirectoryName(Path.GetFullPath(file)), [Path.GetFullPath(file)]);

    /// <summary>For text with no file: relative includes are taken relative to the current directory.</summary>
    public static Includer ForText(string source) => new(null, [source]);

    /// <summary>For an embedded resource: relative includes name other embedded resources.</summary>
    public static Includer ForResource(string name) => new(null, ["resource:" + name], inResource: true);

    /// <summary>Reads an embedded resource of this assembly, or null when there is none by that name.</summary>
    public static string? ReadResource(string name)
    {
        using var stream = typeof(Includer).Assembly.GetManifestResourceStream(name.TrimStart('/'));
        if (stream is null)
        {
            return null;
        }

        using var reader = new StreamReader(stream);
        return reader.ReadToEnd();
    }

    public ObjectNode Include(IncludeTarget target, IReadOnlyList<string> prefix)
    {
        if (_chain.Count >= MaxDepth)
        {
            throw ConfigException.At(target.Origin, $"includes are nested more than {MaxDepth} deep: {string.Join(" -> ", _chain)}");
        }

        var name = target.Name;
        var kind = target.Kind;
        if (kind is IncludeKind.Url or IncludeKind.Heuristic && Uri.TryCreate(name, UriKind.Absolute, out var uri) && uri.Scheme.Length > 1)
        {
            if (!uri.IsFile)
            {
                throw ConfigException.At(target.Origin, $"cannot include '{name}': only files and embedded resources can be included, not {uri.Scheme}: URLs");
            }

            name = uri.LocalPath;
            kind = IncludeKind.File;
        }
        else if (kind == IncludeKind.Url)
        {
            throw ConfigException.At(target.Origin, $"url(\"{name}\") is not a URL; expected a file: URL, or use file(\"...\")");
        }

        var loaded = new List<ObjectNode>();
        var looked = new List<string>();
        if (kind == IncludeKind.Classpath || (kind == IncludeKind.Heuristic && _inResource))
        {
            LoadResource(name, target, prefix, loaded, looked);
        }
        else
        {
            LoadFile(name, target, prefix, loaded, looked);
            if (loaded.Count == 0 && kind == IncludeKind.Heuristic)
            {
                LoadResource(name, target, prefix, loaded, looked); // HOCON.md: a missing file falls back to a resource
            }
        }

        if (loaded.Count == 0)
        {
            if (target.Required)
            {
                throw ConfigException.At(target.Origin, $"required include '{target.Name}' was not found (looked for {string.Join(", ", looked)})");
            }

            return ObjectNode.Empty(target.Origin);
        }

        var result = loaded[0];
        for (var i = 1; i < loaded.Count; i++)
        {
            result = (ObjectNode)Merge.Values(loaded[i], result);
        }

        return result;
    }

    private void LoadFile(string name, IncludeTarget target, IReadOnlyList<string> prefix, List<ObjectNode> loaded, List<string> looked)
    {
        var path = Path.IsPathRooted(name) ? name : Path.Combine(_directory ?? Directory.GetCurrentDirectory(), name);
        var candidates = File.Exists(path) || Path.HasExtension(name) ? [path] : new[] { path + ".json", path + ".conf" };
        foreach (var candidate in candidates)
        {
            looked.Add(candidate);
            if (!File.Exists(candidate))
            {
                continue;
            }

            var full = Path.GetFullPath(candidate);
            CheckCycle(full, target);
            string text;
            try
            {
                text = File.ReadAllText(candidate);
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                throw new ConfigException($"{target.Origin}: cannot read included file {candidate}: {e.Message}", target.Origin, e);
            }

            var nested = new Includer(Path.GetDirectoryName(full), [.. _chain, full]);
            loaded.Add(Parser.ParseDocument(text, candidate, nested, prefix));
        }
    }

    private void LoadResource(string name, IncludeTarget target, IReadOnlyList<string> prefix, List<ObjectNode> loaded, List<string> looked)
    {
        var resource = name.TrimStart('/');
        var candidates = Path.HasExtension(resource) ? [resource] : new[] { resource + ".json", resource + ".conf" };
        foreach (var candidate in candidates)
        {
            looked.Add("embedded resource " + candidate);
            var text = ReadResource(candidate);
            if (text is null)
            {
                continue;
            }

            CheckCycle("resource:" + candidate, target);
            var nested = new Includer(null, [.. _chain, "resource:" + candidate], inResource: true);
            loaded.Add(Parser.ParseDocument(text, candidate, nested, prefix));
        }
    }

    private void CheckCycle(string id, IncludeTarget target)
    {
        if (_chain.Contains(id))
        {
            throw ConfigException.At(target.Origin, $"include cycle: {string.Join(" -> ", _chain.SkipWhile(c => c != id))} -> {id}");
        }
    }
}
