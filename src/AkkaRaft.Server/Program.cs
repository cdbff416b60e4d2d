using AkkaRaft.Server.Cli;

namespace AkkaRaft.Server;

/// <summary>The <c>akkaraft</c> executable.</summary>
public static class Program
{
    /// <summary>Parses the command line and runs the chosen command; the exit code is the command's.</summary>
    public static int Main(string[] args) =>
        AkkaRaftCommandLine.Run(args, CliEnvironment.FromProcess());
}
