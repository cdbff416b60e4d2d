using System.Globalization;
using System.Text;

namespace AkkaRaft.Faults.Network;

/// <summary>Node <paramref name="At"/> drops what node <paramref name="From"/> sends it, with <paramref name="Probability"/> (1 = everything).</summary>
/// <param name="At">The receiving node (1-based), whose namespace holds the rule.</param>
/// <param name="From">The sending node (1-based).</param>
/// <param name="Probability">Share of packets dropped, in (0, 1].</param>
internal sealed record Drop(int At, int From, double Probability = 1.0);

/// <summary>
/// Who drops whose packets, as Jepsen's nemesis calls it: a set of <see cref="Drop"/> rules, each an iptables
/// <c>INPUT</c> rule in the receiver's namespace. A two-way cut is two drops; a one-way cut is one. Pure: the nemesis
/// builds a grudge, <see cref="NetworkLab.Apply"/> installs it.
/// </summary>
internal sealed class Grudge
{
    private readonly List<Drop> _drops = [];

    /// <summary>The drops, in the order they were added.</summary>
    public IReadOnlyList<Drop> Drops => _drops;

    /// <summary>No node drops anything: the network is whole.</summary>
    public static Grudge None { get; } = new();

    /// <summary>Components that do not hear each other at all; nodes inside one component still do.</summary>
    /// <param name="components">Disjoint sets of 1-based node numbers.</param>
    public static Grudge Partition(params IReadOnlyCollection<int>[] components)
    {
        var grudge = new Grudge();
        foreach (var a in components)
        {
            foreach (var b in components)
            {
                if (ReferenceEquals(a, b)) continue;
                foreach (var at in a)
                {
                    foreach (var from in b) grudge._drops.Add(new Drop(at, from));
                }
            }
        }

        return grudge;
    }

    /// <summary>
    /// Jepsen's bridge: two halves that do not hear each other, and <paramref name="bridge"/>, which hears and is heard
    /// by both.
    /// </summary>
    public static Grudge Bridge(IReadOnlyCollection<int> left, int bridge, IReadOnlyCollection<int> right)
    {
        if (left.Contains(bridge) || right.Contains(bridge)) throw new ArgumentException($"the bridge node {bridge} is in one of the halves", nameof(bridge));
        return Partition(left, right);
    }

    /// <summary>One-way cut: <paramref name="deaf"/> drops whatever each of <paramref name="senders"/> sends it; they still hear it.</summary>
    public static Grudge OneWay(int deaf, IReadOnlyCollection<int> senders)
    {
        var grudge = new Grudge();
        foreach (var from in senders)
        {
            if (from != deaf) grudge._drops.Add(new Drop(deaf, from));
        }

        return grudge;
    }

    /// <summary>A grudge of exactly these drops.</summary>
    public static Grudge Of(IEnumerable<Drop> drops)
    {
        var grudge = new Grudge();
        grudge._drops.AddRange(drops);
        return grudge;
    }

    /// <summary>Every node drops a random <paramref name="probability"/> of every other node's packets.</summary>
    public static Grudge Loss(int nodes, double probability)
    {
        if (!(probability is > 0 and <= 1)) throw new ArgumentOutOfRangeException(nameof(probability), probability, "a loss probability is in (0, 1]");
        var grudge = new Grudge();
        for (var at = 1; at <= nodes; at++)
        {
            for (var from = 1; from <= nodes; from++)
            {
                if (from != at) grudge._drops.Add(new Drop(at, from, probability));
            }
        }

        return grudge;
    }

    /// <summary>Whether <paramref name="at"/> drops everything <paramref name="from"/> sends.</summary>
    public bool Cuts(int at, int from) => _drops.Any(d => d.At == at && d.From == from && d.Probability >= 1.0);

    /// <summary>
    /// The <c>iptables-restore</c> input for node <paramref name="node"/>'s namespace: its filter table, replaced as a
    /// whole (so applying a grudge also heals whatever the previous one did), with one INPUT drop per sender. Packets
    /// from addresses other than the nodes' (the clients on the bridge) always pass.
    /// </summary>
    public string RulesFor(int node, Func<int, string> addressOf)
    {
        var text = new StringBuilder();
        text.Append("*filter\n:INPUT ACCEPT [0:0]\n:FORWARD ACCEPT [0:0]\n:OUTPUT ACCEPT [0:0]\n");
        foreach (var drop in _drops)
        {
            if (drop.At != node) continue;
            text.Append("-A INPUT -s ").Append(addressOf(drop.From)).Append("/32");
            if (drop.Probability < 1.0)
            {
                text.Append(" -m statistic --mode random --probability ").Append(drop.Probability.ToString("0.####", CultureInfo.InvariantCulture));
            }

            text.Append(" -j DROP\n");
        }

        text.Append("COMMIT\n");
        return text.ToString();
    }

    /// <summary>A short description for the nemesis log, e.g. <c>n1 drops n2,n3; n2 drops n1</c>.</summary>
    public override string ToString()
    {
        if (_drops.Count == 0) return "none";
        return string.Join("; ", _drops.GroupBy(d => (d.At, d.Probability)).Select(g =>
            $"n{g.Key.At} drops {(g.Key.Probability < 1 ? (g.Key.Probability * 100).ToString("0.#", CultureInfo.InvariantCulture) + "% of " : "")}{string.Join(",", g.Select(d => "n" + d.From))}"));
    }
}
