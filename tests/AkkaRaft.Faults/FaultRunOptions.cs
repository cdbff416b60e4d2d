using AkkaRaft.Faults.Nemesis;

namespace AkkaRaft.Faults;

/// <summary>What one run of the harness does.</summary>
/// <param name="Nodes">Cluster size: 3 or 5.</param>
/// <param name="Duration">How long the workload and the nemesis run (recovery and final reads come after).</param>
/// <param name="Seed">Seeds the fault schedule and the clients' choices.</param>
/// <param name="OutputRoot">Under which each run makes a directory of its own (history, logs, data).</param>
internal sealed record FaultRunOptions(int Nodes, TimeSpan Duration, int Seed, string OutputRoot)
{
    /// <summary>The faults the nemesis deals (all by default).</summary>
    public IReadOnlyList<FaultKind> Kinds { get; init; } = FaultSchedule.AllKinds;

    /// <summary>Concurrent clients; 0 = two per node.</summary>
    public int Clients { get; init; }

    /// <summary>Clients of the session workload (SessionWorkload), beside the register clients; null = one per node, 0 = none.</summary>
    public int? SessionClients { get; init; }

    /// <summary>Clients of the time-series workload (SeriesWorkload), one series each; null = one per node, 0 = none.</summary>
    public int? SeriesClients { get; init; }

    /// <summary>
    /// How many of the register clients speak gRPC through the .NET client library (GrpcRegisterClient) instead of
    /// HTTP; null = a third of them (at least one), 0 = none.
    /// </summary>
    public int? GrpcClients { get; init; }

    /// <summary>Clients of the lock workload (LockWorkload), contending for one lock; null = one per node, 0 = none.</summary>
    public int? LockClients { get; init; }

    /// <summary>Clients of the watch workload (WatchWorkload), a writer and a watcher each on a prefix of its own; null = one per node, 0 = none.</summary>
    public int? WatchClients { get; init; }

    /// <summary>Starts the nodes with <c>akkaraft.raft.unsafe-stale-consistent-reads = on</c>: the deliberate bug the harness must catch.</summary>
    public bool UnsafeStaleReads { get; init; }

    /// <summary>
    /// Starts the nodes with <c>akkaraft.raft.unsafe-ack-before-fsync = on</c>: the deliberate bug of followers that
    /// acknowledge entries before they are durable, which <c>disk-full-followers</c> must turn into lost writes.
    /// </summary>
    public bool UnsafeAckBeforeFsync { get; init; }

    /// <summary>Starts the nodes with <c>akkaraft.raft.lease-reads = on</c>, so that <c>default</c> reads use the leader lease.</summary>
    public bool LeaseReads { get; init; }

    /// <summary>
    /// Starts the nodes with <c>akkaraft.remote.tls</c> on (certificates from a CA made for the run): the Raft port and
    /// the snapshot port speak TLS. The link faults cannot run then: their proxy reads Akka.Remote's frames, which TLS hides.
    /// </summary>
    public bool RemoteTls { get; init; }

    /// <summary>
    /// The nodes' <c>akkaraft.raft.max-log-count</c> when set: a small one compacts the log often, so a node that was down
    /// or cut off catches up from the leader's snapshot (through the snapshot port) rather than from its log.
    /// </summary>
    public int? MaxLogCount { get; init; }

    /// <summary>The limits of what the link faults draw (delay, shares of duplicated and reordered frames).</summary>
    public LinkFaultOptions LinkFaults { get; init; } = new();

    /// <summary>How long one client operation waits before its outcome is unknown.</summary>
    public TimeSpan OperationTimeout { get; init; } = TimeSpan.FromSeconds(5);

    /// <summary>Where the server's build output is (its native launcher <c>akkaraft</c>); default: beside the harness.</summary>
    public string? ServerDirectory { get; init; }

    /// <summary>Checks the options; throws on what cannot run.</summary>
    /// <exception cref="ArgumentException">A value is out of range.</exception>
    public FaultRunOptions Validate()
    {
        if (Nodes is not (3 or 5)) throw new ArgumentException($"--nodes must be 3 or 5, got {Nodes}");
        if (Duration < TimeSpan.FromSeconds(20)) throw new ArgumentException($"a run lasts at least 20 seconds, got {Duration.TotalSeconds:0}s");
        if (Clients < 0) throw new ArgumentException($"--clients must be positive, got {Clients}");
        if (SeriesClients < 0) throw new ArgumentException($"--series-clients must not be negative, got {SeriesClients}");
        if (SessionClients < 0) throw new ArgumentException($"--session-clients must not be negative, got {SessionClients}");
        if (LockClients < 0) throw new ArgumentException($"--lock-clients must not be negative, got {LockClients}");
        if (WatchClients < 0) throw new ArgumentException($"--watch-clients must not be negative, got {WatchClients}");
        if (GrpcClients < 0) throw new ArgumentException($"--grpc-clients must not be negative, got {GrpcClients}");
        if (GrpcClients > (Clients > 0 ? Clients : 2 * Nodes)) throw new ArgumentException($"--grpc-clients ({GrpcClients}) is more than the register clients ({(Clients > 0 ? Clients : 2 * Nodes)})");
        if (Kinds.Count == 0) throw new ArgumentException("--faults names no fault");
        if (RemoteTls && Kinds.Any(FaultSchedule.IsLinkFault))
        {
            throw new ArgumentException($"--remote-tls: the fault {FaultSchedule.NameOf(Kinds.First(FaultSchedule.IsLinkFault))} cannot run, its proxy reads Akka.Remote's frames, which TLS hides; name --faults without the link faults");
        }

        if (MaxLogCount is < 10) throw new ArgumentException($"--max-log-count must be at least 10, got {MaxLogCount}");
        LinkFaults.Validate();
        return this;
    }
}
