using System.Text;

namespace AkkaRaft.Configuration;

/// <summary>
/// Which settings hold secrets, and how they are masked where the configuration is shown (<c>akkaraft config
/// show</c>; the origin of a command-line option that sets one shows no value). The rule looks only at the last
/// element of a setting's path, under any root, so a secret added later under a usual name is covered without a
/// list to keep up (values inside arrays are not looked into: no setting holds a password there):
/// <list type="bullet">
/// <item>a last element of <c>password</c> or ending in <c>-password</c> is a secret as a whole: a non-empty value
/// is shown as <see cref="Mask"/>. This covers <c>akkaraft.remote.tls.certificate-password</c>,
/// <c>akkaraft.http.tls.certificate-password</c> and Akka.Remote's
/// <c>akka.remote.dot-netty.tcp.ssl.certificate.password</c>;</item>
/// <item>a last element of <c>connection-string</c> is an ADO.NET connection string that may carry a password: only
/// the value of its <c>Password</c>, <c>Pwd</c> or <c>Psw</c> key (Npgsql's and SQL Server's spellings, any case) is
/// shown as <see cref="Mask"/>, so the host, port, user and database stay readable. This covers
/// <c>akkaraft.persistence.postgresql.connection-string</c> and Akka.Persistence.Sql's
/// <c>akka.persistence.journal.sql.connection-string</c> and <c>akka.persistence.snapshot-store.sql.connection-string</c>.</item>
/// </list>
/// An empty value stays empty, so that an operator still sees whether a password is set. Not secrets, and shown:
/// <c>akkaraft.http.auth.tokens</c> and the lines of <c>token-file</c> hold SHA-256 hashes of 256-bit tokens, which
/// nobody can search back to a token; <c>token-file</c>, <c>node-token-path</c> and <c>certificate-path</c> are
/// paths to files whose contents are the secrets.
/// </summary>
public static class SecretSettings
{
    /// <summary>What a secret, or the password inside a connection string, is shown as.</summary>
    public const string Mask = "<redacted>";

    private const string PasswordElement = "password";
    private const string PasswordSuffix = "-password";
    private const string ConnectionStringElement = "connection-string";

    /// <summary>The keys of a connection string whose value is a password (compared ignoring case).</summary>
    private static readonly string[] ConnectionStringPasswordKeys = ["Password", "Pwd", "Psw"];

    /// <summary>True when the setting at <paramref name="path"/> holds a secret, in whole or in part.</summary>
    /// <exception cref="ConfigException">The path expression is malformed.</exception>
    public static bool IsSecret(string path) => Classify(ConfigPath.Parse(path)) != SecretKind.None;

    /// <summary>True when the setting at <paramref name="path"/> (its elements) holds a secret, in whole or in part.</summary>
    internal static bool IsSecret(IReadOnlyList<string> path) => Classify(path) != SecretKind.None;

    /// <summary>The tree with every secret value masked (see the rule above); origins are kept.</summary>
    internal static ObjectNode MaskAll(ObjectNode root) => MaskFields(root, []);

    private static ObjectNode MaskFields(ObjectNode node, List<string> path)
    {
        OrderedDictionary<string, Node>? masked = null;
        foreach (var (key, value) in node.Fields)
        {
            path.Add(key);
            var shown = value is ObjectNode child ? MaskFields(child, path) : MaskValue(path, value);
            path.RemoveAt(path.Count - 1);
            if (ReferenceEquals(shown, value))
            {
                continue;
            }

            masked ??= new OrderedDictionary<string, Node>(node.Fields, StringComparer.Ordinal);
            masked[key] = shown;
        }

        return masked is null ? node : node.With(masked);
    }

    private static Node MaskValue(IReadOnlyList<string> path, Node value)
    {
        switch (Classify(path))
        {
            case SecretKind.Whole:
                // A number or an array is as secret as a string: anything but null and "" becomes the mask.
                return value is ScalarNode { Kind: ScalarKind.Null } or ScalarNode { Kind: ScalarKind.String, Text.Length: 0 }
                    ? value
                    : ScalarNode.String(value.Origin, Mask);
            case SecretKind.ConnectionString when value is ScalarNode { Kind: ScalarKind.String } s:
                var text = MaskConnectionStringPassword(s.Text);
                return ReferenceEquals(text, s.Text) ? value : ScalarNode.String(value.Origin, text);
            default:
                return value;
        }
    }

    private static SecretKind Classify(IReadOnlyList<string> path)
    {
        if (path.Count == 0)
        {
            return SecretKind.None;
        }

        var last = path[^1];
        if (last == PasswordElement || last.EndsWith(PasswordSuffix, StringComparison.Ordinal))
        {
            return SecretKind.Whole;
        }

        return last == ConnectionStringElement ? SecretKind.ConnectionString : SecretKind.None;
    }

    /// <summary>
    /// <paramref name="connectionString"/> with the value of each password key replaced by <see cref="Mask"/>,
    /// everything else as written; the same instance when it has no password. It is read as ADO.NET reads one:
    /// <c>key=value</c> pairs separated by ';', whitespace around keys and values ignored, a value quoted with ' or "
    /// (a doubled quote standing for one) may hold ';', an unquoted value runs to the next ';' and may hold '='.
    /// A quote left open runs to the end, so a malformed string never shows the rest of a password.
    /// Read here rather than with <see cref="System.Data.Common.DbConnectionStringBuilder"/>: the builder would print
    /// the string back re-quoted, re-cased and re-ordered, and throws on a malformed one, whose password must still be
    /// masked; the tests check this reading against the builder's.
    /// </summary>
    public static string MaskConnectionStringPassword(string connectionString)
    {
        ArgumentNullException.ThrowIfNull(connectionString);
        StringBuilder? masked = null;
        var copiedTo = 0;
        var i = 0;
        while (i < connectionString.Length)
        {
            var keyEnd = KeyEnd(connectionString, i);
            if (keyEnd == connectionString.Length || connectionString[keyEnd] == ';')
            {
                // A part without '=' (or an empty one between two ';'): nothing to mask in it.
                i = keyEnd + 1;
                continue;
            }

            var key = connectionString.AsSpan(i, keyEnd - i).Trim();
            var (valueStart, valueEnd, next) = ValueSpan(connectionString, keyEnd + 1);
            if (valueEnd > valueStart && IsPasswordKey(key))
            {
                masked ??= new StringBuilder(connectionString.Length);
                masked.Append(connectionString, copiedTo, valueStart - copiedTo).Append(Mask);
                copiedTo = valueEnd;
            }

            i = next;
        }

        return masked is null ? connectionString : masked.Append(connectionString, copiedTo, connectionString.Length - copiedTo).ToString();
    }

    /// <summary>
    /// Where the key starting at <paramref name="from"/> ends: at the '=' that starts its value ("==" stands for a
    /// literal '=' in a key), or at the ';' or the end of the string when it has no value.
    /// </summary>
    private static int KeyEnd(string s, int from)
    {
        var j = from;
        while (j < s.Length && s[j] != ';')
        {
            if (s[j] == '=')
            {
                if (j + 1 < s.Length && s[j + 1] == '=')
                {
                    j += 2;
                    continue;
                }

                return j;
            }

            j++;
        }

        return j;
    }

    /// <summary>Where the value starting at <paramref name="from"/> lies (quotes included) and where the next pair starts.</summary>
    private static (int Start, int End, int Next) ValueSpan(string s, int from)
    {
        var start = from;
        while (start < s.Length && char.IsWhiteSpace(s[start]))
        {
            start++;
        }

        if (start < s.Length && s[start] is '\'' or '"')
        {
            var quote = s[start];
            var j = start + 1;
            while (j < s.Length)
            {
                if (s[j] == quote)
                {
                    if (j + 1 < s.Length && s[j + 1] == quote)
                    {
                        j += 2;
                        continue;
                    }

                    break;
                }

                j++;
            }

            if (j >= s.Length)
            {
                return (start, s.Length, s.Length);
            }

            var end = j + 1;
            var semicolon = s.IndexOf(';', end);
            return (start, end, semicolon < 0 ? s.Length : semicolon + 1);
        }

        var pairEnd = s.IndexOf(';', start);
        var valueEnd = pairEnd < 0 ? s.Length : pairEnd;
        while (valueEnd > start && char.IsWhiteSpace(s[valueEnd - 1]))
        {
            valueEnd--;
        }

        return (start, valueEnd, pairEnd < 0 ? s.Length : pairEnd + 1);
    }

    private static bool IsPasswordKey(ReadOnlySpan<char> key)
    {
        foreach (var name in ConnectionStringPasswordKeys)
        {
            if (key.Equals(name, StringComparison.OrdinalIgnoreCase))
            {
                return true;
            }
        }

        return false;
    }

    private enum SecretKind
    {
        None,
        Whole,
        ConnectionString,
    }
}
