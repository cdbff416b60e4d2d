using System.Text;
using AkkaRaft.Raft.Core;

namespace AkkaRaft.Raft.Peer;

// Watches and locks. A watch is served by the leader (as zraft serves its triggers): the logic checks the request,
// routes it like any leader-only request and hands it to the state machine host after the entries handed so far
// (SetWatch), which fires it from the entries it applies after. When the peer stops leading, every watch it set fires
// leader_changed (WatchesLeaderLost): a follower's state may lag, and the client that set a watch on the leader must hear
// of the leader's changes, so it sets the watch again on the new one. Locks are replicated state: an acquire or a
// release is a session entry proposed by the leader and applied by every peer in log order (LockTable).
internal sealed partial class PeerLogic<TClient>
{
    // Whether this peer set a watch since it became leader (only then does losing leadership fire any).
    private bool _watchesSet;

    private void OnWatch(Watch watch, TClient client)
    {
        var bounds = _settings.Watches;
        if (watch.Key is null || (watch.Key.Length == 0 && !watch.Prefix))
        {
            Reply(client, new RequestRejected("a watch needs a key (or a prefix; the empty prefix watches every key)"));
            return;
        }
        if (watch.Timeout is { } asked && (asked <= TimeSpan.Zero || asked > bounds.MaxTimeout))
        {
            Reply(client, new RequestRejected($"a watch's timeout must be above 0 and at most {bounds.MaxTimeout} (akkaraft.watches.max-timeout); got {asked}"));
            return;
        }
        if (_node is not { Role: RaftRole.Leader } node)
        {
            NotLeaderOrForward(client, watch.OnNotLeader, watch.Hops, watch);
            return;
        }
        TouchSession(watch.SessionId);
        _watchesSet = true;
        _effects.Add(PeerEffect<TClient>.SetWatch(watch with { Timeout = watch.Timeout ?? bounds.DefaultTimeout }, client, node.Leader, node.Term));
    }

    private void OnAcquireLock(AcquireLock acquire, TClient client)
    {
        if (!CheckLock(acquire.Name, acquire.SessionId, client)) return;
        if (_node is not { Role: RaftRole.Leader } node)
        {
            NotLeaderOrForward(client, acquire.OnNotLeader, acquire.Hops, acquire);
            return;
        }
        TouchSession(acquire.SessionId);
        Propose(node, SessionEntries.EncodeAcquire(acquire.Name, acquire.SessionId, _settings.Locks), acquire.Timeout, client);
    }

    private void OnReleaseLock(ReleaseLock release, TClient client)
    {
        if (!CheckLock(release.Name, release.SessionId, client)) return;
        if (_node is not { Role: RaftRole.Leader } node)
        {
            NotLeaderOrForward(client, release.OnNotLeader, release.Hops, release);
            return;
        }
        TouchSession(release.SessionId);
        Propose(node, SessionEntries.EncodeRelease(release.Name, release.SessionId), release.Timeout, client);
    }

    private void OnListCoordination(ListCoordination list, TClient client)
    {
        var most = _settings.Sessions.MaxListed;
        if (list.Limit < 0)
        {
            Reply(client, new RequestRejected($"a listing's limit must be 0 (the node's akkaraft.sessions.max-listed, {most}) or positive; got {list.Limit}"));
            return;
        }
        if (_node is not { Role: RaftRole.Leader } node)
        {
            NotLeaderOrForward(client, list.OnNotLeader, list.Hops, list);
            return;
        }
        var limit = list.Limit == 0 ? most : Math.Min(list.Limit, most);
        // Only the leader keeps the sessions' deadlines; the host lists the same sessions in the same (id) order.
        var expiresIn = new Dictionary<long, TimeSpan>();
        foreach (var (id, session) in _sessions.Take(limit))
        {
            if (_sessionTimersArmed && !session.Expiring) expiresIn[id] = session.Deadline > _now ? session.Deadline - _now : TimeSpan.Zero;
        }
        _effects.Add(PeerEffect<TClient>.ListCoordination(new CoordinationListRequest(limit, expiresIn), client, node.Leader));
    }

    /// <summary>A lock's name and session, checked before anything is proposed.</summary>
    private bool CheckLock(string name, long sessionId, TClient client)
    {
        if (LockNames.Problem(name, _settings.Locks) is { } problem)
        {
            Reply(client, new RequestRejected(problem));
            return false;
        }
        if (sessionId <= 0)
        {
            Reply(client, new RequestRejected($"a lock is held by a session: open one first (got session id {sessionId})"));
            return false;
        }
        return true;
    }

    /// <summary>Leadership changed: a leader that stops leading fires the watches it set.</summary>
    private void OnWatchLeadership(RaftRole role)
    {
        if (role == RaftRole.Leader || !_watchesSet) return;
        _watchesSet = false;
        _effects.Add(PeerEffect<TClient>.WatchesLeaderLost());
    }
}

/// <summary>The rules a lock's name keeps.</summary>
internal static class LockNames
{
    /// <summary>What is wrong with <paramref name="name"/>, or null: 1 to <see cref="LockSettings.MaxNameBytes"/> bytes of UTF-8, no control characters.</summary>
    public static string? Problem(string? name, LockSettings settings)
    {
        if (string.IsNullOrEmpty(name)) return "a lock needs a name";
        for (var i = 0; i < name.Length; i++)
        {
            if (char.IsControl(name[i])) return $"the lock name holds the control character U+{(int)name[i]:X4} at position {i}";
            if (char.IsSurrogate(name[i]) && !(char.IsHighSurrogate(name[i]) && i + 1 < name.Length && char.IsLowSurrogate(name[++i])))
                return "the lock name holds an unpaired UTF-16 surrogate";
        }
        var bytes = Encoding.UTF8.GetByteCount(name);
        return bytes > settings.MaxNameBytes ? $"the lock name is {bytes} bytes of UTF-8, more than akkaraft.locks.max-name-bytes ({settings.MaxNameBytes})" : null;
    }
}

/// <summary>What a listing of sessions, locks and watches asks the state machine host: at most <paramref name="Limit"/>
/// of each, and each listed session's time left, as the leader's logic knows it.</summary>
internal sealed record CoordinationListRequest(int Limit, IReadOnlyDictionary<long, TimeSpan> ExpiresIn);
