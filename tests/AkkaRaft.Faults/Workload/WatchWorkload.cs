using System.Globalization;
using AkkaRaft.Faults.Network;

namespace AkkaRaft.Faults.Workload;

/// <summary>
/// The watch workload, beside the others: each client has a writer that puts and deletes a few keys under a prefix of
/// its own (<c>watch-{client}/</c>), recording every acknowledged write with its index, and a watcher that loops on the
/// one-shot prefix watch (<c>GET /watch/watch-{client}/?prefix=true&amp;index=n</c>) against any node, re-arming from
/// the index it was last answered, moving to the next node on leader_changed, errors and timeouts, and recording every
/// change it is told of. After the final heal each watcher catches up (watches until one times out with nothing left);
/// <see cref="WatchLedger"/> then checks what a user of etcd's watch relies on: every change seen once, in log order,
/// each one a real write, none acknowledged missed.
/// </summary>
internal sealed class WatchWorkload(IReadOnlyList<NodeProcess> nodes, RunClock clock, int seed, int clients, TimeSpan timeout)
{
    /// <summary>How long one watch waits for a change (the server answers 408 after it).</summary>
    public static readonly TimeSpan WatchTimeout = TimeSpan.FromSeconds(3);

    private const int KeysPerClient = 4;

    private readonly object _gate = new();
    private readonly WatchLedger[] _ledgers = Enumerable.Range(0, clients).Select(c => new WatchLedger(PrefixOf(c))).ToArray();
    private readonly List<string> _unexpected = [];
    private int _leaderChanges;
    private int _timeouts;
    private int _unavailable;

    /// <summary>The prefix client <paramref name="client"/> writes and watches.</summary>
    public static string PrefixOf(int client) => $"watch-{client.ToString(CultureInfo.InvariantCulture)}/";

    /// <summary>One line of figures for the run log.</summary>
    public string Summary()
    {
        lock (_gate)
        {
            return $"watches: {clients} watchers, {_ledgers.Sum(l => l.Events)} events ({_ledgers.Sum(l => l.EventsOfUnansweredWrites)} of unanswered writes), {_ledgers.Sum(l => l.Acknowledged)} acknowledged writes "
                   + $"({_ledgers.Sum(l => l.UnknownWrites)} unanswered, {_ledgers.Sum(l => l.FailedWrites)} changed nothing), "
                   + $"{_leaderChanges} leader_changed, {_timeouts} timeouts (408), {_unavailable} watches unanswered, "
                   + $"{_ledgers.Sum(l => l.Restarts)} restarts past the watch history, {_ledgers.Count(l => l.CaughtUp)} of {clients} caught up at the end";
        }
    }

    /// <summary>What broke the watches' promises, one line each (at most a few per client).</summary>
    public IReadOnlyList<string> Violations()
    {
        lock (_gate)
        {
            var violations = new List<string>(_unexpected.Take(10));
            foreach (var ledger in _ledgers)
            {
                violations.AddRange(ledger.Violations(5));
                if (!ledger.CaughtUp) violations.Add($"{ledger.Prefix}: the watcher never caught up after the final heal (no watch from its last index {ledger.LastIndex} timed out quietly)");
            }

            return violations;
        }
    }

    /// <summary>Runs the writers and the watchers until <paramref name="until"/> (since the start of the run) or cancellation.</summary>
    public async Task RunAsync(TimeSpan until, CancellationToken cancellationToken)
    {
        using var writes = new RegisterClient(timeout);
        using var watches = new RegisterClient(timeout + WatchTimeout);
        await Task.WhenAll(Enumerable.Range(0, clients).SelectMany(c => new[]
        {
            Task.Run(() => WriterAsync(writes, c, until, cancellationToken), CancellationToken.None),
            Task.Run(() => WatcherAsync(watches, c, until, false, cancellationToken), CancellationToken.None),
        })).ConfigureAwait(false);
    }

    /// <summary>After the final heal, with the writers stopped: each watcher watches on until a watch from its last index times out (nothing left to see).</summary>
    public async Task CatchUpAsync(TimeSpan patience, CancellationToken cancellationToken)
    {
        using var watches = new RegisterClient(timeout + WatchTimeout);
        var until = clock.Elapsed + patience;
        await Task.WhenAll(Enumerable.Range(0, clients).Select(c => Task.Run(() => WatcherAsync(watches, c, until, true, cancellationToken), CancellationToken.None)))
            .ConfigureAwait(false);
    }

    private async Task WriterAsync(RegisterClient client, int worker, TimeSpan until, CancellationToken cancellationToken)
    {
        var random = new Random(HashCode.Combine(seed, 800 + worker));
        var ledger = _ledgers[worker];
        var nodeIndex = worker % nodes.Count;
        // What the writer knows of each key: present, absent, or not known (after a write with no answer).
        var present = new bool?[KeysPerClient];
        try
        {
            for (var n = 0; clock.Elapsed < until && !cancellationToken.IsCancellationRequested; n++)
            {
                var k = random.Next(KeysPerClient);
                var key = $"{ledger.Prefix}k{k.ToString(CultureInfo.InvariantCulture)}";
                var delete = present[k] != false && random.Next(3) == 0;
                var sent = clock.Elapsed;
                var answer = delete
                    ? await client.DeleteAsync(nodes[nodeIndex].Http, key, cancellationToken).ConfigureAwait(false)
                    : await client.WriteAsync(nodes[nodeIndex].Http, key, n.ToString(CultureInfo.InvariantCulture), false, 0, cancellationToken).ConfigureAwait(false);
                var why = $" (sent at {sent.TotalSeconds:0.000}s to {nodes[nodeIndex].Id}, answered at {clock.Elapsed.TotalSeconds:0.000}s by {answer.Node}{(answer.Error is null ? "" : ": " + answer.Error)})";
                lock (_gate)
                {
                    if (answer.Outcome == Outcome.Ok && answer.Index > 0)
                    {
                        ledger.Acknowledge(new WatchChange(key, answer.Index, delete), why);
                        present[k] = !delete;
                    }
                    else if (answer.Outcome == Outcome.Fail && !(delete && answer.Error?.Contains(RegisterClient.ConnectionFailed, StringComparison.Ordinal) == true))
                    {
                        ledger.Fail(key, delete, why);
                        // A delete answered 404 found the key absent; anything else proposed nothing.
                        if (delete && answer.Error?.StartsWith("404", StringComparison.Ordinal) == true) present[k] = false;
                    }
                    else
                    {
                        // No answer; or a delete's refused connection, which may follow a request the node read before
                        // it was killed: SocketsHttpHandler resends a request without a body on a new connection when a
                        // pooled one closes before any response byte (dotnet/runtime#86714). It may have applied.
                        ledger.Unknown(key, delete, why);
                        present[k] = null;
                    }
                }

                if (answer.Outcome != Outcome.Ok && answer.Error?.StartsWith("404", StringComparison.Ordinal) != true) nodeIndex = (nodeIndex + 1) % nodes.Count;
                await Task.Delay(random.Next(20, 80), CancellationToken.None).ConfigureAwait(false);
            }
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            // The run is stopping.
        }
    }

    /// <summary>
    /// Loops on the prefix watch until <paramref name="until"/>; with <paramref name="catchUp"/>, until the first watch
    /// that times out (then the ledger is told that nothing was left to see).
    /// </summary>
    private async Task WatcherAsync(RegisterClient client, int worker, TimeSpan until, bool catchUp, CancellationToken cancellationToken)
    {
        var random = new Random(HashCode.Combine(seed, 900 + worker, catchUp));
        var ledger = _ledgers[worker];
        var nodeIndex = (worker + 1) % nodes.Count;
        bool restart;
        lock (_gate) restart = !ledger.Started;
        try
        {
            while (clock.Elapsed < until && !cancellationToken.IsCancellationRequested)
            {
                var node = nodes[nodeIndex].Http;
                if (restart)
                {
                    // Start (again) from a read's index, never below what was seen already.
                    if (await client.ListingIndexAsync(node, ledger.Prefix, cancellationToken).ConfigureAwait(false) is { } read)
                    {
                        lock (_gate) ledger.Start(Math.Max(read, ledger.LastIndex));
                        restart = false;
                    }
                    else
                    {
                        nodeIndex = await NextNodeAsync(nodeIndex, random).ConfigureAwait(false);
                    }

                    continue;
                }

                ulong from;
                lock (_gate) from = ledger.LastIndex;
                var sent = clock.Elapsed;
                var answer = await client.WatchPrefixAsync(node, ledger.Prefix, from, WatchTimeout, cancellationToken).ConfigureAwait(false);
                lock (_gate)
                {
                    switch (answer.Outcome)
                    {
                        case WatchOutcome.Changed:
                            ledger.Saw(new WatchChange(answer.Key ?? "", answer.Index, answer.Deleted), Told(from, sent, node, answer.Node));
                            break;
                        case WatchOutcome.LeaderChanged:
                            _leaderChanges++;
                            break;
                        case WatchOutcome.TimedOut:
                            _timeouts++;
                            if (catchUp)
                            {
                                ledger.Quiet(Told(from, sent, node, answer.Node));
                                return;
                            }

                            break;
                        case WatchOutcome.HistoryGone:
                            restart = true;
                            break;
                        case WatchOutcome.Unexpected:
                            _unexpected.Add($"{ledger.Prefix}: a watch from {from} on {node} was answered {answer.Error}");
                            break;
                        default:
                            _unavailable++;
                            break;
                    }
                }

                if (answer.Outcome is WatchOutcome.LeaderChanged or WatchOutcome.Unexpected or WatchOutcome.Unavailable)
                    nodeIndex = await NextNodeAsync(nodeIndex, random).ConfigureAwait(false);
            }
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            // The run is stopping.
        }
    }

    /// <summary>How a watch was answered, for the story of a violation.</summary>
    private string Told(ulong from, TimeSpan sent, string node, string? answeredBy) =>
        $" (a watch from {from} sent at {sent.TotalSeconds:0.000}s to {node}, answered at {clock.Elapsed.TotalSeconds:0.000}s by {answeredBy})";

    private async Task<int> NextNodeAsync(int nodeIndex, Random random)
    {
        await Task.Delay(random.Next(50, 200), CancellationToken.None).ConfigureAwait(false);
        return (nodeIndex + 1) % nodes.Count;
    }
}
