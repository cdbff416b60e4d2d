using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text;
using Akka.Actor;
using AkkaRaft.Client;
using AkkaRaft.Client.Kv;
using AkkaRaft.Configuration;
using AkkaRaft.Kv;
using AkkaRaft.Raft.Core;
using AkkaRaft.Raft.Peer;
using AkkaRaft.Raft.PeerHost;
using Xunit.Abstractions;

namespace AkkaRaft.Raft.Tests.Peer;

/// <summary>
/// The 3-peer key/value group of <see cref="SqlitePeerClusterTests"/>, each peer in a process of its own
/// (AkkaRaft.Raft.PeerHost) with its journal (SQLite with synchronous=FULL in a temporary directory, or a schema of its
/// own on the PostgreSQL server) and Akka.Remote on a loopback port. The test process is a client that sends actor messages over remoting. A peer process is killed
/// (SIGKILL: no shutdown, no flush) and restarted on its data directory: once a follower, once the leader.
/// </summary>
public abstract class PeerProcessTests : IDisposable
{
    /// <summary>How long the test waits for something that must happen (a leader, an answer, a catch-up); not a timing assertion.</summary>
    private static readonly TimeSpan Generous = TimeSpan.FromSeconds(90);

    /// <summary>One attempt of a request; a lost one (a killed peer, a leader that moved) is tried again.</summary>
    private static readonly TimeSpan AttemptTimeout = TimeSpan.FromSeconds(5);

    // Small logs: the leader compacts while a peer is down, so the restarted peer also gets a snapshot over remoting.
    // INFO: a failure's log files say when associations between the hosts failed, were gated or quarantined.
    private const string HostConfig = """
        akkaraft.raft.max-log-count = 20
        akka.loglevel = INFO
        akka.remote.log-remote-lifecycle-events = INFO
        """;

    private readonly ITestOutputHelper _output;
    private readonly string _directory = Directory.CreateTempSubdirectory("akkaraft-peer-process-").FullName;
    private readonly IReadOnlyList<PeerAddress> _peers;
    private readonly Dictionary<ulong, HostProcess> _hosts = new();
    private readonly Dictionary<ulong, IActorRef> _inboxes = new();
    private readonly ActorSystem _client = ActorSystem.Create("peer-process-client",
        Akka.Configuration.ConfigurationFactory.ParseString("akka.actor.provider = remote\nakka.remote.dot-netty.tcp { hostname = \"127.0.0.1\", port = 0 }\nakka.stdout-loglevel = OFF\nakka.loglevel = OFF")
            .WithFallback(AkkaHandover.ToAkkaConfig(ConfigurationFactory.Default())));
    private readonly SortedDictionary<string, string> _acknowledged = new(StringComparer.Ordinal);
    private ulong _lastAcknowledgedIndex;
    private ulong _leaderGuess;
    private int _nextKey;
    private bool _passed;

    protected PeerProcessTests(ITestOutputHelper output)
    {
        _output = output;
        _peers = FreeLoopbackPorts(3).Select((port, i) => new PeerAddress((ulong)i + 1, "127.0.0.1", port)).ToArray();
        var provider = ((ExtendedActorSystem)_client).Provider;
        foreach (var peer in _peers) _inboxes[peer.NodeId] = provider.ResolveActorRef(PeerHostPaths.InboxPath(peer.HostPort));
        _output.WriteLine($"data directory {_directory}; peers {PeerHostArguments.FormatPeers(_peers)}; client {provider.DefaultAddress}");
    }

    [Fact]
    public async Task A_group_of_peer_processes_keeps_every_acknowledged_write_when_a_follower_and_then_the_leader_are_killed_and_restarted()
    {
        try
        {
            foreach (var peer in _peers) await StartAsync(peer.NodeId);
            await WriteKeysAsync(25);

            var leader = await StableLeaderAsync();
            var follower = _peers.First(p => p.NodeId != leader).NodeId;
            await KillWriteAndRestartAsync(follower, writesWhileDown: 25);
            await WriteKeysAsync(10);

            await KillWriteAndRestartAsync(await StableLeaderAsync(), writesWhileDown: 25);
            await WriteKeysAsync(10);

            // Every acknowledged key, through every peer, with a consistent read (a follower forwards it to the leader)...
            foreach (var peer in _peers) await AssertEveryKeyAsync(peer.NodeId, ReadLevel.Consistent);
            // ...and from every peer's own state once it has applied the last acknowledged write, the restarted ones included.
            foreach (var peer in _peers)
            {
                var caughtUp = await WaitUntilAppliedAsync(peer.NodeId, _lastAcknowledgedIndex);
                await AssertEveryKeyAsync(peer.NodeId, ReadLevel.Stale);
                _output.WriteLine($"peer {peer.NodeId}: {caughtUp.Role}, first index {caughtUp.FirstIndex}, applied {caughtUp.AppliedIndex}, {caughtUp.Counters}");
            }
            _passed = true;
        }
        catch
        {
            _output.WriteLine($"FAILED; data directory kept: {_directory}; peers {PeerHostArguments.FormatPeers(_peers)}; " +
                $"{_acknowledged.Count} acknowledged writes, last index {_lastAcknowledgedIndex}");
            foreach (var (id, host) in _hosts)
            {
                // What each running peer says of itself now, then the end of its output (the whole is in its log file).
                var status = await AskAsync(id, GetPeerStatus.Instance) is PeerStatus s
                    ? $"{s.Role}, term {s.Term}, leader {s.Leader}, last index {s.LastIndex}, applied {s.AppliedIndex}, {s.Counters}"
                    : "no status";
                _output.WriteLine($"--- peer {id} (pid {host.ProcessId}): {status}; whole output in {host.LogFile}{Environment.NewLine}{host.Log}");
            }
            throw;
        }
    }

    /// <summary>
    /// Waits until <paramref name="victim"/> has applied every acknowledged write (so they are on its disk), kills its
    /// process, writes while it is down, restarts it on its data directory, and checks what it recovered from there.
    /// </summary>
    private async Task KillWriteAndRestartAsync(ulong victim, int writesWhileDown)
    {
        var before = await WaitUntilAppliedAsync(victim, _lastAcknowledgedIndex);
        _output.WriteLine($"killing peer {victim} ({before.Role}, term {before.Term}, applied {before.AppliedIndex}, last acknowledged {_lastAcknowledgedIndex})");
        await _hosts[victim].KillAsync();
        _hosts.Remove(victim);

        await WriteKeysAsync(writesWhileDown);

        var recovered = await StartAsync(victim);
        // The host reports its peer's state before any other peer or client can reach it: this is what the
        // journal and snapshot store held, and every write the peer had applied is in it.
        Assert.True(before.AppliedIndex > 0, "the victim had applied nothing before it was killed");
        Assert.True(recovered.LastIndex >= before.AppliedIndex,
            $"peer {victim} recovered up to index {recovered.LastIndex} ({recovered}), but had applied {before.AppliedIndex} before it was killed");
        Assert.True(recovered.Term >= 1, $"peer {victim} recovered no term ({recovered})");
    }

    // ------------------------------------------------------------------ processes

    /// <summary>The <c>akkaraft.persistence</c> settings of peer <paramref name="nodeId"/>'s host (HOCON).</summary>
    protected abstract string PersistenceConfig(ulong nodeId);

    private async Task<PeerHostReady> StartAsync(ulong nodeId)
    {
        var configFile = Path.Combine(_directory, $"peer-{nodeId}.conf");
        File.WriteAllText(configFile, HostConfig + "\n" + PersistenceConfig(nodeId));
        var arguments = new[]
        {
            nodeId.ToString(System.Globalization.CultureInfo.InvariantCulture),
            Path.Combine(_directory, $"peer-{nodeId}"),
            PeerHostArguments.FormatPeers(_peers),
            configFile,
        };
        var host = HostProcess.Start(nodeId, arguments, Path.Combine(_directory, $"peer-{nodeId}.log"));
        _hosts[nodeId] = host;
        var ready = await host.Ready.WaitAsync(Generous);
        _output.WriteLine($"peer {nodeId} up (pid {host.ProcessId}): {ready}");
        Assert.Equal(_peers.Single(p => p.NodeId == nodeId).Port, ready.Port);
        return ready;
    }

    /// <summary>Ports for the peers, below the ephemeral ranges (Linux 32768+, Windows and macOS 49152+) so no outbound connection takes one while its peer is down.</summary>
    private static int[] FreeLoopbackPorts(int count)
    {
        var ports = new List<int>();
        while (ports.Count < count)
        {
            var port = Random.Shared.Next(20_000, 32_000);
            if (ports.Contains(port)) continue;
            var probe = new TcpListener(IPAddress.Loopback, port);
            try
            {
                probe.Start();
                ports.Add(port);
            }
            catch (SocketException)
            {
                // In use: try another.
            }
            finally
            {
                probe.Stop();
            }
        }
        return [.. ports];
    }

    // ------------------------------------------------------------------ client

    private async Task WriteKeysAsync(int count)
    {
        for (var i = 0; i < count; i++)
        {
            var n = _nextKey++;
            var key = $"key-{n:D4}";
            var value = $"value-{n}";
            await WriteAsync(key, value);
            _acknowledged[key] = value;
        }
    }

    /// <summary>
    /// Writes through whichever live peer leads, following NotLeader hints. A write without an answer is sent again:
    /// putting the same value under the same key twice leaves the same state.
    /// </summary>
    private async Task WriteAsync(string key, string value)
    {
        var deadline = DateTime.UtcNow + Generous;
        var target = _hosts.ContainsKey(_leaderGuess) ? _leaderGuess : _hosts.Keys.First();
        object? last = null;
        while (DateTime.UtcNow < deadline)
        {
            var answer = await AskAsync(target, new Write(KvCommands.Put(key, value), AttemptTimeout, NotLeaderPolicy.Reject));
            last = answer;
            switch (answer)
            {
                case WriteResult result:
                    var kv = KvResult.Decode(result.Response);
                    Assert.True(kv.IsOk, $"the write of {key} was answered {kv}");
                    _leaderGuess = result.Leader;
                    _lastAcknowledgedIndex = Math.Max(_lastAcknowledgedIndex, result.Index);
                    return;
                case NotLeader { LeaderHint: var hint } when hint != target && _hosts.ContainsKey(hint):
                    target = hint;
                    break;
                default:
                    // No leader known yet, a timeout, or the hint names a peer that is down: wait a little, try the next live peer.
                    target = NextLivePeer(target);
                    await Task.Delay(100);
                    break;
            }
        }
        Assert.Fail($"the write of {key} was not acknowledged within {Generous}; last answer {last}");
    }

    private async Task AssertEveryKeyAsync(ulong nodeId, ReadLevel level)
    {
        // Concurrently: the peer batches the consistent reads into its ReadIndex rounds.
        var reads = _acknowledged.Select(async pair => (pair.Key, Expected: pair.Value, Actual: await ReadAsync(nodeId, pair.Key, level))).ToArray();
        foreach (var (key, expected, actual) in await Task.WhenAll(reads))
        {
            Assert.True(expected == actual, $"a {level} read of {key} through peer {nodeId} gave '{actual ?? "(missing)"}', expected '{expected}'");
        }
    }

    /// <summary>Reads <paramref name="key"/> through peer <paramref name="nodeId"/>; null when the key does not exist. A read without an answer is sent again.</summary>
    private async Task<string?> ReadAsync(ulong nodeId, string key, ReadLevel level)
    {
        var deadline = DateTime.UtcNow + Generous;
        object? last = null;
        while (DateTime.UtcNow < deadline)
        {
            var answer = await AskAsync(nodeId, new Query(KvQueries.Get(key), level, AttemptTimeout));
            last = answer;
            if (answer is QueryResponse response)
            {
                var result = KvResult.Decode(response.Response);
                if (result.Status == KvStatus.KeyNotFound) return null;
                Assert.True(result.IsOk, $"the {level} read of {key} through peer {nodeId} was answered {result}");
                return Encoding.UTF8.GetString(result.Pair!.Value.Span);
            }
            await Task.Delay(100);
        }
        Assert.Fail($"the {level} read of {key} through peer {nodeId} was not answered within {Generous}; last answer {last}");
        return null;
    }

    /// <summary>The leader that every live peer names, once they agree.</summary>
    private async Task<ulong> StableLeaderAsync()
    {
        var deadline = DateTime.UtcNow + Generous;
        var seen = "";
        while (DateTime.UtcNow < deadline)
        {
            var statuses = new List<PeerStatus>();
            foreach (var id in _hosts.Keys)
            {
                if (await AskAsync(id, GetPeerStatus.Instance) is PeerStatus status) statuses.Add(status);
            }
            seen = string.Join("; ", statuses.Select(s => $"{s.NodeId}: {s.Role} term {s.Term} leader {s.Leader}"));
            if (statuses.Count == _hosts.Count && statuses.Count(s => s.Role == RaftRole.Leader) == 1)
            {
                var leader = statuses.Single(s => s.Role == RaftRole.Leader);
                if (statuses.All(s => s.Leader == leader.NodeId && s.Term == leader.Term)) return leader.NodeId;
            }
            await Task.Delay(100);
        }
        Assert.Fail($"the live peers did not agree on a leader within {Generous}: {seen}");
        return RaftIds.None;
    }

    /// <summary>Waits until peer <paramref name="nodeId"/> has handed every entry up to <paramref name="index"/> to its state machine.</summary>
    private async Task<PeerStatus> WaitUntilAppliedAsync(ulong nodeId, ulong index)
    {
        var deadline = DateTime.UtcNow + Generous;
        object? last = null;
        while (DateTime.UtcNow < deadline)
        {
            last = await AskAsync(nodeId, GetPeerStatus.Instance);
            if (last is PeerStatus status && status.AppliedIndex >= index) return status;
            await Task.Delay(100);
        }
        Assert.Fail($"peer {nodeId} did not apply index {index} within {Generous}; last status {last}");
        return null!;
    }

    /// <summary>One attempt: the answer, or a <see cref="RequestTimedOut"/> when none came.</summary>
    private async Task<object> AskAsync(ulong nodeId, object message)
    {
        try
        {
            return await _inboxes[nodeId].Ask<object>(message, 2 * AttemptTimeout);
        }
        catch (AskTimeoutException)
        {
            return new RequestTimedOut(2 * AttemptTimeout);
        }
    }

    private ulong NextLivePeer(ulong after)
    {
        var live = _hosts.Keys.Order().ToArray();
        return live.FirstOrDefault(id => id > after, live[0]);
    }

    public void Dispose()
    {
        foreach (var host in _hosts.Values) host.Dispose();
        _client.Terminate().Wait(TimeSpan.FromSeconds(10));
        if (_passed) Directory.Delete(_directory, recursive: true);
        Dispose(_passed);
        GC.SuppressFinalize(this);
    }

    /// <summary>Removes what the peers stored outside the data directory (kept after a failure, like the directory).</summary>
    protected virtual void Dispose(bool passed)
    {
    }

    /// <summary>
    /// One AkkaRaft.Raft.PeerHost process: started with <c>dotnet exec</c>; its output is appended, timed, to a log file
    /// in the data directory (kept after a failure, each incarnation after the one before), and its last lines are kept
    /// for the failure report.
    /// </summary>
    private sealed class HostProcess : IDisposable
    {
        private const int LogLinesMax = 150;
        private readonly Process _process;
        private readonly ConcurrentQueue<string> _log = new();
        private readonly StreamWriter _logFile;
        private bool _logClosed;
        private readonly TaskCompletionSource<PeerHostReady> _ready = new(TaskCreationOptions.RunContinuationsAsynchronously);

        private HostProcess(Process process, string logFile)
        {
            _process = process;
            LogFile = logFile;
            _logFile = new StreamWriter(new FileStream(logFile, FileMode.Append, FileAccess.Write, FileShare.ReadWrite)) { AutoFlush = true };
        }

        /// <summary>The file the host's whole output goes to.</summary>
        public string LogFile { get; }

        /// <summary>Completes with the host's ready line; fails when the process exits before printing it.</summary>
        public Task<PeerHostReady> Ready => _ready.Task;

        public int ProcessId => _process.Id;

        /// <summary>The host's last lines of standard output and error.</summary>
        public string Log => string.Join(Environment.NewLine, _log);

        public static HostProcess Start(ulong nodeId, IEnumerable<string> arguments, string logFile)
        {
            var hostDll = typeof(AkkaRaft.Raft.PeerHost.PeerHost).Assembly.Location;
            var dotnet = Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") is { Length: > 0 } path ? path : "dotnet";
            var start = new ProcessStartInfo(dotnet)
            {
                // Standard input stays open: the host ends by itself when it closes (the test process died).
                RedirectStandardInput = true,
                RedirectStandardOutput = true,
                RedirectStandardError = true,
                UseShellExecute = false,
            };
            start.ArgumentList.Add("exec");
            start.ArgumentList.Add(hostDll);
            foreach (var argument in arguments) start.ArgumentList.Add(argument);
            var process = new Process { StartInfo = start, EnableRaisingEvents = true };
            var host = new HostProcess(process, logFile);
            process.OutputDataReceived += (_, e) => host.OnLine("out", e.Data);
            process.ErrorDataReceived += (_, e) => host.OnLine("err", e.Data);
            process.Exited += (_, _) =>
            {
                if (host._ready.Task.IsCompleted) return;
                process.WaitForExit(); // the rest of its output, for the message
                host._ready.TrySetException(new InvalidOperationException(
                    $"peer {nodeId}'s host exited with code {process.ExitCode} before it was ready:{Environment.NewLine}{host.Log}"));
            };
            if (!process.Start()) throw new InvalidOperationException($"could not start {hostDll}");
            process.BeginOutputReadLine();
            process.BeginErrorReadLine();
            return host;
        }

        private void OnLine(string stream, string? line)
        {
            if (line is null) return;
            _log.Enqueue($"{stream}: {line}");
            lock (_logFile)
            {
                if (!_logClosed) _logFile.WriteLine($"{DateTime.UtcNow:HH:mm:ss.fff} {stream}: {line}");
            }
            while (_log.Count > LogLinesMax) _log.TryDequeue(out _);
            if (stream == "out" && PeerHostReady.TryParse(line) is { } ready) _ready.TrySetResult(ready);
        }

        /// <summary>SIGKILL for the host and anything it started; returns once it is gone.</summary>
        public async Task KillAsync()
        {
            _process.Kill(entireProcessTree: true);
            await _process.WaitForExitAsync().WaitAsync(Generous);
            _process.Dispose();
            CloseLog();
        }

        private void CloseLog()
        {
            lock (_logFile)
            {
                if (_logClosed) return;
                _logClosed = true;
                _logFile.Dispose();
            }
        }

        public void Dispose()
        {
            try
            {
                if (!_process.HasExited) _process.Kill(entireProcessTree: true);
                _process.WaitForExit(Generous);
            }
            catch (InvalidOperationException)
            {
                // It exited on its own between the check and the kill.
            }
            _process.Dispose();
            CloseLog();
        }
    }
}

/// <summary>Each peer journals into SQLite under its data directory (the embedded default).</summary>
public sealed class SqlitePeerProcessTests(ITestOutputHelper output) : PeerProcessTests(output)
{
    protected override string PersistenceConfig(ulong nodeId) => "";
}

/// <summary>Each peer journals into a schema of its own on the PostgreSQL server of <c>.ci/postgres.sh</c> (<c>AKKARAFT_PG_CONNECTION</c>).</summary>
public sealed class PostgreSqlPeerProcessTests(ITestOutputHelper output) : PeerProcessTests(output)
{
    private readonly string _schemaPrefix = "p_" + Guid.NewGuid().ToString("N")[..12];

    private static string Connection => Environment.GetEnvironmentVariable("AKKARAFT_PG_CONNECTION") is { Length: > 0 } pg
        ? pg
        : AkkaRaft.Raft.Tests.Persistence.TestStorage.DefaultPostgreSqlConnection;

    protected override string PersistenceConfig(ulong nodeId) =>
        $"akkaraft.persistence {{ plugin = postgresql, postgresql {{ connection-string = {System.Text.Json.JsonSerializer.Serialize(Connection)}, schema = {_schemaPrefix}_{nodeId} }} }}";

    protected override void Dispose(bool passed)
    {
        if (!passed) return;
        using var connection = new Npgsql.NpgsqlConnection(Connection);
        connection.Open();
        for (var id = 1; id <= 3; id++)
        {
            using var drop = connection.CreateCommand();
            drop.CommandText = $"DROP SCHEMA IF EXISTS {_schemaPrefix}_{id} CASCADE";
            drop.ExecuteNonQuery();
        }
    }
}
