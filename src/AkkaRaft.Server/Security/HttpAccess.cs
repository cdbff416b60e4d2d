using AkkaRaft.Server.Http;
using Microsoft.AspNetCore.Routing;

namespace AkkaRaft.Server.Security;

/// <summary>
/// Bearer tokens on the HTTP API: a middleware after routing that looks up the role the matched route needs
/// (<see cref="AccessTable.HttpRoutes"/>) and answers 401 (no token or an unknown one, with <c>WWW-Authenticate:
/// Bearer</c>) or 403 (a role too weak, naming the role needed) as RFC 9457 problems. Tokens are never written
/// anywhere: problems name the token's holder, not the token.
/// </summary>
public static class HttpAccess
{
    /// <summary>The realm of the <c>WWW-Authenticate</c> challenge.</summary>
    public const string Realm = "akkaraft";

    /// <summary>Adds the check to <paramref name="app"/> (before its routes run; routing has matched by then).</summary>
    public static void Use(WebApplication app, AccessTokens tokens)
    {
        ArgumentNullException.ThrowIfNull(app);
        ArgumentNullException.ThrowIfNull(tokens);
        if (!tokens.Enabled) return;
        app.Use(async (context, next) =>
        {
            if (await AuthorizeAsync(context, tokens).ConfigureAwait(false)) await next(context).ConfigureAwait(false);
        });
    }

    /// <summary>
    /// Checks every route <paramref name="app"/> maps against <see cref="AccessTable.HttpRoutes"/>: a node whose API
    /// has a route without a role does not start (and the test of the table fails).
    /// </summary>
    /// <exception cref="InvalidOperationException">A route has no role.</exception>
    public static void CheckEveryRouteHasRole(IEndpointRouteBuilder app)
    {
        var missing = AccessTable.HttpRoutesWithoutRole(RouteKeys(app));
        if (missing.Count > 0)
        {
            throw new InvalidOperationException($"HTTP routes without a role in AccessTable.HttpRoutes: {string.Join(", ", missing)}");
        }
    }

    /// <summary>Every <c>"METHOD pattern"</c> that <paramref name="app"/> maps.</summary>
    public static IEnumerable<string> RouteKeys(IEndpointRouteBuilder app)
    {
        ArgumentNullException.ThrowIfNull(app);
        foreach (var endpoint in app.DataSources.SelectMany(d => d.Endpoints).OfType<RouteEndpoint>())
        {
            var methods = endpoint.Metadata.GetMetadata<HttpMethodMetadata>()?.HttpMethods ?? ["*"];
            foreach (var method in methods) yield return AccessTable.HttpKey(method, endpoint.RoutePattern.RawText ?? "");
        }
    }

    /// <summary>Whether the request matched a route anyone may call (<see cref="AccessTable.PublicHttpRoutes"/>).</summary>
    private static bool IsPublic(HttpContext context) =>
        context.GetEndpoint() is RouteEndpoint endpoint && endpoint.Metadata.GetMetadata<HttpMethodMetadata>() is { } methods
        && methods.HttpMethods.Contains(context.Request.Method, StringComparer.OrdinalIgnoreCase)
        && AccessTable.PublicHttpRoutes.Contains(AccessTable.HttpKey(context.Request.Method.ToUpperInvariant(), endpoint.RoutePattern.RawText ?? ""));

    /// <summary>The role a request needs: its route's, or <see cref="AccessTable.Unrouted"/> when it matched none; null for a route missing from the table.</summary>
    private static ClientRole? Needed(HttpContext context)
    {
        if (context.GetEndpoint() is not RouteEndpoint endpoint || endpoint.Metadata.GetMetadata<HttpMethodMetadata>() is not { } methods)
        {
            return AccessTable.Unrouted;
        }

        var method = methods.HttpMethods.Contains(context.Request.Method, StringComparer.OrdinalIgnoreCase) ? context.Request.Method : methods.HttpMethods[0];
        return AccessTable.HttpRoutes.TryGetValue(AccessTable.HttpKey(method.ToUpperInvariant(), endpoint.RoutePattern.RawText ?? ""), out var role) ? role : null;
    }

    private static async Task<bool> AuthorizeAsync(HttpContext context, AccessTokens tokens)
    {
        if (IsPublic(context)) return true;
        var outcome = tokens.Authenticate(context.Request.Headers.Authorization.ToString(), out var holder);
        switch (outcome)
        {
            case AuthenticationOutcome.Anonymous:
                return true;
            case AuthenticationOutcome.Missing:
                context.Response.Headers.WWWAuthenticate = $"{AccessTokens.BearerScheme} realm=\"{Realm}\"";
                await Problems.WriteAsync(context, StatusCodes.Status401Unauthorized,
                    "this node needs a bearer token (Authorization: Bearer <token>; the CLI's --token or AKKARAFT_TOKEN)").ConfigureAwait(false);
                return false;
            case AuthenticationOutcome.Unknown:
                context.Response.Headers.WWWAuthenticate = $"{AccessTokens.BearerScheme} realm=\"{Realm}\", error=\"invalid_token\"";
                await Problems.WriteAsync(context, StatusCodes.Status401Unauthorized, "the bearer token is not one this node accepts").ConfigureAwait(false);
                return false;
        }

        var needed = Needed(context);
        if (needed is not { } role)
        {
            await Problems.WriteAsync(context, StatusCodes.Status403Forbidden,
                $"{context.Request.Method} {context.Request.Path} has no role in the access table, so nobody may call it").ConfigureAwait(false);
            return false;
        }

        if (holder!.Role >= role) return true;
        context.Response.Headers.WWWAuthenticate = $"{AccessTokens.BearerScheme} realm=\"{Realm}\", error=\"insufficient_scope\", scope=\"{role.Name()}\"";
        await Problems.WriteAsync(context, StatusCodes.Status403Forbidden,
            $"{context.Request.Method} {context.Request.Path} needs role {role.Name()}; the token of '{holder.Name}' has role {holder.Role.Name()}",
            null, new Dictionary<string, object> { ["requiredRole"] = role.Name(), ["tokenRole"] = holder.Role.Name() }).ConfigureAwait(false);
        return false;
    }
}
