using System.Net;
using System.Net.Sockets;
using AkkaRaft.Remote;
using AkkaRaft.Remote.Transport;
using AkkaRaft.Remote.Wire;
using BenchmarkDotNet.Attributes;

namespace AkkaRaft.Benchmarks.Remote;

/// <summary>
/// Moving one 128 MiB snapshot file over loopback. Baseline: a plain socket copy (read the file into a buffer,
/// write it to the socket; the receiver writes it to a file and fsyncs). Bulk channel: the remoting side channel,
/// with its handshake, kernel sendfile, SHA-256 on both ends, fsync and rename. MB/s = 128 / mean seconds.
/// </summary>
public class SnapshotTransferBenchmarks
{
    private const long FileBytes = 128L * 1024 * 1024;

    private string _root = null!;
    private string _source = null!;
    private RemoteTransport _a = null!;
    private RemoteTransport _b = null!;
    private Socket _plainListener = null!;

    [GlobalSetup]
    public void Setup()
    {
        _root = Directory.CreateTempSubdirectory("akkaraft-bench-bulk-").FullName;
        _source = Path.Combine(_root, "snapshot.bin");
        var buffer = new byte[1 << 20];
        var random = new Random(42);
        using (var file = File.Create(_source))
        {
            for (long written = 0; written < FileBytes; written += buffer.Length)
            {
                random.NextBytes(buffer);
                file.Write(buffer);
            }
        }
        var settings = new RemoteSettings { Port = 0, ClusterSecret = "bench" };
        _a = new RemoteTransport("a", settings, new NoFrames(), new QuietLog());
        _b = new RemoteTransport("b", settings, new NoFrames(), new QuietLog(), Path.Combine(_root, "inbox"));
        _a.Start();
        _b.Start();
        _plainListener = new Socket(SocketType.Stream, ProtocolType.Tcp);
        _plainListener.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        _plainListener.Listen();
    }

    [Benchmark(Baseline = true)]
    public async Task PlainSocketCopy()
    {
        var receive = ReceivePlainAsync();
        using (var client = new Socket(SocketType.Stream, ProtocolType.Tcp) { NoDelay = true })
        {
            await client.ConnectAsync((IPEndPoint)_plainListener.LocalEndPoint!);
            await using var file = new FileStream(_source, FileMode.Open, FileAccess.Read, FileShare.Read, 1, FileOptions.SequentialScan);
            var buffer = new byte[256 * 1024];
            int read;
            while ((read = await file.ReadAsync(buffer)) > 0) await client.SendAsync(buffer.AsMemory(0, read));
            client.Shutdown(SocketShutdown.Send);
        }
        await receive;
    }

    private async Task ReceivePlainAsync()
    {
        using var server = await _plainListener.AcceptAsync();
        await using var file = new FileStream(Path.Combine(_root, "plain.bin"), FileMode.Create, FileAccess.Write, FileShare.None, 1);
        var buffer = new byte[256 * 1024];
        int read;
        while ((read = await server.ReceiveAsync(buffer)) > 0) await file.WriteAsync(buffer.AsMemory(0, read));
        file.Flush(flushToDisk: true);
    }

    [Benchmark]
    public Task<BulkSendResult> BulkChannelSendFile() => _a.SendFileAsync(_b.Address, _source, "snapshot.bin");

    [GlobalCleanup]
    public void Cleanup()
    {
        _a.DisposeAsync().AsTask().GetAwaiter().GetResult();
        _b.DisposeAsync().AsTask().GetAwaiter().GetResult();
        _plainListener.Dispose();
        Directory.Delete(_root, recursive: true);
    }

    private sealed class NoFrames : IRemoteFrameHandler
    {
        public void OnFrame(RemoteAddress from, Frame frame)
        {
        }

        public void OnAssociated(RemoteAddress remote)
        {
        }

        public void OnDisassociated(RemoteAddress remote)
        {
        }

        public void OnDeadLetter(RemoteAddress to, Frame frame, string reason)
        {
        }
    }

    private sealed class QuietLog : IRemoteLog
    {
        public void Log(RemoteLogLevel level, string message)
        {
        }
    }
}
