using AkkaRaft.Client.Kv;
using AkkaRaft.Raft.StateMachines;
using Xunit.Sdk;

namespace AkkaRaft.Kv.Tests;

/// <summary>
/// Seeded random histories: the state machine must agree with <see cref="KvModel"/> on every answer and every
/// state. Set AKKARAFT_KV_SEEDS to run more seeds, AKKARAFT_KV_SEED to rerun one.
/// </summary>
public sealed class KvModelTests
{
    private const int DefaultSeeds = 20;
    private const int OperationsPerSeed = 2000;

    public static TheoryData<int> Seeds()
    {
        var data = new TheoryData<int>();
        if (int.TryParse(Environment.GetEnvironmentVariable("AKKARAFT_KV_SEED"), out var one))
        {
            data.Add(one);
            return data;
        }

        var count = int.TryParse(Environment.GetEnvironmentVariable("AKKARAFT_KV_SEEDS"), out var n) && n > 0 ? n : DefaultSeeds;
        for (var seed = 1; seed <= count; seed++)
        {
            data.Add(seed);
        }

        return data;
    }

    [Theory]
    [MemberData(nameof(Seeds))]
    public void The_store_should_agree_with_a_dictionary_model_over_thousands_of_random_operations(int seed)
    {
        var step = 0;
        KvOp? op = null;
        try
        {
            Run(seed, ref step, ref op);
        }
        catch (Exception e)
        {
            throw new XunitException(
                $"seed {seed} (rerun with AKKARAFT_KV_SEED={seed}) failed at step {step}, {op}: {e.Message}", e);
        }
    }

    private static void Run(int seed, ref int step, ref KvOp? op)
    {
        var random = new Random(seed);
        var settings = KvHarness.Small;
        var model = new KvModel(settings);
        var generator = new KvOpGenerator(random, model);
        var machine = new KvStateMachine(settings);
        for (step = 0; step < OperationsPerSeed; step++)
        {
            var index = (ulong)step + 1;
            op = generator.Next();
            var expected = model.Apply(op, index);
            var applied = op.ToStep().ApplyTo(machine, index);
            var actual = KvResult.Decode(applied.Response.Span);

            Assert.Equal(expected.Status, actual.Status);
            Assert.Equal(expected.CurrentIndex, actual.CurrentIndex);
            Assert.Equal(expected.DeletedCount, actual.DeletedCount);
            Assert.Equal(expected.ChangedKeys, applied.ChangedKeys);
            if (expected.Status == KvStatus.Ok && op.Kind is KvOpKind.Put or KvOpKind.AtomicPut)
            {
                Assert.Equal(index, actual.Pair!.LastIndex);
            }

            if (step % 97 == 0)
            {
                RequireSameState(model, machine);
            }

            if (step % 499 == 0)
            {
                // Continue on a replica restored from a snapshot: it must carry on exactly as the original.
                var snapshot = StateMachineConformance.Snapshot(machine);
                var restored = new KvStateMachine(settings);
                using (var input = new MemoryStream(snapshot))
                {
                    restored.RestoreSnapshot(input);
                }

                Assert.Equal(snapshot, StateMachineConformance.Snapshot(restored));
                machine = restored;
            }
        }

        RequireSameState(model, machine);
    }

    private static void RequireSameState(KvModel model, KvStateMachine machine)
    {
        var listed = new List<KvPair>();
        string? after = null;
        while (true)
        {
            var page = KvResult.Decode(machine.Query(KvQueries.List("", after)).Response.Span);
            Assert.Equal(KvStatus.Ok, page.Status);
            listed.AddRange(page.Pairs);
            if (!page.Truncated)
            {
                break;
            }

            after = page.Pairs[^1].Key;
        }

        Assert.Equal(model.Pairs.Values, listed);
        Assert.Equal(model.Pairs.Count, machine.Count);
        Assert.Equal(model.Pairs.Values.Select(p => p.SessionId).Where(s => s != 0).Distinct().Count(), machine.SessionsWithKeys);

        foreach (var key in KvOpGenerator.KeySpace)
        {
            var got = KvResult.Decode(machine.Query(KvQueries.Get(key)).Response.Span);
            var exists = KvResult.Decode(machine.Query(KvQueries.Exists(key)).Response.Span);
            if (model.KeyStatus(key, allowEmpty: false) is { } invalid)
            {
                Assert.Equal(invalid, got.Status);
                Assert.Equal(invalid, exists.Status);
            }
            else if (model.Pairs.TryGetValue(key, out var pair))
            {
                Assert.Equal(pair, got.Pair);
                Assert.True(exists.Exists);
            }
            else
            {
                Assert.Equal(KvStatus.KeyNotFound, got.Status);
                Assert.False(exists.Exists);
            }
        }

        foreach (var prefix in KvOpGenerator.Prefixes)
        {
            var listedWithPrefix = KvResult.Decode(machine.Query(KvQueries.List(prefix, limit: 1000)).Response.Span);
            if (model.KeyStatus(prefix, allowEmpty: true) is { } invalid)
            {
                Assert.Equal(invalid, listedWithPrefix.Status);
                continue;
            }

            var expected = model.Pairs.Values.Where(p => p.Key.StartsWith(prefix, StringComparison.Ordinal)).ToList();
            Assert.Equal(expected.Take(KvHarness.Small.MaxListResults), listedWithPrefix.Pairs);
            Assert.Equal(expected.Count > KvHarness.Small.MaxListResults, listedWithPrefix.Truncated);
        }
    }
}
