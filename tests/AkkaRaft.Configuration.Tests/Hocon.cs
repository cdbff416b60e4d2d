using System.Text.Json;
using System.Text.Json.Nodes;

namespace AkkaRaft.Configuration.Tests;

/// <summary>Helpers shared by the tests.</summary>
internal static class Hocon
{
    public static Config Parse(string text) => ConfigurationFactory.ParseString(text, "test.conf");

    /// <summary>The resolved JSON of a document, with object keys sorted, so that field order does not matter.</summary>
    public static string CanonicalJson(string hocon) => Canonical(Parse(hocon).ToJson());

    public static string Canonical(string json) => Sort(JsonNode.Parse(json))?.ToJsonString() ?? "null";

    private static JsonNode? Sort(JsonNode? node) => node switch
    {
        JsonObject o => new JsonObject(o.OrderBy(p => p.Key, StringComparer.Ordinal)
            .Select(p => KeyValuePair.Create(p.Key, Sort(p.Value)))),
        JsonArray a => new JsonArray(a.Select(Sort).ToArray()),
        JsonValue v => JsonNode.Parse(v.ToJsonString()),
        _ => null,
    };

    public static ConfigException ParseError(string text) => Assert.Throws<ConfigException>(() => Parse(text));
}

/// <summary>A temporary directory deleted when the test ends.</summary>
internal sealed class TempDirectory : IDisposable
{
    public TempDirectory()
    {
        Path = System.IO.Path.Combine(System.IO.Path.GetTempPath(), "akkaraft-hocon-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(Path);
    }

    public string Path { get; }

    public string Write(string relative, string text)
    {
        var full = System.IO.Path.Combine(Path, relative);
        Directory.CreateDirectory(System.IO.Path.GetDirectoryName(full)!);
        File.WriteAllText(full, text);
        return full;
    }

    public void Dispose() => Directory.Delete(Path, recursive: true);
}
