using System.Collections.Concurrent;
using System.Threading.Channels;
using AkkaRaft.Remote.Transport;
using AkkaRaft.Remote.Wire;
using Google.Protobuf;

namespace AkkaRaft.Remote.Tests.Transport;

/// <summary>Collects what a transport hands upward, for assertions.</summary>
internal sealed class RecordingHandler : IRemoteFrameHandler
{
    public Channel<(RemoteAddress From, Frame Frame)> Frames { get; } = Channel.CreateUnbounded<(RemoteAddress, Frame)>();
    public ConcurrentQueue<string> DeadLetters { get; } = new();
    public Action<RemoteAddress, Frame>? OnEnvelope { get; set; }

    public void OnFrame(RemoteAddress from, Frame frame)
    {
        OnEnvelope?.Invoke(from, frame);
        Frames.Writer.TryWrite((from, frame));
    }

    public void OnAssociated(RemoteAddress remote) { }
    public void OnDisassociated(RemoteAddress remote) { }
    public void OnDeadLetter(RemoteAddress to, Frame frame, string reason) => DeadLetters.Enqueue(reason);

    public async Task<(RemoteAddress From, Frame Frame)> NextAsync(TimeSpan? within = null)
    {
        using var cts = new CancellationTokenSource(within ?? TestLimits.Generous);
        return await Frames.Reader.ReadAsync(cts.Token);
    }
}

/// <summary>Records log lines so tests can check "one logged reason per closed connection".</summary>
internal sealed class RecordingLog : IRemoteLog
{
    public ConcurrentQueue<string> Lines { get; } = new();
    public void Log(RemoteLogLevel level, string message) => Lines.Enqueue($"{level}: {message}");
}

internal static class TestLimits
{
    /// <summary>An upper bound for things that happen in milliseconds; exceeding it means a hang, not slowness.</summary>
    public static readonly TimeSpan Generous = TimeSpan.FromSeconds(30);

    /// <summary>Waits until <paramref name="condition"/> holds, failing with <paramref name="what"/> after a generous bound.</summary>
    public static async Task EventuallyAsync(Func<bool> condition, string what)
    {
        using var cts = new CancellationTokenSource(Generous);
        while (!condition())
        {
            if (cts.IsCancellationRequested) Assert.Fail($"never happened: {what}");
            await Task.Delay(10);
        }
    }
}

internal static class Transports
{
    public static RemoteSettings Loopback(string secret = "test-secret") => new() { Port = 0, ClusterSecret = secret };

    public static (RemoteTransport Transport, RecordingHandler Handler, RecordingLog Log) Start(
        string system, RemoteSettings? settings = null, string? bulkDirectory = null)
    {
        var handler = new RecordingHandler();
        var log = new RecordingLog();
        var transport = new RemoteTransport(system, settings ?? Loopback(), handler, log, bulkDirectory);
        transport.Start();
        return (transport, handler, log);
    }

    public static Frame Envelope(string recipient, string text) => new()
    {
        Envelope = new Envelope
        {
            Recipient = recipient, SerializerId = 1, Manifest = "text", Payload = ByteString.CopyFromUtf8(text),
        },
    };

    public static long TotalClosed(RemoteMetrics metrics) =>
        Enum.GetValues<CloseReason>().Sum(metrics.Closed);
}
