using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;
using AkkaRaft.Raft.Core;
using AkkaRaft.Raft.Peer.Snapshots;

namespace AkkaRaft.Raft.Tests.Peer;

/// <summary>
/// The snapshot port on real loopback sockets and files: a leader's transfer publishes, a follower's fetches. Cuts and
/// corruption are made by a proxy that passes a counted number of bytes, so what is asserted are the offsets the
/// receiver reports, never timings.
/// </summary>
public sealed class SnapshotTransferTests : IAsyncLifetime
{
    private const int Chunk = 4096;
    private const int Chunks = 10;
    // The answer header and the CRC table of 10 chunks (plus its own CRC) come before the bytes.
    private const int Preamble = 36 + (Chunks + 1) * 4;

    private static readonly SnapshotTransferSettings Settings = SnapshotTransferSettings.Defaults with
    {
        Listener = "127.0.0.1:0", ChunkBytes = Chunk, IdleTimeout = TimeSpan.FromSeconds(10),
    };

    private readonly string _root = Path.Combine(Path.GetTempPath(), "akkaraft-snapshot-transfer-" + Guid.NewGuid().ToString("N"));
    private readonly ConcurrentQueue<SnapshotTransferEvent> _leaderEvents = new();
    private readonly ConcurrentQueue<SnapshotTransferEvent> _followerEvents = new();
    private readonly byte[] _data = RandomBytes(Chunks * Chunk, seed: 7);
    private SnapshotTransfer _leader = null!;
    private SnapshotTransfer _follower = null!;

    public Task InitializeAsync()
    {
        _leader = new SnapshotTransfer(Settings, 1 << 20, Path.Combine(_root, "leader"), "127.0.0.1", _leaderEvents.Enqueue);
        _follower = new SnapshotTransfer(Settings, 1 << 20, Path.Combine(_root, "follower"), "127.0.0.1", _followerEvents.Enqueue);
        return Task.CompletedTask;
    }

    public async Task DisposeAsync()
    {
        await _leader.DisposeAsync();
        await _follower.DisposeAsync();
        Directory.Delete(_root, recursive: true);
    }

    [Fact]
    public async Task A_published_snapshot_is_fetched_whole_and_verified_chunk_by_chunk()
    {
        var offer = await _leader.PublishAsync(Install(_data));

        var fetched = await _follower.FetchAsync(offer);

        Assert.Equal(_data, fetched);
        Assert.Equal((long)_data.Length, offer.TotalBytes);
        Assert.Equal(_leader.Endpoint, offer.Endpoint);
        Assert.Equal(Enumerable.Range(1, Chunks).Select(i => (long)i * Chunk), Offsets(SnapshotTransferEventKind.ChunkVerified));
        Assert.Equal([0L], Offsets(SnapshotTransferEventKind.FetchStarted));
        Assert.Empty(Directory.EnumerateFiles(Path.Combine(_follower.Directory, "incoming")));
    }

    [Fact]
    public async Task A_fetch_cut_in_the_middle_resumes_from_the_last_verified_offset_not_from_zero()
    {
        var offer = await _leader.PublishAsync(Install(_data));
        // The proxy passes the preamble, three whole chunks and half of the fourth, then kills both connections.
        await using (var cut = new CuttingProxy(_leader.Endpoint, passBytes: Preamble + 3 * Chunk + Chunk / 2))
        {
            var error = await Assert.ThrowsAsync<InvalidDataException>(() => _follower.FetchAsync(offer with { Endpoint = cut.Endpoint }));
            Assert.Contains("inside the chunk at 12288", error.Message);
        }

        Assert.Equal([Chunk, 2L * Chunk, 3L * Chunk], Offsets(SnapshotTransferEventKind.ChunkVerified));
        Assert.Equal([3L * Chunk], Offsets(SnapshotTransferEventKind.FetchFailed));
        Drain();

        var fetched = await _follower.FetchAsync(offer);

        Assert.Equal(_data, fetched);
        // The second fetch asked for, and was streamed, only what the first did not verify.
        Assert.Equal([3L * Chunk], Offsets(SnapshotTransferEventKind.FetchStarted));
        Assert.Equal(Enumerable.Range(4, Chunks - 3).Select(i => (long)i * Chunk), Offsets(SnapshotTransferEventKind.ChunkVerified));
        // The leader reports a range served once its send completes, which may be after the fetcher read the last byte.
        await WaitForAsync(() => _leaderEvents.Any(e => e is { Kind: SnapshotTransferEventKind.Served, Offset: 3 * Chunk }));
    }

    [Fact]
    public async Task A_chunk_that_fails_its_crc_is_not_kept_and_the_next_fetch_resumes_before_it()
    {
        var offer = await _leader.PublishAsync(Install(_data));
        await using (var corrupt = new CuttingProxy(_leader.Endpoint, passBytes: long.MaxValue, flipByteAt: Preamble + 5 * Chunk + 100))
        {
            var error = await Assert.ThrowsAsync<InvalidDataException>(() => _follower.FetchAsync(offer with { Endpoint = corrupt.Endpoint }));
            Assert.Contains("the chunk at 20480 fails its CRC", error.Message);
        }

        Assert.Equal(5L * Chunk, Offsets(SnapshotTransferEventKind.ChunkVerified).Max());
        Drain();

        Assert.Equal(_data, await _follower.FetchAsync(offer));
        Assert.Equal([5L * Chunk], Offsets(SnapshotTransferEventKind.FetchStarted));
    }

    [Fact]
    public async Task Garbage_malformed_and_unknown_requests_on_the_port_are_refused_and_the_port_keeps_serving()
    {
        var offer = await _leader.PublishAsync(Install(_data));

        // Garbage of a request's length: refused as not a request.
        Assert.Equal(SnapshotFetchStatus.BadRequest, await RawRequestAsync(RandomBytes(SnapshotWire.RequestBytes, seed: 3)));
        // A request whose CRC does not match (one bit of its offset changed after the CRC was computed).
        var flipped = SnapshotWire.EncodeRequest(offer.Token, offer.Metadata.Index, offer.Metadata.Term, 0);
        flipped[40] ^= 1;
        Assert.Equal(SnapshotFetchStatus.BadRequest, await RawRequestAsync(flipped));
        // The right snapshot with the wrong token, and a snapshot never published.
        Assert.Equal(SnapshotFetchStatus.UnknownSnapshot, await RawRequestAsync(SnapshotWire.EncodeRequest(new byte[16], offer.Metadata.Index, offer.Metadata.Term, 0)));
        Assert.Equal(SnapshotFetchStatus.UnknownSnapshot, await RawRequestAsync(SnapshotWire.EncodeRequest(offer.Token, 999, offer.Metadata.Term, 0)));
        // An offset past the end.
        Assert.Equal(SnapshotFetchStatus.BadRequest, await RawRequestAsync(SnapshotWire.EncodeRequest(offer.Token, offer.Metadata.Index, offer.Metadata.Term, _data.Length + 1)));
        // Half a request, then the connection closes.
        using (var half = await ConnectAsync(_leader.Endpoint))
        {
            await half.SendAsync(new byte[10]);
        }

        await WaitForAsync(() => _leaderEvents.Count(e => e.Kind == SnapshotTransferEventKind.Refused) >= 6);
        Assert.Contains(_leaderEvents, e => e.Detail.Contains("bad magic", StringComparison.Ordinal));
        Assert.Contains(_leaderEvents, e => e.Detail.Contains("fails its CRC", StringComparison.Ordinal));
        Assert.Contains(_leaderEvents, e => e.Detail.Contains("no published snapshot", StringComparison.Ordinal));

        Assert.Equal(_data, await _follower.FetchAsync(offer));
    }

    [Fact]
    public async Task An_offer_larger_than_max_snapshot_bytes_is_refused_without_connecting()
    {
        var offer = await _leader.PublishAsync(Install(_data));

        var error = await Assert.ThrowsAsync<InvalidDataException>(() => _follower.FetchAsync(offer with { TotalBytes = 2L << 20 }));

        Assert.Contains("above max-snapshot-bytes", error.Message);
        Assert.DoesNotContain(_leaderEvents, e => e.Kind is SnapshotTransferEventKind.Served or SnapshotTransferEventKind.Refused);
    }

    [Fact]
    public async Task A_port_that_answers_garbage_or_oversized_chunks_fails_the_fetch_and_nothing_else()
    {
        var offer = await _leader.PublishAsync(Install(_data));
        await using (var garbage = new FakePort(RandomBytes(4096, seed: 11)))
        {
            var error = await Assert.ThrowsAsync<InvalidDataException>(() => _follower.FetchAsync(offer with { Endpoint = garbage.Endpoint }));
            Assert.Contains("bad magic", error.Message);
        }

        // A well-formed answer for the offered snapshot that declares 64MiB chunks, above max-snapshot-chunk-bytes.
        var oversized = SnapshotWire.EncodeResponse(SnapshotFetchStatus.Ok, 64 << 20, offer.TotalBytes, 0, offer.Crc32C);
        await using (var port = new FakePort(oversized))
        {
            var error = await Assert.ThrowsAsync<InvalidDataException>(() => _follower.FetchAsync(offer with { Endpoint = port.Endpoint }));
            Assert.Contains("max-snapshot-chunk-bytes", error.Message);
        }

        Assert.Equal(_data, await _follower.FetchAsync(offer));
    }

    [Fact]
    public async Task Snapshot_backup_keeps_the_last_n_snapshot_files_and_without_it_only_the_newest()
    {
        await using var backup = new SnapshotTransfer(Settings with { Backup = true, BackupCount = 2 }, 1 << 20, Path.Combine(_root, "backup"), "127.0.0.1");
        for (ulong i = 1; i <= 4; i++)
        {
            await backup.SaveAsync(new Snapshot(new SnapshotMetadata(i * 10, 1, ConfState.OfVoters(1)), RandomBytes(100, (int)i)));
            await _leader.SaveAsync(new Snapshot(new SnapshotMetadata(i * 10, 1, ConfState.OfVoters(1)), RandomBytes(100, (int)i)));
        }

        Assert.Equal(["00000000000000000040-00000000000000000001.snap", "00000000000000000030-00000000000000000001.snap"], backup.Files().Select(Path.GetFileName));
        Assert.Equal(RandomBytes(100, 4), await File.ReadAllBytesAsync(backup.Files()[0]));
        Assert.Equal(["00000000000000000040-00000000000000000001.snap"], _leader.Files().Select(Path.GetFileName));
    }

    // ------------------------------------------------------------------ helpers

    private static InstallSnapshot Install(byte[] data) =>
        new(1, 2, 3, new Snapshot(new SnapshotMetadata(42, 3, ConfState.OfVoters(1, 2, 3)), data));

    private long[] Offsets(SnapshotTransferEventKind kind) => _followerEvents.Where(e => e.Kind == kind).Select(e => e.Offset).ToArray();

    private void Drain()
    {
        _followerEvents.Clear();
        _leaderEvents.Clear();
    }

    private async Task<SnapshotFetchStatus> RawRequestAsync(byte[] request)
    {
        using var socket = await ConnectAsync(_leader.Endpoint);
        await socket.SendAsync(request);
        var answer = new byte[SnapshotWire.ResponseBytes];
        var filled = 0;
        while (filled < answer.Length)
        {
            var read = await socket.ReceiveAsync(answer.AsMemory(filled));
            Assert.NotEqual(0, read);
            filled += read;
        }

        var response = SnapshotWire.DecodeResponse(answer, out var error);
        Assert.True(response is not null, error);
        return response.Status;
    }

    private static async Task<Socket> ConnectAsync(string endpoint)
    {
        var colon = endpoint.LastIndexOf(':');
        var socket = new Socket(SocketType.Stream, ProtocolType.Tcp);
        await socket.ConnectAsync(endpoint[..colon], int.Parse(endpoint[(colon + 1)..], System.Globalization.CultureInfo.InvariantCulture));
        return socket;
    }

    private static async Task WaitForAsync(Func<bool> condition)
    {
        // Waits on a count of events, not on time: the bound only turns a hang into a failure.
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(20);
        while (!condition())
        {
            Assert.True(DateTime.UtcNow < deadline, "the snapshot port did not report what was expected");
            await Task.Delay(10);
        }
    }

    private static byte[] RandomBytes(int count, int seed)
    {
        var bytes = new byte[count];
        new Random(seed).NextBytes(bytes);
        return bytes;
    }

    /// <summary>
    /// Passes one connection to <paramref name="target"/>: everything the fetcher sends, and the first
    /// <paramref name="passBytes"/> bytes of the answer (one flipped at <paramref name="flipByteAt"/>), then closes both.
    /// </summary>
    private sealed class CuttingProxy : IAsyncDisposable
    {
        private readonly Socket _listener = new(SocketType.Stream, ProtocolType.Tcp);
        private readonly Task _running;

        public CuttingProxy(string target, long passBytes, long flipByteAt = -1)
        {
            _listener.Bind(new IPEndPoint(IPAddress.Loopback, 0));
            _listener.Listen(1);
            Endpoint = $"127.0.0.1:{((IPEndPoint)_listener.LocalEndPoint!).Port}";
            _running = RunAsync(target, passBytes, flipByteAt);
        }

        public string Endpoint { get; }

        private async Task RunAsync(string target, long passBytes, long flipByteAt)
        {
            using var client = await _listener.AcceptAsync();
            using var server = await ConnectAsync(target);
            var request = new byte[SnapshotWire.RequestBytes];
            var filled = 0;
            while (filled < request.Length) filled += await client.ReceiveAsync(request.AsMemory(filled));
            await server.SendAsync(request);
            var buffer = new byte[1000];
            long passed = 0;
            while (passed < passBytes)
            {
                var read = await server.ReceiveAsync(buffer.AsMemory(0, (int)Math.Min(buffer.Length, passBytes - passed)));
                if (read == 0) break;
                if (flipByteAt >= passed && flipByteAt < passed + read) buffer[flipByteAt - passed] ^= 0xFF;
                await client.SendAsync(buffer.AsMemory(0, read));
                passed += read;
            }

            // A graceful close, so the fetcher reads every byte passed and then the end of the stream.
            client.Shutdown(SocketShutdown.Both);
            server.Close(0);
        }

        public async ValueTask DisposeAsync()
        {
            _listener.Dispose();
            try
            {
                await _running;
            }
            catch (SocketException)
            {
                // The fetcher dropped the connection first (it refused what it was sent): what the test wanted.
            }
        }
    }

    /// <summary>A port that answers one request with fixed bytes and closes.</summary>
    private sealed class FakePort : IAsyncDisposable
    {
        private readonly Socket _listener = new(SocketType.Stream, ProtocolType.Tcp);
        private readonly Task _running;

        public FakePort(byte[] answer)
        {
            _listener.Bind(new IPEndPoint(IPAddress.Loopback, 0));
            _listener.Listen(1);
            Endpoint = $"127.0.0.1:{((IPEndPoint)_listener.LocalEndPoint!).Port}";
            _running = RunAsync(answer);
        }

        public string Endpoint { get; }

        private async Task RunAsync(byte[] answer)
        {
            using var client = await _listener.AcceptAsync();
            var request = new byte[SnapshotWire.RequestBytes];
            var filled = 0;
            while (filled < request.Length) filled += await client.ReceiveAsync(request.AsMemory(filled));
            await client.SendAsync(answer);
            client.Shutdown(SocketShutdown.Send);
            await client.ReceiveAsync(new byte[1]);
        }

        public async ValueTask DisposeAsync()
        {
            _listener.Dispose();
            try
            {
                await _running;
            }
            catch (SocketException)
            {
                // The fetcher dropped the connection first (it refused what it was sent): what the test wanted.
            }
        }
    }
}
