namespace AkkaRaft.Actors;

/// <summary>
/// The settings of an actor system, validated. The defaults are those of the <c>akkaraft.actor</c> section of
/// <c>hocon/reference.conf</c>.
/// </summary>
public sealed partial record ActorSystemSettings
{
    /// <summary>The defaults.</summary>
    public static ActorSystemSettings Default { get; } = new();

    /// <summary>Messages an actor processes per turn on the default dispatcher before it yields its thread (throughput).</summary>
    public int Throughput { get; init; } = 100;

    /// <summary>Messages an actor processes per turn under the simulation (1 interleaves actors the most).</summary>
    public int SimulationThroughput { get; init; } = 1;

    /// <summary>The bound of every mailbox in messages unless Props choose otherwise; 0 for unbounded (Akka's default).</summary>
    public int MailboxCapacity { get; init; }

    /// <summary>The most messages one actor may stash.</summary>
    public int StashCapacity { get; init; } = 100_000;

    /// <summary>How many dead letters are logged per <see cref="DeadLetterLogInterval"/>; the rest are only counted. 0 logs none.</summary>
    public int DeadLetterLogMax { get; init; } = 10;

    /// <summary>The window of <see cref="DeadLetterLogMax"/>.</summary>
    public TimeSpan DeadLetterLogInterval { get; init; } = TimeSpan.FromSeconds(10);

    /// <summary>The timeout of <c>Ask</c> when the caller gives none.</summary>
    public TimeSpan AskTimeout { get; init; } = TimeSpan.FromSeconds(10);

    /// <summary>Events below this level are not published.</summary>
    public LogLevel LogLevel { get; init; } = LogLevel.Info;

    /// <summary>Events at or above this level are printed to standard error; <see cref="LogLevel.Off"/> prints none.</summary>
    public LogLevel StdoutLogLevel { get; init; } = LogLevel.Warning;

    /// <summary>Extra dispatchers by id (for <see cref="Props.WithDispatcher"/>), each with its throughput.</summary>
    public IReadOnlyDictionary<string, int> Dispatchers { get; init; } = new Dictionary<string, int>();

    /// <summary>
    /// Per-actor choices from configuration, by path without address (<c>/user/journal</c>); they override what the
    /// actor's Props say, as Akka's deployment section does.
    /// </summary>
    public IReadOnlyDictionary<string, Deployment> Deployments { get; init; } = new Dictionary<string, Deployment>();

    /// <summary>The id of the default dispatcher.</summary>
    public const string DefaultDispatcherId = "default-dispatcher";

    /// <summary>Checks every value and returns this instance.</summary>
    /// <exception cref="ArgumentOutOfRangeException">A value is out of range; the message names the setting.</exception>
    public ActorSystemSettings Validate()
    {
        Require(Throughput >= 1, "throughput", Throughput, "must be at least 1");
        Require(SimulationThroughput >= 1, "simulation-throughput", SimulationThroughput, "must be at least 1");
        Require(MailboxCapacity >= 0, "mailbox-capacity", MailboxCapacity, "must be 0 (unbounded) or positive");
        Require(StashCapacity >= 1, "stash-capacity", StashCapacity, "must be at least 1");
        Require(DeadLetterLogMax >= 0, "dead-letters-log-max", DeadLetterLogMax, "cannot be negative");
        Require(DeadLetterLogInterval > TimeSpan.Zero, "dead-letters-log-interval", DeadLetterLogInterval, "must be positive");
        Require(AskTimeout > TimeSpan.Zero || AskTimeout == Timeout.InfiniteTimeSpan, "ask-timeout", AskTimeout, "must be positive or infinite");
        foreach (var (path, deployment) in Deployments)
        {
            Require(path.StartsWith("/user/", StringComparison.Ordinal) || path.StartsWith("/system/", StringComparison.Ordinal),
                "deployment", path, "paths start with /user/ or /system/");
            Require(deployment.MailboxCapacity is null or >= 0, $"deployment.\"{path}\".mailbox-capacity", deployment.MailboxCapacity, "must be 0 (unbounded) or positive");
            Require(deployment.Dispatcher is null || deployment.Dispatcher == DefaultDispatcherId || Dispatchers.ContainsKey(deployment.Dispatcher),
                $"deployment.\"{path}\".dispatcher", deployment.Dispatcher, "must name a configured dispatcher");
        }
        foreach (var (id, throughput) in Dispatchers)
        {
            Require(!string.IsNullOrWhiteSpace(id), "dispatchers", id, "a dispatcher id cannot be empty");
            Require(throughput >= 1, $"dispatchers.{id}.throughput", throughput, "must be at least 1");
        }
        return this;
    }

    private static void Require(bool ok, string setting, object? value, string rule)
    {
        if (!ok) throw new ArgumentOutOfRangeException(setting, value, $"akkaraft.actor.{setting} {rule} (got {value})");
    }
}

/// <summary>What configuration chooses for one actor path.</summary>
/// <param name="Dispatcher">The dispatcher id, or null to keep the Props' choice.</param>
/// <param name="MailboxCapacity">The mailbox bound in messages (0 = unbounded), or null to keep the Props' choice.</param>
public sealed record Deployment(string? Dispatcher, int? MailboxCapacity);
