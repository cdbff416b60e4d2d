using AkkaRaft.Configuration;

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
        var deployments = ReadDeployments(section);
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
            Deployments = deployments,
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

    private static Dictionary<string, Deployment> ReadDeployments(Config section)
    {
        var deployments = new Dictionary<string, Deployment>(StringComparer.Ordinal);
        var deploymentSection = section.GetConfig("deployment");
        foreach (var (key, _) in deploymentSection.AsEnumerable())
        {
            // Keys look like "/user/journal".dispatcher: the quoted actor path, then the setting.
            var close = key.StartsWith('"') ? key.IndexOf('"', 1) : -1;
            if (close < 0 || close + 1 >= key.Length || key[close + 1] != '.')
                throw new ConfigException($"{SectionPath}.deployment.{key}: write the actor path in quotes, as in \"/user/journal\" {{ mailbox-capacity = 1000 }}", deploymentSection.GetOrigin(key));
            var path = key[1..close];
            var setting = key[(close + 2)..];
            deployments.TryGetValue(path, out var deployment);
            deployment ??= new Deployment(null, null);
            deployments[path] = setting switch
            {
                "dispatcher" => deployment with { Dispatcher = deploymentSection.GetString(key) },
                "mailbox-capacity" => deployment with { MailboxCapacity = deploymentSection.GetInt(key) },
                _ => throw new ConfigException($"{SectionPath}.deployment.{key}: a deployment has only 'dispatcher' and 'mailbox-capacity'", deploymentSection.GetOrigin(key)),
            };
        }
        return deployments;
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
