using AkkaRaft.TestSupport.Linearizability;

namespace AkkaRaft.Raft.Tests.Linearizability;

/// <summary>
/// Ways to break one operation of a <see cref="RandomHistory"/> so that the history is certainly not
/// linearizable any more; each says why in its comment. A corruption returns null when the history has no
/// operation it applies to.
/// </summary>
internal static class Corruptions
{
    /// <summary>A corrupted history and the operation that was changed (or added).</summary>
    internal sealed record Corrupted(string Kind, Operation[] Operations, Operation Culprit);

    public static readonly (string Kind, Func<RandomHistory, Random, Corrupted?> Apply)[] All =
    [
        ("read of a value never written", NeverWrittenRead),
        ("read of a value written only after the read returned", FutureRead),
        ("stale read of a value overwritten by a completed write", StaleRead),
        ("read of absent on a key that can never be absent again", ImpossibleAbsent),
        ("compare-and-set that swapped from a value never written", SwapFromNeverWritten),
        ("lost update: a second compare-and-set swapping from the same value", LostUpdate),
    ];

    /// <summary>No operation writes the value read, so no linearization has the register hold it.</summary>
    private static Corrupted? NeverWrittenRead(RandomHistory history, Random random)
    {
        var reads = Reads(history);
        if (reads.Count == 0) return null;
        var read = reads[random.Next(reads.Count)];
        return Replace(history, "read of a value never written", read with { Output = KvOutput.Read($"never-written-{history.Seed}") });
    }

    /// <summary>
    /// The value read is written by exactly one operation (values are unique), invoked strictly after the read
    /// returned; a linearization point lies inside each interval, so the write takes effect after the read.
    /// </summary>
    private static Corrupted? FutureRead(RandomHistory history, Random random)
    {
        foreach (var read in Shuffled(Reads(history), random))
        {
            var future = history.Operations
                .Where(w => w.Input.Key == read.Input.Key && w.Input.Value is not null && w.InvokeTime > read.ReturnTime)
                .ToList();
            if (future.Count == 0) continue;
            var value = future[random.Next(future.Count)].Input.Value;
            return Replace(history, "read of a value written only after the read returned", read with { Output = KvOutput.Read(value) });
        }

        return null;
    }

    /// <summary>
    /// The value read, u, is written only by w0; a write w that certainly took effect (a completed put or delete,
    /// or a compare-and-set that reported a swap) was invoked after w0 returned and returned before the read was
    /// invoked. So w0, w and the read take effect in that order, and after w the register never holds u again.
    /// </summary>
    private static Corrupted? StaleRead(RandomHistory history, Random random)
    {
        foreach (var read in Shuffled(Reads(history), random))
        {
            // Of the certain writes before the read, the one invoked last leaves the most earlier writes to pick from.
            Operation? w = null;
            foreach (var o in history.Operations)
            {
                if (o.Input.Key == read.Input.Key && o.IsOutcomeKnown && o.Input.Kind != KvOpKind.Get && o.Output!.Ok &&
                    o.ReturnTime < read.InvokeTime && (w is null || o.InvokeTime > w.InvokeTime))
                {
                    w = o;
                }
            }

            if (w is null) continue;
            var stale = history.Operations
                .Where(w0 => w0.Input.Key == read.Input.Key && w0.IsOutcomeKnown && w0.Input.Kind != KvOpKind.Get &&
                             w0.Input.Value is not null && w0.ReturnTime < w.InvokeTime)
                .ToList();
            if (stale.Count == 0) continue;
            var value = stale[random.Next(stale.Count)].Input.Value;
            return Replace(history, "stale read of a value overwritten by a completed write", read with { Output = KvOutput.Read(value) });
        }

        return null;
    }

    /// <summary>
    /// On a key with no delete and no compare-and-set to absent, a completed put before the read's invocation
    /// leaves the key present forever after, so reading absent is impossible.
    /// </summary>
    private static Corrupted? ImpossibleAbsent(RandomHistory history, Random random)
    {
        var removable = new HashSet<string>();
        var firstPutReturn = new Dictionary<string, long>();
        foreach (var o in history.Operations)
        {
            if (o.Input.Kind == KvOpKind.Delete || (o.Input.Kind == KvOpKind.Cas && o.Input.Value is null)) removable.Add(o.Input.Key);
            if (o.Input.Kind == KvOpKind.Put && o.IsOutcomeKnown && o.Output!.Ok)
            {
                firstPutReturn[o.Input.Key] = Math.Min(o.ReturnTime, firstPutReturn.GetValueOrDefault(o.Input.Key, long.MaxValue));
            }
        }

        var victims = Reads(history)
            .Where(read => !removable.Contains(read.Input.Key) && firstPutReturn.GetValueOrDefault(read.Input.Key, long.MaxValue) < read.InvokeTime)
            .ToList();
        if (victims.Count == 0) return null;
        var victim = victims[random.Next(victims.Count)];
        return Replace(history, "read of absent on a key that can never be absent again", victim with { Output = KvOutput.Read(null) });
    }

    /// <summary>The register never holds the expected value, so the compare can never match.</summary>
    private static Corrupted? SwapFromNeverWritten(RandomHistory history, Random random)
    {
        var cases = Pick(history, o => o.IsOutcomeKnown && o.Input.Kind == KvOpKind.Cas);
        if (cases.Count == 0) return null;
        var victim = cases[random.Next(cases.Count)];
        return Replace(history, "compare-and-set that swapped from a value never written",
            victim with { Input = victim.Input with { Expected = $"never-written-{history.Seed}" }, Output = KvOutput.Cas(true) });
    }

    /// <summary>
    /// A copy of a swapping compare-and-set from a present value e, with the same interval and a fresh new value,
    /// also reports a swap. Values are unique, so the register holds e during one stretch only, which the first
    /// swap ends; the two cannot both have seen e.
    /// </summary>
    private static Corrupted? LostUpdate(RandomHistory history, Random random)
    {
        var swaps = Pick(history, o => o.IsOutcomeKnown && o.Input.Kind == KvOpKind.Cas && o.Output!.Ok && o.Input.Expected is not null);
        if (swaps.Count == 0) return null;
        var original = swaps[random.Next(swaps.Count)];
        var twin = original with
        {
            Id = history.Operations.Length,
            ClientId = original.ClientId + 1_000,
            Input = original.Input with { Value = $"lost-{history.Seed}" },
        };
        return new Corrupted("lost update: a second compare-and-set swapping from the same value", [.. history.Operations, twin], twin);
    }

    private static List<Operation> Reads(RandomHistory history) =>
        Pick(history, o => o.IsOutcomeKnown && o.Input.Kind == KvOpKind.Get);

    private static IEnumerable<Operation> Shuffled(List<Operation> operations, Random random)
    {
        var copy = operations.ToArray();
        random.Shuffle(copy);
        return copy;
    }

    private static List<Operation> Pick(RandomHistory history, Func<Operation, bool> eligible) =>
        history.Operations.Where(eligible).ToList();

    private static Corrupted Replace(RandomHistory history, string kind, Operation replacement)
    {
        var operations = (Operation[])history.Operations.Clone();
        operations[replacement.Id] = replacement;
        return new Corrupted(kind, operations, replacement);
    }
}
