using System.Globalization;
using System.Text;

namespace AkkaRaft.Actors;

/// <summary>
/// Where an actor system lives: <c>akkaraft://sys</c> for a local system, <c>akkaraft.tcp://sys@host:port</c>
/// for one reachable over the network. Immutable; equality is by value.
/// </summary>
public sealed class Address : IEquatable<Address>
{
    /// <summary>The protocol of a system that is only reachable inside its process.</summary>
    public const string LocalProtocol = "akkaraft";

    /// <summary>The protocol of a system reachable over TCP (AkkaRaft.Remote).</summary>
    public const string TcpProtocol = "akkaraft.tcp";

    private string? _text;

    /// <summary>Creates an address; <paramref name="host"/> and <paramref name="port"/> are both given or both omitted.</summary>
    /// <exception cref="ArgumentException">The protocol or system name is empty, or only one of host and port is given.</exception>
    public Address(string protocol, string system, string? host = null, int? port = null)
    {
        if (string.IsNullOrWhiteSpace(protocol)) throw new ArgumentException("an address needs a protocol", nameof(protocol));
        if (string.IsNullOrWhiteSpace(system)) throw new ArgumentException("an address needs a system name", nameof(system));
        if ((host is null) != (port is null)) throw new ArgumentException("an address has both a host and a port, or neither", nameof(host));
        if (port is < 0 or > 65535) throw new ArgumentOutOfRangeException(nameof(port), port, "a port is between 0 and 65535");
        Protocol = protocol;
        System = system;
        Host = host;
        Port = port;
    }

    /// <summary>The protocol, <see cref="LocalProtocol"/> or <see cref="TcpProtocol"/>.</summary>
    public string Protocol { get; }

    /// <summary>The name of the actor system.</summary>
    public string System { get; }

    /// <summary>The host name or IP address, or null for a local address.</summary>
    public string? Host { get; }

    /// <summary>The TCP port, or null for a local address.</summary>
    public int? Port { get; }

    /// <summary>True when this address has no host: the system is only reachable in its own process.</summary>
    public bool HasLocalScope => Host is null;

    /// <summary>The local address of the system named <paramref name="system"/>.</summary>
    public static Address Local(string system) => new(LocalProtocol, system);

    /// <summary>The TCP address of the system named <paramref name="system"/> at <paramref name="host"/>:<paramref name="port"/>.</summary>
    public static Address Tcp(string system, string host, int port) => new(TcpProtocol, system, host, port);

    /// <summary>Parses <c>protocol://system</c> or <c>protocol://system@host:port</c>.</summary>
    /// <exception cref="FormatException">The text is not an address.</exception>
    public static Address Parse(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        if (!TryParse(text, out var address)) throw new FormatException($"'{text}' is not an actor system address (expected protocol://system or protocol://system@host:port)");
        return address;
    }

    /// <summary>Parses an address; false when <paramref name="text"/> is not one.</summary>
    public static bool TryParse(string? text, out Address address)
    {
        address = null!;
        if (text is null) return false;
        var sep = text.IndexOf("://", StringComparison.Ordinal);
        if (sep <= 0) return false;
        var protocol = text[..sep];
        var rest = text[(sep + 3)..];
        if (rest.Length == 0 || rest.Contains('/')) return false;
        var at = rest.IndexOf('@');
        if (at < 0)
        {
            address = new Address(protocol, rest);
            return true;
        }
        var system = rest[..at];
        var hostPort = rest[(at + 1)..];
        var colon = hostPort.LastIndexOf(':');
        if (system.Length == 0 || colon <= 0) return false;
        var host = hostPort[..colon];
        if (host.StartsWith('[') && host.EndsWith(']')) host = host[1..^1];
        if (!int.TryParse(hostPort[(colon + 1)..], NumberStyles.None, CultureInfo.InvariantCulture, out var port) || port > 65535) return false;
        address = new Address(protocol, system, host, port);
        return true;
    }

    /// <inheritdoc />
    public bool Equals(Address? other) =>
        other is not null && Protocol == other.Protocol && System == other.System && Host == other.Host && Port == other.Port;

    /// <inheritdoc />
    public override bool Equals(object? obj) => obj is Address a && Equals(a);

    /// <inheritdoc />
    public override int GetHashCode() => HashCode.Combine(Protocol, System, Host, Port);

    /// <summary><c>protocol://system</c> or <c>protocol://system@host:port</c>.</summary>
    public override string ToString()
    {
        if (_text is not null) return _text;
        var host = Host is not null && Host.Contains(':') ? "[" + Host + "]" : Host;
        return _text = Host is null
            ? $"{Protocol}://{System}"
            : $"{Protocol}://{System}@{host}:{Port!.Value.ToString(CultureInfo.InvariantCulture)}";
    }
}

/// <summary>
/// The path of an actor: its system's <see cref="Address"/> and the names from the root
/// (<c>akkaraft.tcp://sys@host:port/user/a/b</c>). A <see cref="Uid"/> tells incarnations of the same path apart;
/// path equality ignores it (like Akka).
/// </summary>
public sealed class ActorPath : IEquatable<ActorPath>
{
    private readonly string[] _elements;
    private string? _text;

    private ActorPath(Address address, string[] elements, long uid)
    {
        Address = address;
        _elements = elements;
        Uid = uid;
    }

    /// <summary>The address of the system the actor lives in.</summary>
    public Address Address { get; }

    /// <summary>The names from the root guardian down to this actor (empty for the root).</summary>
    public IReadOnlyList<string> Elements => _elements;

    /// <summary>This actor's name (the last element), or "" for the root.</summary>
    public string Name => _elements.Length == 0 ? "" : _elements[^1];

    /// <summary>The incarnation id of the actor, 0 when unknown.</summary>
    public long Uid { get; }

    /// <summary>The path of the parent, or this path for the root.</summary>
    public ActorPath Parent => _elements.Length == 0 ? this : new ActorPath(Address, _elements[..^1], 0);

    /// <summary>The root path ("/") of the system at <paramref name="address"/>.</summary>
    public static ActorPath Root(Address address) => new(address ?? throw new ArgumentNullException(nameof(address)), [], 0);

    /// <summary>The path of the child named <paramref name="name"/>.</summary>
    public ActorPath Child(string name)
    {
        ArgumentException.ThrowIfNullOrEmpty(name);
        var elements = new string[_elements.Length + 1];
        _elements.CopyTo(elements, 0);
        elements[^1] = name;
        return new ActorPath(Address, elements, 0);
    }

    /// <summary>The path of the child named <paramref name="name"/>.</summary>
    public static ActorPath operator /(ActorPath parent, string name) => parent.Child(name);

    /// <summary>This path with the incarnation id <paramref name="uid"/>.</summary>
    public ActorPath WithUid(long uid) => new(Address, _elements, uid);

    /// <summary>This path with another address (the remote layer rewrites local paths to its public address).</summary>
    public ActorPath WithAddress(Address address) => new(address ?? throw new ArgumentNullException(nameof(address)), _elements, Uid);

    /// <summary>Parses <c>akkaraft://sys/user/a</c> or <c>akkaraft.tcp://sys@host:port/user/a#uid</c>.</summary>
    /// <exception cref="FormatException">The text is not an actor path.</exception>
    public static ActorPath Parse(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        if (!TryParse(text, out var path)) throw new FormatException($"'{text}' is not an actor path (expected akkaraft://system/user/name or akkaraft.tcp://system@host:port/user/name)");
        return path;
    }

    /// <summary>Parses an actor path; false when <paramref name="text"/> is not one.</summary>
    public static bool TryParse(string? text, out ActorPath path)
    {
        path = null!;
        if (text is null) return false;
        var schemeEnd = text.IndexOf("://", StringComparison.Ordinal);
        if (schemeEnd <= 0) return false;
        var slash = text.IndexOf('/', schemeEnd + 3);
        var addressText = slash < 0 ? text : text[..slash];
        if (!Address.TryParse(addressText, out var address)) return false;
        var rest = slash < 0 ? "" : text[(slash + 1)..];
        long uid = 0;
        var hash = rest.IndexOf('#');
        if (hash >= 0)
        {
            if (!long.TryParse(rest[(hash + 1)..], NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out uid)) return false;
            rest = rest[..hash];
        }
        var elements = rest.Length == 0 ? [] : rest.Split('/');
        foreach (var element in elements)
        {
            if (element.Length == 0) return false;
        }
        path = new ActorPath(address, elements, uid);
        return true;
    }

    /// <summary>The elements joined with '/', starting with '/' (<c>/user/a</c>).</summary>
    public string ToStringWithoutAddress()
    {
        if (_elements.Length == 0) return "/";
        var sb = new StringBuilder();
        foreach (var e in _elements) sb.Append('/').Append(e);
        return sb.ToString();
    }

    /// <summary>This path printed with <paramref name="address"/> instead of its own (for sending it over the wire).</summary>
    public string ToStringWithAddress(Address address) => address + ToStringWithoutAddress();

    /// <summary>The full path followed by <c>#uid</c> when the uid is known: what the remote layer sends.</summary>
    public string ToSerializationFormat() => Uid == 0 ? ToString() : ToString() + "#" + Uid.ToString(CultureInfo.InvariantCulture);

    /// <summary>The full path, <c>akkaraft://sys/user/a</c>.</summary>
    public override string ToString() => _text ??= Address + ToStringWithoutAddress();

    /// <summary>Equal when address and elements are equal (the uid is ignored).</summary>
    public bool Equals(ActorPath? other)
    {
        if (other is null) return false;
        if (ReferenceEquals(this, other)) return true;
        if (_elements.Length != other._elements.Length || !Address.Equals(other.Address)) return false;
        for (var i = _elements.Length - 1; i >= 0; i--)
        {
            if (!string.Equals(_elements[i], other._elements[i], StringComparison.Ordinal)) return false;
        }
        return true;
    }

    /// <inheritdoc />
    public override bool Equals(object? obj) => obj is ActorPath p && Equals(p);

    /// <inheritdoc />
    public override int GetHashCode()
    {
        var hash = new HashCode();
        hash.Add(Address);
        foreach (var e in _elements) hash.Add(e, StringComparer.Ordinal);
        return hash.ToHashCode();
    }
}
