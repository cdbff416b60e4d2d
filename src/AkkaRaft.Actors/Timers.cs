namespace AkkaRaft.Actors;

/// <summary>Marks an actor with timers; the kernel sets <see cref="Timers"/> right after construction.</summary>
public interface IWithTimers
{
    /// <summary>The timers of this actor (set by the kernel). They are cancelled when the actor restarts or stops.</summary>
    ITimerScheduler Timers { get; set; }
}

/// <summary>
/// Timers that send a message to the actor itself, keyed: starting a timer with a key already in use replaces it, and a
/// cancelled timer's message is never delivered, even if it was already queued. Time is the system's clock (virtual under
/// the simulation). Use only from the actor's own message handling.
/// </summary>
public interface ITimerScheduler
{
    /// <summary>Sends <paramref name="message"/> once after <paramref name="delay"/>.</summary>
    void StartSingleTimer(object key, object message, TimeSpan delay);

    /// <summary>Sends <paramref name="message"/> every <paramref name="interval"/>, first after <paramref name="interval"/>.</summary>
    void StartPeriodicTimer(object key, object message, TimeSpan interval);

    /// <summary>Sends <paramref name="message"/> every <paramref name="interval"/>, first after <paramref name="initialDelay"/>.</summary>
    void StartPeriodicTimer(object key, object message, TimeSpan initialDelay, TimeSpan interval);

    /// <summary>True when a timer with <paramref name="key"/> is active.</summary>
    bool IsTimerActive(object key);

    /// <summary>Cancels the timer with <paramref name="key"/>, if any.</summary>
    void Cancel(object key);

    /// <summary>Cancels every timer.</summary>
    void CancelAll();
}
