using System.Diagnostics;
using System.Runtime.InteropServices;

namespace AkkaRaft.BenchVsEtcd;

/// <summary>
/// The long-running processes this run started (cluster members): each one's output goes to a log file, and all of
/// them are killed, with their children, when the run ends, fails, or is interrupted (SIGINT, SIGTERM).
/// </summary>
public sealed class ChildProcesses : IDisposable
{
    private readonly object _gate = new();
    private readonly List<(string Name, Process Process, StreamWriter Log)> _children = new();
    private readonly PosixSignalRegistration[] _signals;
    private bool _stopped;

    /// <summary>Starts watching for SIGINT and SIGTERM, which kill every child before the run exits.</summary>
    public ChildProcesses()
    {
        _signals =
        [
            PosixSignalRegistration.Create(PosixSignal.SIGINT, OnSignal),
            PosixSignalRegistration.Create(PosixSignal.SIGTERM, OnSignal),
        ];
        AppDomain.CurrentDomain.ProcessExit += (_, _) => KillAll();
    }

    /// <summary>Starts <paramref name="file"/> with <paramref name="arguments"/>, its output appended to <paramref name="logPath"/>; printed first.</summary>
    /// <returns>The process.</returns>
    public Process Start(string name, string file, IReadOnlyList<string> arguments, string logPath, IReadOnlyDictionary<string, string>? environment = null)
    {
        var shown = string.Concat((environment ?? new Dictionary<string, string>()).Select(e => $"{e.Key}={e.Value} "));
        Console.WriteLine($"> {shown}{file} {string.Join(' ', arguments)}   (output: {logPath})");
        var start = new ProcessStartInfo(file)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var argument in arguments) start.ArgumentList.Add(argument);
        foreach (var (key, value) in environment ?? new Dictionary<string, string>()) start.Environment[key] = value;
        var log = new StreamWriter(logPath, append: true) { AutoFlush = true };
        var process = new Process { StartInfo = start };
        process.OutputDataReceived += (_, e) => Append(log, e.Data);
        process.ErrorDataReceived += (_, e) => Append(log, e.Data);
        lock (_gate)
        {
            if (_stopped) throw new InvalidOperationException("the run is stopping; no process is started");
            process.Start();
            _children.Add((name, process, log));
        }

        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        return process;
    }

    /// <summary>Throws when one of the children has exited: a member that died makes every later figure meaningless.</summary>
    /// <exception cref="InvalidOperationException">A child exited; the message names it and its exit code.</exception>
    public void EnsureRunning()
    {
        lock (_gate)
        {
            foreach (var (name, process, _) in _children)
            {
                if (process.HasExited) throw new InvalidOperationException($"{name} exited with code {process.ExitCode}; see its log");
            }
        }
    }

    /// <summary>Kills every child and its descendants, and waits for each to be gone (at most 10 s each).</summary>
    public void KillAll()
    {
        List<(string Name, Process Process, StreamWriter Log)> children;
        lock (_gate)
        {
            _stopped = true;
            children = [.. _children];
            _children.Clear();
        }

        foreach (var (name, process, log) in children)
        {
            try
            {
                if (!process.HasExited)
                {
                    process.Kill(entireProcessTree: true);
                    if (!process.WaitForExit(TimeSpan.FromSeconds(10))) Console.Error.WriteLine($"bench-vs-etcd: {name} (pid {process.Id}) did not exit within 10 s of SIGKILL");
                }
            }
            catch (InvalidOperationException)
            {
                // Exited between the check and the kill.
            }

            process.Dispose();
            lock (log) log.Dispose();
        }
    }

    /// <inheritdoc />
    public void Dispose()
    {
        KillAll();
        foreach (var signal in _signals) signal.Dispose();
    }

    private void OnSignal(PosixSignalContext context)
    {
        Console.Error.WriteLine($"bench-vs-etcd: {context.Signal}: stopping every cluster member");
        KillAll();
        // The default action then ends the run.
    }

    private static void Append(StreamWriter log, string? line)
    {
        if (line is null) return;
        lock (log)
        {
            try
            {
                log.WriteLine(line);
            }
            catch (ObjectDisposedException)
            {
                // The run is over; late output is dropped.
            }
        }
    }
}
