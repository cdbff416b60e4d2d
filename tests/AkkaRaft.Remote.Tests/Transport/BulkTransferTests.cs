using System.Net;
using System.Net.Sockets;
using System.Security.Cryptography;
using AkkaRaft.Remote.Transport;
using AkkaRaft.Common;

namespace AkkaRaft.Remote.Tests.Transport;

public sealed class BulkTransferTests : IDisposable
{
    private readonly string _root = Directory.CreateTempSubdirectory("akkaraft-bulk-").FullName;

    public void Dispose() => Directory.Delete(_root, recursive: true);

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task A_200_MB_snapshot_cut_mid_way_resumes_where_it_stopped_and_arrives_intact(bool tls)
    {
        const long length = 200L * 1024 * 1024;
        var source = CreateFile(Path.Combine(_root, "source.snapshot"), length, seed: 7);
        var inbox = Path.Combine(_root, "inbox");
        var ca = new TestCertificates("cluster-ca");
        var (a, _, _) = Transports.Start("a", Transports.Loopback() with { Tls = tls ? ca.TlsFor("a") : null });
        var (b, _, _) = Transports.Start("b", Transports.Loopback() with { Tls = tls ? ca.TlsFor("b") : null }, bulkDirectory: inbox);
        await using var _a = a;
        await using var _b = b;
        var received = new TaskCompletionSource<BulkFileReceived>(TaskCreationOptions.RunContinuationsAsynchronously);
        b.FileReceived += f => received.TrySetResult(f);
        // The network between them drops the first connection after 80 MB have passed.
        await using var cut = new CuttingProxy(b.Address.Port, cutAfterBytes: 80L * 1024 * 1024);
        var viaProxy = b.Address with { Port = cut.Port };

        await Assert.ThrowsAsync<IOException>(() => a.SendFileAsync(viaProxy, source, "snapshot-42"));
        await TestLimits.EventuallyAsync(() => b.Metrics.Closed(CloseReason.BulkIncomplete) == 1, "b notices the cut");
        Assert.False(File.Exists(Path.Combine(inbox, "snapshot-42")));

        var result = await a.SendFileAsync(viaProxy, source, "snapshot-42");

        var file = await received.Task.WaitAsync(TestLimits.Generous);
        Assert.Equal(length, result.Length);
        Assert.InRange(result.ResumedFromOffset, 1, 80L * 1024 * 1024);
        Assert.Equal(result.ResumedFromOffset, file.ResumedFromOffset);
        Assert.Equal(!tls, result.UsedSendFile);
        Assert.Equal(Sha256(source), Sha256(file.Path));
        Assert.Empty(Directory.GetFiles(inbox, "*.partial", SearchOption.AllDirectories));
    }

    [Fact]
    public async Task A_corrupt_partial_file_fails_the_checksum_is_discarded_and_the_next_attempt_succeeds()
    {
        var source = CreateFile(Path.Combine(_root, "small"), 1_000_000, seed: 3);
        var inbox = Path.Combine(_root, "inbox");
        Directory.CreateDirectory(inbox);
        var hash = Sha256(source);
        var crc = Crc32C.Compute(File.ReadAllBytes(source));
        // Half the file, with one byte damaged, where an interrupted transfer would have left it.
        var partial = Path.Combine(inbox, $".small-file.{1_000_000:x}-{crc:x8}.partial");
        var damaged = File.ReadAllBytes(source)[..500_000];
        damaged[1234] ^= 0x40;
        File.WriteAllBytes(partial, damaged);
        var (a, _, _) = Transports.Start("a");
        var (b, _, _) = Transports.Start("b", bulkDirectory: inbox);
        await using var _a = a;
        await using var _b = b;

        var error = await Assert.ThrowsAsync<BulkTransferException>(() => a.SendFileAsync(b.Address, source, "small-file"));
        Assert.Contains("CRC-32C", error.Message);
        Assert.False(File.Exists(partial));
        Assert.False(File.Exists(Path.Combine(inbox, "small-file")));

        var result = await a.SendFileAsync(b.Address, source, "small-file");

        Assert.Equal(0, result.ResumedFromOffset);
        Assert.Equal(hash, Sha256(Path.Combine(inbox, "small-file")));
    }

    [Theory]
    [InlineData("../escape")]
    [InlineData(".hidden")]
    [InlineData("a/b")]
    public async Task A_file_name_that_could_leave_the_bulk_directory_is_rejected_before_sending(string name)
    {
        var source = CreateFile(Path.Combine(_root, "x"), 10, seed: 1);
        var (a, _, _) = Transports.Start("a");
        await using var _a = a;

        await Assert.ThrowsAsync<ArgumentException>(() => a.SendFileAsync(a.Address, source, name));
    }

    internal static string CreateFile(string path, long length, int seed)
    {
        var random = new Random(seed);
        var buffer = new byte[1 << 20];
        using var file = new FileStream(path, FileMode.CreateNew, FileAccess.Write);
        for (var written = 0L; written < length;)
        {
            random.NextBytes(buffer);
            var count = (int)Math.Min(buffer.Length, length - written);
            file.Write(buffer, 0, count);
            written += count;
        }
        return path;
    }

    internal static byte[] Sha256(string path)
    {
        using var file = File.OpenRead(path);
        return SHA256.HashData(file);
    }
}
