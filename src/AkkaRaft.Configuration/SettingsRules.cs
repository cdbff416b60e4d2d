namespace AkkaRaft.Configuration;

/// <summary>
/// The checks every settings record makes when it reads its section (<c>XSettings.FromConfig</c>): a value read
/// with its typed getter, then held to a range, with an error that names the path, the rule, the value and where
/// it was set. One place for them, so every part words a bad setting the same way.
/// </summary>
public static class SettingsRules
{
    /// <summary>An error for a setting that breaks its rule: "<c>path: rule (origin)</c>".</summary>
    /// <param name="config">The configuration the value was read from (for its origin).</param>
    /// <param name="path">The full path of the setting.</param>
    /// <param name="rule">What was expected and what was found, e.g. "expected 1 to 64, got 0".</param>
    public static ConfigException Invalid(this Config config, string path, string rule)
    {
        ArgumentNullException.ThrowIfNull(config);
        var origin = config.GetOrigin(path);
        return new ConfigException(origin is null ? $"{path}: {rule}" : $"{path}: {rule} ({origin})", origin);
    }

    /// <summary>Reads an integer and requires <paramref name="min"/> ≤ value ≤ <paramref name="max"/>.</summary>
    /// <exception cref="ConfigException">Missing, not an integer, or out of range.</exception>
    public static int GetIntInRange(this Config config, string path, int min, int max = int.MaxValue)
    {
        ArgumentNullException.ThrowIfNull(config);
        var value = config.GetInt(path);
        return value >= min && value <= max ? value : throw config.Invalid(path, $"expected {Range(min, max)}, got {value}");
    }

    /// <summary>Reads a byte size (<c>512KiB</c>, <c>10MB</c>) and requires <paramref name="min"/> ≤ bytes ≤ <paramref name="max"/>.</summary>
    /// <exception cref="ConfigException">Missing, not a size, or out of range.</exception>
    public static long GetByteSizeInRange(this Config config, string path, long min, long max = long.MaxValue)
    {
        ArgumentNullException.ThrowIfNull(config);
        var value = config.GetByteSize(path);
        return value >= min && value <= max ? value : throw config.Invalid(path, $"expected {Range(min, max)} bytes, got {value}");
    }

    /// <summary>Reads a byte size that must fit an <see cref="int"/> (a buffer or frame length).</summary>
    /// <exception cref="ConfigException">Missing, not a size, or out of range.</exception>
    public static int GetByteSizeInt32(this Config config, string path, int min, int max = int.MaxValue) =>
        (int)config.GetByteSizeInRange(path, min, max);

    /// <summary>Reads a duration (<c>500ms</c>, <c>2 s</c>) and requires <paramref name="min"/> ≤ value ≤ <paramref name="max"/>.</summary>
    /// <exception cref="ConfigException">Missing, not a duration, or out of range.</exception>
    public static TimeSpan GetTimeSpanInRange(this Config config, string path, TimeSpan min, TimeSpan? max = null)
    {
        ArgumentNullException.ThrowIfNull(config);
        var value = config.GetTimeSpan(path);
        var upper = max ?? TimeSpan.MaxValue;
        return value >= min && value <= upper
            ? value
            : throw config.Invalid(path, $"expected a duration {(max is null ? $"of at least {min}" : $"from {min} to {upper}")}, got {value}");
    }

    /// <summary>Reads a string that must not be empty or blank.</summary>
    /// <exception cref="ConfigException">Missing, not a string, or blank.</exception>
    public static string GetNonEmptyString(this Config config, string path)
    {
        ArgumentNullException.ThrowIfNull(config);
        var value = config.GetString(path);
        return value.Trim().Length > 0 ? value : throw config.Invalid(path, "expected a non-empty string");
    }

    private static string Range(long min, long max) => max == int.MaxValue || max == long.MaxValue
        ? $"at least {min}"
        : $"{min} to {max}";
}
