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

    public static int Main(string[] args)
    {
        if (args is not [ReadCommand, var file, var path])
        {
            Console.Error.WriteLine($"usage: {ReadCommand} FILE PATH (runs Akka's HOCON parser on FILE and reads PATH)");
            return 64;
        }

        var config = AkkaConfigurationFactory.ParseString(File.ReadAllText(file));
        Console.Out.WriteLine("parsed");
        Console.Out.Flush();
        Console.Out.WriteLine("read: " + config.GetString(path));
        return 0;
    }
}
