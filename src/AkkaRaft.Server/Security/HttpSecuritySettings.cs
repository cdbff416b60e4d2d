using System.Net;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using AkkaRaft.Configuration;
using AkkaRaft.Server.Node;

namespace AkkaRaft.Server.Security;

/// <summary>Whether the client ports ask TLS clients for a certificate (<c>akkaraft.http.tls.client-certificate</c>).</summary>
public enum ClientCertificatePolicy
{
    /// <summary>Not asked for.</summary>
    Off,

    /// <summary>Asked for; a client without one is served, a client with one not issued by the CA is refused.</summary>
    Optional,

    /// <summary>A client without a certificate issued by the CA is refused in the handshake.</summary>
    Required,
}

/// <summary>
/// <c>akkaraft.http.tls</c>: the certificate of the client ports (HTTP API and gRPC API alike). Loaded and checked
/// once at start; the password is not kept.
/// </summary>
/// <param name="Certificate">The node's certificate with its private key.</param>
/// <param name="CaCertificates">The CA certificates trusted for the members' certificates (the node's own https calls
/// to other members) and for client certificates; empty: the operating system's trust store.</param>
/// <param name="ClientCertificate">Whether clients must present a certificate.</param>
public sealed record ClientTlsSettings(X509Certificate2 Certificate, X509Certificate2Collection CaCertificates, ClientCertificatePolicy ClientCertificate);

/// <summary>
/// The security of the client ports (issue #19): TLS (<c>akkaraft.http.tls</c>), whether plain HTTP may listen off
/// loopback (<c>akkaraft.http.allow-plaintext</c>), and bearer tokens with roles (<c>akkaraft.http.auth</c>). Read
/// once at start and validated; a node whose settings fail here does not start.
/// </summary>
/// <param name="Tls">The certificate of both client ports; null for plain HTTP and h2c.</param>
/// <param name="AllowPlaintext">Whether a non-loopback address may listen without TLS.</param>
/// <param name="Tokens">The accepted tokens; <see cref="AccessTokens.None"/> accepts anonymous requests.</param>
/// <param name="NodeToken">The token this node sends on its own calls to other members (status progress, join); null for none.</param>
public sealed record HttpSecuritySettings(ClientTlsSettings? Tls, bool AllowPlaintext, AccessTokens Tokens, string? NodeToken)
{
    /// <summary>Where the settings live.</summary>
    public const string TlsPath = ServerSettings.HttpSectionPath + ".tls";

    /// <summary>Where the token settings live.</summary>
    public const string AuthPath = ServerSettings.HttpSectionPath + ".auth";

    /// <summary>The setting that lets plain HTTP listen off loopback.</summary>
    public const string AllowPlaintextPath = ServerSettings.HttpSectionPath + ".allow-plaintext";

    /// <summary>No TLS, no tokens: plain HTTP on loopback, as before issue #19.</summary>
    public static HttpSecuritySettings Plain { get; } = new(null, false, AccessTokens.None, null);

    /// <summary>The scheme of the HTTP API: https with TLS, http without.</summary>
    public string Scheme => Tls is null ? "http" : "https";

    /// <summary>
    /// Reads and checks <c>akkaraft.http.tls</c>, <c>akkaraft.http.allow-plaintext</c> and <c>akkaraft.http.auth</c>;
    /// <paramref name="http"/> and <paramref name="grpc"/> are the client addresses the plaintext rule looks at.
    /// </summary>
    /// <exception cref="ConfigException">A file cannot be read, a certificate or token line is unusable, or a client
    /// address off loopback would serve plain HTTP without <c>allow-plaintext = on</c>.</exception>
    public static HttpSecuritySettings FromConfig(Config config, HostPort http, HostPort? grpc)
    {
        ArgumentNullException.ThrowIfNull(config);
        var tls = ReadTls(config);
        var allowPlaintext = config.GetBoolean(AllowPlaintextPath);
        if (tls is null && !allowPlaintext)
        {
            foreach (var (address, path) in new[] { ((HostPort?)http, ServerSettings.HttpSectionPath + ".address"), (grpc, ServerSettings.GrpcSectionPath + ".address") })
            {
                if (address is { } a && !IsLoopback(a.Host))
                {
                    throw config.Invalid(path, $"{a} is not a loopback address, and without TLS anyone who reaches it reads and writes in clear text: " +
                        $"give the node a certificate ({TlsPath}.certificate-path), or accept plain HTTP off loopback with {AllowPlaintextPath} = on");
                }
            }
        }

        var tokens = ReadTokens(config);
        var nodeToken = ReadNodeToken(config, tokens);
        return new HttpSecuritySettings(tls, allowPlaintext, tokens, nodeToken);
    }

    /// <summary>Whether <paramref name="host"/> names the loopback interface only (localhost, 127.0.0.0/8, ::1).</summary>
    public static bool IsLoopback(string host) =>
        host.Equals("localhost", StringComparison.OrdinalIgnoreCase) || (IPAddress.TryParse(host, out var ip) && IPAddress.IsLoopback(ip));

    private static ClientTlsSettings? ReadTls(Config config)
    {
        var certificatePath = config.GetString(TlsPath + ".certificate-path").Trim();
        var caPath = config.GetString(TlsPath + ".ca-certificates-path").Trim();
        var modeText = config.GetString(TlsPath + ".client-certificate").Trim();
        var mode = modeText.ToLowerInvariant() switch
        {
            "off" or "false" or "no" => ClientCertificatePolicy.Off,
            "optional" => ClientCertificatePolicy.Optional,
            "required" or "on" => ClientCertificatePolicy.Required,
            _ => throw config.Invalid(TlsPath + ".client-certificate", $"expected off, optional or required, got '{modeText}'"),
        };
        if (certificatePath.Length == 0)
        {
            if (caPath.Length > 0 || mode != ClientCertificatePolicy.Off)
            {
                throw config.Invalid(TlsPath + ".certificate-path", "is empty, so the client ports have no TLS, yet ca-certificates-path or client-certificate is set: give the node its certificate too");
            }

            return null;
        }

        X509Certificate2 certificate;
        var password = config.GetString(TlsPath + ".certificate-password");
        try
        {
            certificate = X509CertificateLoader.LoadPkcs12FromFile(certificatePath, password.Length == 0 ? null : password);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or CryptographicException)
        {
            throw new ConfigException($"{TlsPath}.certificate-path: cannot load the PKCS#12 certificate '{certificatePath}': {e.Message}",
                config.GetOrigin(TlsPath + ".certificate-path"), e);
        }

        if (!certificate.HasPrivateKey)
        {
            throw config.Invalid(TlsPath + ".certificate-path", $"'{certificatePath}' holds {certificate.Subject} without its private key");
        }

        var now = DateTime.Now;
        if (now < certificate.NotBefore || now > certificate.NotAfter)
        {
            throw config.Invalid(TlsPath + ".certificate-path", $"'{certificatePath}' ({certificate.Subject}) is valid from {certificate.NotBefore:u} to {certificate.NotAfter:u} only");
        }

        var ca = new X509Certificate2Collection();
        if (caPath.Length > 0)
        {
            try
            {
                ca.ImportFromPemFile(caPath);
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException or CryptographicException)
            {
                throw new ConfigException($"{TlsPath}.ca-certificates-path: cannot load the PEM CA certificates '{caPath}': {e.Message}",
                    config.GetOrigin(TlsPath + ".ca-certificates-path"), e);
            }

            if (ca.Count == 0) throw config.Invalid(TlsPath + ".ca-certificates-path", $"expected at least one PEM certificate in '{caPath}', found none");
        }
        else if (mode != ClientCertificatePolicy.Off)
        {
            throw config.Invalid(TlsPath + ".ca-certificates-path", $"is empty, yet client-certificate = {modeText}: name the CA that issues the clients' certificates");
        }

        return new ClientTlsSettings(certificate, ca, mode);
    }

    private static AccessTokens ReadTokens(Config config)
    {
        var lines = new List<(string, string)>();
        var file = config.GetString(AuthPath + ".token-file").Trim();
        if (file.Length > 0)
        {
            string[] fileLines;
            try
            {
                fileLines = File.ReadAllLines(file);
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                throw new ConfigException($"{AuthPath}.token-file: cannot read '{file}': {e.Message}", config.GetOrigin(AuthPath + ".token-file"), e);
            }

            lines.AddRange(fileLines.Select((line, i) => (line, $"{file} line {i + 1}")));
        }

        var inline = config.GetStringList(AuthPath + ".tokens");
        lines.AddRange(inline.Select((line, i) => (line, $"{AuthPath}.tokens[{i}]")));
        try
        {
            return AccessTokens.Parse(lines);
        }
        catch (FormatException e)
        {
            throw new ConfigException($"{AuthPath}: {e.Message}", config.GetOrigin(file.Length > 0 ? AuthPath + ".token-file" : AuthPath + ".tokens"), e);
        }
    }

    private static string? ReadNodeToken(Config config, AccessTokens tokens)
    {
        var path = config.GetString(AuthPath + ".node-token-path").Trim();
        if (path.Length == 0) return null;
        string token;
        try
        {
            token = File.ReadAllText(path).Trim();
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new ConfigException($"{AuthPath}.node-token-path: cannot read '{path}': {e.Message}", config.GetOrigin(AuthPath + ".node-token-path"), e);
        }

        if (token.Length == 0) throw config.Invalid(AuthPath + ".node-token-path", $"'{path}' is empty");
        // The members share one token table; a node token this node would itself refuse is a mistake made here.
        if (tokens.Enabled && tokens.Find(token) is null)
        {
            throw config.Invalid(AuthPath + ".node-token-path", $"the token in '{path}' is none of this node's tokens (the members are to share one token table)");
        }

        return token;
    }
}
