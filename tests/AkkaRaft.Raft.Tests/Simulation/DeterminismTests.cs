using AkkaRaft.TestSupport.Simulation;

namespace AkkaRaft.Raft.Tests.Simulation;

/// <summary>Determinism of the simulation: a seed is a complete description of a run.</summary>
public class DeterminismTests
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
}
