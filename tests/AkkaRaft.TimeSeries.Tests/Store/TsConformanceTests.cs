using AkkaRaft.Client.TimeSeries;
using AkkaRaft.Raft.StateMachines;

namespace AkkaRaft.TimeSeries.Tests.Store;

public sealed class TsConformanceTests
{
    private static readonly string[] Names = ["cpu", "cpu.user", "mem", "disk/a", "disk/b", "net", "temp"];

    /// <summary>
    /// A random log of batched appends over several series (in order, out of order inside the open window, too old,
    /// retried, in both units, some refused), with retention drops among them.
    /// </summary>
    internal static List<StateMachineStep> RandomLog(int seed, int length)
    {
        var random = new Random(seed);
        var clock = new Dictionary<string, long>();
        var steps = new List<StateMachineStep>();
        var previous = Array.Empty<byte>();
        long cutoff = 0;
        for (var i = 0; i < length; i++)
        {
            var roll = random.Next(100);
            if (roll < 5)
            {
                cutoff += random.Next(0, 120_000);
                steps.Add(StateMachineStep.Command(TsCommands.DropBefore(cutoff)));
                continue;
            }

            if (roll < 10 && previous.Length > 0)
            {
                steps.Add(StateMachineStep.Command(previous));
                continue;
            }

            var batch = new List<KeyValuePair<string, IReadOnlyList<TimePoint>>>();
            foreach (var name in Names.OrderBy(_ => random.Next()).Take(random.Next(1, 4)))
            {
                var t = clock.GetValueOrDefault(name, 1_000);
                var points = new List<TimePoint>();
                for (var p = random.Next(1, 40); p > 0; p--)
                {
                    // Mostly forward, sometimes back into the open window or further.
                    t += random.Next(100) < 85 ? random.Next(1, 20) : -random.Next(1, 90);
                    points.Add(new TimePoint(Math.Max(0, t), Math.Round(random.NextDouble() * 100, random.Next(0, 3))));
                }

                clock[name] = Math.Max(clock.GetValueOrDefault(name, 1_000), t);
                batch.Add(new(name, points));
            }

            previous = TsCommands.AppendMany(batch, roll < 15 ? TimeUnit.Milliseconds : TimeUnit.Seconds);
            steps.Add(StateMachineStep.Command(previous));
        }

        return steps;
    }

    internal static List<ReadOnlyMemory<byte>> Queries()
    {
        var queries = new List<ReadOnlyMemory<byte>>();
        foreach (var name in Names)
        {
            queries.Add(TsQueries.Range(name));
            queries.Add(TsQueries.Range(name, 1_200, 2_400, 60, TsAggregateKind.Avg));
            queries.Add(TsQueries.Latest(name));
            queries.Add(TsQueries.Stats(name));
        }

        queries.Add(TsQueries.List(""));
        queries.Add(TsQueries.List("disk/"));
        return queries;
    }

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(3)]
    [InlineData(4)]
    [InlineData(5)]
    public void The_time_series_store_should_keep_the_state_machine_contract(int seed)
    {
        var steps = RandomLog(seed, 300);
        try
        {
            StateMachineConformance.CheckAll(() => new TimeSeriesStateMachine(TsHarness.Small), steps, Queries());
        }
        catch (StateMachineConformanceException e)
        {
            Assert.Fail($"seed {seed}: {e.Message}");
        }
    }

    [Fact]
    public void The_random_log_stores_points_seals_blocks_and_refuses_some_writes()
    {
        // Guards the conformance test above from passing on a log that exercises nothing.
        var harness = new TsHarness();
        var statuses = new HashSet<TsStatus>();
        ulong index = 0;
        ulong duplicates = 0, dropped = 0;
        foreach (var step in RandomLog(3, 300))
        {
            var result = TsResult.Decode(harness.Machine.Apply(new ApplyContext(++index, 1, 0), step.Bytes).Response);
            statuses.Add(result.Status);
            duplicates += result.Duplicates;
            dropped += result.DroppedBlocks;
        }

        Assert.Contains(TsStatus.Ok, statuses);
        Assert.Contains(TsStatus.OutOfWindow, statuses);
        Assert.Contains(TsStatus.UnitMismatch, statuses);
        Assert.True(duplicates > 0, "no retried point counted as a duplicate");
        Assert.True(dropped > 0, "retention dropped no block");
        var listed = harness.Query(TsQueries.List(""));
        Assert.Contains(listed.Series, s => s.SealedBlocks > 0);
    }
}
