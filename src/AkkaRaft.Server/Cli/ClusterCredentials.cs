using System.CommandLine;
using System.Net.Security;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace AkkaRaft.Server.Cli;

/// <summary>
/// What the CLI presents to a cluster: a bearer token (<c>--token</c>, else <c>AKKARAFT_TOKEN</c>) and the CA it trusts
/// for https endpoints (<c>--cacert</c>; without it, the system's trust store).
/// </summary>
/// <param name="Token">The bearer token, or null for none.</param>
/// <param name="CaCertificates">The CA certificates to trust, or null for the system's trust store.</param>
public sealed record ClusterCredentials(string? Token, X509Certificate2Collection? CaCertificates)
{
    /// <summary>
    /// The credentials a parsed command line gives: its --token or, without one, the AKKARAFT_TOKEN of the environment
    /// the command line was built with; its --cacert.
    /// </summary>
    /// <exception cref="ArgumentException">The --cacert file cannot be read or holds no certificate.</exception>
    public static ClusterCredentials From(ParseResult result)
    {
        ArgumentNullException.ThrowIfNull(result);
        var command = result.CommandResult.Command;
        var token = command.Options.OfType<TokenOption>().FirstOrDefault() is { } tokenOption
            ? result.GetValue(tokenOption) ?? (tokenOption.Environment.Variables.TryGetValue(ApiClient.TokenVariable, out var fromEnvironment) ? fromEnvironment : null)
            : null;
        var caPath = command.Options.OfType<CaCertOption>().FirstOrDefault() is { } caOption ? result.GetValue(caOption) : null;
        X509Certificate2Collection? ca = null;
        if (!string.IsNullOrWhiteSpace(caPath))
        {
            ca = [];
            try
            {
                ca.ImportFromPemFile(caPath);
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException or CryptographicException)
            {
                throw new ArgumentException($"--cacert: cannot read the PEM certificates '{caPath}': {e.Message}", nameof(result), e);
            }

            if (ca.Count == 0) throw new ArgumentException($"--cacert: '{caPath}' holds no PEM certificate", nameof(result));
        }

        return new ClusterCredentials(string.IsNullOrWhiteSpace(token) ? null : token.Trim(), ca);
    }

    /// <summary>A handler that trusts <see cref="CaCertificates"/> (and only them) when given.</summary>
    public SocketsHttpHandler Handler()
    {
        var handler = new SocketsHttpHandler();
        if (CaCertificates is { } ca)
        {
            handler.SslOptions = new SslClientAuthenticationOptions
            {
                RemoteCertificateValidationCallback = (_, certificate, chain, errors) =>
                    (errors & (SslPolicyErrors.RemoteCertificateNameMismatch | SslPolicyErrors.RemoteCertificateNotAvailable)) == 0
                    && certificate is X509Certificate2 c2
                    && Security.ClientTls.IssuedBy(c2, chain, ca, "1.3.6.1.5.5.7.3.1"),
            };
        }

        return handler;
    }

    /// <summary>--token, knowing the environment AKKARAFT_TOKEN comes from (never a default shown in --help).</summary>
    internal sealed class TokenOption(CliEnvironment environment) : Option<string?>("--token")
    {
        public CliEnvironment Environment { get; } = environment;
    }

    /// <summary>--cacert.</summary>
    internal sealed class CaCertOption() : Option<string?>("--cacert");

    /// <summary>Adds --token and --cacert to every command under <paramref name="root"/> that has --endpoints.</summary>
    internal static void AddTo(Command root, CliEnvironment environment)
    {
        foreach (var command in Walk(root))
        {
            if (!command.Options.Any(o => o.Name == "--endpoints")) continue;
            command.Add(new TokenOption(environment)
            {
                Description = $"Bearer token for a cluster with akkaraft.http.auth tokens (default: ${ApiClient.TokenVariable}; prefer the variable, since arguments show in ps).",
                HelpName = "token",
            });
            command.Add(new CaCertOption
            {
                Description = "PEM file of the CA that issued the nodes' certificates, trusted for https endpoints (bare host:port endpoints become https).",
                HelpName = "path",
            });
        }
    }

    private static IEnumerable<Command> Walk(Command command) => command.Subcommands.SelectMany(Walk).Prepend(command);
}
