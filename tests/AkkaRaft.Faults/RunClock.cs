using System.Diagnostics;
using System.Globalization;

namespace AkkaRaft.Faults;

/// <summary>
/// The one clock of a run: the history's times (microseconds since the start) and the nemesis log's timestamps come
/// from it, so that a fault in the log can be placed among the operations of the history.
/// </summary>
internal sealed class RunClock
{
    private readonly Stopwatch _watch = Stopwatch.StartNew();

    /// <summary>When the run started (UTC).</summary>
    public DateTime StartedUtc { get; } = DateTime.UtcNow;

    /// <summary>Time since the start.</summary>
    public TimeSpan Elapsed => _watch.Elapsed;

    /// <summary>Microseconds since the start: the history's unit of time.</summary>
    public long Micros => _watch.ElapsedTicks * 1_000_000 / Stopwatch.Frequency;

    /// <summary>A log prefix: seconds since the start and the UTC time, e.g. <c>[  12.345s 10:31:07.123Z]</c>.</summary>
    public string Stamp() => $"[{Elapsed.TotalSeconds,8:0.000}s {DateTime.UtcNow.ToString("HH:mm:ss.fff", CultureInfo.InvariantCulture)}Z]";

    /// <summary>Waits until <paramref name="at"/> since the start (at once when it has passed).</summary>
    public Task DelayUntilAsync(TimeSpan at, CancellationToken cancellationToken)
    {
        var wait = at - Elapsed;
        return wait > TimeSpan.Zero ? Task.Delay(wait, cancellationToken) : Task.CompletedTask;
    }
}
