using System.Globalization;

namespace AkkaRaft.Faults.Network;

/// <summary>
/// The harness's own network: a bridge <see cref="BridgeName"/> on <see cref="HostAddress"/> in the host's namespace
/// (where the clients run), and one network namespace per node (<c>akf-n1</c>, ...) on 10.77.0.N/24, joined to the
/// bridge by a veth pair (<c>akf-v1</c> outside, <c>eth0</c> inside). Everything it makes is named with the prefix
/// <see cref="Prefix"/>, so that <see cref="CleanStale"/> finds what a crashed earlier run left behind: it kills the
/// processes still inside those namespaces, deletes them and the links. Nothing else of the host's network is touched.
/// </summary>
/// <remarks>
/// One harness at a time owns the prefix: <see cref="Create"/> takes an exclusive lock on
/// <see cref="LockFile"/> (released on <see cref="Dispose"/>, or by the kernel when the process dies), so that a
/// second run cannot clean up the namespaces of a run still going.
/// </remarks>
internal sealed class NetworkLab : IDisposable
{
    /// <summary>The prefix of every namespace and link the harness creates.</summary>
    public const string Prefix = "akf-";

    /// <summary>The bridge the nodes' veths join.</summary>
    public const string BridgeName = "akf-br";

    /// <summary>The clients' address on the bridge (the host's namespace).</summary>
    public const string HostAddress = "10.77.0.254";

    /// <summary>The lock that makes the harness one at a time per machine.</summary>
    public const string LockFile = "/run/akkaraft-faults.lock";

    private readonly HarnessLock _lock;
    private readonly TextWriter _log;
    private bool _disposed;
    private bool _partitioned;
    private List<Link> _proxied = [];

    private NetworkLab(int nodes, HarnessLock @lock, TextWriter log)
    {
        Nodes = nodes;
        _lock = @lock;
        _log = log;
    }

    /// <summary>Number of node namespaces.</summary>
    public int Nodes { get; }

    /// <summary>The namespace of node <paramref name="node"/> (1-based).</summary>
    public static string NamespaceOf(int node) => $"{Prefix}n{node.ToString(CultureInfo.InvariantCulture)}";

    /// <summary>The address of node <paramref name="node"/> (1-based) on the bridge.</summary>
    public static string AddressOf(int node) => $"10.77.0.{node.ToString(CultureInfo.InvariantCulture)}";

    /// <summary>
    /// Checks that this machine can run the harness (root, <c>ip netns</c>, <c>iptables-restore</c>) and throws a
    /// message that says what is missing otherwise: the harness never skips silently.
    /// </summary>
    /// <exception cref="InvalidOperationException">Something the harness needs is missing.</exception>
    public static void CheckPrerequisites()
    {
        if (!OperatingSystem.IsLinux()) throw new InvalidOperationException("the fault harness needs Linux network namespaces");
        var uid = Commands.Run("id", ["-u"]).Output.Trim();
        if (uid != "0") throw new InvalidOperationException($"the fault harness needs root (network namespaces, iptables); running as uid {uid}");
        var ip = Commands.Run("ip", ["netns", "list"]);
        if (ip.ExitCode != 0) throw new InvalidOperationException($"'ip netns list' failed ({ip.Error.Trim()}): the fault harness needs iproute2 with network namespaces");
        try
        {
            Commands.Check("iptables-restore", ["--version"]);
            Commands.Check("ss", ["-V"]);
        }
        catch (InvalidOperationException e)
        {
            throw new InvalidOperationException($"the fault harness needs iptables (apt-get install -y iptables) and iproute2's ss: {e.Message}", e);
        }
    }

    /// <summary>
    /// Takes the lock, removes what an earlier run left, then creates the bridge and <paramref name="nodes"/>
    /// namespaces. On any failure, whatever was created is removed again.
    /// </summary>
    /// <exception cref="InvalidOperationException">A prerequisite is missing, the lock is held too long, or a command failed.</exception>
    public static NetworkLab Create(int nodes, TextWriter log, TimeSpan lockWait)
    {
        CheckPrerequisites();
        var @lock = AcquireLock(log, lockWait);
        var lab = new NetworkLab(nodes, @lock, log);
        try
        {
            CleanStale(log);
            CheckSubnetIsFree();
            Commands.Check("ip", ["link", "add", BridgeName, "type", "bridge"]);
            Commands.Check("ip", ["addr", "add", HostAddress + "/24", "dev", BridgeName]);
            Commands.Check("ip", ["link", "set", BridgeName, "up"]);
            for (var node = 1; node <= nodes; node++)
            {
                var ns = NamespaceOf(node);
                var veth = $"{Prefix}v{node.ToString(CultureInfo.InvariantCulture)}";
                Commands.Check("ip", ["netns", "add", ns]);
                Commands.Check("ip", ["link", "add", veth, "type", "veth", "peer", "name", "eth0", "netns", ns]);
                Commands.Check("ip", ["link", "set", veth, "master", BridgeName, "up"]);
                Commands.Check("ip", ["-n", ns, "addr", "add", AddressOf(node) + "/24", "dev", "eth0"]);
                Commands.Check("ip", ["-n", ns, "link", "set", "eth0", "up"]);
                Commands.Check("ip", ["-n", ns, "link", "set", "lo", "up"]);
            }

            // Every namespace starts with an empty filter table: iptables is usable there before the first fault.
            lab.Apply(Grudge.None);
            log.WriteLine($"network: bridge {BridgeName} {HostAddress}/24, namespaces {string.Join(", ", Enumerable.Range(1, nodes).Select(n => $"{NamespaceOf(n)} {AddressOf(n)}"))}");
            return lab;
        }
        catch
        {
            lab.Dispose();
            throw;
        }
    }

    /// <summary>Installs <paramref name="grudge"/>, replacing the previous one, in every node's namespace.</summary>
    /// <exception cref="InvalidOperationException">Links go through the proxy, where the grudge's rules would not match.</exception>
    public void Apply(Grudge grudge)
    {
        if (grudge.Drops.Count > 0 && _proxied.Count > 0)
        {
            throw new InvalidOperationException($"cannot install a partition ({grudge}) while {string.Join(", ", _proxied)} go through the link proxy: " +
                                                "their connections arrive from the proxy's address, which the partition's INPUT -s rules do not match");
        }

        for (var node = 1; node <= Nodes; node++)
        {
            Commands.Check("ip", ["netns", "exec", NamespaceOf(node), "iptables-restore"], grudge.RulesFor(node, AddressOf));
        }

        _partitioned = grudge.Drops.Count > 0;
    }

    /// <summary>The links whose Raft connections go through the proxy now; empty when every link is direct.</summary>
    public IReadOnlyList<Link> Proxied => _proxied;

    /// <summary>
    /// Sends the Raft connections of <paramref name="links"/> through the proxy (<see cref="LinkRoutes"/>), then closes their open connections so that Akka.Remote dials again, through the proxy: DNAT
    /// only applies to new connections. Returns how many sockets were closed.
    /// </summary>
    /// <param name="links">The links to proxy.</param>
    /// <param name="proxyPortOf">The proxy's port (on <see cref="HostAddress"/>) for connections to a node.</param>
    /// <exception cref="InvalidOperationException">A partition is installed (see <see cref="LinkRoutes"/>), links are
    /// proxied already, or a command failed.</exception>
    public int RouteThroughProxy(IReadOnlyList<Link> links, Func<int, int> proxyPortOf)
    {
        if (_partitioned) throw new InvalidOperationException($"cannot route {string.Join(", ", links)} through the link proxy while a partition is installed: its INPUT -s rules would not match proxied connections");
        if (_proxied.Count > 0) throw new InvalidOperationException($"{string.Join(", ", _proxied)} already go through the link proxy; route them directly first");
        // Recorded first: if a namespace refuses its rules, the heal still empties every nat table it touched.
        _proxied = [.. links];
        InstallRoutes(links, proxyPortOf);
        return Cut(links);
    }

    /// <summary>
    /// Routes every link directly again and closes the connections of the links that went through the proxy, so that
    /// Akka.Remote dials them again, directly. Returns how many sockets were closed (0 when nothing was proxied).
    /// </summary>
    public int RouteDirect()
    {
        if (_proxied.Count == 0) return 0;
        var links = _proxied;
        InstallRoutes([], _ => 0);
        _proxied = [];
        return Cut(links);
    }

    /// <summary>
    /// Replaces the nat table of every namespace the links touch, or that had routes, all at once: each command starts an
    /// <c>ip netns exec</c>, which takes a few hundred milliseconds on a loaded machine, and the fault's hold waits for
    /// none of them.
    /// </summary>
    private void InstallRoutes(IReadOnlyList<Link> links, Func<int, int> proxyPortOf)
    {
        var touched = Enumerable.Range(1, Nodes).Where(node => links.Any(l => l.Touches(node)) || _proxied.Any(l => l.Touches(node))).ToList();
        Parallel.ForEach(touched, new ParallelOptions { MaxDegreeOfParallelism = touched.Count }, node =>
        {
            var rules = LinkRoutes.RulesFor(node, links, AddressOf, NodeProcess.RaftPort, HostAddress, proxyPortOf);
            Commands.Check("ip", ["netns", "exec", NamespaceOf(node), "iptables-restore"], rules);
        });
    }

    /// <summary>Closes the Raft connections of <paramref name="links"/> at both ends (<c>ss -K</c>), all at once; how many sockets it closed.</summary>
    private int Cut(IReadOnlyList<Link> links)
    {
        var ends = links.SelectMany(link => new[] { (Node: link.A, Peer: link.B), (Node: link.B, Peer: link.A) }).ToList();
        var closed = 0;
        Parallel.ForEach(ends, new ParallelOptions { MaxDegreeOfParallelism = ends.Count }, end =>
        {
            var output = Commands.Check("ip", ["netns", "exec", NamespaceOf(end.Node), "ss", .. LinkRoutes.CutArguments(end.Peer, AddressOf, NodeProcess.RaftPort)]);
            // ss prints a header, then one line per socket it closed.
            Interlocked.Add(ref closed, Math.Max(0, output.Split('\n', StringSplitOptions.RemoveEmptyEntries).Length - 1));
        });
        return closed;
    }

    /// <summary>
    /// Removes every namespace and link named with <see cref="Prefix"/>: first the processes still running inside
    /// such a namespace (SIGKILL), then the namespace, then the links. Safe to call when there is nothing to clean.
    /// </summary>
    public static void CleanStale(TextWriter log)
    {
        var namespaces = Commands.Run("ip", ["netns", "list"]).Output
            .Split('\n', StringSplitOptions.RemoveEmptyEntries)
            .Select(line => line.Split(' ')[0])
            .Where(name => name.StartsWith(Prefix, StringComparison.Ordinal))
            .ToList();
        foreach (var ns in namespaces)
        {
            var pids = Commands.Run("ip", ["netns", "pids", ns]).Output.Split('\n', StringSplitOptions.RemoveEmptyEntries);
            foreach (var pid in pids) Commands.Run("kill", ["-9", pid.Trim()]);
            if (pids.Length > 0) log.WriteLine($"network: killed {pids.Length} stale process(es) in {ns}");
            Commands.Run("ip", ["netns", "del", ns]);
            log.WriteLine($"network: removed stale namespace {ns}");
        }

        NodeDisks.CleanStale(log);

        var links = Commands.Run("ip", ["-o", "link", "show"]).Output
            .Split('\n', StringSplitOptions.RemoveEmptyEntries)
            .Select(line => line.Split(':', 3))
            .Where(parts => parts.Length == 3)
            .Select(parts => parts[1].Trim().Split('@')[0])
            .Where(name => name.StartsWith(Prefix, StringComparison.Ordinal))
            .ToList();
        foreach (var link in links)
        {
            // A host-side veth whose namespace is gone has gone with it; what is left is the bridge or an orphan.
            Commands.Run("ip", ["link", "del", link]);
            log.WriteLine($"network: removed stale link {link}");
        }
    }

    /// <summary>Removes the namespaces (killing what still runs in them) and the bridge, then releases the lock.</summary>
    public void Dispose()
    {
        if (_disposed) return;
        _disposed = true;
        try
        {
            CleanQuietly();
        }
        finally
        {
            _lock.Dispose();
        }
    }

    private void CleanQuietly()
    {
        try
        {
            CleanStale(TextWriter.Null);
            _log.WriteLine("network: namespaces and bridge removed");
        }
        catch (Exception e) when (e is InvalidOperationException or IOException)
        {
            _log.WriteLine($"network: cleaning up failed: {e.Message}; the next run cleans what is left");
        }
    }

    /// <summary>Takes the harness's lock, waiting up to <paramref name="wait"/>; dispose it to release it.</summary>
    /// <exception cref="InvalidOperationException">Another harness held it all that time.</exception>
    public static HarnessLock AcquireLock(TextWriter log, TimeSpan wait) => HarnessLock.Acquire(LockFile, log, wait);

    private static void CheckSubnetIsFree()
    {
        var routes = Commands.Run("ip", ["-4", "route", "show", "10.77.0.0/24"]).Output.Trim();
        if (routes.Length > 0)
        {
            throw new InvalidOperationException($"10.77.0.0/24 is already routed on this host ({routes}); the fault harness will not share it");
        }
    }
}
