namespace AkkaRaft.TestSupport.Linearizability;

/// <summary>The depth-first search itself: the event lists, the path, the memo, and the reductions that prune it.</summary>
internal sealed partial class KeySearch
{
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

                    // The only choice worth trying here leads to a state already explored: this node fails too.
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
                    var exhausted = pending < 0 || _model._invokeRank[_pendingOp[pending]] > bound;
                    if (!exhausted)
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

        /// <summary>What <see cref="TryPush"/> did: linearized the operation, did not (the model refuses it or the state was explored), or ran out of budget.</summary>
        private enum Push { Pushed, NotTaken, OverBudget }

        /// <summary>Linearizes <paramref name="op"/> (chosen through <paramref name="choice"/>) if the model accepts it and the state is new.</summary>
        private Push TryPush(int choice, int op, bool isKnown, int bound, bool forced, long maxStates)
        {
            if (!_model.TryStep(op, _state, _model._value, out var nextState)) return Push.NotTaken;
            var slot = _slotOf[op];
            var bits = isKnown ? _knownBits : _unknownBits;
            var mask = 1UL << (slot & 63);
            bits[slot >> 6] |= mask;
            var hash = isKnown ? _knownHash ^ _zobrist[slot] : _knownHash;
            if (!_visited.Add(_knownBits, _unknownBits, nextState, hash ^ Mix64((ulong)(uint)nextState)))
            {
                bits[slot >> 6] &= ~mask;
                return Push.NotTaken;
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
}
