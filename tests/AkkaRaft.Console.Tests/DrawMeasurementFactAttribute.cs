namespace AkkaRaft.Console.Tests;

/// <summary>
/// A measurement, not a check: runs only when <c>AKKARAFT_CONSOLE_DRAW_RUNS</c> names how many draws to time (CI leaves
/// it unset, so its figure never gates a build; docs/BENCHMARKS.md has the command and the figures).
/// </summary>
public sealed class DrawMeasurementFactAttribute : FactAttribute
{
    /// <summary>The environment variable that turns the measurement on: how many draws to time.</summary>
    public const string Variable = "AKKARAFT_CONSOLE_DRAW_RUNS";

    public DrawMeasurementFactAttribute()
    {
        if (string.IsNullOrEmpty(Environment.GetEnvironmentVariable(Variable)))
            Skip = $"a measurement: set {Variable} (such as 5) to time that many draws of 100,000 points";
    }
}
