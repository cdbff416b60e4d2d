using System.Net.Sockets;
using AkkaRaft.Remote.Transport;
using AkkaRaft.Remote.Wire;

namespace AkkaRaft.Remote.Tests.Transport;

public sealed class TransportTests
{
    [Fact]
    public async Task Frames_to_a_remote_system_arrive_in_the_order_they_were_sent()
    {
        var (a, _, _) = Transports.Start("a");
        var (b, bHandler, _) = Transports.Start("b");
        await using var _a = a;
        await using var _b = b;

        for (var i = 0; i < 2000; i++) Assert.True(a.TrySend(b.Address, Transports.Envelope("/user/x", i.ToString())));

        for (var i = 0; i < 2000; i++)
        {
            var (from, frame) = await bHandler.NextAsync();
            Assert.Equal(a.Address, from);
            Assert.Equal(i.ToString(), frame.Envelope.Payload.ToStringUtf8());
        }
    }

    [Fact]
    public async Task A_reply_travels_back_over_the_connection_the_request_opened()
    {
        var (a, aHandler, _) = Transports.Start("a");
        var (b, bHandler, _) = Transports.Start("b");
        await using var _a = a;
        await using var _b = b;
        bHandler.OnEnvelope = (from, frame) => b.TrySend(from, Transports.Envelope("/user/reply", "re:" + frame.Envelope.Payload.ToStringUtf8()));

        a.TrySend(b.Address, Transports.Envelope("/user/x", "ping"));

        var (replyFrom, reply) = await aHandler.NextAsync();
        Assert.Equal(b.Address, replyFrom);
        Assert.Equal("re:ping", reply.Envelope.Payload.ToStringUtf8());
        Assert.Equal(1, a.Metrics.ConnectionsDialled);
        Assert.Equal(0, b.Metrics.ConnectionsDialled);
    }

    [Fact]
    public async Task Two_systems_sending_to_each_other_at_once_deliver_everything_in_order()
    {
        var (a, aHandler, _) = Transports.Start("a");
        var (b, bHandler, _) = Transports.Start("b");
        await using var _a = a;
        await using var _b = b;
        const int count = 500;

        var sendA = Task.Run(() => { for (var i = 0; i < count; i++) a.TrySend(b.Address, Transports.Envelope("/user/x", i.ToString())); });
        var sendB = Task.Run(() => { for (var i = 0; i < count; i++) b.TrySend(a.Address, Transports.Envelope("/user/x", i.ToString())); });
        await Task.WhenAll(sendA, sendB);

        for (var i = 0; i < count; i++) Assert.Equal(i.ToString(), (await bHandler.NextAsync()).Frame.Envelope.Payload.ToStringUtf8());
        for (var i = 0; i < count; i++) Assert.Equal(i.ToString(), (await aHandler.NextAsync()).Frame.Envelope.Payload.ToStringUtf8());
        await TestLimits.EventuallyAsync(() => a.IsAssociated(b.Address) && b.IsAssociated(a.Address), "both sides associated");
    }

    [Fact]
    public async Task A_system_with_the_wrong_secret_is_refused_before_any_message_is_read()
    {
        var (a, _, aLog) = Transports.Start("a", Transports.Loopback("wrong"));
        var (b, bHandler, bLog) = Transports.Start("b", Transports.Loopback("right"));
        await using var _a = a;
        await using var _b = b;

        a.TrySend(b.Address, Transports.Envelope("/user/x", "should never arrive"));

        await TestLimits.EventuallyAsync(() => b.Metrics.Closed(CloseReason.HandshakeFailed) >= 1, "b refuses a");
        await TestLimits.EventuallyAsync(() => a.Metrics.Closed(CloseReason.HandshakeFailed) >= 1, "a sees the refusal");
        Assert.False(bHandler.Frames.Reader.TryRead(out _));
        Assert.Equal(0, b.Metrics.FramesReceived);
        Assert.Contains(aLog.Lines, l => l.Contains("does not know the cluster secret"));
        Assert.Contains(bLog.Lines, l => l.Contains("does not accept our cluster secret"));
    }

    [Fact]
    public async Task A_client_that_connects_and_sends_nothing_is_dropped_after_the_handshake_timeout()
    {
        var (b, _, bLog) = Transports.Start("b", Transports.Loopback() with { HandshakeTimeout = TimeSpan.FromMilliseconds(200) });
        await using var _b = b;
        using var silent = new Socket(SocketType.Stream, ProtocolType.Tcp);
        await silent.ConnectAsync("127.0.0.1", b.Address.Port);

        var read = await ReadUntilClosedAsync(silent);

        Assert.Equal(0, read);
        Assert.Equal(1, b.Metrics.Closed(CloseReason.HandshakeTimeout));
        Assert.Single(bLog.Lines, l => l.Contains("HandshakeTimeout"));
    }

    [Fact]
    public async Task A_connection_beyond_the_inbound_limit_is_closed_on_accept_and_counted()
    {
        var (b, _, _) = Transports.Start("b", Transports.Loopback() with { InboundConnectionsMax = 2, HandshakeTimeout = TimeSpan.FromMinutes(1) });
        await using var _b = b;
        using var first = new Socket(SocketType.Stream, ProtocolType.Tcp);
        using var second = new Socket(SocketType.Stream, ProtocolType.Tcp);
        using var third = new Socket(SocketType.Stream, ProtocolType.Tcp);
        await first.ConnectAsync("127.0.0.1", b.Address.Port);
        await second.ConnectAsync("127.0.0.1", b.Address.Port);
        await TestLimits.EventuallyAsync(() => b.Metrics.ConnectionsAccepted == 2, "the first two are accepted");

        await third.ConnectAsync("127.0.0.1", b.Address.Port);
        await ReadUntilClosedAsync(third);

        Assert.Equal(1, b.Metrics.Closed(CloseReason.TooManyConnections));
        Assert.Equal(1, Transports.TotalClosed(b.Metrics));
    }

    [Theory]
    [InlineData(new byte[] { 0xFF, 0xFF, 0xFF, 0xFF, 1, 2, 3 }, CloseReason.FrameTooLarge)]
    [InlineData(new byte[] { 0, 0, 0, 0 }, CloseReason.MalformedFrame)]
    [InlineData(new byte[] { 0, 0, 0, 5, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF }, CloseReason.MalformedFrame)]
    [InlineData(new byte[] { 0, 0, 0, 50, 1, 2, 3 }, CloseReason.TruncatedFrame)]
    [InlineData(new byte[] { 0, 0, 0, 2, 0x32, 0x00 }, CloseReason.HandshakeFailed)]
    public async Task Bad_bytes_close_that_connection_with_one_counted_reason(byte[] bytes, CloseReason expected)
    {
        var (b, _, bLog) = Transports.Start("b");
        await using var _b = b;
        using var client = new Socket(SocketType.Stream, ProtocolType.Tcp);
        await client.ConnectAsync("127.0.0.1", b.Address.Port);
        await client.SendAsync(bytes);
        client.Shutdown(SocketShutdown.Send);

        await ReadUntilClosedAsync(client);

        await TestLimits.EventuallyAsync(() => Transports.TotalClosed(b.Metrics) == 1, "the connection is closed once");
        Assert.Equal(1, b.Metrics.Closed(expected));
        Assert.Single(bLog.Lines);
    }

    [Fact]
    public async Task A_message_larger_than_the_maximum_frame_size_is_dead_lettered_and_later_messages_still_flow()
    {
        var (a, aHandler, _) = Transports.Start("a", Transports.Loopback() with { MaximumFrameSizeBytes = 4096 });
        var (b, bHandler, _) = Transports.Start("b");
        await using var _a = a;
        await using var _b = b;

        a.TrySend(b.Address, Transports.Envelope("/user/x", new string('x', 5000)));
        a.TrySend(b.Address, Transports.Envelope("/user/x", "small"));

        Assert.Equal("small", (await bHandler.NextAsync()).Frame.Envelope.Payload.ToStringUtf8());
        Assert.Equal(1, a.Metrics.DeadLetters);
        Assert.Contains(aHandler.DeadLetters, r => r.Contains("maximum-frame-size-bytes"));
    }

    [Fact]
    public async Task A_full_send_queue_dead_letters_the_overflow_and_counts_it()
    {
        // Nobody listens at the target, so the queue cannot drain while we fill it.
        var (a, aHandler, _) = Transports.Start("a", Transports.Loopback() with { SendQueueCapacityMessages = 10 });
        await using var _a = a;
        var nowhere = new RemoteAddress("b", "127.0.0.1", ClosedPort());

        var accepted = 0;
        for (var i = 0; i < 100; i++) if (a.TrySend(nowhere, Transports.Envelope("/user/x", "m"))) accepted++;

        // The writer may hold one frame while it dials, so up to capacity + 1 are accepted.
        Assert.InRange(accepted, 10, 11);
        Assert.Equal(100 - accepted, a.Metrics.DeadLetters);
        Assert.All(aHandler.DeadLetters, r => Assert.Contains("send queue", r));
    }

    [Fact]
    public async Task A_system_reconnects_after_its_peer_restarts_on_the_same_port()
    {
        var (a, _, _) = Transports.Start("a", Transports.Loopback() with { ReconnectBackoffMax = TimeSpan.FromMilliseconds(200) });
        await using var _a = a;
        var (b1, b1Handler, _) = Transports.Start("b");
        var port = b1.Address.Port;
        a.TrySend(b1.Address, Transports.Envelope("/user/x", "before"));
        Assert.Equal("before", (await b1Handler.NextAsync()).Frame.Envelope.Payload.ToStringUtf8());
        await b1.DisposeAsync();

        var (b2, b2Handler, _) = Transports.Start("b", Transports.Loopback() with { Port = port });
        await using var _b2 = b2;
        Assert.Equal(b1.Address, b2.Address);

        // Remoting delivers at most once: a frame written into the dying connection may be lost, so keep sending
        // until one arrives, then check the link carries everything after it in order.
        using var cts = new CancellationTokenSource(TestLimits.Generous);
        while (!b2Handler.Frames.Reader.TryPeek(out _))
        {
            a.TrySend(b2.Address, Transports.Envelope("/user/x", "probe"));
            await Task.Delay(20, cts.Token);
        }
        for (var i = 0; i < 100; i++) a.TrySend(b2.Address, Transports.Envelope("/user/x", "after" + i));
        var next = 0;
        while (next < 100)
        {
            var text = (await b2Handler.NextAsync()).Frame.Envelope.Payload.ToStringUtf8();
            if (text == "probe") continue;
            Assert.Equal("after" + next, text);
            next++;
        }
    }

    internal static int ClosedPort()
    {
        using var probe = new Socket(SocketType.Stream, ProtocolType.Tcp);
        probe.Bind(new System.Net.IPEndPoint(System.Net.IPAddress.Loopback, 0));
        return ((System.Net.IPEndPoint)probe.LocalEndPoint!).Port;
    }

    internal static async Task<int> ReadUntilClosedAsync(Socket socket)
    {
        var buffer = new byte[4096];
        var total = 0;
        using var cts = new CancellationTokenSource(TestLimits.Generous);
        try
        {
            int n;
            while ((n = await socket.ReceiveAsync(buffer, SocketFlags.None, cts.Token)) > 0) total += n;
        }
        catch (SocketException)
        {
            // A reset is also "closed".
        }
        return total;
    }
}
