using System.Globalization;

namespace AkkaRaft.Client.Sessions;

/// <summary>
/// What a client session knows of the cluster's peers (zraft's light session object): which one leads, which failed
/// (no answer: skipped for the fail timeout) and which said they do not lead (a former leader, or a follower without
/// a leader: skipped for the election timeout, the time an election takes). No I/O and no clock: time comes in as
/// <c>now</c>, so the rules are tested without actors.
/// </summary>
internal sealed class PeerRoutes
{
    private readonly List<Route> _routes = new();
    private readonly TimeSpan _failTimeout;
    private readonly TimeSpan _electionTimeout;
    private int _leader = -1;
    private int _next;

    public PeerRoutes(IEnumerable<string> paths, TimeSpan failTimeout, TimeSpan electionTimeout)
    {
        ArgumentNullException.ThrowIfNull(paths);
        if (failTimeout <= TimeSpan.Zero) throw new ArgumentOutOfRangeException(nameof(failTimeout), failTimeout, "the fail timeout must be positive");
        if (electionTimeout <= TimeSpan.Zero) throw new ArgumentOutOfRangeException(nameof(electionTimeout), electionTimeout, "the election timeout must be positive");
        _failTimeout = failTimeout;
        _electionTimeout = electionTimeout;
        foreach (var path in paths) _routes.Add(new Route(path));
        if (_routes.Count == 0) throw new ArgumentException("a session needs at least one route", nameof(paths));
    }

    /// <summary>How many routes there are.</summary>
    public int Count => _routes.Count;

    /// <summary>The route believed to lead, or -1.</summary>
    public int Leader => _leader;

    /// <summary>The path of route <paramref name="route"/> (for a relay: its description).</summary>
    public string PathOf(int route) => _routes[route].Path;

    /// <summary>The Raft id of route <paramref name="route"/>, 0 while unknown.</summary>
    public ulong NodeIdOf(int route) => _routes[route].NodeId;

    /// <summary>
    /// Where the next request goes: the leader if it is not skipped, otherwise the next route in turn that is neither
    /// failed nor said it does not lead; -1 when every route is skipped (zraft's <c>all_failed</c>).
    /// </summary>
    public int Pick(TimeSpan now)
    {
        if (_leader >= 0 && Usable(_routes[_leader], now)) return _leader;
        for (var i = 0; i < _routes.Count; i++)
        {
            var route = (_next + i) % _routes.Count;
            if (!Usable(_routes[route], now)) continue;
            _next = (route + 1) % _routes.Count;
            return route;
        }

        return -1;
    }

    /// <summary>Route <paramref name="route"/> did not answer in time: it is skipped for the fail timeout, and no longer the leader.</summary>
    public void Failed(int route, TimeSpan now, string why)
    {
        var r = _routes[route];
        r.FailedUntil = now + _failTimeout;
        r.Problem = why;
        if (_leader == route) _leader = -1;
    }

    /// <summary>
    /// Route <paramref name="route"/> answered that it does not lead: it is skipped for the election timeout. When its
    /// hint names a route, that one is the leader now (and not skipped for having said otherwise before).
    /// </summary>
    /// <returns>Whether the hint named a known route.</returns>
    public bool NotLeader(int route, ulong leaderHint, TimeSpan now, string why)
    {
        var r = _routes[route];
        r.NotLeaderUntil = now + _electionTimeout;
        r.Problem = why;
        if (_leader == route) _leader = -1;
        if (leaderHint == 0 || leaderHint == r.NodeId) return false;
        return Follow(leaderHint, now);
    }

    /// <summary>
    /// A peer named <paramref name="leaderHint"/> as the leader: its route leads now (and is not skipped for having said
    /// otherwise before), unless it failed lately.
    /// </summary>
    /// <returns>Whether the hint named a known route.</returns>
    public bool Follow(ulong leaderHint, TimeSpan now)
    {
        var hinted = IndexOf(leaderHint);
        if (hinted < 0) return false;
        var leader = _routes[hinted];
        if (leader.FailedUntil > now) return true; // Named, but it did not answer us lately: Pick goes elsewhere.
        leader.NotLeaderUntil = TimeSpan.Zero;
        _leader = hinted;
        return true;
    }

    /// <summary>
    /// Route <paramref name="route"/> answered a request only the leader serves, naming <paramref name="leaderId"/>: it
    /// is alive, and it leads (or the route named, when the answer came forwarded through it).
    /// </summary>
    public void Served(int route, ulong leaderId)
    {
        var r = _routes[route];
        r.FailedUntil = TimeSpan.Zero;
        r.NotLeaderUntil = TimeSpan.Zero;
        r.Problem = "";
        var leader = leaderId == 0 ? -1 : IndexOf(leaderId);
        _leader = leader >= 0 ? leader : route;
        if (_leader != route) return;
        // It served what only the leader serves, so the id it names is its own.
        if (r.NodeId == 0 && leaderId != 0 && IndexOf(leaderId) < 0) r.NodeId = leaderId;
    }

    /// <summary>Route <paramref name="route"/> answered something (it is alive), without saying who leads.</summary>
    public void Alive(int route)
    {
        var r = _routes[route];
        r.FailedUntil = TimeSpan.Zero;
    }

    /// <summary>Whether some route has Raft id <paramref name="nodeId"/>.</summary>
    public bool Knows(ulong nodeId) => IndexOf(nodeId) >= 0;

    /// <summary>
    /// The members the cluster named: each route learns its Raft id; with <paramref name="addMembers"/>, members without
    /// a route get one (a session started from one member reads the rest from it).
    /// </summary>
    public void Learn(IReadOnlyList<ClusterMember> members, Func<ClusterMember, string> inboxOf, bool addMembers)
    {
        foreach (var member in members)
        {
            if (member.NodeId == 0) continue;
            var path = inboxOf(member);
            var route = _routes.FindIndex(r => string.Equals(r.Path, path, StringComparison.Ordinal));
            if (route >= 0)
            {
                _routes[route].NodeId = member.NodeId;
            }
            else if (addMembers)
            {
                _routes.Add(new Route(path) { NodeId = member.NodeId });
            }
        }
    }

    /// <summary>Every route and why it is skipped, for <see cref="AllFailed"/>.</summary>
    public IReadOnlyList<string> Describe(TimeSpan now) =>
        _routes.Select(r =>
        {
            var id = r.NodeId == 0 ? "" : $" (node {r.NodeId.ToString(CultureInfo.InvariantCulture)})";
            var state = r.FailedUntil > now ? $"failed for {(r.FailedUntil - now).TotalMilliseconds:F0}ms more"
                : r.NotLeaderUntil > now ? $"not leading for {(r.NotLeaderUntil - now).TotalMilliseconds:F0}ms more"
                : "usable";
            return r.Problem.Length == 0 ? $"{r.Path}{id}: {state}" : $"{r.Path}{id}: {state}: {r.Problem}";
        }).ToArray();

    private int IndexOf(ulong nodeId) => nodeId == 0 ? -1 : _routes.FindIndex(r => r.NodeId == nodeId);

    private static bool Usable(Route route, TimeSpan now) => route.FailedUntil <= now && route.NotLeaderUntil <= now;

    private sealed class Route(string path)
    {
        public string Path { get; } = path;

        public ulong NodeId { get; set; }

        public TimeSpan FailedUntil { get; set; }

        public TimeSpan NotLeaderUntil { get; set; }

        public string Problem { get; set; } = "";
    }
}
