using AkkaRaft.Raft.Core;
using AkkaRaft.Raft.Peer.Protocol;

namespace AkkaRaft.Raft.Peer;

// Locks and watches beside the state machine. Locks are replicated state (LockTable, in the snapshots); their acquire
// and release entries are applied here in log order like the session entries. Watches are this peer's own
// (WatchRegistry): set on the state as applied so far, fired by the entries applied after. What fired, and what the
// applied entries did to lock waiters, is taken by the shell after each batch to answer the clients that wait.
internal sealed partial class StateMachineHost
{
    /// <summary>The locks, as the entries applied so far left them.</summary>
    public LockTable Locks => _locks;

    /// <summary>How many watches wait here.</summary>
    public int WatchCount => _watches.Count;

    private object? ApplyAcquire(Entry entry, SessionEntry acquire, ulong leader, bool answer)
    {
        var id = acquire.SessionId;
        var name = acquire.LockName;
        if (!_sessions.Contains(id))
            return answer ? new SessionNotFound(id, $"session {id} has expired or was closed (or never opened); the acquire of lock '{name}' at index {entry.Index} changed nothing") : null;
        var outcome = _locks.Acquire(name, id, entry.Index, Math.Max(1, acquire.MaxLocks), Math.Max(1, acquire.MaxLockWaiters));
        if (!answer) return null;
        return outcome.Status switch
        {
            AcquireStatus.Acquired => new LockAcquired(name, id, outcome.Token, leader) { Term = entry.Term },
            AcquireStatus.Queued => new LockQueued(name, id, outcome.Position),
            AcquireStatus.TooManyLocks => new Overloaded($"{outcome.Position} locks are held (akkaraft.locks.max-locks = {acquire.MaxLocks}); lock '{name}' was not acquired"),
            _ => new Overloaded($"{outcome.Position} sessions wait for lock '{name}' (akkaraft.locks.max-waiters = {acquire.MaxLockWaiters}); session {id} was not queued"),
        };
    }

    private object? ApplyRelease(Entry entry, SessionEntry release, ulong leader, bool answer)
    {
        var id = release.SessionId;
        var name = release.LockName;
        var status = _locks.Release(name, id, entry.Index);
        if (!answer) return null;
        return status == ReleaseStatus.NotHeld
            ? new LockNotHeld(name, id, $"session {id} neither holds nor waits for lock '{name}' (as of index {entry.Index})")
            : new LockReleased(name, id, entry.Index, WasHolder: status == ReleaseStatus.Released) { Leader = leader, Term = entry.Term };
    }

    /// <summary>What the entries applied since the last call did to lock waiters: got the lock, or left the queue without it.</summary>
    public List<LockEvent> TakeLockEvents() => _locks.TakeEvents();

    /// <summary>
    /// Sets <paramref name="watch"/> on the state applied so far. Returns the watch's id (it waits), or 0 and the answer
    /// instead: a <see cref="WatchFired"/> when a change after its index is known already, a <see cref="SessionNotFound"/>,
    /// or a refusal.
    /// </summary>
    public (long Id, object? Answer) AddWatch(Watch watch)
    {
        ArgumentNullException.ThrowIfNull(watch);
        if (watch.SessionId != 0 && !_sessions.Contains(watch.SessionId))
            return (0, new SessionNotFound(watch.SessionId, $"session {watch.SessionId} has expired or was closed (or never opened); no watch was set"));
        return _watches.Add(watch.Key, watch.Prefix, watch.AfterIndex, watch.SessionId, Applied, _versions);
    }

    /// <summary>The index a waiting watch fires after.</summary>
    public ulong WatchAfterIndex(long id) => _watches.AfterIndexOf(id);

    /// <summary>Drops a waiting watch without firing it; false when it fired or went already.</summary>
    public bool RemoveWatch(long id) => _watches.Remove(id);

    /// <summary>The peer stopped leading: every waiting watch fires <see cref="WatchReason.LeaderChanged"/>.</summary>
    public void LeadershipLost() => _watches.LeadershipLost();

    /// <summary>
    /// Lists the open sessions, held locks and waiting watches, at most <paramref name="limit"/> of each (and of each
    /// lock's waiters), with how many there are in all. <paramref name="expiresIn"/> is what the leader's logic knows of
    /// each session's deadline (a session missing there is listed without one).
    /// </summary>
    public CoordinationListing List(int limit, IReadOnlyDictionary<long, TimeSpan> expiresIn, ulong leader)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(limit);
        ArgumentNullException.ThrowIfNull(expiresIn);
        var sessions = _sessions.Sessions.Take(limit)
            .Select(s => new ListedSession(s.Key, s.Value.Ttl, expiresIn.TryGetValue(s.Key, out var left) ? left : null))
            .ToList();
        var locks = _locks.Held.Take(limit)
            .Select(l => new ListedLock(l.Name, l.Holder, l.Token, l.Waiters.Take(limit).Select(w => w.Session).ToList(), l.Waiters.Count))
            .ToList();
        var watches = _watches.Waiting.Take(limit)
            .Select(w => new ListedWatch(w.Id, w.Key, w.Prefix, w.SessionId, w.After))
            .ToList();
        return new CoordinationListing(sessions, _sessions.Count, locks, _locks.Count, watches, _watches.Count, Applied, leader, limit);
    }

    /// <summary>The watches fired since the last call, in order.</summary>
    public List<WatchFired> TakeFiredWatches() => _watches.TakeFired();
}

/// <summary>
/// An acquire applied and its session waits for the lock (at <paramref name="Position"/> in the queue, 1 = next): the
/// shell keeps the client until a <see cref="LockEvent"/> grants the lock or drops the session from the queue. Never
/// sent to a client.
/// </summary>
internal sealed record LockQueued(string Name, long SessionId, int Position);
