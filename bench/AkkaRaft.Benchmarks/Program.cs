using BenchmarkDotNet.Running;

namespace AkkaRaft.Benchmarks;

/// <summary>
/// Entry point for every micro benchmark: `dotnet run -c Release --project bench/AkkaRaft.Benchmarks -- --filter '*Gorilla*'`.
/// BenchmarkDotNet's switcher lists the benchmarks when no filter is given.
/// </summary>
public static class Program
{
    public static int Main(string[] args)
    {
        var summaries = BenchmarkSwitcher.FromAssembly(typeof(Program).Assembly).Run(args);
        return summaries.Any(s => s.HasCriticalValidationErrors) ? 1 : 0;
    }
}
