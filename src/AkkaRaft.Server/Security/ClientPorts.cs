using AkkaRaft.Server.Node;

namespace AkkaRaft.Server.Security;

/// <summary>What the HTTP and gRPC front ends share of <see cref="HttpSecuritySettings"/> when they build their Kestrel host.</summary>
public static class ClientPorts
{
    /// <summary>
    /// Makes <paramref name="builder"/>'s listeners serve TLS with the node's certificate when <paramref name="security"/>
    /// has one; returns the URL to listen on (<c>https://</c> or <c>http://</c> and <paramref name="address"/>).
    /// </summary>
    public static string Configure(WebApplicationBuilder builder, HostPort address, HttpSecuritySettings security)
    {
        ArgumentNullException.ThrowIfNull(builder);
        ArgumentNullException.ThrowIfNull(security);
        if (security.Tls is { } tls)
        {
            // The slim Kestrel (UseKestrelCore) leaves out what an https:// URL needs; this brings it back.
            builder.WebHost.UseKestrelHttpsConfiguration();
            builder.WebHost.ConfigureKestrel(k => ClientTls.Configure(k, tls));
        }

        return $"{security.Scheme}://{address}";
    }

    /// <summary>
    /// An HTTP client for this node's own calls to other members' HTTP APIs, trusting their certificates as
    /// <see cref="ClientTls.MemberHandler"/> says.
    /// </summary>
    public static HttpClient MemberClient(HttpSecuritySettings security, TimeSpan timeout)
    {
        ArgumentNullException.ThrowIfNull(security);
        var handler = ClientTls.MemberHandler(security.Tls) ?? new SocketsHttpHandler();
        return new HttpClient(handler) { Timeout = timeout };
    }

    /// <summary>The URL of <paramref name="hostPort"/> on another member, with this cluster's scheme (the members share their TLS settings).</summary>
    public static string Url(HttpSecuritySettings security, string hostPort) => $"{security.Scheme}://{hostPort}";

    /// <summary>Adds this node's own token, when it has one, to a call it makes of its own accord.</summary>
    public static void AddNodeToken(HttpRequestMessage request, HttpSecuritySettings security)
    {
        ArgumentNullException.ThrowIfNull(request);
        if (security.NodeToken is { } token) request.Headers.Authorization = new(AccessTokens.BearerScheme, token);
    }
}
