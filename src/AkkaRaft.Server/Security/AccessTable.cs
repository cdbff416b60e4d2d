using System.Collections.Frozen;

namespace AkkaRaft.Server.Security;

/// <summary>
/// The role each route of the HTTP API and each method of the gRPC API needs: the one place that says who may do
/// what. A route or method missing here is refused to everyone (and the front ends refuse to start with one, so a
/// new route cannot ship without its role). Roles follow issue #19: <c>read</c> reads, watches and status;
/// <c>write</c> also writes, sessions, locks, time-series appends; <c>admin</c> also membership and leadership.
/// </summary>
public static class AccessTable
{
    /// <summary>HTTP routes, keyed <c>"METHOD pattern"</c> as ASP.NET Core routing names them.</summary>
    public static FrozenDictionary<string, ClientRole> HttpRoutes { get; } = new Dictionary<string, ClientRole>(StringComparer.Ordinal)
    {
        ["POST /key"] = ClientRole.Write,
        ["GET /key/{**key}"] = ClientRole.Read,
        ["HEAD /key/{**key}"] = ClientRole.Read,
        ["DELETE /key/{**key}"] = ClientRole.Write,
        ["GET /keys"] = ClientRole.Read,
        ["DELETE /keys"] = ClientRole.Write,
        ["POST /join"] = ClientRole.Admin,
        ["DELETE /join/{id}"] = ClientRole.Admin,
        ["POST /leader"] = ClientRole.Admin,
        ["POST /config"] = ClientRole.Admin,
        ["GET /status"] = ClientRole.Read,
        ["GET /metrics"] = ClientRole.Read,
        ["POST /series"] = ClientRole.Write,
        ["POST /series/{**name}"] = ClientRole.Write,
        ["GET /series"] = ClientRole.Read,
        ["GET /series/{**name}"] = ClientRole.Read,
        ["GET /watch/{**key}"] = ClientRole.Read,
        ["POST /lock/{**name}"] = ClientRole.Write,
        ["DELETE /lock/{**name}"] = ClientRole.Write,
        ["POST /session"] = ClientRole.Write,
        ["PUT /session/{id}"] = ClientRole.Write,
        ["DELETE /session/{id}"] = ClientRole.Write,
        ["GET /sessions"] = ClientRole.Read,
    }.ToFrozenDictionary(StringComparer.Ordinal);

    /// <summary>
    /// HTTP routes anyone may call, token or not: the web console's static files (<c>/ui/</c>), which hold no data. A
    /// browser cannot send a bearer token when it navigates to a page; the page asks for one and sends it on every call
    /// it makes to the API, where the table above applies.
    /// </summary>
    public static FrozenSet<string> PublicHttpRoutes { get; } = new[] { "GET /ui/{**path}" }.ToFrozenSet(StringComparer.Ordinal);

    /// <summary>gRPC methods, keyed by their full name <c>/package.Service/Method</c> (as <c>ServerCallContext.Method</c>).</summary>
    public static FrozenDictionary<string, ClientRole> GrpcMethods { get; } = new Dictionary<string, ClientRole>(StringComparer.Ordinal)
    {
        ["/akkaraft.v1.Kv/Put"] = ClientRole.Write,
        ["/akkaraft.v1.Kv/Get"] = ClientRole.Read,
        ["/akkaraft.v1.Kv/Delete"] = ClientRole.Write,
        ["/akkaraft.v1.Kv/List"] = ClientRole.Read,
        ["/akkaraft.v1.Kv/DeleteTree"] = ClientRole.Write,
        ["/akkaraft.v1.Kv/CompareAndSwap"] = ClientRole.Write,
        ["/akkaraft.v1.Kv/Batch"] = ClientRole.Write,
        ["/akkaraft.v1.Session/Open"] = ClientRole.Write,
        ["/akkaraft.v1.Session/KeepAlive"] = ClientRole.Write,
        ["/akkaraft.v1.Session/Close"] = ClientRole.Write,
        ["/akkaraft.v1.Watch/Watch"] = ClientRole.Read,
        ["/akkaraft.v1.Lock/Lock"] = ClientRole.Write,
        ["/akkaraft.v1.Lock/Unlock"] = ClientRole.Write,
        ["/akkaraft.v1.TimeSeries/Put"] = ClientRole.Write,
        ["/akkaraft.v1.TimeSeries/Get"] = ClientRole.Read,
        ["/akkaraft.v1.TimeSeries/List"] = ClientRole.Read,
        ["/akkaraft.v1.StateMachine/Apply"] = ClientRole.Write,
        ["/akkaraft.v1.StateMachine/Query"] = ClientRole.Read,
        ["/akkaraft.v1.Cluster/Status"] = ClientRole.Read,
        ["/akkaraft.v1.Cluster/Join"] = ClientRole.Admin,
        ["/akkaraft.v1.Cluster/Remove"] = ClientRole.Admin,
        ["/akkaraft.v1.Cluster/SetVoters"] = ClientRole.Admin,
        ["/akkaraft.v1.Cluster/TransferLeader"] = ClientRole.Admin,
    }.ToFrozenDictionary(StringComparer.Ordinal);

    /// <summary>
    /// The role a request that matched no route needs (a 404 or 405 answer): any valid token, so that an anonymous
    /// caller learns nothing about which paths exist when tokens are on.
    /// </summary>
    public const ClientRole Unrouted = ClientRole.Read;

    /// <summary>The key of an HTTP route in <see cref="HttpRoutes"/>.</summary>
    public static string HttpKey(string method, string pattern) => method + " " + pattern;

    /// <summary>The entries of <paramref name="routes"/> (<c>"METHOD pattern"</c> keys) that have no role in <see cref="HttpRoutes"/>.</summary>
    public static IReadOnlyList<string> HttpRoutesWithoutRole(IEnumerable<string> routes) =>
        routes.Where(r => !HttpRoutes.ContainsKey(r) && !PublicHttpRoutes.Contains(r)).Distinct().ToList();

    /// <summary>The full method names of <paramref name="methods"/> that have no role in <see cref="GrpcMethods"/>.</summary>
    public static IReadOnlyList<string> GrpcMethodsWithoutRole(IEnumerable<string> methods) => methods.Where(m => !GrpcMethods.ContainsKey(m)).Distinct().ToList();
}
