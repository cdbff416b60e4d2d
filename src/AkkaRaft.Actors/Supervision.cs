namespace AkkaRaft.Actors;

/// <summary>What a supervisor does with a failed child.</summary>
public enum Directive
{
    /// <summary>Keep the actor and its state; it goes on with the next message.</summary>
    Resume,

    /// <summary>Replace the actor by a fresh instance; its mailbox is kept, the failing message is dropped.</summary>
    Restart,

    /// <summary>Stop the actor.</summary>
    Stop,

    /// <summary>Fail the supervisor itself with the same exception (its own supervisor decides).</summary>
    Escalate,
}

/// <summary>Decides the <see cref="Directive"/> for an exception.</summary>
public delegate Directive Decider(Exception cause);

/// <summary>
/// How a parent handles its children's failures. <see cref="OneForOneStrategy"/> applies the directive to the failed
/// child only, <see cref="AllForOneStrategy"/> to all children. A restart is allowed at most
/// <see cref="MaxNrOfRetries"/> times within <see cref="WithinTimeRange"/>; beyond that the child is stopped.
/// </summary>
public abstract class SupervisorStrategy
{
    /// <summary>Creates a strategy.</summary>
    /// <param name="maxNrOfRetries">Restarts allowed within the window; -1 for no limit; 0 stops at the first failure that would restart.</param>
    /// <param name="withinTimeRange">The window for <paramref name="maxNrOfRetries"/>; <see cref="Timeout.InfiniteTimeSpan"/> for no window.</param>
    /// <param name="decider">The decider; null for <see cref="DefaultDecider"/>.</param>
    /// <param name="loggingEnabled">Whether failures are logged.</param>
    protected SupervisorStrategy(int maxNrOfRetries, TimeSpan withinTimeRange, Decider? decider, bool loggingEnabled)
    {
        if (maxNrOfRetries < -1) throw new ArgumentOutOfRangeException(nameof(maxNrOfRetries), maxNrOfRetries, "use -1 for no limit");
        if (withinTimeRange <= TimeSpan.Zero && withinTimeRange != Timeout.InfiniteTimeSpan)
            throw new ArgumentOutOfRangeException(nameof(withinTimeRange), withinTimeRange, "the window must be positive or infinite");
        MaxNrOfRetries = maxNrOfRetries;
        WithinTimeRange = withinTimeRange;
        Decider = decider ?? DefaultDecider;
        LoggingEnabled = loggingEnabled;
    }

    /// <summary>Restarts allowed within <see cref="WithinTimeRange"/>; -1 for no limit.</summary>
    public int MaxNrOfRetries { get; }

    /// <summary>The retry window; <see cref="Timeout.InfiniteTimeSpan"/> for none.</summary>
    public TimeSpan WithinTimeRange { get; }

    /// <summary>Maps an exception to a directive.</summary>
    public Decider Decider { get; }

    /// <summary>Whether the supervisor logs the failures it handles.</summary>
    public bool LoggingEnabled { get; }

    /// <summary>
    /// Akka's default decider: <see cref="ActorInitializationException"/>, <see cref="ActorKilledException"/> and
    /// <see cref="DeathPactException"/> stop the child; any other exception restarts it.
    /// </summary>
    public static Directive DefaultDecider(Exception cause) => cause switch
    {
        ActorInitializationException => Directive.Stop,
        ActorKilledException => Directive.Stop,
        DeathPactException => Directive.Stop,
        _ => Directive.Restart,
    };

    /// <summary>The default: one-for-one, <see cref="DefaultDecider"/>, unlimited restarts.</summary>
    public static SupervisorStrategy DefaultStrategy { get; } = new OneForOneStrategy(-1, Timeout.InfiniteTimeSpan, DefaultDecider);

    /// <summary>Always stops the failed child.</summary>
    public static SupervisorStrategy StoppingStrategy { get; } = new OneForOneStrategy(_ => Directive.Stop);

    /// <summary>True when the directive for a failure applies to all children rather than to the failed one.</summary>
    internal abstract bool AppliesToAllChildren { get; }

    /// <summary>
    /// Records a restart of a child in <paramref name="stats"/> and says whether it is allowed by the retry limit.
    /// </summary>
    internal bool RequestRestartPermission(ChildRestartStats stats, TimeSpan now)
    {
        if (MaxNrOfRetries < 0) return true;
        if (WithinTimeRange == Timeout.InfiniteTimeSpan)
        {
            stats.RestartCount++;
            return stats.RestartCount <= MaxNrOfRetries;
        }
        if (stats.RestartCount == 0 || now - stats.WindowStart > WithinTimeRange)
        {
            stats.WindowStart = now;
            stats.RestartCount = 1;
        }
        else
        {
            stats.RestartCount++;
        }
        return stats.RestartCount <= MaxNrOfRetries;
    }
}

/// <summary>Applies the directive to the failed child only.</summary>
public sealed class OneForOneStrategy : SupervisorStrategy
{
    /// <summary>Creates the strategy; see <see cref="SupervisorStrategy"/> for the parameters.</summary>
    public OneForOneStrategy(int maxNrOfRetries, TimeSpan withinTimeRange, Decider decider, bool loggingEnabled = true)
        : base(maxNrOfRetries, withinTimeRange, decider, loggingEnabled) { }

    /// <summary>Creates the strategy with unlimited restarts.</summary>
    public OneForOneStrategy(Decider decider) : base(-1, Timeout.InfiniteTimeSpan, decider, true) { }

    internal override bool AppliesToAllChildren => false;
}

/// <summary>Applies Restart and Stop to all children when one fails (Resume to the failed one only).</summary>
public sealed class AllForOneStrategy : SupervisorStrategy
{
    /// <summary>Creates the strategy; see <see cref="SupervisorStrategy"/> for the parameters.</summary>
    public AllForOneStrategy(int maxNrOfRetries, TimeSpan withinTimeRange, Decider decider, bool loggingEnabled = true)
        : base(maxNrOfRetries, withinTimeRange, decider, loggingEnabled) { }

    /// <summary>Creates the strategy with unlimited restarts.</summary>
    public AllForOneStrategy(Decider decider) : base(-1, Timeout.InfiniteTimeSpan, decider, true) { }

    internal override bool AppliesToAllChildren => true;
}

/// <summary>A child's restart statistics kept by its parent.</summary>
internal sealed class ChildRestartStats(LocalActorRef child)
{
    public LocalActorRef Child { get; } = child;

    public int RestartCount { get; set; }

    public TimeSpan WindowStart { get; set; }
}
