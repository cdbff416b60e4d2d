using AkkaRaft.Client.Grpc;
using AkkaRaft.Client.TimeSeries;
using AkkaRaft.Server.Grpc;
using AkkaRaft.Server.Node;
using GrpcReadLevel = AkkaRaft.Grpc.V1.ReadLevel;

namespace AkkaRaft.Samples;

/// <summary>
/// trr's client flow over gRPC (issue #17, point 5): trr's <c>MakeClerk(addr)</c> is an <see cref="AkkaRaftGrpcClient"/>
/// with a <see cref="TimeSeriesClient"/>; it puts trr's three points of "t1" (<c>PutTimeData</c>) into a node serving
/// the gRPC API and gets them back (<c>GetTimeData</c>), as any program with the .NET client library would.
/// </summary>
public static class GrpcTimeSeriesSample
{
    /// <summary>Runs a node under <paramref name="dataDir"/>, puts the three points and returns what was read back.</summary>
    public static async Task<IReadOnlyList<TimePoint>> RunAsync(string dataDir, TextWriter output)
    {
        await using var node = await AkkaRaftNode.StartAsync(SampleConfig.For("ts-grpc", dataDir, extra: new Dictionary<string, string> { ["akkaraft.grpc.address"] = "\"127.0.0.1:0\"" }));
        await using var grpc = await GrpcFrontEnd.StartAsync(node) ?? throw new InvalidOperationException("the gRPC API is off");
        using var clerk = new AkkaRaftGrpcClient(grpc.Address.ToString()); // trr's MakeClerk(addr); waits for the node to lead
        var series = new TimeSeriesClient(clerk);
        foreach (var point in TimeSeriesSample.Points)
        {
            var put = await series.PutTimeDataAsync("t1", DateTimeOffset.FromUnixTimeSeconds(point.Timestamp), point.Value);
            await output.WriteLineAsync($"PutTimeData(t1, {point.Timestamp}, {point.Value}) committed at index {put.Header.Index}");
        }

        var from = DateTimeOffset.FromUnixTimeSeconds(TimeSeriesSample.T0);
        var points = await series.GetTimeDataAsync("t1", from, from.AddMinutes(5), GrpcReadLevel.Consistent);
        var read = points.Select(p => new TimePoint(p.Time.ToUnixTimeSeconds(), p.Value)).ToList();
        await output.WriteLineAsync($"GetTimeData(t1): {string.Join(", ", read.Select(p => $"({p.Timestamp}, {p.Value})"))}");
        return read;
    }
}
