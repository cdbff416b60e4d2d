using System.Diagnostics;
using System.Text;
using AkkaRaft.Client.Grpc;
using AkkaRaft.Server.Grpc;
using AkkaRaft.Server.Node;
using GrpcReadLevel = AkkaRaft.Grpc.V1.ReadLevel;

namespace AkkaRaft.Samples;

/// <summary>
/// tinyraft's word tracker over gRPC (issue #17, point 5): three processes each embed a node that runs the
/// <see cref="WordTracker"/> and serves the gRPC API; a client given the three addresses applies lines through
/// <c>StateMachine.Apply</c> with wait-for-ready and retries, in an exactly-once session. Halfway through, the leader's
/// process is frozen (SIGSTOP), sent six lines, and killed (SIGKILL); the client sends them again to the new leader, and at the end every word's count is exactly
/// what was sent: none lost, none doubled.
/// </summary>
public static class GrpcWordTrackerSample
{
    /// <summary>The lines the client sends, in order.</summary>
    public static IReadOnlyList<string> Lines { get; } = Enumerable.Range(0, 60)
        .Select(i => $"raft line{i % 7} grpc {(i % 2 == 0 ? "even" : "odd")} word{i % 5}")
        .ToList();

    /// <summary>
    /// Runs the sample: starts the three node processes under <paramref name="rootDir"/>, sends <see cref="Lines"/>,
    /// kills the leader after half of them, and returns the count of each word sent as the cluster answers it.
    /// </summary>
    /// <param name="rootDir">Where the nodes keep their journals.</param>
    /// <param name="output">Where the sample says what it does.</param>
    /// <param name="freePort">Hands out the nodes' Raft ports (they found a static cluster, so they are chosen first).</param>
    public static async Task<IReadOnlyDictionary<string, long>> RunAsync(string rootDir, TextWriter output, Func<int> freePort)
    {
        var ids = new[] { "w1", "w2", "w3" };
        var raftPorts = ids.Select(_ => freePort()).ToArray();
        var peers = string.Join(",", ids.Select((id, i) => $"{id}=127.0.0.1:{raftPorts[i]}"));
        var nodes = new Dictionary<string, NodeProcess>();
        try
        {
            for (var i = 0; i < ids.Length; i++)
            {
                nodes[ids[i]] = NodeProcess.Start(ids[i], Path.Combine(rootDir, ids[i]), raftPorts[i], peers);
            }

            var endpoints = new List<string>();
            foreach (var node in nodes.Values) endpoints.Add(await node.GrpcAddress.WaitAsync(TimeSpan.FromSeconds(60)));
            await output.WriteLineAsync($"nodes serving gRPC at {string.Join(", ", endpoints)}");

            using var client = new AkkaRaftGrpcClient(new AkkaRaftGrpcClientOptions { Endpoints = endpoints, Deadline = TimeSpan.FromSeconds(30) });
            var machine = new StateMachineClient(client);
            var session = await ExactlyOnceSession.OpenAsync(client, TimeSpan.FromSeconds(60));
            // Six lines in flight at a time, each under its own number in the session.
            const int window = 6;
            var resent = 0;
            for (var first = 0; first < Lines.Count; first += window)
            {
                var kill = first == Lines.Count / 2 ? (await new ClusterClient(client).StatusAsync()).LeaderId : null;
                // Frozen first (SIGSTOP), so that the lines below are surely on their way to it when it dies.
                if (kill is not null) nodes[kill].Pause();
                var applies = Enumerable.Range(first, Math.Min(window, Lines.Count - first))
                    .Select(i => machine.ApplyAsync(session, Encoding.UTF8.GetBytes(Lines[i])))
                    .ToList();
                if (kill is not null)
                {
                    // The leader dies with these lines sent to it: the client cannot tell whether they were applied,
                    // and sends each again, under the same number in the session, to whoever leads next.
                    await Task.Delay(TimeSpan.FromMilliseconds(300));
                    nodes[kill].Kill();
                    await output.WriteLineAsync($"killed the leader {kill} (SIGKILL) with lines {first}-{first + applies.Count - 1} sent to it");
                }

                var applied = await Task.WhenAll(applies);
                if (kill is not null)
                {
                    resent = applied.Count(a => a.Header.MemberId != kill);
                    await output.WriteLineAsync($"lines {first}-{first + applies.Count - 1}: {applied.Length - resent} answered by {kill} before it died, {resent} by the next leader " +
                                                $"(indexes {string.Join(", ", applied.Select(a => a.Header.Index))})");
                }
                else if (first % 18 == 0)
                {
                    await output.WriteLineAsync($"lines {first}-{first + applies.Count - 1} applied by {applied[0].Header.MemberId} up to index {applied.Max(a => a.Header.Index)}");
                }
            }

            var counts = new SortedDictionary<string, long>(StringComparer.Ordinal);
            foreach (var word in Lines.SelectMany(l => l.Split(' ')).Distinct())
            {
                var answer = await machine.QueryAsync(Encoding.UTF8.GetBytes(word), GrpcReadLevel.Consistent);
                counts[word] = WordTracker.ReadCount(answer.Result.Span);
            }

            await output.WriteLineAsync(string.Join(", ", counts.Select(c => $"{c.Key}={c.Value}")));
            await session.CloseAsync(client);
            return counts;
        }
        finally
        {
            foreach (var node in nodes.Values) node.Kill();
        }
    }

    /// <summary>Expected counts: each word of <see cref="Lines"/>, counted once per time it was sent.</summary>
    public static IReadOnlyDictionary<string, long> Expected() =>
        new SortedDictionary<string, long>(Lines.SelectMany(l => l.Split(' ')).GroupBy(w => w).ToDictionary(g => g.Key, g => (long)g.Count()), StringComparer.Ordinal);

    /// <summary>
    /// One node of the sample, in this process: a <see cref="WordTracker"/> founding the static cluster
    /// <paramref name="peers"/>, with its gRPC API on a port the OS chooses, printed as <c>grpc=host:port</c>. Runs until
    /// the process is killed or its standard input closes.
    /// </summary>
    public static async Task ServeNodeAsync(string id, string dataDir, int raftPort, string peers)
    {
        var config = SampleConfig.For(id, dataDir, extra: new Dictionary<string, string>
        {
            ["akkaraft.node.peers"] = $"\"{peers}\"",
            ["akkaraft.node.raft-address"] = $"\"127.0.0.1:{raftPort}\"",
            ["akkaraft.grpc.address"] = "\"127.0.0.1:0\"",
            // A quick election after the kill, as on a LAN.
            ["akkaraft.raft.election-timeout"] = "300ms",
            ["akkaraft.raft.heartbeat-interval"] = "30ms",
        });
        await using var node = await AkkaRaftNode.StartAsync(config, () => new WordTracker());
        await using var grpc = await GrpcFrontEnd.StartAsync(node) ?? throw new InvalidOperationException("the gRPC API is off");
        Console.WriteLine($"grpc={grpc.Address}");
        await Console.In.ReadToEndAsync();
    }

    /// <summary>A node of the sample as a child process of this one.</summary>
    private sealed class NodeProcess
    {
        private readonly Process _process;
        private readonly TaskCompletionSource<string> _grpc = new(TaskCreationOptions.RunContinuationsAsynchronously);

        private NodeProcess(Process process) => _process = process;

        public Task<string> GrpcAddress => _grpc.Task;

        public static NodeProcess Start(string id, string dataDir, int raftPort, string peers)
        {
            var start = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, RedirectStandardInput = true, UseShellExecute = false };
            foreach (var arg in new[] { typeof(GrpcWordTrackerSample).Assembly.Location, "words-node", id, dataDir, raftPort.ToString(System.Globalization.CultureInfo.InvariantCulture), peers })
            {
                start.ArgumentList.Add(arg);
            }

            var process = Process.Start(start) ?? throw new InvalidOperationException($"node {id} did not start");
            var node = new NodeProcess(process);
            var log = new StringBuilder();
            process.OutputDataReceived += (_, e) =>
            {
                if (e.Data is null)
                {
                    node._grpc.TrySetException(new InvalidOperationException($"node {id} exited before serving gRPC:\n{log}"));
                    return;
                }

                lock (log) log.AppendLine(e.Data);
                if (e.Data.StartsWith("grpc=", StringComparison.Ordinal)) node._grpc.TrySetResult(e.Data["grpc=".Length..]);
            };
            process.ErrorDataReceived += (_, e) =>
            {
                if (e.Data is not null) lock (log) log.AppendLine(e.Data);
            };
            process.BeginOutputReadLine();
            process.BeginErrorReadLine();
            return node;
        }

        public void Pause()
        {
            using var stop = Process.Start("kill", ["-STOP", _process.Id.ToString(System.Globalization.CultureInfo.InvariantCulture)]);
            stop.WaitForExit();
        }

        public void Kill()
        {
            if (!_process.HasExited) _process.Kill(entireProcessTree: true);
            _process.WaitForExit();
        }
    }
}
