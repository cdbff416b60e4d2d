using AkkaRaft.Client.TimeSeries;
using AkkaRaft.Raft.StateMachines;
using AkkaRaft.TimeSeries.Gorilla;

namespace AkkaRaft.TimeSeries.Tests.Store;

/// <summary>A store with small limits, and helpers that apply commands as consecutive log entries.</summary>
internal sealed class TsHarness
{
    /// <summary>60 s windows, 50 points per block, 8 series at most, 3 shards.</summary>
    public static readonly TimeSeriesSettings Small = new(
        new GorillaSettings(60, TimestampUnit.Seconds, 50),
        MaxSeriesNameBytes: 16,
        MaxPointsPerCommand: 500,
        MaxSeries: 8,
        MaxQueryPoints: 10_000,
        Retention: TimeSpan.Zero,
        RetentionCheckInterval: TimeSpan.FromSeconds(60),
        Shards: 3);

    private ulong _index;

    public TsHarness(TimeSeriesSettings? settings = null) => Machine = new TimeSeriesStateMachine(settings ?? Small);

    public TimeSeriesStateMachine Machine { get; }

    public TsResult Apply(byte[] command) => TsResult.Decode(Machine.Apply(new ApplyContext(++_index, 1, 0), command).Response);

    public TsResult Put(string series, params (long T, double V)[] points) =>
        Apply(TsCommands.Append(series, points.Select(p => new TimePoint(p.T, p.V)).ToArray()));

    public TsResult Query(byte[] query) => TsResult.Decode(Machine.Query(query).Response);

    public byte[] Snapshot()
    {
        using var stream = new MemoryStream();
        Machine.WriteSnapshot(stream);
        return stream.ToArray();
    }
}
