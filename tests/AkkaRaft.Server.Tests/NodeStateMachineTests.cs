using AkkaRaft.Client.Kv;
using AkkaRaft.Client.TimeSeries;
using AkkaRaft.Kv;
using AkkaRaft.Raft.StateMachines;
using AkkaRaft.Server.Node;
using AkkaRaft.TimeSeries;

namespace AkkaRaft.Server.Tests;

/// <summary>The state machine of a server node: keys and series in one log, routed by the command's first byte.</summary>
public sealed class NodeStateMachineTests
{
    private static NodeStateMachine Create() =>
        new(new KvStateMachine(KvSettings.Default), new TimeSeriesStateMachine(TimeSeriesSettings.Default with { Codec = new(60, AkkaRaft.TimeSeries.Gorilla.TimestampUnit.Seconds, 50) }));

    private static List<StateMachineStep> MixedLog(int seed)
    {
        var random = new Random(seed);
        var steps = new List<StateMachineStep>();
        var t = 0L;
        for (var i = 0; i < 200; i++)
        {
            var key = $"k{random.Next(10)}";
            steps.Add(random.Next(3) switch
            {
                0 => StateMachineStep.Command(KvCommands.Put(key, $"v{i}")),
                1 => StateMachineStep.Command(KvCommands.Delete(key)),
                _ => StateMachineStep.Command(TsCommands.Append($"s{random.Next(4)}",
                    Enumerable.Range(0, random.Next(1, 30)).Select(_ => new TimePoint(t += random.Next(1, 10), random.Next(100))).ToArray())),
            });
        }

        return steps;
    }

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(3)]
    public void Keys_and_series_in_one_log_keep_the_state_machine_contract(int seed)
    {
        var queries = new List<ReadOnlyMemory<byte>>();
        for (var i = 0; i < 10; i++) queries.Add(KvQueries.Get($"k{i}"));
        for (var i = 0; i < 4; i++) queries.Add(TsQueries.Range($"s{i}"));
        queries.Add(TsQueries.List(""));

        StateMachineConformance.CheckAll(Create, MixedLog(seed), queries);
    }

    [Fact]
    public void A_key_and_a_series_of_the_same_name_do_not_touch_each_other()
    {
        var machine = Create();
        machine.Apply(new ApplyContext(1, 1, 0), KvCommands.Put("cpu", "hot"));
        machine.Apply(new ApplyContext(2, 1, 0), TsCommands.Append("cpu", 10, 0.5));

        Assert.Equal("hot", System.Text.Encoding.UTF8.GetString(KvResult.Decode(machine.Query(KvQueries.Get("cpu")).Response).Pair!.Value.Span));
        Assert.Equal([new TimePoint(10, 0.5)], TsResult.Decode(machine.Query(TsQueries.Latest("cpu")).Response).Points);
    }

    [Fact]
    public void A_snapshot_written_by_a_key_value_only_node_restores_its_keys_and_no_series()
    {
        var old = new KvStateMachine(KvSettings.Default);
        old.Apply(new ApplyContext(1, 1, 0), KvCommands.Put("a", "1"));
        using var snapshot = new MemoryStream();
        old.WriteSnapshot(snapshot);
        var machine = Create();
        machine.Apply(new ApplyContext(1, 1, 0), TsCommands.Append("s", 1, 1));

        snapshot.Position = 0;
        machine.RestoreSnapshot(snapshot);

        Assert.True(KvResult.Decode(machine.Query(KvQueries.Get("a")).Response).IsOk);
        Assert.Equal(TsStatus.NotFound, TsResult.Decode(machine.Query(TsQueries.Latest("s")).Response).Status);
    }

    [Fact]
    public void The_actor_form_writes_the_in_line_forms_snapshot_from_its_childs_part_and_restores_both_parts_or_neither()
    {
        var inLine = Create();
        var settings = inLine.TimeSeries!.Settings;
        var actorForm = new NodeStateMachine(new KvStateMachine(KvSettings.Default), settings);
        inLine.Apply(new ApplyContext(1, 1, 0), KvCommands.Put("a", "1"));
        actorForm.Apply(new ApplyContext(1, 1, 0), KvCommands.Put("a", "1"));
        inLine.Apply(new ApplyContext(2, 1, 0), TsCommands.Append("cpu", 10, 0.5));
        Assert.True(actorForm.ServedByChild(TsCommands.Append("cpu", 10, 0.5)));
        Assert.False(actorForm.ServedByChild(KvCommands.Put("a", "1")));
        using var seriesPart = new MemoryStream();
        inLine.TimeSeries.WriteSnapshot(seriesPart);

        using var expected = new MemoryStream();
        inLine.WriteSnapshot(expected);
        using var actual = new MemoryStream();
        actorForm.WriteSnapshot(actual, seriesPart.ToArray());
        Assert.Equal(expected.ToArray(), actual.ToArray());

        // A snapshot whose series part is corrupt changes not even the keys.
        var corrupt = expected.ToArray();
        corrupt[^1] ^= 0xFF;
        var other = new NodeStateMachine(new KvStateMachine(KvSettings.Default), settings);
        other.Apply(new ApplyContext(1, 1, 0), KvCommands.Put("b", "2"));
        Assert.Throws<InvalidSnapshotException>(() => other.RestoreSnapshotWithChild(new MemoryStream(corrupt)));
        Assert.True(KvResult.Decode(other.Query(KvQueries.Get("b")).Response).IsOk);
        Assert.False(KvResult.Decode(other.Query(KvQueries.Get("a")).Response).IsOk);

        other.RestoreSnapshotWithChild(new MemoryStream(expected.ToArray()));
        Assert.True(KvResult.Decode(other.Query(KvQueries.Get("a")).Response).IsOk);
        // Its series are its time-series actor's: it does not apply them in-line.
        Assert.Throws<InvalidOperationException>(() => other.Apply(new ApplyContext(2, 1, 0), TsCommands.Append("cpu", 11, 1)));
    }
}
