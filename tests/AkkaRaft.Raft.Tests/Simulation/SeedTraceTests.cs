using AkkaRaft.TestSupport.Simulation;
using Xunit.Abstractions;

namespace AkkaRaft.Raft.Tests.Simulation;

/// <summary>Reruns one seed with a trace (AKKARAFT_SIM_TRACE_SEED, AKKARAFT_SIM_TRACE_NODES); does nothing otherwise.</summary>
public class SeedTraceTests(ITestOutputHelper output)
{
    [Fact(DisplayName = "Simulation: the same seed replays the same history")]
    public void Same_seed_replays_the_same_history()
    {
        var first = new ListHistory();
        var second = new ListHistory();
        new ClusterSimulation(42, new SimulationOptions { Nodes = 5 }, first).Run();
        new ClusterSimulation(42, new SimulationOptions { Nodes = 5 }, second).Run();
        Assert.Equal(first.Events, second.Events);
        Assert.True(first.Events.Count >= 400, $"{first.Events.Count} events");
    }

    [Fact(DisplayName = "Simulation: tracing a seed given by AKKARAFT_SIM_TRACE_SEED")]
    public void Trace_a_seed_from_the_environment()
    {
        var seed = Environment.GetEnvironmentVariable("AKKARAFT_SIM_TRACE_SEED");
        if (string.IsNullOrEmpty(seed)) return;
        var nodes = int.Parse(Environment.GetEnvironmentVariable("AKKARAFT_SIM_TRACE_NODES") ?? "3", System.Globalization.CultureInfo.InvariantCulture);
        var lines = new List<string>();
        try
        {
            new ClusterSimulation(ulong.Parse(seed, System.Globalization.CultureInfo.InvariantCulture), RandomizedSimulationTests.Options(nodes) with { Trace = lines.Add }, new ListHistory()).Run();
        }
        finally
        {
            File.WriteAllLines(Path.Combine(Path.GetTempPath(), $"akkaraft-sim-{seed}.trace"), lines);
            output.WriteLine($"trace: {Path.Combine(Path.GetTempPath(), $"akkaraft-sim-{seed}.trace")}");
        }
    }
}
