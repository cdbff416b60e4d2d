using System.Diagnostics;

namespace AkkaRaft.Actors;

/// <summary>
/// The only source of time for actors. The default reads the machine's clocks; the simulation replaces it with virtual
/// time, so actors never read <see cref="DateTime.UtcNow"/> or a stopwatch themselves.
/// </summary>
public interface IClock
{
    /// <summary>The current wall-clock time (virtual under the simulation).</summary>
    DateTimeOffset UtcNow { get; }

    /// <summary>Monotonic time since the clock started; use it to measure durations.</summary>
    TimeSpan Elapsed { get; }
}

/// <summary>The machine's clocks: <see cref="DateTimeOffset.UtcNow"/> and a <see cref="Stopwatch"/>.</summary>
public sealed class SystemClock : IClock
{
    private readonly long _start = Stopwatch.GetTimestamp();

    /// <inheritdoc />
    public DateTimeOffset UtcNow => DateTimeOffset.UtcNow;

    /// <inheritdoc />
    public TimeSpan Elapsed => Stopwatch.GetElapsedTime(_start);
}

/// <summary>A handle to cancel something scheduled.</summary>
public interface ICancelable
{
    /// <summary>True once <see cref="Cancel"/> was called.</summary>
    bool IsCancellationRequested { get; }

    /// <summary>Cancels; harmless when already cancelled or done.</summary>
    void Cancel();
}

/// <summary>
/// Runs things later, in the time of the system's <see cref="Clock"/>. Actions run on the scheduler's own thread (or the
/// simulation thread) and must be short: tell a message to an actor rather than working there.
/// </summary>
public interface IScheduler
{
    /// <summary>The clock the scheduler's delays are measured with.</summary>
    IClock Clock { get; }

    /// <summary>Tells <paramref name="message"/> to <paramref name="receiver"/> once after <paramref name="delay"/>.</summary>
    ICancelable ScheduleTellOnce(TimeSpan delay, IActorRef receiver, object message, IActorRef? sender);

    /// <summary>Tells <paramref name="message"/> every <paramref name="interval"/>, first after <paramref name="initialDelay"/>.</summary>
    ICancelable ScheduleTellRepeatedly(TimeSpan initialDelay, TimeSpan interval, IActorRef receiver, object message, IActorRef? sender);

    /// <summary>Runs <paramref name="action"/> once after <paramref name="delay"/>.</summary>
    ICancelable ScheduleOnce(TimeSpan delay, Action action);

    /// <summary>Runs <paramref name="action"/> every <paramref name="interval"/>, first after <paramref name="initialDelay"/>.</summary>
    ICancelable ScheduleRepeatedly(TimeSpan initialDelay, TimeSpan interval, Action action);
}

/// <summary>One scheduled item; also its cancel handle.</summary>
internal sealed class ScheduledItem : ICancelable
{
    private volatile bool _cancelled;

    public ScheduledItem(TimeSpan due, TimeSpan interval, Action? action, IActorRef? receiver, object? message, IActorRef? sender)
    {
        Due = due;
        Interval = interval;
        Action = action;
        Receiver = receiver;
        Message = message;
        Sender = sender;
    }

    public TimeSpan Due { get; set; }

    public TimeSpan Interval { get; }

    public Action? Action { get; }

    public IActorRef? Receiver { get; }

    public object? Message { get; }

    public IActorRef? Sender { get; }

    public bool IsCancellationRequested => _cancelled;

    public void Cancel() => _cancelled = true;

    /// <summary>Runs the item; returns true when it repeats (and <see cref="Due"/> moved to the next time).</summary>
    public bool Fire()
    {
        if (_cancelled) return false;
        if (Action is not null) Action();
        else Receiver!.Tell(Message!, Sender);
        if (Interval <= TimeSpan.Zero || _cancelled) return false;
        Due += Interval;
        return true;
    }
}

/// <summary>Shared argument checks and item creation for the schedulers.</summary>
internal abstract class SchedulerBase : IScheduler
{
    /// <summary>The longest delay accepted; longer ones are almost certainly mistakes (and would overflow the clock).</summary>
    public static readonly TimeSpan MaxDelay = TimeSpan.FromDays(365);

    public abstract IClock Clock { get; }

    protected abstract void Add(ScheduledItem item);

    public ICancelable ScheduleTellOnce(TimeSpan delay, IActorRef receiver, object message, IActorRef? sender)
    {
        ArgumentNullException.ThrowIfNull(receiver);
        ArgumentNullException.ThrowIfNull(message);
        return Schedule(delay, TimeSpan.Zero, null, receiver, message, sender);
    }

    public ICancelable ScheduleTellRepeatedly(TimeSpan initialDelay, TimeSpan interval, IActorRef receiver, object message, IActorRef? sender)
    {
        ArgumentNullException.ThrowIfNull(receiver);
        ArgumentNullException.ThrowIfNull(message);
        CheckInterval(interval);
        return Schedule(initialDelay, interval, null, receiver, message, sender);
    }

    public ICancelable ScheduleOnce(TimeSpan delay, Action action)
    {
        ArgumentNullException.ThrowIfNull(action);
        return Schedule(delay, TimeSpan.Zero, action, null, null, null);
    }

    public ICancelable ScheduleRepeatedly(TimeSpan initialDelay, TimeSpan interval, Action action)
    {
        ArgumentNullException.ThrowIfNull(action);
        CheckInterval(interval);
        return Schedule(initialDelay, interval, action, null, null, null);
    }

    private static void CheckInterval(TimeSpan interval)
    {
        if (interval <= TimeSpan.Zero) throw new ArgumentOutOfRangeException(nameof(interval), interval, "a repeat interval must be positive");
        if (interval > MaxDelay) throw new ArgumentOutOfRangeException(nameof(interval), interval, $"a repeat interval is at most {MaxDelay.TotalDays} days");
    }

    private ScheduledItem Schedule(TimeSpan delay, TimeSpan interval, Action? action, IActorRef? receiver, object? message, IActorRef? sender)
    {
        if (delay < TimeSpan.Zero) throw new ArgumentOutOfRangeException(nameof(delay), delay, "a delay cannot be negative");
        if (delay > MaxDelay) throw new ArgumentOutOfRangeException(nameof(delay), delay, $"a delay is at most {MaxDelay.TotalDays} days");
        var item = new ScheduledItem(Clock.Elapsed + delay, interval, action, receiver, message, sender);
        Add(item);
        return item;
    }
}

/// <summary>
/// The scheduler of a real actor system: one dedicated thread sleeping until the earliest due item. Items due at the same
/// time fire in the order they were scheduled.
/// </summary>
internal sealed class DedicatedThreadScheduler : SchedulerBase, IDisposable
{
    private readonly PriorityQueue<ScheduledItem, (TimeSpan Due, long Seq)> _queue = new();
    private readonly object _gate = new();
    private readonly Thread _thread;
    private readonly Action<Exception> _onError;
    private long _seq;
    private bool _stopped;

    public DedicatedThreadScheduler(IClock clock, string systemName, Action<Exception> onError)
    {
        Clock = clock;
        _onError = onError;
        _thread = new Thread(Loop) { IsBackground = true, Name = $"akkaraft-scheduler-{systemName}" };
        _thread.Start();
    }

    public override IClock Clock { get; }

    protected override void Add(ScheduledItem item)
    {
        lock (_gate)
        {
            if (_stopped) return;
            _queue.Enqueue(item, (item.Due, _seq++));
            Monitor.Pulse(_gate);
        }
    }

    private void Loop()
    {
        var due = new List<ScheduledItem>();
        while (true)
        {
            lock (_gate)
            {
                while (!_stopped)
                {
                    if (_queue.TryPeek(out _, out var head))
                    {
                        var wait = head.Due - Clock.Elapsed;
                        if (wait <= TimeSpan.Zero) break;
                        // Monitor.Wait takes at most int.MaxValue ms; waking up hourly to look again costs nothing.
                        Monitor.Wait(_gate, TimeSpan.FromTicks(Math.Clamp(wait.Ticks, TimeSpan.TicksPerMillisecond, TimeSpan.TicksPerHour)));
                    }
                    else
                    {
                        Monitor.Wait(_gate);
                    }
                }
                if (_stopped) return;
                var now = Clock.Elapsed;
                while (_queue.TryPeek(out var item, out var key) && key.Due <= now)
                {
                    _queue.Dequeue();
                    due.Add(item);
                }
            }
            foreach (var item in due)
            {
                try
                {
                    if (item.Fire()) Add(item);
                }
                catch (Exception e)
                {
                    _onError(e);
                }
            }
            due.Clear();
        }
    }

    public void Dispose()
    {
        lock (_gate)
        {
            _stopped = true;
            _queue.Clear();
            Monitor.Pulse(_gate);
        }
    }
}
