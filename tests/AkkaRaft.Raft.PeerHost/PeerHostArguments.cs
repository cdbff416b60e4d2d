using System.Globalization;

namespace AkkaRaft.Raft.PeerHost;

/// <summary>One member of the static group: its Raft node id and where its process listens.</summary>
/// <param name="NodeId">The Raft node id (not 0).</param>
/// <param name="Host">The loopback host its remoting binds to.</param>
/// <param name="Port">Its remoting port (1..65535).</param>
public sealed record PeerAddress(ulong NodeId, string Host, int Port)
{
    /// <summary><c>host:port</c>.</summary>
    public string HostPort => $"{Host}:{Port.ToString(CultureInfo.InvariantCulture)}";
}

/// <summary>
/// The command line of the host: <c>&lt;node-id&gt; &lt;data-dir&gt; &lt;peers&gt; &lt;config-file&gt;</c>, where
/// <c>peers</c> lists every founding voter, this node among them, as <c>id=host:port,id=host:port,...</c>, and
/// <c>config-file</c> is HOCON read over reference.conf (akkaraft.raft, akkaraft.remote, akkaraft.persistence).
/// </summary>
/// <param name="NodeId">This peer's node id.</param>
/// <param name="DataDirectory">Where its SQLite file lives (created when missing).</param>
/// <param name="Peers">Every voter of the group, ordered by id.</param>
/// <param name="ConfigFile">The HOCON file.</param>
public sealed record PeerHostArguments(ulong NodeId, string DataDirectory, IReadOnlyList<PeerAddress> Peers, string ConfigFile)
{
    /// <summary>How to call the host.</summary>
    public const string Usage = "usage: AkkaRaft.Raft.PeerHost <node-id> <data-dir> <id=host:port,id=host:port,...> <config-file>";

    /// <summary>This peer's own entry in <see cref="Peers"/>.</summary>
    public PeerAddress Self => Peers.Single(p => p.NodeId == NodeId);

    /// <summary>Formats <paramref name="peers"/> as the host's <c>peers</c> argument.</summary>
    public static string FormatPeers(IEnumerable<PeerAddress> peers) =>
        string.Join(',', peers.Select(p => $"{p.NodeId.ToString(CultureInfo.InvariantCulture)}={p.HostPort}"));

    /// <summary>Reads the command line.</summary>
    /// <exception cref="ArgumentException">An argument is missing or malformed; the message says which.</exception>
    public static PeerHostArguments Parse(IReadOnlyList<string> args)
    {
        ArgumentNullException.ThrowIfNull(args);
        if (args.Count != 4) throw new ArgumentException($"expected 4 arguments, got {args.Count}");
        var nodeId = ParseNodeId(args[0], "node-id");
        var dataDirectory = args[1].Length > 0 ? Path.GetFullPath(args[1]) : throw new ArgumentException("data-dir is empty");
        var peers = ParsePeers(args[2]);
        if (peers.All(p => p.NodeId != nodeId)) throw new ArgumentException($"peers '{args[2]}' do not list this node ({nodeId})");
        if (!File.Exists(args[3])) throw new ArgumentException($"config-file '{args[3]}' does not exist");
        return new PeerHostArguments(nodeId, dataDirectory, peers, args[3]);
    }

    private static List<PeerAddress> ParsePeers(string text)
    {
        var peers = new List<PeerAddress>();
        foreach (var item in text.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            var equals = item.IndexOf('=', StringComparison.Ordinal);
            var colon = item.LastIndexOf(':');
            if (equals <= 0 || colon <= equals + 1) throw new ArgumentException($"peer '{item}' is not id=host:port");
            var id = ParseNodeId(item[..equals], $"the id of peer '{item}'");
            var host = item[(equals + 1)..colon];
            if (!int.TryParse(item[(colon + 1)..], NumberStyles.None, CultureInfo.InvariantCulture, out var port) || port is < 1 or > 65535)
                throw new ArgumentException($"the port of peer '{item}' is not in 1..65535");
            if (peers.Any(p => p.NodeId == id)) throw new ArgumentException($"peer id {id} is listed twice");
            peers.Add(new PeerAddress(id, host, port));
        }
        if (peers.Count == 0) throw new ArgumentException("peers is empty");
        peers.Sort((a, b) => a.NodeId.CompareTo(b.NodeId));
        return peers;
    }

    private static ulong ParseNodeId(string text, string what)
    {
        if (!ulong.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var id) || id == 0)
            throw new ArgumentException($"{what} '{text}' is not a positive integer");
        return id;
    }
}
