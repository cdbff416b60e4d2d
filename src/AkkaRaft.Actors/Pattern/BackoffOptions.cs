namespace AkkaRaft.Actors.Pattern;

/// <summary>What makes a <see cref="BackoffSupervisor"/> start its child again.</summary>
public enum BackoffMode
{
    /// <summary>
    /// The child stopped (the supervisor watches it and gets <see cref="Terminated"/>): start it again after the backoff.
    /// Meant for actors that stop themselves when a resource fails, such as a persistent actor whose journal write failed.
    /// The child's exceptions are handled by the supervisor's strategy as usual (a Stop directive then leads to a
    /// backoff restart).
    /// </summary>
    OnStop,

    /// <summary>
    /// The child threw and the supervisor's strategy said Restart: stop it instead, and start a fresh one after the
    /// backoff. A child that stops by itself (or by a Stop directive) is final: the supervisor stops too.
    /// </summary>
    OnFailure,
}

/// <summary>
/// Builds <see cref="BackoffOptions"/>, in Akka.NET's shape:
/// <c>BackoffSupervisor.Props(Backoff.OnStop(childProps, "peer", minBackoff, maxBackoff, 0.2))</c>.
/// </summary>
public static class Backoff
{
    /// <summary>
    /// Options for a supervisor that starts <paramref name="childProps"/> as <paramref name="childName"/> and starts it
    /// again, after a growing delay, each time it stops (see <see cref="BackoffMode.OnStop"/>).
    /// </summary>
    /// <param name="childProps">The child's props.</param>
    /// <param name="childName">The child's name (the same for every incarnation).</param>
    /// <param name="minBackoff">The delay before the first restart; positive.</param>
    /// <param name="maxBackoff">The cap of the exponential delay; at least <paramref name="minBackoff"/>, at most 365 days.</param>
    /// <param name="randomFactor">Adds up to this fraction of the delay at random (0.2 adds up to 20%); in [0, 1].</param>
    /// <exception cref="ArgumentException">An argument is out of range; the message names it and its value.</exception>
    public static BackoffOptions OnStop(Props childProps, string childName, TimeSpan minBackoff, TimeSpan maxBackoff, double randomFactor) =>
        BackoffOptions.Create(BackoffMode.OnStop, childProps, childName, minBackoff, maxBackoff, randomFactor);

    /// <summary>
    /// Options for a supervisor that starts <paramref name="childProps"/> as <paramref name="childName"/> and, when it
    /// throws and the strategy says Restart, stops it and starts a fresh one after a growing delay (see
    /// <see cref="BackoffMode.OnFailure"/>). Parameters as in <see cref="OnStop"/>.
    /// </summary>
    /// <exception cref="ArgumentException">An argument is out of range; the message names it and its value.</exception>
    public static BackoffOptions OnFailure(Props childProps, string childName, TimeSpan minBackoff, TimeSpan maxBackoff, double randomFactor) =>
        BackoffOptions.Create(BackoffMode.OnFailure, childProps, childName, minBackoff, maxBackoff, randomFactor);
}

/// <summary>
/// The settings of a <see cref="BackoffSupervisor"/>. Immutable and validated: every <c>With*</c> method checks its
/// argument and returns a copy. Create with <see cref="Backoff.OnStop"/> or <see cref="Backoff.OnFailure"/>.
/// </summary>
/// <remarks>
/// The delay before restart number n+1 (n counts the restarts since the last reset, from 0) is
/// <c>min(MaxBackoff, MinBackoff * 2^n) * (1 + r * RandomFactor)</c> with r uniform in [0, 1); see
/// <see cref="BackoffSupervisor.CalculateDelay"/>.
/// </remarks>
public sealed class BackoffOptions
{
    /// <summary>The longest backoff (and reset interval) accepted: the scheduler's longest delay.</summary>
    public static readonly TimeSpan MaxBackoffLimit = SchedulerBase.MaxDelay;

    private BackoffOptions(
        BackoffMode mode,
        Props childProps,
        string childName,
        TimeSpan minBackoff,
        TimeSpan maxBackoff,
        double randomFactor,
        TimeSpan? resetBackoff,
        int maxNrOfRetries,
        SupervisorStrategy? supervisorStrategy,
        long? randomSeed)
    {
        Mode = mode;
        ChildProps = childProps;
        ChildName = childName;
        MinBackoff = minBackoff;
        MaxBackoff = maxBackoff;
        RandomFactor = randomFactor;
        ResetBackoff = resetBackoff;
        MaxNrOfRetries = maxNrOfRetries;
        SupervisorStrategy = supervisorStrategy;
        RandomSeed = randomSeed;
    }

    /// <summary>What makes the supervisor start the child again.</summary>
    public BackoffMode Mode { get; }

    /// <summary>The child's props.</summary>
    public Props ChildProps { get; }

    /// <summary>The child's name; every incarnation gets it.</summary>
    public string ChildName { get; }

    /// <summary>The delay before the first restart after a reset.</summary>
    public TimeSpan MinBackoff { get; }

    /// <summary>The cap of the exponential part of the delay (the random part comes on top).</summary>
    public TimeSpan MaxBackoff { get; }

    /// <summary>The random extra delay, as a fraction of the computed delay, in [0, 1].</summary>
    public double RandomFactor { get; }

    /// <summary>
    /// How long an incarnation of the child must run before the restart count goes back to 0; null for manual reset
    /// (only <see cref="BackoffSupervisor.Reset"/> does it). Default: <see cref="MinBackoff"/>.
    /// </summary>
    public TimeSpan? ResetBackoff { get; }

    /// <summary>True when only <see cref="BackoffSupervisor.Reset"/> sets the restart count back to 0.</summary>
    public bool IsManualReset => ResetBackoff is null;

    /// <summary>
    /// The most restarts since the last reset; when the child would need one more, the supervisor stops itself.
    /// -1 (the default) for no limit.
    /// </summary>
    public int MaxNrOfRetries { get; }

    /// <summary>
    /// The strategy for the child's exceptions; null for <see cref="Actors.SupervisorStrategy.DefaultStrategy"/>.
    /// Under <see cref="BackoffMode.OnFailure"/> only its decider and logging flag are used: a Restart becomes a stop and
    /// a delayed start, so its own retry limit does not apply (use <see cref="MaxNrOfRetries"/>).
    /// </summary>
    public SupervisorStrategy? SupervisorStrategy { get; }

    /// <summary>
    /// The seed of the random part of the delay; null to draw it from the simulated world's seeded source under the
    /// simulation, and from <see cref="Random.Shared"/> otherwise.
    /// </summary>
    public long? RandomSeed { get; }

    internal static BackoffOptions Create(BackoffMode mode, Props childProps, string childName, TimeSpan minBackoff, TimeSpan maxBackoff, double randomFactor)
    {
        ArgumentNullException.ThrowIfNull(childProps);
        ArgumentNullException.ThrowIfNull(childName);
        try
        {
            ActorNames.Validate(childName, allowReserved: false);
        }
        catch (InvalidActorNameException e)
        {
            throw new ArgumentException($"childName: {e.Message}", nameof(childName), e);
        }
        if (minBackoff <= TimeSpan.Zero)
            throw new ArgumentException($"minBackoff must be positive (got {minBackoff})", nameof(minBackoff));
        if (maxBackoff <= TimeSpan.Zero)
            throw new ArgumentException($"maxBackoff must be positive (got {maxBackoff})", nameof(maxBackoff));
        if (maxBackoff < minBackoff)
            throw new ArgumentException($"maxBackoff ({maxBackoff}) must not be less than minBackoff ({minBackoff})", nameof(maxBackoff));
        if (maxBackoff > MaxBackoffLimit)
            throw new ArgumentException($"maxBackoff ({maxBackoff}) must be at most {MaxBackoffLimit.TotalDays} days (the scheduler's longest delay)", nameof(maxBackoff));
        // Written so that NaN fails too.
        if (!(randomFactor >= 0.0 && randomFactor <= 1.0))
            throw new ArgumentException($"randomFactor must be within [0, 1] (got {randomFactor})", nameof(randomFactor));
        return new BackoffOptions(mode, childProps, childName, minBackoff, maxBackoff, randomFactor, minBackoff, -1, null, null);
    }

    /// <summary>
    /// A copy whose restart count goes back to 0 once an incarnation of the child has run for
    /// <paramref name="resetBackoff"/> without stopping (Akka's <c>withAutoReset</c>).
    /// </summary>
    /// <exception cref="ArgumentException"><paramref name="resetBackoff"/> is not positive or longer than 365 days.</exception>
    public BackoffOptions WithAutoReset(TimeSpan resetBackoff)
    {
        if (resetBackoff <= TimeSpan.Zero)
            throw new ArgumentException($"resetBackoff must be positive (got {resetBackoff})", nameof(resetBackoff));
        if (resetBackoff > MaxBackoffLimit)
            throw new ArgumentException($"resetBackoff ({resetBackoff}) must be at most {MaxBackoffLimit.TotalDays} days (the scheduler's longest delay)", nameof(resetBackoff));
        return Copy(resetBackoff: resetBackoff);
    }

    /// <summary>A copy whose restart count goes back to 0 only on <see cref="BackoffSupervisor.Reset"/> (Akka's <c>withManualReset</c>).</summary>
    public BackoffOptions WithManualReset() => new(Mode, ChildProps, ChildName, MinBackoff, MaxBackoff, RandomFactor, null, MaxNrOfRetries, SupervisorStrategy, RandomSeed);

    /// <summary>
    /// A copy that allows at most <paramref name="maxNrOfRetries"/> restarts since the last reset: when the child would
    /// need one more, the supervisor stops itself (its watchers see it terminate). -1 for no limit; 0 gives up at the first.
    /// </summary>
    /// <exception cref="ArgumentException"><paramref name="maxNrOfRetries"/> is less than -1.</exception>
    public BackoffOptions WithMaxNrOfRetries(int maxNrOfRetries)
    {
        if (maxNrOfRetries < -1)
            throw new ArgumentException($"maxNrOfRetries must be -1 (no limit) or at least 0 (got {maxNrOfRetries})", nameof(maxNrOfRetries));
        return Copy(maxNrOfRetries: maxNrOfRetries);
    }

    /// <summary>A copy that handles the child's exceptions with <paramref name="strategy"/> (see <see cref="SupervisorStrategy"/>).</summary>
    public BackoffOptions WithSupervisorStrategy(SupervisorStrategy strategy) =>
        Copy(supervisorStrategy: strategy ?? throw new ArgumentNullException(nameof(strategy)));

    /// <summary>
    /// A copy that stops the child on any exception (<see cref="Actors.SupervisorStrategy.StoppingStrategy"/>): with
    /// <see cref="BackoffMode.OnStop"/> every failure then becomes a delayed restart.
    /// </summary>
    public BackoffOptions WithDefaultStoppingStrategy() => Copy(supervisorStrategy: Actors.SupervisorStrategy.StoppingStrategy);

    /// <summary>A copy whose random delays come from a source seeded with <paramref name="seed"/> (each supervisor gets its own).</summary>
    public BackoffOptions WithRandomSeed(long seed) => Copy(randomSeed: seed);

    /// <summary>The props of a <see cref="BackoffSupervisor"/> with these options (same as <see cref="BackoffSupervisor.Props"/>).</summary>
    public Props Props() => BackoffSupervisor.Props(this);

    private BackoffOptions Copy(TimeSpan? resetBackoff = null, int? maxNrOfRetries = null, SupervisorStrategy? supervisorStrategy = null, long? randomSeed = null) =>
        new(
            Mode,
            ChildProps,
            ChildName,
            MinBackoff,
            MaxBackoff,
            RandomFactor,
            resetBackoff ?? ResetBackoff,
            maxNrOfRetries ?? MaxNrOfRetries,
            supervisorStrategy ?? SupervisorStrategy,
            randomSeed ?? RandomSeed);

    /// <inheritdoc />
    public override string ToString() =>
        $"Backoff.{Mode}({ChildName}, {MinBackoff}..{MaxBackoff}, random {RandomFactor}, "
        + (ResetBackoff is { } r ? $"reset after {r}" : "manual reset")
        + (MaxNrOfRetries >= 0 ? $", at most {MaxNrOfRetries} retries)" : ")");
}
