using AkkaRaft.Faults.Nemesis;
using AkkaRaft.Faults.Network;

namespace AkkaRaft.Faults.Tests;

public sealed class LinkRoutesTests
{
    private static string Address(int node) => $"10.77.0.{node}";

    private static int ProxyPort(int node) => 40000 + node;

    [Fact]
    public void Both_ends_of_a_proxied_link_send_new_connections_to_the_proxys_port_for_the_other_end()
    {
        Link[] links = [new(3, 1)];
        const string header = "*nat\n:PREROUTING ACCEPT [0:0]\n:INPUT ACCEPT [0:0]\n:OUTPUT ACCEPT [0:0]\n:POSTROUTING ACCEPT [0:0]\n";
        Assert.Equal(header + "-A OUTPUT -p tcp -d 10.77.0.3/32 --dport 8089 -j DNAT --to-destination 10.77.0.254:40003\nCOMMIT\n",
            LinkRoutes.RulesFor(1, links, Address, 8089, "10.77.0.254", ProxyPort));
        Assert.Equal(header + "-A OUTPUT -p tcp -d 10.77.0.1/32 --dport 8089 -j DNAT --to-destination 10.77.0.254:40001\nCOMMIT\n",
            LinkRoutes.RulesFor(3, links, Address, 8089, "10.77.0.254", ProxyPort));
        Assert.Equal(header + "COMMIT\n", LinkRoutes.RulesFor(2, links, Address, 8089, "10.77.0.254", ProxyPort));
    }

    [Fact]
    public void No_links_empty_the_nat_table_so_every_link_is_direct_again()
    {
        Assert.DoesNotContain("DNAT", LinkRoutes.RulesFor(1, [], Address, 8089, "10.77.0.254", ProxyPort));
    }

    [Fact]
    public void A_link_is_the_same_either_way_round_and_joins_two_nodes()
    {
        Assert.Equal(new Link(1, 2), new Link(2, 1));
        Assert.Equal("n1-n2", new Link(2, 1).ToString());
        Assert.Throws<ArgumentException>(() => new Link(2, 2));
    }

    [Fact]
    public void The_cut_closes_raft_sockets_to_the_peer_in_either_direction()
    {
        Assert.Equal(["-K", "-t", "-n", "dst", "10.77.0.2", "( sport = :8089 or dport = :8089 )"], LinkRoutes.CutArguments(2, Address, 8089));
    }

    [Fact]
    public void Link_faults_draw_within_their_limits()
    {
        var options = new LinkFaultOptions();
        for (var seed = 0; seed < 200; seed++)
        {
            var delay = options.Draw(FaultKind.LinkDelay, new Random(seed));
            Assert.InRange(delay.Delay, options.DelayMax / 10, options.DelayMax);
            Assert.True(delay.Jitter <= delay.Delay / 2);
            Assert.Equal(0, delay.DuplicateShare + delay.ReorderShare);

            var garble = options.Draw(FaultKind.LinkDuplicateReorder, new Random(seed));
            Assert.InRange(garble.Delay, TimeSpan.Zero, options.DelayMax / 10);
            Assert.InRange(garble.DuplicateShare, options.DuplicateShareMax / 3 - 0.001, options.DuplicateShareMax);
            Assert.InRange(garble.ReorderShare, options.ReorderShareMax / 3 - 0.001, options.ReorderShareMax);
        }

        Assert.Throws<ArgumentException>(() => options.Draw(FaultKind.KillLeader, new Random(1)));
        Assert.Throws<ArgumentException>(() => (options with { DuplicateShareMax = 1 }).Validate());
    }

    [Fact]
    public void A_behaviour_says_what_it_does_to_frames()
    {
        Assert.Equal("every frame 120 ms ± 60 ms late, FIFO", new LinkBehavior(TimeSpan.FromMilliseconds(120), TimeSpan.FromMilliseconds(60), 0, 0).ToString());
        Assert.Equal("every frame 10 ms ± 5 ms late, 20% of frames sent twice, 15% of frames held back behind the next",
            new LinkBehavior(TimeSpan.FromMilliseconds(10), TimeSpan.FromMilliseconds(5), 0.2, 0.15).ToString());
    }
}
