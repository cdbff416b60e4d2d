using System.Globalization;
using System.Net;
using AkkaRaft.Faults.History;
using AkkaRaft.Faults.Nemesis;
using AkkaRaft.Faults.Network;
using AkkaRaft.Faults.Workload;
using AkkaRaft.TestSupport.Certificates;
using AkkaRaft.TestSupport.Linearizability;

namespace AkkaRaft.Faults;

/// <summary>
/// One run: the network lab, the nodes, the register workload and the nemesis side by side for the run's duration,
/// then a final heal, a check that writes are accepted again, Jepsen's final reads, and the linearizability check of
/// the history file exactly as <c>akkaraft-faults check</c> re-checks it. The network is removed whatever happens.
/// </summary>
internal static class FaultRun
{
    /// <summary>How long the cluster has to elect a leader and take a write, at the start and after the final heal.</summary>
    public static readonly TimeSpan Patience = TimeSpan.FromSeconds(60);

    /// <summary>Runs <paramref name="options"/>, logging to <paramref name="console"/> and the run's <c>run.log</c>.</summary>
    /// <exception cref="InvalidOperationException">The machine cannot run the harness, or the cluster never formed.</exception>
    /// <exception cref="OperationCanceledException">Interrupted (SIGINT, SIGTERM); the network is removed first.</exception>
    public static async Task<RunReport> RunAsync(FaultRunOptions options, TextWriter console, CancellationToken cancellationToken)
    {
        options.Validate();
        var clock = new RunClock();
        var name = $"{clock.StartedUtc.ToString("yyyyMMdd-HHmmss", CultureInfo.InvariantCulture)}-seed{options.Seed.ToString(CultureInfo.InvariantCulture)}";
        var directory = Path.GetFullPath(Path.Combine(options.OutputRoot, name));
        Directory.CreateDirectory(directory);
        using var runLog = new StreamWriter(Path.Combine(directory, "run.log")) { AutoFlush = true };
        var gate = new object();
        void Log(string line)
        {
            var stamped = $"{clock.Stamp()} {line}";
            lock (gate)
            {
                console.WriteLine(stamped);
                runLog.WriteLine(stamped);
            }
        }

        var logWriter = new ActionWriter(Log);
        var schedule = FaultSchedule.Create(options.Seed, options.Duration, options.Kinds);
        var clients = options.Clients > 0 ? options.Clients : 2 * options.Nodes;
        var sessionClients = options.SessionClients ?? options.Nodes;
        var seriesClients = options.SeriesClients ?? options.Nodes;
        var lockClients = options.LockClients ?? options.Nodes;
        var watchClients = options.WatchClients ?? options.Nodes;
        var grpcClients = options.GrpcClients ?? Math.Max(1, clients / 3);
        Log($"run {name}: {options.Nodes} nodes, {options.Duration.TotalSeconds:0}s, seed {options.Seed}, {clients} register clients ({grpcClients} through gRPC), {sessionClients} session clients, {seriesClients} series clients, {lockClients} lock clients and {watchClients} watch clients, output {directory}");
        Log($"schedule ({schedule.Count} faults): {string.Join(", ", schedule.Select(s => $"{s.Start.TotalSeconds:0.0}s {FaultSchedule.NameOf(s.Kind)} for {s.Hold.TotalSeconds:0.0}s"))}");
        if (options.UnsafeStaleReads) Log("UNSAFE: the nodes serve consistent reads from local state (akkaraft.raft.unsafe-stale-consistent-reads = on): the checker must report a violation");
        if (options.UnsafeAckBeforeFsync) Log("UNSAFE: followers acknowledge entries before they are durable (akkaraft.raft.unsafe-ack-before-fsync = on): disk-full-followers must lose acknowledged writes");
        if (options.RemoteTls) Log("TLS between the nodes (akkaraft.remote.tls = on): the Raft port and the snapshot port; no link faults");

        using var lab = NetworkLab.Create(options.Nodes, logWriter, TimeSpan.FromMinutes(10));
        using var proxy = StartProxy(options.Nodes, Log);
        var nodes = StartNodes(options, directory, Log);
        using var probe = new ClusterProbe(nodes);
        var historyPath = Path.Combine(directory, "history.jsonl");
        NemesisRunner? nemesis = null;
        TimeSpan? recoveredAfter;
        IReadOnlyList<string> unread;
        IReadOnlyList<string> unwritable;
        IReadOnlyList<string> sessionViolations;
        IReadOnlyList<string> seriesViolations;
        IReadOnlyList<string> lockViolations;
        IReadOnlyList<string> watchViolations;
        try
        {
            using var history = new HistoryWriter(historyPath, clock);
            var workload = new RegisterWorkload(nodes, history, clock, options.Seed, clients, grpcClients, options.OperationTimeout);
            var sessions = new SessionWorkload(nodes, history, clock, options.Seed, sessionClients, options.OperationTimeout);
            var series = new SeriesWorkload(nodes, clock, options.Seed, seriesClients, options.OperationTimeout);
            var locks = new LockWorkload(nodes, clock, options.Seed, lockClients, options.OperationTimeout);
            var watches = new WatchWorkload(nodes, clock, options.Seed, watchClients, options.OperationTimeout);
            var leader = await probe.WaitForLeaderAsync(Patience, cancellationToken).ConfigureAwait(false)
                         ?? throw new InvalidOperationException($"no node led within {Patience.TotalSeconds:0}s of the start; see the node logs in {directory}");
            var formed = await workload.WaitForWritesAsync(Patience, cancellationToken).ConfigureAwait(false)
                         ?? throw new InvalidOperationException($"the cluster took no write within {Patience.TotalSeconds:0}s of the start; see the node logs in {directory}");
            Log($"cluster up: {leader.Id} leads, first write after {formed.TotalSeconds:0.0}s more");

            // The schedule's times count from here, where the workload starts.
            var offset = clock.Elapsed;
            nemesis = new NemesisRunner(lab, nodes, probe, proxy, options.LinkFaults, clock, Log);
            using var stop = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            var work = Task.WhenAll(
                workload.RunAsync(offset + options.Duration, stop.Token),
                sessions.RunAsync(offset + options.Duration, stop.Token),
                series.RunAsync(offset + options.Duration, stop.Token),
                locks.RunAsync(offset + options.Duration, stop.Token),
                watches.RunAsync(offset + options.Duration, stop.Token));
            var faults = nemesis.RunAsync(schedule.Select(s => s with { Start = s.Start + offset }).ToList(), offset + options.Duration, stop.Token);
            try
            {
                await Task.WhenAll(work, faults).ConfigureAwait(false);
            }
            finally
            {
                await stop.CancelAsync().ConfigureAwait(false);
            }

            Log($"workload done: {history.Counts.Values.Sum()} operations; final heal");
            nemesis.Heal("end of the run");
            recoveredAfter = await workload.WaitForWritesAsync(Patience, cancellationToken).ConfigureAwait(false);
            Log(recoveredAfter is { } after ? $"recovery: a write was accepted {after.TotalSeconds:0.0}s after the final heal" : $"recovery: NO write was accepted within {Patience.TotalSeconds:0}s of the final heal");
            unread = await workload.FinalReadsAsync(Patience, sessions.Keys, cancellationToken).ConfigureAwait(false);
            var keyCount = workload.Keys.Count + sessions.Keys.Count;
            Log($"final reads: {keyCount - unread.Count} of {keyCount} keys read at consistent");
            Log(sessions.Summary());
            // Every session was closed or expires within a TTL; a new leader grants one more.
            await sessions.CheckEphemeralKeysGoneAsync(2 * SessionWorkload.Ttl + Patience, cancellationToken).ConfigureAwait(false);
            sessionViolations = sessions.Violations;
            await series.CheckEveryNodeAsync(Patience, cancellationToken).ConfigureAwait(false);
            seriesViolations = series.Violations;
            Log(series.Summary());
            Log(seriesViolations.Count == 0 ? "series: every read held every point acknowledged before it, and every node holds them all" : $"series: {seriesViolations.Count} VIOLATIONS: {string.Join("; ", seriesViolations)}");
            // The writers stopped and the cluster takes writes again: each watcher watches until nothing is left to see.
            await watches.CatchUpAsync(Patience, cancellationToken).ConfigureAwait(false);
            watchViolations = watches.Violations();
            Log(watches.Summary());
            Log(watchViolations.Count == 0
                ? "watches: every change seen once and in log order, each a real write, no acknowledged write missed"
                : $"watches: {watchViolations.Count} VIOLATIONS (seed {options.Seed}): {string.Join("; ", watchViolations)}");
            lockViolations = locks.Violations();
            Log(locks.Summary());
            Log(lockViolations.Count == 0 ? "locks: no hold began while another was known held; fencing tokens grew with the grants" : $"locks: {lockViolations.Count} VIOLATIONS: {string.Join("; ", lockViolations)}");
            Log(sessionViolations.Count == 0 ? "sessions: every write answered at one index; no ephemeral key outlived its session" : $"sessions: {sessionViolations.Count} VIOLATIONS: {string.Join("; ", sessionViolations)}");
            unwritable = await probe.WaitForWritableJournalsAsync(Patience, cancellationToken).ConfigureAwait(false);
            Log(unwritable.Count == 0 ? "journals: every node's journal takes writes" : $"journals: NOT writable again within {Patience.TotalSeconds:0}s: {string.Join(", ", unwritable)}");
            nemesis.Heal("before stopping");
        }
        finally
        {
            foreach (var node in nodes) node.Kill();
            Log("nodes stopped");
            NodeDisks.Unmount(nodes.Select(n => n.DataDir), Path.Combine(directory, "data"), Log);
        }

        var broken = BrokenInvariants(nodes);
        foreach (var line in broken) Log($"BROKEN INVARIANT: {line}");
        var loaded = HistoryFile.Load(historyPath);
        Log($"checking {loaded.Operations.Count} operations of {loaded.Invocations} in {historyPath}");
        var check = LinearizabilityChecker.Check(loaded.Operations);
        return new RunReport(directory, historyPath, check, loaded.Counts, nemesis.Injected, nemesis.Crashes, recoveredAfter, unread, unwritable, broken, nemesis.Links)
        {
            SessionViolations = sessionViolations,
            SeriesViolations = seriesViolations,
            MembershipFailures = nemesis.MembershipFailures,
            LockViolations = lockViolations,
            WatchViolations = watchViolations,
            Seed = options.Seed,
        };
    }

    /// <summary>
    /// The link proxy on the bridge's host address, one listener per node, idle (passing frames) until a link fault
    /// routes links through it.
    /// </summary>
    private static LinkProxy StartProxy(int nodes, Action<string> log)
    {
        var targets = Enumerable.Range(1, nodes).ToDictionary(
            n => "n" + n.ToString(CultureInfo.InvariantCulture),
            n => new IPEndPoint(IPAddress.Parse(NetworkLab.AddressOf(n)), NodeProcess.RaftPort));
        var byAddress = Enumerable.Range(1, nodes).ToDictionary(n => NetworkLab.AddressOf(n), n => "n" + n.ToString(CultureInfo.InvariantCulture));
        var proxy = new LinkProxy(IPAddress.Parse(NetworkLab.HostAddress), targets, new LinkProxySettings(),
            from => byAddress.GetValueOrDefault(from.Address.ToString(), from.ToString()), log);
        log($"link proxy: on {NetworkLab.HostAddress}, {string.Join(", ", targets.Keys.Select(n => $"{n} via port {proxy.PortOf(n)}"))}; idle until a link fault");
        return proxy;
    }

    /// <summary>The text of the peers' always-on invariant checks (<c>RaftInvariantException</c>) in a node's log.</summary>
    public const string InvariantMarker = "Raft invariant violated";

    /// <summary>
    /// Per node whose log has them: how many lines say <see cref="InvariantMarker"/>, and the first. A peer that broke
    /// an invariant restarts from its journal inside a process that keeps running, so only its log tells.
    /// </summary>
    private static List<string> BrokenInvariants(IReadOnlyList<NodeProcess> nodes)
    {
        var broken = new List<string>();
        foreach (var node in nodes.Where(n => File.Exists(n.LogFile)))
        {
            var lines = File.ReadLines(node.LogFile).Where(l => l.Contains(InvariantMarker, StringComparison.Ordinal) && !l.StartsWith("Cause:", StringComparison.Ordinal)).ToList();
            if (lines.Count == 0) continue;
            var first = lines[0][lines[0].IndexOf(InvariantMarker, StringComparison.Ordinal)..];
            broken.Add($"{node.Id} ({lines.Count} times, first: {first})");
        }

        return broken;
    }

    /// <summary>The password of the run's node certificate (a throwaway, as the CA that issued it).</summary>
    private const string NodeCertificatePassword = "faults";

    private static List<NodeProcess> StartNodes(FaultRunOptions options, string directory, Action<string> log)
    {
        var serverDirectory = options.ServerDirectory ?? AppContext.BaseDirectory;
        var apphost = Path.Combine(serverDirectory, "akkaraft");
        if (!File.Exists(apphost)) throw new InvalidOperationException($"the server's launcher {apphost} is missing: build src/AkkaRaft.Server (dotnet fsi build.fsx faults does)");
        // The nodes start through a link named "node" (see NodeProcess: no "akkaraft" on their command lines).
        var launcher = Path.Combine(directory, "node");
        File.CreateSymbolicLink(launcher, apphost);
        var numbers = Enumerable.Range(1, options.Nodes).ToList();
        var peers = string.Join(",", numbers.Select(n => $"n{n}={NetworkLab.AddressOf(n)}:{NodeProcess.RaftPort}"));
        var settings = new Dictionary<string, string>
        {
            // A request waits 2s for its outcome (the client gives up after 5s): 504s rather than hung clients.
            ["akkaraft.http.request-timeout"] = "2s",
            // A peer that stopped on a failed journal write starts again within a second (the default backs off from 1s
            // up to 30s): a disk fault of 4 to 9 seconds then sees many restarts, and a node whose disk is back takes
            // writes again within about a second.
            ["akkaraft.raft.restart-min-backoff"] = "100ms",
            ["akkaraft.raft.restart-max-backoff"] = "1s",
            ["akkaraft.raft.unsafe-stale-consistent-reads"] = options.UnsafeStaleReads ? "on" : "off",
            ["akkaraft.raft.unsafe-ack-before-fsync"] = options.UnsafeAckBeforeFsync ? "on" : "off",
            ["akkaraft.raft.lease-reads"] = options.LeaseReads ? "on" : "off",
        };
        if (options.MaxLogCount is { } maxLogCount) settings["akkaraft.raft.max-log-count"] = maxLogCount.ToString(CultureInfo.InvariantCulture);
        if (options.RemoteTls)
        {
            // One node certificate for all: a peer is admitted by the CA's signature, not by its name.
            var ca = new TestCertificateAuthority($"faults-{options.Seed}-cluster-ca");
            settings["akkaraft.remote.tls.enabled"] = "on";
            settings["akkaraft.remote.tls.ca-certificates-path"] = ca.WritePem(Path.Combine(directory, "cluster-ca.pem"));
            settings["akkaraft.remote.tls.certificate-path"] = ca.WriteNode(Path.Combine(directory, "node.p12"), "faults-node", NodeCertificatePassword);
            settings["akkaraft.remote.tls.certificate-password"] = NodeCertificatePassword;
        }

        var environment = settings.ToDictionary(s => NodeProcess.VariableOf(s.Key), s => s.Value);
        // The native launcher finds the runtime the harness runs on.
        environment["DOTNET_ROOT"] = Path.GetFullPath(Path.Combine(Path.GetDirectoryName(typeof(object).Assembly.Location)!, "..", "..", ".."));
        log($"node settings: {string.Join(", ", settings.Where(s => !s.Key.EndsWith("password", StringComparison.Ordinal)).Select(s => $"{s.Key} = {s.Value}"))}");
        var nodes = numbers.Select(n => new NodeProcess(n, launcher, Path.Combine(directory, "disks", $"n{n}"), Path.Combine(directory, $"n{n}.log"), peers, environment)).ToList();
        foreach (var node in nodes)
        {
            // Each node's journal on a disk of its own, which the disk-full fault fills.
            NodeDisks.Mount(node.Number, node.DataDir);
            node.Start();
            log($"started {node.Id} in {NetworkLab.NamespaceOf(node.Number)}: HTTP {node.Http}, Raft {node.Raft}, log {node.LogFile}");
        }

        return nodes;
    }

    /// <summary>Prints the run's figures: operations per function and outcome, faults by kind, crashes, recovery, verdict, and how to re-check.</summary>
    public static void Print(RunReport report, TextWriter output)
    {
        output.WriteLine();
        PrintOperations("register", report.Operations, output);
        output.WriteLine($"faults injected: {report.Faults.Values.Sum()} ({(report.Faults.Count == 0 ? "none" : string.Join(", ", report.Faults.OrderBy(f => f.Key).Select(f => $"{FaultSchedule.NameOf(f.Key)} {f.Value}")))})");
        output.WriteLine($"link proxy: {(report.Links.Connections == 0 ? "carried nothing (no link fault)" : report.Links.ToString())}");
        output.WriteLine($"node crashes: {(report.Crashes.Count == 0 ? "none" : string.Join("; ", report.Crashes))}");
        output.WriteLine($"broken invariants: {(report.BrokenInvariants.Count == 0 ? "none" : string.Join("; ", report.BrokenInvariants))}");
        output.WriteLine(report.RecoveredAfter is { } after
            ? $"recovery: writes accepted {after.TotalSeconds:0.0}s after the final heal"
            : $"recovery: FAILED: no write accepted within {Patience.TotalSeconds:0}s of the final heal");
        if (report.Unread.Count > 0) output.WriteLine($"final reads: no answer for {string.Join(", ", report.Unread)}");
        output.WriteLine(report.UnwritableJournals.Count == 0
            ? "journals: writable on every node after the final heal"
            : $"journals: FAILED: not writable again after the final heal on {string.Join(", ", report.UnwritableJournals)}");
        output.WriteLine(report.SessionViolations.Count == 0
            ? "sessions: exactly once (every answer to a write named one index), no ephemeral key outlived its session"
            : $"sessions: FAILED: {string.Join("; ", report.SessionViolations)}");
        output.WriteLine(report.SeriesViolations.Count == 0
            ? "series: no acknowledged point lost, none of a failed batch stored, every node the same"
            : $"series: FAILED: {string.Join("; ", report.SeriesViolations)}");
        output.WriteLine(report.LockViolations.Count == 0
            ? "locks: mutually exclusive, fencing tokens in grant order"
            : $"locks: FAILED: {string.Join("; ", report.LockViolations)}");
        output.WriteLine(report.WatchViolations.Count == 0
            ? "watches: every change seen once, in log order, each a real write; no acknowledged write missed"
            : $"watches: FAILED (seed {report.Seed}): {string.Join("; ", report.WatchViolations)}");
        if (report.Faults.ContainsKey(FaultKind.Membership) || report.MembershipFailures.Count > 0)
        {
            output.WriteLine(report.MembershipFailures.Count == 0
                ? "membership: every node a voter again after each membership fault"
                : $"membership: FAILED: {string.Join("; ", report.MembershipFailures)}");
        }

        PrintVerdict(report.Check, report.HistoryPath, Path.Combine(report.Directory, "violation.txt"), output);
        output.WriteLine($"run directory: {report.Directory} (history.jsonl, run.log, n*.log, data/)");
        output.WriteLine(report.Passed ? "result: PASS" : "result: FAIL");
    }

    /// <summary>Prints the operation counts of one workload.</summary>
    public static void PrintOperations(string workload, IReadOnlyDictionary<(string F, string Type), int> counts, TextWriter output)
    {
        int Sum(string type) => counts.Where(c => c.Key.Type == type).Sum(c => c.Value);
        output.WriteLine($"workload {workload}: {counts.Values.Sum()} operations: {Sum("ok")} ok, {Sum("fail")} fail, {Sum("info")} info (indeterminate)");
        foreach (var f in counts.Keys.Select(k => k.F).Distinct().Order(StringComparer.Ordinal))
        {
            output.WriteLine($"  {f,-6} ok {counts.GetValueOrDefault((f, "ok")),6}  fail {counts.GetValueOrDefault((f, "fail")),6}  info {counts.GetValueOrDefault((f, "info")),6}");
        }
    }

    /// <summary>Prints the verdict, and on a violation the key's story (also written to <paramref name="violationPath"/>) and the re-check command.</summary>
    public static void PrintVerdict(CheckResult check, string historyPath, string? violationPath, TextWriter output)
    {
        switch (check.Verdict)
        {
            case Verdict.Linearizable:
                output.WriteLine($"verdict: linearizable ({check.OperationCount} operations on {check.KeyCount} keys, {check.ExploredStates} states explored)");
                break;
            case Verdict.NotLinearizable:
                output.WriteLine($"verdict: NOT LINEARIZABLE on key {check.Key}");
                break;
            default:
                output.WriteLine($"verdict: UNDECIDED (the search ran out of budget on key {check.Key})");
                break;
        }

        if (check.Verdict != Verdict.Linearizable)
        {
            var story = check.Describe();
            if (violationPath is not null)
            {
                File.WriteAllText(violationPath, story + "\n");
                output.WriteLine($"the checker's account: {violationPath}");
            }

            var lines = story.Split('\n');
            foreach (var line in lines.Take(40)) output.WriteLine("  " + line);
            if (lines.Length > 40) output.WriteLine($"  ... ({lines.Length - 40} more lines)");
        }

        output.WriteLine($"history: {historyPath}");
        output.WriteLine($"re-check: dotnet {typeof(FaultRun).Assembly.Location} check {historyPath}   (or: dotnet fsi build.fsx faults check {historyPath})");
    }

    /// <summary>A TextWriter that hands each line to a callback (the run's stamped log).</summary>
    private sealed class ActionWriter(Action<string> write) : TextWriter
    {
        public override System.Text.Encoding Encoding => System.Text.Encoding.UTF8;

        public override void WriteLine(string? value) => write(value ?? "");

        public override void Write(char value) => throw new NotSupportedException("only whole lines are logged");
    }
}
