using System.Diagnostics;
using System.Globalization;

namespace AkkaRaft.Faults.Network;

/// <summary>What the nemesis has done to a node's process.</summary>
internal enum NodeState
{
    /// <summary>Not started, or killed and not restarted.</summary>
    Down,

    /// <summary>Running.</summary>
    Running,

    /// <summary>Stopped by SIGSTOP: alive, holding its sockets, doing nothing.</summary>
    Paused,
}

/// <summary>
/// One <c>akkaraft serve</c> process inside its node's namespace, started as
/// <c>ip netns exec akf-nN RUN/node serve -id nN -haddr 10.77.0.N:8091 -raddr 10.77.0.N:8089 -peers ... RUN/data/nN</c>,
/// where <c>RUN/node</c> is a symbolic link to the server's native launcher and the settings come as <c>AKKARAFT__</c>
/// environment variables. <c>ip netns exec</c> and the shell that redirects its output both exec, so the process id is
/// the server's own: SIGKILL, SIGSTOP and SIGCONT reach the server itself. Its output is appended to <c>nN.log</c>
/// across restarts.
/// </summary>
/// <remarks>
/// The command line names neither <c>akkaraft</c> nor <c>akkaraft.dll</c>, so that a broad <c>pkill -f akkaraft</c> by
/// someone else on a shared machine does not stop the harness's nodes (that happened, and looked like crashes).
/// </remarks>
internal sealed class NodeProcess(int number, string launcher, string dataDir, string logFile, string peers, IReadOnlyDictionary<string, string> environment)
{
    /// <summary>The HTTP port of every node (each node has an address of its own).</summary>
    public const int HttpPort = 8091;

    /// <summary>The Raft (Akka.Remote) port of every node.</summary>
    public const int RaftPort = 8089;

    /// <summary>The gRPC port of every node.</summary>
    public const int GrpcPort = 8093;

    private Process? _process;

    /// <summary>1-based number; the node's id is <c>n</c> and this number.</summary>
    public int Number => number;

    /// <summary>The node's id, e.g. <c>n2</c>.</summary>
    public string Id { get; } = "n" + number.ToString(CultureInfo.InvariantCulture);

    /// <summary>host:port of its HTTP API on the bridge.</summary>
    public string Http { get; } = $"{NetworkLab.AddressOf(number)}:{HttpPort.ToString(CultureInfo.InvariantCulture)}";

    /// <summary>host:port of its gRPC API on the bridge.</summary>
    public string Grpc { get; } = $"{NetworkLab.AddressOf(number)}:{GrpcPort.ToString(CultureInfo.InvariantCulture)}";

    /// <summary>host:port of its Raft transport on the bridge.</summary>
    public string Raft { get; } = $"{NetworkLab.AddressOf(number)}:{RaftPort.ToString(CultureInfo.InvariantCulture)}";

    /// <summary>Where its journal lives.</summary>
    public string DataDir => dataDir;

    /// <summary>Where its output goes.</summary>
    public string LogFile => logFile;

    /// <summary>The process id while it runs (the server's own: see the class remarks), else null.</summary>
    public int? Pid => _process is { HasExited: false } process ? process.Id : null;

    /// <summary>Running, paused, or down.</summary>
    public NodeState State { get; private set; } = NodeState.Down;

    /// <summary>Starts the process (again: the same data directory and arguments after a kill).</summary>
    /// <exception cref="InvalidOperationException">It is already running.</exception>
    public void Start()
    {
        if (State != NodeState.Down) throw new InvalidOperationException($"{Id} is already {State}");
        File.AppendAllText(logFile, $"=== harness: starting {Id} at {DateTime.UtcNow:O}\n");
        var start = new ProcessStartInfo("sh") { UseShellExecute = false };
        start.ArgumentList.Add("-c");
        start.ArgumentList.Add("log=$1; shift; exec \"$@\" >>\"$log\" 2>&1");
        start.ArgumentList.Add("sh");
        start.ArgumentList.Add(logFile);
        foreach (var arg in Arguments()) start.ArgumentList.Add(arg);
        foreach (var (name, value) in environment) start.Environment[name] = value;
        _process = Process.Start(start) ?? throw new InvalidOperationException($"{Id} did not start");
        State = NodeState.Running;
    }

    /// <summary>
    /// The command line after the log redirection: <c>ip netns exec ... node serve ...</c>. The nodes listen on
    /// 10.77.0.N, off loopback, in plain HTTP and h2c (the harness's clients speak no TLS), so they say so with
    /// <c>akkaraft.http.allow-plaintext = on</c>: without it a node refuses to start there.
    /// </summary>
    public IReadOnlyList<string> Arguments() =>
        ["ip", "netns", "exec", NetworkLab.NamespaceOf(number), launcher, "serve", "-id", Id, "-haddr", Http, "-gaddr", Grpc, "-raddr", Raft, "-peers", peers,
            "--set", "akkaraft.http.allow-plaintext=on", dataDir];

    /// <summary>
    /// The environment variable that sets <paramref name="path"/> (<c>akkaraft.raft.lease-reads</c> is
    /// <c>AKKARAFT__RAFT__LEASE_READS</c>): a double underscore between path elements, '-' as '_', upper case.
    /// </summary>
    public static string VariableOf(string path) =>
        string.Join("__", path.Split('.').Select(part => part.Replace('-', '_').ToUpperInvariant()));

    /// <summary>SIGKILL, and waits until it is gone (a paused process dies too).</summary>
    public void Kill()
    {
        if (_process is null) return;
        if (!_process.HasExited)
        {
            _process.Kill();
            _process.WaitForExit();
        }

        File.AppendAllText(logFile, $"=== harness: {Id} exited with {_process.ExitCode} at {DateTime.UtcNow:O}\n");
        _process.Dispose();
        _process = null;
        State = NodeState.Down;
    }

    /// <summary>SIGSTOP.</summary>
    public void Pause()
    {
        if (State != NodeState.Running) return;
        Signal("-STOP");
        State = NodeState.Paused;
    }

    /// <summary>SIGCONT.</summary>
    public void Resume()
    {
        if (State != NodeState.Paused) return;
        Signal("-CONT");
        State = NodeState.Running;
    }

    /// <summary>Whether the process died on its own (not by the nemesis): a crash worth reporting.</summary>
    public bool HasCrashed(out int exitCode)
    {
        exitCode = 0;
        if (_process is null || !_process.HasExited) return false;
        exitCode = _process.ExitCode;
        return true;
    }

    /// <summary>Forgets a process that died on its own, so that it can be started again.</summary>
    public void Reap()
    {
        if (_process is null || !_process.HasExited) return;
        File.AppendAllText(logFile, $"=== harness: {Id} had exited on its own with {_process.ExitCode}, noticed at {DateTime.UtcNow:O}\n");
        _process.Dispose();
        _process = null;
        State = NodeState.Down;
    }

    private void Signal(string signal)
    {
        var pid = _process?.Id ?? throw new InvalidOperationException($"{Id} is not running");
        Commands.Check("kill", [signal, pid.ToString(CultureInfo.InvariantCulture)]);
    }
}
