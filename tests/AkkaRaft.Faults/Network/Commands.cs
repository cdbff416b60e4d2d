using System.Diagnostics;

namespace AkkaRaft.Faults.Network;

/// <summary>The outcome of one external command: its exit code and what it printed.</summary>
/// <param name="ExitCode">The exit code.</param>
/// <param name="Output">Standard output.</param>
/// <param name="Error">Standard error.</param>
internal sealed record CommandResult(int ExitCode, string Output, string Error);

/// <summary>Runs the external commands the harness is built on (<c>ip</c>, <c>iptables-restore</c>, <c>kill</c>).</summary>
internal static class Commands
{
    /// <summary>Runs <paramref name="file"/> with <paramref name="args"/>, feeding it <paramref name="input"/>; never throws on a non-zero exit.</summary>
    /// <exception cref="InvalidOperationException">The command cannot be started (not installed).</exception>
    public static CommandResult Run(string file, IReadOnlyList<string> args, string? input = null)
    {
        var start = new ProcessStartInfo(file)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = input is not null,
            UseShellExecute = false,
        };
        foreach (var arg in args) start.ArgumentList.Add(arg);
        Process process;
        try
        {
            process = Process.Start(start) ?? throw new InvalidOperationException($"'{file}' did not start");
        }
        catch (System.ComponentModel.Win32Exception e)
        {
            throw new InvalidOperationException($"'{file}' cannot be run ({e.Message}); the fault harness needs root, iproute2 and iptables", e);
        }

        using (process)
        {
            if (input is not null)
            {
                process.StandardInput.Write(input);
                process.StandardInput.Close();
            }

            // Both streams at once, so that a chatty command cannot block on a full pipe.
            var error = process.StandardError.ReadToEndAsync();
            var output = process.StandardOutput.ReadToEnd();
            process.WaitForExit();
            return new CommandResult(process.ExitCode, output, error.Result);
        }
    }

    /// <summary>Runs the command and throws when it fails, with the command line and what it printed.</summary>
    /// <exception cref="InvalidOperationException">The command failed or cannot be started.</exception>
    public static string Check(string file, IReadOnlyList<string> args, string? input = null)
    {
        var result = Run(file, args, input);
        if (result.ExitCode != 0)
        {
            throw new InvalidOperationException($"'{file} {string.Join(' ', args)}' exited with {result.ExitCode}: {result.Error.Trim()}{result.Output.Trim()}");
        }

        return result.Output;
    }
}
