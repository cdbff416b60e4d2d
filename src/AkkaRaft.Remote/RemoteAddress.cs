using System.Globalization;
using AkkaRaft.Remote.Wire;

namespace AkkaRaft.Remote;

/// <summary>
/// The address of an actor system reachable over remoting: <c>akkaraft.tcp://&lt;system&gt;@&lt;host&gt;:&lt;port&gt;</c>.
/// Equality is by value (system name, host text, port), so one address names one association.
/// </summary>
/// <param name="System">The actor system's name.</param>
/// <param name="Host">The host name or IP literal the system listens on.</param>
/// <param name="Port">The TCP port the system listens on (1..65535).</param>
public sealed record RemoteAddress(string System, string Host, int Port) : IComparable<RemoteAddress>
{
    /// <summary>The URI scheme of remote addresses.</summary>
    public const string Scheme = "akkaraft.tcp";

    /// <summary>Formats the address as <c>akkaraft.tcp://sys@host:port</c>.</summary>
    public override string ToString() => $"{Scheme}://{System}@{Host}:{Port.ToString(CultureInfo.InvariantCulture)}";

    /// <summary>
    /// Parses <c>akkaraft.tcp://sys@host:port</c>, optionally followed by a path that is ignored here.
    /// </summary>
    /// <exception cref="FormatException">The text is not a remote address.</exception>
    public static RemoteAddress Parse(string text)
    {
        if (!TryParse(text, out var address, out var rest) || rest.Length > 0 && rest[0] != '/')
        {
            throw new FormatException($"'{text}' is not a remote address of the form {Scheme}://<system>@<host>:<port>.");
        }
        return address;
    }

    /// <summary>
    /// Splits <c>akkaraft.tcp://sys@host:port/rest</c> into the address and the path that follows (with its leading '/').
    /// </summary>
    public static bool TryParse(string text, out RemoteAddress address, out string pathAndRest)
    {
        address = null!;
        pathAndRest = "";
        var prefix = Scheme + "://";
        if (!text.StartsWith(prefix, StringComparison.Ordinal)) return false;
        var body = text.AsSpan(prefix.Length);
        var at = body.IndexOf('@');
        if (at <= 0) return false;
        var system = body[..at].ToString();
        var hostPort = body[(at + 1)..];
        var slash = hostPort.IndexOf('/');
        var authority = slash >= 0 ? hostPort[..slash] : hostPort;
        var colon = authority.LastIndexOf(':');
        if (colon <= 0) return false;
        if (!int.TryParse(authority[(colon + 1)..], NumberStyles.None, CultureInfo.InvariantCulture, out var port)) return false;
        if (port is < 1 or > 65535) return false;
        address = new RemoteAddress(system, authority[..colon].ToString(), port);
        pathAndRest = slash >= 0 ? hostPort[slash..].ToString() : "";
        return true;
    }

    /// <summary>Orders addresses by their text; used to break ties when two systems dial each other at once.</summary>
    public int CompareTo(RemoteAddress? other) =>
        other is null ? 1 : string.CompareOrdinal(ToString(), other.ToString());

    internal WireAddress ToWire() => new() { System = System, Host = Host, Port = Port };

    internal static RemoteAddress? FromWire(WireAddress? wire)
    {
        if (wire is null || wire.System.Length == 0 || wire.Host.Length == 0 || wire.Port is < 1 or > 65535) return null;
        return new RemoteAddress(wire.System, wire.Host, wire.Port);
    }
}
