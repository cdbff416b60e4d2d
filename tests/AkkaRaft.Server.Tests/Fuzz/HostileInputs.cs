using System.Text;

namespace AkkaRaft.Server.Tests.Fuzz;

/// <summary>
/// The hostile values the bad-input fuzzer draws from, all from one seeded <see cref="Random"/>: strings for path
/// parameters, query values and headers (as the bytes that go on the wire, percent-encoded or raw), and JSON bodies
/// (malformed, truncated, of the wrong shape, oversized, deeply nested, invalid UTF-8).
/// </summary>
internal sealed class HostileInputs(Random random, int maxBodyBytes)
{
    /// <summary>Query parameter names the HTTP routes read, and some they do not.</summary>
    private static readonly string[] QueryNames =
    [
        "level", "prefix", "after", "limit", "index", "timeout", "session", "wait", "forward", "progress", "step", "unit", "agg",
        "from", "to", "recursive", "", "%00", "prefix[]",
    ];

    private static readonly string[] Words =
    [
        "", "k", "fuzz-a", "fuzz/b/c", "_akkaraft/members/x", "..", "../../etc/passwd", "%2e%2e%2f", "*", "?", "#", "%", "%%", "%zz",
        "-1", "0", "1", "18446744073709551615", "18446744073709551616", "99999999999999999999999", "1e309", "NaN", "-0", " 1", "0x10",
        "1ms", "-5s", "0s", "999999999999d", "1.5.5s", "P1D", "10", "true", "false", "null", "stale", "leader", "linearizable",
        "\"1\"", "W/\"1\"", "'; DROP TABLE kv; --", "ключ", "鍵", "🔑", "a b", "a\tb", "\u007f",
    ];

    /// <summary>Bytes, as they go into a request line (already escaped where escaping is meant).</summary>
    public string PathValue()
    {
        return random.Next(12) switch
        {
            0 => "",
            1 => new string('k', random.Next(1, 40_000)),
            2 => "%00" + Word(),
            3 => "%FF%FE" + Word(),
            4 => "%C3",
            5 => "%ED%A0%80",
            6 => "a%0D%0Ab",
            7 => Uri.EscapeDataString(Word()) + "/" + Uri.EscapeDataString(Word()),
            8 => Latin1(new byte[] { 0xFF, 0xC3, 0x28 }),
            _ => Uri.EscapeDataString(Word()),
        };
    }

    /// <summary>A query string (without the '?'), of known and unknown names, repeated names and hostile values.</summary>
    public string Query()
    {
        var parts = new List<string>();
        var count = random.Next(0, 5);
        for (var i = 0; i < count; i++)
        {
            var name = QueryNames[random.Next(QueryNames.Length)];
            parts.Add(random.Next(8) == 0 ? name : $"{name}={PathValue()}");
        }

        return string.Join('&', parts);
    }

    /// <summary>Header lines (each ending in CRLF) with hostile values of the headers the routes read.</summary>
    public string Headers()
    {
        var text = new StringBuilder();
        foreach (var name in new[] { "If-Match", "If-None-Match", "Content-Type", "X-Session", "Accept", "X-Forward" })
        {
            if (random.Next(4) != 0) continue;
            text.Append(name).Append(": ").Append(random.Next(6) switch
            {
                0 => Latin1([0x00, 0x41]),
                1 => Latin1([0xFF, 0xFE]),
                2 => new string('h', random.Next(1, 40_000)),
                3 => "application/json; charset=utf-16",
                _ => Word(),
            }).Append("\r\n");
        }

        return text.ToString();
    }

    /// <summary>A body for a route that reads one: a well-formed template with hostile strings, or something broken.</summary>
    public byte[] Body()
    {
        return random.Next(17) switch
        {
            0 => [],
            15 => Encoding.UTF8.GetBytes(random.Next(2) == 0 ? "{\"\\ud800\":\"v\"}" : "{\"k\":\"\\udc00x\",\"voters\":[\"\\ud800\"],\"ttl\":\"\\ud800\"}"),
            1 => Bytes(random.Next(1, 512)),
            2 => Encoding.UTF8.GetBytes(new string('[', 10_000) + new string(']', 10_000)),
            3 => Encoding.UTF8.GetBytes("{\"k\":\"" + new string('x', maxBodyBytes + 1) + "\"}"),
            4 => [.. "{\""u8, 0xFF, 0xFE, .. "\":\"v\"}"u8],
            5 => Encoding.UTF8.GetBytes("{\"a\":\"1\",\"a\":\"2\"}"),
            6 => Encoding.UTF8.GetBytes("{\"a\u0000b\":\"v\",\"c\":\"\\u0000\"}"),
            7 => [0xEF, 0xBB, 0xBF, .. "{\"bom\":\"v\"}"u8],
            8 => Encoding.UTF8.GetBytes(WrongShape()),
            9 => Truncated(Encoding.UTF8.GetBytes(Template())),
            10 => Encoding.UTF8.GetBytes("{\"k\":1e400,\"n\":-99999999999999999999999999}"),
            _ => Encoding.UTF8.GetBytes(Template()),
        };
    }

    /// <summary>One of a few bodies the routes take, with hostile strings in it.</summary>
    private string Template()
    {
        var word = Json(Word());
        var other = Json(random.Next(3) == 0 ? new string('v', random.Next(1, 5_000)) : Word());
        return random.Next(9) switch
        {
            0 => $"{{{word}:{other}}}",
            1 => $"{{{word}:{other},{Json(Word())}:{other},\"fuzz-c\":\"v\"}}",
            2 => $"{{\"ttl\":{other}}}",
            3 => $"{{\"id\":{word},\"address\":{other}}}",
            4 => $"{{\"voters\":[{word}],\"learners\":[{other}],\"expect\":{{\"voters\":[]}}}}",
            5 => $"{{\"to\":{word}}}",
            6 => $"[[{Number()},{Number()}],[{Number()}]]",
            7 => $"{{{word}:[[{Number()},{Number()}]]}}",
            _ => $"{{\"ttl\":{Number()}}}",
        };
    }

    private string WrongShape() => random.Next(8) switch
    {
        0 => "[]",
        1 => "\"str\"",
        2 => "123",
        3 => "true",
        4 => "null",
        5 => "{\"k\":null,\"l\":[1],\"m\":{}}",
        6 => "{\"voters\":\"n1\"}",
        _ => "{\"ttl\":[\"10s\"]}",
    };

    private string Number() => random.Next(6) switch
    {
        0 => "-1",
        1 => "1.5",
        2 => "1e30",
        3 => "\"1\"",
        4 => "18446744073709551616",
        _ => random.Next().ToString(System.Globalization.CultureInfo.InvariantCulture),
    };

    private byte[] Truncated(byte[] bytes) => bytes.Length < 2 ? bytes : bytes[..random.Next(1, bytes.Length)];

    /// <summary>Random bytes.</summary>
    public byte[] Bytes(int length)
    {
        var bytes = new byte[length];
        random.NextBytes(bytes);
        return bytes;
    }

    private string Word() => Words[random.Next(Words.Length)];

    private static string Json(string text) => System.Text.Json.JsonSerializer.Serialize(text);

    /// <summary>Bytes carried in a string one char per byte, as the raw request is written (Latin-1).</summary>
    private static string Latin1(byte[] bytes) => Encoding.Latin1.GetString(bytes);
}
