using System.Buffers.Binary;
using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Threading.Channels;

namespace AkkaRaft.Faults.Network;

/// <summary>What a <see cref="LinkProxy"/> carried while one behaviour was engaged (or over a whole run, summed).</summary>
/// <param name="Connections">Connections accepted and forwarded.</param>
/// <param name="Refused">Connections closed at once: more than <see cref="LinkProxySettings.ConnectionsMax"/>, or the target did not accept.</param>
/// <param name="FramesIn">Whole frames read.</param>
/// <param name="FramesOut">Whole frames sent, duplicates included.</param>
/// <param name="Duplicated">Frames sent a second time.</param>
/// <param name="Reordered">Frames held back and sent after the frame that came after them.</param>
/// <param name="HeldAlone">Frames held back that nothing overtook within <see cref="LinkProxySettings.HoldBackMax"/>: sent late, in order.</param>
/// <param name="Handshakes">First frames of a direction (Akka's Associate), which are only delayed, never duplicated or reordered.</param>
/// <param name="Bytes">Bytes sent, length prefixes included.</param>
/// <param name="DelayTotal">Time between reading and sending, summed over the frames sent.</param>
internal sealed record LinkTraffic(long Connections, long Refused, long FramesIn, long FramesOut, long Duplicated, long Reordered, long HeldAlone, long Handshakes, long Bytes, TimeSpan DelayTotal)
{
    /// <summary>Nothing carried.</summary>
    public static LinkTraffic None { get; } = new(0, 0, 0, 0, 0, 0, 0, 0, 0, TimeSpan.Zero);

    /// <summary>Mean time a frame spent in the proxy.</summary>
    public TimeSpan MeanDelay => FramesOut == 0 ? TimeSpan.Zero : DelayTotal / FramesOut;

    /// <summary>The sum of two counts.</summary>
    public static LinkTraffic operator +(LinkTraffic a, LinkTraffic b) => new(
        a.Connections + b.Connections, a.Refused + b.Refused, a.FramesIn + b.FramesIn, a.FramesOut + b.FramesOut, a.Duplicated + b.Duplicated,
        a.Reordered + b.Reordered, a.HeldAlone + b.HeldAlone, a.Handshakes + b.Handshakes, a.Bytes + b.Bytes, a.DelayTotal + b.DelayTotal);

    /// <summary>For the logs, e.g. <c>4 connections, 2310 frames in, 2452 out (mean delay 121 ms), 142 duplicated, 131 reordered</c>.</summary>
    public override string ToString() => string.Create(CultureInfo.InvariantCulture,
        $"{Connections} connections{(Refused > 0 ? $" ({Refused} refused)" : "")}, {FramesIn} frames in, {FramesOut} out (mean delay {MeanDelay.TotalMilliseconds:0} ms, {Bytes} bytes), {Duplicated} duplicated, {Reordered} reordered, {HeldAlone} held back alone, {Handshakes} handshakes passed untouched");
}

/// <summary>
/// A TCP proxy for Akka.Remote's connections between the nodes (issue #20, link faults): one listener per node it
/// forwards to, on <c>listen address:port</c> (the nodes reach it through iptables DNAT, see <see cref="LinkRoutes"/>).
/// It cuts each direction of a connection into whole frames, DotNetty's framing (a 4-byte length, little-endian by
/// Akka.NET's default, then that many bytes), and delays, duplicates and reorders whole frames only: a byte stream cut
/// anywhere else would only be corrupted, which TCP never does.
/// </summary>
/// <remarks>
/// <para>
/// The first frame of each direction is Akka's handshake (<c>Associate</c>): the side that connects sends it first, and
/// the side that accepts answers with its own before anything else. Akka's <c>ProtocolStateActor</c> drops a
/// connection whose first frame is anything else ("Expected message of type Associate"), so a frame that overtook it
/// would only make Akka redial; a duplicate arriving once the association is open is ignored. The proxy therefore only
/// delays the handshake, and counts it (<see cref="LinkTraffic.Handshakes"/>).
/// </para>
/// <para>
/// Duplicates and reordering break a promise Akka.Remote keeps over TCP (at most once, in order per pair of actors);
/// Raft's messages must tolerate both anyway: consensus stays safe under "packet loss, duplication, and reordering"
/// (Raft §2).
/// </para>
/// </remarks>
internal sealed class LinkProxy : IDisposable
{
    private readonly LinkProxySettings _settings;
    private readonly Func<IPEndPoint, string> _nameOf;
    private readonly Action<string> _log;
    private readonly Dictionary<string, (Socket Listener, IPEndPoint Target)> _listeners = new(StringComparer.Ordinal);
    private readonly CancellationTokenSource _stopped = new();
    private readonly ConcurrentDictionary<long, Connection> _connections = new();
    private readonly List<Task> _acceptLoops = [];
    private readonly object _gate = new();
    private LinkBehavior _behavior = LinkBehavior.PassThrough;
    private Counters _counters = new();
    private int _seed;
    private long _connectionNumber;
    private bool _firstFrameLogged;

    /// <summary>Binds one listener per target on <paramref name="listenAddress"/> (a port the system picks) and starts accepting.</summary>
    /// <param name="listenAddress">Where the nodes' redirected connections arrive (the harness's bridge address).</param>
    /// <param name="targets">Per node id, the Raft endpoint its connections are forwarded to.</param>
    /// <param name="settings">Limits.</param>
    /// <param name="nameOf">Names the node a connection comes from, by its address, for the log.</param>
    /// <param name="log">The run's log.</param>
    /// <exception cref="SocketException">A listener cannot bind.</exception>
    public LinkProxy(IPAddress listenAddress, IReadOnlyDictionary<string, IPEndPoint> targets, LinkProxySettings settings, Func<IPEndPoint, string> nameOf, Action<string> log)
    {
        _settings = settings.Validate();
        _nameOf = nameOf;
        _log = log;
        try
        {
            foreach (var (name, target) in targets)
            {
                var listener = new Socket(listenAddress.AddressFamily, SocketType.Stream, ProtocolType.Tcp);
                _listeners[name] = (listener, target);
                listener.Bind(new IPEndPoint(listenAddress, 0));
                listener.Listen(settings.ConnectionsMax);
            }
        }
        catch
        {
            Dispose();
            throw;
        }

        foreach (var (name, (listener, target)) in _listeners) _acceptLoops.Add(AcceptLoopAsync(name, listener, target));
    }

    /// <summary>The port on which connections meant for node <paramref name="name"/> are accepted.</summary>
    public int PortOf(string name) => ((IPEndPoint)_listeners[name].Listener.LocalEndPoint!).Port;

    /// <summary>The behaviour frames get now.</summary>
    public LinkBehavior Behavior => Volatile.Read(ref _behavior);

    /// <summary>
    /// From now on, frames read get <paramref name="behavior"/>; the counts start again from zero. Random choices (the
    /// jitter, which frames are duplicated or held back) are seeded from <paramref name="seed"/> and each connection's
    /// number.
    /// </summary>
    public void Engage(LinkBehavior behavior, int seed)
    {
        behavior.Validate();
        lock (_gate)
        {
            _seed = seed;
            _counters = new Counters();
            _firstFrameLogged = false;
            Volatile.Write(ref _behavior, behavior);
        }
    }

    /// <summary>
    /// Closes every connection the proxy carries, goes back to passing frames as they come, and returns what it carried
    /// since <see cref="Engage"/>.
    /// </summary>
    public LinkTraffic Disengage()
    {
        Volatile.Write(ref _behavior, LinkBehavior.PassThrough);
        foreach (var connection in _connections.Values) connection.Abort();
        lock (_gate)
        {
            var traffic = _counters.Snapshot();
            _counters = new Counters();
            return traffic;
        }
    }

    /// <summary>What was carried since <see cref="Engage"/>, so far.</summary>
    public LinkTraffic Traffic
    {
        get
        {
            lock (_gate) return _counters.Snapshot();
        }
    }

    /// <summary>Stops accepting and closes every connection.</summary>
    public void Dispose()
    {
        if (_stopped.IsCancellationRequested) return;
        _stopped.Cancel();
        foreach (var (listener, _) in _listeners.Values) listener.Dispose();
        foreach (var connection in _connections.Values) connection.Abort();
        try
        {
            Task.WaitAll(_acceptLoops.ToArray(), TimeSpan.FromSeconds(5));
        }
        catch (AggregateException)
        {
            // The loops end on the closed listeners; how they ended is of no interest once the proxy is gone.
        }

        _stopped.Dispose();
    }

    private async Task AcceptLoopAsync(string name, Socket listener, IPEndPoint target)
    {
        while (!_stopped.IsCancellationRequested)
        {
            Socket accepted;
            try
            {
                accepted = await listener.AcceptAsync(_stopped.Token).ConfigureAwait(false);
            }
            catch (Exception e) when (e is OperationCanceledException or ObjectDisposedException or SocketException)
            {
                return;
            }

            _ = CarryAsync(accepted, name, target);
        }
    }

    private async Task CarryAsync(Socket accepted, string targetName, IPEndPoint target)
    {
        var number = Interlocked.Increment(ref _connectionNumber);
        var from = accepted.RemoteEndPoint is IPEndPoint remote ? _nameOf(remote) : "?";
        var link = $"{from} -> {targetName}";
        Counters counters;
        int seed;
        lock (_gate)
        {
            counters = _counters;
            seed = _seed;
        }

        if (_connections.Count >= _settings.ConnectionsMax)
        {
            Interlocked.Increment(ref counters.Refused);
            _log($"proxy: {link}: refused, {_settings.ConnectionsMax} connections already carried (LinkProxySettings.ConnectionsMax)");
            accepted.Dispose();
            return;
        }

        var upstream = new Socket(target.AddressFamily, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        accepted.NoDelay = true;
        var connection = new Connection(accepted, upstream, _stopped.Token);
        _connections[number] = connection;
        try
        {
            using (var connectTimeout = CancellationTokenSource.CreateLinkedTokenSource(connection.Token))
            {
                connectTimeout.CancelAfter(_settings.ConnectTimeout);
                await upstream.ConnectAsync(target, connectTimeout.Token).ConfigureAwait(false);
            }

            Interlocked.Increment(ref counters.Connections);
            _log($"proxy: {link} connected (connection {number})");
            var outbound = PumpAsync(link, accepted, upstream, counters, new Random(HashCode.Combine(seed, number, 1)), connection.Token);
            var inbound = PumpAsync($"{targetName} -> {from}", upstream, accepted, counters, new Random(HashCode.Combine(seed, number, 2)), connection.Token);
            var first = await Task.WhenAny(outbound, inbound).ConfigureAwait(false);
            var why = await first.ConfigureAwait(false);
            connection.Abort();
            await Task.WhenAll(outbound, inbound).ConfigureAwait(false);
            _log($"proxy: {link} closed (connection {number}): {why}");
        }
        catch (Exception e) when (e is SocketException or OperationCanceledException or ObjectDisposedException)
        {
            if (!connection.Token.IsCancellationRequested) Interlocked.Increment(ref counters.Refused);
            _log($"proxy: {link}: could not reach {target} ({e.Message}); connection {number} closed");
        }
        finally
        {
            connection.Abort();
            _connections.TryRemove(number, out _);
        }
    }

    /// <summary>
    /// Carries one direction of a connection: a reader cuts the stream into frames and queues them with the time each is
    /// due (doubling some), a writer sends them when due (holding some back behind the next). Returns why it ended.
    /// </summary>
    private async Task<string> PumpAsync(string direction, Socket source, Socket destination, Counters counters, Random random, CancellationToken cancellationToken)
    {
        var queue = Channel.CreateBounded<Frame>(new BoundedChannelOptions(_settings.QueuedFramesMax) { SingleReader = true, SingleWriter = true, FullMode = BoundedChannelFullMode.Wait });
        var reading = ReadFramesAsync(direction, source, queue.Writer, counters, random, cancellationToken);
        var writing = WriteFramesAsync(destination, queue.Reader, counters, cancellationToken);
        string why;
        if (await Task.WhenAny(reading, writing).ConfigureAwait(false) == writing)
        {
            // The destination is gone: the caller closes the connection, which ends the reader too.
            why = "sending stopped";
        }
        else
        {
            // The source is done: what it sent is still sent, when due.
            why = await reading.ConfigureAwait(false);
        }

        try
        {
            await writing.ConfigureAwait(false);
        }
        catch (Exception e) when (e is SocketException or IOException or OperationCanceledException or ObjectDisposedException)
        {
            return $"{direction}: {why} ({(cancellationToken.IsCancellationRequested ? "closed by the proxy" : e.Message)})";
        }

        return $"{direction}: {why}";
    }

    private async Task<string> ReadFramesAsync(string direction, Socket source, ChannelWriter<Frame> queue, Counters counters, Random random, CancellationToken cancellationToken)
    {
        var header = new byte[4];
        var first = true;
        try
        {
            while (true)
            {
                if (!await ReadExactlyAsync(source, header, cancellationToken).ConfigureAwait(false)) return "end of stream";
                var length = _settings.LengthLittleEndian ? BinaryPrimitives.ReadInt32LittleEndian(header) : BinaryPrimitives.ReadInt32BigEndian(header);
                if (length < 0 || length > _settings.FrameBytesMax - header.Length)
                {
                    return $"a frame announced {length} bytes (length field {Convert.ToHexString(header)}), more than {_settings.FrameBytesMax - header.Length}: " +
                           $"not Akka.Remote's framing with a {(_settings.LengthLittleEndian ? "little" : "big")}-endian 4-byte length; connection closed";
                }

                var bytes = new byte[header.Length + length];
                header.CopyTo(bytes, 0);
                if (!await ReadExactlyAsync(source, bytes.AsMemory(header.Length), cancellationToken).ConfigureAwait(false)) return "end of stream inside a frame";
                var now = Stopwatch.GetTimestamp();
                var behavior = Volatile.Read(ref _behavior);
                Interlocked.Increment(ref counters.FramesIn);
                var jitter = behavior.Jitter.Ticks == 0 ? 0 : (long)((random.NextDouble() * 2 - 1) * behavior.Jitter.Ticks);
                var wait = Math.Max(0, behavior.Delay.Ticks + jitter);
                var due = now + (long)(wait * (Stopwatch.Frequency / (double)TimeSpan.TicksPerSecond));
                if (first)
                {
                    // Akka's handshake: only delayed (see the remarks).
                    first = false;
                    Interlocked.Increment(ref counters.Handshakes);
                    LogFirstFrame(direction, bytes);
                    await queue.WriteAsync(new Frame(bytes, now, due, HoldBack: false), cancellationToken).ConfigureAwait(false);
                    continue;
                }

                // A frame is duplicated or held back, not both: held back behind its own copy, it would not be reordered.
                var duplicate = behavior.DuplicateShare > 0 && random.NextDouble() < behavior.DuplicateShare;
                var holdBack = !duplicate && behavior.ReorderShare > 0 && random.NextDouble() < behavior.ReorderShare;
                await queue.WriteAsync(new Frame(bytes, now, due, holdBack), cancellationToken).ConfigureAwait(false);
                if (duplicate)
                {
                    Interlocked.Increment(ref counters.Duplicated);
                    await queue.WriteAsync(new Frame(bytes, now, due, HoldBack: false), cancellationToken).ConfigureAwait(false);
                }
            }
        }
        catch (Exception e) when (e is SocketException or IOException or OperationCanceledException or ObjectDisposedException or ChannelClosedException)
        {
            return cancellationToken.IsCancellationRequested ? "closed by the proxy" : $"read failed: {e.Message}";
        }
        finally
        {
            queue.TryComplete();
        }
    }

    private async Task WriteFramesAsync(Socket destination, ChannelReader<Frame> queue, Counters counters, CancellationToken cancellationToken)
    {
        Frame? held = null;
        while (true)
        {
            Frame frame;
            if (held is { } waiting)
            {
                var next = await NextWithinAsync(queue, _settings.HoldBackMax, cancellationToken).ConfigureAwait(false);
                if (next is null)
                {
                    await SendAsync(destination, waiting, counters, cancellationToken).ConfigureAwait(false);
                    Interlocked.Increment(ref counters.HeldAlone);
                    held = null;
                    continue;
                }

                frame = next.Value;
            }
            else
            {
                if (!await queue.WaitToReadAsync(cancellationToken).ConfigureAwait(false)) return;
                if (!queue.TryRead(out frame)) continue;
            }

            var wait = Stopwatch.GetElapsedTime(Stopwatch.GetTimestamp(), frame.Due);
            if (wait > TimeSpan.Zero) await Task.Delay(wait, cancellationToken).ConfigureAwait(false);
            if (frame.HoldBack && held is null)
            {
                held = frame;
                continue;
            }

            await SendAsync(destination, frame, counters, cancellationToken).ConfigureAwait(false);
            if (held is { } overtaken)
            {
                await SendAsync(destination, overtaken, counters, cancellationToken).ConfigureAwait(false);
                Interlocked.Increment(ref counters.Reordered);
                held = null;
            }
        }
    }

    /// <summary>The next frame if one comes within <paramref name="patience"/>; null if none does or the queue is done.</summary>
    private static async Task<Frame?> NextWithinAsync(ChannelReader<Frame> queue, TimeSpan patience, CancellationToken cancellationToken)
    {
        if (queue.TryRead(out var ready)) return ready;
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(patience);
        try
        {
            if (await queue.WaitToReadAsync(timeout.Token).ConfigureAwait(false) && queue.TryRead(out var next)) return next;
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            // Nothing came in time: the held frame goes alone.
        }

        return null;
    }

    private static async Task SendAsync(Socket destination, Frame frame, Counters counters, CancellationToken cancellationToken)
    {
        var sent = 0;
        while (sent < frame.Bytes.Length)
        {
            sent += await destination.SendAsync(frame.Bytes.AsMemory(sent), SocketFlags.None, cancellationToken).ConfigureAwait(false);
        }

        Interlocked.Increment(ref counters.FramesOut);
        Interlocked.Add(ref counters.Bytes, frame.Bytes.Length);
        Interlocked.Add(ref counters.DelayTicks, Stopwatch.GetElapsedTime(frame.Received).Ticks);
    }

    private static async Task<bool> ReadExactlyAsync(Socket source, Memory<byte> buffer, CancellationToken cancellationToken)
    {
        var read = 0;
        while (read < buffer.Length)
        {
            var n = await source.ReceiveAsync(buffer[read..], SocketFlags.None, cancellationToken).ConfigureAwait(false);
            if (n == 0)
            {
                if (read == 0) return false;
                throw new IOException($"the stream ended {read} bytes into {buffer.Length}");
            }

            read += n;
        }

        return true;
    }

    /// <summary>Logs the first handshake frame after each <see cref="Engage"/>: the bytes that show which framing the nodes speak.</summary>
    private void LogFirstFrame(string direction, byte[] bytes)
    {
        lock (_gate)
        {
            if (_firstFrameLogged) return;
            _firstFrameLogged = true;
        }

        var payload = bytes.AsSpan(4, Math.Min(8, bytes.Length - 4));
        _log($"proxy: {direction}: first frame: length field {Convert.ToHexString(bytes, 0, 4)} = {bytes.Length - 4} bytes " +
             $"({(_settings.LengthLittleEndian ? "little" : "big")}-endian), payload begins {Convert.ToHexString(payload)}");
    }

    /// <summary>One frame, its length prefix included; <see cref="Received"/> and <see cref="Due"/> are <see cref="Stopwatch"/> timestamps.</summary>
    private readonly record struct Frame(byte[] Bytes, long Received, long Due, bool HoldBack);

    /// <summary>The counts of one engagement, updated with <see cref="Interlocked"/> from every pump.</summary>
    private sealed class Counters
    {
        public long Connections;
        public long Refused;
        public long FramesIn;
        public long FramesOut;
        public long Duplicated;
        public long Reordered;
        public long HeldAlone;
        public long Handshakes;
        public long Bytes;
        public long DelayTicks;

        public LinkTraffic Snapshot() => new(
            Interlocked.Read(ref Connections), Interlocked.Read(ref Refused), Interlocked.Read(ref FramesIn), Interlocked.Read(ref FramesOut),
            Interlocked.Read(ref Duplicated), Interlocked.Read(ref Reordered), Interlocked.Read(ref HeldAlone), Interlocked.Read(ref Handshakes),
            Interlocked.Read(ref Bytes), TimeSpan.FromTicks(Interlocked.Read(ref DelayTicks)));
    }

    /// <summary>The two sockets of one carried connection and what cancels its pumps.</summary>
    private sealed class Connection(Socket accepted, Socket upstream, CancellationToken stopped)
    {
        private readonly CancellationTokenSource _cancel = CancellationTokenSource.CreateLinkedTokenSource(stopped);
        private int _aborted;

        public CancellationToken Token => _cancel.Token;

        /// <summary>Cancels both pumps and closes both sockets at once (a reset, as a cut cable would).</summary>
        public void Abort()
        {
            if (Interlocked.Exchange(ref _aborted, 1) == 1) return;
            _cancel.Cancel();
            accepted.Dispose();
            upstream.Dispose();
        }
    }
}
