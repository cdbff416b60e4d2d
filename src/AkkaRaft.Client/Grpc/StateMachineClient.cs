using AkkaRaft.Grpc.V1;
using Google.Protobuf;
using GrpcReadLevel = AkkaRaft.Grpc.V1.ReadLevel;
using SessionStub = AkkaRaft.Grpc.V1.Session.SessionClient;
using StateMachineStub = AkkaRaft.Grpc.V1.StateMachine.StateMachineClient;

namespace AkkaRaft.Client.Grpc;

/// <summary>
/// tinyraft's <c>Caller</c>: opaque commands and queries to a cluster's own state machine (<c>akkaraft.v1.StateMachine</c>),
/// with the core's wait-for-ready, leader following and backoff (<see cref="AkkaRaftGrpcClient"/>).
/// <para>
/// A command outside a session is sent again only when nothing was written; an uncertain end (a deadline, a connection
/// that broke mid-call, a killed leader) is <see cref="WriteOutcomeUnknownException"/>: it may have been applied. In an
/// <see cref="ExactlyOnceSession"/> each command carries its number in the session, so it is sent again after any
/// failure until it is answered, and the cluster applies it once: a word tracker that loses a leader mid-run counts
/// every word exactly once.
/// </para>
/// </summary>
public sealed class StateMachineClient(AkkaRaftGrpcClient client)
{
    private readonly AkkaRaftGrpcClient _client = client ?? throw new ArgumentNullException(nameof(client));

    /// <summary>Applies <paramref name="command"/> (one log entry); answers what the state machine's Apply returned.</summary>
    public async Task<AppliedCommand> ApplyAsync(ReadOnlyMemory<byte> command, DateTime? deadline = null, CancellationToken cancellationToken = default)
    {
        var request = new ApplyRequest { Command = ByteString.CopyFrom(command.Span) };
        var response = await _client.CallAsync(RaftCallKind.Write, (invoker, options) => new StateMachineStub(invoker).ApplyAsync(request, options), deadline, null, cancellationToken).ConfigureAwait(false);
        return new AppliedCommand(response.Result.Memory, RaftHeader.Of(response.Header));
    }

    /// <summary>
    /// Applies <paramref name="command"/> in <paramref name="session"/>, exactly once: numbered there, sent again after
    /// any failure until the cluster answers, which it does with the first answer for a number it has seen.
    /// </summary>
    /// <exception cref="global::Grpc.Core.RpcException">NOT_FOUND: the session ended (expired or closed); the command was not applied.</exception>
    public async Task<AppliedCommand> ApplyAsync(ExactlyOnceSession session, ReadOnlyMemory<byte> command, DateTime? deadline = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(session);
        var (seq, ack) = session.Next();
        try
        {
            var request = new ApplyRequest { Command = ByteString.CopyFrom(command.Span), Session = new SessionWrite { Id = session.Id, Seq = seq, Ack = ack } };
            var response = await _client.CallAsync(RaftCallKind.IdempotentWrite, (invoker, options) => new StateMachineStub(invoker).ApplyAsync(request, options), deadline, null, cancellationToken).ConfigureAwait(false);
            return new AppliedCommand(response.Result.Memory, RaftHeader.Of(response.Header));
        }
        finally
        {
            session.Answered(seq);
        }
    }

    /// <summary>Asks the state machine's Query at <paramref name="level"/> (the leader's state by default).</summary>
    public async Task<QueryAnswer> QueryAsync(ReadOnlyMemory<byte> query, GrpcReadLevel level = GrpcReadLevel.Default, DateTime? deadline = null, CancellationToken cancellationToken = default)
    {
        var request = new QueryRequest { Query = ByteString.CopyFrom(query.Span), Level = level };
        var response = await _client.CallAsync(RaftCallKind.Read, (invoker, options) => new StateMachineStub(invoker).QueryAsync(request, options), deadline, null, cancellationToken).ConfigureAwait(false);
        return new QueryAnswer(response.Result.Memory, RaftHeader.Of(response.Header));
    }
}

/// <summary>What a state machine's Apply returned for a command, and the entry's index (<c>Header.Index</c>).</summary>
public sealed record AppliedCommand(ReadOnlyMemory<byte> Result, RaftHeader Header);

/// <summary>What a state machine's Query answered, and the index it was served at (<c>Header.Index</c>).</summary>
public sealed record QueryAnswer(ReadOnlyMemory<byte> Result, RaftHeader Header);

/// <summary>
/// A client session (<c>akkaraft.v1.Session</c>) for exactly-once writes: it numbers the writes made in it and tells the
/// cluster which answers it still waits for (so the cluster keeps only those). Writes in it renew it, as a keep-alive
/// does; a session idle for its time to live expires, unless <see cref="KeepAlive"/> renews it meanwhile.
/// </summary>
public sealed class ExactlyOnceSession
{
    private readonly System.Threading.Lock _lock = new();
    private readonly SortedSet<ulong> _inFlight = [];
    private ulong _lastSeq;

    private ExactlyOnceSession(long id, TimeSpan ttl)
    {
        Id = id;
        Ttl = ttl;
    }

    /// <summary>The session's id (the index of the entry that opened it).</summary>
    public long Id { get; }

    /// <summary>Its time to live, as the cluster granted it.</summary>
    public TimeSpan Ttl { get; }

    /// <summary>Opens a session with <paramref name="ttl"/> (within the cluster's akkaraft.sessions.min-ttl and max-ttl).</summary>
    public static async Task<ExactlyOnceSession> OpenAsync(AkkaRaftGrpcClient client, TimeSpan ttl, DateTime? deadline = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(client);
        var request = new OpenSessionRequest { TtlMs = (long)ttl.TotalMilliseconds };
        var response = await client.CallAsync(RaftCallKind.Write, (invoker, options) => new SessionStub(invoker).OpenAsync(request, options), deadline, null, cancellationToken).ConfigureAwait(false);
        return new ExactlyOnceSession(response.Id, TimeSpan.FromMilliseconds(response.TtlMs));
    }

    /// <summary>
    /// Renews the session in the background every <paramref name="interval"/> (a third of its TTL by default) while
    /// the application holds it idle; dispose what it returns to stop.
    /// </summary>
    public SessionKeepAlive KeepAlive(AkkaRaftGrpcClient client, TimeSpan? interval = null) => SessionKeepAlive.Start(client, Id, Ttl, interval);

    /// <summary>Closes the session (its ephemeral keys go with it); a session that ended already is not an error.</summary>
    public async Task CloseAsync(AkkaRaftGrpcClient client, DateTime? deadline = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(client);
        var request = new CloseSessionRequest { Id = Id };
        try
        {
            await client.CallAsync(RaftCallKind.IdempotentWrite, (invoker, options) => new SessionStub(invoker).CloseAsync(request, options), deadline, null, cancellationToken).ConfigureAwait(false);
        }
        catch (global::Grpc.Core.RpcException e) when (e.StatusCode == global::Grpc.Core.StatusCode.NotFound)
        {
            // Ended already: closed by an earlier attempt of this call, or expired.
        }
    }

    /// <summary>The next write's number, and the lowest number whose answer has not come back (this one, or an earlier in flight).</summary>
    internal (ulong Seq, ulong Ack) Next()
    {
        lock (_lock)
        {
            var seq = ++_lastSeq;
            _inFlight.Add(seq);
            return (seq, _inFlight.Min);
        }
    }

    /// <summary>Write <paramref name="seq"/> ended (answered, or given up): the cluster need not keep its answer for us.</summary>
    internal void Answered(ulong seq)
    {
        lock (_lock) _inFlight.Remove(seq);
    }
}
