namespace AkkaRaft.TestSupport.Linearizability;

/// <summary>
/// Decides whether a history of key/value operations is linearizable, in the style of Porcupine: the history is
/// split per key (a register per key is P-compositional), and each key is searched with the Wing–Gong algorithm
/// (try every operation that may take effect next, backtrack when an operation returns before it could be
/// linearized), memoizing every (linearized set, register value) pair already explored.
/// </summary>
/// <remarks>
/// Operations with an unknown outcome (timed out, or pending at the end) may take effect at any time after their
/// invocation, or never. Thread-safe: <see cref="Check(IReadOnlyList{Operation}, long)"/> keeps no shared state.
/// </remarks>
public static class LinearizabilityChecker
{
    /// <summary>
    /// The search budget of <see cref="Check(IReadOnlyList{Operation})"/>, in states explored per key. A state costs
    /// about (operations on the key / 8 + 20) bytes, so the default bounds memory to some tens of megabytes.
    /// </summary>
    public const long DefaultMaxExploredStatesPerKey = 1_000_000;

    /// <summary>Checks <paramref name="history"/> with the default budget of <see cref="DefaultMaxExploredStatesPerKey"/> states per key.</summary>
    /// <param name="history">The operations, in any order.</param>
    /// <returns>The verdict; on failure, the first failing key (by first invocation) and its operations.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="history"/> is null.</exception>
    /// <exception cref="ArgumentException">An operation is malformed: null, a duplicate id, a Put without value, a return before its invocation.</exception>
    public static CheckResult Check(IReadOnlyList<Operation> history) => Check(history, DefaultMaxExploredStatesPerKey);

    /// <summary>
    /// Checks <paramref name="history"/>, exploring at most <paramref name="maxExploredStatesPerKey"/> states for each
    /// key. A key whose search runs out of budget is undecided; the result is then
    /// <see cref="Verdict.Undecided"/> unless another key is proven non-linearizable.
    /// </summary>
    /// <param name="history">The operations, in any order.</param>
    /// <param name="maxExploredStatesPerKey">Search budget, in (linearized set, value) states per key; at least 1.</param>
    /// <returns>The verdict; when not linearizable, the first failing key (by first invocation) and its operations.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="history"/> is null.</exception>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="maxExploredStatesPerKey"/> is less than 1.</exception>
    /// <exception cref="ArgumentException">An operation is malformed: null, a duplicate id, a Put without value, a return before its invocation.</exception>
    public static CheckResult Check(IReadOnlyList<Operation> history, long maxExploredStatesPerKey)
    {
        ArgumentNullException.ThrowIfNull(history);
        ArgumentOutOfRangeException.ThrowIfLessThan(maxExploredStatesPerKey, 1);

        var partitions = Partition(history);
        long explored = 0;
        KeySearch.Outcome? firstUndecided = null;
        foreach (var operations in partitions)
        {
            var outcome = new KeySearch(operations).Run(maxExploredStatesPerKey);
            explored += outcome.ExploredStates;
            if (outcome.Verdict == Verdict.NotLinearizable)
            {
                return Failure(outcome, explored, history.Count, partitions.Count);
            }

            if (outcome.Verdict == Verdict.Undecided)
            {
                firstUndecided ??= outcome;
            }
        }

        if (firstUndecided is not null)
        {
            return Failure(firstUndecided, explored, history.Count, partitions.Count);
        }

        return new CheckResult(true, null, [])
        {
            ExploredStates = explored,
            OperationCount = history.Count,
            KeyCount = partitions.Count,
        };
    }

    /// <summary>Throws a clear <see cref="ArgumentException"/> when an input cannot be understood by the model.</summary>
    internal static void ValidateInput(KvInput input, string what)
    {
        if (input.Key is null)
        {
            throw new ArgumentException($"{what} has no key: {input.Kind}", what);
        }

        if (!Enum.IsDefined(input.Kind))
        {
            throw new ArgumentException($"{what} has an unknown kind {(int)input.Kind}", what);
        }

        if (input.Kind == KvOpKind.Put && input.Value is null)
        {
            throw new ArgumentException($"{what} is a put without a value on key {HistoryText.Quote(input.Key)} (use Delete to remove a key)", what);
        }
    }

    private static CheckResult Failure(KeySearch.Outcome outcome, long explored, int operationCount, int keyCount) =>
        new(false, outcome.Key, outcome.Involved)
        {
            Verdict = outcome.Verdict,
            LongestLinearizablePrefix = outcome.LongestPrefix,
            Explanation = outcome.Explanation,
            ExploredStates = explored,
            OperationCount = operationCount,
            KeyCount = keyCount,
        };

    /// <summary>Validates the history and splits it per key, keys ordered by their first invocation, operations by invocation.</summary>
    private static List<Operation[]> Partition(IReadOnlyList<Operation> history)
    {
        var byKey = new Dictionary<string, List<Operation>>(StringComparer.Ordinal);
        var ids = new HashSet<int>();
        for (var i = 0; i < history.Count; i++)
        {
            var operation = history[i] ?? throw new ArgumentException($"history[{i}] is null", nameof(history));
            if (operation.Input is null)
            {
                throw new ArgumentException($"operation #{operation.Id} has no input", nameof(history));
            }

            ValidateInput(operation.Input, $"operation #{operation.Id}");
            if (!ids.Add(operation.Id))
            {
                throw new ArgumentException($"two operations have the id #{operation.Id}", nameof(history));
            }

            if (operation.Output is not null && operation.ReturnTime < operation.InvokeTime)
            {
                throw new ArgumentException(
                    $"operation #{operation.Id} returns at {operation.ReturnTime}, before its invocation at {operation.InvokeTime}", nameof(history));
            }

            if (!byKey.TryGetValue(operation.Input.Key, out var list))
            {
                list = [];
                byKey.Add(operation.Input.Key, list);
            }

            list.Add(operation);
        }

        var partitions = new List<Operation[]>(byKey.Count);
        foreach (var list in byKey.Values)
        {
            var operations = list.ToArray();
            Array.Sort(operations, CompareInvocations);
            partitions.Add(operations);
        }

        partitions.Sort((a, b) =>
        {
            var byTime = CompareInvocations(a[0], b[0]);
            return byTime != 0 ? byTime : string.CompareOrdinal(a[0].Input.Key, b[0].Input.Key);
        });
        return partitions;
    }

    /// <summary>Orders operations by invocation: time, then recording sequence, then id.</summary>
    internal static int CompareInvocations(Operation a, Operation b)
    {
        var c = a.InvokeTime.CompareTo(b.InvokeTime);
        if (c != 0) return c;
        c = a.InvokeSequence.CompareTo(b.InvokeSequence);
        return c != 0 ? c : a.Id.CompareTo(b.Id);
    }
}
