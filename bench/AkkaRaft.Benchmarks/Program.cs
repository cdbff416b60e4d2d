using BenchmarkDotNet.Running;

namespace AkkaRaft.Benchmarks;

/// <summary>
/// Entry point for every micro benchmark: `dotnet run -c Release --project bench/AkkaRaft.Benchmarks -- --filter '*Gorilla*'`.
/// BenchmarkDotNet's switcher lists the benchmarks when no filter is given. `-- persist-throughput [seconds]` runs the
/// persistence measurement instead (<see cref="Persistence.SqlPersistThroughput"/>), `-- snapshot-transfer [MiB] [runs]
/// [chunk KiB] [plain|tls]` the snapshot port's loopback throughput (<see cref="Raft.SnapshotTransferThroughput"/>),
/// `-- journal-write-path [seconds] [senders]` one journal write through Akka.Persistence.Sql against the same rows
/// written without its write queue (<see cref="Persistence.JournalWritePath"/>).
/// </summary>
public static class Program
{
    public static int Main(string[] args)
    {
        ArgumentNullException.ThrowIfNull(args);
        if (args is ["persist-throughput", ..])
        {
            // Not a BenchmarkDotNet benchmark: one persistent actor, 64 senders, each mode for a window (SqlPersistThroughput).
            var seconds = args.Length > 1 ? double.Parse(args[1], System.Globalization.CultureInfo.InvariantCulture) : 10;
            Persistence.SqlPersistThroughput.RunAsync(Console.Out, TimeSpan.FromSeconds(seconds)).GetAwaiter().GetResult();
            return 0;
        }

        if (args is ["journal-write-path", ..])
        {
            // Not a BenchmarkDotNet benchmark: the plugin's write path against rows written in the write call (JournalWritePath).
            var seconds = args.Length > 1 ? double.Parse(args[1], System.Globalization.CultureInfo.InvariantCulture) : 8;
            var senders = args.Length > 2 ? int.Parse(args[2], System.Globalization.CultureInfo.InvariantCulture) : 1;
            Persistence.JournalWritePath.RunAsync(Console.Out, TimeSpan.FromSeconds(seconds), senders).GetAwaiter().GetResult();
            return 0;
        }

        if (args is ["snapshot-transfer", ..])
        {
            // Not a BenchmarkDotNet benchmark: loopback fetches of one large snapshot (SnapshotTransferThroughput).
            int Arg(int i, int fallback) => args.Length > i ? int.Parse(args[i], System.Globalization.CultureInfo.InvariantCulture) : fallback;
            var tls = args.Length > 4 && args[4] == "tls";
            Raft.SnapshotTransferThroughput.RunAsync(Console.Out, Arg(1, 256), Arg(2, 5), Arg(3, 1024), tls).GetAwaiter().GetResult();
            return 0;
        }

        var summaries = BenchmarkSwitcher.FromAssembly(typeof(Program).Assembly).Run(args);
        return summaries.Any(s => s.HasCriticalValidationErrors) ? 1 : 0;
    }
}
