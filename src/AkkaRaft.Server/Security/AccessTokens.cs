using System.Globalization;
using System.Security.Cryptography;
using System.Text;

namespace AkkaRaft.Server.Security;

/// <summary>One entry of the token table: who the token belongs to and what it may do. The token itself is not kept.</summary>
/// <param name="Name">The holder's name, shown in problems and logs instead of the token.</param>
/// <param name="Role">What the token may do.</param>
public sealed record TokenHolder(string Name, ClientRole Role);

/// <summary>How a request's credentials came out.</summary>
public enum AuthenticationOutcome
{
    /// <summary>No token table: every request is accepted as it was before tokens existed.</summary>
    Anonymous,

    /// <summary>A known token.</summary>
    Authenticated,

    /// <summary>No <c>Authorization: Bearer</c> credential.</summary>
    Missing,

    /// <summary>A credential that matches no token (or is not a bearer token).</summary>
    Unknown,
}

/// <summary>
/// The bearer tokens a node accepts on its client ports, held as SHA-256 hashes of the tokens: a token file line is
/// <c>name role sha256-hex</c>. A plain SHA-256 (no salt, no slow hash) is enough because the tokens are random
/// (<c>akkaraft token new</c> draws 256 bits): nobody can search that space from a stolen hash, unlike a password's.
/// A look-up by hash also leaks nothing useful through its timing: the hash of a guess says nothing about the token.
/// </summary>
public sealed class AccessTokens
{
    /// <summary>The scheme of the Authorization header (RFC 6750).</summary>
    public const string BearerScheme = "Bearer";

    private readonly Dictionary<string, TokenHolder> _byHash;

    private AccessTokens(Dictionary<string, TokenHolder> byHash) => _byHash = byHash;

    /// <summary>No tokens: requests are not authenticated.</summary>
    public static AccessTokens None { get; } = new(new Dictionary<string, TokenHolder>(StringComparer.Ordinal));

    /// <summary>Whether any token is configured (then every request needs one).</summary>
    public bool Enabled => _byHash.Count > 0;

    /// <summary>How many tokens are configured.</summary>
    public int Count => _byHash.Count;

    /// <summary>The lowercase hex SHA-256 of the token's UTF-8 bytes: what the token file holds.</summary>
    public static string Hash(string token)
    {
        ArgumentNullException.ThrowIfNull(token);
        return Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(token)));
    }

    /// <summary>A new token: 32 random bytes, base64url, behind a prefix that lets secret scanners find it.</summary>
    public static string NewToken() => "akkaraft_" + Convert.ToBase64String(RandomNumberGenerator.GetBytes(32)).TrimEnd('=').Replace('+', '-').Replace('/', '_');

    /// <summary>The token file line of <paramref name="name"/> with <paramref name="role"/> for <paramref name="token"/>.</summary>
    public static string Line(string name, ClientRole role, string token) => $"{name} {role.Name()} {Hash(token)}";

    /// <summary>
    /// Reads token lines (<c>name role sha256-hex</c>; blank lines and <c>#</c> comments skipped), each with where it
    /// came from for the error message.
    /// </summary>
    /// <exception cref="FormatException">A line is malformed, or a name or hash appears twice (the message says where).</exception>
    public static AccessTokens Parse(IEnumerable<(string Line, string Where)> lines)
    {
        ArgumentNullException.ThrowIfNull(lines);
        var byHash = new Dictionary<string, TokenHolder>(StringComparer.Ordinal);
        var names = new HashSet<string>(StringComparer.Ordinal);
        foreach (var (raw, where) in lines)
        {
            var line = raw.Trim();
            if (line.Length == 0 || line.StartsWith('#')) continue;
            var parts = line.Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries);
            if (parts.Length != 3)
            {
                throw new FormatException($"{where}: expected 'name role sha256-hex' (akkaraft token new prints such a line), got {parts.Length} fields");
            }

            var (name, roleText, hash) = (parts[0], parts[1], parts[2].ToLowerInvariant());
            if (!ClientRoles.TryParse(roleText, out var role))
            {
                throw new FormatException($"{where}: the role of '{name}' must be read, write or admin, got '{roleText}'");
            }

            if (hash.Length != 64 || !hash.All(char.IsAsciiHexDigit))
            {
                throw new FormatException($"{where}: the hash of '{name}' must be 64 hex digits (the SHA-256 of the token; akkaraft token hash prints it), not the token itself");
            }

            if (!names.Add(name)) throw new FormatException($"{where}: the name '{name}' is given to two tokens");
            if (!byHash.TryAdd(hash, new TokenHolder(name, role)))
            {
                throw new FormatException($"{where}: '{name}' has the same token as '{byHash[hash].Name}'");
            }
        }

        return byHash.Count == 0 ? None : new AccessTokens(byHash);
    }

    /// <summary>The holder of <paramref name="token"/>, or null when it is not one of the configured tokens.</summary>
    public TokenHolder? Find(string token) => _byHash.GetValueOrDefault(Hash(token));

    /// <summary>
    /// Authenticates the value of an <c>Authorization</c> header (null when absent): <see cref="AuthenticationOutcome.Anonymous"/>
    /// when no token is configured, whatever the header says.
    /// </summary>
    public AuthenticationOutcome Authenticate(string? authorization, out TokenHolder? holder)
    {
        holder = null;
        if (!Enabled) return AuthenticationOutcome.Anonymous;
        if (string.IsNullOrWhiteSpace(authorization)) return AuthenticationOutcome.Missing;
        var text = authorization.Trim();
        if (text.Length <= BearerScheme.Length || !text.StartsWith(BearerScheme, StringComparison.OrdinalIgnoreCase) || text[BearerScheme.Length] != ' ')
        {
            return AuthenticationOutcome.Unknown;
        }

        holder = Find(text[(BearerScheme.Length + 1)..].Trim());
        return holder is null ? AuthenticationOutcome.Unknown : AuthenticationOutcome.Authenticated;
    }

    /// <summary>The number of tokens per role, for the start-up line (never the tokens).</summary>
    public string Describe() => Enabled
        ? string.Join(", ", _byHash.Values.GroupBy(h => h.Role).OrderBy(g => g.Key).Select(g => $"{g.Count().ToString(CultureInfo.InvariantCulture)} {g.Key.Name()}"))
        : "none";
}
