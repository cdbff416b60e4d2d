using System.Net;
using AkkaRaft.Configuration;
using AkkaRaft.Server.Security;

namespace AkkaRaft.Server.Node;

/// <summary>
/// The server's own settings: the node's addresses and how it finds its cluster (<c>akkaraft.node</c>, beside the
/// id and data directory of <see cref="NodeSettings"/>) and the HTTP API (<c>akkaraft.http</c>). Read once, validated.
/// </summary>
/// <param name="Node">Id and data directory.</param>
/// <param name="RaftAddress">host:port the Raft peer listens on (remoting).</param>
/// <param name="HttpAddress">host:port the HTTP API listens on.</param>
/// <param name="Join">HTTP address of any running member to join through; empty for none.</param>
/// <param name="Peers">The founding members of a static cluster (id and Raft address), this node among them; empty for none.</param>
/// <param name="RequestTimeout">How long an HTTP request waits for its write or read.</param>
/// <param name="MaxBodyBytes">Largest HTTP request body accepted.</param>
/// <param name="ShutdownTimeout">How long a stopping node waits for leadership transfer and in-flight requests.</param>
/// <param name="DirectoryRefreshInterval">How often the member directory is re-read from the replicated state.</param>
/// <param name="JoinRetryInterval">Wait between attempts to join through --join while it fails.</param>
/// <param name="StatusProgressTimeout">How long <c>GET /status</c> on a follower waits for the leader's replication progress.</param>
public sealed record ServerSettings(
    NodeSettings Node,
    HostPort RaftAddress,
    HostPort HttpAddress,
    string Join,
    IReadOnlyList<StaticPeer> Peers,
    TimeSpan RequestTimeout,
    long MaxBodyBytes,
    TimeSpan ShutdownTimeout,
    TimeSpan DirectoryRefreshInterval,
    TimeSpan JoinRetryInterval,
    TimeSpan StatusProgressTimeout)
{
    /// <summary>
    /// <c>akkaraft.node.learner</c>: a node that joins stays a learner (it receives the log but never votes) instead of
    /// being promoted to voter by the leader once caught up.
    /// </summary>
    public bool Learner { get; init; }

    /// <summary>The gRPC API (<c>akkaraft.grpc</c>).</summary>
    public GrpcSettings Grpc { get; init; } = new(null, TimeSpan.FromSeconds(5), 4 * 1024 * 1024);

    /// <summary>TLS, plaintext and tokens of both client ports (<c>akkaraft.http.tls</c>, <c>.allow-plaintext</c>, <c>.auth</c>).</summary>
    public HttpSecuritySettings Security { get; init; } = HttpSecuritySettings.Plain;

    /// <summary>Where the HTTP section lives.</summary>
    public const string HttpSectionPath = "akkaraft.http";

    /// <summary>Where the gRPC section lives.</summary>
    public const string GrpcSectionPath = "akkaraft.grpc";

    /// <summary>Reads and validates the server's settings from the full configuration.</summary>
    /// <exception cref="ConfigException">A setting is missing, malformed or out of range.</exception>
    public static ServerSettings FromConfig(Config config)
    {
        ArgumentNullException.ThrowIfNull(config);
        var node = NodeSettings.FromConfig(config);
        var raft = Address(config, NodeSettings.SectionPath + ".raft-address");
        var http = Address(config, HttpSectionPath + ".address");
        var join = config.GetString(NodeSettings.SectionPath + ".join").Trim();
        var peers = ParsePeers(config, NodeSettings.SectionPath + ".peers");
        var requestTimeout = Positive(config, HttpSectionPath + ".request-timeout");
        var maxBody = config.GetByteSizeInRange(HttpSectionPath + ".max-body-bytes", 1);
        var shutdown = Positive(config, HttpSectionPath + ".shutdown-timeout");
        var refresh = Positive(config, NodeSettings.SectionPath + ".directory-refresh-interval");
        var joinRetry = Positive(config, NodeSettings.SectionPath + ".join-retry-interval");
        var statusProgress = config.GetTimeSpanInRange(HttpSectionPath + ".status-progress-timeout", TimeSpan.FromMilliseconds(1), TimeSpan.FromMinutes(1));
        if (peers.Count > 0 && !peers.Any(p => p.Id == node.Id))
        {
            throw config.Invalid(NodeSettings.SectionPath + ".peers", $"the static peers must include this node ('{node.Id}')");
        }

        var grpc = ReadGrpc(config, http);
        return new ServerSettings(node, raft, http, join, peers, requestTimeout, maxBody, shutdown, refresh, joinRetry, statusProgress)
        {
            Learner = config.GetBoolean(NodeSettings.SectionPath + ".learner"),
            Grpc = grpc,
            Security = HttpSecuritySettings.FromConfig(config, http, grpc.Address),
        };
    }

    private static GrpcSettings ReadGrpc(Config config, HostPort http)
    {
        var path = GrpcSectionPath + ".address";
        var text = config.GetString(path).Trim();
        HostPort? address = null;
        if (text.Length > 0)
        {
            // ":port" listens on the HTTP API's host: both are the node's client-facing interface.
            address = text.StartsWith(':') && HostPort.TryParse(http.Host + text, out var onHttpHost) ? onHttpHost
                : HostPort.TryParse(text, out var parsed) ? parsed
                : throw config.Invalid(path, $"expected host:port, :port, or empty for off, got '{text}'");
        }

        return new GrpcSettings(
            address,
            Positive(config, GrpcSectionPath + ".request-timeout"),
            config.GetByteSizeInt32(GrpcSectionPath + ".max-message-bytes", 1024, 64 * 1024 * 1024));
    }

    /// <summary>Parses <c>id=host:port,id=host:port</c>.</summary>
    /// <exception cref="ConfigException">An element is not id=host:port.</exception>
    public static IReadOnlyList<StaticPeer> ParsePeers(Config config, string path)
    {
        var text = config.GetString(path).Trim();
        var peers = new List<StaticPeer>();
        if (text.Length == 0) return peers;
        foreach (var part in text.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            var eq = part.IndexOf('=');
            if (eq <= 0 || !HostPort.TryParse(part[(eq + 1)..], out var address))
            {
                throw config.Invalid(path, $"expected id=host:port[,id=host:port...], got '{part}'");
            }

            peers.Add(new StaticPeer(part[..eq], address));
        }

        return peers;
    }

    private static HostPort Address(Config config, string path)
    {
        var text = config.GetString(path);
        return HostPort.TryParse(text, out var address) ? address : throw config.Invalid(path, $"expected host:port, got '{text}'");
    }

    private static TimeSpan Positive(Config config, string path)
    {
        var value = config.GetTimeSpan(path);
        return value > TimeSpan.Zero ? value : throw config.Invalid(path, $"expected a positive duration, got {value.TotalMilliseconds}ms");
    }
}

/// <summary>The gRPC API's settings (<c>akkaraft.grpc</c>).</summary>
/// <param name="Address">host:port it listens on (port 0: the OS chooses); null when the gRPC API is off.</param>
/// <param name="RequestTimeout">Longest a call waits for its write or read (its deadline, when earlier, wins).</param>
/// <param name="MaxMessageBytes">Largest request message accepted, in bytes.</param>
public sealed record GrpcSettings(HostPort? Address, TimeSpan RequestTimeout, int MaxMessageBytes);

/// <summary>A founding member of a static cluster.</summary>
/// <param name="Id">Its node id.</param>
/// <param name="RaftAddress">Where its Raft peer listens.</param>
public sealed record StaticPeer(string Id, HostPort RaftAddress);

/// <summary>A host name (or IP literal) and a TCP port.</summary>
/// <param name="Host">Host name or IP literal.</param>
/// <param name="Port">TCP port, 0 to 65535 (0: the OS chooses).</param>
public readonly record struct HostPort(string Host, int Port)
{
    /// <summary>Parses <c>host:port</c> (also <c>[v6]:port</c>, and <c>http://host:port</c> with the scheme ignored).</summary>
    public static bool TryParse(string? text, out HostPort result)
    {
        result = default;
        if (string.IsNullOrWhiteSpace(text)) return false;
        var t = text.Trim();
        var scheme = t.IndexOf("://", StringComparison.Ordinal);
        if (scheme >= 0) t = t[(scheme + 3)..];
        t = t.TrimEnd('/');
        var colon = t.LastIndexOf(':');
        if (colon <= 0 || colon == t.Length - 1) return false;
        var host = t[..colon].Trim('[', ']');
        if (!int.TryParse(t[(colon + 1)..], System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var port)
            || port > IPEndPoint.MaxPort || host.Length == 0 || host.Any(char.IsWhiteSpace) || host.Contains('/'))
        {
            return false;
        }

        result = new HostPort(host, port);
        return true;
    }

    /// <summary>host:port, with brackets around an IPv6 literal.</summary>
    public override string ToString() => Host.Contains(':') ? $"[{Host}]:{Port}" : $"{Host}:{Port}";
}
