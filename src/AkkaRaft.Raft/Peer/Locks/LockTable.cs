using System.Buffers.Binary;
using System.Text;
using AkkaRaft.Raft.Core;

namespace AkkaRaft.Raft.Peer;

/// <summary>
/// The locks of the replicated state (libkv's <c>NewLock</c>, owned by client sessions): for each lock its holder, the
/// log index at which the holder got it (its fencing token), and the sessions waiting for it in the order their acquire
/// entries committed. Every peer holds one beside its state machine and changes it only by applying committed entries
/// (acquire, release, and the close or expiry of a session), so every peer agrees who holds what at every index; it
/// travels in the state machine's snapshots behind the session table. Deterministic: sorted containers only, no clock.
/// </summary>
/// <remarks>
/// A lock passes on only at an applied entry: its holder's release, or the end of its holder's session. The next
/// waiter's fencing token is that entry's index, so tokens grow with every hand-over. What the table did to waiters
/// (granted, or dropped from a queue) is gathered as <see cref="LockEvent"/>s for the host to answer waiting clients.
/// </remarks>
internal sealed class LockTable
{
    // "AKRLOCK1": the lock table's frame in a snapshot, after the session table's (a snapshot without it has no locks).
    private static ReadOnlySpan<byte> Magic => "AKRLOCK1"u8;

    private readonly SortedDictionary<string, Lock> _locks = new(StringComparer.Ordinal);
    // For each session, the locks it holds or waits for (a session's end walks them).
    private readonly SortedDictionary<long, SortedSet<string>> _bySession = new();
    private readonly List<LockEvent> _events = new();

    /// <summary>How many locks are held (a lock nobody holds is not kept).</summary>
    public int Count => _locks.Count;

    /// <summary>The holder of <paramref name="name"/> and its fencing token, or (0, 0) when it is free.</summary>
    public (long Holder, ulong Token) HolderOf(string name) => _locks.TryGetValue(name, out var l) ? (l.Holder, l.Token) : (0, 0);

    /// <summary>The held locks in name order, each with its holder, fencing token and waiting sessions (next first).</summary>
    public IEnumerable<(string Name, long Holder, ulong Token, List<(long Session, ulong Index)> Waiters)> Held =>
        _locks.Select(l => (l.Key, l.Value.Holder, l.Value.Token, l.Value.Waiters));

    /// <summary>The sessions waiting for <paramref name="name"/>, first to be served first.</summary>
    public IReadOnlyList<long> WaitersOf(string name) => _locks.TryGetValue(name, out var l) ? l.Waiters.ConvertAll(w => w.Session) : [];

    /// <summary>
    /// Applies an acquire of <paramref name="name"/> by <paramref name="session"/> at <paramref name="index"/>: the
    /// session gets the lock when it is free, keeps it when it holds it already, or waits behind the others.
    /// </summary>
    public AcquireOutcome Acquire(string name, long session, ulong index, int maxLocks, int maxWaiters)
    {
        if (!_locks.TryGetValue(name, out var l))
        {
            if (_locks.Count >= maxLocks) return new AcquireOutcome(AcquireStatus.TooManyLocks, 0, _locks.Count);
            _locks.Add(name, new Lock(session, index));
            Own(session, name);
            return new AcquireOutcome(AcquireStatus.Acquired, index, 0);
        }
        if (l.Holder == session) return new AcquireOutcome(AcquireStatus.Acquired, l.Token, 0);
        var position = l.Waiters.FindIndex(w => w.Session == session);
        if (position >= 0) return new AcquireOutcome(AcquireStatus.Queued, 0, position + 1);
        if (l.Waiters.Count >= maxWaiters) return new AcquireOutcome(AcquireStatus.TooManyWaiters, 0, l.Waiters.Count);
        l.Waiters.Add((session, index));
        Own(session, name);
        return new AcquireOutcome(AcquireStatus.Queued, 0, l.Waiters.Count);
    }

    /// <summary>
    /// Applies a release of <paramref name="name"/> by <paramref name="session"/> at <paramref name="index"/>: a holder
    /// hands the lock to the first waiter (fencing token <paramref name="index"/>), a waiter leaves the queue.
    /// </summary>
    public ReleaseStatus Release(string name, long session, ulong index)
    {
        if (!_locks.TryGetValue(name, out var l)) return ReleaseStatus.NotHeld;
        if (l.Holder == session)
        {
            Disown(session, name);
            PassOn(name, l, index);
            return ReleaseStatus.Released;
        }
        var position = l.Waiters.FindIndex(w => w.Session == session);
        if (position < 0) return ReleaseStatus.NotHeld;
        l.Waiters.RemoveAt(position);
        Disown(session, name);
        _events.Add(new LockEvent(name, session, Granted: false, 0, SessionEnded: false));
        return ReleaseStatus.Withdrew;
    }

    /// <summary>
    /// Session <paramref name="session"/> ended (closed or expired) at <paramref name="index"/>: the locks it held pass
    /// on, and it leaves every queue. Returns how many locks it held.
    /// </summary>
    public int SessionEnded(long session, ulong index)
    {
        if (!_bySession.Remove(session, out var names)) return 0;
        var held = 0;
        foreach (var name in names)
        {
            var l = _locks[name];
            if (l.Holder == session)
            {
                held++;
                PassOn(name, l, index);
                continue;
            }
            var position = l.Waiters.FindIndex(w => w.Session == session);
            Invariant(position >= 0, $"session {session} is listed with lock '{name}' but neither holds nor waits for it");
            l.Waiters.RemoveAt(position);
            _events.Add(new LockEvent(name, session, Granted: false, 0, SessionEnded: true));
        }
        return held;
    }

    /// <summary>What the entries applied since the last call did to waiters, in order; the list is emptied.</summary>
    public List<LockEvent> TakeEvents()
    {
        var events = new List<LockEvent>(_events);
        _events.Clear();
        return events;
    }

    private void PassOn(string name, Lock l, ulong index)
    {
        if (l.Waiters.Count == 0)
        {
            _locks.Remove(name);
            return;
        }
        var next = l.Waiters[0].Session;
        l.Waiters.RemoveAt(0);
        l.Holder = next;
        l.Token = index;
        _events.Add(new LockEvent(name, next, Granted: true, index, SessionEnded: false));
    }

    private void Own(long session, string name)
    {
        if (!_bySession.TryGetValue(session, out var names))
        {
            names = new SortedSet<string>(StringComparer.Ordinal);
            _bySession.Add(session, names);
        }
        Invariant(names.Add(name), $"session {session} is listed with lock '{name}' twice");
    }

    private void Disown(long session, string name)
    {
        Invariant(_bySession.TryGetValue(session, out var names) && names.Remove(name), $"session {session} is not listed with lock '{name}'");
        if (names!.Count == 0) _bySession.Remove(session);
    }

    /// <summary>Writes the table's frame: the magic, its length, the locks in name order.</summary>
    public void WriteFrame(Stream output)
    {
        using var table = new MemoryStream();
        using (var w = new BinaryWriter(table, Encoding.UTF8, leaveOpen: true))
        {
            w.Write(_locks.Count);
            foreach (var (name, l) in _locks)
            {
                w.Write(name);
                w.Write(l.Holder);
                w.Write(l.Token);
                w.Write(l.Waiters.Count);
                foreach (var (session, index) in l.Waiters)
                {
                    w.Write(session);
                    w.Write(index);
                }
            }
        }
        output.Write(Magic);
        Span<byte> length = stackalloc byte[4];
        BinaryPrimitives.WriteInt32LittleEndian(length, checked((int)table.Length));
        output.Write(length);
        table.Position = 0;
        table.CopyTo(output);
    }

    /// <summary>
    /// Reads the table framed at <paramref name="start"/> of <paramref name="snapshot"/> into this one (replacing it) and
    /// returns where the next bytes start; a snapshot without the frame there (written before locks existed) leaves the
    /// table empty and returns <paramref name="start"/>.
    /// </summary>
    /// <exception cref="StateMachines.InvalidSnapshotException">The frame is truncated or inconsistent.</exception>
    public int ReadFrame(byte[] snapshot, int start)
    {
        _locks.Clear();
        _bySession.Clear();
        _events.Clear();
        if (snapshot.Length - start < Magic.Length + 4 || !snapshot.AsSpan(start, Magic.Length).SequenceEqual(Magic)) return start;
        var length = BinaryPrimitives.ReadInt32LittleEndian(snapshot.AsSpan(start + Magic.Length, 4));
        var body = start + Magic.Length + 4;
        if (length < 4 || length > snapshot.Length - body)
            throw new StateMachines.InvalidSnapshotException($"the lock table of the snapshot claims {length} bytes, {snapshot.Length - body} follow");
        try
        {
            using var r = new BinaryReader(new MemoryStream(snapshot, body, length, writable: false), Encoding.UTF8);
            var count = r.ReadInt32();
            for (var i = 0; i < count; i++)
            {
                var name = r.ReadString();
                var l = new Lock(r.ReadInt64(), r.ReadUInt64());
                _locks.Add(name, l);
                Own(l.Holder, name);
                var waiters = r.ReadInt32();
                for (var j = 0; j < waiters; j++)
                {
                    var session = r.ReadInt64();
                    l.Waiters.Add((session, r.ReadUInt64()));
                    Own(session, name);
                }
            }
        }
        catch (Exception e) when (e is EndOfStreamException or ArgumentException or IOException or RaftInvariantException)
        {
            _locks.Clear();
            _bySession.Clear();
            throw new StateMachines.InvalidSnapshotException($"the lock table of the snapshot does not read: {e.Message}", e);
        }
        return body + length;
    }

    private static void Invariant(bool holds, string broken)
    {
        if (!holds) throw new RaftInvariantException("the lock table lists each session with exactly the locks it holds or waits for", broken);
    }

    private sealed class Lock(long holder, ulong token)
    {
        public long Holder { get; set; } = holder;

        public ulong Token { get; set; } = token;

        public List<(long Session, ulong Index)> Waiters { get; } = new();
    }
}

/// <summary>What applying an acquire did.</summary>
internal enum AcquireStatus
{
    /// <summary>The session holds the lock (got it now, or held it already).</summary>
    Acquired,

    /// <summary>The session waits for the lock (queued now, or already).</summary>
    Queued,

    /// <summary>The group keeps <c>max-locks</c> locks already; nothing changed.</summary>
    TooManyLocks,

    /// <summary>The lock has <c>max-waiters</c> waiters already; nothing changed.</summary>
    TooManyWaiters,
}

/// <summary>The outcome of an acquire: the fencing token when acquired, the position in the queue (1 = next) when queued, the count that was full when refused.</summary>
internal readonly record struct AcquireOutcome(AcquireStatus Status, ulong Token, int Position);

/// <summary>What applying a release did.</summary>
internal enum ReleaseStatus
{
    /// <summary>The session held the lock; it passed to the next waiter, or is free.</summary>
    Released,

    /// <summary>The session waited for the lock and left the queue.</summary>
    Withdrew,

    /// <summary>The session neither held nor waited for it; nothing changed.</summary>
    NotHeld,
}

/// <summary>
/// A waiter got a lock (<paramref name="Granted"/>, with its fencing token) or left its queue without it: by its own
/// release, or because its session ended (<paramref name="SessionEnded"/>).
/// </summary>
internal sealed record LockEvent(string Name, long SessionId, bool Granted, ulong Token, bool SessionEnded);
