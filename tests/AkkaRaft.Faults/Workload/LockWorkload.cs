using System.Net;
using AkkaRaft.Faults.Network;
using AkkaRaft.TestSupport.Locks;

namespace AkkaRaft.Faults.Workload;

/// <summary>
/// The lock workload, beside the others: clients that each hold a session and contend for one lock (libkv's
/// <c>NewLock</c>, etcd's and ZooKeeper's lock recipes), holding it for a moment and releasing it, through whatever the
/// nemesis does. Every hold is recorded on the run's clock, from the grant's answer to just before the release is
/// sent, with its fencing token. A lock passes on only when its holder releases it or the holder's session ends, so a
/// hold is known up to its release when the release answers that the session held it, and otherwise only up to the
/// last keep-alive answered before the release. <see cref="LockChecker"/> then finds any hold that began while another
/// was known held (mutual exclusion broken) and any grant whose token is not above the one before.
/// </summary>
internal sealed class LockWorkload(IReadOnlyList<NodeProcess> nodes, RunClock clock, int seed, int clients, TimeSpan timeout)
{
    /// <summary>The lock the clients contend for.</summary>
    public const string LockName = "harness-lock";

    private static readonly TimeSpan KeepAliveEvery = TimeSpan.FromSeconds(2);
    private static readonly TimeSpan Wait = TimeSpan.FromSeconds(2);

    private readonly object _gate = new();
    private readonly List<LockHold> _holds = [];
    private int _sessionsOpened;
    private int _sessionsLost;
    private int _timedOut;
    private int _unknownAcquires;
    private int _releaseResends;

    /// <summary>Every hold recorded so far.</summary>
    public IReadOnlyList<LockHold> Holds
    {
        get { lock (_gate) return [.. _holds]; }
    }

    /// <summary>What broke the lock's promises, one line each: overlapping holds, fencing tokens out of order.</summary>
    public IReadOnlyList<string> Violations()
    {
        var holds = Holds;
        return [.. LockChecker.Overlaps(holds).Take(10).Select(v => "overlap: " + v), .. LockChecker.TokensOutOfOrder(holds).Take(10).Select(v => "token: " + v)];
    }

    /// <summary>One line of figures for the run log.</summary>
    public string Summary()
    {
        lock (_gate)
        {
            return $"locks: {_holds.Count} holds ({_holds.Count(h => h.Confirmed)} known to their release), {_sessionsOpened} sessions opened, "
                   + $"{_sessionsLost} lost to expiry, {_timedOut} waits that passed (409), {_unknownAcquires} acquires with no certain answer, {_releaseResends} releases sent again";
        }
    }

    /// <summary>Runs the clients until <paramref name="until"/> (since the start of the run) or cancellation, then closes their sessions.</summary>
    public Task RunAsync(TimeSpan until, CancellationToken cancellationToken) =>
        RegisterClient.RunWorkersAsync(clients, timeout, (client, i) => WorkerAsync(client, i, until, cancellationToken));

    private async Task WorkerAsync(RegisterClient client, int worker, TimeSpan until, CancellationToken cancellationToken)
    {
        var random = new Random(HashCode.Combine(seed, 700 + worker));
        var nodeIndex = worker % nodes.Count;
        string? session = null;
        // When the last keep-alive that was answered 200 was sent: the session was alive then.
        var aliveAt = TimeSpan.Zero;
        try
        {
            while (clock.Elapsed < until && !cancellationToken.IsCancellationRequested)
            {
                var node = nodes[nodeIndex];
                if (session is null)
                {
                    var opening = clock.Elapsed;
                    (session, _) = await client.OpenSessionAsync(node.Http, SessionWorkload.Ttl, cancellationToken).ConfigureAwait(false);
                    if (session is null)
                    {
                        nodeIndex = (nodeIndex + 1) % nodes.Count;
                        await Task.Delay(random.Next(100, 300), CancellationToken.None).ConfigureAwait(false);
                        continue;
                    }

                    aliveAt = opening;
                    lock (_gate) _sessionsOpened++;
                }

                if (clock.Elapsed - aliveAt > KeepAliveEvery)
                {
                    var sent = clock.Elapsed;
                    var alive = await client.KeepAliveAsync(node.Http, session, cancellationToken).ConfigureAwait(false);
                    if (alive == HttpStatusCode.OK) aliveAt = sent;
                    else if (alive == HttpStatusCode.NotFound) session = Lost();
                    else nodeIndex = (nodeIndex + 1) % nodes.Count;
                    continue;
                }

                var (outcome, token, _) = await client.AcquireLockAsync(node.Http, LockName, session, Wait, cancellationToken).ConfigureAwait(false);
                switch (outcome)
                {
                    case LockOutcome.Done:
                        var acquired = clock.Elapsed;
                        await Task.Delay(random.Next(10, 100), CancellationToken.None).ConfigureAwait(false);
                        var released = clock.Elapsed;
                        var wasHeld = await ReleaseAsync(client, nodeIndex, session, random, cancellationToken).ConfigureAwait(false);
                        var hold = new LockHold(worker, acquired, released, token) { KnownUntil = wasHeld ? null : aliveAt };
                        lock (_gate) _holds.Add(hold);
                        break;
                    case LockOutcome.SessionGone:
                        session = Lost();
                        break;
                    case LockOutcome.No:
                        lock (_gate) _timedOut++;
                        nodeIndex = (nodeIndex + 1) % nodes.Count;
                        break;
                    default:
                        // The grant may have happened: give it back (a release of a lock not held changes nothing).
                        lock (_gate) _unknownAcquires++;
                        nodeIndex = (nodeIndex + 1) % nodes.Count;
                        await ReleaseAsync(client, nodeIndex, session, random, cancellationToken).ConfigureAwait(false);
                        break;
                }
            }
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            // The run is stopping.
        }

        await client.CloseSessionAtEndAsync(nodes[nodeIndex].Http, session).ConfigureAwait(false);
    }

    /// <summary>
    /// Releases the lock, sending again (to the next node) until an answer is certain or three timeouts pass; true only
    /// when an answer said the session held it. A release sent again after one that may have applied answers "not
    /// held", which leaves the hold known only up to the session's last keep-alive.
    /// </summary>
    private async Task<bool> ReleaseAsync(RegisterClient client, int nodeIndex, string session, Random random, CancellationToken cancellationToken)
    {
        var deadline = clock.Elapsed + 3 * timeout;
        while (true)
        {
            var (outcome, _) = await client.ReleaseLockAsync(nodes[nodeIndex].Http, LockName, session, cancellationToken).ConfigureAwait(false);
            if (outcome != LockOutcome.Unknown) return outcome == LockOutcome.Done;
            if (clock.Elapsed >= deadline) return false;
            lock (_gate) _releaseResends++;
            nodeIndex = (nodeIndex + 1) % nodes.Count;
            await Task.Delay(random.Next(50, 150), CancellationToken.None).ConfigureAwait(false);
        }
    }

    private string? Lost()
    {
        lock (_gate) _sessionsLost++;
        return null;
    }
}
