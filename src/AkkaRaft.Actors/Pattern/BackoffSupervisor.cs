using AkkaRaft.Actors.Simulation;

namespace AkkaRaft.Actors.Pattern;

/// <summary>
/// Akka's backoff supervisor: a parent that runs one child and, when the child stops (<see cref="BackoffMode.OnStop"/>)
/// or fails (<see cref="BackoffMode.OnFailure"/>), starts a fresh one under the same name after an exponentially growing,
/// randomized delay. Create it with <c>BackoffSupervisor.Props(Backoff.OnStop(childProps, name, min, max, 0.2))</c>.
/// </summary>
/// <remarks>
/// <para>
/// Talk to the supervisor as if it were the child: every message it does not handle itself is forwarded to the current
/// child, keeping the original sender. While no child runs (waiting out a backoff, or stopping a failed child) those
/// messages go to dead letters, with the supervisor as recipient: nothing is buffered, as in Akka. Messages still in a
/// stopped child's mailbox are dead letters too. The child's ref changes with every incarnation, so keep the
/// supervisor's ref rather than a reply's sender.
/// </para>
/// <para>
/// Handled by the supervisor itself: <see cref="GetCurrentChild"/>, <see cref="GetRestartCount"/>, <see cref="Reset"/>,
/// and <see cref="Terminated"/> of its child. Stopping the supervisor (or <see cref="PoisonPill"/>) stops the child.
/// </para>
/// <para>
/// Delays run on the system's scheduler (virtual time under the simulation); the random part comes from
/// <see cref="BackoffOptions.RandomSeed"/>, or under the simulation from a source seeded by the world's, so a simulated
/// run replays exactly.
/// </para>
/// </remarks>
public sealed partial class BackoffSupervisor : ActorBase, IWithTimers
{
    private const string StartChildTimer = "backoff-start-child";
    private const string ResetTimer = "backoff-reset";

    private readonly BackoffOptions _options;
    private readonly ActorPath _childPath;
    private readonly Func<double> _random;
    private readonly SupervisorStrategy _strategy;
    private readonly ILoggingAdapter _log;
    private IActorRef? _child;
    // OnFailure: the child the strategy decided to restart; it is being stopped, and its Terminated starts the backoff.
    private IActorRef? _stoppingForRestart;
    private int _restartCount;

    /// <summary>Creates the supervisor; use <see cref="Props"/>.</summary>
    public BackoffSupervisor(BackoffOptions options)
    {
        _options = options ?? throw new ArgumentNullException(nameof(options));
        _childPath = Self.Path.Child(options.ChildName);
        _random = CreateRandom(options, Context.System);
        _log = Context.GetLogger();
        var strategy = options.SupervisorStrategy ?? Actors.SupervisorStrategy.DefaultStrategy;
        _strategy = options.Mode == BackoffMode.OnFailure
            ? new OneForOneStrategy(-1, Timeout.InfiniteTimeSpan, cause => DecideOnFailure(strategy.Decider, cause), strategy.LoggingEnabled)
            : strategy;
    }

    /// <inheritdoc />
    public ITimerScheduler Timers { get; set; } = null!;

    /// <summary>The props of a backoff supervisor with <paramref name="options"/>.</summary>
    public static Props Props(BackoffOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        return Actors.Props.Create(() => new BackoffSupervisor(options));
    }

    /// <summary>
    /// The delay before the next start when <paramref name="restartCount"/> restarts happened since the last reset:
    /// <c>min(MaxBackoff, MinBackoff * 2^restartCount) * (1 + random * RandomFactor)</c>, at most 365 days.
    /// </summary>
    /// <param name="options">The backoff options.</param>
    /// <param name="restartCount">Restarts since the last reset; 0 or more.</param>
    /// <param name="random">A uniform draw in [0, 1).</param>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="restartCount"/> is negative or <paramref name="random"/> is outside [0, 1).</exception>
    public static TimeSpan CalculateDelay(BackoffOptions options, int restartCount, double random)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentOutOfRangeException.ThrowIfNegative(restartCount);
        if (!(random >= 0.0 && random < 1.0)) throw new ArgumentOutOfRangeException(nameof(random), random, "a random draw must be in [0, 1)");
        // In doubles: 2^n overflows to infinity for large n, and min() then picks the cap.
        var exponential = Math.Min(options.MinBackoff.Ticks * Math.Pow(2, restartCount), options.MaxBackoff.Ticks);
        var ticks = exponential * (1.0 + (random * options.RandomFactor));
        return TimeSpan.FromTicks((long)Math.Min(ticks, BackoffOptions.MaxBackoffLimit.Ticks));
    }

    /// <inheritdoc />
    protected internal override SupervisorStrategy SupervisorStrategy() => _strategy;

    /// <inheritdoc />
    protected override void PreStart() => StartChildNow();

    /// <inheritdoc />
    protected internal override bool Receive(object message)
    {
        switch (message)
        {
            case Terminated t when IsOurChild(t.ActorRef):
                OnChildTerminated(t.ActorRef);
                return true;
            case StartChild:
                StartChildNow();
                return true;
            case ResetRestartCount:
                _restartCount = 0;
                return true;
            case GetCurrentChild:
                Sender.Tell(new CurrentChild(_child), Self);
                return true;
            case GetRestartCount:
                Sender.Tell(new RestartCount(_restartCount), Self);
                return true;
            case Reset:
                Timers.Cancel(ResetTimer);
                _restartCount = 0;
                return true;
            default:
                ForwardToChild(message);
                return true;
        }
    }

    private void ForwardToChild(object message)
    {
        var sender = Cell.CurrentSenderOrNull;
        if (_child is not null) _child.Tell(message, sender);
        else Context.System.DeadLetters.Tell(new DeadLetter(message, sender, Self), sender);
    }

    /// <summary>True for a Terminated of any incarnation of our child (uids differ; the path is the same).</summary>
    private bool IsOurChild(IActorRef actor) => actor.Path.Equals(_childPath);

    private void StartChildNow()
    {
        if (_child is not null) throw new InvalidOperationException($"{Self.Path}: asked to start child {_options.ChildName} while {_child.Path} still runs");
        _child = Context.Watch(Context.ActorOf(_options.ChildProps, _options.ChildName));
        // The count goes back to 0 only if this incarnation keeps running for the whole reset interval: the timer is
        // cancelled when it stops.
        if (_options.ResetBackoff is { } reset && _restartCount > 0) Timers.StartSingleTimer(ResetTimer, ResetRestartCount.Instance, reset);
    }

    private void OnChildTerminated(IActorRef child)
    {
        if (ReferenceEquals(child, _stoppingForRestart))
        {
            _stoppingForRestart = null;
            ScheduleRestart();
            return;
        }
        // A Terminated of an earlier incarnation (watched by this actor before a restart of its own): nothing to do.
        if (!ReferenceEquals(child, _child)) return;
        _child = null;
        Timers.Cancel(ResetTimer);
        if (_options.Mode == BackoffMode.OnFailure)
        {
            _log.Info("child {0} stopped by itself (or by a Stop directive); stopping the backoff supervisor", child.Path);
            Context.Stop(Self);
            return;
        }
        if (RetriesExhausted())
        {
            GiveUp(child);
            return;
        }
        ScheduleRestart();
    }

    private void ScheduleRestart()
    {
        var random = _options.RandomFactor > 0.0 ? _random() : 0.0;
        var delay = CalculateDelay(_options, _restartCount, random);
        _restartCount++;
        _log.Info("child {0} is gone; starting it again in {1} (restart {2})", _childPath, delay, _restartCount);
        Timers.StartSingleTimer(StartChildTimer, StartChild.Instance, delay);
    }

    private bool RetriesExhausted() => _options.MaxNrOfRetries >= 0 && _restartCount >= _options.MaxNrOfRetries;

    private void GiveUp(IActorRef child)
    {
        _log.Warning("child {0} needs restart {1} but at most {2} are allowed; stopping the backoff supervisor",
            child.Path, _restartCount + 1, _options.MaxNrOfRetries);
        Context.Stop(Self);
    }

    /// <summary>
    /// OnFailure: runs inside the kernel's handling of the child's failure, on this actor, so it may change its state.
    /// A Restart becomes a Stop now and a start after the backoff; the other directives are kept.
    /// </summary>
    private Directive DecideOnFailure(Decider decider, Exception cause)
    {
        var directive = decider(cause);
        if (directive != Directive.Restart) return directive;
        // Only the current child can fail: a new one is started only after the previous one's Terminated.
        var child = _child ?? throw new InvalidOperationException($"{Self.Path}: a child failed while no child was running ({cause.GetType().Name}: {cause.Message})");
        Timers.Cancel(ResetTimer);
        if (RetriesExhausted())
        {
            // Stopping the supervisor stops the child as well; its Terminated is then never delivered.
            GiveUp(child);
            return Directive.Stop;
        }
        _child = null;
        _stoppingForRestart = child;
        return Directive.Stop;
    }

    private static Func<double> CreateRandom(BackoffOptions options, ActorSystem system)
    {
        if (options.RandomSeed is { } seed) return new DeterministicRandom(seed).NextDouble;
        // Under the simulation: one draw from the world's seeded source at creation (only when randomness is used), so
        // the run replays and the supervisor does not share a mutable source with anyone.
        if (system.Simulation is { } world)
            return options.RandomFactor > 0.0 ? new DeterministicRandom((long)world.Random.NextUInt64()).NextDouble : static () => 0.0;
        return Random.Shared.NextDouble;
    }
}
