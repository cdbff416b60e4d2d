using AkkaRaft.Faults.Nemesis;
using AkkaRaft.Faults.Network;
using AkkaRaft.TestSupport.Linearizability;

namespace AkkaRaft.Faults;

/// <summary>What a run found.</summary>
/// <param name="Directory">The run's own directory (history, logs, data).</param>
/// <param name="HistoryPath">The history file.</param>
/// <param name="Check">The checker's verdict on the history file.</param>
/// <param name="Operations">Completions by function and type, from the history file.</param>
/// <param name="Faults">Faults injected, by kind.</param>
/// <param name="Crashes">Processes that exited without the nemesis killing them.</param>
/// <param name="RecoveredAfter">How long after the final heal a write was accepted again; null when none was.</param>
/// <param name="Unread">Keys no final read answered for.</param>
/// <param name="UnwritableJournals">Nodes whose journal did not take writes again after the final heal.</param>
/// <param name="BrokenInvariants">Per node, how often its log says "Raft invariant violated" and the first such line.</param>
/// <param name="Links">What the link proxy carried during the link faults, summed over them.</param>
internal sealed record RunReport(
    string Directory,
    string HistoryPath,
    CheckResult Check,
    IReadOnlyDictionary<(string F, string Type), int> Operations,
    IReadOnlyDictionary<FaultKind, int> Faults,
    IReadOnlyList<string> Crashes,
    TimeSpan? RecoveredAfter,
    IReadOnlyList<string> Unread,
    IReadOnlyList<string> UnwritableJournals,
    IReadOnlyList<string> BrokenInvariants,
    LinkTraffic Links)
{
    /// <summary>
    /// Linearizable, no crash, no broken invariant, the sessions, the series, the locks and the watches kept their promises, and the cluster took writes again
    /// after the final heal, on every node's journal.
    /// </summary>
    public bool Passed => Check.Verdict == Verdict.Linearizable && Crashes.Count == 0 && BrokenInvariants.Count == 0
                          && RecoveredAfter is not null && UnwritableJournals.Count == 0 && SessionViolations.Count == 0
                          && SeriesViolations.Count == 0 && MembershipFailures.Count == 0
                          && LockViolations.Count == 0 && WatchViolations.Count == 0;

    /// <summary>What broke the sessions' promises (a write answered at two indexes, an ephemeral key that outlived its session).</summary>
    public IReadOnlyList<string> SessionViolations { get; init; } = [];

    /// <summary>What broke the lock's promises (a hold that began while another was known held, a fencing token out of grant order).</summary>
    public IReadOnlyList<string> LockViolations { get; init; } = [];

    /// <summary>What broke the watches' promises (a change seen twice or out of order, one no write explains, an acknowledged write missed).</summary>
    public IReadOnlyList<string> WatchViolations { get; init; } = [];

    /// <summary>The run's seed, printed beside a failed check.</summary>
    public int Seed { get; init; }

    /// <summary>Membership faults after which the cluster did not take every node back as a voter in time.</summary>
    public IReadOnlyList<string> MembershipFailures { get; init; } = [];

    /// <summary>What broke the time-series store's promises (an acknowledged point missing, a failed batch's point stored, nodes that differ).</summary>
    public IReadOnlyList<string> SeriesViolations { get; init; } = [];
}
