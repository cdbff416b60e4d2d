namespace AkkaRaft.Client;

/// <summary>
/// Where a client finds a server's actors: every member runs an actor system named <see cref="SystemName"/> (unless
/// <c>akkaraft.node.actor-system-name</c> says otherwise) on its Raft address, with the client inbox at
/// <c>/user/raft</c> and, under Akka.Cluster, the ClusterClient receptionist at <c>/system/receptionist</c>.
/// </summary>
public static class RaftPaths
{
    /// <summary>The default name of a server's actor system.</summary>
    public const string SystemName = "akkaraft";

    /// <summary>The name of the inbox actor under <c>/user</c>: what clients and other members send to.</summary>
    public const string InboxName = "raft";

    /// <summary>The path of the inbox relative to its actor system, as <c>ClusterClient.Send</c> names a service.</summary>
    public const string InboxServicePath = "/user/" + InboxName;

    /// <summary>The scheme of a cluster's addresses without TLS; with <c>akkaraft.remote.tls</c> on it is <c>akka.ssl.tcp</c>.</summary>
    public const string TcpProtocol = "akka.tcp";

    /// <summary>The inbox of the member at <paramref name="raftAddress"/> (host:port): <c>akka.tcp://akkaraft@host:port/user/raft</c>.</summary>
    /// <exception cref="ArgumentException">The address, system name or protocol is empty.</exception>
    public static string Inbox(string raftAddress, string systemName = SystemName, string protocol = TcpProtocol) =>
        Root(raftAddress, systemName, protocol) + InboxServicePath;

    /// <summary>The ClusterClient receptionist of the member at <paramref name="raftAddress"/>: an initial contact.</summary>
    /// <exception cref="ArgumentException">The address, system name or protocol is empty.</exception>
    public static string Receptionist(string raftAddress, string systemName = SystemName, string protocol = TcpProtocol) =>
        Root(raftAddress, systemName, protocol) + "/system/receptionist";

    private static string Root(string raftAddress, string systemName, string protocol)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(raftAddress);
        ArgumentException.ThrowIfNullOrWhiteSpace(systemName);
        ArgumentException.ThrowIfNullOrWhiteSpace(protocol);
        return $"{protocol}://{systemName}@{raftAddress.Trim()}";
    }
}
