using Akka.Configuration.Hocon;
using AkkaConfig = Akka.Configuration.Config;
using AkkaConfigurationFactory = Akka.Configuration.ConfigurationFactory;

namespace AkkaRaft.Configuration;

/// <summary>
/// Hands the <c>akka</c> section of the configuration the loader resolved to Akka.NET, so that
/// <c>ActorSystem.Create(name, config)</c> runs with the section that <c>akkaraft config show</c> prints.
/// <para>
/// A user's file never reaches Akka's own HOCON parser: in Akka 1.5 it accepts an unclosed '{', silently drops the
/// rest of a file after a stray '}' or an unset <c>${?VAR}</c>, has no <c>+=</c>, reads <c>include required(...)</c>
/// as a key, and overflows the stack on a substitution cycle or a self-reference (tests/AkkaRaft.Configuration.Tests,
/// AkkaParserFlawTests). So the loader reads, checks and resolves every source, and Akka gets the resolved section
/// as JSON (JSON is HOCON, and a tree without substitutions, includes or concatenations is the part of HOCON that
/// Akka's parser reads right). Every value is handed over as its text (strings quoted, numbers and booleans as
/// written), so Akka's typed getters read <c>10s</c>, <c>infinite</c>, <c>4MiB</c> and <c>on</c> the way Akka
/// defines them. Keys keep their dots, commas and quotes: <c>"Akka.Remote.RemoteActorRefProvider, Akka.Remote"</c>
/// stays one key.
/// </para>
/// <para>
/// Only <c>akka</c> goes over. AkkaRaft's own settings are read once, from the loader's <see cref="Config"/>, into
/// the validated settings records; Akka has no use for them, and some strings AkkaRaft reads exactly Akka cannot
/// hold (see <see cref="ToAkkaConfig"/>).
/// </para>
/// </summary>
public static class AkkaHandover
{
    /// <summary>
    /// Renders the <c>akka</c> section of <paramref name="resolved"/> as JSON, parses it with Akka's
    /// <see cref="AkkaConfigurationFactory.ParseString(string)"/>, and checks that Akka's getters read back every key
    /// and every value the loader resolved (the check walks both trees, so a key that no Akka path expression can
    /// name, such as one holding a quote, is still checked). What Akka cannot hold is refused rather than changed:
    /// Akka's <c>GetString</c> trims the whitespace around every string and reads the string <c>"null"</c> as null.
    /// <para>
    /// A field set to null is left out, so Akka sees no value there and falls back to its own default: null is
    /// HOCON's "no value", while Akka's parser reads a JSON null as a value that its typed getters then fail on (a
    /// <c>GetInt(path, default)</c> throws <see cref="ArgumentNullException"/>). A null inside an array stays.
    /// </para>
    /// </summary>
    /// <param name="resolved">A configuration from <see cref="AkkaRaftConfig.Load"/> or <see cref="ConfigurationFactory"/>.</param>
    /// <returns>Akka's configuration holding the <c>akka</c> section (empty when there is none), with no fallback:
    /// Akka adds its own reference.conf under it when an actor system is created.</returns>
    /// <exception cref="ConfigException"><c>akka</c> is not an object, or Akka's parser did not read the section
    /// back as the loader resolved it; the message names the path, both values and where the value was set.</exception>
    public static AkkaConfig ToAkkaConfig(Config resolved)
    {
        ArgumentNullException.ThrowIfNull(resolved);
        var json = ToJson(resolved);
        AkkaConfig akka;
        try
        {
            akka = AkkaConfigurationFactory.ParseString(json);
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            // The text is JSON the loader wrote, so this is a defect of the hand-over or of Akka's parser, not of the
            // user's file; it is still reported as a configuration error so that a node refuses to start with it.
            throw new ConfigException(
                $"Akka.NET's HOCON parser cannot read the akka section AkkaRaft resolved ({e.GetType().Name}: {e.Message})", null, e);
        }

        Verify(resolved, akka);
        return akka;
    }

    /// <summary>The exact text handed to Akka's parser: <c>{"akka": ...}</c> as JSON, without null fields; <c>{}</c> when there is no akka section.</summary>
    /// <exception cref="ConfigException"><c>akka</c> is set to something other than an object.</exception>
    internal static string ToJson(Config resolved) => Renderer.Json(Handed(resolved), indented: false, omitNullFields: true);

    /// <summary>Checks that <paramref name="akka"/> holds exactly the <c>akka</c> section of <paramref name="resolved"/>, null fields left out.</summary>
    /// <exception cref="ConfigException">A key, a value or an array length differs; the message names the first such path.</exception>
    internal static void Verify(Config resolved, AkkaConfig akka) => Verify(Handed(resolved), akka.Root, []);

    /// <summary>The tree that goes to Akka: the root with only its <c>akka</c> field.</summary>
    private static ObjectNode Handed(Config resolved)
    {
        var fields = new OrderedDictionary<string, Node>(StringComparer.Ordinal);
        switch (resolved.Root.Get(AkkaRaftConfig.AkkaRootPath))
        {
            case null or ScalarNode { Kind: ScalarKind.Null }:
                break;
            case ObjectNode section:
                fields[AkkaRaftConfig.AkkaRootPath] = section;
                break;
            case var other:
                throw new ConfigException(
                    $"{AkkaRaftConfig.AkkaRootPath}: expected an object holding Akka.NET's settings, got {other.Describe()} ({other.Origin})", other.Origin);
        }

        return new ObjectNode(resolved.Root.Origin, fields);
    }

    /// <summary>Checks that Akka's value <paramref name="theirs"/> holds exactly what the loader's <paramref name="ours"/> holds.</summary>
    private static void Verify(Node ours, HoconValue theirs, List<string> path)
    {
        switch (ours)
        {
            case ObjectNode o:
                if (theirs.Values is not [HoconObject theirObject])
                {
                    throw Mismatch(path, ours, "an object", Describe(theirs));
                }

                var expectedCount = 0;
                foreach (var (key, value) in o.Fields)
                {
                    if (value is ScalarNode { Kind: ScalarKind.Null })
                    {
                        continue; // left out on purpose (see ToAkkaConfig)
                    }

                    expectedCount++;
                    path.Add(key);
                    if (!theirObject.Items.TryGetValue(key, out var theirValue))
                    {
                        throw Mismatch(path, value, Describe(value), "no such key");
                    }

                    Verify(value, theirValue, path);
                    path.RemoveAt(path.Count - 1);
                }

                if (theirObject.Items.Count != expectedCount)
                {
                    var extra = theirObject.Items.Keys.First(k => o.Get(k) is null or ScalarNode { Kind: ScalarKind.Null });
                    throw Mismatch(path, ours, "no key " + ConfigPath.Quote(extra), "the key " + ConfigPath.Quote(extra));
                }

                return;
            case ArrayNode a:
                if (theirs.Values is not [HoconArray theirArray])
                {
                    throw Mismatch(path, ours, "an array", Describe(theirs));
                }

                if (theirArray.Count != a.Items.Count)
                {
                    throw Mismatch(path, ours, Elements(a.Items.Count), Elements(theirArray.Count));
                }

                for (var i = 0; i < a.Items.Count; i++)
                {
                    path.Add(i.ToString(System.Globalization.CultureInfo.InvariantCulture));
                    Verify(a.Items[i], theirArray[i], path);
                    path.RemoveAt(path.Count - 1);
                }

                return;
            case ScalarNode s:
                // A null inside an array: Akka holds a literal whose string is null.
                var expected = s.Kind == ScalarKind.Null ? null : s.Text;
                if (theirs.Values is not [HoconLiteral] || theirs.GetString() != expected)
                {
                    throw Mismatch(path, ours, Describe(ours), Describe(theirs));
                }

                return;
            default:
                throw new InvalidOperationException($"cannot hand over {ours.Describe()}: the tree is not resolved");
        }
    }

    private static string Describe(Node node) => node is ScalarNode { Kind: not ScalarKind.Null } s ? ConfigPath.Quote(s.Text) : node.Describe();

    private static string Describe(HoconValue value) => value.Values switch
    {
        [HoconObject] => "an object",
        [HoconArray] => "an array",
        [HoconLiteral] when value.GetString() is null => "null",
        [HoconLiteral] => ConfigPath.Quote(value.GetString()),
        [] => "nothing",
        _ => $"a concatenation of {value.Values.Count} parts",
    };

    private static string Elements(int count) => count == 1 ? "an array of 1 element" : $"an array of {count} elements";

    private static ConfigException Mismatch(List<string> path, Node ours, string expected, string found)
    {
        var where = path.Count == 0 ? "the root" : ConfigPath.Render(path);
        var why = ours switch
        {
            ScalarNode { Kind: ScalarKind.String, Text: "null" } =>
                ": Akka.NET reads the string \"null\" as null; leave the setting out or set it to null to have Akka's default",
            ScalarNode { Kind: ScalarKind.String } s when s.Text.Trim() != s.Text =>
                ": Akka.NET trims the whitespace around every string it reads; remove it",
            _ => "",
        };
        return new ConfigException(
            $"{where}: Akka.NET's HOCON parser read {found} where AkkaRaft resolved {expected} ({ours.Origin}){why}", ours.Origin);
    }
}
