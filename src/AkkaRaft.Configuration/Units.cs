using System.Globalization;

namespace AkkaRaft.Configuration;

/// <summary>
/// The units format of HOCON.md ("Units format", "Duration format", "Size in bytes format"): a number,
/// optional whitespace, and an optional unit made of letters. Bare numbers are milliseconds or bytes.
/// </summary>
internal static class Units
{
    private static readonly Dictionary<string, decimal> DurationNanos = BuildDurations();
    private static readonly Dictionary<string, decimal> SizeBytes = BuildSizes();

    private static Dictionary<string, decimal> BuildDurations()
    {
        var units = new Dictionary<string, decimal>(StringComparer.Ordinal);
        void Add(decimal nanos, params string[] names)
        {
            foreach (var name in names)
            {
                units[name] = nanos;
            }
        }

        Add(1m, "ns", "nano", "nanos", "nanosecond", "nanoseconds");
        Add(1_000m, "us", "micro", "micros", "microsecond", "microseconds");
        Add(1_000_000m, "", "ms", "milli", "millis", "millisecond", "milliseconds");
        Add(1_000_000_000m, "s", "second", "seconds");
        Add(60_000_000_000m, "m", "minute", "minutes");
        Add(3_600_000_000_000m, "h", "hour", "hours");
        Add(86_400_000_000_000m, "d", "day", "days");
        return units;
    }

    private static Dictionary<string, decimal> BuildSizes()
    {
        var units = new Dictionary<string, decimal>(StringComparer.Ordinal)
        {
            [""] = 1m, ["B"] = 1m, ["b"] = 1m, ["byte"] = 1m, ["bytes"] = 1m,
        };
        string[] decimalShort = ["kB", "MB", "GB", "TB", "PB", "EB", "ZB", "YB"];
        string[] decimalLong = ["kilo", "mega", "giga", "tera", "peta", "exa", "zetta", "yotta"];
        string[] binaryLetter = ["K", "M", "G", "T", "P", "E", "Z", "Y"];
        string[] binaryLong = ["kibi", "mebi", "gibi", "tebi", "pebi", "exbi", "zebi", "yobi"];
        for (var i = 0; i < 8; i++)
        {
            var power10 = Pow(1000m, i + 1);
            units[decimalShort[i]] = power10;
            units[decimalLong[i] + "byte"] = power10;
            units[decimalLong[i] + "bytes"] = power10;
            var power2 = Pow(1024m, i + 1);
            var letter = binaryLetter[i];
            units[letter] = power2;
            units[letter.ToLowerInvariant()] = power2;
            units[letter + "i"] = power2;
            units[letter + "iB"] = power2;
            units[binaryLong[i] + "byte"] = power2;
            units[binaryLong[i] + "bytes"] = power2;
        }

        return units;
    }

    private static decimal Pow(decimal b, int e)
    {
        var r = 1m;
        for (var i = 0; i < e; i++)
        {
            r *= b;
        }

        return r;
    }

    /// <summary>Splits "500 ms" into 500 and "ms"; false when the text is not a number and a unit of letters.</summary>
    private static bool Split(string text, out decimal number, out string unit)
    {
        number = 0;
        unit = "";
        var s = text.Trim();
        var end = s.Length;
        while (end > 0 && char.IsLetter(s[end - 1]))
        {
            end--;
        }

        unit = s[end..];
        var digits = s[..end].TrimEnd();
        return digits.Length > 0
            && decimal.TryParse(digits, NumberStyles.AllowLeadingSign | NumberStyles.AllowDecimalPoint | NumberStyles.AllowExponent,
                CultureInfo.InvariantCulture, out number);
    }

    /// <summary>Parses a duration; a bare number is milliseconds. Null when the text is not a duration.</summary>
    public static TimeSpan? ParseDuration(string text)
    {
        if (!Split(text, out var number, out var unit) || !DurationNanos.TryGetValue(unit, out var nanos))
        {
            return null;
        }

        try
        {
            var ticks = number * nanos / 100m; // one tick is 100 ns
            if (ticks > TimeSpan.MaxValue.Ticks || ticks < TimeSpan.MinValue.Ticks)
            {
                return null;
            }

            return TimeSpan.FromTicks((long)decimal.Round(ticks, MidpointRounding.AwayFromZero));
        }
        catch (OverflowException)
        {
            return null;
        }
    }

    /// <summary>Parses a size in bytes; a bare number is bytes. Null when the text is not a size or does not fit a long.</summary>
    public static long? ParseBytes(string text)
    {
        if (!Split(text, out var number, out var unit) || !SizeBytes.TryGetValue(unit, out var factor))
        {
            return null;
        }

        try
        {
            var bytes = decimal.Truncate(number * factor);
            return bytes > long.MaxValue || bytes < long.MinValue ? null : (long)bytes;
        }
        catch (OverflowException)
        {
            return null;
        }
    }
}
