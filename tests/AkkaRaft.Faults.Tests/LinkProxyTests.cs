using System.Buffers.Binary;
using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;
using AkkaRaft.Faults.Network;

namespace AkkaRaft.Faults.Tests;

/// <summary>
/// The link proxy on loopback, between a client and a server that speak Akka.Remote's framing (a little-endian 4-byte
/// length, then the payload; each payload here is a frame number). The client writes its frames in pieces that do not
/// line up with the frames, as TCP may deliver them.
/// </summary>
public sealed class LinkProxyTests : IDisposable
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(20);
    private readonly Socket _server = new(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
    private readonly ConcurrentQueue<string> _log = new();
    private readonly LinkProxy _proxy;

    public LinkProxyTests()
    {
        _server.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        _server.Listen(4);
        var targets = new Dictionary<string, IPEndPoint> { ["n2"] = (IPEndPoint)_server.LocalEndPoint! };
        _proxy = new LinkProxy(IPAddress.Loopback, targets, new LinkProxySettings { FrameBytesMax = 64 * 1024, HoldBackMax = TimeSpan.FromMilliseconds(50) }, _ => "n1", _log.Enqueue);
    }

    [Fact]
    public async Task Delayed_frames_arrive_whole_late_and_in_order()
    {
        _proxy.Engage(new LinkBehavior(TimeSpan.FromMilliseconds(30), TimeSpan.FromMilliseconds(15), 0, 0), seed: 1);
        var (client, server) = await ConnectAsync();
        using (client)
        using (server)
        {
            var started = DateTime.UtcNow;
            await SendFramesAsync(client, 100);
            var received = await ReceiveFramesAsync(server, 100);
            Assert.Equal(Enumerable.Range(0, 100), received);
            var traffic = _proxy.Traffic;
            Assert.Equal(100, traffic.FramesIn);
            Assert.Equal(100, traffic.FramesOut);
            Assert.Equal(0, traffic.Duplicated + traffic.Reordered);
            Assert.Equal(1, traffic.Handshakes);
            // Each frame waited its delay, give or take the jitter, and the timer's lateness only adds.
            Assert.InRange(traffic.MeanDelay, TimeSpan.FromMilliseconds(15), TimeSpan.FromSeconds(5));
            Assert.True(DateTime.UtcNow - started >= TimeSpan.FromMilliseconds(15), "the frames arrived before any delay");
        }
    }

    [Fact]
    public async Task Duplicated_and_reordered_frames_are_whole_frames_and_the_handshake_is_never_touched()
    {
        _proxy.Engage(new LinkBehavior(TimeSpan.Zero, TimeSpan.Zero, 0.3, 0.3), seed: 7);
        var (client, server) = await ConnectAsync();
        using (client)
        using (server)
        {
            const int frames = 300;
            await SendFramesAsync(client, frames);
            var traffic = await WaitAsync(() => _proxy.Traffic, t => t.FramesIn == frames && t.FramesOut == frames + t.Duplicated);
            var received = await ReceiveFramesAsync(server, frames + (int)traffic.Duplicated);

            Assert.Equal(0, received[0]);
            Assert.Equal(1, received.Count(n => n == 0));
            Assert.Equal(Enumerable.Range(0, frames), received.Distinct().Order());
            Assert.Equal(traffic.Duplicated, received.Count - frames);
            Assert.InRange(traffic.Duplicated, 30, 150);
            Assert.InRange(traffic.Reordered, 30, 150);
            var overtaken = Enumerable.Range(1, received.Count - 1).Count(i => received[i - 1] > received[i]);
            Assert.True(overtaken >= traffic.Reordered, $"{traffic.Reordered} frames reordered, but only {overtaken} arrived after a later one");
        }
    }

    [Fact]
    public async Task A_frame_announcing_more_than_the_maximum_closes_the_connection_and_says_why()
    {
        _proxy.Engage(LinkBehavior.PassThrough, seed: 1);
        var (client, server) = await ConnectAsync();
        using (client)
        using (server)
        {
            // 0x10000000 bytes read little-endian: far more than FrameBytesMax.
            await client.SendAsync(new byte[] { 0x00, 0x00, 0x00, 0x10, 1, 2, 3, 4 }, SocketFlags.None);
            var buffer = new byte[16];
            using var timeout = new CancellationTokenSource(Patience);
            int read;
            try
            {
                read = await server.ReceiveAsync(buffer, SocketFlags.None, timeout.Token);
            }
            catch (SocketException)
            {
                read = 0;
            }

            Assert.Equal(0, read);
            await WaitAsync(() => _log.ToArray(), lines => lines.Any(l => l.Contains("not Akka.Remote's framing", StringComparison.Ordinal)));
        }
    }

    [Fact]
    public async Task Disengaging_closes_the_connections_it_carried_and_counts_what_they_carried()
    {
        _proxy.Engage(new LinkBehavior(TimeSpan.FromMilliseconds(5), TimeSpan.Zero, 0, 0), seed: 3);
        var (client, server) = await ConnectAsync();
        using (client)
        using (server)
        {
            await SendFramesAsync(client, 10);
            await ReceiveFramesAsync(server, 10);
            var traffic = _proxy.Disengage();
            Assert.Equal(1, traffic.Connections);
            Assert.Equal(10, traffic.FramesOut);
            Assert.Equal(LinkBehavior.PassThrough, _proxy.Behavior);
            using var timeout = new CancellationTokenSource(Patience);
            var buffer = new byte[16];
            int read;
            try
            {
                read = await server.ReceiveAsync(buffer, SocketFlags.None, timeout.Token);
            }
            catch (SocketException)
            {
                read = 0;
            }

            Assert.Equal(0, read);
        }
    }

    public void Dispose()
    {
        _proxy.Dispose();
        _server.Dispose();
    }

    private async Task<(Socket Client, Socket Server)> ConnectAsync()
    {
        var client = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        await client.ConnectAsync(new IPEndPoint(IPAddress.Loopback, _proxy.PortOf("n2")));
        using var timeout = new CancellationTokenSource(Patience);
        var server = await _server.AcceptAsync(timeout.Token);
        return (client, server);
    }

    /// <summary>Sends frames 0 to count-1 (payload: the number and some filler), cut in pieces of 1 to 40 bytes.</summary>
    private static async Task SendFramesAsync(Socket client, int count)
    {
        var stream = new List<byte>();
        for (var n = 0; n < count; n++)
        {
            var payload = new byte[4 + n % 23];
            BinaryPrimitives.WriteInt32LittleEndian(payload, n);
            var header = new byte[4];
            BinaryPrimitives.WriteInt32LittleEndian(header, payload.Length);
            stream.AddRange(header);
            stream.AddRange(payload);
        }

        var bytes = stream.ToArray();
        var random = new Random(count);
        for (var at = 0; at < bytes.Length;)
        {
            var piece = Math.Min(random.Next(1, 41), bytes.Length - at);
            await client.SendAsync(bytes.AsMemory(at, piece), SocketFlags.None);
            at += piece;
        }
    }

    /// <summary>Reads <paramref name="count"/> whole frames and returns their numbers; a frame cut or glued wrongly fails.</summary>
    private static async Task<List<int>> ReceiveFramesAsync(Socket server, int count)
    {
        using var timeout = new CancellationTokenSource(Patience);
        var numbers = new List<int>();
        var header = new byte[4];
        while (numbers.Count < count)
        {
            await ReadExactlyAsync(server, header, timeout.Token);
            var length = BinaryPrimitives.ReadInt32LittleEndian(header);
            var payload = new byte[length];
            await ReadExactlyAsync(server, payload, timeout.Token);
            var number = BinaryPrimitives.ReadInt32LittleEndian(payload);
            Assert.Equal(4 + number % 23, length);
            numbers.Add(number);
        }

        return numbers;
    }

    private static async Task ReadExactlyAsync(Socket socket, Memory<byte> buffer, CancellationToken cancellationToken)
    {
        for (var read = 0; read < buffer.Length;)
        {
            var n = await socket.ReceiveAsync(buffer[read..], SocketFlags.None, cancellationToken);
            Assert.True(n > 0, "the proxy closed the connection");
            read += n;
        }
    }

    private static async Task<T> WaitAsync<T>(Func<T> read, Func<T, bool> done)
    {
        var deadline = DateTime.UtcNow + Patience;
        while (true)
        {
            var value = read();
            if (done(value)) return value;
            Assert.True(DateTime.UtcNow < deadline, $"still not there after {Patience.TotalSeconds}s: {value}");
            await Task.Delay(20);
        }
    }
}
