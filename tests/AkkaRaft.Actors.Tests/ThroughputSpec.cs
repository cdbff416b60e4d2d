using AkkaRaft.Actors;
using AkkaRaft.Actors.Simulation;

namespace AkkaRaft.Actors.Tests;

public sealed class ThroughputSpec
{
    private sealed class Sink : ReceiveActor
    {
        public Sink() => ReceiveAny(_ => { });
    }

    private static List<string> DeliveryOrder(int throughput)
    {
        var world = new SimulationWorld(99);
        var order = new List<string>();
        world.Tracer = e => order.Add(e.Recipient.Path.Name);
        var system = world.CreateSystem("t", ActorSystemSettings.Default with { SimulationThroughput = throughput });
        var a = system.ActorOf(Props.Create(() => new Sink()), "a");
        var b = system.ActorOf(Props.Create(() => new Sink()), "b");
        world.RunUntilIdle();
        for (var i = 0; i < 10; i++)
        {
            a.Tell(i, null);
            b.Tell(i, null);
        }
        world.RunUntilIdle();
        return order;
    }

    [Fact]
    public void An_actor_processes_up_to_throughput_messages_per_turn()
    {
        var order = DeliveryOrder(throughput: 10);
        // Each actor got one turn for all of its ten messages.
        Assert.Equal(20, order.Count);
        Assert.Single(order.Take(10).Distinct());
        Assert.Single(order.Skip(10).Distinct());
    }

    [Fact]
    public void With_a_throughput_of_one_the_simulation_interleaves_actors()
    {
        var order = DeliveryOrder(throughput: 1);
        Assert.Equal(20, order.Count);
        var switches = order.Zip(order.Skip(1)).Count(p => p.First != p.Second);
        Assert.True(switches > 1, $"expected interleaving, got {string.Join(",", order)}");
    }
}
