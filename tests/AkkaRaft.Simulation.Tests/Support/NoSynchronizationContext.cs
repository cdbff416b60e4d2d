namespace AkkaRaft.Simulation.Tests.Support;

/// <summary>
/// Clears the test thread's synchronization context for a simulated run. With xunit's context in place, .NET does
/// not run task continuations inline when a simulated disk completes a write: it queues them to the thread pool,
/// and the run would depend on real timing. Without it every continuation runs on the simulation thread, in order.
/// </summary>
public readonly struct NoSynchronizationContext : IDisposable
{
    private readonly SynchronizationContext? _previous;

    private NoSynchronizationContext(SynchronizationContext? previous) => _previous = previous;

    /// <summary>Clears the context until the returned value is disposed.</summary>
    public static NoSynchronizationContext Enter()
    {
        var previous = SynchronizationContext.Current;
        SynchronizationContext.SetSynchronizationContext(null);
        return new NoSynchronizationContext(previous);
    }

    /// <summary>Restores the previous context.</summary>
    public void Dispose() => SynchronizationContext.SetSynchronizationContext(_previous);
}
