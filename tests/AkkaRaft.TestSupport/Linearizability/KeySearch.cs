using System.Text;

namespace AkkaRaft.TestSupport.Linearizability;

/// <summary>
/// The Wing–Gong search over the operations on one key, with Porcupine's memoization: the events (invocations and
/// returns) form a doubly linked list in time order; the search walks it, linearizes an invocation when the model
/// accepts it and the resulting state is new, removes it and its return from the list, and starts again from the
/// head; reaching a return means that operation had to take effect already, so it backtracks. Operations of
/// unknown outcome have no return: they are tried last at each step, and the memo subsumes states that merely
/// used more of them (<see cref="VisitedStates"/>).
/// </summary>
internal sealed partial class KeySearch
{
    /// <summary>What the search of one key found.</summary>
    internal sealed record Outcome(
        Verdict Verdict,
        string Key,
        IReadOnlyList<Operation> Involved,
        IReadOnlyList<Operation> LongestPrefix,
        string? Explanation,
        long ExploredStates);

    private const int Absent = 0;
    private const int NoReturn = int.MaxValue;

    private readonly Operation[] _operations;   // every operation on the key, by invocation
    private readonly string _key;
    private readonly KvOpKind[] _kind;
    private readonly bool[] _known;
    private readonly bool[] _ok;
    private readonly int[] _value;              // Put/Cas: the value id written, values nobody observes merged into _unobserved
    private readonly int[] _exactValue;         // Put/Cas: the value id written, exactly (for explanations)
    private readonly int[] _expected;           // Cas: the value id compared with
    private readonly int[] _read;               // Get: the value id read
    private readonly int[] _invokeRank;         // position of the invocation in event order
    private readonly int[] _returnRank;         // position of the return in event order; NoReturn when unknown
    private readonly List<string?> _values = [null];
    private readonly int _unobserved;           // stands for every value that no read returns and no Cas expects

    public KeySearch(Operation[] operations)
    {
        _operations = operations;
        _key = operations[0].Input.Key;
        var n = operations.Length;
        _kind = new KvOpKind[n];
        _known = new bool[n];
        _ok = new bool[n];
        _value = new int[n];
        _exactValue = new int[n];
        _expected = new int[n];
        _read = new int[n];
        var ids = new Dictionary<string, int>(StringComparer.Ordinal);
        for (var i = 0; i < n; i++)
        {
            var operation = operations[i];
            _kind[i] = operation.Input.Kind;
            // A read that reported failure observed nothing: for the search it is as good as unknown.
            _known[i] = operation.Output is not null && (operation.Input.Kind != KvOpKind.Get || operation.Output.Ok);
            _ok[i] = operation.Output?.Ok ?? false;
            _exactValue[i] = Intern(ids, operation.Input.Value);
            _expected[i] = Intern(ids, operation.Input.Expected);
            _read[i] = Intern(ids, operation.Output?.Value);
        }

        (_invokeRank, _returnRank) = RankEvents(operations);

        // The register's value matters only through reads and compares. Values that no read returns and no Cas
        // expects are indistinguishable, so they are one value for the search: this merges states that differ
        // only in which such value the register holds.
        var observed = new bool[_values.Count];
        observed[Absent] = true;
        for (var i = 0; i < n; i++)
        {
            if (_kind[i] == KvOpKind.Get && _known[i]) observed[_read[i]] = true;
            if (_kind[i] == KvOpKind.Cas) observed[_expected[i]] = true;
        }

        _unobserved = _values.Count;
        _values.Add(null);
        for (var i = 0; i < n; i++) _value[i] = observed[_exactValue[i]] ? _exactValue[i] : _unobserved;
    }

    /// <summary>Runs the search, exploring at most <paramref name="maxStates"/> states.</summary>
    public Outcome Run(long maxStates)
    {
        var searched = SelectSearched();
        var walk = new Walk(this, searched, LinkAlike(searched));
        var verdict = walk.Run(maxStates);
        if (verdict == Verdict.Linearizable)
        {
            return new Outcome(verdict, _key, [], [], null, walk.ExploredStates);
        }

        var prefixOperations = Array.ConvertAll(walk.LongestPrefix, i => _operations[i]);
        var explanation = verdict == Verdict.NotLinearizable
            ? Explain(walk.LongestPrefix, searched)
            : $"The search stopped after exploring {maxStates} states on this key (the budget per key) without a proof either way.{Environment.NewLine}";
        return new Outcome(verdict, _key, _operations, prefixOperations, explanation, Math.Min(walk.ExploredStates, maxStates));
    }

    /// <summary>
    /// Links each searched operation of unknown outcome to the next one (by invocation) with the same effect —
    /// same kind, value written and value expected — or -1: such operations are interchangeable.
    /// </summary>
    private int[] LinkAlike(bool[] searched)
    {
        var n = _operations.Length;
        var nextAlike = new int[n];
        var lastOfEffect = new Dictionary<(KvOpKind, int, int), int>();
        for (var i = n - 1; i >= 0; i--)
        {
            nextAlike[i] = -1;
            if (!searched[i] || _known[i]) continue;
            var effect = (_kind[i], _kind[i] == KvOpKind.Delete ? Absent : _value[i], _kind[i] == KvOpKind.Cas ? _expected[i] : Absent);
            if (lastOfEffect.TryGetValue(effect, out var later)) nextAlike[i] = later;
            lastOfEffect[effect] = i;
        }

        return nextAlike;
    }

    /// <summary>Applies operation <paramref name="op"/> to the register holding <paramref name="state"/>; false when its output contradicts the model.</summary>
    private bool TryStep(int op, int state, int[] written, out int next)
    {
        switch (_kind[op])
        {
            case KvOpKind.Get:
                next = state;
                return _read[op] == state;
            case KvOpKind.Put:
                next = written[op];
                return true;
            case KvOpKind.Delete:
                next = Absent;
                return true;
            default:
                var swaps = state == _expected[op];
                next = swaps ? written[op] : state;
                return !_known[op] || _ok[op] == swaps;
        }
    }

    /// <summary>
    /// Chooses the operations the search must place. Left out, because they cannot change the verdict: reads with
    /// unknown outcome or reported as failed (they observed nothing); Put/Delete that reported a definite failure
    /// (they had no effect); and writes with unknown outcome whose resulting value nobody can observe afterwards —
    /// no read of it, no Cas expecting it, and no failed Cas (which a different value could explain) returning
    /// after the write was invoked. Such a write, if it took effect, would be overwritten before anyone looked, so
    /// "never took effect" is an equally good choice; any Cas with unknown outcome it enabled was a no-op and may be
    /// dropped too.
    /// </summary>
    private bool[] SelectSearched()
    {
        var n = _operations.Length;
        var searched = new bool[n];
        for (var i = 0; i < n; i++)
        {
            searched[i] = _kind[i] switch
            {
                KvOpKind.Get => _known[i],
                KvOpKind.Put or KvOpKind.Delete => !_known[i] || _ok[i],
                _ => true,
            };
        }

        for (var u = 0; u < n; u++)
        {
            if (_known[u] || _kind[u] == KvOpKind.Get || !searched[u]) continue;
            var written = _kind[u] == KvOpKind.Delete ? Absent : _value[u];
            var observed = false;
            for (var o = 0; o < n && !observed; o++)
            {
                if (o == u || _returnRank[o] < _invokeRank[u]) continue;
                observed = _kind[o] switch
                {
                    KvOpKind.Get => _known[o] && _read[o] == written,
                    KvOpKind.Cas => _expected[o] == written || (_known[o] && !_ok[o]),
                    _ => false,
                };
            }

            searched[u] = observed;
        }

        return searched;
    }

    /// <summary>Why the longest linearizable prefix cannot be extended, in words.</summary>
    private string Explain(int[] prefix, bool[] searched)
    {
        var text = new StringBuilder();
        var key = HistoryText.Quote(_key);
        var state = Absent;
        var done = new bool[_operations.Length];
        foreach (var op in prefix)
        {
            TryStep(op, state, _exactValue, out state);
            done[op] = true;
        }

        var deadline = -1;
        for (var op = 0; op < _operations.Length; op++)
        {
            if (searched[op] && !done[op] && _known[op] && (deadline < 0 || _returnRank[op] < _returnRank[deadline])) deadline = op;
        }

        text.Append(prefix.Length == 0 ? $"Initially {key} is absent." : $"After that prefix {key} holds {HistoryText.Value(_values[state])}.");
        if (deadline >= 0)
        {
            var d = _operations[deadline];
            text.AppendLine($" Operation #{d.Id} returned at {HistoryText.Time(d.ReturnTime)}, so it or an operation invoked before that must come next, and none can:");
            for (var op = 0; op < _operations.Length; op++)
            {
                if (!searched[op] || done[op] || _invokeRank[op] > _returnRank[deadline]) continue;
                text.Append("  ").Append(_operations[op]).Append(": ").AppendLine(WhyNotNext(op, state));
            }
        }
        else
        {
            text.AppendLine();
        }

        var leftOut = 0;
        foreach (var s in searched) if (!s) leftOut++;
        if (leftOut > 0)
        {
            text.AppendLine($"({leftOut} operation(s) on {key} cannot affect the verdict and were not searched: reads with unknown outcome or that failed, " +
                            "writes that reported failure, and writes with unknown outcome whose value nobody observed.)");
        }

        return text.ToString();
    }

    private string WhyNotNext(int op, int state)
    {
        var key = HistoryText.Quote(_key);
        var holds = HistoryText.Value(_values[state]);
        if (TryStep(op, state, _exactValue, out _))
        {
            return "it fits here, but no continuation after it linearizes the rest";
        }

        if (_kind[op] == KvOpKind.Get)
        {
            var read = _values[_read[op]];
            var never = read is not null && !IsWrittenAnywhere(_read[op])
                ? $"; no operation on {key} ever writes {HistoryText.Value(read)}"
                : string.Empty;
            return $"it read {HistoryText.Value(read)}, but {key} held {holds}{never}";
        }

        var expected = HistoryText.Value(_values[_expected[op]]);
        return _ok[op]
            ? $"it swapped, but {key} held {holds}, not the expected {expected}"
            : $"it did not swap, yet {key} held the expected {expected}";
    }

    private bool IsWrittenAnywhere(int value)
    {
        for (var op = 0; op < _operations.Length; op++)
        {
            if ((_kind[op] == KvOpKind.Put || _kind[op] == KvOpKind.Cas) && _exactValue[op] == value) return true;
        }

        return false;
    }

    private int Intern(Dictionary<string, int> ids, string? value)
    {
        if (value is null) return Absent;
        if (!ids.TryGetValue(value, out var id))
        {
            id = _values.Count;
            _values.Add(value);
            ids.Add(value, id);
        }

        return id;
    }

    /// <summary>
    /// Positions of every invocation and return in event order: by time, then recording sequence, with an
    /// invocation before a return at the same (time, sequence) so that such operations count as concurrent.
    /// </summary>
    private static (int[] Invoke, int[] Return) RankEvents(Operation[] operations)
    {
        var n = operations.Length;
        var events = new List<(long Time, long Sequence, int Kind, int Op)>(2 * n);
        for (var i = 0; i < n; i++)
        {
            var operation = operations[i];
            events.Add((operation.InvokeTime, operation.InvokeSequence, 0, i));
            if (operation.Output is not null)
            {
                events.Add((operation.ReturnTime, operation.ReturnSequence, 1, i));
            }
        }

        events.Sort();
        var invoke = new int[n];
        var @return = new int[n];
        Array.Fill(@return, NoReturn);
        for (var rank = 0; rank < events.Count; rank++)
        {
            var (_, _, kind, op) = events[rank];
            if (kind == 0) invoke[op] = rank;
            else @return[op] = rank;
        }

        return (invoke, @return);
    }

    private static void Lift(int call, int ret, int[] next, int[] prev)
    {
        Remove(call, next, prev);
        if (ret >= 0) Remove(ret, next, prev);
    }

    private static void Unlift(int call, int ret, int[] next, int[] prev)
    {
        if (ret >= 0) Restore(ret, next, prev);
        Restore(call, next, prev);
    }

    private static void Remove(int e, int[] next, int[] prev)
    {
        next[prev[e]] = next[e];
        if (next[e] >= 0) prev[next[e]] = prev[e];
    }

    private static void Restore(int e, int[] next, int[] prev)
    {
        next[prev[e]] = e;
        if (next[e] >= 0) prev[next[e]] = e;
    }

    /// <summary>The SplitMix64 finalizer: spreads the bits of <paramref name="x"/> for hashing.</summary>
    internal static ulong Mix64(ulong x)
    {
        x ^= x >> 30;
        x *= 0xBF58476D1CE4E5B9UL;
        x ^= x >> 27;
        x *= 0x94D049BB133111EBUL;
        x ^= x >> 31;
        return x;
    }
}
