using AkkaRaft.Actors.Dispatch;

namespace AkkaRaft.Actors.Simulation;

/// <summary>The settings of a simulated world.</summary>
public sealed record SimulationSettings
{
    /// <summary>The defaults.</summary>
    public static SimulationSettings Default { get; } = new();

    /// <summary>The most messages one <see cref="SimulationWorld.RunUntilIdle"/> may process before it reports a livelock.</summary>
    public int MaxMessagesPerRun { get; init; } = 10_000_000;

    /// <summary>The wall-clock time the virtual clock starts at.</summary>
    public DateTimeOffset Epoch { get; init; } = new(2026, 1, 1, 0, 0, 0, TimeSpan.Zero);

    /// <summary>Reads <c>akkaraft.actor.simulation</c>, given as its own config; missing keys take the defaults.</summary>
    /// <exception cref="AkkaRaft.Configuration.ConfigException">A setting has the wrong type or is out of range.</exception>
    public static SimulationSettings FromConfig(AkkaRaft.Configuration.Config section)
    {
        ArgumentNullException.ThrowIfNull(section);
        var max = section.GetInt("max-messages-per-run", Default.MaxMessagesPerRun);
        if (max < 1) throw new AkkaRaft.Configuration.ConfigException($"akkaraft.actor.simulation.max-messages-per-run must be at least 1 (got {max})", section.GetOrigin("max-messages-per-run"));
        return Default with { MaxMessagesPerRun = max };
    }
}

/// <summary>One delivered message in a simulation's trace.</summary>
/// <param name="Step">The number of the delivery, from 1.</param>
/// <param name="Time">The virtual time of the delivery.</param>
/// <param name="Recipient">The actor receiving it.</param>
/// <param name="Message">The message.</param>
/// <param name="Sender">Its sender, or null.</param>
public readonly record struct SimulationTraceEntry(long Step, TimeSpan Time, IActorRef Recipient, object Message, IActorRef? Sender);

/// <summary>A simulated run exceeded <see cref="SimulationSettings.MaxMessagesPerRun"/> without becoming idle.</summary>
public sealed class SimulationLivelockException(string message) : InvalidOperationException(message);

/// <summary>
/// A deterministic world for one or more actor systems, run by the single thread that calls its <c>Run*</c> methods:
/// virtual time that moves only in <see cref="Advance"/>/<see cref="RunFor"/>/<see cref="RunUntil"/>, timers fired in
/// virtual time, and a seeded choice of which runnable mailbox goes next. The same seed and the same inputs give the
/// same trace, bit for bit.
/// </summary>
/// <remarks>
/// Not thread-safe except for telling messages: drive it from one thread. Messages told from other threads (for example
/// by I/O completions) are accepted but make a run depend on real timing.
/// </remarks>
public sealed class SimulationWorld
{
    private readonly object _gate = new();
    private readonly List<Mailbox> _runnable = [];
    private readonly DeterministicRandom _schedulingRandom;
    private readonly VirtualScheduler _scheduler;
    private readonly List<ActorSystem> _systems = [];
    private long _nowTicks;
    private long _steps;

    /// <summary>Creates a world for <paramref name="seed"/>.</summary>
    public SimulationWorld(int seed, SimulationSettings? settings = null)
    {
        Seed = seed;
        Settings = settings ?? SimulationSettings.Default;
        if (Settings.MaxMessagesPerRun < 1) throw new ArgumentOutOfRangeException(nameof(settings), Settings.MaxMessagesPerRun, "akkaraft.actor.simulation.max-messages-per-run must be at least 1");
        _schedulingRandom = new DeterministicRandom(seed);
        Random = new DeterministicRandom(unchecked(seed * 0x5851F42D4C957F2DL + 0x14057B7EF767814FL));
        Clock = new VirtualClock(this);
        _scheduler = new VirtualScheduler(Clock);
        Scheduler = _scheduler;
    }

    /// <summary>The seed; print it when a test fails so the run can be replayed.</summary>
    public int Seed { get; }

    /// <summary>The settings.</summary>
    public SimulationSettings Settings { get; }

    /// <summary>A seeded random source for code that simulates the environment (network faults, crash points).</summary>
    public DeterministicRandom Random { get; }

    /// <summary>The virtual clock.</summary>
    public IClock Clock { get; }

    /// <summary>The virtual-time scheduler shared by the world's systems.</summary>
    public IScheduler Scheduler { get; }

    /// <summary>Virtual time elapsed since the world started.</summary>
    public TimeSpan Now => TimeSpan.FromTicks(Volatile.Read(ref _nowTicks));

    /// <summary>How many user messages were delivered so far.</summary>
    public long Steps => _steps;

    /// <summary>Called for every delivered user message, before the actor handles it; null for no trace.</summary>
    public Action<SimulationTraceEntry>? Tracer { get; set; }

    /// <summary>The systems created in this world.</summary>
    public IReadOnlyList<ActorSystem> Systems => _systems;

    /// <summary>Creates an actor system that runs in this world.</summary>
    public ActorSystem CreateSystem(string name, ActorSystemSettings? settings = null)
    {
        var system = ActorSystem.CreateSimulated(name, settings ?? ActorSystemSettings.Default, this);
        _systems.Add(system);
        return system;
    }

    /// <summary>Creates an actor system in this world with the <c>akkaraft.actor</c> section of <paramref name="config"/> (the full configuration).</summary>
    /// <exception cref="AkkaRaft.Configuration.ConfigException">A setting has the wrong type or is out of range.</exception>
    public ActorSystem CreateSystem(string name, AkkaRaft.Configuration.Config config)
    {
        ArgumentNullException.ThrowIfNull(config);
        return CreateSystem(name, ActorSystemSettings.FromConfig(config.GetConfig(ActorSystemSettings.SectionPath)));
    }

    /// <summary>Processes messages, one runnable mailbox at a time in seeded order, until none is runnable. Time does not move.</summary>
    /// <returns>The number of messages delivered.</returns>
    /// <exception cref="SimulationLivelockException">More than <see cref="SimulationSettings.MaxMessagesPerRun"/> messages.</exception>
    public int RunUntilIdle()
    {
        var start = _steps;
        var runs = 0L;
        while (true)
        {
            Mailbox mailbox;
            lock (_gate)
            {
                var count = _runnable.Count;
                if (count == 0) break;
                var index = _schedulingRandom.NextInt(count);
                mailbox = _runnable[index];
                _runnable[index] = _runnable[count - 1];
                _runnable.RemoveAt(count - 1);
            }
            mailbox.Run();
            // Mailbox turns are counted too, so that a loop of system messages alone cannot spin forever either.
            if (_steps - start > Settings.MaxMessagesPerRun || ++runs > 2L * Settings.MaxMessagesPerRun)
                throw new SimulationLivelockException($"seed {Seed}: more than {Settings.MaxMessagesPerRun} messages without becoming idle at virtual time {Now} (akkaraft.actor.simulation.max-messages-per-run)");
        }
        return (int)(_steps - start);
    }

    /// <summary>
    /// Moves virtual time forward by <paramref name="duration"/>: pending work runs first, then each timer that falls due
    /// fires at its own instant, followed by the work it causes; the clock ends at the old time plus the duration.
    /// </summary>
    public void Advance(TimeSpan duration)
    {
        if (duration < TimeSpan.Zero) throw new ArgumentOutOfRangeException(nameof(duration), duration, "virtual time only moves forward");
        var target = Now + duration;
        RunUntilIdle();
        while (_scheduler.TryPeekDue(out var due) && due <= target)
        {
            FireNext(due);
            RunUntilIdle();
        }
        SetNow(target);
    }

    /// <summary>Runs the world for <paramref name="duration"/> of virtual time (like <see cref="Advance"/>) and returns the messages delivered.</summary>
    public long RunFor(TimeSpan duration)
    {
        var start = _steps;
        Advance(duration);
        return _steps - start;
    }

    /// <summary>
    /// Runs until <paramref name="condition"/> holds (checked whenever the world is idle), moving virtual time from timer
    /// to timer, for at most <paramref name="timeout"/> of virtual time. True when the condition held.
    /// </summary>
    public bool RunUntil(Func<bool> condition, TimeSpan timeout)
    {
        ArgumentNullException.ThrowIfNull(condition);
        var deadline = Now + timeout;
        while (true)
        {
            RunUntilIdle();
            if (condition()) return true;
            if (!_scheduler.TryPeekDue(out var due) || due > deadline)
            {
                if (deadline > Now) SetNow(deadline);
                RunUntilIdle();
                return condition();
            }
            FireNext(due);
        }
    }

    /// <summary>Runs until <paramref name="task"/> completes or <paramref name="timeout"/> of virtual time passed; true when it completed.</summary>
    public bool RunUntilCompleted(Task task, TimeSpan timeout)
    {
        ArgumentNullException.ThrowIfNull(task);
        return RunUntil(() => task.IsCompleted, timeout);
    }

    private void FireNext(TimeSpan due)
    {
        if (due > Now) SetNow(due);
        _scheduler.FireNext();
    }

    private void SetNow(TimeSpan now) => Volatile.Write(ref _nowTicks, now.Ticks);

    internal long NextSystemUid() => (long)(Random.NextUInt64() >> 1) | 1;

    internal MessageDispatcher CreateDispatcher(string id, int throughput) => new SimulationDispatcher(this, id, throughput);

    private void Enqueue(Mailbox mailbox)
    {
        lock (_gate) _runnable.Add(mailbox);
    }

    private void OnDeliver(IActorRef recipient, object message, IActorRef? sender)
    {
        _steps++;
        Tracer?.Invoke(new SimulationTraceEntry(_steps, Now, recipient, message, sender));
    }

    private sealed class SimulationDispatcher : MessageDispatcher
    {
        private readonly SimulationWorld _world;
        private readonly Action<IActorRef, object, IActorRef?> _tracer;

        public SimulationDispatcher(SimulationWorld world, string id, int throughput) : base(id, throughput)
        {
            _world = world;
            _tracer = world.OnDeliver;
        }

        public override Action<IActorRef, object, IActorRef?>? Tracer => _tracer;

        public override void Execute(Mailbox mailbox) => _world.Enqueue(mailbox);
    }

    private sealed class VirtualClock(SimulationWorld world) : IClock
    {
        public DateTimeOffset UtcNow => world.Settings.Epoch + world.Now;

        public TimeSpan Elapsed => world.Now;
    }

    /// <summary>Timers in virtual time, ordered by due time and then by the order they were scheduled.</summary>
    private sealed class VirtualScheduler(IClock clock) : SchedulerBase
    {
        private readonly PriorityQueue<ScheduledItem, (TimeSpan Due, long Seq)> _queue = new();
        private readonly object _gate = new();
        private long _seq;

        public override IClock Clock { get; } = clock;

        protected override void Add(ScheduledItem item)
        {
            lock (_gate) _queue.Enqueue(item, (item.Due, _seq++));
        }

        public bool TryPeekDue(out TimeSpan due)
        {
            lock (_gate)
            {
                while (_queue.TryPeek(out var item, out var key))
                {
                    if (!item.IsCancellationRequested)
                    {
                        due = key.Due;
                        return true;
                    }
                    _queue.Dequeue();
                }
            }
            due = default;
            return false;
        }

        public void FireNext()
        {
            ScheduledItem item;
            lock (_gate)
            {
                if (!_queue.TryDequeue(out item!, out _)) return;
            }
            if (item.Fire()) Add(item);
        }
    }
}
