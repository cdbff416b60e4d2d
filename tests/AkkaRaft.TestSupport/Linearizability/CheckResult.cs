using System.Text;

namespace AkkaRaft.TestSupport.Linearizability;

/// <summary>What the checker could establish about a history.</summary>
public enum Verdict
{
    /// <summary>Proven: every key's operations have a linearization.</summary>
    Linearizable,

    /// <summary>Proven: some key's operations have no linearization.</summary>
    NotLinearizable,

    /// <summary>No key was proven non-linearizable, but the search budget ran out on some key before a proof either way.</summary>
    Undecided,
}

/// <summary>
/// The result of <see cref="LinearizabilityChecker.Check(IReadOnlyList{Operation})"/>.
/// <paramref name="IsLinearizable"/> is true only when linearizability was proven. Otherwise
/// <paramref name="Key"/> names the first key (by first invocation) that failed — or, when none failed, the first
/// whose search ran out of budget — and <paramref name="Involved"/> lists that key's operations in invocation order.
/// </summary>
/// <param name="IsLinearizable">True only for a proven-linearizable history.</param>
/// <param name="Key">The key at fault, or null when linearizable.</param>
/// <param name="Involved">The operations on <paramref name="Key"/>, in invocation order (empty when linearizable).</param>
public sealed record CheckResult(bool IsLinearizable, string? Key, IReadOnlyList<Operation> Involved)
{
    private readonly Verdict? _verdict;

    /// <summary>Linearizable, NotLinearizable, or Undecided (search budget exhausted); consistent with <see cref="IsLinearizable"/>.</summary>
    /// <exception cref="ArgumentException">On init, a verdict that contradicts <see cref="IsLinearizable"/>.</exception>
    public Verdict Verdict
    {
        get => _verdict ?? (IsLinearizable ? Verdict.Linearizable : Verdict.NotLinearizable);
        init
        {
            if ((value == Verdict.Linearizable) != IsLinearizable)
            {
                throw new ArgumentException($"verdict {value} contradicts IsLinearizable = {IsLinearizable}", nameof(value));
            }

            _verdict = value;
        }
    }

    /// <summary>
    /// The longest sequence of <see cref="Key"/>'s operations the search managed to linearize, in linearization
    /// order (empty when linearizable). The history goes wrong right after it.
    /// </summary>
    public IReadOnlyList<Operation> LongestLinearizablePrefix { get; init; } = [];

    /// <summary>
    /// Why the search got stuck after <see cref="LongestLinearizablePrefix"/>: the value the key held, and for each
    /// operation that could have come next, why it could not (null when linearizable).
    /// </summary>
    public string? Explanation { get; init; }

    /// <summary>Number of (linearized set, model state) pairs the search visited, over all keys it checked.</summary>
    public long ExploredStates { get; init; }

    /// <summary>Number of operations in the checked history.</summary>
    public int OperationCount { get; init; }

    /// <summary>Number of distinct keys (partitions) in the checked history.</summary>
    public int KeyCount { get; init; }

    /// <summary>The same as <see cref="Describe"/>, so that assertion messages read well.</summary>
    public override string ToString() => Describe();

    /// <summary>A readable multi-line report: the verdict, the key at fault, its operations, the longest linearizable prefix and why it cannot be extended.</summary>
    public string Describe()
    {
        var text = new StringBuilder();
        var key = Key is null ? "?" : HistoryText.Quote(Key);
        switch (Verdict)
        {
            case Verdict.Linearizable:
                text.Append($"Linearizable: {Count(OperationCount, "operation")} on {Count(KeyCount, "key")} ({ExploredStates} states explored).");
                return text.ToString();
            case Verdict.NotLinearizable:
                text.AppendLine($"Not linearizable: the {Involved.Count} operations on key {key} have no linearization " +
                                $"({Count(OperationCount, "operation")} on {Count(KeyCount, "key")}, {ExploredStates} states explored).");
                break;
            default:
                text.AppendLine($"Undecided: the search budget ran out on key {key} before linearizability was proven or refuted " +
                                $"({Count(OperationCount, "operation")} on {Count(KeyCount, "key")}, {ExploredStates} states explored); no key was proven non-linearizable.");
                break;
        }

        text.AppendLine($"Operations on {key}, by invocation:");
        foreach (var operation in Involved)
        {
            text.Append("  ").AppendLine(operation.ToString());
        }

        text.AppendLine($"Longest linearizable prefix ({LongestLinearizablePrefix.Count} of {Involved.Count} operations):");
        if (LongestLinearizablePrefix.Count == 0)
        {
            text.AppendLine("  (none)");
        }

        for (var i = 0; i < LongestLinearizablePrefix.Count; i++)
        {
            text.Append("  ").Append(i + 1).Append(". ").AppendLine(LongestLinearizablePrefix[i].ToString());
        }

        if (Explanation is not null)
        {
            text.Append(Explanation);
        }

        return text.ToString().TrimEnd();
    }

    private static string Count(int count, string noun) => count == 1 ? $"1 {noun}" : $"{count} {noun}s";
}
