using System.CommandLine;
using System.CommandLine.Help;

namespace AkkaRaft.Server.Cli;

/// <summary>
/// The command tree of <c>akkaraft</c>. Each command group lives in its own file under Cli/ and is added here
/// (<c>config</c> now; <c>serve</c>, <c>kv</c>, <c>cluster</c> and <c>ts</c> join it as they are built).
/// </summary>
public static class AkkaRaftCommandLine
{
    /// <summary>Exit code of a command that ran to completion.</summary>
    public const int ExitOk = 0;

    /// <summary>Exit code when the input was refused: a bad configuration file, an unknown setting, a parse error.</summary>
    public const int ExitBadInput = 2;

    /// <summary>
    /// Parses and runs a command line. A usage error (unknown option or command, missing value) is reported on
    /// the error writer, one line per error, with exit code <see cref="ExitBadInput"/>.
    /// </summary>
    /// <param name="invocation">Where output and errors go; the console when null.</param>
    public static int Run(string[] args, CliEnvironment environment, InvocationConfiguration? invocation = null)
    {
        // The serve command handles SIGTERM and Ctrl+C itself (graceful stop, exit 0).
        invocation ??= new InvocationConfiguration { ProcessTerminationTimeout = null };
        var parseResult = Create(environment).Parse(args);
        if (parseResult.Errors.Count > 0)
        {
            foreach (var error in parseResult.Errors)
            {
                invocation.Error.WriteLine($"akkaraft: {error.Message}");
            }

            var command = string.Join(' ', CommandPath(parseResult.CommandResult).Prepend("akkaraft"));
            invocation.Error.WriteLine($"See '{command} --help'.");
            return ExitBadInput;
        }

        return parseResult.Invoke(invocation);
    }

    /// <summary>The names of the subcommands leading to <paramref name="result"/>, root excluded.</summary>
    private static IEnumerable<string> CommandPath(System.CommandLine.Parsing.CommandResult result)
    {
        var names = new Stack<string>();
        for (var current = result; current?.Parent is not null; current = current.Parent as System.CommandLine.Parsing.CommandResult)
        {
            names.Push(current.Command.Name);
        }

        return names;
    }

    /// <summary>Builds the root command with every command group.</summary>
    public static RootCommand Create(CliEnvironment environment)
    {
        ArgumentNullException.ThrowIfNull(environment);
        var root = new RootCommand("AkkaRaft: Raft consensus with a replicated key/value store and time series.");
        root.Add(ConfigCommands.Create(environment));
        root.Add(ServeCommand.Create(environment));
        root.Add(KvCliCommands.Create());
        root.Add(TsCliCommands.Create());
        root.Add(ClusterCliCommands.Create());
        root.Add(CoordinationCliCommands.Lock());
        root.Add(CoordinationCliCommands.Session());
        root.Add(TokenCliCommands.Create());
        // --token (or AKKARAFT_TOKEN) and --cacert on every command that talks to a cluster.
        ClusterCredentials.AddTo(root, environment);
        // Without a command, akkaraft runs a node (with the serve options).
        ServeCommand.Configure(root, environment, positionalDataDir: false);
        return root;
    }

    /// <summary>A command group invoked without a subcommand prints its help instead of nothing.</summary>
    internal static void ShowHelpWhenInvokedAlone(Command command)
    {
        command.SetAction(parseResult =>
        {
            new HelpAction().Invoke(parseResult);
            return ExitOk;
        });
    }
}
