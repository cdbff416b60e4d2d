namespace AkkaRaft.Simulation.Tests.Support;

/// <summary>
/// The links between the simulated peers: seeded loss, ordinary delays (which reorder), long delays, stalls, duplicates, and
/// directed cuts (partitions). A message is checked against the cuts when it is sent and again when it arrives, so a
/// partition that begins stops the messages in flight. Clients reach peers over links that delay but never lose.
/// </summary>
internal sealed class SimulatedNetwork
{
    private readonly HashSet<(ulong From, ulong To)> _cut = new();

    /// <summary>Probability that a message between peers is lost.</summary>
    public double DropRate { get; set; }

    /// <summary>Longest ordinary delay.</summary>
    public TimeSpan MaxDelay { get; set; } = TimeSpan.FromMilliseconds(5);

    /// <summary>Probability that a message takes 20 to 150 ms extra (and so overtakes, or is overtaken by, many others).</summary>
    public double LongDelayRate { get; set; }

    /// <summary>
    /// Probability that a message is held 300 to 1,500 ms: stuck behind a large transfer on a loaded connection, long
    /// enough for its sender or its receiver to restart before it arrives (the answer then reaches a new incarnation).
    /// </summary>
    public double StallRate { get; set; }

    /// <summary>Probability that a Raft message is delivered twice.</summary>
    public double DuplicateRate { get; set; }

    /// <summary>Messages dropped so far (by loss or cut).</summary>
    public long Dropped { get; set; }

    /// <summary>Messages delivered late so far.</summary>
    public long Delayed { get; set; }

    /// <summary>Messages delivered twice so far.</summary>
    public long Duplicated { get; set; }

    /// <summary>Messages handed to a peer so far.</summary>
    public long Delivered { get; set; }

    /// <summary>Whether any link is cut.</summary>
    public bool HasCuts => _cut.Count > 0;

    /// <summary>Cuts the link from <paramref name="from"/> to <paramref name="to"/> (one direction).</summary>
    public void Cut(ulong from, ulong to) => _cut.Add((from, to));

    /// <summary>Cuts both directions between <paramref name="victim"/> and each of <paramref name="others"/>.</summary>
    public void Isolate(ulong victim, IEnumerable<ulong> others)
    {
        foreach (var other in others)
        {
            if (other == victim) continue;
            Cut(victim, other);
            Cut(other, victim);
        }
    }

    /// <summary>Heals every cut.</summary>
    public void HealAll() => _cut.Clear();

    /// <summary>Whether the link from <paramref name="from"/> to <paramref name="to"/> is cut.</summary>
    public bool IsCut(ulong from, ulong to) => _cut.Contains((from, to));

    /// <summary>No more loss, long delays or duplicates (cuts stay).</summary>
    public void Calm()
    {
        DropRate = 0;
        LongDelayRate = 0;
        StallRate = 0;
        DuplicateRate = 0;
    }
}
