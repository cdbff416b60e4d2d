using System.Globalization;
using System.Text;
using AkkaRaft.Client;
using AkkaRaft.Raft.Peer;

namespace AkkaRaft.Server.Http;

/// <summary>
/// What the HTTP front end counts itself (proposals made through it and those that failed), and the Prometheus
/// text of the peer's commit latency histogram, which the peer times itself (<see cref="PeerStatus.CommitLatency"/>).
/// Thread-safe.
/// </summary>
public sealed class ServerMetrics
{
    private long _proposals;
    private long _proposalsFailed;

    /// <summary>Writes proposed (a POST of several keys is one batch write, counted once).</summary>
    public long Proposals => Interlocked.Read(ref _proposals);

    /// <summary>Counts one proposal.</summary>
    public void Proposed() => Interlocked.Increment(ref _proposals);

    /// <summary>Counts one proposal that did not commit (not leader, overloaded, timed out).</summary>
    public void Failed() => Interlocked.Increment(ref _proposalsFailed);

    /// <summary>Appends the counters in the Prometheus text format.</summary>
    public void WriteTo(StringBuilder text)
    {
        ArgumentNullException.ThrowIfNull(text);
        text.Append("# HELP akkaraft_proposals_total Writes proposed through the HTTP API.\n# TYPE akkaraft_proposals_total counter\n");
        text.Append("akkaraft_proposals_total ").Append(Proposals.ToString(CultureInfo.InvariantCulture)).Append('\n');
        text.Append("# HELP akkaraft_proposals_failed_total Proposals that did not commit (no leader, overloaded, timed out).\n# TYPE akkaraft_proposals_failed_total counter\n");
        text.Append("akkaraft_proposals_failed_total ").Append(Interlocked.Read(ref _proposalsFailed).ToString(CultureInfo.InvariantCulture)).Append('\n');
    }

    /// <summary>
    /// Appends <paramref name="histogram"/> as the Prometheus histogram <c>akkaraft_commit_latency_seconds</c>:
    /// cumulative <c>_bucket{le=...}</c> lines, <c>+Inf</c>, <c>_sum</c> in seconds and <c>_count</c>.
    /// </summary>
    public static void WriteCommitLatency(StringBuilder text, CommitLatencyHistogram histogram)
    {
        ArgumentNullException.ThrowIfNull(text);
        ArgumentNullException.ThrowIfNull(histogram);
        var bounds = CommitLatencyHistogram.BucketBoundsSeconds;
        if (histogram.BucketCounts.Count != bounds.Count + 1)
        {
            throw new ArgumentException($"the histogram has {histogram.BucketCounts.Count} buckets; {bounds.Count + 1} were expected", nameof(histogram));
        }

        text.Append("# HELP akkaraft_commit_latency_seconds Time from the leader's proposal of a client write to the hand-off of its committed entry for applying and answering, timed by the Raft peer.\n");
        text.Append("# TYPE akkaraft_commit_latency_seconds histogram\n");
        long cumulative = 0;
        for (var i = 0; i < bounds.Count; i++)
        {
            cumulative += histogram.BucketCounts[i];
            text.Append("akkaraft_commit_latency_seconds_bucket{le=\"").Append(bounds[i].ToString(CultureInfo.InvariantCulture)).Append("\"} ")
                .Append(cumulative.ToString(CultureInfo.InvariantCulture)).Append('\n');
        }

        cumulative += histogram.BucketCounts[^1];
        text.Append("akkaraft_commit_latency_seconds_bucket{le=\"+Inf\"} ").Append(cumulative.ToString(CultureInfo.InvariantCulture)).Append('\n');
        text.Append("akkaraft_commit_latency_seconds_sum ").Append(histogram.Sum.TotalSeconds.ToString(CultureInfo.InvariantCulture)).Append('\n');
        text.Append("akkaraft_commit_latency_seconds_count ").Append(histogram.Count.ToString(CultureInfo.InvariantCulture)).Append('\n');
    }
}
