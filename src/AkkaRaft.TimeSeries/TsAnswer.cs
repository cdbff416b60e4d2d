using AkkaRaft.Client.TimeSeries;
using AkkaRaft.Client.TimeSeries.Protocol;
using AkkaRaft.Raft.StateMachines;
using AkkaRaft.TimeSeries.Gorilla;
using Google.Protobuf;

namespace AkkaRaft.TimeSeries;

/// <summary>The encoded answers the coordinator and the shards give, and how they show names and units in them.</summary>
internal static class TsAnswer
{
    public static byte[] Encode(TsResponse response) => response.ToByteArray();

    public static byte[] Failed(TsStatus status, string message) =>
        Encode(new TsResponse { Status = (TsStatusCode)status, Message = message });

    /// <summary>A query answered with a failure, having read nothing.</summary>
    public static QueryResult Query(TsStatus status, string message) => new(Failed(status, message), []);

    /// <summary>A command refused: it changed nothing.</summary>
    public static ApplyResult Refused(TsStatus status, string message) => ApplyResult.Unchanged(Failed(status, message));

    /// <summary>A command refused because of series <paramref name="name"/>: it changed nothing.</summary>
    public static ApplyResult SeriesRefused(TsStatus status, string name, string message) =>
        ApplyResult.Unchanged(Encode(new TsResponse { Status = (TsStatusCode)status, Message = message, FailedSeries = ByteString.CopyFromUtf8(name) }));

    public static string Shown(string name) => TimeSeriesSettings.Shown(name);

    public static string UnitName(TimestampUnit unit) => unit == TimestampUnit.Seconds ? "seconds" : "milliseconds";
}
