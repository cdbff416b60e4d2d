using System.Globalization;
using System.Net;
using AkkaRaft.Faults.History;
using AkkaRaft.Faults.Network;

namespace AkkaRaft.Faults.Workload;

/// <summary>
/// The session workload, beside the register one: clients that each hold a session (ZooKeeper's and etcd's users do),
/// keep it alive, and write through it with sequence numbers, resending the same number until an answer is certain,
/// through whatever the nemesis does. It checks what sessions promise (docs/SESSIONS.md):
/// <list type="bullet">
/// <item>exactly once: every answer to one (session, sequence number) names the same index, whether it answered the
/// first attempt, a resend after a lost answer, or a deliberate duplicate sent after the answer came;</item>
/// <item>the writes are registers like the register workload's (unique values, one history operation per sequence
/// number however many attempts it took), so the linearizability checker covers them;</item>
/// <item>ephemeral keys go with their session: once every session is closed or has expired, no node serves one.</item>
/// </list>
/// </summary>
internal sealed class SessionWorkload(IReadOnlyList<NodeProcess> nodes, HistoryWriter history, RunClock clock, int seed, int clients, TimeSpan timeout)
{
    /// <summary>Process numbers of the session clients in the history, apart from the register clients'.</summary>
    public const int FirstProcess = 500;

    /// <summary>The sessions' TTL.</summary>
    public static readonly TimeSpan Ttl = TimeSpan.FromSeconds(10);

    private static readonly TimeSpan KeepAliveEvery = TimeSpan.FromSeconds(2);

    private readonly object _gate = new();
    private readonly ExactlyOnceLedger _answered = new();
    private readonly List<string> _violations = [];
    private readonly List<string> _keys = [];
    private readonly List<string> _ephemeralKeys = [];
    private int _sessionsOpened;
    private int _sessionsLost;
    private int _duplicatesSent;
    private int _resends;

    /// <summary>What broke the sessions' promises, one line each.</summary>
    public IReadOnlyList<string> Violations
    {
        get { lock (_gate) return [.. _violations]; }
    }

    /// <summary>The registers the session clients wrote (for the final reads).</summary>
    public IReadOnlyList<string> Keys
    {
        get { lock (_gate) return [.. _keys]; }
    }

    /// <summary>One line of figures for the run log.</summary>
    public string Summary()
    {
        lock (_gate)
        {
            return $"sessions: {_sessionsOpened} opened, {_sessionsLost} lost to expiry, {_answered.Count} writes answered, "
                   + $"{_resends} resends after an uncertain answer, {_duplicatesSent} deliberate duplicates, {_ephemeralKeys.Count} ephemeral keys";
        }
    }

    /// <summary>Runs the clients until <paramref name="until"/> (since the start of the run) or cancellation, then closes their sessions.</summary>
    public Task RunAsync(TimeSpan until, CancellationToken cancellationToken) =>
        RegisterClient.RunWorkersAsync(clients, timeout, (client, i) => WorkerAsync(client, i, until, cancellationToken));

    /// <summary>
    /// After the final heal: waits until no node serves an ephemeral key any more (every session was closed or has
    /// expired: a TTL, plus the fresh TTL a new leader grants), up to <paramref name="patience"/>; each key still there
    /// then is a violation.
    /// </summary>
    public async Task CheckEphemeralKeysGoneAsync(TimeSpan patience, CancellationToken cancellationToken)
    {
        using var client = new RegisterClient(timeout);
        string[] keys;
        lock (_gate) keys = [.. _ephemeralKeys];
        var deadline = clock.Elapsed + patience;
        var remaining = new List<(string Key, string Node)>();
        do
        {
            remaining.Clear();
            foreach (var key in keys)
            {
                foreach (var node in nodes)
                {
                    // A consistent read on each node: a follower answers it itself once it applied the leader's index.
                    var answer = await client.ReadAsync(node.Http, key, "consistent", cancellationToken).ConfigureAwait(false);
                    if (answer.Outcome != Outcome.Ok || answer.Value is not null) remaining.Add((key, node.Id));
                }
            }

            if (remaining.Count == 0) return;
            await Task.Delay(1000, cancellationToken).ConfigureAwait(false);
        }
        while (clock.Elapsed < deadline);

        lock (_gate)
        {
            foreach (var (key, node) in remaining.Take(10))
            {
                _violations.Add($"ephemeral key {key} still served (or unreadable) on {node} {patience.TotalSeconds:0}s after its session ended");
            }
        }
    }

    private async Task WorkerAsync(RegisterClient client, int worker, TimeSpan until, CancellationToken cancellationToken)
    {
        var process = FirstProcess + worker;
        var random = new Random(HashCode.Combine(seed, process));
        var nodeIndex = worker % nodes.Count;
        string? session = null;
        var sequence = 0;
        var lastKeepAlive = TimeSpan.Zero;
        var keys = new[] { $"s{worker}a", $"s{worker}b" };
        lock (_gate) _keys.AddRange(keys);
        try
        {
            while (clock.Elapsed < until && !cancellationToken.IsCancellationRequested)
            {
                var node = nodes[nodeIndex];
                if (session is null)
                {
                    (session, var error) = await client.OpenSessionAsync(node.Http, Ttl, cancellationToken).ConfigureAwait(false);
                    if (session is null)
                    {
                        nodeIndex = (nodeIndex + 1) % nodes.Count;
                        await Task.Delay(random.Next(100, 300), CancellationToken.None).ConfigureAwait(false);
                        continue;
                    }

                    sequence = 0;
                    lastKeepAlive = clock.Elapsed;
                    lock (_gate) _sessionsOpened++;
                }

                if (clock.Elapsed - lastKeepAlive > KeepAliveEvery)
                {
                    var alive = await client.KeepAliveAsync(node.Http, session, cancellationToken).ConfigureAwait(false);
                    if (alive == HttpStatusCode.OK) lastKeepAlive = clock.Elapsed;
                    else if (alive == HttpStatusCode.NotFound) session = Lost();
                    else nodeIndex = (nodeIndex + 1) % nodes.Count;
                    if (session is null) continue;
                }

                var roll = random.NextDouble();
                if (roll < 0.3)
                {
                    var key = keys[random.Next(keys.Length)];
                    var level = roll < 0.2 ? "consistent" : "default";
                    var invoke = history.Invoke(process, "read", key, level: level, node: node.Id);
                    var answer = await client.ReadAsync(node.Http, key, level, cancellationToken).ConfigureAwait(false);
                    Complete(invoke, answer);
                }
                else if (roll < 0.9)
                {
                    var key = keys[random.Next(keys.Length)];
                    var value = $"s{worker}-{session}-{++sequence}";
                    if (!await WriteOnceAsync(client, process, nodeIndex, key, value, session, sequence, random, cancellationToken).ConfigureAwait(false))
                        session = Lost();
                }
                else
                {
                    // An ephemeral key of this session: not a register (its session's end deletes it), checked at the end.
                    var key = $"e{worker}-{session}";
                    lock (_gate)
                    {
                        if (!_ephemeralKeys.Contains(key)) _ephemeralKeys.Add(key);
                    }

                    var (answer, gone) = await client.SessionWriteAsync(node.Http, key, $"e-{++sequence}", session, sequence, ephemeral: true, cancellationToken).ConfigureAwait(false);
                    if (gone) session = Lost();
                    else if (answer.Outcome == Outcome.Ok) lastKeepAlive = clock.Elapsed;
                }

                await Task.Delay(random.Next(0, 20), CancellationToken.None).ConfigureAwait(false);
            }
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            // The run is stopping; an open invocation stays open in the history, as an unknown outcome.
        }

        await client.CloseSessionAtEndAsync(nodes[nodeIndex].Http, session).ConfigureAwait(false);
    }

    private string? Lost()
    {
        lock (_gate) _sessionsLost++;
        return null;
    }

    /// <summary>
    /// One write in the history, however many attempts it takes: the same (session, sequence number) is sent again,
    /// to the next node, until an answer is certain or the time for it runs out. Returns false when the session is gone.
    /// </summary>
    private async Task<bool> WriteOnceAsync(RegisterClient client, int process, int nodeIndex, string key, string value, string session, int sequence,
        Random random, CancellationToken cancellationToken)
    {
        var invoke = history.Invoke(process, "write", key, value: value, node: nodes[nodeIndex].Id);
        var deadline = clock.Elapsed + 3 * timeout;
        var maybeApplied = false;
        while (true)
        {
            var node = nodes[nodeIndex];
            var (answer, gone) = await client.SessionWriteAsync(node.Http, key, value, session, sequence, ephemeral: false, cancellationToken).ConfigureAwait(false);
            if (answer.Outcome == Outcome.Ok)
            {
                Complete(invoke, answer);
                Answered(session, sequence, answer.Index, "the answer");
                if (random.NextDouble() < 0.2)
                {
                    // A duplicate the client sends after the answer: it must be answered the same index and apply nothing.
                    var (again, _) = await client.SessionWriteAsync(nodes[random.Next(nodes.Count)].Http, key, value, session, sequence, ephemeral: false, cancellationToken).ConfigureAwait(false);
                    lock (_gate) _duplicatesSent++;
                    if (again.Outcome == Outcome.Ok) Answered(session, sequence, again.Index, "a duplicate sent after the answer");
                }

                return true;
            }

            maybeApplied |= answer.Outcome == Outcome.Info;
            if (gone || clock.Elapsed >= deadline)
            {
                // Gone: an earlier attempt may have applied before the session ended. Out of time: unknown if any attempt may have.
                Complete(invoke, answer with { Outcome = maybeApplied ? Outcome.Info : Outcome.Fail });
                return !gone;
            }

            nodeIndex = (nodeIndex + 1) % nodes.Count;
            lock (_gate) _resends++;
            await Task.Delay(random.Next(50, 150), CancellationToken.None).ConfigureAwait(false);
        }
    }

    private void Answered(string session, int sequence, ulong index, string what)
    {
        lock (_gate)
        {
            if (_answered.Record(session, sequence, index, what) is { } violation) _violations.Add(violation);
        }
    }

    private void Complete(HistoryEvent invoke, Answer answer)
    {
        var type = answer.Outcome switch { Outcome.Ok => "ok", Outcome.Fail => "fail", _ => "info" };
        history.Complete(invoke, type, answer.Value, null, answer.Node is null ? null : IdOf(answer.Node), answer.Error);
    }

    private string IdOf(string http) => nodes.FirstOrDefault(n => n.Http == http)?.Id ?? http;
}

/// <summary>The index each (session, sequence number) was answered at: a second answer at another index is a write applied twice.</summary>
internal sealed class ExactlyOnceLedger
{
    private readonly Dictionary<(string Session, int Sequence), ulong> _first = new();

    /// <summary>Writes answered so far.</summary>
    public int Count => _first.Count;

    /// <summary>Records an answer; the violation it shows, or null.</summary>
    public string? Record(string session, int sequence, ulong index, string what)
    {
        if (_first.TryAdd((session, sequence), index) || _first[(session, sequence)] == index) return null;
        return $"session {session} write {sequence}: first answered at index {_first[(session, sequence)]}, {what} at index {index} (applied twice)";
    }
}
