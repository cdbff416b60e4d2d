namespace AkkaRaft.Raft.StateMachines;

/// <summary>
/// Checks that any <see cref="IStateMachine"/> keeps the contract Raft relies on, in the spirit of Akka's
/// persistence TCK: call <see cref="CheckAll"/> from your tests with a factory of fresh instances, a log of
/// steps that exercises your commands (including session expiries if you have ephemeral data) and the queries
/// that observe your state. Each check throws a <see cref="StateMachineConformanceException"/> that names the
/// check and the step where the contract broke; it needs no test framework.
/// </summary>
/// <remarks>
/// Every check replays the steps as log entries 1, 2, 3, ... in term 1. The checks are:
/// <list type="bullet">
/// <item><see cref="CheckDeterministicApply"/>: two instances fed the same log give the same results and
/// byte-identical snapshots.</item>
/// <item><see cref="CheckSnapshotIsStable"/>: writing a snapshot twice gives the same bytes, and queries change
/// nothing.</item>
/// <item><see cref="CheckSnapshotRoundTrip"/>: an instance restored from a snapshot taken anywhere in the log
/// answers every query as the original and, fed the rest of the log, gives the same results and the same final
/// snapshot.</item>
/// <item><see cref="CheckRestoreReplacesState"/>: restoring replaces the state instead of merging into it.</item>
/// <item><see cref="CheckTruncatedSnapshotRejected"/>: a truncated snapshot is refused with
/// <see cref="InvalidSnapshotException"/> and leaves the state unchanged.</item>
/// </list>
/// </remarks>
public static class StateMachineConformance
{
    /// <summary>Runs every check.</summary>
    /// <param name="create">Makes a fresh, empty instance each call.</param>
    /// <param name="steps">The log to replay.</param>
    /// <param name="queries">Queries whose answers must agree between instances in the same state.</param>
    /// <exception cref="StateMachineConformanceException">A check failed.</exception>
    public static void CheckAll(Func<IStateMachine> create, IReadOnlyList<StateMachineStep> steps, IReadOnlyList<ReadOnlyMemory<byte>> queries)
    {
        CheckDeterministicApply(create, steps);
        CheckSnapshotIsStable(create, steps, queries);
        CheckSnapshotRoundTrip(create, steps, queries);
        CheckRestoreReplacesState(create, steps, queries);
        CheckTruncatedSnapshotRejected(create, steps);
    }

    /// <summary>Two fresh instances fed the same log return the same results and write byte-identical snapshots.</summary>
    /// <exception cref="StateMachineConformanceException">They differ.</exception>
    public static void CheckDeterministicApply(Func<IStateMachine> create, IReadOnlyList<StateMachineStep> steps)
    {
        const string check = "deterministic apply";
        ArgumentNullException.ThrowIfNull(create);
        ArgumentNullException.ThrowIfNull(steps);
        var first = create();
        var second = create();
        ApplyBoth(check, first, second, steps, 0, steps.Count);
        RequireSameSnapshot(check, Snapshot(first), Snapshot(second), "after the whole log");
    }

    /// <summary>
    /// Writing the snapshot twice gives the same bytes, and answering every query between the two changes
    /// nothing that the snapshot shows.
    /// </summary>
    /// <exception cref="StateMachineConformanceException">The snapshot changed.</exception>
    public static void CheckSnapshotIsStable(Func<IStateMachine> create, IReadOnlyList<StateMachineStep> steps, IReadOnlyList<ReadOnlyMemory<byte>> queries)
    {
        const string check = "snapshot is stable";
        ArgumentNullException.ThrowIfNull(create);
        ArgumentNullException.ThrowIfNull(steps);
        ArgumentNullException.ThrowIfNull(queries);
        var machine = create();
        StateMachineStep.ApplyAll(machine, steps);
        var before = Snapshot(machine);
        RequireSameSnapshot(check, before, Snapshot(machine), "when written twice in a row");
        foreach (var query in queries)
        {
            machine.Query(query);
        }

        RequireSameSnapshot(check, before, Snapshot(machine), $"after answering {queries.Count} queries");
    }

    /// <summary>
    /// For a snapshot taken at the start, the middle and the end of the log: a fresh instance restored from it
    /// writes the same snapshot, answers every query as the original, and, fed the rest of the log alongside the
    /// original, returns the same results and ends with the same snapshot.
    /// </summary>
    /// <exception cref="StateMachineConformanceException">The restored instance differs.</exception>
    public static void CheckSnapshotRoundTrip(Func<IStateMachine> create, IReadOnlyList<StateMachineStep> steps, IReadOnlyList<ReadOnlyMemory<byte>> queries)
    {
        const string check = "snapshot round trip";
        ArgumentNullException.ThrowIfNull(create);
        ArgumentNullException.ThrowIfNull(steps);
        ArgumentNullException.ThrowIfNull(queries);
        foreach (var split in new SortedSet<int> { 0, steps.Count / 2, steps.Count })
        {
            var original = create();
            ApplyRange(original, steps, 0, split);
            var snapshot = Snapshot(original);
            var restored = create();
            Restore(check, restored, snapshot, $"the snapshot taken after {split} steps");
            RequireSameSnapshot(check, snapshot, Snapshot(restored), $"after restoring the snapshot taken after {split} steps");
            RequireSameAnswers(check, original, restored, queries, $"after restoring the snapshot taken after {split} steps");
            ApplyBoth(check, original, restored, steps, split, steps.Count);
            RequireSameSnapshot(check, Snapshot(original), Snapshot(restored), $"at the end of the log, restored after {split} steps");
            RequireSameAnswers(check, original, restored, queries, $"at the end of the log, restored after {split} steps");
        }
    }

    /// <summary>
    /// Restoring replaces the state: an instance that applied the log and then restores the snapshot of an empty
    /// instance is empty again, and one that applied half the log and restores the full log's snapshot equals the
    /// instance that applied the full log.
    /// </summary>
    /// <exception cref="StateMachineConformanceException">Something of the previous state survived a restore.</exception>
    public static void CheckRestoreReplacesState(Func<IStateMachine> create, IReadOnlyList<StateMachineStep> steps, IReadOnlyList<ReadOnlyMemory<byte>> queries)
    {
        const string check = "restore replaces state";
        ArgumentNullException.ThrowIfNull(create);
        ArgumentNullException.ThrowIfNull(steps);
        ArgumentNullException.ThrowIfNull(queries);
        var empty = create();
        var emptySnapshot = Snapshot(empty);
        var full = create();
        StateMachineStep.ApplyAll(full, steps);
        var fullSnapshot = Snapshot(full);

        var wiped = create();
        StateMachineStep.ApplyAll(wiped, steps);
        Restore(check, wiped, emptySnapshot, "the snapshot of an empty instance");
        RequireSameSnapshot(check, emptySnapshot, Snapshot(wiped), "after restoring an empty snapshot over the applied log");
        RequireSameAnswers(check, empty, wiped, queries, "after restoring an empty snapshot over the applied log");

        var caughtUp = create();
        ApplyRange(caughtUp, steps, 0, steps.Count / 2);
        Restore(check, caughtUp, fullSnapshot, "the snapshot of the whole log");
        RequireSameSnapshot(check, fullSnapshot, Snapshot(caughtUp), "after restoring the whole log's snapshot over half of it");
        RequireSameAnswers(check, full, caughtUp, queries, "after restoring the whole log's snapshot over half of it");
    }

    /// <summary>
    /// Restoring the snapshot of the applied log cut short (to nothing, half, and all but its last byte) throws
    /// <see cref="InvalidSnapshotException"/> and leaves the instance as it was.
    /// </summary>
    /// <exception cref="StateMachineConformanceException">A truncated snapshot was accepted, failed with another
    /// exception type, or changed the state.</exception>
    public static void CheckTruncatedSnapshotRejected(Func<IStateMachine> create, IReadOnlyList<StateMachineStep> steps)
    {
        const string check = "truncated snapshot rejected";
        ArgumentNullException.ThrowIfNull(create);
        ArgumentNullException.ThrowIfNull(steps);
        var source = create();
        StateMachineStep.ApplyAll(source, steps);
        var snapshot = Snapshot(source);
        if (snapshot.Length == 0)
        {
            // An empty snapshot has no shorter form to refuse.
            return;
        }

        foreach (var length in new SortedSet<int> { 0, snapshot.Length / 2, snapshot.Length - 1 })
        {
            var target = create();
            ApplyRange(target, steps, 0, steps.Count / 2);
            var before = Snapshot(target);
            try
            {
                using var input = new MemoryStream(snapshot, 0, length, writable: false);
                target.RestoreSnapshot(input);
                throw Fail(check, $"a snapshot of {snapshot.Length} bytes cut to {length} bytes was accepted");
            }
            catch (InvalidSnapshotException)
            {
                // Expected; the state must be as before.
            }
            catch (StateMachineConformanceException)
            {
                throw;
            }
            catch (Exception e)
            {
                throw Fail(check, $"a snapshot of {snapshot.Length} bytes cut to {length} bytes failed with {e.GetType().Name} " +
                    $"instead of {nameof(InvalidSnapshotException)}: {e.Message}");
            }

            RequireSameSnapshot(check, before, Snapshot(target), $"after refusing a snapshot cut to {length} bytes");
        }
    }

    /// <summary>The snapshot <paramref name="machine"/> writes now, as bytes.</summary>
    public static byte[] Snapshot(IStateMachine machine)
    {
        ArgumentNullException.ThrowIfNull(machine);
        using var output = new MemoryStream();
        machine.WriteSnapshot(output);
        return output.ToArray();
    }

    /// <summary>Whether two results carry the same response bytes and the same changed keys in the same order.</summary>
    public static bool SameResult(ApplyResult x, ApplyResult y)
    {
        ArgumentNullException.ThrowIfNull(x);
        ArgumentNullException.ThrowIfNull(y);
        return x.Response.Span.SequenceEqual(y.Response.Span) && x.ChangedKeys.SequenceEqual(y.ChangedKeys, StringComparer.Ordinal);
    }

    /// <summary>Whether two answers carry the same response bytes and the same read keys in the same order.</summary>
    public static bool SameAnswer(QueryResult x, QueryResult y)
    {
        ArgumentNullException.ThrowIfNull(x);
        ArgumentNullException.ThrowIfNull(y);
        return x.Response.Span.SequenceEqual(y.Response.Span) && x.ReadKeys.SequenceEqual(y.ReadKeys, StringComparer.Ordinal);
    }

    private static void ApplyRange(IStateMachine machine, IReadOnlyList<StateMachineStep> steps, int from, int to)
    {
        for (var i = from; i < to; i++)
        {
            steps[i].ApplyTo(machine, (ulong)i + 1);
        }
    }

    private static void ApplyBoth(string check, IStateMachine first, IStateMachine second, IReadOnlyList<StateMachineStep> steps, int from, int to)
    {
        for (var i = from; i < to; i++)
        {
            var index = (ulong)i + 1;
            var x = steps[i].ApplyTo(first, index);
            var y = steps[i].ApplyTo(second, index);
            if (!x.Response.Span.SequenceEqual(y.Response.Span))
            {
                throw Fail(check, $"step {i} (index {index}, {steps[i]}) returned different responses: {Hex(x.Response.Span)} and {Hex(y.Response.Span)}");
            }

            if (!x.ChangedKeys.SequenceEqual(y.ChangedKeys, StringComparer.Ordinal))
            {
                throw Fail(check, $"step {i} (index {index}, {steps[i]}) reported different changed keys: " +
                    $"[{string.Join(", ", x.ChangedKeys)}] and [{string.Join(", ", y.ChangedKeys)}]");
            }
        }
    }

    private static void RequireSameAnswers(string check, IStateMachine expected, IStateMachine actual, IReadOnlyList<ReadOnlyMemory<byte>> queries, string when)
    {
        for (var i = 0; i < queries.Count; i++)
        {
            var x = expected.Query(queries[i]);
            var y = actual.Query(queries[i]);
            if (!SameAnswer(x, y))
            {
                throw Fail(check, $"query {i} was answered differently {when}: {Hex(x.Response.Span)} [{string.Join(", ", x.ReadKeys)}] " +
                    $"and {Hex(y.Response.Span)} [{string.Join(", ", y.ReadKeys)}]");
            }
        }
    }

    private static void RequireSameSnapshot(string check, byte[] expected, byte[] actual, string when)
    {
        var common = Math.Min(expected.Length, actual.Length);
        var offset = expected.AsSpan(0, common).CommonPrefixLength(actual.AsSpan(0, common));
        if (offset == common && expected.Length == actual.Length)
        {
            return;
        }

        throw Fail(check, $"snapshots differ {when}: {expected.Length} and {actual.Length} bytes, first difference at byte {offset}");
    }

    private static void Restore(string check, IStateMachine machine, byte[] snapshot, string what)
    {
        try
        {
            using var input = new MemoryStream(snapshot, writable: false);
            machine.RestoreSnapshot(input);
        }
        catch (Exception e)
        {
            throw Fail(check, $"restoring {what} ({snapshot.Length} bytes) failed with {e.GetType().Name}: {e.Message}");
        }
    }

    private static StateMachineConformanceException Fail(string check, string what) => new($"State machine contract broken ({check}): {what}.");

    private static string Hex(ReadOnlySpan<byte> bytes) =>
        bytes.Length <= 64 ? Convert.ToHexString(bytes) : $"{Convert.ToHexString(bytes[..64])}... ({bytes.Length} bytes)";
}

/// <summary>A <see cref="StateMachineConformance"/> check found a state machine that breaks the contract.</summary>
public sealed class StateMachineConformanceException : Exception
{
    /// <summary>Creates the exception with a message naming the check and where it broke.</summary>
    public StateMachineConformanceException(string message)
        : base(message)
    {
    }
}
