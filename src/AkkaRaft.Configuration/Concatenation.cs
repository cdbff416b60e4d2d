using System.Text;

namespace AkkaRaft.Configuration;

/// <summary>Value concatenation (HOCON.md, "Value concatenation") of parts that hold no substitution.</summary>
internal static class Concatenation
{
    /// <summary>
    /// Combines parts: simple values (and the whitespace between them) into a string, arrays into one array,
    /// objects into one merged object (later parts win). Null parts are undefined optional substitutions: they
    /// count as empty, and when every part is undefined the result is undefined (null).
    /// </summary>
    public static Node? Combine(IReadOnlyList<Node?> parts, ConfigOrigin origin)
    {
        var defined = new List<Node>();
        var sawValue = false;
        foreach (var part in parts)
        {
            if (part is WhitespaceNode)
            {
                defined.Add(part);
            }
            else if (part is not null)
            {
                defined.Add(part);
                sawValue = true;
            }
        }

        if (!sawValue)
        {
            return null;
        }

        while (defined[0] is WhitespaceNode)
        {
            defined.RemoveAt(0);
        }

        while (defined[^1] is WhitespaceNode)
        {
            defined.RemoveAt(defined.Count - 1);
        }

        if (defined.Count == 1)
        {
            return defined[0];
        }

        var values = defined.Where(p => p is not WhitespaceNode).ToList();
        var hasObject = values.Any(v => v is ObjectNode);
        var hasArray = values.Any(v => v is ArrayNode);
        if (!hasObject && !hasArray)
        {
            var text = new StringBuilder();
            foreach (var part in defined)
            {
                text.Append(part is WhitespaceNode w ? w.Text : ((ScalarNode)part).Text);
            }

            return ScalarNode.String(defined[0].Origin, text.ToString());
        }

        var scalar = values.FirstOrDefault(v => v is ScalarNode);
        if (scalar is not null)
        {
            var container = values.First(v => v is not ScalarNode);
            throw ConfigException.At(origin,
                $"cannot concatenate {scalar.Describe()}{From(scalar, origin)} with {container.Describe()}{From(container, origin)}; " +
                "only strings concatenate with strings, arrays with arrays and objects with objects");
        }

        if (hasArray && hasObject)
        {
            // HOCON.md: an object with numeric keys counts as an array where an array is expected.
            var converted = values.Select(v => v is ObjectNode o ? NumericObjectAsArray(o) ?? (Node)o : v).ToList();
            if (converted.Any(v => v is ObjectNode))
            {
                var obj = converted.First(v => v is ObjectNode);
                throw ConfigException.At(origin, $"cannot concatenate an array with an object{From(obj, origin)}");
            }

            values = converted;
            hasObject = false;
        }

        if (hasArray)
        {
            var items = new List<Node>();
            foreach (var array in values.Cast<ArrayNode>())
            {
                items.AddRange(array.Items);
            }

            return new ArrayNode(values[0].Origin, items);
        }

        Node merged = values[0];
        for (var i = 1; i < values.Count; i++)
        {
            merged = Merge.Values(values[i], merged);
        }

        return merged;
    }

    /// <summary>Names where a part came from when that is not the line of the concatenation itself.</summary>
    private static string From(Node part, ConfigOrigin concatenation) =>
        part.Origin.Source == concatenation.Source && part.Origin.Line == concatenation.Line ? "" : $" (from {part.Origin})";

    /// <summary>HOCON.md, "Conversion of numerically-indexed objects to arrays"; null when it does not apply.</summary>
    public static ArrayNode? NumericObjectAsArray(ObjectNode node)
    {
        var indexed = new List<(long Index, Node Value)>();
        foreach (var (key, value) in node.Fields)
        {
            if (long.TryParse(key, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var index))
            {
                indexed.Add((index, value));
            }
        }

        if (indexed.Count == 0)
        {
            return null;
        }

        return new ArrayNode(node.Origin, indexed.OrderBy(i => i.Index).Select(i => i.Value).ToList());
    }
}
