using AkkaRaft.TestSupport.Linearizability;

namespace AkkaRaft.Raft.Tests.Linearizability;

/// <summary>
/// The definition of linearizability, enumerated naively for tiny histories: try every order of the operations
/// that respects real time (a precedes b when a returned strictly before b was invoked), where an operation with
/// unknown outcome may also be left out, and replay it on a dictionary. Used as an oracle for the checker, so it
/// shares none of its machinery: whole history (no split per key), no event list, no reductions; it only remembers
/// the (operations done, dictionary) situations it already saw fail.
/// </summary>
internal static class BruteForceLinearizability
{
    public static bool IsLinearizable(IReadOnlyList<Operation> history) =>
        Search(history, new bool[history.Count], new Dictionary<string, string>(StringComparer.Ordinal), []);

    private static bool Search(IReadOnlyList<Operation> history, bool[] done, Dictionary<string, string> state, HashSet<string> failed)
    {
        var situation = string.Concat(done.Select(d => d ? '1' : '0')) + "|" +
                        string.Join(",", state.OrderBy(p => p.Key, StringComparer.Ordinal).Select(p => $"{p.Key}={p.Value}"));
        if (failed.Contains(situation)) return false;

        var allKnownDone = true;
        for (var i = 0; i < history.Count; i++)
        {
            if (!done[i] && history[i].IsOutcomeKnown) allKnownDone = false;
        }

        if (allKnownDone) return true;
        for (var i = 0; i < history.Count; i++)
        {
            if (done[i] || MustWait(history, done, i)) continue;
            var saved = new Dictionary<string, string>(state, StringComparer.Ordinal);
            if (!Apply(history[i], state))
            {
                continue;
            }

            done[i] = true;
            if (Search(history, done, state, failed)) return true;
            done[i] = false;
            state.Clear();
            foreach (var (key, value) in saved) state[key] = value;
        }

        failed.Add(situation);
        return false;
    }

    private static bool MustWait(IReadOnlyList<Operation> history, bool[] done, int candidate)
    {
        for (var j = 0; j < history.Count; j++)
        {
            if (j != candidate && !done[j] && history[j].IsOutcomeKnown && history[j].ReturnTime < history[candidate].InvokeTime) return true;
        }

        return false;
    }

    /// <summary>Applies the operation; false when its known output disagrees with the dictionary.</summary>
    private static bool Apply(Operation operation, Dictionary<string, string> state)
    {
        var input = operation.Input;
        var output = operation.Output;
        var current = state.GetValueOrDefault(input.Key);
        switch (input.Kind)
        {
            case KvOpKind.Get:
                return output is null || !output.Ok || output.Value == current;
            case KvOpKind.Put:
                if (output is null || output.Ok) state[input.Key] = input.Value!;
                return true;
            case KvOpKind.Delete:
                if (output is null || output.Ok) state.Remove(input.Key);
                return true;
            default:
                var swaps = current == input.Expected;
                if (output is not null && output.Ok != swaps) return false;
                if (swaps)
                {
                    if (input.Value is null) state.Remove(input.Key);
                    else state[input.Key] = input.Value;
                }

                return true;
        }
    }
}
