using System.Globalization;
using AkkaRaft.Faults.Network;

namespace AkkaRaft.Faults.Workload;

/// <summary>
/// The time-series workload, beside the register one: each client appends batches of points to a series of its own
/// (timestamps in milliseconds, one second apart, the value the point's number), resending a batch whose outcome is
/// unknown until it is certain (a stored point sent again counts as a duplicate and changes nothing), and reads its
/// series back now and then. It checks what an ingesting client expects of a replicated store:
/// <list type="bullet">
/// <item>a read (consistent or default) holds every point acknowledged before it was asked, with its value;</item>
/// <item>no read ever holds a point of a batch that certainly failed, or a timestamp the client never sent;</item>
/// <item>after the final heal, every node holds the same points: all acknowledged ones, none of the failed ones.</item>
/// </list>
/// </summary>
internal sealed class SeriesWorkload(IReadOnlyList<NodeProcess> nodes, RunClock clock, int seed, int clients, TimeSpan timeout)
{
    /// <summary>The first timestamp, in milliseconds (2023-11-14); client c's series starts at <c>Start + c</c>.</summary>
    public const long Start = 1_700_000_000_000;

    private const long End = Start + 10L * 365 * 24 * 3600 * 1000;

    // One answer holds at most akkaraft.time-series.max-query-points (100,000 by default) points, and a series gets a point
    // per second of its time: a read goes in pages of 50,000 seconds, so a long run's series (past 100,000 points after
    // some ten minutes) is still read whole.
    private const long PageMs = 50_000L * 1000;

    private readonly object _gate = new();
    private readonly List<string> _violations = [];
    private readonly List<SeriesLedger> _series = [];
    private int _batches;
    private int _resends;
    private int _reads;

    /// <summary>What broke the store's promises, one line each (at most a few per series).</summary>
    public IReadOnlyList<string> Violations
    {
        get { lock (_gate) return [.. _violations]; }
    }

    /// <summary>One line of figures for the run log.</summary>
    public string Summary()
    {
        lock (_gate)
        {
            var acknowledged = _series.Sum(s => s.Acknowledged);
            var failed = _series.Sum(s => s.Failed);
            var unknown = _series.Sum(s => s.Unknown);
            return $"series: {_series.Count} series, {_batches} batches, {acknowledged} points acknowledged, {failed} failed, {unknown} unknown, "
                   + $"{_resends} resends, {_reads} reads checked";
        }
    }

    /// <summary>Runs the clients until <paramref name="until"/> (since the start of the run) or cancellation.</summary>
    public Task RunAsync(TimeSpan until, CancellationToken cancellationToken) =>
        RegisterClient.RunWorkersAsync(clients, timeout, (client, i) => WorkerAsync(client, i, until, cancellationToken));

    /// <summary>After the final heal: every node's copy of every series, read at <c>consistent</c>, must hold exactly what was acknowledged (and perhaps the unknown).</summary>
    public async Task CheckEveryNodeAsync(TimeSpan patience, CancellationToken cancellationToken)
    {
        using var client = new RegisterClient(timeout);
        SeriesLedger[] all;
        lock (_gate) all = [.. _series];
        foreach (var series in all)
        {
            foreach (var node in nodes)
            {
                var deadline = clock.Elapsed + patience;
                IReadOnlyList<(long T, double V)>? points = null;
                string? error = null;
                while (points is null && clock.Elapsed < deadline)
                {
                    (points, error) = await ReadAllAsync(client, node.Http, series, "consistent", cancellationToken).ConfigureAwait(false);
                    if (points is null) await Task.Delay(200, cancellationToken).ConfigureAwait(false);
                }

                if (points is null) Violation($"{series.Name} on {node.Id}: no final read answered ({error})");
                else Check(series, points, series.Acknowledged, $"the final read on {node.Id}");
            }
        }
    }

    private async Task WorkerAsync(RegisterClient client, int worker, TimeSpan until, CancellationToken cancellationToken)
    {
        var random = new Random(HashCode.Combine(seed, 700 + worker));
        var series = new SeriesLedger($"ts{worker.ToString(CultureInfo.InvariantCulture)}-{seed.ToString(CultureInfo.InvariantCulture)}");
        lock (_gate) _series.Add(series);
        var nodeIndex = worker % nodes.Count;
        var next = 0;
        try
        {
            while (clock.Elapsed < until && !cancellationToken.IsCancellationRequested)
            {
                if (random.NextDouble() < 0.25)
                {
                    int acknowledgedBefore;
                    lock (_gate) acknowledgedBefore = series.Acknowledged;
                    var level = random.Next(2) == 0 ? "consistent" : "default";
                    var (points, _) = await ReadAllAsync(client, nodes[nodeIndex].Http, series, level, cancellationToken).ConfigureAwait(false);
                    if (points is not null)
                    {
                        lock (_gate) _reads++;
                        Check(series, points, acknowledgedBefore, $"a {level} read on {nodes[nodeIndex].Id}");
                    }
                }
                else
                {
                    var batch = Enumerable.Range(next, random.Next(1, 21)).Select(n => (T: TimeOf(worker, n), V: (double)n)).ToList();
                    next += batch.Count;
                    nodeIndex = await AppendUntilCertainAsync(client, series, batch, nodeIndex, random, cancellationToken).ConfigureAwait(false);
                }

                await Task.Delay(random.Next(0, 30), CancellationToken.None).ConfigureAwait(false);
            }
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            // Stopping: a batch in flight stays unknown.
        }
    }

    /// <summary>Sends one batch, again to the next node while its outcome is unknown, up to three operation timeouts.</summary>
    private async Task<int> AppendUntilCertainAsync(RegisterClient client, SeriesLedger series, List<(long T, double V)> batch, int nodeIndex, Random random, CancellationToken cancellationToken)
    {
        lock (_gate)
        {
            _batches++;
            series.Sent(batch); // from the moment it is sent, it may be stored
        }

        var deadline = clock.Elapsed + 3 * timeout;
        var maybeStored = false;
        while (true)
        {
            var answer = await client.AppendPointsAsync(nodes[nodeIndex].Http, series.Name, batch, cancellationToken).ConfigureAwait(false);
            if (answer.Outcome == Outcome.Ok)
            {
                lock (_gate) series.Acknowledge(batch);

                return nodeIndex;
            }

            maybeStored |= answer.Outcome == Outcome.Info;
            nodeIndex = (nodeIndex + 1) % nodes.Count;
            if (clock.Elapsed >= deadline)
            {
                if (!maybeStored)
                {
                    lock (_gate) series.Fail(batch);
                }

                return nodeIndex;
            }

            lock (_gate) _resends++;
            await Task.Delay(random.Next(50, 150), CancellationToken.None).ConfigureAwait(false);
        }
    }

    /// <summary>Every point of <paramref name="series"/> up to the last one sent, a page at a time at <paramref name="level"/>; null when a page has no answer.</summary>
    private async Task<(IReadOnlyList<(long T, double V)>? Points, string? Error)> ReadAllAsync(
        RegisterClient client, string node, SeriesLedger series, string level, CancellationToken cancellationToken)
    {
        long lastSent;
        lock (_gate) lastSent = series.LastSent;
        var points = new List<(long T, double V)>();
        for (var from = Start; from <= lastSent; from += PageMs)
        {
            var (page, error) = await client.ReadPointsAsync(node, series.Name, from, Math.Min(End, from + PageMs), level, cancellationToken).ConfigureAwait(false);
            if (page is null) return (null, error);
            points.AddRange(page);
        }

        return (points, null);
    }

    private void Check(SeriesLedger series, IReadOnlyList<(long T, double V)> points, int acknowledgedBefore, string what)
    {
        string? violation;
        lock (_gate) violation = series.Check(points, acknowledgedBefore, what);
        if (violation is not null) Violation(violation);
    }

    private void Violation(string line)
    {
        lock (_gate)
        {
            if (_violations.Count < 20) _violations.Add(line);
        }
    }

    private static long TimeOf(int worker, int n) => Start + worker + 1000L * n;
}

/// <summary>What one client sent to its series: acknowledged points in order, points of certainly failed batches, and the rest.</summary>
internal sealed class SeriesLedger(string name)
{
    private readonly List<(long T, double V)> _acknowledged = [];
    private readonly HashSet<long> _failed = [];
    private readonly Dictionary<long, double> _unknown = [];

    /// <summary>The series' name.</summary>
    public string Name { get; } = name;

    /// <summary>Points acknowledged so far.</summary>
    public int Acknowledged => _acknowledged.Count;

    /// <summary>Points of batches that certainly failed.</summary>
    public int Failed => _failed.Count;

    /// <summary>Points whose batch may or may not be stored.</summary>
    public int Unknown => _unknown.Count;

    /// <summary>The latest timestamp sent (0 before the first batch).</summary>
    public long LastSent { get; private set; }

    /// <summary>A batch is sent: from now on it may be stored.</summary>
    public void Sent(IEnumerable<(long T, double V)> batch)
    {
        foreach (var (t, v) in batch)
        {
            _unknown[t] = v;
            LastSent = Math.Max(LastSent, t);
        }
    }

    /// <summary>The batch was acknowledged.</summary>
    public void Acknowledge(IEnumerable<(long T, double V)> batch)
    {
        foreach (var (t, v) in batch)
        {
            _unknown.Remove(t);
            _acknowledged.Add((t, v));
        }
    }

    /// <summary>The batch certainly was not stored.</summary>
    public void Fail(IEnumerable<(long T, double V)> batch)
    {
        foreach (var (t, _) in batch)
        {
            _unknown.Remove(t);
            _failed.Add(t);
        }
    }

    /// <summary>
    /// A read holds the first <paramref name="acknowledgedBefore"/> acknowledged points with their values, and nothing
    /// but acknowledged or unknown points (never a failed one, never one the client did not send); the violation, or null.
    /// </summary>
    public string? Check(IReadOnlyList<(long T, double V)> points, int acknowledgedBefore, string what)
    {
        Dictionary<long, double> read = new(points.Count);
        foreach (var (t, v) in points) read[t] = v;
        for (var i = 0; i < acknowledgedBefore; i++)
        {
            var (t, v) = _acknowledged[i];
            if (!read.TryGetValue(t, out var got))
                return $"{Name}: {what} lacks the acknowledged point {t} (of {acknowledgedBefore} acknowledged before it; it holds {points.Count})";
            if (got != v) return $"{Name}: {what} holds {got} at {t}, acknowledged as {v}";
        }

        if (points.Count != read.Count) return $"{Name}: {what} holds a timestamp twice";
        var acknowledged = new HashSet<long>(_acknowledged.Select(p => p.T));
        foreach (var (t, v) in points)
        {
            if (_failed.Contains(t)) return $"{Name}: {what} holds {t}, of a batch that certainly failed";
            if (acknowledged.Contains(t)) continue;
            if (!_unknown.TryGetValue(t, out var sent)) return $"{Name}: {what} holds {t}, which the client never sent";
            if (sent != v) return $"{Name}: {what} holds {v} at {t}, sent as {sent}";
        }

        return null;
    }
}
