namespace AkkaRaft.Configuration;

/// <summary>
/// Bad configuration: malformed HOCON, an include that cannot be read, a substitution that cannot be resolved,
/// a setting that is missing or of the wrong type, or an unknown setting. The message names the path and the
/// origin (file, line, column) when they are known, and says what was expected.
/// </summary>
public class ConfigException : Exception
{
    /// <summary>Creates an error with a complete message and, when known, where it comes from.</summary>
    public ConfigException(string message, ConfigOrigin? origin = null, Exception? innerException = null)
        : base(message, innerException)
    {
        Origin = origin;
    }

    /// <summary>Where the offending text or value is, when known.</summary>
    public ConfigOrigin? Origin { get; }

    /// <summary>Builds the conventional message <c>origin: what went wrong</c>.</summary>
    internal static ConfigException At(ConfigOrigin origin, string message) => new($"{origin}: {message}", origin);
}
