using AkkaRaft.Client.Kv;
using AkkaRaft.Raft.StateMachines;

namespace AkkaRaft.Kv.Tests;

public sealed class KvConformanceTests
{
    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(3)]
    [InlineData(4)]
    [InlineData(5)]
    public void The_key_value_store_should_keep_the_state_machine_contract(int seed)
    {
        var random = new Random(seed);
        var model = new KvModel(KvHarness.Small);
        var generator = new KvOpGenerator(random, model);
        var steps = new List<StateMachineStep>();
        for (var i = 0; i < 300; i++)
        {
            var op = generator.Next();
            model.Apply(op, (ulong)i + 1);
            steps.Add(op.ToStep());
        }

        var queries = new List<ReadOnlyMemory<byte>>();
        queries.AddRange(KvOpGenerator.KeySpace.Select(k => (ReadOnlyMemory<byte>)KvQueries.Get(k)));
        queries.AddRange(KvOpGenerator.KeySpace.Select(k => (ReadOnlyMemory<byte>)KvQueries.Exists(k)));
        queries.AddRange(KvOpGenerator.Prefixes.Select(p => (ReadOnlyMemory<byte>)KvQueries.List(p, limit: 1000)));
        queries.Add(KvQueries.List("", "a/1", 2));

        try
        {
            StateMachineConformance.CheckAll(() => new KvStateMachine(KvHarness.Small), steps, queries);
        }
        catch (StateMachineConformanceException e)
        {
            Assert.Fail($"seed {seed}: {e.Message}");
        }
    }
}
