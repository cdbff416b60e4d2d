using AkkaRaft.Persistence.Tests.Crash;

namespace AkkaRaft.Persistence.Tests;

/// <summary>
/// The entry point of this assembly when it runs as a process of its own: the crash tests start it as the child that
/// persists events until it is killed. Test runners do not call it.
/// </summary>
public static class Program
{
    public static async Task<int> Main(string[] args)
    {
        if (args.Length > 0 && args[0] == CrashHost.Command)
        {
            return await CrashHost.RunAsync(args[1..]);
        }

        await Console.Error.WriteLineAsync($"usage: AkkaRaft.Persistence.Tests {CrashHost.Command} <mode> ... (this assembly is a test project)");
        return 2;
    }
}
