namespace AkkaRaft.Actors;

/// <summary>The message a timer sends; the kernel unwraps it, and drops it when its timer was cancelled or replaced.</summary>
internal sealed class TimerMessage(object key, long generation, object message, ActorTimers owner) : IAutoReceivedMessage
{
    public object Key { get; } = key;

    public long Generation { get; } = generation;

    public object Message { get; } = message;

    public ActorTimers Owner { get; } = owner;

    public override string ToString() => $"Timer({Key}: {Message})";
}

/// <summary>The kernel's <see cref="ITimerScheduler"/>, backed by the system scheduler (virtual time under the simulation).</summary>
internal sealed class ActorTimers(ActorCell cell) : ITimerScheduler
{
    private readonly Dictionary<object, Timer> _timers = [];
    private long _generation;

    public void StartSingleTimer(object key, object message, TimeSpan delay) => Start(key, message, delay, TimeSpan.Zero);

    public void StartPeriodicTimer(object key, object message, TimeSpan interval) => Start(key, message, interval, interval);

    public void StartPeriodicTimer(object key, object message, TimeSpan initialDelay, TimeSpan interval) => Start(key, message, initialDelay, interval);

    private void Start(object key, object message, TimeSpan delay, TimeSpan interval)
    {
        ArgumentNullException.ThrowIfNull(key);
        ArgumentNullException.ThrowIfNull(message);
        if (delay < TimeSpan.Zero) throw new ArgumentOutOfRangeException(nameof(delay), delay, "a timer delay cannot be negative");
        Cancel(key);
        var generation = ++_generation;
        var timerMessage = new TimerMessage(key, generation, message, this);
        var scheduler = cell.System.Scheduler;
        var task = interval > TimeSpan.Zero
            ? scheduler.ScheduleTellRepeatedly(delay, interval, cell.Self, timerMessage, null)
            : scheduler.ScheduleTellOnce(delay, cell.Self, timerMessage, null);
        _timers[key] = new Timer(message, interval > TimeSpan.Zero, generation, task);
    }

    public bool IsTimerActive(object key) => _timers.ContainsKey(key ?? throw new ArgumentNullException(nameof(key)));

    public void Cancel(object key)
    {
        ArgumentNullException.ThrowIfNull(key);
        if (_timers.Remove(key, out var timer)) timer.Task.Cancel();
    }

    public void CancelAll()
    {
        foreach (var timer in _timers.Values) timer.Task.Cancel();
        _timers.Clear();
    }

    /// <summary>The message to deliver for <paramref name="message"/>, or null when its timer is no longer current.</summary>
    internal object? Intercept(TimerMessage message)
    {
        if (!ReferenceEquals(message.Owner, this)) return null;
        if (!_timers.TryGetValue(message.Key, out var timer) || timer.Generation != message.Generation) return null;
        if (!timer.Repeat) _timers.Remove(message.Key);
        return timer.Message;
    }

    private sealed record Timer(object Message, bool Repeat, long Generation, ICancelable Task);
}
