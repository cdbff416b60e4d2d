using AkkaRaft.Hocon;

namespace AkkaRaft.Actors;

public sealed partial record ActorSystemSettings
{
    /// <summary>Where the section lives in the full configuration.</summary>
    public const string SectionPath = "akkaraft.actor";

    /// <summary>
    /// Reads and validates the <c>akkaraft.actor</c> section, given as its own config:
    /// <c>ActorSystemSettings.FromConfig(config.GetConfig("akkaraft.actor"))</c>. Missing keys take the defaults.
    /// </summary>
    /// <exception cref="ConfigException">A setting has the wrong type or is out of range (the message names it).</exception>
    public static ActorSystemSettings FromConfig(Config section)
    {
        ArgumentNullException.ThrowIfNull(section);
        var d = Default;
        var dispatchers = new Dictionary<string, int>(StringComparer.Ordinal);
        var dispatcherSection = section.GetConfig("dispatchers");
        foreach (var (path, _) in dispatcherSection.AsEnumerable())
        {
            var dot = path.IndexOf('.', StringComparison.Ordinal);
            var id = dot < 0 ? path : path[..dot];
            if (dot < 0 || path[(dot + 1)..] != "throughput")
                throw new ConfigException($"{SectionPath}.dispatchers.{path}: a dispatcher has only 'throughput' (write {id} {{ throughput = 10 }})", dispatcherSection.GetOrigin(path));
            dispatchers[id] = dispatcherSection.GetInt(path);
        }
        var settings = new ActorSystemSettings
        {
            Throughput = section.GetInt("throughput", d.Throughput),
            SimulationThroughput = section.GetInt("simulation-throughput", d.SimulationThroughput),
            MailboxCapacity = section.GetInt("mailbox-capacity", d.MailboxCapacity),
            StashCapacity = section.GetInt("stash-capacity", d.StashCapacity),
            DeadLetterLogMax = section.GetInt("dead-letters-log-max", d.DeadLetterLogMax),
            DeadLetterLogInterval = section.GetTimeSpan("dead-letters-log-interval", d.DeadLetterLogInterval),
            AskTimeout = Duration(section, "ask-timeout", d.AskTimeout),
            LogLevel = Level(section, "loglevel", d.LogLevel),
            StdoutLogLevel = Level(section, "stdout-loglevel", d.StdoutLogLevel),
            Dispatchers = dispatchers,
        };
        try
        {
            return settings.Validate();
        }
        catch (ArgumentException e)
        {
            throw new ConfigException(e.Message, null, e);
        }
    }

    /// <summary>A duration that may also be <c>infinite</c>.</summary>
    internal static TimeSpan Duration(Config section, string path, TimeSpan @default)
    {
        if (!section.HasPath(path)) return @default;
        var text = section.GetString(path);
        return string.Equals(text, "infinite", StringComparison.OrdinalIgnoreCase) ? Timeout.InfiniteTimeSpan : section.GetTimeSpan(path);
    }

    private static LogLevel Level(Config section, string path, LogLevel @default)
    {
        if (!section.HasPath(path)) return @default;
        var text = section.GetString(path);
        return text.ToUpperInvariant() switch
        {
            "DEBUG" => LogLevel.Debug,
            "INFO" => LogLevel.Info,
            "WARNING" => LogLevel.Warning,
            "ERROR" => LogLevel.Error,
            "OFF" => LogLevel.Off,
            _ => throw new ConfigException($"{SectionPath}.{path}: expected DEBUG, INFO, WARNING, ERROR or OFF, got '{text}'", section.GetOrigin(path)),
        };
    }
}
