using System.Buffers.Binary;
using AkkaRaft.Raft.Core;

namespace AkkaRaft.Raft.Peer;

/// <summary>
/// The client sessions of the replicated state (Raft dissertation §6.3): which sessions live, with their TTL, and for
/// each the responses of its exactly-once writes that its client has not acknowledged yet. Every peer holds one, beside
/// its state machine, and changes it only by applying committed entries, so every peer's table is the same at the same
/// index; it travels in the state machine's snapshots (<see cref="StateMachineHost"/> frames it in front of the state
/// machine's own bytes). Deterministic: sorted containers only, no clock.
/// </summary>
internal sealed class SessionTable
{
    // "AKRSESS1": the snapshot of a host with a session table starts with it (a snapshot without it is a bare state machine's).
    private static ReadOnlySpan<byte> Magic => "AKRSESS1"u8;

    private readonly SortedDictionary<long, Session> _sessions = new();

    /// <summary>How many sessions live.</summary>
    public int Count => _sessions.Count;

    /// <summary>The live sessions in id order.</summary>
    public IEnumerable<KeyValuePair<long, Session>> Sessions => _sessions;

    /// <summary>Whether <paramref name="id"/> lives.</summary>
    public bool Contains(long id) => _sessions.ContainsKey(id);

    /// <summary>The session <paramref name="id"/>, when it lives.</summary>
    public bool TryGet(long id, out Session session) => _sessions.TryGetValue(id, out session!);

    /// <summary>Opens session <paramref name="id"/> (the index of its open entry).</summary>
    /// <exception cref="RaftInvariantException">It is open already: an index opens one session.</exception>
    public void Open(long id, TimeSpan ttl, int maxResponses)
    {
        if (!_sessions.TryAdd(id, new Session(ttl, maxResponses)))
            throw new RaftInvariantException("a session is opened once, by the entry at its id's index", $"session {id} is open already");
    }

    /// <summary>Ends session <paramref name="id"/>; false when it did not live.</summary>
    public bool Remove(long id) => _sessions.Remove(id);

    /// <summary>Removes every session (a restore replaces the table).</summary>
    public void Clear() => _sessions.Clear();

    /// <summary>
    /// Writes the table in front of a state machine snapshot: the magic, the table's length, the table. The state
    /// machine's bytes follow.
    /// </summary>
    public void WriteFrame(Stream output)
    {
        using var table = new MemoryStream();
        using (var w = new BinaryWriter(table, System.Text.Encoding.UTF8, leaveOpen: true))
        {
            w.Write(_sessions.Count);
            foreach (var (id, s) in _sessions)
            {
                w.Write(id);
                w.Write(s.Ttl.Ticks);
                w.Write(s.MaxResponses);
                w.Write(s.AcknowledgedBelow);
                w.Write(s.Responses.Count);
                foreach (var (seq, saved) in s.Responses)
                {
                    w.Write(seq);
                    w.Write(saved.Index);
                    w.Write(saved.Response.Length);
                    w.Write(saved.Response);
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
    /// Reads the table framed in front of <paramref name="snapshot"/> into this one (replacing it) and returns where the
    /// state machine's bytes start; a snapshot without a frame (a bare state machine's) leaves the table empty and
    /// returns 0.
    /// </summary>
    /// <exception cref="StateMachines.InvalidSnapshotException">The frame is truncated or inconsistent.</exception>
    public int ReadFrame(byte[] snapshot)
    {
        _sessions.Clear();
        if (snapshot.Length < Magic.Length + 4 || !snapshot.AsSpan(0, Magic.Length).SequenceEqual(Magic)) return 0;
        var length = BinaryPrimitives.ReadInt32LittleEndian(snapshot.AsSpan(Magic.Length, 4));
        var start = Magic.Length + 4;
        if (length < 4 || length > snapshot.Length - start)
            throw new StateMachines.InvalidSnapshotException($"the session table of the snapshot claims {length} bytes, {snapshot.Length - start} follow");
        try
        {
            using var r = new BinaryReader(new MemoryStream(snapshot, start, length, writable: false));
            var count = r.ReadInt32();
            for (var i = 0; i < count; i++)
            {
                var id = r.ReadInt64();
                var session = new Session(TimeSpan.FromTicks(r.ReadInt64()), r.ReadInt32()) { AcknowledgedBelow = r.ReadUInt64() };
                var responses = r.ReadInt32();
                for (var j = 0; j < responses; j++)
                {
                    var seq = r.ReadUInt64();
                    var index = r.ReadUInt64();
                    var bytes = r.ReadBytes(r.ReadInt32());
                    session.Responses.Add(seq, new SavedResponse(bytes, index));
                }
                _sessions.Add(id, session);
            }
        }
        catch (Exception e) when (e is EndOfStreamException or ArgumentException or IOException)
        {
            _sessions.Clear();
            throw new StateMachines.InvalidSnapshotException($"the session table of the snapshot does not read: {e.Message}", e);
        }
        return start + length;
    }

    /// <summary>One live session.</summary>
    internal sealed class Session(TimeSpan ttl, int maxResponses)
    {
        /// <summary>Its time to live without a keep-alive.</summary>
        public TimeSpan Ttl { get; } = ttl;

        /// <summary>Most responses it keeps unacknowledged (from its open entry).</summary>
        public int MaxResponses { get; } = maxResponses;

        /// <summary>The client's lowest unacknowledged sequence number: responses below it are forgotten.</summary>
        public ulong AcknowledgedBelow { get; set; }

        /// <summary>The saved responses by sequence number.</summary>
        public SortedDictionary<ulong, SavedResponse> Responses { get; } = new();

        /// <summary>The client acknowledged every response below <paramref name="below"/>: forget them (it never goes back).</summary>
        public void Acknowledge(ulong below)
        {
            if (below <= AcknowledgedBelow) return;
            AcknowledgedBelow = below;
            while (Responses.Count > 0)
            {
                var first = Responses.Keys.First();
                if (first >= below) break;
                Responses.Remove(first);
            }
        }
    }

    /// <summary>What an exactly-once write answered the first time: the state machine's response and the entry's index.</summary>
    internal sealed record SavedResponse(byte[] Response, ulong Index);
}
