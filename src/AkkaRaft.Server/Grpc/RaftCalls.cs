using System.Collections.Concurrent;
using System.Globalization;
using System.Text;
using AskTimeoutException = Akka.Actor.AskTimeoutException;
using AkkaRaft.Client;
using AkkaRaft.Client.Kv;
using AkkaRaft.Client.TimeSeries;
using AkkaRaft.Grpc.V1;
using AkkaRaft.Kv;
using AkkaRaft.Raft.Core;
using AkkaRaft.Raft.Peer;
using AkkaRaft.Raft.Persistence;
using AkkaRaft.Raft.Remoting;
using AkkaRaft.Server.Node;
using AkkaRaft.Server.Security;
using Google.Protobuf;
using Grpc.Core;
using Grpc.Net.Client;
using PeerReadLevel = AkkaRaft.Client.ReadLevel;
using ReadLevel = AkkaRaft.Grpc.V1.ReadLevel;
using Status = Grpc.Core.Status;

namespace AkkaRaft.Server.Grpc;

/// <summary>
/// What every gRPC service of a node does with the Raft peer, in one place: the time a call may wait (its deadline or
/// <c>akkaraft.grpc.request-timeout</c>, whichever comes first), whether a follower passes it on (<c>forward: true</c>
/// in the metadata), the answers of the peer as gRPC statuses, request fields checked before anything is proposed,
/// and the response header. Later services (sessions, watches, locks, time series) use the same mapping.
/// </summary>
public sealed class RaftCalls : IDisposable
{
    /// <summary>Request metadata: <c>true</c> (or <c>1</c>) asks a follower to pass the call on to the leader.</summary>
    public const string ForwardHeader = "forward";

    /// <summary>Request metadata a member sets when it passes a call on: the leader it reaches never passes it again.</summary>
    public const string ForwardedByHeader = "forwarded-by";

    /// <summary>Trailer of an UNAVAILABLE "not the leader": the leader's node id.</summary>
    public const string LeaderIdTrailer = "leader-id";

    /// <summary>Trailer of an UNAVAILABLE "not the leader": the leader's gRPC host:port.</summary>
    public const string LeaderAddressTrailer = "leader-address";

    /// <summary>Trailer of a FAILED_PRECONDITION compare: the key's mod_index now (0: absent).</summary>
    public const string CurrentIndexTrailer = "current-index";

    /// <summary>Trailer of a FAILED_PRECONDITION time-series write with a point too old: the oldest timestamp its series accepts.</summary>
    public const string OldestAcceptedTrailer = "oldest-accepted";

    /// <summary>Wait between two asks of a membership change the leader refused as in progress (a short poll).</summary>
    private static readonly TimeSpan MembershipRetryInterval = TimeSpan.FromMilliseconds(50);

    private static readonly UTF8Encoding StrictUtf8 = new(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true);

    private readonly ConcurrentDictionary<string, GrpcChannel> _leaderChannels = new(StringComparer.Ordinal);
    private SessionSettings? _sessions;
    private WatchSettings? _watches;
    private LockSettings? _locks;

    private readonly Lazy<(long Bytes, string Setting)> _maxCommand;

    /// <summary>Calls to <paramref name="node"/>'s peer.</summary>
    public RaftCalls(AkkaRaftNode node)
    {
        ArgumentNullException.ThrowIfNull(node);
        Node = node;
        _maxCommand = new(() => MaxCommandOf(node.Config));
    }

    /// <summary>The node whose peer the calls go to.</summary>
    public AkkaRaftNode Node { get; }

    /// <summary>The node's <c>akkaraft.sessions</c>, read once (services are made for each call).</summary>
    public SessionSettings Sessions => _sessions ??= SessionSettings.FromConfig(Node.Config);

    /// <summary>The node's <c>akkaraft.watches</c>, read once.</summary>
    public WatchSettings Watches => _watches ??= WatchSettings.FromConfig(Node.Config);

    /// <summary>The node's <c>akkaraft.locks</c>, read once.</summary>
    public LockSettings Locks => _locks ??= LockSettings.FromConfig(Node.Config);

    // ------------------------------------------------------------------ time

    /// <summary>
    /// How long a call may wait for the peer: until its deadline, but never longer than <paramref name="requestTimeout"/>
    /// (gRPC's "no deadline" is <see cref="DateTime.MaxValue"/>). Zero or less: the deadline has passed already.
    /// </summary>
    public static TimeSpan Budget(DateTime deadlineUtc, DateTime nowUtc, TimeSpan requestTimeout)
    {
        if (deadlineUtc == DateTime.MaxValue) return requestTimeout;
        var left = deadlineUtc - nowUtc;
        return left < requestTimeout ? left : requestTimeout;
    }

    /// <summary>The call's budget; DEADLINE_EXCEEDED when nothing is left of it.</summary>
    /// <exception cref="RpcException">The deadline has passed.</exception>
    public TimeSpan BudgetOf(ServerCallContext context)
    {
        var budget = Budget(context.Deadline, DateTime.UtcNow, Node.Settings.Grpc.RequestTimeout);
        return budget > TimeSpan.Zero ? budget : throw new RpcException(new Status(StatusCode.DeadlineExceeded, "the call's deadline had passed when it arrived; nothing was proposed"));
    }

    /// <summary>Whether the call asks a follower to pass it on to the leader (<c>forward: true</c>), and was not passed on already.</summary>
    public static bool Forwarding(ServerCallContext context) =>
        context.RequestHeaders.GetValue(ForwardHeader) is { } text && (text == "1" || text.Equals("true", StringComparison.OrdinalIgnoreCase))
        && context.RequestHeaders.Get(ForwardedByHeader) is null;

    /// <summary>What a follower's peer does with a request of this call: passes it on to the leader, or answers NotLeader.</summary>
    public static NotLeaderPolicy PolicyOf(ServerCallContext context) => Forwarding(context) ? NotLeaderPolicy.Forward : NotLeaderPolicy.Reject;

    // ------------------------------------------------------------------ the peer

    /// <summary>Proposes a command of the node's state machine and waits for it to apply; any other outcome is thrown as its status.</summary>
    /// <returns>The result and the term of its entry (the answer's header's raft_term).</returns>
    /// <exception cref="RpcException">The peer answered anything but <see cref="WriteResult"/>.</exception>
    public Task<(WriteResult Result, ulong Term)> WriteAsync(byte[] command, ServerCallContext context) => WriteAsync(command, context, null);

    /// <summary>As <see cref="WriteAsync(byte[], ServerCallContext)"/>, in a client session (exactly once, ephemeral keys) when one is given.</summary>
    internal async Task<(WriteResult Result, ulong Term)> WriteAsync(byte[] command, ServerCallContext context, WriteSession? session)
    {
        if (Node.JournalHealth.Failure is { } failure)
        {
            // The peer may be between incarnations (restarting from its journal): answer from what it recorded.
            throw Failure(new StorageUnavailable($"this node cannot write its journal since {failure.At:u}: {failure.Reason}", failure.OutOfSpace));
        }

        var budget = BudgetOf(context);
        var write = (session ?? WriteSession.None).Apply(new Write(command, budget, PolicyOf(context)));
        var answer = await AskAsync(write, budget, context, write: true).ConfigureAwait(false);
        return answer is WriteResult result ? (result, result.Term) : throw Failure(answer);
    }

    /// <summary>Asks a query of the node's state machine at <paramref name="level"/>; any other outcome is thrown as its status.</summary>
    /// <exception cref="RpcException">The peer answered anything but <see cref="QueryResponse"/>.</exception>
    public async Task<(QueryResponse Response, ulong Term)> QueryAsync(byte[] query, AkkaRaft.Client.ReadLevel level, ServerCallContext context)
    {
        var budget = BudgetOf(context);
        var answer = await AskAsync(new Query(query, level, budget, Forwarding(context) ? NotLeaderPolicy.Forward : NotLeaderPolicy.Reject), budget, context, write: false).ConfigureAwait(false);
        return answer is QueryResponse response ? (response, response.Term) : throw Failure(answer);
    }

    /// <summary>
    /// Asks a membership change of the (leading) peer. A leader refuses one while another is unfinished or before it
    /// committed an entry of its term; nothing was proposed then, so it is asked again until the call's budget is spent.
    /// </summary>
    public async Task<object> MembershipAsync(Func<TimeSpan, IRaftClientMessage> request, ServerCallContext context)
    {
        var budget = BudgetOf(context);
        var until = DateTime.UtcNow + budget;
        while (true)
        {
            var left = until - DateTime.UtcNow;
            var answer = await AskAsync(request(left > TimeSpan.Zero ? left : TimeSpan.FromMilliseconds(1)), left, context, write: true).ConfigureAwait(false);
            if (answer is not ConfigurationChangeInProgress || DateTime.UtcNow + MembershipRetryInterval >= until) return answer;
            await Task.Delay(MembershipRetryInterval, context.CancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>
    /// Asks the peer with the call's budget, its cancellation and its deadline. The peer's own timeout is the budget,
    /// so it answers <see cref="RequestTimedOut"/> itself; the ask waits a moment longer for that answer. A call
    /// cancelled by its client, or past its deadline, stops waiting (the peer's answer then goes nowhere).
    /// </summary>
    public async Task<object> AskAsync(object message, TimeSpan budget, ServerCallContext context, bool write)
    {
        try
        {
            return await Node.AskAsync(message, budget + AskMargin, context.CancellationToken).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (context.Deadline <= DateTime.UtcNow)
        {
            throw DeadlineExceeded(budget, write);
        }
        catch (OperationCanceledException)
        {
            throw new RpcException(new Status(StatusCode.Cancelled, write ? "the call was cancelled; the write may still commit" : "the call was cancelled"));
        }
    }

    /// <summary>How much longer than its own timeout the ask waits for the peer's <see cref="RequestTimedOut"/>.</summary>
    private static readonly TimeSpan AskMargin = TimeSpan.FromMilliseconds(500);

    /// <summary>The peer's status; UNAVAILABLE when it does not answer (it may be restarting from its journal).</summary>
    public async Task<PeerStatus> StatusAsync(ServerCallContext context)
    {
        try
        {
            return await Node.StatusAsync(context.CancellationToken).ConfigureAwait(false);
        }
        catch (AskTimeoutException)
        {
            throw new RpcException(new Status(StatusCode.Unavailable, "the Raft peer did not answer in time (it may be restarting from its journal); retry shortly"));
        }
    }

    // ------------------------------------------------------------------ the leader

    /// <summary>
    /// A call only the leader serves, made on another member: with <c>forward: true</c> it is passed on to the leader's
    /// gRPC address (with what is left of the deadline, and the call's cancellation) and its answer, or its status with
    /// trailers, relayed; otherwise it is UNAVAILABLE naming the leader.
    /// </summary>
    /// <exception cref="RpcException">UNAVAILABLE naming the leader, or the leader's own status.</exception>
    public async Task<TResponse> OnLeaderAsync<TResponse>(PeerStatus status, ServerCallContext context, Func<CallInvoker, CallOptions, AsyncUnaryCall<TResponse>> call)
    {
        if (!Forwarding(context)) throw NotLeaderFailure(status.Leader, "this node is not the leader");
        if (status.Leader == RaftIds.None || status.Leader == Node.RaftId || Node.Directory.Find(status.Leader) is not { Grpc.Length: > 0 } leader)
        {
            throw NotLeaderFailure(status.Leader, "this node is not the leader and cannot pass the call on");
        }

        var channel = _leaderChannels.GetOrAdd(leader.Grpc, OpenLeaderChannel);
        var deadline = context.Deadline == DateTime.MaxValue ? DateTime.UtcNow + Node.Settings.Grpc.RequestTimeout : context.Deadline;
        var headers = new Metadata { { ForwardedByHeader, Node.Id } };
        // The caller's own credential goes along: the leader decides with the caller's role, not this node's.
        if (context.RequestHeaders.GetValue(GrpcAccessInterceptor.AuthorizationHeader) is { Length: > 0 } authorization)
        {
            headers.Add(GrpcAccessInterceptor.AuthorizationHeader, authorization);
        }

        var options = new CallOptions(headers, deadline, context.CancellationToken);
        try
        {
            return await call(channel.CreateCallInvoker(), options).ConfigureAwait(false);
        }
        catch (RpcException e) when (e.StatusCode == StatusCode.Unavailable && e.Status.DebugException is not null)
        {
            throw new RpcException(new Status(StatusCode.Unavailable, $"the leader {leader.Id} at {leader.Grpc} could not be reached; retry shortly"));
        }
        catch (RpcException e)
        {
            // The leader's own status, with its trailers (gRPC's reserved ones are the transport's to write).
            var trailers = new Metadata();
            foreach (var entry in e.Trailers)
            {
                if (!entry.Key.StartsWith("grpc-", StringComparison.Ordinal)) trailers.Add(entry);
            }

            throw new RpcException(new Status(e.StatusCode, e.Status.Detail), trailers);
        }
    }

    private static readonly TimeSpan LeaderReconnectBackoff = TimeSpan.FromSeconds(1);

    /// <summary>A channel to the leader's gRPC address, over TLS trusting the members' CA when the client ports have TLS.</summary>
    private GrpcChannel OpenLeaderChannel(string address)
    {
        var security = Node.Settings.Security;
        var handler = ClientTls.MemberHandler(security.Tls);
        // A leader that restarts at the same address is connected to again within a second, not after gRPC's default
        // backoff of up to 120 s: a passed-on call waits at most akkaraft.grpc.request-timeout anyway.
        var options = new GrpcChannelOptions { InitialReconnectBackoff = LeaderReconnectBackoff / 10, MaxReconnectBackoff = LeaderReconnectBackoff };
        if (handler is null) return GrpcChannel.ForAddress("http://" + address, options);
        options.HttpHandler = handler;
        options.DisposeHttpClient = true;
        return GrpcChannel.ForAddress(ClientPorts.Url(security, address), options);
    }

    // ------------------------------------------------------------------ statuses

    /// <summary>The gRPC status of a peer's answer other than the one the call waits for.</summary>
    public RpcException Failure(object answer) => answer switch
    {
        NotLeader notLeader => NotLeaderFailure(notLeader.LeaderHint, notLeader.Reason),
        RequestTimedOut timedOut => DeadlineExceeded(timedOut.After, write: true),
        Overloaded overloaded => new RpcException(new Status(StatusCode.ResourceExhausted, $"overloaded: {overloaded.Reason}; nothing was proposed")),
        RequestRejected rejected => new RpcException(new Status(StatusCode.InvalidArgument, rejected.Reason)),
        ConfigurationChangeInProgress inProgress => new RpcException(new Status(StatusCode.Unavailable, $"{inProgress.Reason}; nothing was changed, retry shortly")),
        ConfigurationMismatch mismatch => new RpcException(new Status(StatusCode.FailedPrecondition,
            $"the voters are [{string.Join(", ", mismatch.Voters.Select(NameOf).Order(StringComparer.Ordinal))}], not the ones expected; nothing was changed")),
        StorageUnavailable storage => new RpcException(new Status(storage.OutOfSpace ? StatusCode.ResourceExhausted : StatusCode.Unavailable,
            $"{storage.Reason}; nothing was written, and this node takes no writes until its journal can be written again")),
        SessionNotFound notFound => new RpcException(new Status(StatusCode.NotFound, notFound.Reason)),
        LockNotHeld notHeld => new RpcException(new Status(StatusCode.NotFound, notHeld.Reason)),
        _ => new RpcException(new Status(StatusCode.Internal, $"unexpected answer from the Raft peer: {answer.GetType().Name}")),
    };

    /// <summary>UNAVAILABLE for a node that is not the leader, naming the leader in the trailers when it knows it.</summary>
    public RpcException NotLeaderFailure(ulong leaderHint, string reason)
    {
        if (leaderHint == RaftIds.None || leaderHint == Node.RaftId)
        {
            return new RpcException(new Status(StatusCode.Unavailable, "no leader yet: the cluster is electing one; retry shortly"));
        }

        var trailers = new Metadata { { LeaderIdTrailer, NameOf(leaderHint) } };
        var address = Node.Directory.Find(leaderHint) is { Grpc.Length: > 0 } leader ? leader.Grpc : null;
        if (address is not null) trailers.Add(LeaderAddressTrailer, address);
        var where = address is null ? "whose gRPC address this node does not know yet" : $"at {address}";
        return new RpcException(new Status(StatusCode.Unavailable,
            $"{reason}; the leader is {NameOf(leaderHint)} {where} (trailers {LeaderIdTrailer}, {LeaderAddressTrailer}); call it, or send metadata '{ForwardHeader}: true' to have this node pass the call on"), trailers);
    }

    /// <summary>DEADLINE_EXCEEDED; for a write, saying that it may still commit.</summary>
    public static RpcException DeadlineExceeded(TimeSpan after, bool write) =>
        new(new Status(StatusCode.DeadlineExceeded, write
            ? $"no outcome within {after.TotalMilliseconds.ToString("0", CultureInfo.InvariantCulture)}ms; the write may still commit (read the key before writing again)"
            : $"no answer within {after.TotalMilliseconds.ToString("0", CultureInfo.InvariantCulture)}ms"));

    /// <summary>The status of a key/value result that is not Ok; <paramref name="field"/> names the request field it is about.</summary>
    /// <param name="result">The failed result.</param>
    /// <param name="field">The request field of the key (<c>key</c>, <c>ops[2].put.key</c>).</param>
    /// <param name="key">The key or prefix, for the message.</param>
    /// <param name="compare">A compare was asked, so an absent key is a failed precondition rather than NOT_FOUND.</param>
    public static RpcException KvFailure(KvResult result, string field, string key, bool compare)
    {
        ArgumentNullException.ThrowIfNull(result);
        var detail = result.Message.Length > 0 ? result.Message : result.Status.ToString();
        return result.Status switch
        {
            KvStatus.KeyNotFound when compare => CompareFailed($"{field}: compare failed: key '{ClientText.Shown(key)}' does not exist", 0),
            KvStatus.KeyNotFound => new RpcException(new Status(StatusCode.NotFound, $"{field}: key '{ClientText.Shown(key)}' not found")),
            KvStatus.KeyExists => CompareFailed($"{field}: compare failed: key '{ClientText.Shown(key)}' already exists (mod_index {result.CurrentIndex})", result.CurrentIndex),
            KvStatus.KeyModified => CompareFailed($"{field}: compare failed: key '{ClientText.Shown(key)}' was modified (mod_index is {result.CurrentIndex})", result.CurrentIndex),
            KvStatus.KeyTooLarge => TooLarge($"{field}: {detail}", "akkaraft.kv.max-key-bytes"),
            KvStatus.ValueTooLarge => TooLarge($"{field}: {detail}", "akkaraft.kv.max-value-bytes"),
            KvStatus.BatchTooLarge => TooLarge($"ops: {detail}", "akkaraft.kv.max-batch-keys"),
            _ => new RpcException(new Status(StatusCode.InvalidArgument, $"{field}: {detail}")),
        };
    }

    /// <summary>FAILED_PRECONDITION with the key's mod_index now in the <c>current-index</c> trailer.</summary>
    public static RpcException CompareFailed(string message, ulong currentIndex) =>
        new(new Status(StatusCode.FailedPrecondition, message + "; nothing was written"),
            new Metadata { { CurrentIndexTrailer, currentIndex.ToString(CultureInfo.InvariantCulture) } });

    /// <summary>PERMISSION_DENIED naming the field when <paramref name="key"/> lies where the cluster keeps its own records.</summary>
    /// <returns><paramref name="key"/>.</returns>
    /// <exception cref="RpcException">The key is under <see cref="MemberDirectory.InternalPrefix"/>.</exception>
    public static string Writable(string key, string field) =>
        MemberDirectory.IsInternal(key) ? throw new RpcException(new Status(StatusCode.PermissionDenied, $"{field}: {MemberDirectory.InternalWriteRefusal(key)}")) : key;

    /// <summary>INVALID_ARGUMENT naming the field.</summary>
    public static RpcException Invalid(string field, string problem) => new(new Status(StatusCode.InvalidArgument, $"{field}: {problem}; nothing was written"));

    /// <summary>INVALID_ARGUMENT naming the field; a read's message does not speak of writing.</summary>
    public static RpcException Invalid(string field, string problem, bool write) =>
        write ? Invalid(field, problem) : new(new Status(StatusCode.InvalidArgument, $"{field}: {problem}"));

    /// <summary>RESOURCE_EXHAUSTED naming the setting; a read's message does not speak of writing.</summary>
    public static RpcException Exhausted(string problem, string setting, bool write) =>
        write ? TooLarge(problem, setting) : new(new Status(StatusCode.ResourceExhausted, $"{problem} (the limit is {setting})"));

    /// <summary>RESOURCE_EXHAUSTED naming the setting that sets the limit.</summary>
    public static RpcException TooLarge(string problem, string setting) => new(new Status(StatusCode.ResourceExhausted, $"{problem} (the limit is {setting}); nothing was written"));

    // ------------------------------------------------------------------ request fields

    /// <summary>A key from its bytes: strict UTF-8, checked as the state machine will check it.</summary>
    /// <exception cref="RpcException">INVALID_ARGUMENT or RESOURCE_EXHAUSTED naming <paramref name="field"/>.</exception>
    public string Key(ByteString bytes, string field) => Text(bytes, field, prefix: false);

    /// <summary>A List or DeleteTree prefix (or a start key) from its bytes: as a key, but it may be empty.</summary>
    /// <exception cref="RpcException">INVALID_ARGUMENT or RESOURCE_EXHAUSTED naming <paramref name="field"/>.</exception>
    public string Prefix(ByteString bytes, string field) => Text(bytes, field, prefix: true);

    /// <summary>Checks a value's size against <c>akkaraft.kv.max-value-bytes</c>.</summary>
    /// <exception cref="RpcException">RESOURCE_EXHAUSTED naming <paramref name="field"/> and the setting.</exception>
    public void CheckValue(ByteString value, string field)
    {
        var max = Node.KvSettings.MaxValueBytes;
        if (value.Length > max) throw TooLarge($"{field} is {value.Length} bytes, more than {max}", "akkaraft.kv.max-value-bytes");
    }

    private string Text(ByteString bytes, string field, bool prefix)
    {
        string text;
        try
        {
            text = StrictUtf8.GetString(bytes.Span);
        }
        catch (DecoderFallbackException)
        {
            throw Invalid(field, "not valid UTF-8 (keys are UTF-8 text)");
        }

        var status = prefix ? KvKeys.CheckPrefix(text, Node.KvSettings, out var problem) : KvKeys.CheckKey(text, Node.KvSettings, out problem);
        return status switch
        {
            KvStatus.Ok => text,
            KvStatus.KeyTooLarge => throw TooLarge($"{field}: {problem}", "akkaraft.kv.max-key-bytes"),
            _ => throw Invalid(field, problem),
        };
    }

    /// <summary>A read level from its enum (kv.proto's <c>ReadLevel</c>).</summary>
    /// <exception cref="RpcException">INVALID_ARGUMENT naming <paramref name="field"/> for a value the contract does not define.</exception>
    public static PeerReadLevel LevelOf(ReadLevel level, string field) => level switch
    {
        ReadLevel.Default => PeerReadLevel.Default,
        ReadLevel.Stale => PeerReadLevel.Stale,
        ReadLevel.Consistent => PeerReadLevel.Consistent,
        _ => throw Invalid(field, $"unknown read level {(int)level}: READ_LEVEL_DEFAULT, READ_LEVEL_STALE or READ_LEVEL_CONSISTENT", write: false),
    };

    /// <summary>
    /// Checks a series name (or, with <paramref name="prefix"/>, a List prefix) as the HTTP API and the time-series
    /// state machine check it (<see cref="AkkaRaft.TimeSeries.TimeSeriesSettings.CheckName"/>).
    /// </summary>
    /// <exception cref="RpcException">INVALID_ARGUMENT, or RESOURCE_EXHAUSTED naming <c>akkaraft.time-series.max-series-name-bytes</c>.</exception>
    public string SeriesName(string name, string field, bool prefix, bool write)
    {
        ArgumentNullException.ThrowIfNull(name);
        return Node.TimeSeriesSettings.CheckName(name, out var problem, prefix) switch
        {
            TsStatus.Ok => name,
            TsStatus.NameTooLong => throw Exhausted($"{field}: {Sentence(problem)}", "akkaraft.time-series.max-series-name-bytes", write),
            _ => throw Invalid(field, Sentence(problem), write),
        };
    }

    /// <summary>
    /// Checks the size of an opaque command against what one journal event and one remote frame hold (the peer would
    /// refuse it after the call has waited for the leader otherwise).
    /// </summary>
    /// <exception cref="RpcException">RESOURCE_EXHAUSTED naming the setting that sets the limit.</exception>
    public void CheckCommand(int length, string field)
    {
        var (max, setting) = _maxCommand.Value;
        if (length > max) throw TooLarge($"{field} is {length} bytes, more than the {max} one log entry holds", setting);
    }

    /// <summary>The longest command a Write may carry (as <see cref="AkkaRaftNode"/> sets the peer's event limit up), and the setting that bounds it.</summary>
    private static (long Bytes, string Setting) MaxCommandOf(AkkaRaft.Configuration.Config config)
    {
        var journal = RaftPersistenceSettings.FromConfig(config).MaxEventBytes;
        var remote = RemotingSettings.FromConfig(config).MaxPayloadBytes;
        return journal <= remote
            ? (RaftPeerSetup.MaxCommandBytesOf(journal), "akkaraft.persistence.journal.max-event-bytes, less 128 bytes of framing")
            : (RaftPeerSetup.MaxCommandBytesOf(remote), "akkaraft.remote.maximum-frame-size-bytes, less the remote envelope and 128 bytes of framing");
    }

    /// <summary>The status of a time-series result that is not Ok; <paramref name="field"/> names the request field it is about.</summary>
    /// <param name="result">The failed result.</param>
    /// <param name="field">The request field (<c>series[1]</c>, <c>name</c>, <c>prefix</c>).</param>
    /// <param name="write">A Put (the message says nothing was written) rather than a read.</param>
    public static RpcException TsFailure(TsResult result, string field, bool write)
    {
        ArgumentNullException.ThrowIfNull(result);
        var detail = $"{field}: {Sentence(result.Message.Length > 0 ? result.Message : result.Status.ToString())}";
        var nothing = write ? "; nothing was written" : "";
        return result.Status switch
        {
            TsStatus.NotFound => new RpcException(new Status(StatusCode.NotFound, detail)),
            TsStatus.NameTooLong => Exhausted(detail, "akkaraft.time-series.max-series-name-bytes", write),
            TsStatus.TooManyPoints => Exhausted(detail, "akkaraft.time-series.max-points-per-command", write),
            TsStatus.TooManySeries => Exhausted(detail, "akkaraft.time-series.max-series", write),
            TsStatus.TooManyResults => Exhausted(detail, "akkaraft.time-series.max-query-points", write),
            // The series' state (its sealed blocks, its unit) refuses the points: no retry helps until the request changes.
            TsStatus.OutOfWindow => new RpcException(new Status(StatusCode.FailedPrecondition, detail + nothing),
                new Metadata { { OldestAcceptedTrailer, result.OldestAccepted.ToString(CultureInfo.InvariantCulture) } }),
            TsStatus.UnitMismatch => new RpcException(new Status(StatusCode.FailedPrecondition, detail + nothing)),
            _ => new RpcException(new Status(StatusCode.InvalidArgument, detail + nothing)),
        };
    }

    /// <summary>A message of the time-series store as part of a status message: without its closing "Nothing was written." and full stop.</summary>
    private static string Sentence(string message)
    {
        const string Nothing = " Nothing was written.";
        var text = message.EndsWith(Nothing, StringComparison.Ordinal) ? message[..^Nothing.Length] : message;
        return text.TrimEnd('.');
    }

    // ------------------------------------------------------------------ answers

    /// <summary>The response header: this node, the term it was in, the index, and the leader it knew.</summary>
    public ResponseHeader Header(ulong index, ulong leader, ulong term) => new()
    {
        MemberId = Node.Id,
        RaftTerm = term,
        Index = index,
        LeaderId = leader == RaftIds.None ? "" : NameOf(leader),
    };

    /// <summary>A node's name from its Raft id (the id in digits when the directory does not know it).</summary>
    public string NameOf(ulong raftId) => Node.Directory.Find(raftId)?.Id ?? (raftId == RaftIds.None ? "" : raftId.ToString(CultureInfo.InvariantCulture));

    /// <summary>Closes the channels to leaders.</summary>
    public void Dispose()
    {
        foreach (var channel in _leaderChannels.Values) channel.Dispose();
        _leaderChannels.Clear();
    }
}
