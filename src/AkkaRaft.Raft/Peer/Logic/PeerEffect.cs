using System.Runtime.InteropServices;
using AkkaRaft.Raft.Core;
using AkkaRaft.Raft.Peer.Protocol;

namespace AkkaRaft.Raft.Peer;

/// <summary>What a <see cref="PeerLogic{TClient}"/> asks its shell to do; the payload of each kind is listed with it.</summary>
internal enum PeerEffectKind : byte
{
    /// <summary>
    /// Write <see cref="PeerEffect{TClient}.Events"/> as one atomic journal write (one fsync). When the last one is
    /// durable, feed <see cref="PeerLogic{TClient}.BatchDurable"/> with <see cref="PeerEffect{TClient}.Token"/> and
    /// the sequence number of the last event. A write that fails stops the peer (it recovers from the journal).
    /// </summary>
    Persist,

    /// <summary>
    /// Save <see cref="PeerEffect{TClient}.SnapshotRecord"/> in the snapshot store at
    /// <see cref="PeerEffect{TClient}.SequenceNr"/> (the last journal event written); then feed
    /// <see cref="PeerLogic{TClient}.SnapshotRecordSaved"/> or <see cref="PeerLogic{TClient}.SnapshotRecordFailed"/>.
    /// </summary>
    SaveSnapshotRecord,

    /// <summary>Delete the journal events up to <see cref="PeerEffect{TClient}.SequenceNr"/> and the snapshot records before it (a failure only leaves garbage).</summary>
    DeleteUpTo,

    /// <summary>Send <see cref="PeerEffect{TClient}.Message"/> to the peer it is addressed to (best effort).</summary>
    Send,

    /// <summary>
    /// Pass <see cref="PeerEffect{TClient}.Request"/> to peer <see cref="PeerEffect{TClient}.To"/>, keeping
    /// <see cref="PeerEffect{TClient}.Client"/> as its sender (the leader answers the client directly). When that peer
    /// cannot be reached at all, answer the client <see cref="PeerEffect{TClient}.Answer"/> instead.
    /// </summary>
    Forward,

    /// <summary>Answer <see cref="PeerEffect{TClient}.Client"/> with <see cref="PeerEffect{TClient}.Answer"/>.</summary>
    Reply,

    /// <summary>
    /// Apply <see cref="PeerEffect{TClient}.Entries"/> to the state machine in order, after everything handed to it
    /// before; answer <see cref="PeerEffect{TClient}.ReplyFor"/> of each entry with what the state machine host makes
    /// of it (a <see cref="WriteResult"/>, or for a typed command a <see cref="TypedWriteResult"/> or
    /// <see cref="RequestRejected"/>) naming <see cref="PeerEffect{TClient}.Leader"/>.
    /// </summary>
    ApplyEntries,

    /// <summary>
    /// Answer <see cref="PeerEffect{TClient}.Client"/> with the state machine's answer to
    /// <see cref="PeerEffect{TClient}.Query"/>, on the state after every entry handed to it so far, as a
    /// <see cref="QueryResponse"/> naming <see cref="PeerEffect{TClient}.Leader"/> and <see cref="PeerEffect{TClient}.Path"/>
    /// (for a <see cref="PeerEffect{TClient}.IsTypedQuery"/>, a <see cref="TypedQueryResponse"/> or <see cref="RequestRejected"/>).
    /// </summary>
    ServeQuery,

    /// <summary>Replace the state machine's state by the snapshot <see cref="PeerEffect{TClient}.Data"/> taken at <see cref="PeerEffect{TClient}.Index"/>.</summary>
    RestoreStateMachine,

    /// <summary>Snapshot the state machine after everything handed to it so far; feed the result to <see cref="PeerLogic{TClient}.StateMachineSnapshotTaken"/>.</summary>
    TakeStateMachineSnapshot,

    /// <summary>Tell whoever listens that this peer's role or known leader changed (<see cref="PeerEffect{TClient}.RoleChange"/>).</summary>
    RoleChanged,

    /// <summary>
    /// On the leader: (re)start the keep-alive timer of session <see cref="PeerEffect{TClient}.SessionId"/> to fire
    /// <see cref="PeerEffect{TClient}.After"/> from now, replacing the one it had; when it fires, feed
    /// <see cref="PeerLogic{TClient}.SessionTimerFired"/>. The actor shell keeps one child actor per session for it.
    /// </summary>
    ArmSessionTimer,

    /// <summary>
    /// Fetch the snapshot of <see cref="PeerEffect{TClient}.Offer"/> from the leader's snapshot port; once its bytes are
    /// verified, feed them to <see cref="PeerLogic{TClient}.Step"/> as the core's <see cref="InstallSnapshot"/> from the
    /// offer's sender and term. A failed fetch is only logged: the leader offers again.
    /// </summary>
    FetchSnapshot,

    /// <summary>Drop the keep-alive timer of session <see cref="PeerEffect{TClient}.SessionId"/> (it ended, or this peer no longer leads).</summary>
    DisarmSessionTimer,

    /// <summary>
    /// On the leader: set the one-shot watch <see cref="PeerEffect{TClient}.WatchRequest"/> for
    /// <see cref="PeerEffect{TClient}.Client"/> on the state after every entry handed to the state machine so far (the
    /// state machine host's <c>AddWatch</c>), naming <see cref="PeerEffect{TClient}.Leader"/>; its timeout is resolved.
    /// </summary>
    SetWatch,

    /// <summary>This peer stopped leading after it set watches: every watch it serves fires <see cref="AkkaRaft.Client.WatchReason.LeaderChanged"/>, after the entries handed so far.</summary>
    WatchesLeaderLost,

    /// <summary>
    /// On the leader: answer <see cref="PeerEffect{TClient}.Client"/> with the state machine host's listing of sessions,
    /// locks and watches (<see cref="PeerEffect{TClient}.Listing"/>), after every entry handed so far, naming
    /// <see cref="PeerEffect{TClient}.Leader"/>.
    /// </summary>
    ListCoordination,
}

/// <summary>
/// One thing a <see cref="PeerLogic{TClient}"/> decided and its shell carries out, in the order given. A struct, so a
/// peer's hot path (messages in, messages out) allocates nothing for its effects; each accessor belongs to the kinds
/// its documentation names, and asking another kind for it is a bug of the shell (it throws).
/// </summary>
/// <typeparam name="TClient">How the shell names a client (the actor shell: its <c>IActorRef</c>).</typeparam>
internal readonly struct PeerEffect<TClient>
    where TClient : class
{
    // What a ServeQuery effect holds in _extra for a typed query (one shared object: the effect allocates nothing more).
    private static readonly object TypedMark = new();

    private readonly object? _payload;
    private readonly object? _extra;
    private readonly long _number;
    private readonly ulong _node;
    private readonly ulong _term;

    private PeerEffect(PeerEffectKind kind, object? payload, object? extra = null, TClient? client = null, long number = 0, ulong node = 0, ulong term = 0)
    {
        _term = term;
        Kind = kind;
        _payload = payload;
        _extra = extra;
        Client = client;
        _number = number;
        _node = node;
    }

    /// <summary>What to do.</summary>
    public PeerEffectKind Kind { get; }

    /// <summary>The client to answer (<see cref="PeerEffectKind.Reply"/>, <see cref="PeerEffectKind.ServeQuery"/>) or to keep as the sender of a forwarded request (<see cref="PeerEffectKind.Forward"/>).</summary>
    public TClient? Client { get; }

    /// <summary><see cref="PeerEffectKind.Persist"/>: the journal events of one batch, in order.</summary>
    public IReadOnlyList<RaftJournalEvent> Events => As<IReadOnlyList<RaftJournalEvent>>(_payload, PeerEffectKind.Persist);

    /// <summary><see cref="PeerEffectKind.Persist"/>: the token to hand back with <see cref="PeerLogic{TClient}.BatchDurable"/>.</summary>
    public long Token => Number(PeerEffectKind.Persist);

    /// <summary><see cref="PeerEffectKind.SaveSnapshotRecord"/>: the record to save.</summary>
    public PeerSnapshotRecord SnapshotRecord => As<PeerSnapshotRecord>(_payload, PeerEffectKind.SaveSnapshotRecord);

    /// <summary><see cref="PeerEffectKind.SaveSnapshotRecord"/>: the sequence number to save it at; <see cref="PeerEffectKind.DeleteUpTo"/>: the last event to delete.</summary>
    public long SequenceNr => Kind is PeerEffectKind.SaveSnapshotRecord or PeerEffectKind.DeleteUpTo ? _number : throw Wrong(nameof(SequenceNr));

    /// <summary><see cref="PeerEffectKind.Send"/>: the Raft message.</summary>
    public RaftMessage Message => As<RaftMessage>(_payload, PeerEffectKind.Send);

    /// <summary><see cref="PeerEffectKind.Forward"/>: the peer to pass the request to.</summary>
    public ulong To => Kind == PeerEffectKind.Forward ? _node : throw Wrong(nameof(To));

    /// <summary><see cref="PeerEffectKind.Forward"/>: the request to pass on (a <see cref="Write"/>, <see cref="Peer.Query"/>, <see cref="TypedWrite"/> or <see cref="TypedQuery"/> one hop further).</summary>
    public object Request => As<object>(_payload, PeerEffectKind.Forward);

    /// <summary><see cref="PeerEffectKind.Reply"/>: the answer; <see cref="PeerEffectKind.Forward"/>: the answer when the peer cannot be reached.</summary>
    public object Answer => Kind switch
    {
        PeerEffectKind.Reply => _payload!,
        PeerEffectKind.Forward => _extra!,
        _ => throw Wrong(nameof(Answer)),
    };

    /// <summary><see cref="PeerEffectKind.ApplyEntries"/>: consecutive committed entries.</summary>
    public IReadOnlyList<Entry> Entries => As<IReadOnlyList<Entry>>(_payload, PeerEffectKind.ApplyEntries);

    /// <summary><see cref="PeerEffectKind.ApplyEntries"/>, <see cref="PeerEffectKind.ServeQuery"/>: the leader to name in the answers.</summary>
    public ulong Leader => Kind is PeerEffectKind.ApplyEntries or PeerEffectKind.ServeQuery or PeerEffectKind.SetWatch or PeerEffectKind.ListCoordination ? _node : throw Wrong(nameof(Leader));

    /// <summary><see cref="PeerEffectKind.SetWatch"/>: the watch to set, its timeout resolved.</summary>
    public AkkaRaft.Client.Watch WatchRequest => As<AkkaRaft.Client.Watch>(_payload, PeerEffectKind.SetWatch);

    /// <summary><see cref="PeerEffectKind.ListCoordination"/>: how much to list, and the sessions' deadlines as the logic knows them.</summary>
    public CoordinationListRequest Listing => As<CoordinationListRequest>(_payload, PeerEffectKind.ListCoordination);

    /// <summary><see cref="PeerEffectKind.FetchSnapshot"/>: the leader's offer.</summary>
    public Snapshots.SnapshotOffer Offer => As<Snapshots.SnapshotOffer>(_payload, PeerEffectKind.FetchSnapshot);

    /// <summary><see cref="PeerEffectKind.ServeQuery"/>: the query bytes, as the state machine decodes them.</summary>
    public byte[] Query => As<byte[]>(_payload, PeerEffectKind.ServeQuery);

    /// <summary><see cref="PeerEffectKind.ServeQuery"/>: whether <see cref="Query"/> is a <see cref="TypedQuery"/>'s frame, answered with the state machine's object.</summary>
    public bool IsTypedQuery => Kind == PeerEffectKind.ServeQuery ? ReferenceEquals(_extra, TypedMark) : throw Wrong(nameof(IsTypedQuery));

    /// <summary>
    /// <see cref="PeerEffectKind.ServeQuery"/>, <see cref="PeerEffectKind.SetWatch"/>: the term the peer was in, for the
    /// answer; <see cref="PeerEffectKind.RestoreStateMachine"/>: the term of the last entry the snapshot covers.
    /// </summary>
    public ulong Term => Kind is PeerEffectKind.ServeQuery or PeerEffectKind.SetWatch or PeerEffectKind.RestoreStateMachine ? _term : throw Wrong(nameof(Term));

    /// <summary><see cref="PeerEffectKind.ServeQuery"/>: how the read was made safe.</summary>
    public ReadPath Path => Kind == PeerEffectKind.ServeQuery ? (ReadPath)_number : throw Wrong(nameof(Path));

    /// <summary><see cref="PeerEffectKind.RestoreStateMachine"/>: the state machine's snapshot bytes.</summary>
    public byte[] Data => As<byte[]>(_payload, PeerEffectKind.RestoreStateMachine);

    /// <summary><see cref="PeerEffectKind.RestoreStateMachine"/>: the last log index the snapshot covers.</summary>
    public ulong Index => Kind == PeerEffectKind.RestoreStateMachine ? _node : throw Wrong(nameof(Index));

    /// <summary><see cref="PeerEffectKind.ArmSessionTimer"/>, <see cref="PeerEffectKind.DisarmSessionTimer"/>: the session.</summary>
    public long SessionId => Kind is PeerEffectKind.ArmSessionTimer or PeerEffectKind.DisarmSessionTimer ? _number : throw Wrong(nameof(SessionId));

    /// <summary><see cref="PeerEffectKind.ArmSessionTimer"/>: how long from now the timer fires.</summary>
    public TimeSpan After => Kind == PeerEffectKind.ArmSessionTimer ? TimeSpan.FromTicks((long)_node) : throw Wrong(nameof(After));

    /// <summary><see cref="PeerEffectKind.RoleChanged"/>: the new role, leader and term.</summary>
    public PeerRoleChanged RoleChange => As<PeerRoleChanged>(_payload, PeerEffectKind.RoleChanged);

    /// <summary><see cref="PeerEffectKind.ApplyEntries"/>: for each entry of <see cref="Entries"/>, the client waiting for it (null when none); null when no entry has one.</summary>
    public TClient?[]? Replies => Kind == PeerEffectKind.ApplyEntries ? (TClient?[]?)_extra : throw Wrong(nameof(Replies));

    /// <summary><see cref="PeerEffectKind.ApplyEntries"/>: the client waiting for entry <paramref name="position"/> of <see cref="Entries"/>, or null.</summary>
    public TClient? ReplyFor(int position)
    {
        if (Kind != PeerEffectKind.ApplyEntries) throw Wrong(nameof(ReplyFor));
        return _extra is TClient?[] replies ? replies[position] : null;
    }

    /// <inheritdoc />
    public override string ToString() => Kind switch
    {
        PeerEffectKind.Persist => $"Persist({Events.Count} events, token {Token})",
        PeerEffectKind.SaveSnapshotRecord => $"SaveSnapshotRecord(index {SnapshotRecord.Index} at {SequenceNr})",
        PeerEffectKind.DeleteUpTo => $"DeleteUpTo({SequenceNr})",
        PeerEffectKind.Send => $"Send({Message})",
        PeerEffectKind.Forward => $"Forward(to {To}: {Request})",
        PeerEffectKind.Reply => $"Reply({Client}: {Answer})",
        PeerEffectKind.ApplyEntries => $"ApplyEntries([{Entries[0].Index}..{Entries[^1].Index}])",
        PeerEffectKind.ServeQuery => $"ServeQuery({(IsTypedQuery ? "typed, " : "")}{Path} for {Client})",
        PeerEffectKind.RestoreStateMachine => $"RestoreStateMachine(index {Index}, {Data.Length} bytes)",
        PeerEffectKind.RoleChanged => $"RoleChanged({RoleChange})",
        PeerEffectKind.FetchSnapshot => $"FetchSnapshot({Offer})",
        PeerEffectKind.ArmSessionTimer => $"ArmSessionTimer(session {SessionId} in {After})",
        PeerEffectKind.DisarmSessionTimer => $"DisarmSessionTimer(session {SessionId})",
        PeerEffectKind.SetWatch => $"SetWatch({WatchRequest} for {Client})",
        PeerEffectKind.ListCoordination => $"ListCoordination(limit {Listing.Limit} for {Client})",
        _ => Kind.ToString(),
    };

    internal static PeerEffect<TClient> Persist(IReadOnlyList<RaftJournalEvent> events, long token) => new(PeerEffectKind.Persist, events, number: token);

    internal static PeerEffect<TClient> SaveSnapshot(PeerSnapshotRecord record, long sequenceNr) => new(PeerEffectKind.SaveSnapshotRecord, record, number: sequenceNr);

    internal static PeerEffect<TClient> DeleteUpTo(long sequenceNr) => new(PeerEffectKind.DeleteUpTo, null, number: sequenceNr);

    internal static PeerEffect<TClient> Send(RaftMessage message) => new(PeerEffectKind.Send, message);

    internal static PeerEffect<TClient> Forward(ulong to, object request, TClient client, NotLeader ifUnreachable) =>
        new(PeerEffectKind.Forward, request, ifUnreachable, client, node: to);

    internal static PeerEffect<TClient> Reply(TClient client, object answer) => new(PeerEffectKind.Reply, answer, client: client);

    internal static PeerEffect<TClient> Apply(IReadOnlyList<Entry> entries, TClient?[]? replies, ulong leader) =>
        new(PeerEffectKind.ApplyEntries, entries, replies, node: leader);

    internal static PeerEffect<TClient> Serve(byte[] query, bool typed, TClient client, ulong leader, ulong term, ReadPath path) =>
        new(PeerEffectKind.ServeQuery, query, typed ? TypedMark : null, client, number: (long)path, node: leader, term: term);

    internal static PeerEffect<TClient> Restore(byte[] data, ulong index, ulong term) => new(PeerEffectKind.RestoreStateMachine, data, node: index, term: term);

    internal static PeerEffect<TClient> FetchSnapshot(Snapshots.SnapshotOffer offer) => new(PeerEffectKind.FetchSnapshot, offer);

    internal static PeerEffect<TClient> TakeSnapshot() => new(PeerEffectKind.TakeStateMachineSnapshot, null);

    internal static PeerEffect<TClient> RoleChanged(PeerRoleChanged change) => new(PeerEffectKind.RoleChanged, change);

    internal static PeerEffect<TClient> ArmSessionTimer(long sessionId, TimeSpan after) =>
        new(PeerEffectKind.ArmSessionTimer, null, number: sessionId, node: (ulong)Math.Max(0, after.Ticks));

    internal static PeerEffect<TClient> DisarmSessionTimer(long sessionId) => new(PeerEffectKind.DisarmSessionTimer, null, number: sessionId);

    internal static PeerEffect<TClient> SetWatch(AkkaRaft.Client.Watch watch, TClient client, ulong leader, ulong term) => new(PeerEffectKind.SetWatch, watch, client: client, node: leader, term: term);

    internal static PeerEffect<TClient> ListCoordination(CoordinationListRequest listing, TClient client, ulong leader) =>
        new(PeerEffectKind.ListCoordination, listing, client: client, node: leader);

    internal static PeerEffect<TClient> WatchesLeaderLost() => new(PeerEffectKind.WatchesLeaderLost, null);

    private long Number(PeerEffectKind kind, [System.Runtime.CompilerServices.CallerMemberName] string name = "") =>
        Kind == kind ? _number : throw Wrong(name);

    private T As<T>(object? value, PeerEffectKind kind, [System.Runtime.CompilerServices.CallerMemberName] string name = "")
        where T : class =>
        Kind == kind ? (T)value! : throw Wrong(name);

    private InvalidOperationException Wrong(string member) =>
        new($"a {Kind} effect has no {member} (the shell read the wrong field of an effect)");
}

/// <summary>
/// The effects of one input of a <see cref="PeerLogic{TClient}"/>, in the order to carry them out. A view of a list the
/// logic reuses: valid until the next input, which clears it (enumerating past that throws).
/// </summary>
internal readonly struct PeerEffects<TClient>
    where TClient : class
{
    private readonly List<PeerEffect<TClient>> _effects;

    internal PeerEffects(List<PeerEffect<TClient>> effects) => _effects = effects;

    /// <summary>How many effects.</summary>
    public int Count => _effects.Count;

    /// <summary>The effect at <paramref name="index"/>.</summary>
    public PeerEffect<TClient> this[int index] => _effects[index];

    /// <summary>The effects as a span (no check against a later input: read it at once).</summary>
    public ReadOnlySpan<PeerEffect<TClient>> AsSpan() => CollectionsMarshal.AsSpan(_effects);

    /// <summary>Enumerates without allocating; throws when the logic was fed another input meanwhile.</summary>
    public List<PeerEffect<TClient>>.Enumerator GetEnumerator() => _effects.GetEnumerator();
}
