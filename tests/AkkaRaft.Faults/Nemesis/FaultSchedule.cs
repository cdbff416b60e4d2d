namespace AkkaRaft.Faults.Nemesis;

/// <summary>The faults the nemesis injects, one at a time.</summary>
internal enum FaultKind
{
    /// <summary>A random minority and majority that do not hear each other.</summary>
    PartitionHalves,

    /// <summary>The leader alone on one side, every other node on the other.</summary>
    PartitionLeader,

    /// <summary>Two halves that do not hear each other and one node that hears both (Jepsen's bridge).</summary>
    PartitionBridge,

    /// <summary>One node stops hearing the others, or the others stop hearing it, while the other direction works.</summary>
    PartitionOneWay,

    /// <summary>Random minority/majority partitions switched on and off every half second to two seconds.</summary>
    PartitionFlapping,

    /// <summary>Every node drops a random share (10%, 25% or 50%) of every other node's packets (iptables statistic).</summary>
    Loss,

    /// <summary>SIGKILL of a random node, restarted from its data directory when the fault ends.</summary>
    KillRandom,

    /// <summary>SIGKILL of the leader, restarted from its data directory when the fault ends.</summary>
    KillLeader,

    /// <summary>SIGSTOP of the leader, SIGCONT when the fault ends.</summary>
    PauseLeader,

    /// <summary>SIGSTOP of a random follower, SIGCONT when the fault ends.</summary>
    PauseFollower,

    /// <summary>
    /// One node's disk (its own tmpfs) filled up by a filler file, the leader's or a random node's; the file is removed
    /// when the fault ends. The node must refuse writes clearly meanwhile and take them again once space is back.
    /// </summary>
    DiskFull,

    /// <summary>
    /// One node (the leader's or a random one) killed and started again on its disk remounted read-only, as a
    /// filesystem that the kernel turned read-only after errors; the disk is made writable again when the fault ends.
    /// Its journal writes fail with an error other than a full disk. (A running node's disk cannot be remounted
    /// read-only: the kernel refuses while SQLite holds its files open for writing, hence the restart.)
    /// </summary>
    DiskReadOnly,

    /// <summary>
    /// The disks of every follower filled for the hold; at its end the leader is killed, the disks emptied, and the
    /// leader started again only once the others have elected a leader of their own, so that whatever only the old
    /// leader held durably is gone. A correct cluster commits nothing while its followers cannot write; one whose
    /// followers acknowledge before their write is durable (<c>unsafe-ack-before-fsync</c>) loses acknowledged writes.
    /// </summary>
    DiskFullFollowers,

    /// <summary>
    /// The Raft connections between the leader and one follower, or between one node and all others, go through the
    /// harness's proxy, which sends every Akka.Remote frame late by a delay with jitter, in order.
    /// </summary>
    LinkDelay,

    /// <summary>
    /// The same links through the proxy, which delays frames a little, sends a share of them twice and holds a share
    /// back behind the frame after them (whole frames, never the handshake).
    /// </summary>
    LinkDuplicateReorder,

    /// <summary>
    /// A one-step reconfiguration by joint consensus (<c>POST /config</c> with <c>expect</c>): a minority of the nodes,
    /// the leader among them half the time, become learners for the hold; at its end a second change makes every node
    /// a voter again. Faults before and after it find the cluster whole.
    /// </summary>
    Membership,
}

/// <summary>One fault of a schedule: what, when it starts and how long it holds, and the seed of its own choices.</summary>
/// <param name="Start">When it starts, from the start of the run.</param>
/// <param name="Hold">How long it lasts before everything is healed.</param>
/// <param name="Kind">The fault.</param>
/// <param name="Seed">Seeds the fault's own choices (which nodes, which side, which probability).</param>
internal sealed record FaultStep(TimeSpan Start, TimeSpan Hold, FaultKind Kind, int Seed)
{
    /// <summary>When it is healed.</summary>
    public TimeSpan End => Start + Hold;
}

/// <summary>
/// The nemesis's schedule, a pure function of the seed: after a quiet start, faults one at a time, each held for 4 to
/// 9 seconds, then everything healed and 3 to 6 quiet seconds before the next, as Jepsen's etcd and ZooKeeper tests
/// alternate faults and recovery. The kinds are dealt from a shuffled deck, so every kind comes once before any
/// comes twice: a two-minute run sees each of them. The nodes a fault picks depend on the cluster at that moment (who
/// leads), so a seed fixes the schedule, not the whole run.
/// </summary>
internal static class FaultSchedule
{
    /// <summary>Every kind, in declaration order.</summary>
    public static IReadOnlyList<FaultKind> AllKinds { get; } = Enum.GetValues<FaultKind>();

    /// <summary>Quiet time at the start, before the first fault, while the workload gets going.</summary>
    public static readonly TimeSpan QuietStart = TimeSpan.FromSeconds(5);

    /// <summary>Quiet time the schedule leaves at the end, after the last fault is healed.</summary>
    public static readonly TimeSpan QuietEnd = TimeSpan.FromSeconds(5);

    /// <summary>The schedule for a run of <paramref name="duration"/>, dealing <paramref name="kinds"/> with <paramref name="seed"/>.</summary>
    /// <exception cref="ArgumentException"><paramref name="kinds"/> is empty.</exception>
    public static IReadOnlyList<FaultStep> Create(int seed, TimeSpan duration, IReadOnlyList<FaultKind> kinds)
    {
        if (kinds.Count == 0) throw new ArgumentException("a schedule needs at least one kind of fault", nameof(kinds));
        var random = new Random(seed);
        var steps = new List<FaultStep>();
        var deck = new List<FaultKind>();
        var at = QuietStart;
        var last = duration - QuietEnd;
        while (true)
        {
            var hold = TimeSpan.FromMilliseconds(random.Next(4_000, 9_000));
            if (at + hold > last) break;
            if (deck.Count == 0)
            {
                deck.AddRange(kinds);
                random.Shuffle(System.Runtime.InteropServices.CollectionsMarshal.AsSpan(deck));
            }

            var kind = deck[^1];
            deck.RemoveAt(deck.Count - 1);
            steps.Add(new FaultStep(at, hold, kind, random.Next()));
            at += hold + TimeSpan.FromMilliseconds(random.Next(3_000, 6_000));
        }

        return steps;
    }

    /// <summary>The kebab-case name of a kind, as logs and options spell it (<c>partition-halves</c>).</summary>
    public static string NameOf(FaultKind kind) => kind switch
    {
        FaultKind.PartitionHalves => "partition-halves",
        FaultKind.PartitionLeader => "partition-leader",
        FaultKind.PartitionBridge => "partition-bridge",
        FaultKind.PartitionOneWay => "partition-one-way",
        FaultKind.PartitionFlapping => "partition-flapping",
        FaultKind.Loss => "loss",
        FaultKind.KillRandom => "kill-random",
        FaultKind.KillLeader => "kill-leader",
        FaultKind.PauseLeader => "pause-leader",
        FaultKind.PauseFollower => "pause-follower",
        FaultKind.DiskFull => "disk-full",
        FaultKind.DiskReadOnly => "disk-read-only",
        FaultKind.DiskFullFollowers => "disk-full-followers",
        FaultKind.LinkDelay => "link-delay",
        FaultKind.LinkDuplicateReorder => "link-duplicate-reorder",
        FaultKind.Membership => "membership",
        _ => kind.ToString(),
    };

    /// <summary>Whether <paramref name="kind"/> sends Raft traffic through the link proxy (which reads Akka.Remote's frames).</summary>
    public static bool IsLinkFault(FaultKind kind) => kind is FaultKind.LinkDelay or FaultKind.LinkDuplicateReorder;

    /// <summary>Parses a comma-separated list of kind names; <c>all</c> is every kind.</summary>
    /// <exception cref="ArgumentException">A name is unknown.</exception>
    public static IReadOnlyList<FaultKind> ParseKinds(string text)
    {
        if (text.Trim() == "all") return AllKinds;
        var kinds = new List<FaultKind>();
        foreach (var name in text.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            var kind = AllKinds.Where(k => NameOf(k) == name).Cast<FaultKind?>().FirstOrDefault()
                       ?? throw new ArgumentException($"unknown fault '{name}'; known: all, {string.Join(", ", AllKinds.Select(NameOf))}");
            kinds.Add(kind);
        }

        return kinds;
    }
}
