using Grpc.Core;
using Grpc.Core.Interceptors;

namespace AkkaRaft.Server.Security;

/// <summary>
/// Bearer tokens on the gRPC API: every call's <c>authorization</c> metadata is checked against the role its method
/// needs (<see cref="AccessTable.GrpcMethods"/>) before the service runs: UNAUTHENTICATED without a known token,
/// PERMISSION_DENIED naming the role needed when the token's role is too weak. Registered only when tokens are configured.
/// </summary>
public sealed class GrpcAccessInterceptor(AccessTokens tokens) : Interceptor
{
    /// <summary>The metadata key of the credential (gRPC's lower-case spelling of the HTTP header).</summary>
    public const string AuthorizationHeader = "authorization";

    /// <inheritdoc />
    public override Task<TResponse> UnaryServerHandler<TRequest, TResponse>(TRequest request, ServerCallContext context, UnaryServerMethod<TRequest, TResponse> continuation)
    {
        Authorize(context);
        return continuation(request, context);
    }

    /// <inheritdoc />
    public override Task<TResponse> ClientStreamingServerHandler<TRequest, TResponse>(IAsyncStreamReader<TRequest> requestStream, ServerCallContext context, ClientStreamingServerMethod<TRequest, TResponse> continuation)
    {
        Authorize(context);
        return continuation(requestStream, context);
    }

    /// <inheritdoc />
    public override Task ServerStreamingServerHandler<TRequest, TResponse>(TRequest request, IServerStreamWriter<TResponse> responseStream, ServerCallContext context, ServerStreamingServerMethod<TRequest, TResponse> continuation)
    {
        Authorize(context);
        return continuation(request, responseStream, context);
    }

    /// <inheritdoc />
    public override Task DuplexStreamingServerHandler<TRequest, TResponse>(IAsyncStreamReader<TRequest> requestStream, IServerStreamWriter<TResponse> responseStream, ServerCallContext context, DuplexStreamingServerMethod<TRequest, TResponse> continuation)
    {
        Authorize(context);
        return continuation(requestStream, responseStream, context);
    }

    /// <exception cref="RpcException">UNAUTHENTICATED or PERMISSION_DENIED.</exception>
    private void Authorize(ServerCallContext context)
    {
        var outcome = tokens.Authenticate(context.RequestHeaders.GetValue(AuthorizationHeader), out var holder);
        switch (outcome)
        {
            case AuthenticationOutcome.Anonymous:
                return;
            case AuthenticationOutcome.Missing:
                throw new RpcException(new Status(StatusCode.Unauthenticated, "this node needs a bearer token (metadata authorization: Bearer <token>)"));
            case AuthenticationOutcome.Unknown:
                throw new RpcException(new Status(StatusCode.Unauthenticated, "the bearer token is not one this node accepts"));
        }

        if (!AccessTable.GrpcMethods.TryGetValue(context.Method, out var role))
        {
            throw new RpcException(new Status(StatusCode.PermissionDenied, $"{context.Method} has no role in the access table, so nobody may call it"));
        }

        if (holder!.Role < role)
        {
            throw new RpcException(new Status(StatusCode.PermissionDenied, $"{context.Method} needs role {role.Name()}; the token of '{holder.Name}' has role {holder.Role.Name()}"));
        }
    }
}
