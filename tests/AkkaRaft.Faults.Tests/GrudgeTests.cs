using AkkaRaft.Faults.Network;

namespace AkkaRaft.Faults.Tests;

public sealed class GrudgeTests
{
    private static string Address(int node) => $"10.77.0.{node}";

    [Fact]
    public void A_partition_cuts_both_ways_between_components_and_never_inside_one()
    {
        var grudge = Grudge.Partition([1], [2, 3]);
        Assert.True(grudge.Cuts(1, 2));
        Assert.True(grudge.Cuts(2, 1));
        Assert.True(grudge.Cuts(3, 1));
        Assert.False(grudge.Cuts(2, 3));
        Assert.Equal(4, grudge.Drops.Count);
    }

    [Fact]
    public void A_bridge_node_hears_and_is_heard_by_both_halves()
    {
        var grudge = Grudge.Bridge([1, 2], 3, [4, 5]);
        Assert.True(grudge.Cuts(1, 4));
        Assert.True(grudge.Cuts(5, 2));
        Assert.DoesNotContain(grudge.Drops, d => d.At == 3 || d.From == 3);
    }

    [Fact]
    public void A_one_way_cut_drops_only_what_the_deaf_node_receives()
    {
        var grudge = Grudge.OneWay(2, [1, 2, 3]);
        Assert.True(grudge.Cuts(2, 1));
        Assert.True(grudge.Cuts(2, 3));
        Assert.False(grudge.Cuts(1, 2));
        Assert.False(grudge.Cuts(3, 2));
    }

    [Fact]
    public void Rules_replace_the_whole_filter_table_with_one_input_drop_per_sender()
    {
        var rules = Grudge.Partition([1], [2, 3]).RulesFor(1, Address);
        Assert.Equal(
            "*filter\n:INPUT ACCEPT [0:0]\n:FORWARD ACCEPT [0:0]\n:OUTPUT ACCEPT [0:0]\n" +
            "-A INPUT -s 10.77.0.2/32 -j DROP\n-A INPUT -s 10.77.0.3/32 -j DROP\nCOMMIT\n",
            rules);
        Assert.Equal("*filter\n:INPUT ACCEPT [0:0]\n:FORWARD ACCEPT [0:0]\n:OUTPUT ACCEPT [0:0]\nCOMMIT\n", Grudge.None.RulesFor(1, Address));
    }

    [Fact]
    public void Loss_drops_a_random_share_with_the_statistic_match()
    {
        var grudge = Grudge.Loss(3, 0.25);
        Assert.Equal(6, grudge.Drops.Count);
        Assert.False(grudge.Cuts(1, 2));
        Assert.Contains("-A INPUT -s 10.77.0.3/32 -m statistic --mode random --probability 0.25 -j DROP\n", grudge.RulesFor(2, Address));
        Assert.Throws<ArgumentOutOfRangeException>(() => Grudge.Loss(3, 0));
    }
}
