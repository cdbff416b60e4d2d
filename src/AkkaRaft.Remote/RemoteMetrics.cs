using System.Diagnostics.Metrics;

namespace AkkaRaft.Remote;

/// <summary>
/// Counters of one remoting endpoint, readable directly (for tests and status pages) and published as
/// <see cref="System.Diagnostics.Metrics"/> observable counters on the meter <c>AkkaRaft.Remote</c>.
/// </summary>
public sealed class RemoteMetrics : IDisposable
{
    private readonly long[] _closed = new long[Enum.GetValues<CloseReason>().Length];
    private long _deadLetters;
    private long _framesSent;
    private long _framesReceived;
    private long _connectionsAccepted;
    private long _connectionsDialled;
    private long _bulkBytesReceived;
    private readonly Meter _meter;

    internal RemoteMetrics(string endpoint)
    {
        _meter = new Meter("AkkaRaft.Remote");
        var tag = new KeyValuePair<string, object?>("endpoint", endpoint);
        _meter.CreateObservableCounter("akkaraft.remote.frames.sent", () => new Measurement<long>(FramesSent, tag));
        _meter.CreateObservableCounter("akkaraft.remote.frames.received", () => new Measurement<long>(FramesReceived, tag));
        _meter.CreateObservableCounter("akkaraft.remote.dead_letters", () => new Measurement<long>(DeadLetters, tag));
        _meter.CreateObservableCounter("akkaraft.remote.connections.closed", ClosedMeasurements);
        _meter.CreateObservableCounter("akkaraft.remote.bulk.bytes_received", () => new Measurement<long>(BulkBytesReceived, tag));

        IEnumerable<Measurement<long>> ClosedMeasurements()
        {
            foreach (var reason in Enum.GetValues<CloseReason>())
            {
                yield return new Measurement<long>(Closed(reason), tag, new KeyValuePair<string, object?>("reason", reason.ToString()));
            }
        }
    }

    /// <summary>Connections closed for <paramref name="reason"/> since start.</summary>
    public long Closed(CloseReason reason) => Interlocked.Read(ref _closed[(int)reason]);

    /// <summary>Messages dropped because a send queue was full, the target was terminated, or they could not be serialized.</summary>
    public long DeadLetters => Interlocked.Read(ref _deadLetters);

    /// <summary>Frames written to sockets.</summary>
    public long FramesSent => Interlocked.Read(ref _framesSent);

    /// <summary>Frames read from sockets after a successful handshake.</summary>
    public long FramesReceived => Interlocked.Read(ref _framesReceived);

    /// <summary>Inbound connections accepted by the listener (before the handshake).</summary>
    public long ConnectionsAccepted => Interlocked.Read(ref _connectionsAccepted);

    /// <summary>Outbound connections that completed their handshake.</summary>
    public long ConnectionsDialled => Interlocked.Read(ref _connectionsDialled);

    /// <summary>File bytes received over the bulk channel.</summary>
    public long BulkBytesReceived => Interlocked.Read(ref _bulkBytesReceived);

    internal void OnClosed(CloseReason reason) => Interlocked.Increment(ref _closed[(int)reason]);
    internal void OnDeadLetter() => Interlocked.Increment(ref _deadLetters);
    internal void OnFramesSent(int count) => Interlocked.Add(ref _framesSent, count);
    internal void OnFrameReceived() => Interlocked.Increment(ref _framesReceived);
    internal void OnAccepted() => Interlocked.Increment(ref _connectionsAccepted);
    internal void OnDialled() => Interlocked.Increment(ref _connectionsDialled);
    internal void OnBulkBytes(long count) => Interlocked.Add(ref _bulkBytesReceived, count);

    /// <summary>Removes the published instruments.</summary>
    public void Dispose() => _meter.Dispose();
}
