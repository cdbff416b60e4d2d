using AkkaRaft.TestSupport.Simulation;
using Xunit.Abstractions;

namespace AkkaRaft.Raft.Tests.Simulation;

public class SmokeTests(ITestOutputHelper output)
{
    [Fact]
    public void Smoke()
    {
        var sw = System.Diagnostics.Stopwatch.StartNew();
        long events = 0;
        for (ulong seed = 1; seed <= 50; seed++)
        {
            foreach (var n in new[] { 3, 5 })
            {
                var h = new ListHistory();
                var r = new ClusterSimulation(seed, new SimulationOptions { Nodes = n }, h).Run();
                events += r.MessagesDelivered;
                if (seed <= 3) output.WriteLine($"seed {seed} n={n}: invoked {r.Invoked} completed {r.Completed} timedout {r.TimedOut} msgs {r.MessagesDelivered} elections {r.Elections} snaps {r.SnapshotsInstalled} vt {r.VirtualMs} faults {string.Join(",", r.Faults.Select(kv => kv.Key + "=" + kv.Value))}");
            }
        }
        output.WriteLine($"{sw.ElapsedMilliseconds} ms, {events} messages");
    }
}
