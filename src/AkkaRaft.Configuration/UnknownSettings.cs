using System.Text;

namespace AkkaRaft.Configuration;

/// <summary>A setting under <c>akkaraft</c> that reference.conf does not have, or a root other than <c>akka</c> and <c>akkaraft</c>.</summary>
/// <param name="Path">The full path, as in <c>akkaraft.raft.electon-timeout</c>, or the unknown root, as in <c>akkraft</c>.</param>
/// <param name="Origin">Where it was set.</param>
/// <param name="Suggestion">A known key or path that is close, or null.</param>
public sealed record UnknownSetting(string Path, ConfigOrigin Origin, string? Suggestion)
{
    /// <summary>One line: the path, where it was set, and the suggestion.</summary>
    public override string ToString() =>
        $"{Path} ({Origin})" + (Suggestion is null ? "" : $": did you mean {Suggestion}?");
}

/// <summary>
/// Finds what a user source sets that AkkaRaft does not know: a root other than <c>akka</c> and <c>akkaraft</c> (a typo
/// such as <c>akkraft</c> would otherwise be silently ignored), or a setting under <c>akkaraft</c> that reference.conf
/// does not define. Keys under <c>akka</c> are Akka.NET's and its plugins' (serializers, journals, dispatchers are
/// named by the user), so they are not checked here.
/// </summary>
internal static class UnknownSettings
{
    public static IReadOnlyList<UnknownSetting> Find(ObjectNode reference, ObjectNode source)
    {
        var found = new List<UnknownSetting>();
        var knownPaths = new List<List<string>>();
        var knownRoot = reference.Get(AkkaRaftConfig.RootPath);
        CollectPaths(knownRoot, [AkkaRaftConfig.RootPath], knownPaths);
        foreach (var (key, value) in source.Fields)
        {
            switch (key)
            {
                case AkkaRaftConfig.AkkaRootPath:
                    continue;
                case AkkaRaftConfig.RootPath:
                    Walk(value, knownRoot, [AkkaRaftConfig.RootPath]);
                    continue;
                default:
                    found.Add(new UnknownSetting(key, source.KeyOrigin(key), Suggest(key, AkkaRaftConfig.Roots, knownPaths)));
                    continue;
            }
        }

        return found;

        void Walk(Node user, Node? known, List<string> path)
        {
            var knownObject = AsObject(known);
            foreach (var userObject in Objects(user))
            {
                foreach (var (key, value) in userObject.Fields)
                {
                    List<string> childPath = [.. path, key];
                    var knownChild = knownObject?.Get(key);
                    if (knownChild is null)
                    {
                        found.Add(new UnknownSetting(ConfigPath.Render(childPath), userObject.KeyOrigin(key),
                            Suggest(key, knownObject?.Keys ?? [], knownPaths)));
                        continue;
                    }

                    Walk(value, knownChild, childPath);
                }
            }
        }
    }

    public static string Describe(IReadOnlyList<UnknownSetting> unknown)
    {
        var sb = new StringBuilder();
        sb.Append(unknown.Count == 1 ? "unknown setting" : $"{unknown.Count} unknown settings");
        var prefix = AkkaRaftConfig.RootPath + ".";
        sb.Append(unknown.All(u => u.Path.StartsWith(prefix, StringComparison.Ordinal))
            ? " under akkaraft (reference.conf lists every setting):"
            : $" (a configuration holds {AkkaRaftConfig.AkkaRootPath} {{ }}, Akka.NET's settings, and {AkkaRaftConfig.RootPath} {{ }}, whose settings reference.conf lists):");
        foreach (var setting in unknown)
        {
            sb.Append("\n  ").Append(setting);
        }

        return sb.ToString();
    }

    private static ObjectNode? AsObject(Node? node) => node switch
    {
        ObjectNode o => o,
        MergeStackNode s => s.Values.OfType<ObjectNode>().FirstOrDefault(),
        _ => null,
    };

    private static IEnumerable<ObjectNode> Objects(Node node) => node switch
    {
        ObjectNode o => [o],
        MergeStackNode s => s.Values.OfType<ObjectNode>(),
        _ => [],
    };

    private static void CollectPaths(Node? node, List<string> path, List<List<string>> into)
    {
        if (AsObject(node) is not { } obj)
        {
            return;
        }

        foreach (var (key, value) in obj.Fields)
        {
            List<string> child = [.. path, key];
            into.Add(child);
            CollectPaths(value, child, into);
        }
    }

    /// <summary>The nearest of <paramref name="siblings"/>, else the full path of a known key of the same name elsewhere.</summary>
    private static string? Suggest(string key, IEnumerable<string> siblings, List<List<string>> knownPaths)
    {
        var best = siblings
            .Select(k => (Key: k, Distance: Distance(key, k)))
            .Where(c => c.Distance <= Math.Max(1, Math.Min(3, key.Length / 3)))
            .OrderBy(c => c.Distance)
            .FirstOrDefault();
        if (best.Key is not null)
        {
            return best.Key;
        }

        var elsewhere = knownPaths.FirstOrDefault(p => p[^1] == key);
        return elsewhere is null ? null : ConfigPath.Render(elsewhere);
    }

    /// <summary>Levenshtein distance.</summary>
    private static int Distance(string a, string b)
    {
        var previous = new int[b.Length + 1];
        var current = new int[b.Length + 1];
        for (var j = 0; j <= b.Length; j++)
        {
            previous[j] = j;
        }

        for (var i = 1; i <= a.Length; i++)
        {
            current[0] = i;
            for (var j = 1; j <= b.Length; j++)
            {
                var cost = a[i - 1] == b[j - 1] ? 0 : 1;
                current[j] = Math.Min(Math.Min(current[j - 1] + 1, previous[j] + 1), previous[j - 1] + cost);
            }

            (previous, current) = (current, previous);
        }

        return previous[b.Length];
    }
}
