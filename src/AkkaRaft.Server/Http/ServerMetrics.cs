using System.Globalization;
using System.Text;

namespace AkkaRaft.Server.Http;

/// <summary>
/// What the HTTP front end counts itself: proposals and a commit latency histogram (cumulative buckets as
/// Prometheus wants them). Thread-safe.
/// </summary>
public sealed class ServerMetrics
{
    /// <summary>Upper bounds of the latency buckets, in seconds.</summary>
    public static readonly double[] BucketSeconds = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

    private readonly long[] _buckets = new long[BucketSeconds.Length + 1];
    private long _proposals;
    private long _proposalsFailed;
    private long _latencyCount;
    private long _latencyMicrosSum;

    /// <summary>Writes proposed (each key of a POST counts once).</summary>
    public long Proposals => Interlocked.Read(ref _proposals);

    /// <summary>Counts one proposal.</summary>
    public void Proposed() => Interlocked.Increment(ref _proposals);

    /// <summary>Counts one proposal that did not commit (not leader, overloaded, timed out).</summary>
    public void Failed() => Interlocked.Increment(ref _proposalsFailed);

    /// <summary>Records the time from proposal to applied answer of one committed write.</summary>
    public void Committed(TimeSpan latency)
    {
        var seconds = latency.TotalSeconds;
        var bucket = Array.FindIndex(BucketSeconds, b => seconds <= b);
        Interlocked.Increment(ref _buckets[bucket < 0 ? BucketSeconds.Length : bucket]);
        Interlocked.Increment(ref _latencyCount);
        Interlocked.Add(ref _latencyMicrosSum, (long)(latency.TotalMilliseconds * 1000));
    }

    /// <summary>Appends the counters and the histogram in the Prometheus text format.</summary>
    public void WriteTo(StringBuilder text)
    {
        ArgumentNullException.ThrowIfNull(text);
        text.Append("# HELP akkaraft_proposals_total Writes proposed through the HTTP API.\n# TYPE akkaraft_proposals_total counter\n");
        text.Append("akkaraft_proposals_total ").Append(Proposals.ToString(CultureInfo.InvariantCulture)).Append('\n');
        text.Append("# HELP akkaraft_proposals_failed_total Proposals that did not commit (no leader, overloaded, timed out).\n# TYPE akkaraft_proposals_failed_total counter\n");
        text.Append("akkaraft_proposals_failed_total ").Append(Interlocked.Read(ref _proposalsFailed).ToString(CultureInfo.InvariantCulture)).Append('\n');
        text.Append("# HELP akkaraft_commit_latency_seconds Time from proposal to applied answer of committed writes.\n# TYPE akkaraft_commit_latency_seconds histogram\n");
        long cumulative = 0;
        for (var i = 0; i < BucketSeconds.Length; i++)
        {
            cumulative += Interlocked.Read(ref _buckets[i]);
            text.Append("akkaraft_commit_latency_seconds_bucket{le=\"").Append(BucketSeconds[i].ToString(CultureInfo.InvariantCulture)).Append("\"} ")
                .Append(cumulative.ToString(CultureInfo.InvariantCulture)).Append('\n');
        }

        cumulative += Interlocked.Read(ref _buckets[^1]);
        text.Append("akkaraft_commit_latency_seconds_bucket{le=\"+Inf\"} ").Append(cumulative.ToString(CultureInfo.InvariantCulture)).Append('\n');
        text.Append("akkaraft_commit_latency_seconds_sum ").Append((Interlocked.Read(ref _latencyMicrosSum) / 1e6).ToString(CultureInfo.InvariantCulture)).Append('\n');
        text.Append("akkaraft_commit_latency_seconds_count ").Append(Interlocked.Read(ref _latencyCount).ToString(CultureInfo.InvariantCulture)).Append('\n');
    }
}
