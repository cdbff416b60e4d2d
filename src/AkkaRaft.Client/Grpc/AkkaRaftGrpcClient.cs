using System.Collections.Concurrent;
using System.Net.Security;
using System.Security.Cryptography.X509Certificates;
using AkkaRaft.Client.Security;
using Grpc.Core;
using Grpc.Core.Interceptors;
using Grpc.Net.Client;

namespace AkkaRaft.Client.Grpc;

/// <summary>
/// The core of AkkaRaft's .NET gRPC client: sends unary calls to a cluster given as a list of member endpoints,
/// following the leader. Typed clients (<see cref="KvClient"/>, <see cref="ClusterClient"/>) are thin layers over
/// <see cref="CallAsync{TResponse}"/>. Thread-safe; make one per cluster and share it.
/// <para>
/// Each endpoint gets one <see cref="GrpcChannel"/>, made at its first use. A call goes to the endpoint that last
/// served (the leader, once known). Wait-for-ready is the client's own: before sending, it waits up to
/// <see cref="AkkaRaftGrpcClientOptions.ConnectTimeout"/> for that channel to be ready, so a node that is starting is
/// waited for rather than failed, and one that does not come up is left for the next endpoint. The call itself is sent
/// without gRPC's WaitForReady: with it, a call made as its member went away (the channel ready when checked, its
/// connection gone when the call is picked) waits for a reconnection that never comes until its whole deadline, and a
/// write that was never sent ends with an unknown outcome. Without it, that call fails at once with the connection
/// refused, and goes to the next endpoint.
/// </para>
/// <para>
/// Retries (<see cref="RetryRules"/>): on UNAVAILABLE naming the leader (trailer <c>leader-address</c>) the call goes
/// there at once, adding it to the endpoints if new; on UNAVAILABLE without one, or an endpoint not ready, the next
/// endpoint after a wait from <see cref="Backoff"/> (exponential, full jitter), until the call's deadline or
/// cancellation. A write is never sent again after DEADLINE_EXCEEDED, CANCELLED or a connection that broke mid-call:
/// it may have committed, and <see cref="WriteOutcomeUnknownException"/> says so. Reads are sent again after any
/// transport failure.
/// </para>
/// <para>
/// Why a retry loop of our own, and not gRPC's retry policy (service config) or Polly: following the leader means
/// switching channels, which a channel's own retry policy cannot do (it resends on the same channel, and cannot read
/// a trailer to choose where); its UNAVAILABLE retry would also resend a write whose connection broke mid-call, which
/// we must not. Polly could run the loop, but the loop's decisions (where to go next, which status is safe for which
/// call) are the part that matters, and they are a few lines here, tested alone, without another dependency.
/// </para>
/// </summary>
public sealed class AkkaRaftGrpcClient : IDisposable
{
    private readonly AkkaRaftGrpcClientOptions _options;
    private readonly Backoff _backoff;
    private readonly Random _random;
    private readonly Lock _randomLock = new();
    private readonly Lock _endpointsLock = new();
    private readonly List<string> _endpoints;
    private readonly ConcurrentDictionary<string, Lazy<GrpcChannel>> _channels = new(StringComparer.OrdinalIgnoreCase);
    private volatile string _preferred;
    private volatile string? _lastLeader;
    private int _disposed;

    /// <summary>A client of the cluster at <paramref name="options"/>' endpoints; nothing is connected until the first call.</summary>
    /// <exception cref="ArgumentException">An option out of range (<see cref="AkkaRaftGrpcClientOptions.Validate"/>).</exception>
    public AkkaRaftGrpcClient(AkkaRaftGrpcClientOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        _options = options;
        _backoff = Backoff.Of(options);
        _random = options.JitterSeed is { } seed ? new Random(seed) : new Random();
        _endpoints = [];
        foreach (var endpoint in options.Endpoints)
        {
            var normalized = Endpoint.Normalize(endpoint, nameof(options.Endpoints));
            if (!_endpoints.Contains(normalized, StringComparer.OrdinalIgnoreCase)) _endpoints.Add(normalized);
        }

        _preferred = _endpoints[0];
    }

    /// <summary>A client of the members at <paramref name="endpoints"/> (host:port), with the default options.</summary>
    public AkkaRaftGrpcClient(params string[] endpoints) : this(new AkkaRaftGrpcClientOptions { Endpoints = endpoints })
    {
    }

    /// <summary>The options the client was made with.</summary>
    public AkkaRaftGrpcClientOptions Options => _options;

    /// <summary>The endpoints known: those given, then leaders named by members, in the order they were learnt.</summary>
    public IReadOnlyList<string> Endpoints
    {
        get
        {
            lock (_endpointsLock) return [.. _endpoints];
        }
    }

    /// <summary>The endpoint the next call goes to first: the one that last served a call, or that a member named leader.</summary>
    public string CurrentEndpoint => _preferred;

    /// <summary>The leader's address as last learnt (a member named it, or a write was answered there); null before.</summary>
    public string? LastLeader => _lastLeader;

    /// <summary>
    /// Sends a unary call, retrying as the class comment says, until it is answered or its deadline passes.
    /// </summary>
    /// <param name="kind">Whether the call writes: it decides what may be sent again.</param>
    /// <param name="call">Makes the call on a channel's invoker with the options given (deadline, cancellation, headers).</param>
    /// <param name="deadline">When the whole call, retries included, must be done (UTC); null for now + <see cref="AkkaRaftGrpcClientOptions.Deadline"/>.</param>
    /// <param name="headers">Request metadata for every attempt (a session's, for example).</param>
    /// <param name="cancellationToken">Stops the call and its retries.</param>
    /// <exception cref="RpcException">The node's answer that no retry changes (INVALID_ARGUMENT, FAILED_PRECONDITION, NOT_FOUND, RESOURCE_EXHAUSTED, ...), or a read out of time.</exception>
    /// <exception cref="WriteOutcomeUnknownException">A write ended without an outcome; it may have committed.</exception>
    /// <exception cref="RaftUnavailableException">The deadline passed with no member serving the call; nothing was written.</exception>
    /// <exception cref="OperationCanceledException">Cancelled between two attempts (nothing was written).</exception>
    public async Task<TResponse> CallAsync<TResponse>(
        RaftCallKind kind,
        Func<CallInvoker, CallOptions, AsyncUnaryCall<TResponse>> call,
        DateTime? deadline = null,
        Metadata? headers = null,
        CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(call);
        ObjectDisposedException.ThrowIf(Volatile.Read(ref _disposed) != 0, this);
        var until = deadline?.ToUniversalTime() ?? DateTime.UtcNow + _options.Deadline;
        var endpoint = _preferred;
        var attempts = 0;
        var backoffs = 0;
        var hops = 0;
        RpcException? last = null;
        var problem = "";
        // Endpoints this call could not connect to: a member naming one of them as the leader (a stale address, a leader
        // that just died) is not followed there again; the call goes on round the list, which holds the real one.
        var unreachable = new HashSet<string>(StringComparer.OrdinalIgnoreCase);
        while (true)
        {
            cancellationToken.ThrowIfCancellationRequested();
            if (DateTime.UtcNow >= until) throw OutOfTime(attempts, last, problem);
            var channel = ChannelOf(endpoint);
            attempts++;
            string next;
            var notReady = await NotReadyAsync(channel, until, cancellationToken).ConfigureAwait(false);
            if (notReady is null)
            {
                try
                {
                    var options = new CallOptions(headers, until, cancellationToken);
                    var response = await call(InvokerOf(channel), options).ConfigureAwait(false);
                    _preferred = endpoint;
                    if (kind != RaftCallKind.Read) _lastLeader = endpoint;
                    return response;
                }
                catch (RpcException e)
                {
                    var outOfTime = cancellationToken.IsCancellationRequested || DateTime.UtcNow >= until;
                    switch (RetryRules.Classify(e, kind, outOfTime))
                    {
                        case RetryVerdict.OutcomeUnknown:
                            throw new WriteOutcomeUnknownException(endpoint, e);
                        case RetryVerdict.Fail when outOfTime && RetryRules.Classify(e, kind, outOfTime: false) == RetryVerdict.Retry:
                            // A failure that would have been retried, had there been time: nothing was written.
                            throw OutOfTime(attempts, e, $"{endpoint}: {e.StatusCode} ({e.Status.Detail})");
                        case RetryVerdict.Fail:
                            throw;
                    }

                    last = e;
                    problem = $"{endpoint}: {e.StatusCode} ({e.Status.Detail})";
                    if (RetryRules.LeaderAddress(e) is { } named && TryNormalize(named) is { } leader && !unreachable.Contains(leader))
                    {
                        Learn(leader);
                        _lastLeader = leader;
                        _preferred = leader;
                        // At once, unless the members keep naming each other (an election under way): then back off.
                        if (!string.Equals(leader, endpoint, StringComparison.OrdinalIgnoreCase) && hops < EndpointCount)
                        {
                            hops++;
                            endpoint = leader;
                            continue;
                        }

                        next = leader;
                    }
                    else
                    {
                        next = NextAfter(endpoint);
                    }
                }
            }
            else
            {
                problem = $"{endpoint}: {notReady}";
                unreachable.Add(endpoint);
                next = NextAfter(endpoint);
            }

            var delay = Jitter(backoffs++);
            hops = 0;
            if (DateTime.UtcNow + delay >= until) throw OutOfTime(attempts, last, problem);
            await Task.Delay(delay, cancellationToken).ConfigureAwait(false);
            endpoint = next;
        }
    }

    /// <summary>Closes every channel.</summary>
    public void Dispose()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0) return;
        foreach (var channel in _channels.Values)
        {
            if (channel.IsValueCreated) channel.Value.Dispose();
        }

        _channels.Clear();
    }

    private int EndpointCount
    {
        get
        {
            lock (_endpointsLock) return _endpoints.Count;
        }
    }

    private RaftUnavailableException OutOfTime(int attempts, RpcException? last, string problem) =>
        new($"no member served the call before its deadline ({attempts} attempts over [{string.Join(", ", Endpoints)}]; last: {(problem.Length > 0 ? problem : "none")}); nothing was written",
            attempts, last);

    /// <summary>
    /// Waits until <paramref name="channel"/> has a ready connection, for at most the connect timeout (and never past
    /// <paramref name="until"/>), and answers null; else why it has none: none by then, or its connection attempt
    /// failed (refused, reset: nothing listens there now, and the next endpoint is a better use of the time). When it
    /// has none, nothing was sent on it.
    /// </summary>
    private async Task<string?> NotReadyAsync(GrpcChannel channel, DateTime until, CancellationToken cancellationToken)
    {
        ConnectivityState state;
        try
        {
            state = channel.State;
        }
        catch (InvalidOperationException)
        {
            // A handler of the app's own (ConfigureChannel) without connectivity state: the call is sent, and a connection
            // that cannot be made fails it as never connected (the next endpoint, after a backoff).
            return null;
        }

        if (state == ConnectivityState.Ready) return null;
        var wait = until - DateTime.UtcNow;
        if (wait > _options.ConnectTimeout) wait = _options.ConnectTimeout;
        var noneInTime = $"no connection ready within {wait.TotalMilliseconds:0} ms";
        if (wait <= TimeSpan.Zero) return noneInTime;
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(wait);
        var connect = channel.ConnectAsync(timeout.Token);
        try
        {
            while (true)
            {
                timeout.Token.ThrowIfCancellationRequested();
                state = channel.State;
                if (state == ConnectivityState.Ready) return null;
                if (state == ConnectivityState.TransientFailure) return "its connection failed (refused or reset)";
                await Task.WhenAny(connect, channel.WaitForStateChangedAsync(state, timeout.Token)).ConfigureAwait(false);
                if (connect.IsCompleted)
                {
                    await connect.ConfigureAwait(false);
                    return null;
                }
            }
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            return noneInTime;
        }
        finally
        {
            // The channel goes on reconnecting by itself (its own backoff); this wait stops here.
            await timeout.CancelAsync().ConfigureAwait(false);
            await ((Task)connect).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        }
    }

    /// <summary>The channel's invoker, adding the token to every call's metadata when there is one.</summary>
    private CallInvoker InvokerOf(GrpcChannel channel)
    {
        var invoker = channel.CreateCallInvoker();
        if (_options.Token is not { } token) return invoker;
        var credential = "Bearer " + token;
        return invoker.Intercept(metadata =>
        {
            metadata.Add("authorization", credential);
            return metadata;
        });
    }

    private GrpcChannel ChannelOf(string endpoint) =>
        _channels.GetOrAdd(endpoint, e => new Lazy<GrpcChannel>(() => Open(e), LazyThreadSafetyMode.ExecutionAndPublication)).Value;

    private GrpcChannel Open(string endpoint)
    {
        var options = new GrpcChannelOptions
        {
            // A node that comes back is seen again within the client's own backoff, not gRPC's default (up to 120 s).
            InitialReconnectBackoff = _options.BackoffBase,
            MaxReconnectBackoff = _options.BackoffMax,
        };
        if (_options.UseTls && (_options.CaCertificates is not null || _options.ClientCertificate is not null))
        {
            options.HttpHandler = TlsHandler(_options.CaCertificates, _options.ClientCertificate);
            options.DisposeHttpClient = true;
        }

        _options.ConfigureChannel?.Invoke(options);
        return GrpcChannel.ForAddress((_options.UseTls ? "https://" : "http://") + endpoint, options);
    }

    /// <summary>A handler that trusts only <paramref name="ca"/> (when given) and presents <paramref name="clientCertificate"/> (when given).</summary>
    private static SocketsHttpHandler TlsHandler(X509Certificate2Collection? ca, X509Certificate2? clientCertificate)
    {
        var ssl = new SslClientAuthenticationOptions();
        if (clientCertificate is not null) ssl.ClientCertificates = new X509CertificateCollection { clientCertificate };
        if (ca is not null)
        {
            ssl.RemoteCertificateValidationCallback = (_, certificate, presented, errors) =>
            {
                if ((errors & (SslPolicyErrors.RemoteCertificateNameMismatch | SslPolicyErrors.RemoteCertificateNotAvailable)) != 0) return false;
                return certificate is X509Certificate2 server && PrivateCaChain.Verifies(server, presented, ca);
            };
        }

        // gRPC wants HTTP/2 connections kept open and several streams on each.
        return new SocketsHttpHandler { SslOptions = ssl, EnableMultipleHttp2Connections = true };
    }

    private void Learn(string endpoint)
    {
        lock (_endpointsLock)
        {
            if (!_endpoints.Contains(endpoint, StringComparer.OrdinalIgnoreCase)) _endpoints.Add(endpoint);
        }
    }

    private string NextAfter(string endpoint)
    {
        lock (_endpointsLock)
        {
            var index = _endpoints.FindIndex(e => string.Equals(e, endpoint, StringComparison.OrdinalIgnoreCase));
            return _endpoints[(index + 1) % _endpoints.Count];
        }
    }

    private TimeSpan Jitter(int attempt)
    {
        lock (_randomLock) return _backoff.Delay(attempt, _random);
    }

    private static string? TryNormalize(string endpoint)
    {
        try
        {
            return Endpoint.Normalize(endpoint, "leader-address");
        }
        catch (ArgumentException)
        {
            // A trailer that is not host:port is ignored: the next endpoint is tried instead.
            return null;
        }
    }
}
