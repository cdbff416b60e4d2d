namespace AkkaRaft.Actors.Pattern;

public sealed partial class BackoffSupervisor
{
    /// <summary>Asks the supervisor for its current child; it answers <see cref="CurrentChild"/> to the sender.</summary>
    public sealed class GetCurrentChild
    {
        private GetCurrentChild() { }

        /// <summary>The single instance.</summary>
        public static GetCurrentChild Instance { get; } = new();

        /// <inheritdoc />
        public override string ToString() => "GetCurrentChild";
    }

    /// <summary>The answer to <see cref="GetCurrentChild"/>.</summary>
    /// <param name="Ref">The running child, or null while the supervisor waits out a backoff.</param>
    public sealed record CurrentChild(IActorRef? Ref);

    /// <summary>Asks the supervisor for its restart count; it answers <see cref="RestartCount"/> to the sender.</summary>
    public sealed class GetRestartCount
    {
        private GetRestartCount() { }

        /// <summary>The single instance.</summary>
        public static GetRestartCount Instance { get; } = new();

        /// <inheritdoc />
        public override string ToString() => "GetRestartCount";
    }

    /// <summary>The answer to <see cref="GetRestartCount"/>.</summary>
    /// <param name="Count">The restarts since the last reset (the n of the next delay, <c>MinBackoff * 2^n</c>).</param>
    public sealed record RestartCount(int Count);

    /// <summary>
    /// Sets the restart count back to 0, so the next restart waits <see cref="BackoffOptions.MinBackoff"/>. The way to
    /// reset under <see cref="BackoffOptions.WithManualReset"/>; accepted under auto reset too. A restart already
    /// scheduled keeps its delay.
    /// </summary>
    public sealed class Reset
    {
        private Reset() { }

        /// <summary>The single instance.</summary>
        public static Reset Instance { get; } = new();

        /// <inheritdoc />
        public override string ToString() => "BackoffSupervisor.Reset";
    }

    /// <summary>The backoff timer's message: start the child.</summary>
    private sealed class StartChild
    {
        private StartChild() { }

        public static StartChild Instance { get; } = new();

        public override string ToString() => "BackoffSupervisor.StartChild";
    }

    /// <summary>The auto-reset timer's message: the child has run long enough, set the count back to 0.</summary>
    private sealed class ResetRestartCount
    {
        private ResetRestartCount() { }

        public static ResetRestartCount Instance { get; } = new();

        public override string ToString() => "BackoffSupervisor.ResetRestartCount";
    }
}
