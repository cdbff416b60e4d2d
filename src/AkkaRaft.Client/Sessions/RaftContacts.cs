using Akka.Actor;

namespace AkkaRaft.Client.Sessions;

/// <summary>
/// How a <see cref="RaftSession"/> or <see cref="LightSession"/> reaches an AkkaRaft cluster: by <c>ActorSelection</c> of
/// members' inboxes (<see cref="ReadFrom"/>, <see cref="Members"/>), or through an actor that relays every message,
/// such as a <c>ClusterClient</c> (<see cref="Through"/>). This assembly does not reference Akka.Cluster.Tools: the app
/// that uses ClusterClient wraps each message itself.
/// </summary>
public sealed class RaftContacts
{
    private RaftContacts(IReadOnlyList<string> inboxes, bool readMembers, Func<ClusterMember, string> inboxOf, IActorRef? relay,
        Func<object, object>? envelope, string description)
    {
        Inboxes = inboxes;
        ReadMembers = readMembers;
        InboxOf = inboxOf;
        Relay = relay;
        Envelope = envelope;
        Description = description;
    }

    /// <summary>The inbox paths to start with (empty with a relay).</summary>
    internal IReadOnlyList<string> Inboxes { get; }

    /// <summary>Whether every member the first answering inbox names (<see cref="GetClusterMembers"/>) becomes a route.</summary>
    internal bool ReadMembers { get; }

    /// <summary>The inbox path of a member the cluster named.</summary>
    internal Func<ClusterMember, string> InboxOf { get; }

    /// <summary>The actor every message goes through, or null to select inboxes.</summary>
    internal IActorRef? Relay { get; }

    /// <summary>What the relay wants around each message.</summary>
    internal Func<object, object>? Envelope { get; }

    /// <summary>What these contacts are, for logs and <see cref="AllFailed"/>.</summary>
    public string Description { get; }

    /// <summary>
    /// One member (host:port of its actor system); the session asks its inbox for every member
    /// (<see cref="GetClusterMembers"/>, as zraft's <c>light_session(PeerID, ...)</c> reads the configuration) and routes to all.
    /// </summary>
    /// <exception cref="ArgumentException">The address, system name or protocol is empty.</exception>
    public static RaftContacts ReadFrom(string raftAddress, string systemName = RaftPaths.SystemName, string protocol = RaftPaths.TcpProtocol)
    {
        var inbox = RaftPaths.Inbox(raftAddress, systemName, protocol);
        return new RaftContacts([inbox], readMembers: true, m => RaftPaths.Inbox(m.RaftAddress, systemName, protocol), null, null, $"members read from {inbox}");
    }

    /// <summary>
    /// These members (host:port each) and no others; the session still asks one of them which Raft id each has, to
    /// follow a <see cref="NotLeader.LeaderHint"/>.
    /// </summary>
    /// <exception cref="ArgumentException">No address, or an empty one.</exception>
    public static RaftContacts Members(IEnumerable<string> raftAddresses, string systemName = RaftPaths.SystemName, string protocol = RaftPaths.TcpProtocol)
    {
        ArgumentNullException.ThrowIfNull(raftAddresses);
        var inboxes = raftAddresses.Select(a => RaftPaths.Inbox(a, systemName, protocol)).Distinct(StringComparer.Ordinal).ToArray();
        if (inboxes.Length == 0) throw new ArgumentException("at least one member address is needed", nameof(raftAddresses));
        return new RaftContacts(inboxes, readMembers: false, m => RaftPaths.Inbox(m.RaftAddress, systemName, protocol), null, null,
            $"members {string.Join(", ", inboxes)}");
    }

    /// <summary>
    /// Inboxes by actor path (any actor that speaks the client protocol), with how a named member's inbox is found:
    /// for clusters whose paths <see cref="RaftPaths"/> does not make, and for tests.
    /// </summary>
    /// <param name="inboxPaths">The inboxes to start with.</param>
    /// <param name="readMembers">Whether every member the first answering inbox names becomes a route.</param>
    /// <param name="inboxOf">The inbox path of a member.</param>
    /// <exception cref="ArgumentException">No path.</exception>
    public static RaftContacts AtPaths(IEnumerable<string> inboxPaths, bool readMembers, Func<ClusterMember, string> inboxOf)
    {
        ArgumentNullException.ThrowIfNull(inboxPaths);
        ArgumentNullException.ThrowIfNull(inboxOf);
        var inboxes = inboxPaths.Distinct(StringComparer.Ordinal).ToArray();
        if (inboxes.Length == 0 || inboxes.Any(string.IsNullOrWhiteSpace)) throw new ArgumentException("at least one inbox path, none empty, is needed", nameof(inboxPaths));
        return new RaftContacts(inboxes, readMembers, inboxOf, null, null, $"inboxes {string.Join(", ", inboxes)}");
    }

    /// <summary>
    /// Every message through <paramref name="relay"/>, wrapped by <paramref name="envelope"/>: for a ClusterClient,
    /// <c>Through(client, m =&gt; new ClusterClient.Send(RaftPaths.InboxServicePath, m, localAffinity: true), "...")</c>. The relay picks the
    /// member, so requests go out with <see cref="NotLeaderPolicy.Forward"/> (a follower forwards them to the leader)
    /// and the relay is one route: when it does not answer, it counts as failed as a whole. With local affinity the
    /// receptionist's own member serves the message: DistributedPubSub keeps a killed member's inbox among its choices
    /// until the member is removed from the Akka cluster, which AkkaRaft never does on its own.
    /// </summary>
    /// <exception cref="ArgumentNullException">A null argument.</exception>
    public static RaftContacts Through(IActorRef relay, Func<object, object> envelope, string description)
    {
        ArgumentNullException.ThrowIfNull(relay);
        ArgumentNullException.ThrowIfNull(envelope);
        ArgumentException.ThrowIfNullOrWhiteSpace(description);
        return new RaftContacts([], readMembers: false, m => m.RaftAddress, relay, envelope, description);
    }
}
