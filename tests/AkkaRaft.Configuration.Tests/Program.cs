using AkkaConfigurationFactory = Akka.Configuration.ConfigurationFactory;

namespace AkkaRaft.Configuration.Tests;

/// <summary>
/// The test assembly's entry point, used only by <see cref="AkkaParserFlawTests"/>: a stack overflow cannot be caught
/// in .NET, it ends the process, so a test that shows one runs Akka's parser in a process of its own
/// (<c>dotnet exec AkkaRaft.Configuration.Tests.dll akka-read FILE PATH</c>). The test runner does not use it.
/// </summary>
internal static class Program
{
    public const string ReadCommand = "akka-read";

    /// <summary>The path argument that asks for the whole configuration as text (Akka's Config.ToString()).</summary>
    public const string WholeConfig = "-";

    public static int Main(string[] args)
    {
        if (args is not [ReadCommand, var file, var path])
        {
            Console.Error.WriteLine($"usage: {ReadCommand} FILE PATH (runs Akka's HOCON parser on FILE and reads PATH, or {WholeConfig} for all)");
            return 64;
        }

        var config = AkkaConfigurationFactory.ParseString(File.ReadAllText(file));
        Console.Out.WriteLine("parsed");
        Console.Out.Flush();
        var value = path == WholeConfig ? config.ToString() : config.GetString(path);
        Console.Out.WriteLine("read: " + value);
        return 0;
    }
}
