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
internal sealed class KeySearch
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
            _known[i] = operation.Output is not null;
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
    /// One depth-first search over the searched operations of a key. Known operations live in the event list
    /// (entry 0 is its head): invocations and returns in event order. Operations of unknown outcome have no
    /// return; their invocations live in the pending list (entry 0 is its head), by invocation.
    /// </summary>
    private sealed class Walk
    {
        private readonly KeySearch _model;
        private readonly int[] _nextAlike;
        private readonly int[] _slotOf;        // per operation: its bit in the known or the unknown bitset

        private readonly int[] _entryOp;
        private readonly int[] _entryRank;
        private readonly bool[] _isCall;
        private readonly int[] _returnEntry;   // per invocation entry: its return entry
        private readonly int[] _next;
        private readonly int[] _prev;

        private readonly int[] _pendingOp;
        private readonly int[] _pendingNext;
        private readonly int[] _pendingPrev;

        private readonly ulong[] _zobrist;     // per known bit: its share of the hash of K
        private readonly ulong[] _knownBits;
        private readonly ulong[] _unknownBits;
        private readonly VisitedStates _visited;

        // The path: each choice (an event entry e as e, a pending entry u as ~u), the value before it, the bound
        // it was made under (pending choices), and whether it was forced (the only choice worth trying there).
        private readonly int[] _choice;
        private readonly int[] _stateBefore;
        private readonly int[] _bound;
        private readonly bool[] _forced;
        private int _depth;
        private int _state = Absent;
        private ulong _knownHash;
        private int _knownLeft;

        public Walk(KeySearch model, bool[] searched, int[] nextAlike)
        {
            _model = model;
            _nextAlike = nextAlike;
            var n = searched.Length;
            var events = new List<(int Rank, int Op, bool IsCall)>(2 * n);
            var unknownOps = new List<int>();
            int knownCount = 0, unknownCount = 0;
            _slotOf = new int[n];
            for (var op = 0; op < n; op++)
            {
                if (!searched[op]) continue;
                if (model._known[op])
                {
                    _slotOf[op] = knownCount++;
                    events.Add((model._invokeRank[op], op, true));
                    events.Add((model._returnRank[op], op, false));
                }
                else
                {
                    _slotOf[op] = unknownCount++;
                    unknownOps.Add(op);
                }
            }

            events.Sort((x, y) => x.Rank.CompareTo(y.Rank));
            var entries = events.Count + 1;
            _entryOp = new int[entries];
            _entryRank = new int[entries];
            _isCall = new bool[entries];
            _returnEntry = new int[entries];
            _next = new int[entries];
            _prev = new int[entries];
            var callEntryOf = new int[n];
            for (var e = 0; e < entries; e++)
            {
                _next[e] = e + 1 < entries ? e + 1 : -1;
                _prev[e] = e - 1;
                _returnEntry[e] = -1;
            }

            for (var e = 1; e < entries; e++)
            {
                var (rank, op, call) = events[e - 1];
                _entryOp[e] = op;
                _entryRank[e] = rank;
                _isCall[e] = call;
                if (call) callEntryOf[op] = e;
                else _returnEntry[callEntryOf[op]] = e;
            }

            var pendings = unknownOps.Count + 1;
            _pendingOp = new int[pendings];
            _pendingNext = new int[pendings];
            _pendingPrev = new int[pendings];
            for (var u = 0; u < pendings; u++)
            {
                _pendingOp[u] = u == 0 ? -1 : unknownOps[u - 1];
                _pendingNext[u] = u + 1 < pendings ? u + 1 : -1;
                _pendingPrev[u] = u - 1;
            }

            _zobrist = new ulong[knownCount];
            for (var k = 0; k < knownCount; k++) _zobrist[k] = Mix64(0x5851F42D4C957F2DUL + (ulong)k);
            _knownBits = new ulong[Math.Max((knownCount + 63) >> 6, 1)];
            _unknownBits = new ulong[Math.Max((unknownCount + 63) >> 6, 1)];
            _visited = new VisitedStates((knownCount + 63) >> 6, (unknownCount + 63) >> 6);
            var depthMax = knownCount + unknownCount;
            _choice = new int[depthMax];
            _stateBefore = new int[depthMax];
            _bound = new int[depthMax];
            _forced = new bool[depthMax];
            _knownLeft = knownCount;
        }

        /// <summary>The longest path found, as operation indexes in linearization order.</summary>
        public int[] LongestPrefix { get; private set; } = [];

        /// <summary>States added to the memo.</summary>
        public long ExploredStates => _visited.Count;

        public Verdict Run(long maxStates)
        {
            // The cursor: in the event list (entry), or, once the walk reached a return, among the pending unknown
            // operations invoked before that return (pending, bound = that return's rank).
            var entry = 0;
            var amongPending = false;
            var pending = -1;
            var bound = 0;
            var atNewNode = true;
            while (true)
            {
                if (_knownLeft == 0)
                {
                    // Operations of unknown outcome still pending may take effect later, or never: nothing is left to explain.
                    return Verdict.Linearizable;
                }

                bool mustBacktrack;
                if (atNewNode)
                {
                    atNewNode = false;
                    amongPending = false;
                    entry = _next[0];
                    var forced = FindForcedRead();
                    if (forced < 0)
                    {
                        continue;
                    }

                    // Linearizing this read now loses nothing (see FindForcedRead), so it is the only choice here.
                    var added = TryPush(forced, _entryOp[forced], isKnown: true, bound: 0, forced: true, maxStates);
                    if (added == Push.OverBudget) return Verdict.Undecided;
                    if (added == Push.Pushed)
                    {
                        atNewNode = true;
                        continue;
                    }

                    mustBacktrack = true;
                }
                else if (!amongPending)
                {
                    if (entry < 0)
                    {
                        // Every known operation's return is still in the list after its invocation, so the walk meets a
                        // return before running off the end while knownLeft > 0.
                        throw new InvalidOperationException(
                            $"linearizability search invariant broken on key {HistoryText.Quote(_model._key)}: reached the end of the event list with {_knownLeft} known operations not linearized");
                    }

                    if (!_isCall[entry])
                    {
                        // This operation must have taken effect already. Before backtracking, let an unknown operation
                        // invoked earlier take effect here: trying those last means the search first visits states
                        // with fewer unknown operations linearized, which then subsume the rest (see VisitedStates).
                        amongPending = true;
                        bound = _entryRank[entry];
                        pending = _pendingNext[0];
                        continue;
                    }

                    var added = TryPush(entry, _entryOp[entry], isKnown: true, bound: 0, forced: false, maxStates);
                    if (added == Push.OverBudget) return Verdict.Undecided;
                    if (added == Push.Pushed)
                    {
                        atNewNode = true;
                        continue;
                    }

                    entry = _next[entry];
                    continue;
                }
                else
                {
                    mustBacktrack = pending < 0 || _model._invokeRank[_pendingOp[pending]] > bound;
                    if (!mustBacktrack)
                    {
                        var op = _pendingOp[pending];

                        // Symmetry: of interchangeable unknown operations available here, only the one invoked last
                        // is tried. Any linearization using an earlier one here can use the last one here instead
                        // and the earlier one wherever the last one was used (it was invoked sooner, so it fits).
                        if (!HasLaterAlike(op, bound))
                        {
                            var added = TryPush(~pending, op, isKnown: false, bound, forced: false, maxStates);
                            if (added == Push.OverBudget) return Verdict.Undecided;
                            if (added == Push.Pushed)
                            {
                                atNewNode = true;
                                continue;
                            }
                        }

                        pending = _pendingNext[pending];
                        continue;
                    }
                }

                // No candidate left at this node: undo choices until one that had alternatives, and try the next.
                int choice;
                bool wasForced;
                do
                {
                    if (_depth == 0) return Verdict.NotLinearizable;
                    choice = PopChoice(out wasForced);
                }
                while (wasForced);

                if (choice >= 0)
                {
                    amongPending = false;
                    entry = _next[choice];
                }
                else
                {
                    amongPending = true;
                    bound = _bound[_depth];
                    pending = _pendingNext[~choice];
                }
            }
        }

        private enum Push { Pushed, Visited, OverBudget }

        /// <summary>Linearizes <paramref name="op"/> (chosen through <paramref name="choice"/>) if the model accepts it and the state is new.</summary>
        private Push TryPush(int choice, int op, bool isKnown, int bound, bool forced, long maxStates)
        {
            if (!_model.TryStep(op, _state, _model._value, out var nextState)) return Push.Visited;
            var slot = _slotOf[op];
            var bits = isKnown ? _knownBits : _unknownBits;
            var mask = 1UL << (slot & 63);
            bits[slot >> 6] |= mask;
            var hash = isKnown ? _knownHash ^ _zobrist[slot] : _knownHash;
            if (!_visited.Add(_knownBits, _unknownBits, nextState, hash ^ Mix64((ulong)(uint)nextState)))
            {
                bits[slot >> 6] &= ~mask;
                return Push.Visited;
            }

            if (_visited.Count > maxStates) return Push.OverBudget;
            _choice[_depth] = choice;
            _stateBefore[_depth] = _state;
            _bound[_depth] = bound;
            _forced[_depth] = forced;
            if (isKnown)
            {
                Lift(choice, _returnEntry[choice], _next, _prev);
                _knownHash = hash;
                _knownLeft--;
            }
            else
            {
                Remove(~choice, _pendingNext, _pendingPrev);
            }

            _depth++;
            _state = nextState;
            if (_depth > LongestPrefix.Length)
            {
                var prefix = new int[_depth];
                for (var i = 0; i < _depth; i++) prefix[i] = _choice[i] >= 0 ? _entryOp[_choice[i]] : _pendingOp[~_choice[i]];
                LongestPrefix = prefix;
            }

            return Push.Pushed;
        }

        /// <summary>Undoes the last choice and returns it.</summary>
        private int PopChoice(out bool forced)
        {
            _depth--;
            var choice = _choice[_depth];
            forced = _forced[_depth];
            _state = _stateBefore[_depth];
            if (choice >= 0)
            {
                var slot = _slotOf[_entryOp[choice]];
                _knownBits[slot >> 6] &= ~(1UL << (slot & 63));
                _knownHash ^= _zobrist[slot];
                _knownLeft++;
                Unlift(choice, _returnEntry[choice], _next, _prev);
            }
            else
            {
                var slot = _slotOf[_pendingOp[~choice]];
                _unknownBits[slot >> 6] &= ~(1UL << (slot & 63));
                Restore(~choice, _pendingNext, _pendingPrev);
            }

            return choice;
        }

        /// <summary>
        /// A candidate that leaves the value unchanged and accepts it — a read of the current value, or a Cas that
        /// reported no swap while the value differs from the expected one — or -1. Taking it first loses nothing:
        /// in any linearization of the rest, moving it to the front changes no value anyone sees, and it is a
        /// candidate, so no remaining operation had to precede it (partial-order reduction).
        /// </summary>
        private int FindForcedRead()
        {
            for (var e = _next[0]; e >= 0 && _isCall[e]; e = _next[e])
            {
                var op = _entryOp[e];
                var kind = _model._kind[op];
                if (kind == KvOpKind.Get ? _model._read[op] == _state : kind == KvOpKind.Cas && !_model._ok[op] && _model._expected[op] != _state)
                {
                    return e;
                }
            }

            return -1;
        }

        /// <summary>True when an operation interchangeable with unknown operation <paramref name="op"/>, invoked after it but before <paramref name="bound"/>, is still pending.</summary>
        private bool HasLaterAlike(int op, int bound)
        {
            for (var alike = _nextAlike[op]; alike >= 0 && _model._invokeRank[alike] < bound; alike = _nextAlike[alike])
            {
                var slot = _slotOf[alike];
                if ((_unknownBits[slot >> 6] & (1UL << (slot & 63))) == 0) return true;
            }

            return false;
        }
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
    /// Chooses the operations the search must place. Left out, because they cannot change the verdict:
    /// reads with unknown outcome (they observed nothing); Put/Delete that reported a definite failure (they had no
    /// effect); and writes with unknown outcome whose resulting value nobody can observe afterwards — no read of it,
    /// no Cas expecting it, and no failed Cas (which a different value could explain) returning after the write was
    /// invoked. Such a write, if it took effect, would be overwritten before anyone looked, so "never took effect"
    /// is an equally good choice; any Cas with unknown outcome it enabled was a no-op and may be dropped too.
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
            text.AppendLine($"({leftOut} operation(s) on {key} cannot affect the verdict and were not searched: reads with unknown outcome, " +
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
