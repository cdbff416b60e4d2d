using System.Globalization;
using AkkaRaft.Faults.Network;

namespace AkkaRaft.Faults.Tests;

/// <summary>
/// The proxy's routes in real namespaces (root, <c>ip netns</c>, iptables, like the short schedule): they are installed
/// and removed, and never coexist with a partition, whose <c>INPUT -s</c> rules would not match proxied connections.
/// </summary>
[Collection(FaultRunCollection.Name)]
[Trait("Category", "Faults")]
public sealed class LinkRoutingTests
{
    [Fact]
    public void Proxied_links_and_a_partition_are_refused_together_and_a_heal_routes_every_link_directly()
    {
        using var log = new StringWriter(CultureInfo.InvariantCulture);
        using var lab = NetworkLab.Create(3, log, TimeSpan.FromMinutes(10));
        lab.RouteThroughProxy([new Link(1, 2)], node => 40000 + node);
        Assert.Contains("--to-destination 10.77.0.254:40002", NatTable(1));
        Assert.Contains("--to-destination 10.77.0.254:40001", NatTable(2));
        Assert.DoesNotContain("DNAT", NatTable(3));

        var refused = Assert.Throws<InvalidOperationException>(() => lab.Apply(Grudge.Partition([1], [2, 3])));
        Assert.Contains("INPUT -s", refused.Message);

        lab.RouteDirect();
        Assert.Empty(lab.Proxied);
        Assert.DoesNotContain("DNAT", NatTable(1));
        Assert.DoesNotContain("DNAT", NatTable(2));

        lab.Apply(Grudge.Partition([1], [2, 3]));
        Assert.Throws<InvalidOperationException>(() => lab.RouteThroughProxy([new Link(1, 3)], node => 40000 + node));
        lab.Apply(Grudge.None);
    }

    private static string NatTable(int node) => Commands.Check("ip", ["netns", "exec", NetworkLab.NamespaceOf(node), "iptables", "-t", "nat", "-S", "OUTPUT"]);
}
