using System.Diagnostics;
using AkkaRaft.TestSupport.Linearizability;
using Xunit.Abstractions;

namespace AkkaRaft.Raft.Tests.Linearizability;

/// <summary>
/// Randomized properties of the checker, seeded. Environment variables: AKKARAFT_LINCHECK_SEED=n runs one seed
/// (to reproduce a failure), AKKARAFT_LINCHECK_SEEDS=n runs seeds 1..n in every test instead of its default (a soak).
/// </summary>
public sealed class RandomHistoryTests(ITestOutputHelper output)
{
    private const int DefaultSeeds = 1_000;
    private const int DefaultCorruptionSeeds = 500;
    private const int DefaultSmallHistorySeeds = 2_000;
    private const int DefaultClientHistorySeeds = 500;
    private const int OperationsPerHistory = 200;

    [Fact]
    public void Histories_of_a_real_sequential_execution_with_overlapping_intervals_are_linearizable()
    {
        var stopwatch = Stopwatch.StartNew();
        long operations = 0, states = 0, timedOut = 0;
        var seeds = Seeds(DefaultSeeds);
        foreach (var seed in seeds)
        {
            var history = RandomHistory.Generate(seed, OperationsPerHistory, keyCount: 1 + (seed % 4), clientCount: 2 + (seed % 9));
            var result = LinearizabilityChecker.Check(history.Operations);
            Assert.True(result.IsLinearizable, Failure(seed, nameof(Histories_of_a_real_sequential_execution_with_overlapping_intervals_are_linearizable), result.Describe()));
            operations += history.Operations.Length;
            states += result.ExploredStates;
            timedOut += history.Operations.Count(o => !o.IsOutcomeKnown);
        }

        output.WriteLine($"{seeds.Count} histories, {operations} operations ({timedOut} timed out), {states} states explored, " +
                         $"checked in {stopwatch.ElapsedMilliseconds} ms (including generation)");
    }

    [Fact]
    public void Histories_replayed_through_the_recorder_are_linearizable()
    {
        foreach (var seed in Seeds(200))
        {
            var history = RandomHistory.Generate(seed, OperationsPerHistory, keyCount: 3, clientCount: 2 + (seed % 9));
            var result = LinearizabilityChecker.Check(history.Recorded());
            Assert.True(result.IsLinearizable, Failure(seed, nameof(Histories_replayed_through_the_recorder_are_linearizable), result.Describe()));
        }
    }

    [Fact]
    public void Corrupting_one_operation_of_a_linearizable_history_is_caught_and_the_report_names_its_key_and_the_operation()
    {
        var stopwatch = Stopwatch.StartNew();
        var caught = Corruptions.All.ToDictionary(c => c.Kind, _ => 0);
        var seeds = Seeds(DefaultCorruptionSeeds);
        foreach (var seed in seeds)
        {
            var history = RandomHistory.Generate(seed, OperationsPerHistory, keyCount: 1 + (seed % 4), clientCount: 2 + (seed % 9));
            var random = new Random(seed ^ 0x5EED);
            foreach (var (kind, apply) in Corruptions.All)
            {
                var corrupted = apply(history, random);
                if (corrupted is null) continue;
                var result = LinearizabilityChecker.Check(corrupted.Operations);
                var context = $"corruption '{kind}' of {corrupted.Culprit}";
                Assert.True(result.Verdict == Verdict.NotLinearizable,
                    Failure(seed, nameof(Corrupting_one_operation_of_a_linearizable_history_is_caught_and_the_report_names_its_key_and_the_operation),
                        $"{context} was not caught: {result.Describe()}"));
                Assert.True(result.Key == corrupted.Culprit.Input.Key && result.Involved.Any(o => o.Id == corrupted.Culprit.Id),
                    Failure(seed, nameof(Corrupting_one_operation_of_a_linearizable_history_is_caught_and_the_report_names_its_key_and_the_operation),
                        $"{context} was reported elsewhere: {result.Describe()}"));
                caught[kind]++;
            }
        }

        output.WriteLine($"{seeds.Count} histories corrupted in {stopwatch.ElapsedMilliseconds} ms; caught per kind: " +
                         string.Join(", ", caught.Select(c => $"{c.Key} = {c.Value}")));

        // Every kind of corruption must actually have been exercised, or this test proves less than it says.
        var minimum = seeds.Count >= 100 ? seeds.Count / 10 : 0;
        Assert.All(caught, c => Assert.True(c.Value >= minimum, $"corruption '{c.Key}' applied only {c.Value} times in {seeds.Count} seeds"));
    }

    [Fact]
    public void The_checker_agrees_with_brute_force_enumeration_on_small_random_histories()
    {
        int linearizable = 0, not = 0;
        foreach (var seed in Seeds(DefaultSmallHistorySeeds))
        {
            var history = SmallRandomHistory(seed);
            var expected = BruteForceLinearizability.IsLinearizable(history);
            var result = LinearizabilityChecker.Check(history);
            Assert.True(expected == result.IsLinearizable,
                Failure(seed, nameof(The_checker_agrees_with_brute_force_enumeration_on_small_random_histories),
                    $"brute force says {(expected ? "linearizable" : "not linearizable")}, checker says: {result.Describe()}{Environment.NewLine}" +
                    string.Join(Environment.NewLine, history)));
            if (expected) linearizable++;
            else not++;
        }

        output.WriteLine($"agreed on {linearizable} linearizable and {not} non-linearizable histories");
        if (linearizable + not >= 500)
        {
            Assert.True(linearizable > (linearizable + not) / 5 && not > (linearizable + not) / 5,
                $"the generator should mix verdicts: {linearizable} linearizable, {not} not");
        }
    }

    [Fact]
    public void The_checker_agrees_with_brute_force_enumeration_on_short_client_histories_with_one_output_changed()
    {
        int linearizable = 0, not = 0;
        foreach (var seed in Seeds(DefaultClientHistorySeeds))
        {
            var random = new Random(seed);
            var generated = RandomHistory.Generate(seed, operationCount: 6 + random.Next(13), keyCount: 1 + random.Next(2), clientCount: 2 + random.Next(3), timeoutPercentMax: 60);
            var history = (Operation[])generated.Operations.Clone();
            var victim = random.Next(history.Length);
            if (random.Next(3) != 0 && history[victim].IsOutcomeKnown)
            {
                string?[] reads = [null, .. history.Select(o => o.Input.Value).Where(v => v is not null)];
                history[victim] = history[victim] with
                {
                    Output = history[victim].Input.Kind == KvOpKind.Get
                        ? KvOutput.Read(reads[random.Next(reads.Length)])
                        : new KvOutput(null, !history[victim].Output!.Ok),
                };
            }

            var expected = BruteForceLinearizability.IsLinearizable(history);
            var result = LinearizabilityChecker.Check(history);
            Assert.True(expected == result.IsLinearizable,
                Failure(seed, nameof(The_checker_agrees_with_brute_force_enumeration_on_short_client_histories_with_one_output_changed),
                    $"brute force says {(expected ? "linearizable" : "not linearizable")}, checker says: {result.Describe()}{Environment.NewLine}" +
                    string.Join(Environment.NewLine, history)));
            if (expected) linearizable++;
            else not++;
        }

        output.WriteLine($"agreed on {linearizable} linearizable and {not} non-linearizable histories");
        if (linearizable + not >= 500)
        {
            Assert.True(linearizable > (linearizable + not) / 5 && not > (linearizable + not) / 5,
                $"the generator should mix verdicts: {linearizable} linearizable, {not} not");
        }
    }

    /// <summary>
    /// Up to 8 operations on two keys and three values, with short intervals in a small time range (so equal
    /// times are common), some timed out, some writes reported as failed. Half are built from a sequential
    /// execution with one output possibly garbled; half have random outputs.
    /// </summary>
    private static Operation[] SmallRandomHistory(int seed)
    {
        var random = new Random(seed);
        string?[] values = [null, "a", "b", "c"];
        var count = 1 + random.Next(8);
        var fromExecution = random.Next(2) == 0;
        var state = new Dictionary<string, string>();
        var operations = new Operation[count];
        for (var i = 0; i < count; i++)
        {
            var key = random.Next(3) == 0 ? "y" : "x";
            var point = (4L * i) + 2;
            var invoke = fromExecution ? point - random.Next(8) : random.Next(30);
            var @return = fromExecution ? point + random.Next(8) : invoke + random.Next(10);
            var current = state.GetValueOrDefault(key);
            var kind = (KvOpKind)random.Next(4);
            var value = values[1 + random.Next(3)];
            var expected = values[random.Next(4)];
            var input = kind switch
            {
                KvOpKind.Put => new KvInput(kind, key, value),
                KvOpKind.Cas => new KvInput(kind, key, random.Next(5) == 0 ? null : value, expected),
                _ => new KvInput(kind, key),
            };
            var timedOut = random.Next(6) == 0;
            KvOutput result;
            if (fromExecution)
            {
                var failed = kind is KvOpKind.Put or KvOpKind.Delete && random.Next(8) == 0;
                var swaps = kind == KvOpKind.Cas && current == expected;
                result = kind switch
                {
                    KvOpKind.Get => KvOutput.Read(current),
                    KvOpKind.Cas => KvOutput.Cas(swaps),
                    _ => new KvOutput(null, !failed),
                };
                var applies = !failed && (!timedOut || random.Next(2) == 0);
                if (applies && (kind is KvOpKind.Put or KvOpKind.Delete || swaps))
                {
                    var next = kind == KvOpKind.Delete ? null : input.Value;
                    if (next is null) state.Remove(key);
                    else state[key] = next;
                }
            }
            else
            {
                result = kind == KvOpKind.Get ? KvOutput.Read(values[random.Next(4)]) : new KvOutput(null, random.Next(4) != 0);
            }

            operations[i] = timedOut
                ? Operation.TimedOut(i, random.Next(3), input, invoke)
                : Operation.Completed(i, random.Next(3), input, result, invoke, @return);
        }

        if (fromExecution && random.Next(2) == 0)
        {
            var victim = random.Next(count);
            if (operations[victim].IsOutcomeKnown)
            {
                operations[victim] = operations[victim] with
                {
                    Output = operations[victim].Input.Kind == KvOpKind.Get
                        ? KvOutput.Read(values[random.Next(4)])
                        : new KvOutput(null, !operations[victim].Output!.Ok),
                };
            }
        }

        return operations;
    }

    /// <summary>Seeds 1..<paramref name="defaultCount"/>, or what AKKARAFT_LINCHECK_SEED / AKKARAFT_LINCHECK_SEEDS ask for.</summary>
    private static IReadOnlyList<int> Seeds(int defaultCount)
    {
        if (int.TryParse(Environment.GetEnvironmentVariable("AKKARAFT_LINCHECK_SEED"), out var one)) return [one];
        var count = int.TryParse(Environment.GetEnvironmentVariable("AKKARAFT_LINCHECK_SEEDS"), out var n) && n > 0 ? n : defaultCount;
        return Enumerable.Range(1, count).ToArray();
    }

    private static string Failure(int seed, string test, string detail) =>
        $"seed {seed} failed; reproduce with: AKKARAFT_LINCHECK_SEED={seed} dotnet test tests/AkkaRaft.Raft.Tests " +
        $"--filter \"FullyQualifiedName~RandomHistoryTests.{test}\"{Environment.NewLine}{detail}";
}
