using BenchmarkDotNet.Running;

namespace AkkaRaft.Benchmarks;

/// <summary>
/// Entry point for every micro benchmark: `dotnet run -c Release --project bench/AkkaRaft.Benchmarks -- --filter '*Gorilla*'`.
/// BenchmarkDotNet's switcher lists the benchmarks when no filter is given. `-- sql-transactions [seconds]` runs
/// <see cref="Persistence.SqlPersistThroughput"/> instead: events per SQL transaction through Akka.Persistence.Sql.
/// </summary>
public static class Program
{
    public static int Main(string[] args)
    {
        if (args is ["sql-transactions", .. var rest])
        {
            var seconds = rest is [var s] && double.TryParse(s, System.Globalization.CultureInfo.InvariantCulture, out var parsed) ? parsed : 10;
            Persistence.SqlPersistThroughput.RunAsync(Console.Out, TimeSpan.FromSeconds(seconds)).GetAwaiter().GetResult();
            return 0;
        }

        var summaries = BenchmarkSwitcher.FromAssembly(typeof(Program).Assembly).Run(args);
        return summaries.Any(s => s.HasCriticalValidationErrors) ? 1 : 0;
    }
}
