using System.Security.Cryptography.X509Certificates;
using Grpc.Net.Client;

namespace AkkaRaft.Client.Grpc;

/// <summary>
/// Where an <see cref="AkkaRaftGrpcClient"/> sends its calls and how it retries them. A library's options, as
/// <see cref="GrpcChannelOptions"/> are: they live with the app that builds the client, not in a node's
/// <c>akkaraft.*</c> configuration. <see cref="Validate"/> says what is wrong with a value.
/// </summary>
public sealed record AkkaRaftGrpcClientOptions
{
    /// <summary>The members' gRPC addresses, <c>host:port</c> (as <c>akkaraft.grpc.address</c>); at least one. Any member will do: calls follow the leader.</summary>
    public required IReadOnlyList<string> Endpoints { get; init; }

    /// <summary>The time a call may take, retries and waits included, when its caller gives no deadline. Default 10 s.</summary>
    public TimeSpan Deadline { get; init; } = TimeSpan.FromSeconds(10);

    /// <summary>
    /// How long one endpoint may take to have a connection ready before the call goes to the next endpoint (nothing
    /// was sent to it, so even a write moves on). A connection refused or reset moves on at once. Default 1 s. With a
    /// single endpoint it is tried again until the deadline.
    /// </summary>
    public TimeSpan ConnectTimeout { get; init; } = TimeSpan.FromSeconds(1);

    /// <summary>The ceiling of the first backoff (full jitter: the wait is uniform in [0, ceiling)). Default 50 ms.</summary>
    public TimeSpan BackoffBase { get; init; } = TimeSpan.FromMilliseconds(50);

    /// <summary>The largest backoff ceiling. Default 2 s.</summary>
    public TimeSpan BackoffMax { get; init; } = TimeSpan.FromSeconds(2);

    /// <summary>How much the ceiling grows from one backoff to the next (at least 1). Default 2.</summary>
    public double BackoffMultiplier { get; init; } = 2;

    /// <summary>Seeds the jitter, for tests that need the same waits each run; null draws a seed at random.</summary>
    public int? JitterSeed { get; init; }

    /// <summary>Use https (TLS) to reach the endpoints; plain h2c (HTTP/2 without TLS, the node's default) when false.</summary>
    public bool UseTls { get; init; }

    /// <summary>
    /// A bearer token for nodes with <c>akkaraft.http.auth</c> tokens, sent as <c>authorization: Bearer</c> metadata on
    /// every call (over h2c too, so keep it to loopback or TLS); null for none. Never logged by the client.
    /// </summary>
    public string? Token { get; init; }

    /// <summary>
    /// The CA certificates that issued the nodes' certificates, trusted (and only they) when <see cref="UseTls"/>;
    /// null: the operating system's trust store. A handler set by <see cref="ConfigureChannel"/> replaces this.
    /// </summary>
    public X509Certificate2Collection? CaCertificates { get; init; }

    /// <summary>A certificate with its private key presented to nodes that ask for client certificates (<c>akkaraft.http.tls.client-certificate</c>); null for none.</summary>
    public X509Certificate2? ClientCertificate { get; init; }

    /// <summary>Changes the options each endpoint's channel is made with (message sizes, credentials, a handler).</summary>
    public Action<GrpcChannelOptions>? ConfigureChannel { get; init; }

    /// <summary>Checks every value.</summary>
    /// <exception cref="ArgumentException">A value out of range, naming the option.</exception>
    public void Validate()
    {
        if (Endpoints is null || Endpoints.Count == 0) throw new ArgumentException("Endpoints: at least one gRPC address (host:port) is needed", nameof(Endpoints));
        foreach (var endpoint in Endpoints) _ = Endpoint.Normalize(endpoint, nameof(Endpoints));
        Positive(Deadline, nameof(Deadline));
        Positive(ConnectTimeout, nameof(ConnectTimeout));
        Backoff.Check(BackoffBase, BackoffMax, BackoffMultiplier);
        if (Token is { } token && (token.Length == 0 || token.Any(char.IsWhiteSpace)))
        {
            throw new ArgumentException("Token: a bearer token is one word without spaces (or null for none)", nameof(Token));
        }

        if ((CaCertificates is not null || ClientCertificate is not null) && !UseTls)
        {
            throw new ArgumentException("CaCertificates and ClientCertificate need UseTls = true", nameof(UseTls));
        }
    }

    private static void Positive(TimeSpan value, string name)
    {
        if (value <= TimeSpan.Zero) throw new ArgumentException($"{name} must be more than zero, not {value}", name);
    }
}

/// <summary>Endpoint text: <c>host:port</c>, trimmed.</summary>
internal static class Endpoint
{
    /// <summary>The endpoint as the client keys its channels.</summary>
    /// <exception cref="ArgumentException">Not <c>host:port</c> with a port from 1 to 65535 (a URI is refused: <see cref="AkkaRaftGrpcClientOptions.UseTls"/> picks the scheme).</exception>
    public static string Normalize(string endpoint, string name)
    {
        var text = endpoint?.Trim() ?? "";
        var colon = text.LastIndexOf(':');
        if (colon <= 0 || text.Contains('/', StringComparison.Ordinal) || !int.TryParse(text.AsSpan(colon + 1), System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var port) || port is < 1 or > 65535)
        {
            throw new ArgumentException($"{name}: '{endpoint}' is not host:port (a gRPC address such as 127.0.0.1:8092)", name);
        }

        return text;
    }
}
