using AkkaRaft.Raft.Core;

namespace AkkaRaft.TestSupport.Simulation;

/// <summary>The fault kinds the simulation injects, counted in <see cref="SimulationReport.Faults"/>.</summary>
public static class FaultKinds
{
    /// <summary>A message lost at random.</summary>
    public const string Drop = "drop";
    /// <summary>A message delivered twice.</summary>
    public const string Duplicate = "duplicate";
    /// <summary>A message held back long enough to be reordered.</summary>
    public const string Delay = "delay";
    /// <summary>The cluster split into two sides.</summary>
    public const string Partition = "partition";
    /// <summary>One node cut off from all others.</summary>
    public const string Isolate = "isolate";
    /// <summary>One direction of one link cut.</summary>
    public const string Asymmetric = "asymmetric";
    /// <summary>Every link restored.</summary>
    public const string Heal = "heal";
    /// <summary>A node crashed, losing what it had not persisted.</summary>
    public const string Crash = "crash";
    /// <summary>Every node crashed at once (power failure).</summary>
    public const string PowerFailure = "power-failure";
    /// <summary>A crashed node restarted from its persisted state.</summary>
    public const string Restart = "restart";
    /// <summary>A leadership transfer requested.</summary>
    public const string Transfer = "transfer";
    /// <summary>A voter added or removed, or (with <see cref="SimulationOptions.JointChanges"/>) a joint change.</summary>
    public const string Membership = "membership";
    /// <summary>Of those, voters replaced in one joint change (thesis 4.3).</summary>
    public const string JointChange = "joint-change";
    /// <summary>A node whose clock runs faster or slower than nominal.</summary>
    public const string ClockDrift = "clock-drift";
}

/// <summary>What a simulation run looks like. Defaults: all fault kinds on.</summary>
public sealed record SimulationOptions
{
    /// <summary>Voters at the start.</summary>
    public int Nodes { get; init; } = 3;

    /// <summary>Concurrent clients.</summary>
    public int Clients { get; init; } = 4;

    /// <summary>Client operations to invoke in total.</summary>
    public int Operations { get; init; } = 200;

    /// <summary>Distinct keys the clients use.</summary>
    public int Keys { get; init; } = 3;

    /// <summary>Nominal virtual milliseconds per tick.</summary>
    public int TickMs { get; init; } = 10;

    /// <summary>Largest relative clock drift of a node (0.05 = ±5 %).</summary>
    public double MaxDrift { get; init; } = 0.05;

    /// <summary>Message delay range in virtual milliseconds.</summary>
    public int MinDelayMs { get; init; } = 1;

    /// <summary>Upper end of the normal delay.</summary>
    public int MaxDelayMs { get; init; } = 6;

    /// <summary>Probability a message is lost.</summary>
    public double DropRate { get; init; } = 0.02;

    /// <summary>Probability a message is delivered twice.</summary>
    public double DuplicateRate { get; init; } = 0.02;

    /// <summary>Probability a message is held back 20..150 ms (reordering).</summary>
    public double LongDelayRate { get; init; } = 0.02;

    /// <summary>Mean virtual milliseconds between injected faults (0 = no node/link faults).</summary>
    public int FaultIntervalMs { get; init; } = 250;

    /// <summary>Inject crashes and restarts.</summary>
    public bool Crashes { get; init; } = true;

    /// <summary>Inject partitions, isolation and asymmetric cuts.</summary>
    public bool Partitions { get; init; } = true;

    /// <summary>Inject leadership transfers.</summary>
    public bool Transfers { get; init; } = true;

    /// <summary>Inject membership changes (remove a voter / add a fresh one).</summary>
    public bool MembershipChanges { get; init; } = true;

    /// <summary>
    /// Membership changes replace several voters in one joint change (thesis 4.3): a random new set of 3 to
    /// <see cref="Nodes"/> voters, keeping some of the old ones or, one time in three, none of them.
    /// </summary>
    public bool JointChanges { get; init; }

    /// <summary>Compact a node's log every this many applied entries (0 = never).</summary>
    public int CompactEvery { get; init; } = 40;

    /// <summary>Virtual milliseconds a client waits before giving up (unknown outcome).</summary>
    public int OperationTimeoutMs { get; init; } = 1000;

    /// <summary>Serve reads with the leader lease instead of ReadIndex.</summary>
    public bool LeaseReads { get; init; }

    /// <summary>Stop after this much virtual time even if operations are still open.</summary>
    public long MaxVirtualMs { get; init; } = 120_000;

    /// <summary>Adjusts each node's Raft config (after the simulation's own defaults).</summary>
    public Func<RaftConfig, RaftConfig>? Configure { get; init; }

    /// <summary>Test-only bug: followers acknowledge before their write is durable (a crash then loses acknowledged entries).</summary>
    public bool AcknowledgeBeforePersist { get; init; }

    /// <summary>
    /// Check election safety and state-machine safety while running (throwing <see cref="SimulationViolationException"/>).
    /// Mutation tests turn this off to show the linearizability checker catches the bug on its own.
    /// </summary>
    public bool CheckSafety { get; init; } = true;

    /// <summary>
    /// When a core throws <see cref="RaftInvariantException"/>, crash the node and restart it from its journal (what
    /// the actor shell's supervisor does) instead of failing the run. Mutation tests turn this on.
    /// </summary>
    public bool SuperviseInvariantViolations { get; init; }

    /// <summary>Receives a line per notable event (role changes, faults, configurations) when set; for debugging a seed.</summary>
    public Action<string>? Trace { get; init; }

    /// <summary>Virtual milliseconds a write takes to become durable (upper bound; uniform from 0).</summary>
    public int MaxPersistMs { get; init; } = 3;
}

/// <summary>What one simulation run did.</summary>
public sealed class SimulationReport
{
    /// <summary>The seed.</summary>
    public ulong Seed { get; init; }

    /// <summary>Initial voters.</summary>
    public int Nodes { get; init; }

    /// <summary>Operations invoked.</summary>
    public int Invoked { get; set; }

    /// <summary>Operations that returned.</summary>
    public int Completed { get; set; }

    /// <summary>Operations that timed out (unknown outcome).</summary>
    public int TimedOut { get; set; }

    /// <summary>Faults injected, by kind (<see cref="FaultKinds"/>).</summary>
    public Dictionary<string, long> Faults { get; } = new();

    /// <summary>Messages delivered between peers.</summary>
    public long MessagesDelivered { get; set; }

    /// <summary>Distinct leader terms seen.</summary>
    public int Elections { get; set; }

    /// <summary>Snapshots installed from a leader.</summary>
    public int SnapshotsInstalled { get; set; }

    /// <summary>Invariant violations turned into crash-restarts (only with <see cref="SimulationOptions.SuperviseInvariantViolations"/>).</summary>
    public int InvariantCrashes { get; set; }

    /// <summary>Virtual time simulated, in milliseconds.</summary>
    public long VirtualMs { get; set; }

    internal void Count(string kind, long n = 1) => Faults[kind] = Faults.GetValueOrDefault(kind) + n;
}

/// <summary>A safety property of Raft observed broken by the simulation (two leaders in a term, divergent applied entries...).</summary>
public sealed class SimulationViolationException : Exception
{
    /// <summary>Creates the exception.</summary>
    public SimulationViolationException(string message, Exception? inner = null) : base(message, inner)
    {
    }
}
