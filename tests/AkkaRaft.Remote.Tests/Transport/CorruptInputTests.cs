using System.Buffers.Binary;
using System.Net.Sockets;
using AkkaRaft.Remote.Transport;
using AkkaRaft.Remote.Wire;
using Google.Protobuf;

namespace AkkaRaft.Remote.Tests.Transport;

public sealed class CorruptInputTests
{
    /// <summary>Connections made by the fuzzer; raise with AKKARAFT_REMOTE_FUZZ_CONNECTIONS for a soak.</summary>
    private static readonly int Connections =
        int.TryParse(Environment.GetEnvironmentVariable("AKKARAFT_REMOTE_FUZZ_CONNECTIONS"), out var n) ? n : 2000;

    /// <summary>The seed; set AKKARAFT_REMOTE_FUZZ_SEED to reproduce a failure printed by this test.</summary>
    private static readonly int Seed =
        int.TryParse(Environment.GetEnvironmentVariable("AKKARAFT_REMOTE_FUZZ_SEED"), out var s) ? s : 20261122;

    [Fact]
    public async Task Thousands_of_corrupt_and_random_frames_close_only_their_own_connections_and_a_normal_client_is_still_served()
    {
        var (b, bHandler, bLog) = Transports.Start("b", Transports.Loopback() with
        {
            HandshakeTimeout = TimeSpan.FromMilliseconds(300), MaximumFrameSizeBytes = 64 * 1024,
        });
        await using var _b = b;
        var random = new Random(Seed);
        // Draw every connection's bytes up front from the seed, so the input does not depend on thread timing.
        var inputs = Enumerable.Range(0, Connections).Select(_ => CorruptInput(random, b.Address)).ToArray();

        // Silent clients wait out the handshake timeout, so keep many connections in flight at once.
        using var inFlight = new SemaphoreSlim(48);
        await Task.WhenAll(inputs.Select(async input =>
        {
            await inFlight.WaitAsync();
            try
            {
                await FeedAsync(b.Address.Port, input);
            }
            finally
            {
                inFlight.Release();
            }
        }));

        await TestLimits.EventuallyAsync(() => Transports.TotalClosed(b.Metrics) == Connections,
            $"every corrupt connection closed exactly once (seed {Seed}; closed {Transports.TotalClosed(b.Metrics)} of {Connections})");
        Assert.True(bLog.Lines.Count == Connections, $"one log line per closed connection (seed {Seed}), got {bLog.Lines.Count}");
        Assert.True(b.Metrics.FramesReceived == 0, $"no corrupt connection got a message through (seed {Seed})");
        Assert.False(bHandler.Frames.Reader.TryRead(out _), $"no frame reached the handler (seed {Seed})");

        var (a, aHandler, _) = Transports.Start("a");
        await using var _a = a;
        bHandler.OnEnvelope = (from, frame) => b.TrySend(from, Transports.Envelope("/user/r", "pong"));
        a.TrySend(b.Address, Transports.Envelope("/user/x", "ping"));
        Assert.Equal("pong", (await aHandler.NextAsync()).Frame.Envelope.Payload.ToStringUtf8());
        Assert.Equal("ping", (await bHandler.NextAsync()).Frame.Envelope.Payload.ToStringUtf8());
    }

    private static async Task FeedAsync(int port, byte[] input)
    {
        using var client = new Socket(SocketType.Stream, ProtocolType.Tcp);
        await client.ConnectAsync("127.0.0.1", port);
        try
        {
            if (input.Length > 0)
            {
                await client.SendAsync(input);
                client.Shutdown(SocketShutdown.Send);
            }
        }
        catch (SocketException)
        {
            // The server may already have closed on the first bad bytes.
        }
        await TransportTests.ReadUntilClosedAsync(client);
    }

    /// <summary>One connection's worth of bad input: kinds that each reach a different check in the server.</summary>
    private static byte[] CorruptInput(Random random, RemoteAddress server)
    {
        switch (random.Next(9))
        {
            case 0: // random garbage
                return RandomBytes(random, random.Next(1, 2048));
            case 1: // an oversized length prefix
                return Prefixed(random.Next(64 * 1024 + 1, int.MaxValue), RandomBytes(random, random.Next(0, 64)));
            case 2: // a plausible length with a random body
                return Prefixed(random.Next(1, 512), RandomBytes(random, random.Next(1, 512)));
            case 3: // a valid frame cut short
            {
                var whole = Framed(Hello(random, server));
                return whole[..random.Next(1, whole.Length)];
            }
            case 4: // a message before any handshake
                return Framed(Transports.Envelope("/user/x", "sneaky"));
            case 5: // a valid Hello, then a Proof made up without the secret
                return [.. Framed(Hello(random, server)), .. Framed(new Frame { Proof = new Proof { ClientMac = ByteString.CopyFrom(RandomBytes(random, 32)) } })];
            case 6: // a valid Hello, then random bytes
                return [.. Framed(Hello(random, server)), .. RandomBytes(random, random.Next(1, 256))];
            case 7: // a flipped bit inside a valid Hello
            {
                var whole = Framed(Hello(random, server));
                var at = random.Next(whole.Length);
                whole[at] ^= (byte)(1 << random.Next(8));
                return whole;
            }
            default: // silent: connects and sends nothing
                return [];
        }
    }

    private static Frame Hello(Random random, RemoteAddress server) => new()
    {
        Hello = new Hello
        {
            From = new WireAddress { System = "fuzz", Host = "127.0.0.1", Port = random.Next(1, 65536) },
            To = new WireAddress { System = server.System, Host = server.Host, Port = server.Port },
            ClientNonce = ByteString.CopyFrom(RandomBytes(random, 32)),
            Purpose = ConnectionPurpose.Messages,
        },
    };

    private static byte[] Framed(Frame frame)
    {
        var body = frame.ToByteArray();
        return Prefixed(body.Length, body);
    }

    private static byte[] Prefixed(int length, byte[] body)
    {
        var bytes = new byte[4 + body.Length];
        BinaryPrimitives.WriteInt32BigEndian(bytes, length);
        body.CopyTo(bytes, 4);
        return bytes;
    }

    private static byte[] RandomBytes(Random random, int count)
    {
        var bytes = new byte[count];
        random.NextBytes(bytes);
        return bytes;
    }
}
