using AkkaRaft.TestSupport.Linearizability;

namespace AkkaRaft.Raft.Tests.Linearizability;

/// <summary>
/// The definition of linearizability, enumerated naively for tiny histories: try every order of the operations
/// that respects real time (a precedes b when a returned strictly before b was invoked), where an operation with
/// unknown outcome may also be left out, and replay it on a dictionary. Used as an oracle for the checker.
/// </summary>
internal static class BruteForceLinearizability
{
    public static bool IsLinearizable(IReadOnlyList<Operation> history) =>
        Search(history, new bool[history.Count], new Dictionary<string, string>(StringComparer.Ordinal));

    private static bool Search(IReadOnlyList<Operation> history, bool[] done, Dictionary<string, string> state)
    {
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
            if (Search(history, done, state)) return true;
            done[i] = false;
            state.Clear();
            foreach (var (key, value) in saved) state[key] = value;
        }

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
                return output is null || output.Value == current;
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
