using System.Diagnostics;
using System.Globalization;
using AkkaRaft.Raft.Core;
using AkkaRaft.Raft.Peer.Snapshots;
using AkkaRaft.Raft.Remoting;
using AkkaRaft.TestSupport.Certificates;

namespace AkkaRaft.Benchmarks.Raft;

/// <summary>
/// Loopback throughput of the snapshot port (not a BenchmarkDotNet benchmark: one operation is hundreds of MiB). A
/// leader's <see cref="SnapshotTransfer"/> publishes a random snapshot of the given size once (the file write is timed
/// apart); a fresh follower's transfer then fetches it whole, verifying every chunk's CRC-32C and the whole's, into its
/// temporary file and back into memory, several times. Prints each fetch and the median in MiB/s. With <c>tls</c> both
/// ends use the cluster's TLS (certificates from a CA made at run time), so the leader reads the file and writes it
/// through TLS instead of sendfile.
/// <c>dotnet run -c Release --project bench/AkkaRaft.Benchmarks -- snapshot-transfer [MiB] [runs] [chunk KiB] [plain|tls]</c>.
/// </summary>
public static class SnapshotTransferThroughput
{
    public static async Task RunAsync(TextWriter output, int mebibytes, int runs, int chunkKibibytes, bool tls)
    {
        TlsSettings? leaderTls = null, followerTls = null;
        if (tls)
        {
            var ca = new TestCertificateAuthority("snapshot-bench-ca");
            leaderTls = TlsSettings.FromCertificates(ca.IssueNode("leader"), ca.AsTrusted());
            followerTls = TlsSettings.FromCertificates(ca.IssueNode("follower"), ca.AsTrusted());
        }

        var root = Path.Combine(Path.GetTempPath(), "akkaraft-snapshot-bench-" + Guid.NewGuid().ToString("N"));
        var settings = SnapshotTransferSettings.Defaults with { Listener = "127.0.0.1:0", ChunkBytes = chunkKibibytes * 1024, MaxChunkBytes = Math.Max(chunkKibibytes * 1024, 16 << 20) };
        var data = new byte[(long)mebibytes << 20];
        new Random(1).NextBytes(data);
        var limit = data.LongLength + 1;
        try
        {
            await using var leader = new SnapshotTransfer(settings, limit, Path.Combine(root, "leader"), "127.0.0.1", tls: leaderTls);
            var install = new InstallSnapshot(1, 2, 1, new Snapshot(new SnapshotMetadata(1000, 1, ConfState.OfVoters(1, 2)), data));
            var clock = Stopwatch.StartNew();
            var offer = await leader.PublishAsync(install);
            output.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"published {mebibytes} MiB in {settings.ChunkBytes / 1024} KiB chunks (CRCs + file write + fsync): {clock.Elapsed.TotalSeconds:F2} s"));
            var rates = new List<double>();
            for (var run = 1; run <= runs; run++)
            {
                await using var follower = new SnapshotTransfer(settings, limit, Path.Combine(root, $"follower-{run}"), "127.0.0.1", tls: followerTls);
                clock.Restart();
                var fetched = await follower.FetchAsync(offer);
                var seconds = clock.Elapsed.TotalSeconds;
                if (fetched.LongLength != data.LongLength) throw new InvalidOperationException("the fetched snapshot has the wrong length");
                var rate = mebibytes / seconds;
                rates.Add(rate);
                output.WriteLine(string.Create(CultureInfo.InvariantCulture, $"fetch {run}: {seconds:F2} s, {rate:F0} MiB/s"));
            }

            rates.Sort();
            output.WriteLine(string.Create(CultureInfo.InvariantCulture, $"median over {runs} fetches ({(tls ? "TLS" : "plain, sendfile")}): {rates[rates.Count / 2]:F0} MiB/s"));
        }
        finally
        {
            Directory.Delete(root, recursive: true);
        }
    }
}
