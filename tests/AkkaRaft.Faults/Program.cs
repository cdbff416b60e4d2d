using System.Globalization;
using System.Runtime.InteropServices;
using AkkaRaft.Faults;
using AkkaRaft.Faults.History;
using AkkaRaft.Faults.Nemesis;
using AkkaRaft.Faults.Network;
using AkkaRaft.TestSupport.Linearizability;

// akkaraft-faults: the fault harness of issue #20 (docs/FAULTS.md).
//   run   [--minutes N | --seconds N] [--seed S] [--nodes 3|5] [--clients N] [--session-clients N] [--series-clients N] [--lock-clients N] [--watch-clients N] [--grpc-clients N] [--faults a,b|all] [--out DIR]
//         [--unsafe-stale-reads] [--unsafe-ack-before-fsync] [--lease-reads] [--remote-tls] [--max-log-count N]
//         [--link-delay-max-ms N] [--link-duplicate-max P] [--link-reorder-max P]   limits of the link faults' draws
//   check <history.jsonl> [--max-states N]      re-checks a history file
//   schedule [--minutes N | --seconds N] [--seed S] [--faults ...]   prints a seed's fault schedule
//   clean                                         removes what a crashed run left (namespaces, bridge, processes)
// Exit codes: 0 pass, 1 a violation, a crash, or no recovery, 2 bad usage or a machine that cannot run it, 130 interrupted.

return await Cli.MainAsync(args);

internal static class Cli
{
    public static async Task<int> MainAsync(string[] args)
    {
        var command = args.Length > 0 && !args[0].StartsWith("--", StringComparison.Ordinal) ? args[0] : "run";
        var rest = args.Length > 0 && command == args[0] ? args[1..] : args;
        try
        {
            return command switch
            {
                "run" => await RunAsync(rest).ConfigureAwait(false),
                "check" => Check(rest),
                "schedule" => Schedule(rest),
                "clean" => Clean(),
                _ => throw new ArgumentException($"unknown command '{command}': run, check, schedule or clean"),
            };
        }
        catch (ArgumentException e)
        {
            await Console.Error.WriteLineAsync($"akkaraft-faults: {e.Message}").ConfigureAwait(false);
            return 2;
        }
        catch (InvalidOperationException e)
        {
            await Console.Error.WriteLineAsync($"akkaraft-faults: {e.Message}").ConfigureAwait(false);
            return 2;
        }
    }

    private static async Task<int> RunAsync(string[] args)
    {
        var options = ParseRun(args);
        using var interrupt = new CancellationTokenSource();
        // SIGINT and SIGTERM stop the run cleanly: the nodes are killed and the namespaces removed before exiting.
        using var sigint = PosixSignalRegistration.Create(PosixSignal.SIGINT, c => { c.Cancel = true; interrupt.Cancel(); });
        using var sigterm = PosixSignalRegistration.Create(PosixSignal.SIGTERM, c => { c.Cancel = true; interrupt.Cancel(); });
        try
        {
            var report = await FaultRun.RunAsync(options, Console.Out, interrupt.Token).ConfigureAwait(false);
            FaultRun.Print(report, Console.Out);
            return report.Passed ? 0 : 1;
        }
        catch (OperationCanceledException) when (interrupt.IsCancellationRequested)
        {
            await Console.Error.WriteLineAsync("akkaraft-faults: interrupted; nodes killed and namespaces removed").ConfigureAwait(false);
            return 130;
        }
    }

    internal static FaultRunOptions ParseRun(string[] args)
    {
        var nodes = 3;
        var duration = TimeSpan.FromMinutes(2);
        var seed = Environment.TickCount & 0x7fffffff;
        var output = Path.Combine("artifacts", "faults");
        var clients = 0;
        int? sessionClients = null;
        int? seriesClients = null;
        int? lockClients = null;
        int? watchClients = null;
        int? grpcClients = null;
        IReadOnlyList<FaultKind> kinds = FaultSchedule.AllKinds;
        var unsafeReads = false;
        var unsafeAcks = false;
        var leaseReads = false;
        var remoteTls = false;
        int? maxLogCount = null;
        var kindsGiven = false;
        var linkFaults = new LinkFaultOptions();
        for (var i = 0; i < args.Length; i++)
        {
            string Value() => i + 1 < args.Length ? args[++i] : throw new ArgumentException($"{args[i]} needs a value");
            switch (args[i])
            {
                case "--minutes": duration = TimeSpan.FromMinutes(Number(Value(), "--minutes")); break;
                case "--seconds": duration = TimeSpan.FromSeconds(Number(Value(), "--seconds")); break;
                case "--seed": seed = (int)Number(Value(), "--seed"); break;
                case "--nodes": nodes = (int)Number(Value(), "--nodes"); break;
                case "--clients": clients = (int)Number(Value(), "--clients"); break;
                case "--session-clients": sessionClients = (int)Number(Value(), "--session-clients"); break;
                case "--series-clients": seriesClients = (int)Number(Value(), "--series-clients"); break;
                case "--lock-clients": lockClients = (int)Number(Value(), "--lock-clients"); break;
                case "--watch-clients": watchClients = (int)Number(Value(), "--watch-clients"); break;
                case "--grpc-clients": grpcClients = (int)Number(Value(), "--grpc-clients"); break;
                case "--out": output = Value(); break;
                case "--faults": kinds = FaultSchedule.ParseKinds(Value()); kindsGiven = true; break;
                case "--remote-tls": remoteTls = true; break;
                case "--max-log-count": maxLogCount = (int)Number(Value(), "--max-log-count"); break;
                case "--unsafe-stale-reads": unsafeReads = true; break;
                case "--unsafe-ack-before-fsync": unsafeAcks = true; break;
                case "--lease-reads": leaseReads = true; break;
                case "--link-delay-max-ms": linkFaults = linkFaults with { DelayMax = TimeSpan.FromMilliseconds(Number(Value(), "--link-delay-max-ms")) }; break;
                case "--link-duplicate-max": linkFaults = linkFaults with { DuplicateShareMax = Number(Value(), "--link-duplicate-max") }; break;
                case "--link-reorder-max": linkFaults = linkFaults with { ReorderShareMax = Number(Value(), "--link-reorder-max") }; break;
                default: throw new ArgumentException($"unknown option '{args[i]}'");
            }
        }

        // With TLS between the nodes, "all" means every fault the link proxy is not needed for.
        if (remoteTls && !kindsGiven) kinds = [.. kinds.Where(k => !FaultSchedule.IsLinkFault(k))];
        return new FaultRunOptions(nodes, duration, seed, output) { RemoteTls = remoteTls, MaxLogCount = maxLogCount, Clients = clients, SessionClients = sessionClients, SeriesClients = seriesClients, LockClients = lockClients, WatchClients = watchClients, GrpcClients = grpcClients, Kinds = kinds, UnsafeStaleReads = unsafeReads, UnsafeAckBeforeFsync = unsafeAcks, LeaseReads = leaseReads, LinkFaults = linkFaults }.Validate();
    }

    private static int Check(string[] args)
    {
        if (args.Length == 0) throw new ArgumentException("check needs a history file: akkaraft-faults check <history.jsonl> [--max-states N]");
        var path = args[0];
        var budget = LinearizabilityChecker.DefaultMaxExploredStatesPerKey;
        if (args.Length == 3 && args[1] == "--max-states") budget = (long)Number(args[2], "--max-states");
        else if (args.Length != 1) throw new ArgumentException("usage: akkaraft-faults check <history.jsonl> [--max-states N]");
        var loaded = HistoryFile.Load(path);
        FaultRun.PrintOperations("register", loaded.Counts, Console.Out);
        var check = LinearizabilityChecker.Check(loaded.Operations, budget);
        FaultRun.PrintVerdict(check, Path.GetFullPath(path), null, Console.Out);
        return check.Verdict == Verdict.Linearizable ? 0 : 1;
    }

    private static int Schedule(string[] args)
    {
        var options = ParseRun(args);
        foreach (var step in FaultSchedule.Create(options.Seed, options.Duration, options.Kinds))
        {
            Console.WriteLine($"{step.Start.TotalSeconds,7:0.0}s  {FaultSchedule.NameOf(step.Kind),-20} hold {step.Hold.TotalSeconds:0.0}s  seed {step.Seed}");
        }

        return 0;
    }

    private static int Clean()
    {
        NetworkLab.CheckPrerequisites();
        // Never under a run that is still going: its namespaces are not stale.
        using var held = NetworkLab.AcquireLock(Console.Out, TimeSpan.Zero);
        NetworkLab.CleanStale(Console.Out);
        return 0;
    }

    private static double Number(string text, string option) =>
        double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out var value) && value >= 0
            ? value
            : throw new ArgumentException($"{option} takes a non-negative number, got '{text}'");
}
