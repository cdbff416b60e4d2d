using System.Text;
using System.Text.Json.Nodes;

namespace AkkaRaft.Configuration.Tests;

/// <summary>
/// Seeded random trees written in randomly chosen HOCON styles (braces or not, ':' '=' or nothing before '{',
/// commas or newlines, path keys, quoted or unquoted strings, triple quotes, comments) must parse to the tree
/// itself. A failure prints the seed and the text.
/// </summary>
public class RandomEquivalenceTests
{
    private static readonly string[] Keys = ["a", "b-c", "x_y", "include", "a.b", "", "true", "1", "with space", "été", "k9", "null"];

    public static TheoryData<int> Seeds => new(Enumerable.Range(1, 60));

    [Theory]
    [MemberData(nameof(Seeds))]
    public void A_random_tree_written_in_random_styles_should_parse_to_itself(int seed)
    {
        var random = new Random(seed);
        var tree = RandomObject(random, depth: 0);
        var expected = Hocon.Canonical(tree.ToJsonString());
        for (var style = 0; style < 5; style++)
        {
            var text = new Writer(random).Document(tree);
            string actual;
            try
            {
                actual = Hocon.Canonical(ConfigurationFactory.ParseString(text, "random.conf").ToJson());
            }
            catch (ConfigException e)
            {
                throw new Xunit.Sdk.XunitException($"seed {seed}, style {style}: {e.Message}\n--- text ---\n{text}");
            }

            Assert.True(expected == actual, $"seed {seed}, style {style}\n--- text ---\n{text}\n--- expected ---\n{expected}\n--- actual ---\n{actual}");
        }
    }

    private static JsonObject RandomObject(Random random, int depth)
    {
        var obj = new JsonObject();
        var count = random.Next(depth == 0 ? 1 : 0, 5);
        foreach (var key in Keys.OrderBy(_ => random.Next()).Take(count))
        {
            obj[key] = RandomValue(random, depth + 1);
        }

        return obj;
    }

    private static JsonNode? RandomValue(Random random, int depth)
    {
        var kind = random.Next(depth > 3 ? 6 : 8);
        return kind switch
        {
            0 => JsonValue.Create(random.Next(-1000, 1000)),
            1 => JsonNode.Parse(random.Next(3) switch { 0 => "1.5", 1 => "-2e3", _ => "0.25" }),
            2 => JsonValue.Create(random.Next(2) == 0),
            3 => null,
            4 => JsonValue.Create(RandomString(random)),
            5 => JsonValue.Create(RandomString(random)),
            6 => new JsonArray(Enumerable.Range(0, random.Next(0, 4)).Select(_ => RandomValue(random, depth + 1)).ToArray()),
            _ => RandomObject(random, depth),
        };
    }

    private static string RandomString(Random random) => random.Next(8) switch
    {
        0 => "",
        1 => "plain",
        2 => "two words",
        3 => "quote \" and \\ backslash",
        4 => "line\nbreak",
        5 => "500ms",
        6 => "été ✓ {}[]:=,#//",
        _ => "kebab-case_id.v2",
    };

    private sealed class Writer(Random random)
    {
        private readonly StringBuilder _sb = new();

        public string Document(JsonObject root)
        {
            if (random.Next(2) == 0)
            {
                Fields(root, 0);
            }
            else
            {
                Object(root, 0);
            }

            return _sb.ToString();
        }

        private void Object(JsonObject obj, int depth)
        {
            _sb.Append('{');
            if (obj.Count > 0)
            {
                _sb.Append(random.Next(2) == 0 ? "\n" : " ");
                Fields(obj, depth + 1);
            }

            _sb.Append('}');
        }

        private void Fields(JsonObject obj, int depth)
        {
            var i = 0;
            foreach (var (key, value) in obj)
            {
                Field(key, value, depth, first: true);
                i++;
                var last = i == obj.Count;
                switch (random.Next(5))
                {
                    case 0:
                        _sb.Append(last ? "\n" : ",");
                        if (!last)
                        {
                            _sb.Append(' ');
                        }

                        break;
                    case 1:
                        _sb.Append(",\n");
                        break;
                    case 2:
                        _sb.Append(" # note\n");
                        break;
                    case 3:
                        _sb.Append("\n\n");
                        break;
                    default:
                        _sb.Append('\n');
                        break;
                }
            }
        }

        private void Field(string key, JsonNode? value, int depth, bool first)
        {
            _sb.Append(new string(' ', depth * 2));
            _sb.Append(Key(key, first));
            // A path key: "a.b = 1" for "a { b = 1 }" when the object has exactly one field.
            while (value is JsonObject { Count: 1 } only && random.Next(2) == 0)
            {
                var (childKey, childValue) = only.First();
                _sb.Append('.').Append(Key(childKey, first: false));
                value = childValue;
            }

            if (value is JsonObject nested)
            {
                _sb.Append(random.Next(3) switch { 0 => " ", 1 => " = ", _ => ": " });
                Object(nested, depth);
                return;
            }

            _sb.Append(random.Next(2) == 0 ? " = " : ": ");
            Value(value, depth);
        }

        private string Key(string key, bool first)
        {
            var plain = key.Length > 0 && key.All(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '_') && char.IsAsciiLetter(key[0])
                && !(first && key == "include");
            return plain && random.Next(3) > 0 ? key : Quote(key);
        }

        private void Value(JsonNode? value, int depth)
        {
            switch (value)
            {
                case null:
                    _sb.Append("null");
                    break;
                case JsonArray array:
                    _sb.Append('[');
                    var multiline = random.Next(2) == 0;
                    for (var i = 0; i < array.Count; i++)
                    {
                        if (i > 0)
                        {
                            _sb.Append(multiline ? (random.Next(2) == 0 ? "\n" : ",\n") : ", ");
                        }

                        Value(array[i], depth + 1);
                    }

                    if (array.Count > 0 && random.Next(3) == 0)
                    {
                        _sb.Append(',');
                    }

                    _sb.Append(']');
                    break;
                case JsonObject obj:
                    Object(obj, depth);
                    break;
                default:
                    var element = value.AsValue();
                    if (element.TryGetValue<string>(out var s))
                    {
                        String(s);
                    }
                    else
                    {
                        _sb.Append(value.ToJsonString());
                    }

                    break;
            }
        }

        private void String(string s)
        {
            var unquotedSafe = s.Length > 0 && char.IsAsciiLetter(s[0]) && !s.StartsWith("true") && !s.StartsWith("false")
                && !s.StartsWith("null") && !s.StartsWith("include")
                && s.All(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '_' or '.' or ' ') && !s.EndsWith(' ');
            var choice = random.Next(3);
            if (unquotedSafe && choice == 0)
            {
                _sb.Append(s);
            }
            else if (choice == 1 && !s.Contains('"'))
            {
                _sb.Append("\"\"\"").Append(s).Append("\"\"\"");
            }
            else
            {
                _sb.Append(Quote(s));
            }
        }

        private static string Quote(string s) => System.Text.Json.JsonSerializer.Serialize(s,
            new System.Text.Json.JsonSerializerOptions { Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping });
    }
}
