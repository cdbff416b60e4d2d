using System.Collections.Frozen;
using System.Reflection;
using System.Security.Cryptography;

namespace AkkaRaft.Server.Http;

/// <summary>
/// The web console's static files (src/AkkaRaft.Server/Console/wwwroot, and the chart library's dist file copied from
/// the npm package at build time), embedded in this assembly under <c>console/</c>: a node serves them with no file on
/// disk and no network. Read once, with a strong ETag (a hash of the bytes) each.
/// </summary>
public sealed class ConsoleAssets
{
    private const string Prefix = "console/";

    private readonly FrozenDictionary<string, Asset> _assets;

    private ConsoleAssets(FrozenDictionary<string, Asset> assets) => _assets = assets;

    /// <summary>The assets of this assembly, read on first use.</summary>
    public static ConsoleAssets Embedded { get; } = Load(typeof(ConsoleAssets).Assembly);

    /// <summary>The paths served (relative to <c>/ui/</c>), in ordinal order.</summary>
    public IReadOnlyList<string> Paths => _assets.Keys.Order(StringComparer.Ordinal).ToList();

    /// <summary>One file: its bytes, its Content-Type and its quoted ETag.</summary>
    public sealed record Asset(byte[] Bytes, string ContentType, string ETag);

    /// <summary>The asset at <paramref name="path"/> (relative to <c>/ui/</c>), or null.</summary>
    public Asset? Find(string path) => _assets.GetValueOrDefault(path);

    private static ConsoleAssets Load(Assembly assembly)
    {
        var assets = new Dictionary<string, Asset>(StringComparer.Ordinal);
        foreach (var name in assembly.GetManifestResourceNames())
        {
            if (!name.StartsWith(Prefix, StringComparison.Ordinal)) continue;
            using var stream = assembly.GetManifestResourceStream(name)!;
            using var copy = new MemoryStream();
            stream.CopyTo(copy);
            var bytes = copy.ToArray();
            var etag = "\"" + Convert.ToHexStringLower(SHA256.HashData(bytes).AsSpan(0, 12)) + "\"";
            assets[name[Prefix.Length..]] = new Asset(bytes, ContentTypeOf(name), etag);
        }

        // The build embeds index.html and the chart library; without them the console cannot work, and the build is broken.
        if (!assets.ContainsKey("index.html")) throw new InvalidOperationException("the console's index.html is not embedded in the server assembly: the build is broken");
        if (!assets.ContainsKey("vendor/uPlot.iife.min.js"))
        {
            throw new InvalidOperationException("the chart library (vendor/uPlot.iife.min.js) is not embedded in the server assembly: the build's npm ci step did not run");
        }

        return new ConsoleAssets(assets.ToFrozenDictionary(StringComparer.Ordinal));
    }

    private static string ContentTypeOf(string name) => Path.GetExtension(name) switch
    {
        ".html" => "text/html; charset=utf-8",
        ".js" => "text/javascript; charset=utf-8",
        ".css" => "text/css; charset=utf-8",
        ".txt" => "text/plain; charset=utf-8",
        ".svg" => "image/svg+xml",
        ".png" => "image/png",
        _ => "application/octet-stream",
    };
}
