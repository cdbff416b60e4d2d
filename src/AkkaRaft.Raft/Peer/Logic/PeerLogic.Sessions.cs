using AkkaRaft.Raft.Core;

namespace AkkaRaft.Raft.Peer;

// Client sessions (Raft dissertation §6.3). Which sessions live is replicated state: the peer learns it from the
// session entries it hands to the state machine (open, close, expire) and from the snapshots it restores, so every peer
// knows the same sessions at the same index. Only the leader keeps time for them: a keep-alive (not logged) or a write
// in the session renews its deadline, and a tick that finds a deadline passed proposes the session's expiry. A new
// leader gives every session a fresh full TTL before it expires anything, since it cannot know when the old leader last
// heard from the client. Time is the `now` each input carries. The timers themselves are the shell's: on the leader,
// every deadline set arms the session's timer (ArmSessionTimer; the actor shell keeps one child actor per live session
// for it, the simulation a virtual timer), and a timer that fires comes back as SessionTimerFired, where the logic
// decides whether the deadline really passed and proposes the expiry.
internal sealed partial class PeerLogic<TClient>
{
    private readonly SortedDictionary<long, LiveSession> _sessions = new();
    // Whether this peer armed its sessions' timers (it leads).
    private bool _sessionTimersArmed;
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
            Renew(keep.SessionId, session);
            Reply(client, new SessionKeptAlive(keep.SessionId, session.Ttl, _id) { Term = _node.Term });
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
        if (_sessions.TryGetValue(sessionId, out var session) && !session.Expiring) Renew(sessionId, session);
    }

    /// <summary>A full TTL from now; on the leader the session's timer is armed for it.</summary>
    private void Renew(long id, LiveSession session)
    {
        session.Deadline = _now + session.Ttl;
        if (_sessionTimersArmed) _effects.Add(PeerEffect<TClient>.ArmSessionTimer(id, session.Ttl));
    }

    /// <summary>
    /// The keep-alive timer of session <paramref name="sessionId"/> fired (<see cref="PeerEffectKind.ArmSessionTimer"/>).
    /// On the leader, a session whose deadline passed gets its expiry proposed; one renewed meanwhile waits for its new
    /// deadline. Anywhere else, or for a session that ended, nothing happens.
    /// </summary>
    public PeerEffects<TClient> SessionTimerFired(long sessionId, TimeSpan now)
    {
        Begin(now);
        if (_node is not { Role: RaftRole.Leader } node || !_sessionTimersArmed) return Done();
        if (!_sessions.TryGetValue(sessionId, out var session) || session.Expiring) return Done();
        if (session.Deadline > _now)
        {
            _effects.Add(PeerEffect<TClient>.ArmSessionTimer(sessionId, session.Deadline - _now));
            return Done();
        }
        var result = node.Propose(SessionEntries.EncodeExpire(sessionId));
        if (result.Status == RequestStatus.Accepted)
        {
            session.Expiring = true;
            Pump();
        }
        else
        {
            // Refused for now (overloaded, a transfer under way): try again after a heartbeat.
            _effects.Add(PeerEffect<TClient>.ArmSessionTimer(sessionId, _settings.HeartbeatInterval));
        }
        return Done();
    }

    /// <summary>A session entry was handed to the state machine: the session opened (its id is the entry's index) or ended.</summary>
    private void OnSessionEntryHanded(Entry entry)
    {
        if (SessionEntries.Read(entry.Data) is not { } session) return;
        switch (session.Kind)
        {
            case SessionEntries.Open:
                var opened = new LiveSession(TimeSpan.FromMilliseconds(session.TtlMs));
                _sessions[(long)entry.Index] = opened;
                Renew((long)entry.Index, opened);
                break;
            case SessionEntries.Close:
            case SessionEntries.Expire:
                if (_sessions.Remove(session.SessionId) && _sessionTimersArmed)
                    _effects.Add(PeerEffect<TClient>.DisarmSessionTimer(session.SessionId));
                break;
        }
    }

    /// <summary>The state machine is restored from a snapshot: the sessions are the ones it holds, each with a full TTL from now.</summary>
    private void RestoreSessions(byte[] snapshot)
    {
        if (_sessionTimersArmed)
        {
            foreach (var id in _sessions.Keys) _effects.Add(PeerEffect<TClient>.DisarmSessionTimer(id));
        }
        _sessions.Clear();
        var table = new SessionTable();
        table.ReadFrame(snapshot);
        foreach (var (id, session) in table.Sessions)
        {
            var live = new LiveSession(session.Ttl);
            _sessions[id] = live;
            Renew(id, live);
        }
    }

    /// <summary>Leadership changed: a new leader gives every session a fresh full TTL; expiries in flight are forgotten.</summary>
    private void OnLeadershipChanged(RaftRole role)
    {
        var leads = role == RaftRole.Leader;
        if (_sessionTimersArmed && !leads)
        {
            foreach (var id in _sessions.Keys) _effects.Add(PeerEffect<TClient>.DisarmSessionTimer(id));
        }
        _sessionTimersArmed = leads;
        foreach (var (id, session) in _sessions)
        {
            session.Expiring = false;
            Renew(id, session);
        }
        _termStartIndex = leads ? _node!.LastIndex : 0;
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
