using System.Globalization;
using System.Text;

namespace AkkaRaft.Faults.Network;

/// <summary>A link between two nodes (1-based), both directions; <see cref="A"/> is the smaller number.</summary>
internal sealed record Link
{
    /// <summary>The link between <paramref name="one"/> and <paramref name="other"/>, in either order.</summary>
    /// <exception cref="ArgumentException">Both are the same node.</exception>
    public Link(int one, int other)
    {
        if (one == other) throw new ArgumentException($"a link joins two different nodes, got n{one} twice");
        A = Math.Min(one, other);
        B = Math.Max(one, other);
    }

    /// <summary>The node with the smaller number.</summary>
    public int A { get; }

    /// <summary>The node with the larger number.</summary>
    public int B { get; }

    /// <summary>Whether <paramref name="node"/> is one of its ends.</summary>
    public bool Touches(int node) => A == node || B == node;

    /// <summary>The other end from <paramref name="node"/>.</summary>
    public int Other(int node) => node == A ? B : A;

    /// <summary>e.g. <c>n1-n3</c>.</summary>
    public override string ToString() => string.Create(CultureInfo.InvariantCulture, $"n{A}-n{B}");
}

/// <summary>
/// Which links go through the <see cref="LinkProxy"/>: the iptables <c>nat</c> table of each node's namespace, with one
/// <c>OUTPUT</c> DNAT rule per proxied peer that sends the node's new connections to that peer's Raft port to the
/// proxy's listener for that peer instead. Both ends of a link get the rule, so whichever node connects (Akka.Remote
/// uses one connection per pair of nodes, opened by either), the connection goes through the proxy. Pure: the nemesis
/// builds the routes, <see cref="NetworkLab.RouteThroughProxy"/> installs them.
/// </summary>
/// <remarks>
/// A proxied connection arrives at its target from the proxy's address, not the sender's, so the partitions'
/// <c>INPUT -s &lt;sender&gt;</c> rules (<see cref="Grudge"/>) would not match it: routes and grudges are never
/// installed together (<see cref="NetworkLab"/> refuses).
/// </remarks>
internal static class LinkRoutes
{
    /// <summary>
    /// The <c>iptables-restore</c> input for node <paramref name="node"/>'s <c>nat</c> table (replaced as a whole, so an
    /// empty <paramref name="links"/> routes everything directly again).
    /// </summary>
    /// <param name="node">The node whose namespace gets the table.</param>
    /// <param name="links">The proxied links.</param>
    /// <param name="addressOf">A node's address.</param>
    /// <param name="raftPort">The nodes' Raft port.</param>
    /// <param name="proxyAddress">The proxy's address.</param>
    /// <param name="proxyPortOf">The proxy's port for connections to a node.</param>
    public static string RulesFor(int node, IReadOnlyCollection<Link> links, Func<int, string> addressOf, int raftPort, string proxyAddress, Func<int, int> proxyPortOf)
    {
        var text = new StringBuilder();
        text.Append("*nat\n:PREROUTING ACCEPT [0:0]\n:INPUT ACCEPT [0:0]\n:OUTPUT ACCEPT [0:0]\n:POSTROUTING ACCEPT [0:0]\n");
        foreach (var link in links.Where(l => l.Touches(node)).OrderBy(l => l.Other(node)))
        {
            var peer = link.Other(node);
            text.Append(CultureInfo.InvariantCulture, $"-A OUTPUT -p tcp -d {addressOf(peer)}/32 --dport {raftPort} -j DNAT --to-destination {proxyAddress}:{proxyPortOf(peer)}\n");
        }

        text.Append("COMMIT\n");
        return text.ToString();
    }

    /// <summary>
    /// The <c>ss</c> arguments that close, in node <paramref name="node"/>'s namespace, every Raft connection between it
    /// and <paramref name="peer"/> (either direction, direct or through the proxy: the node's socket names the peer's own
    /// address either way). <c>ss -K</c> aborts the socket and sends the other end a reset.
    /// </summary>
    public static IReadOnlyList<string> CutArguments(int peer, Func<int, string> addressOf, int raftPort) =>
        ["-K", "-t", "-n", "dst", addressOf(peer), $"( sport = :{raftPort.ToString(CultureInfo.InvariantCulture)} or dport = :{raftPort.ToString(CultureInfo.InvariantCulture)} )"];
}
