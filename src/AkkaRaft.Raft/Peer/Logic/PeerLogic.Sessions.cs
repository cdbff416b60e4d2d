using AkkaRaft.Raft.Core;

namespace AkkaRaft.Raft.Peer;

// Client sessions (Raft dissertation §6.3). Which sessions live is replicated state: the peer learns it from the
// session entries it hands to the state machine (open, close, expire) and from the snapshots it restores, so every peer
// knows the same sessions at the same index. Only the leader keeps time for them: a keep-alive (not logged) or a write
// in the session renews its deadline, and a tick that finds a deadline passed proposes the session's expiry. A new
// leader gives every session a fresh full TTL before it expires anything, since it cannot know when the old leader last
// heard from the client (§6.3: "the leader's clock is not shared"). Time is the `now` each input carries.
internal sealed partial class PeerLogic<TClient>
{
    private readonly SortedDictionary<long, LiveSession> _sessions = new();
    private readonly List<long> _sessionsToExpire = new();
    // The index of this leader's first entry of its term: until it is handed over, entries of earlier terms (opens of
    // sessions among them) may still be committed and not known here.
    private ulong _termStartIndex;

    /// <summary>How many sessions live, as the entries handed to the state machine left them.</summary>
    public int SessionCount => _sessions.Count;

    private void OnOpenSession(OpenSession open, TClient client)
    {
        var bounds = _settings.Sessions;
        if (open.Ttl < bounds.MinTtl || open.Ttl > bounds.MaxTtl)
        {
            Reply(client, new RequestRejected($"a session's ttl must be from {bounds.MinTtl} (akkaraft.sessions.min-ttl) to {bounds.MaxTtl} (akkaraft.sessions.max-ttl); got {open.Ttl}"));
            return;
        }
        if (_node is not { Role: RaftRole.Leader } node)
        {
            NotLeaderOrForward(client, open.OnNotLeader, open.Hops, open);
            return;
        }
        if (_sessions.Count >= bounds.MaxSessions)
        {
            Reply(client, new Overloaded($"{_sessions.Count} sessions are open (akkaraft.sessions.max-sessions = {bounds.MaxSessions})"));
            return;
        }
        Propose(node, SessionEntries.EncodeOpen(open.Ttl, bounds.MaxUnacknowledgedResponses), open.Timeout, client);
    }

    private void OnCloseSession(CloseSession close, TClient client)
    {
        if (_node is not { Role: RaftRole.Leader } node)
        {
            NotLeaderOrForward(client, close.OnNotLeader, close.Hops, close);
            return;
        }
        // Proposed even when this leader does not know the session (yet): the state machine host answers for it in log order.
        Propose(node, SessionEntries.EncodeClose(close.SessionId), close.Timeout, client);
    }

    private void OnKeepSessionAlive(KeepSessionAlive keep, TClient client)
    {
        if (_node is not { Role: RaftRole.Leader })
        {
            NotLeaderOrForward(client, keep.OnNotLeader, keep.Hops, keep);
            return;
        }
        if (_sessions.TryGetValue(keep.SessionId, out var session))
        {
            if (session.Expiring)
            {
                Reply(client, new SessionNotFound(keep.SessionId, $"session {keep.SessionId} expired: its ttl of {session.Ttl} passed without a keep-alive"));
                return;
            }
            session.Deadline = _now + session.Ttl;
            Reply(client, new SessionKeptAlive(keep.SessionId, session.Ttl, _id));
            return;
        }
        if (_handedIndex < _termStartIndex)
        {
            // The session may be among the entries of earlier terms this new leader has not handed over yet.
            Reply(client, new Overloaded($"peer {_id} was just elected and has not applied its log up to its term's first entry yet; retry shortly"));
            return;
        }
        Reply(client, new SessionNotFound(keep.SessionId, $"session {keep.SessionId} has expired or was closed (or never opened)"));
    }

    /// <summary>A write in a session renews the session, as a keep-alive does (on the leader).</summary>
    private void TouchSession(long sessionId)
    {
        if (sessionId == 0 || _node is not { Role: RaftRole.Leader }) return;
        if (_sessions.TryGetValue(sessionId, out var session) && !session.Expiring) session.Deadline = _now + session.Ttl;
    }

    /// <summary>A session entry was handed to the state machine: the session opened (its id is the entry's index) or ended.</summary>
    private void OnSessionEntryHanded(Entry entry)
    {
        if (SessionEntries.Read(entry.Data) is not { } session) return;
        switch (session.Kind)
        {
            case SessionEntries.Open:
                var ttl = TimeSpan.FromMilliseconds(session.TtlMs);
                _sessions[(long)entry.Index] = new LiveSession(ttl) { Deadline = _now + ttl };
                break;
            case SessionEntries.Close:
            case SessionEntries.Expire:
                _sessions.Remove(session.SessionId);
                break;
        }
    }

    /// <summary>The state machine is restored from a snapshot: the sessions are the ones it holds, each with a full TTL from now.</summary>
    private void RestoreSessions(byte[] snapshot)
    {
        _sessions.Clear();
        var table = new SessionTable();
        table.ReadFrame(snapshot);
        foreach (var (id, session) in table.Sessions) _sessions[id] = new LiveSession(session.Ttl) { Deadline = _now + session.Ttl };
    }

    /// <summary>Leadership changed: a new leader gives every session a fresh full TTL; expiries in flight are forgotten.</summary>
    private void OnLeadershipChanged(RaftRole role)
    {
        foreach (var session in _sessions.Values)
        {
            session.Expiring = false;
            session.Deadline = _now + session.Ttl;
        }
        _termStartIndex = role == RaftRole.Leader ? _node!.LastIndex : 0;
    }

    /// <summary>On the leader: proposes the expiry of every session whose deadline passed, in id order.</summary>
    private void ExpireSessions()
    {
        if (_sessions.Count == 0 || _node is not { Role: RaftRole.Leader } node) return;
        _sessionsToExpire.Clear();
        foreach (var (id, session) in _sessions)
        {
            if (!session.Expiring && session.Deadline <= _now) _sessionsToExpire.Add(id);
        }
        foreach (var id in _sessionsToExpire)
        {
            var result = node.Propose(SessionEntries.EncodeExpire(id));
            // Refused (overloaded, a transfer under way): the next tick tries again.
            if (result.Status == RequestStatus.Accepted) _sessions[id].Expiring = true;
        }
        if (_sessionsToExpire.Count > 0) Pump();
    }

    /// <summary>What the logic knows of a live session.</summary>
    private sealed class LiveSession(TimeSpan ttl)
    {
        public TimeSpan Ttl { get; } = ttl;

        /// <summary>On the leader: when it expires without a keep-alive.</summary>
        public TimeSpan Deadline { get; set; }

        /// <summary>On the leader: its expiry is proposed.</summary>
        public bool Expiring { get; set; }
    }
}
