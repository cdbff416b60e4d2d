using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;
using AkkaRaft.Raft.Core;
using AkkaRaft.Raft.Peer.Snapshots;
using AkkaRaft.Raft.Remoting;
using AkkaRaft.TestSupport.Certificates;

namespace AkkaRaft.Raft.Tests.Peer;

/// <summary>
/// The snapshot port with the cluster's TLS (<c>akkaraft.remote.tls</c>), on real loopback sockets and certificates
/// made by a test CA at run time: a member fetches over TLS and nothing of the snapshot crosses the wire in the clear;
/// a process without the cluster's certificate gets nothing.
/// </summary>
public sealed class SnapshotTransferTlsTests : IAsyncLifetime
{
    private static readonly SnapshotTransferSettings Settings = SnapshotTransferSettings.Defaults with
    {
        Listener = "127.0.0.1:0", ChunkBytes = 4096, IdleTimeout = TimeSpan.FromSeconds(10),
    };

    private static readonly TestCertificateAuthority Cluster = new("snapshot-tls-cluster-ca");
    private static readonly TestCertificateAuthority Stranger = new("snapshot-tls-other-ca");

    private readonly string _root = Path.Combine(Path.GetTempPath(), "akkaraft-snapshot-tls-" + Guid.NewGuid().ToString("N"));
    private readonly ConcurrentQueue<SnapshotTransferEvent> _leaderEvents = new();
    private readonly byte[] _data = RandomBytes(10 * 4096, seed: 17);
    private readonly List<SnapshotTransfer> _transfers = [];
    private SnapshotTransfer _leader = null!;

    public Task InitializeAsync()
    {
        _leader = Transfer("leader", Member(Cluster, "node-1"), _leaderEvents.Enqueue);
        return Task.CompletedTask;
    }

    public async Task DisposeAsync()
    {
        foreach (var transfer in _transfers) await transfer.DisposeAsync();
        Directory.Delete(_root, recursive: true);
    }

    [Fact]
    public async Task A_member_fetches_the_snapshot_over_TLS_and_none_of_its_bytes_cross_the_wire_in_the_clear()
    {
        var follower = Transfer("follower", Member(Cluster, "node-2"));
        var offer = await _leader.PublishAsync(Install(_data));
        await using var wire = new RecordingProxy(_leader.Endpoint);

        var fetched = await follower.FetchAsync(offer with { Endpoint = wire.Endpoint });

        Assert.Equal(_data, fetched);
        Assert.True(_leader.Encrypted && follower.Encrypted);
        var sent = await wire.FromPortAsync();
        Assert.True(sent.Length > _data.Length, $"the port sent {sent.Length} bytes for a {_data.Length}-byte snapshot");
        // Any 32 bytes of the snapshot would be found in a plain stream; through TLS none is.
        for (var at = 0; at + 32 <= _data.Length; at += 4096)
        {
            Assert.True(sent.AsSpan().IndexOf(_data.AsSpan(at, 32)) < 0, $"the snapshot's bytes at {at} crossed the wire in the clear");
        }
    }

    [Fact]
    public async Task A_fetcher_whose_certificate_another_CA_issued_is_refused_in_the_handshake_and_gets_nothing()
    {
        var outsider = Transfer("outsider", Member(Stranger, "intruder"));
        var offer = await _leader.PublishAsync(Install(_data));

        var error = await Assert.ThrowsAsync<InvalidDataException>(() => outsider.FetchAsync(offer));

        Assert.Contains("TLS handshake", error.Message);
        await WaitForAsync(() => _leaderEvents.Any(e => e.Kind == SnapshotTransferEventKind.Refused));
        Assert.Contains(_leaderEvents, e => e.Detail.Contains("does not chain to a cluster CA", StringComparison.Ordinal));
        Assert.DoesNotContain(_leaderEvents, e => e.Kind == SnapshotTransferEventKind.Served);
    }

    [Fact]
    public async Task A_plain_fetcher_with_the_offers_token_gets_no_snapshot_from_a_TLS_port()
    {
        var plain = Transfer("plain", tls: null);
        var offer = await _leader.PublishAsync(Install(_data));

        await Assert.ThrowsAsync<InvalidDataException>(() => plain.FetchAsync(offer));

        await WaitForAsync(() => _leaderEvents.Any(e => e.Kind == SnapshotTransferEventKind.Refused));
        Assert.Contains(_leaderEvents, e => e.Detail.StartsWith("TLS handshake refused", StringComparison.Ordinal));
        Assert.DoesNotContain(_leaderEvents, e => e.Kind == SnapshotTransferEventKind.Served);
    }

    [Fact]
    public async Task A_member_refuses_a_port_whose_certificate_another_CA_issued()
    {
        var impostor = Transfer("impostor", Member(Stranger, "node-1"));
        var follower = Transfer("follower", Member(Cluster, "node-2"));
        var offer = await impostor.PublishAsync(Install(_data));

        var error = await Assert.ThrowsAsync<InvalidDataException>(() => follower.FetchAsync(offer));

        Assert.Contains("TLS handshake", error.Message);
        Assert.Contains("does not chain to a cluster CA", error.Message);
    }

    // ------------------------------------------------------------------ helpers

    private SnapshotTransfer Transfer(string name, TlsSettings? tls, Action<SnapshotTransferEvent>? observer = null)
    {
        var transfer = new SnapshotTransfer(Settings, 1 << 20, Path.Combine(_root, name), "127.0.0.1", observer, tls);
        _transfers.Add(transfer);
        return transfer;
    }

    private static TlsSettings Member(TestCertificateAuthority ca, string name) => TlsSettings.FromCertificates(ca.IssueNode(name), ca.AsTrusted());

    private static InstallSnapshot Install(byte[] data) =>
        new(1, 2, 3, new Snapshot(new SnapshotMetadata(42, 3, ConfState.OfVoters(1, 2, 3)), data));

    private static byte[] RandomBytes(int count, int seed)
    {
        var bytes = new byte[count];
        new Random(seed).NextBytes(bytes);
        return bytes;
    }

    private static async Task WaitForAsync(Func<bool> condition)
    {
        // Waits on an event, not on time: the bound only turns a hang into a failure.
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(20);
        while (!condition())
        {
            Assert.True(DateTime.UtcNow < deadline, "the snapshot port did not report what was expected");
            await Task.Delay(10);
        }
    }

    /// <summary>Passes one connection to <paramref name="target"/> both ways and keeps what the port sent.</summary>
    private sealed class RecordingProxy : IAsyncDisposable
    {
        private readonly Socket _listener = new(SocketType.Stream, ProtocolType.Tcp);
        private readonly MemoryStream _fromPort = new();
        private readonly Task _running;

        public RecordingProxy(string target)
        {
            _listener.Bind(new IPEndPoint(IPAddress.Loopback, 0));
            _listener.Listen(1);
            Endpoint = $"127.0.0.1:{((IPEndPoint)_listener.LocalEndPoint!).Port}";
            _running = RunAsync(target);
        }

        public string Endpoint { get; }

        /// <summary>Every byte the port sent, once the connection has ended.</summary>
        public async Task<byte[]> FromPortAsync()
        {
            await _running;
            return _fromPort.ToArray();
        }

        private async Task RunAsync(string target)
        {
            using var client = await _listener.AcceptAsync();
            var colon = target.LastIndexOf(':');
            using var server = new Socket(SocketType.Stream, ProtocolType.Tcp);
            await server.ConnectAsync(target[..colon], int.Parse(target[(colon + 1)..], System.Globalization.CultureInfo.InvariantCulture));
            var up = PumpAsync(client, server, record: null);
            var down = PumpAsync(server, client, _fromPort);
            await Task.WhenAll(up, down);
        }

        private static async Task PumpAsync(Socket from, Socket to, MemoryStream? record)
        {
            var buffer = new byte[16 * 1024];
            try
            {
                while (true)
                {
                    var read = await from.ReceiveAsync(buffer);
                    if (read == 0) break;
                    record?.Write(buffer, 0, read);
                    await to.SendAsync(buffer.AsMemory(0, read));
                }

                to.Shutdown(SocketShutdown.Send);
            }
            catch (SocketException)
            {
                // One side closed hard: the other learns it when its next read or write fails.
                to.Close(0);
            }
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
            }
        }
    }
}
