using AkkaRaft.TestSupport.Linearizability;

namespace AkkaRaft.Raft.Tests.Linearizability;

/// <summary>
/// A history generated from a real sequential execution, shaped like the simulation's: closed-loop clients each
/// issue one operation at a time; every operation gets a linearization point inside its interval, and the
/// operations are applied to a dictionary in the order of those points, which gives their outputs. Some
/// operations time out: the client gives up and moves on, and the write takes effect at a point after its
/// invocation — possibly long after, while the client is already busy with later requests — or never. Values
/// are unique per write.
/// </summary>
internal sealed class RandomHistory
{
    public required int Seed { get; init; }

    /// <summary>The operations, ids 0..n-1 in invocation order.</summary>
    public required Operation[] Operations { get; init; }

    /// <summary>Generates a history; <paramref name="timeoutPercentMax"/> bounds the share of operations that time out.</summary>
    public static RandomHistory Generate(int seed, int operationCount, int keyCount, int clientCount, int timeoutPercentMax = 20)
    {
        var random = new Random(seed);

        // Some seeds never make a key absent again, so that reads of "absent" after a write are impossible there.
        var allowsRemoval = random.Next(2) == 0;
        var latencyMax = 5 + random.Next(60);
        var timeoutPercent = random.Next(timeoutPercentMax);
        const int timeoutTicks = 100;

        // First the timelines: who invokes what when, and when each operation takes effect.
        var plans = new List<Plan>(operationCount);
        var clock = new long[clientCount];
        for (var c = 0; c < clientCount; c++) clock[c] = random.Next(20);
        for (var i = 0; i < operationCount; i++)
        {
            var client = 0;
            for (var c = 1; c < clientCount; c++) if (clock[c] < clock[client]) client = c;
            var invoke = clock[client];
            var timedOut = random.Next(100) < timeoutPercent;

            // Points are distinct (x10 plus a unique remainder below 10) so the execution order is unambiguous;
            // times of invocations and returns are multiples of 10 around them.
            var point = ((invoke + 1 + random.Next(timedOut ? 3 * timeoutTicks : latencyMax)) * 10) + (i % 10);
            var @return = timedOut ? Operation.UnknownReturnTime : (point / 10) + 1 + random.Next(latencyMax);
            clock[client] = (timedOut ? invoke + timeoutTicks : @return) + random.Next(10);
            plans.Add(new Plan(i, client, $"k{random.Next(keyCount)}", invoke * 10, point,
                timedOut ? @return : @return * 10, timedOut, timedOut && random.Next(2) == 0));
        }

        // Then the execution, in the order of the points; the inputs are drawn as the execution reaches them, so a
        // compare-and-set can expect the value its key holds at that moment.
        var state = new Dictionary<string, string>(StringComparer.Ordinal);
        var written = new Dictionary<string, List<string>>(StringComparer.Ordinal);
        var operations = new Operation[operationCount];
        foreach (var plan in plans.OrderBy(p => p.Point))
        {
            var key = plan.Key;
            var i = plan.Index;
            state.TryGetValue(key, out var current);
            KvInput input;
            KvOutput output;
            var roll = random.Next(100);
            if (roll < 40)
            {
                input = new KvInput(KvOpKind.Get, key);
                output = KvOutput.Read(current);
            }
            else if (roll < 70 || (!allowsRemoval && roll < 80))
            {
                input = new KvInput(KvOpKind.Put, key, $"p{i}");
                output = KvOutput.Written;
            }
            else if (roll < 80)
            {
                input = new KvInput(KvOpKind.Delete, key);
                output = KvOutput.Written;
            }
            else
            {
                // Expect the current value half of the time, otherwise an earlier value of the key or absent.
                var history = written.GetValueOrDefault(key);
                var expected = random.Next(2) == 0 || history is null
                    ? current
                    : random.Next(4) == 0 ? null : history[random.Next(history.Count)];
                var value = allowsRemoval && random.Next(10) == 0 ? null : $"c{i}";
                input = new KvInput(KvOpKind.Cas, key, value, expected);
                output = KvOutput.Cas(current == expected);
            }

            var applies = input.Kind != KvOpKind.Get && (!plan.TimedOut || plan.AppliesIfTimedOut);
            if (applies && (input.Kind != KvOpKind.Cas || current == input.Expected))
            {
                var next = input.Kind == KvOpKind.Delete ? null : input.Value;
                if (next is null) state.Remove(key);
                else state[key] = next;
                if (next is not null)
                {
                    if (!written.TryGetValue(key, out var values)) written[key] = values = [];
                    values.Add(next);
                }
            }

            operations[i] = plan.TimedOut
                ? Operation.TimedOut(i, plan.Client, input, plan.Invoke)
                : Operation.Completed(i, plan.Client, input, output, plan.Invoke, plan.Return);
        }

        return new RandomHistory { Seed = seed, Operations = operations };
    }

    /// <summary>The same history as a <see cref="HistoryRecorder"/> would record it, events replayed in time order.</summary>
    public IReadOnlyList<Operation> Recorded()
    {
        var events = new List<(long Time, int Kind, int Op)>();
        foreach (var operation in Operations)
        {
            events.Add((operation.InvokeTime, 0, operation.Id));
            if (operation.IsOutcomeKnown) events.Add((operation.ReturnTime, 1, operation.Id));
        }

        events.Sort();
        var recorder = new HistoryRecorder();
        var ids = new int[Operations.Length];
        foreach (var (time, kind, op) in events)
        {
            if (kind == 0) ids[op] = recorder.Invoke(Operations[op].ClientId, Operations[op].Input, time);
            else recorder.Return(ids[op], Operations[op].Output!, time);
        }

        foreach (var operation in Operations)
        {
            if (!operation.IsOutcomeKnown) recorder.Timeout(ids[operation.Id]);
        }

        return recorder.Operations;
    }

    private sealed record Plan(int Index, int Client, string Key, long Invoke, long Point, long Return, bool TimedOut, bool AppliesIfTimedOut);
}
