using System.Text;

namespace AkkaRaft.Configuration;

/// <summary>A setting under <c>akkaraft</c> that reference.conf does not have.</summary>
/// <param name="Path">The full path, as in <c>akkaraft.raft.electon-timeout</c>.</param>
/// <param name="Origin">Where it was set.</param>
/// <param name="Suggestion">A known key or path that is close, or null.</param>
public sealed record UnknownSetting(string Path, ConfigOrigin Origin, string? Suggestion)
{
    /// <summary>One line: the path, where it was set, and the suggestion.</summary>
    public override string ToString() =>
        $"{Path} ({Origin})" + (Suggestion is null ? "" : $": did you mean {Suggestion}?");
}

/// <summary>Finds the settings a user source sets under <c>akkaraft</c> that reference.conf does not define.</summary>
internal static class UnknownSettings
{
    public static IReadOnlyList<UnknownSetting> Find(ObjectNode reference, ObjectNode source, IReadOnlyList<string> freeFormPaths)
    {
        var found = new List<UnknownSetting>();
        if (source.Get(AkkaRaftConfig.RootPath) is not { } userRoot)
        {
            return found;
        }

        var knownPaths = new List<List<string>>();
        CollectPaths(reference.Get(AkkaRaftConfig.RootPath), [AkkaRaftConfig.RootPath], knownPaths);
        var freeForm = freeFormPaths.Select(ConfigPath.Parse).ToList();
        Walk(userRoot, reference.Get(AkkaRaftConfig.RootPath), [AkkaRaftConfig.RootPath]);
        return found;

        void Walk(Node user, Node? known, List<string> path)
        {
            if (freeForm.Any(f => f.Count <= path.Count && f.SequenceEqual(path.Take(f.Count))))
            {
                return;
            }

            var knownObject = AsObject(known);
            foreach (var userObject in Objects(user))
            {
                foreach (var (key, value) in userObject.Fields)
                {
                    List<string> childPath = [.. path, key];
                    var knownChild = knownObject?.Get(key);
                    if (knownChild is null && !freeForm.Any(f => f.Count <= childPath.Count && f.SequenceEqual(childPath.Take(f.Count))))
                    {
                        found.Add(new UnknownSetting(ConfigPath.Render(childPath), userObject.KeyOrigin(key),
                            Suggest(key, knownObject, knownPaths)));
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
        sb.Append(" under akkaraft (reference.conf lists every setting):");
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

    private static string? Suggest(string key, ObjectNode? siblings, List<List<string>> knownPaths)
    {
        if (siblings is not null)
        {
            var best = siblings.Keys
                .Select(k => (Key: k, Distance: Distance(key, k)))
                .Where(c => c.Distance <= Math.Max(1, Math.Min(3, key.Length / 3)))
                .OrderBy(c => c.Distance)
                .FirstOrDefault();
            if (best.Key is not null)
            {
                return best.Key;
            }
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
