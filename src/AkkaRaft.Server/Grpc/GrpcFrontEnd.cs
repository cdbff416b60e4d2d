using AkkaRaft.Server.Limits;
using AkkaRaft.Server.Node;
using AkkaRaft.Server.Security;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Grpc.AspNetCore.Server;
using Microsoft.AspNetCore.Routing;
using Microsoft.AspNetCore.Server.Kestrel.Core;

namespace AkkaRaft.Server.Grpc;

/// <summary>
/// The gRPC API of one node (the services of <c>protos/*.proto</c>) on Kestrel, on a listener of its own
/// (<c>akkaraft.grpc.address</c>): HTTP/2 only, over TLS with the HTTP API's certificate (<c>akkaraft.http.tls</c>) or
/// h2c without one, and the HTTP API's tokens checked by <see cref="GrpcAccessInterceptor"/> before any service runs.
/// The services share one <see cref="RaftCalls"/>, the single place where the peer's answers become gRPC statuses.
/// </summary>
public sealed class GrpcFrontEnd : IAsyncDisposable
{
    private readonly AkkaRaftNode _node;
    private readonly WebApplication _app;
    private readonly RaftCalls _calls;

    private GrpcFrontEnd(AkkaRaftNode node, WebApplication app, RaftCalls calls)
    {
        _node = node;
        _app = app;
        _calls = calls;
    }

    /// <summary>The request limits of this listener (their refusal counts).</summary>
    public ClientLimits Limits => _app.Services.GetRequiredService<ClientLimits>();

    /// <summary>The routes this listener serves (its endpoint data sources): what the bad-input fuzzer walks.</summary>
    internal IReadOnlyList<Endpoint> Endpoints =>
        ((Microsoft.AspNetCore.Routing.IEndpointRouteBuilder)_app).DataSources.SelectMany(source => source.Endpoints).ToList();

    /// <summary>The address Kestrel listens on.</summary>
    public HostPort Address { get; private set; }

    /// <summary>
    /// Starts the gRPC API on <c>akkaraft.grpc.address</c> and advertises the bound address to the cluster; null when
    /// the setting is empty (the gRPC API is off).
    /// </summary>
    /// <exception cref="IOException">The address cannot be bound.</exception>
    public static async Task<GrpcFrontEnd?> StartAsync(AkkaRaftNode node, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(node);
        var settings = node.Settings.Grpc;
        if (settings.Address is not { } address) return null;
        // An empty host, as the HTTP front end's: the node's configuration is its HOCON.
        var builder = WebApplication.CreateEmptyBuilder(new WebApplicationOptions { ContentRootPath = AppContext.BaseDirectory });
        builder.WebHost.UseKestrelCore();
        var clientLimits = GrpcLimits.Create(ClientLimitsSettings.FromConfig(node.Config));
        // No body limit of Kestrel's: each message is bounded by max-message-bytes (its length prefix is read first).
        builder.WebHost.ConfigureKestrel(k => clientLimits.ApplyTo(k, maxBodyBytes: null, listen => listen.Protocols = HttpProtocols.Http2));
        builder.Services.AddRoutingCore();
        var security = node.Settings.Security;
        var url = ClientPorts.Configure(builder, address, security);
        builder.Services.AddGrpc(options =>
        {
            if (security.Tokens.Enabled) options.Interceptors.Add<GrpcAccessInterceptor>(security.Tokens);
            options.MaxReceiveMessageSize = settings.MaxMessageBytes;
            // Errors carry their own messages (RaftCalls); an unexpected exception says only its type.
            options.EnableDetailedErrors = false;
        });
        var calls = new RaftCalls(node);
        builder.Services.AddSingleton(calls);
        builder.Services.AddSingleton(clientLimits);
        var app = builder.Build();
        app.Urls.Add(url);
        app.Use((context, next) => clientLimits.InvokeAsync(context, () => next()));
        app.UseRouting();
        var frames = new GrpcRequestFrames(settings.MaxMessageBytes);
        app.Use((context, next) => frames.InvokeAsync(context, () => next()));
        app.MapGrpcService<KvService>();
        app.MapGrpcService<ClusterService>();
        app.MapGrpcService<SessionService>();
        app.MapGrpcService<WatchService>();
        app.MapGrpcService<LockService>();
        app.MapGrpcService<TimeSeriesService>();
        app.MapGrpcService<StateMachineService>();
        CheckEveryMethodHasRole(app);
        var frontEnd = new GrpcFrontEnd(node, app, calls);
        await app.StartAsync(cancellationToken).ConfigureAwait(false);
        var bound = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        frontEnd.Address = HostPort.TryParse(bound, out var hp) ? hp : address;
        node.AdvertiseGrpc(frontEnd.Address);
        return frontEnd;
    }

    /// <summary>Every gRPC method this front end serves, by full name.</summary>
    internal IEnumerable<string> MethodNames() => MethodNames(_app);

    /// <summary>Every gRPC method <paramref name="app"/> serves, by full name (<c>/akkaraft.v1.Kv/Put</c>).</summary>
    public static IEnumerable<string> MethodNames(IEndpointRouteBuilder app)
    {
        ArgumentNullException.ThrowIfNull(app);
        return app.DataSources.SelectMany(d => d.Endpoints)
            .Select(e => e.Metadata.GetMetadata<GrpcMethodMetadata>())
            .OfType<GrpcMethodMetadata>()
            // The catch-all endpoints that answer UNIMPLEMENTED for unknown methods serve nothing.
            .Where(m => m.ServiceType != typeof(object))
            .Select(m => m.Method.FullName)
            .Distinct();
    }

    /// <summary>A node whose gRPC API has a method without a role in <see cref="AccessTable.GrpcMethods"/> does not start.</summary>
    /// <exception cref="InvalidOperationException">A method has no role.</exception>
    private static void CheckEveryMethodHasRole(IEndpointRouteBuilder app)
    {
        var missing = AccessTable.GrpcMethodsWithoutRole(MethodNames(app));
        if (missing.Count > 0)
        {
            throw new InvalidOperationException($"gRPC methods without a role in AccessTable.GrpcMethods: {string.Join(", ", missing)}");
        }
    }

    /// <summary>Stops accepting calls and lets the running ones finish (up to the shutdown timeout).</summary>
    public async ValueTask DisposeAsync()
    {
        using var timeout = new CancellationTokenSource(_node.Settings.ShutdownTimeout);
        var limits = Limits;
        await _app.StopAsync(timeout.Token).ConfigureAwait(false);
        await _app.DisposeAsync().ConfigureAwait(false);
        _calls.Dispose();
        limits.Dispose();
    }
}
