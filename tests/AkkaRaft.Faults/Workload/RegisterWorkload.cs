using System.Globalization;
using AkkaRaft.Faults.History;
using AkkaRaft.Faults.Network;

namespace AkkaRaft.Faults.Workload;

/// <summary>
/// Jepsen's register workload, as in its etcd and ZooKeeper tests: concurrent clients doing reads (at
/// <c>consistent</c> and <c>default</c>), writes and compare-and-sets on a few keys, every value unique
/// (<c>client-counter</c>), every invocation and completion written to the history. Each client talks to one node first
/// (client i to node i mod N, as Jepsen binds its clients), which redirects what only the leader serves.
/// </summary>
/// <remarks>
/// Keys are independent registers (Jepsen's <c>independent</c>): at any time <see cref="ActiveKeys"/> keys are in use,
/// and a key is retired after <see cref="OpsPerKey"/> operations for a fresh one, so that no key's history grows
/// beyond what the checker searches quickly, however long the run. A compare-and-set compares with the last value
/// and index some client saw for the key (through a read or its own write); the API compares indexes, and since every
/// value is written once, "the key's last index is i" is "the key holds the value written at i".
/// </remarks>
internal sealed class RegisterWorkload(IReadOnlyList<NodeProcess> nodes, HistoryWriter history, RunClock clock, int seed, int clients, int grpcClients, TimeSpan timeout)
{
    /// <summary>Keys in use at once.</summary>
    public const int ActiveKeys = 3;

    /// <summary>Operations on a key before it is retired.</summary>
    public const int OpsPerKey = 200;

    /// <summary>The first process number of the final reads, above every client's.</summary>
    public const int FinalReadProcess = 1000;

    private readonly object _gate = new();
    private readonly List<string> _active = [];
    private readonly Dictionary<string, int> _opsOn = new(StringComparer.Ordinal);
    private readonly List<string> _allKeys = [];
    private readonly Dictionary<string, (string? Value, ulong Index)> _lastSeen = new(StringComparer.Ordinal);
    private int _nextKey;

    /// <summary>Every key the workload used, in order of first use.</summary>
    public IReadOnlyList<string> Keys
    {
        get { lock (_gate) return [.. _allKeys]; }
    }

    /// <summary>Runs the clients until <paramref name="until"/> (since the start of the run) or cancellation.</summary>
    public async Task RunAsync(TimeSpan until, CancellationToken cancellationToken)
    {
        using var client = new RegisterClient(timeout);
        // The last grpcClients processes speak gRPC through the client library, each given its own node's address only.
        var httpOf = nodes.ToDictionary(n => n.Id, n => n.Http);
        var grpc = Enumerable.Range(0, clients).Select(i => i >= clients - grpcClients ? new GrpcRegisterClient(nodes[i % nodes.Count].Grpc, timeout, httpOf) : null).ToList();
        try
        {
            var workers = Enumerable.Range(0, clients).Select(i => Task.Run(() => WorkerAsync(client, grpc[i], i, until, cancellationToken), CancellationToken.None));
            await Task.WhenAll(workers).ConfigureAwait(false);
        }
        finally
        {
            foreach (var g in grpc) g?.Dispose();
        }
    }

    /// <summary>
    /// Jepsen's final reads: once the cluster is healed, one <c>consistent</c> read of every key the run used (retried
    /// until one answers, up to <paramref name="patience"/> in all), so that a lost write shows in the history.
    /// </summary>
    /// <returns>The keys no read answered for.</returns>
    /// <param name="patience">How long all the final reads may take.</param>
    /// <param name="otherKeys">Registers other workloads wrote in the same history (the session clients'), read too.</param>
    /// <param name="cancellationToken">Stops the reads.</param>
    public async Task<IReadOnlyList<string>> FinalReadsAsync(TimeSpan patience, IReadOnlyList<string> otherKeys, CancellationToken cancellationToken)
    {
        using var client = new RegisterClient(timeout);
        var deadline = clock.Elapsed + patience;
        var unread = new List<string>();
        var attempt = 0;
        foreach (var key in Keys.Concat(otherKeys))
        {
            var done = false;
            while (!done && clock.Elapsed < deadline)
            {
                var node = nodes[attempt++ % nodes.Count];
                var invoke = history.Invoke(FinalReadProcess, "read", key, level: "consistent", node: node.Id);
                var answer = await client.ReadAsync(node.Http, key, "consistent", cancellationToken).ConfigureAwait(false);
                Record(invoke, answer);
                done = answer.Outcome == Outcome.Ok;
                if (!done) await Task.Delay(200, cancellationToken).ConfigureAwait(false);
            }

            if (!done) unread.Add(key);
        }

        return unread;
    }

    /// <summary>Writes a fresh key until a write succeeds, up to <paramref name="patience"/>; the time it took, or null.</summary>
    public async Task<TimeSpan?> WaitForWritesAsync(TimeSpan patience, CancellationToken cancellationToken)
    {
        using var client = new RegisterClient(timeout);
        var started = clock.Elapsed;
        var attempt = 0;
        while (clock.Elapsed - started < patience)
        {
            var node = nodes[attempt % nodes.Count];
            var value = $"recovery-{attempt++}";
            var invoke = history.Invoke(FinalReadProcess - 1, "write", "recovery", value: value, node: node.Id);
            var answer = await client.WriteAsync(node.Http, "recovery", value, conditional: false, 0, cancellationToken).ConfigureAwait(false);
            Record(invoke, answer);
            if (answer.Outcome == Outcome.Ok) return clock.Elapsed - started;
            await Task.Delay(200, cancellationToken).ConfigureAwait(false);
        }

        return null;
    }

    private async Task WorkerAsync(RegisterClient client, GrpcRegisterClient? grpc, int process, TimeSpan until, CancellationToken cancellationToken)
    {
        var random = new Random(HashCode.Combine(seed, process));
        var node = nodes[process % nodes.Count];
        var written = 0;
        while (clock.Elapsed < until && !cancellationToken.IsCancellationRequested)
        {
            var key = PickKey(random);
            var roll = random.NextDouble();
            Answer answer;
            try
            {
                if (roll < 0.40)
                {
                    // Reads: consistent more often than default, since consistent is what the checker holds to the strictest promise.
                    var level = roll < 0.25 ? "consistent" : "default";
                    var invoke = history.Invoke(process, "read", key, level: level, node: node.Id);
                    answer = grpc is null
                        ? await client.ReadAsync(node.Http, key, level, cancellationToken).ConfigureAwait(false)
                        : await grpc.ReadAsync(key, level, cancellationToken).ConfigureAwait(false);
                    Record(invoke, answer);
                }
                else if (roll < 0.70)
                {
                    var value = ValueOf(process, written++);
                    var invoke = history.Invoke(process, "write", key, value: value, node: node.Id);
                    answer = grpc is null
                        ? await client.WriteAsync(node.Http, key, value, conditional: false, 0, cancellationToken).ConfigureAwait(false)
                        : await grpc.WriteAsync(key, value, conditional: false, 0, cancellationToken).ConfigureAwait(false);
                    Record(invoke, answer);
                }
                else
                {
                    var value = ValueOf(process, written++);
                    var (expected, index) = LastSeen(key);
                    var invoke = history.Invoke(process, "cas", key, value: value, expected: expected, node: node.Id);
                    answer = grpc is null
                        ? await client.WriteAsync(node.Http, key, value, conditional: true, index, cancellationToken).ConfigureAwait(false)
                        : await grpc.WriteAsync(key, value, conditional: true, index, cancellationToken).ConfigureAwait(false);
                    Record(invoke, answer);
                }
            }
            catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
            {
                // The run is stopping; the invocation stays open in the history, as an unknown outcome.
                return;
            }

            // A little think time, so that the cluster is busy but not saturated on a small machine; longer after a
            // failure (a node without a leader answers 503 at once), as a real client backs off.
            var failed = answer.Outcome != Outcome.Ok && !answer.Mismatch;
            await Task.Delay(failed ? random.Next(50, 150) : random.Next(0, 20), CancellationToken.None).ConfigureAwait(false);
        }
    }

    private void Record(HistoryEvent invoke, Answer answer)
    {
        var type = answer.Outcome switch { Outcome.Ok => "ok", Outcome.Fail => "fail", _ => "info" };
        history.Complete(invoke, type, answer.Value, answer.Mismatch ? true : null, answer.Node is null ? null : IdOf(answer.Node), answer.Error);
        if (answer.Outcome != Outcome.Ok) return;
        lock (_gate)
        {
            // What some client saw last, for the next compare-and-set: (value, index), or (null, 0) for absent.
            if (invoke.F == "read") _lastSeen[invoke.Key] = (answer.Value, answer.Value is null ? 0 : answer.Index);
            else if (answer.Index > 0) _lastSeen[invoke.Key] = (invoke.Value, answer.Index);
        }
    }

    private (string? Value, ulong Index) LastSeen(string key)
    {
        lock (_gate) return _lastSeen.TryGetValue(key, out var seen) && (seen.Value is null || seen.Index > 0) ? seen : (null, 0);
    }

    private string PickKey(Random random)
    {
        lock (_gate)
        {
            while (_active.Count < ActiveKeys)
            {
                var fresh = "r" + (_nextKey++).ToString(CultureInfo.InvariantCulture);
                _active.Add(fresh);
                _allKeys.Add(fresh);
                _opsOn[fresh] = 0;
            }

            var slot = random.Next(_active.Count);
            var key = _active[slot];
            if (++_opsOn[key] >= OpsPerKey) _active.RemoveAt(slot);
            return key;
        }
    }

    private string IdOf(string http) => nodes.FirstOrDefault(n => n.Http == http)?.Id ?? http;

    private static string ValueOf(int process, int counter) =>
        process.ToString(CultureInfo.InvariantCulture) + "-" + counter.ToString(CultureInfo.InvariantCulture);
}
