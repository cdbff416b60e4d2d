using System.Diagnostics;

namespace AkkaRaft.Persistence.Tests.Crash;

/// <summary>This test assembly started as a child process (see <see cref="Program"/>), with its output read line by line.</summary>
internal sealed class ChildProcess : IDisposable
{
    private readonly Process _process;
    private readonly Task<string> _stderr;

    private ChildProcess(Process process)
    {
        _process = process;
        _stderr = process.StandardError.ReadToEndAsync();
    }

    public static ChildProcess Start(params string[] args)
    {
        var host = Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") is { Length: > 0 } path ? path : "dotnet";
        var start = new ProcessStartInfo(host)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        start.ArgumentList.Add(typeof(ChildProcess).Assembly.Location);
        start.ArgumentList.Add(CrashHost.Command);
        foreach (var arg in args)
        {
            start.ArgumentList.Add(arg);
        }

        return new ChildProcess(Process.Start(start) ?? throw new InvalidOperationException($"could not start {host}"));
    }

    /// <summary>The next line of output, or null at its end; fails after <paramref name="timeout"/> with the child's stderr.</summary>
    public async Task<string?> ReadLineAsync(TimeSpan timeout)
    {
        using var cancel = new CancellationTokenSource(timeout);
        try
        {
            return await _process.StandardOutput.ReadLineAsync(cancel.Token);
        }
        catch (OperationCanceledException)
        {
            Kill();
            throw new TimeoutException($"the child printed nothing for {timeout.TotalSeconds}s; its stderr: {await _stderr}");
        }
    }

    /// <summary>SIGKILL: the child gets no chance to flush or clean up.</summary>
    public void Kill()
    {
        if (!_process.HasExited)
        {
            _process.Kill(entireProcessTree: true);
        }
    }

    public async Task<string> WaitForExitAsync()
    {
        await _process.WaitForExitAsync();
        return await _stderr;
    }

    public void Dispose()
    {
        Kill();
        _process.Dispose();
    }
}
