using System.Text.Json;
using AkkaRaft.TestSupport.Linearizability;

namespace AkkaRaft.Faults.History;

/// <summary>What a history file holds, as the checker sees it.</summary>
/// <param name="Operations">The operations that constrain the register: reads that returned, writes and cas that took effect, may have, or (cas) observed a mismatch.</param>
/// <param name="Invocations">Every invocation in the file.</param>
/// <param name="Counts">Completions by function and type; an invocation never completed counts as <c>info</c>.</param>
internal sealed record LoadedHistory(IReadOnlyList<Operation> Operations, int Invocations, IReadOnlyDictionary<(string F, string Type), int> Counts);

/// <summary>
/// Reads a history file back into the checker's operations. A read that failed or timed out observed nothing and is
/// left out; a write or cas that failed certainly had no effect and is left out; one that timed out (<c>info</c>), or
/// whose completion is missing (the harness died), may take effect at any time after its invocation, or never; a cas
/// whose compare failed is kept as an observation that the register did not hold the expected value. Times are the
/// file's microseconds; the order of lines breaks ties.
/// </summary>
internal static class HistoryFile
{
    /// <summary>Loads <paramref name="path"/>.</summary>
    /// <exception cref="InvalidDataException">A line is not a history event, or a completion has no invocation.</exception>
    public static LoadedHistory Load(string path)
    {
        var invokes = new Dictionary<int, (HistoryEvent Event, long Line)>();
        var operations = new List<Operation>();
        var counts = new Dictionary<(string, string), int>();
        long lineNumber = 0;
        foreach (var line in File.ReadLines(path))
        {
            lineNumber++;
            if (line.Length == 0) continue;
            HistoryEvent entry;
            try
            {
                entry = JsonSerializer.Deserialize<HistoryEvent>(line, HistoryEvent.Json) ?? throw new InvalidDataException("null");
            }
            catch (JsonException e)
            {
                throw new InvalidDataException($"{path}:{lineNumber}: not a history event: {e.Message}", e);
            }

            if (entry.Type == "invoke")
            {
                if (!invokes.TryAdd(entry.Op, (entry, lineNumber))) throw new InvalidDataException($"{path}:{lineNumber}: operation {entry.Op} invoked twice");
                continue;
            }

            if (!entry.IsCompletion) throw new InvalidDataException($"{path}:{lineNumber}: unknown type '{entry.Type}'");
            if (!invokes.Remove(entry.Op, out var invoke)) throw new InvalidDataException($"{path}:{lineNumber}: operation {entry.Op} completes without an invocation");
            counts[(invoke.Event.F, entry.Type)] = counts.GetValueOrDefault((invoke.Event.F, entry.Type)) + 1;
            if (ToOperation(invoke.Event, invoke.Line, entry, lineNumber, path) is { } operation) operations.Add(operation);
        }

        // Invocations the file never completes: the harness stopped while they ran.
        foreach (var (entry, line) in invokes.Values)
        {
            counts[(entry.F, "info")] = counts.GetValueOrDefault((entry.F, "info")) + 1;
            if (entry.F != "read") operations.Add(Indeterminate(entry, line, path));
        }

        var invocations = counts.Values.Sum();
        return new LoadedHistory(operations, invocations, counts);
    }

    private static Operation? ToOperation(HistoryEvent invoke, long invokeLine, HistoryEvent completion, long completionLine, string path)
    {
        Operation Done(KvInput input, KvOutput output) =>
            new(invoke.Op, invoke.Process, input, output, invoke.Time, completion.Time) { InvokeSequence = invokeLine, ReturnSequence = completionLine };

        switch (invoke.F, completion.Type)
        {
            case ("read", "ok"):
                return Done(new KvInput(KvOpKind.Get, invoke.Key), KvOutput.Read(completion.Value));
            case ("read", _):
                return null;
            case ("write", "ok"):
                return Done(new KvInput(KvOpKind.Put, invoke.Key, invoke.Value), KvOutput.Written);
            case ("cas", "ok"):
                return Done(new KvInput(KvOpKind.Cas, invoke.Key, invoke.Value, invoke.Expected), KvOutput.Cas(true));
            case ("cas", "fail") when completion.Mismatch == true:
                return Done(new KvInput(KvOpKind.Cas, invoke.Key, invoke.Value, invoke.Expected), KvOutput.Cas(false));
            case ("write" or "cas", "fail"):
                return null;
            case ("write" or "cas", "info"):
                return Indeterminate(invoke, invokeLine, path);
            default:
                throw new InvalidDataException($"{path}:{completionLine}: unknown function '{invoke.F}'");
        }
    }

    private static Operation Indeterminate(HistoryEvent invoke, long invokeLine, string path)
    {
        var input = invoke.F switch
        {
            "write" => new KvInput(KvOpKind.Put, invoke.Key, invoke.Value),
            "cas" => new KvInput(KvOpKind.Cas, invoke.Key, invoke.Value, invoke.Expected),
            _ => throw new InvalidDataException($"{path}:{invokeLine}: unknown function '{invoke.F}'"),
        };
        return Operation.TimedOut(invoke.Op, invoke.Process, input, invoke.Time) with { InvokeSequence = invokeLine };
    }
}
