using AkkaRaft.Grpc.V1;
using GrpcReadLevel = AkkaRaft.Grpc.V1.ReadLevel;
using TimeSeriesStub = AkkaRaft.Grpc.V1.TimeSeries.TimeSeriesClient;

namespace AkkaRaft.Client.Grpc;

/// <summary>
/// trr's clerk over gRPC (<c>akkaraft.v1.TimeSeries</c>): <see cref="PutTimeDataAsync"/> and
/// <see cref="GetTimeDataAsync"/>, with batches, downsampling and the list of series, through the core's
/// wait-for-ready, leader following and backoff (<see cref="AkkaRaftGrpcClient"/>). A put is sent again after any
/// failure until it is answered: a point stored already with the same value counts as a duplicate, so a put applied
/// twice changes nothing the second time.
/// </summary>
public sealed class TimeSeriesClient(AkkaRaftGrpcClient client)
{
    private readonly AkkaRaftGrpcClient _client = client ?? throw new ArgumentNullException(nameof(client));

    /// <summary>trr's <c>PutTimeData(name, time, value)</c>: one point, at millisecond resolution.</summary>
    public Task<SeriesPutResult> PutTimeDataAsync(string series, DateTimeOffset time, double value, DateTime? deadline = null, CancellationToken cancellationToken = default) =>
        PutAsync([new SeriesPoints { Name = series, Points = { new Point { Timestamp = time.ToUnixTimeMilliseconds(), Value = value } } }], SeriesUnit.Milliseconds, deadline, cancellationToken);

    /// <summary>trr's <c>GetTimeData(name, from, to)</c>: the points of <paramref name="series"/> in [from, to), at millisecond resolution.</summary>
    public async Task<IReadOnlyList<(DateTimeOffset Time, double Value)>> GetTimeDataAsync(string series, DateTimeOffset from, DateTimeOffset to, GrpcReadLevel level = GrpcReadLevel.Default,
        DateTime? deadline = null, CancellationToken cancellationToken = default)
    {
        var range = await GetAsync(new SeriesGetRequest { Name = series, From = from.ToUnixTimeMilliseconds(), To = to.ToUnixTimeMilliseconds(), Unit = SeriesUnit.Milliseconds, Level = level },
            deadline, cancellationToken).ConfigureAwait(false);
        return range.Points.Select(p => (DateTimeOffset.FromUnixTimeMilliseconds(p.Timestamp), p.Value)).ToList();
    }

    /// <summary>Points of one or more series as one log entry, all or nothing, their timestamps in <paramref name="unit"/>.</summary>
    public async Task<SeriesPutResult> PutAsync(IEnumerable<SeriesPoints> series, SeriesUnit unit = SeriesUnit.Seconds, DateTime? deadline = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(series);
        var request = new SeriesPutRequest { Unit = unit };
        request.Series.AddRange(series);
        var response = await _client.CallAsync(RaftCallKind.IdempotentWrite, (invoker, options) => new TimeSeriesStub(invoker).PutAsync(request, options), deadline, null, cancellationToken).ConfigureAwait(false);
        return new SeriesPutResult(response.Appended, response.Duplicates, response.Created, RaftHeader.Of(response.Header));
    }

    /// <summary>A range of one series, raw or downsampled (<c>Step</c> and <c>Aggregate</c>), as the request says.</summary>
    /// <exception cref="global::Grpc.Core.RpcException">NOT_FOUND: no such series.</exception>
    public async Task<SeriesGetResponse> GetAsync(SeriesGetRequest request, DateTime? deadline = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(request);
        return await _client.CallAsync(RaftCallKind.Read, (invoker, options) => new TimeSeriesStub(invoker).GetAsync(request, options), deadline, null, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>The series under <paramref name="prefix"/>, with their stats.</summary>
    public async Task<IReadOnlyList<SeriesStats>> ListAsync(string prefix = "", GrpcReadLevel level = GrpcReadLevel.Default, DateTime? deadline = null, CancellationToken cancellationToken = default)
    {
        var request = new SeriesListRequest { Prefix = prefix, Level = level };
        var response = await _client.CallAsync(RaftCallKind.Read, (invoker, options) => new TimeSeriesStub(invoker).ListAsync(request, options), deadline, null, cancellationToken).ConfigureAwait(false);
        return response.Series;
    }
}

/// <summary>A time-series put's outcome.</summary>
/// <param name="Appended">Points stored (new, or with a new value).</param>
/// <param name="Duplicates">Points stored already with the same value (a put sent again).</param>
/// <param name="Created">Series the put created.</param>
/// <param name="Header">Who answered; <c>Header.Index</c> is the entry's index.</param>
public sealed record SeriesPutResult(ulong Appended, ulong Duplicates, ulong Created, RaftHeader Header);
