using System.Text;

namespace AkkaRaft.Configuration;

/// <summary>Renders a resolved tree as JSON or as HOCON.</summary>
internal static class Renderer
{
    /// <param name="omitNullFields">Leave out object fields whose value is null (HOCON's "no value"); nulls inside
    /// arrays stay, since leaving them out would move the elements after them.</param>
    public static string Json(Node node, bool indented, bool omitNullFields = false)
    {
        var sb = new StringBuilder();
        WriteJson(sb, node, indented, omitNullFields, 0);
        if (indented)
        {
            sb.Append('\n');
        }

        return sb.ToString();
    }

    private static void NewLine(StringBuilder sb, bool indented, int depth)
    {
        if (indented)
        {
            sb.Append('\n').Append(' ', depth * 2);
        }
    }

    private static void WriteJson(StringBuilder sb, Node node, bool indented, bool omitNullFields, int depth)
    {
        switch (node)
        {
            case ObjectNode o:
                if (o.Count == 0)
                {
                    sb.Append("{}");
                    return;
                }

                sb.Append('{');
                var firstField = true;
                foreach (var (key, value) in o.Fields)
                {
                    if (omitNullFields && value is ScalarNode { Kind: ScalarKind.Null })
                    {
                        continue;
                    }

                    if (!firstField)
                    {
                        sb.Append(',');
                    }

                    firstField = false;
                    NewLine(sb, indented, depth + 1);
                    sb.Append(ConfigPath.Quote(key)).Append(indented ? ": " : ":");
                    WriteJson(sb, value, indented, omitNullFields, depth + 1);
                }

                NewLine(sb, indented, depth);
                sb.Append('}');
                return;
            case ArrayNode a:
                if (a.Items.Count == 0)
                {
                    sb.Append("[]");
                    return;
                }

                sb.Append('[');
                for (var i = 0; i < a.Items.Count; i++)
                {
                    if (i > 0)
                    {
                        sb.Append(',');
                    }

                    NewLine(sb, indented, depth + 1);
                    WriteJson(sb, a.Items[i], indented, omitNullFields, depth + 1);
                }

                NewLine(sb, indented, depth);
                sb.Append(']');
                return;
            case ScalarNode s:
                sb.Append(s.Kind == ScalarKind.String ? ConfigPath.Quote(s.Text) : s.Text);
                return;
            default:
                throw new InvalidOperationException($"cannot render {node.Describe()}: the tree is not resolved");
        }
    }

    public static string Hocon(ObjectNode root, bool withOrigins)
    {
        var sb = new StringBuilder();
        WriteFields(sb, root, withOrigins, 0);
        return sb.ToString();
    }

    private static void WriteFields(StringBuilder sb, ObjectNode node, bool withOrigins, int depth)
    {
        foreach (var (key, value) in node.Fields)
        {
            var indent = new string(' ', depth * 2);
            if (withOrigins && value is not ObjectNode)
            {
                sb.Append(indent).Append("# ").Append(value.Origin.ToString().Replace('\n', ' ')).Append('\n');
            }

            sb.Append(indent).Append(ConfigPath.QuoteIfNeeded(key, forPath: false));
            if (value is ObjectNode child)
            {
                if (child.Count == 0)
                {
                    sb.Append(" {}\n");
                    continue;
                }

                sb.Append(" {\n");
                WriteFields(sb, child, withOrigins, depth + 1);
                sb.Append(indent).Append("}\n");
                continue;
            }

            sb.Append(" = ");
            WriteValue(sb, value, depth);
            sb.Append('\n');
        }
    }

    private static void WriteValue(StringBuilder sb, Node value, int depth)
    {
        switch (value)
        {
            case ScalarNode { Kind: ScalarKind.String } s:
                sb.Append(ConfigPath.QuoteIfNeeded(s.Text, forPath: false));
                return;
            case ScalarNode s:
                sb.Append(s.Text);
                return;
            case ArrayNode a when a.Items.All(i => i is ScalarNode):
                sb.Append('[');
                for (var i = 0; i < a.Items.Count; i++)
                {
                    sb.Append(i == 0 ? "" : ", ");
                    WriteValue(sb, a.Items[i], depth);
                }

                sb.Append(']');
                return;
            case ArrayNode a:
                sb.Append("[\n");
                foreach (var item in a.Items)
                {
                    sb.Append(' ', (depth + 1) * 2);
                    WriteValue(sb, item, depth + 1);
                    sb.Append('\n');
                }

                sb.Append(' ', depth * 2).Append(']');
                return;
            case ObjectNode o:
                if (o.Count == 0)
                {
                    sb.Append("{}");
                    return;
                }

                sb.Append("{\n");
                WriteFields(sb, o, withOrigins: false, depth + 1);
                sb.Append(' ', depth * 2).Append('}');
                return;
            default:
                throw new InvalidOperationException($"cannot render {value.Describe()}: the tree is not resolved");
        }
    }
}
