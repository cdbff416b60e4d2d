using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using AkkaRaft.Actors;
using AkkaRaft.Actors.Serialization;
using AkkaRaft.Client;
using AkkaRaft.Persistence;
using AkkaRaft.Persistence.Journal;
using AkkaRaft.Persistence.Sql.Sqlite;
using AkkaRaft.Raft.Core;
using AkkaRaft.Raft.Peer;
using AkkaRaft.Raft.StateMachines;
using BenchmarkDotNet.Attributes;
using BenchmarkDotNet.Columns;
using BenchmarkDotNet.Configs;
using BenchmarkDotNet.Reports;
using BenchmarkDotNet.Running;

namespace AkkaRaft.Benchmarks.Raft;

/// <summary>
/// Write throughput and latency of an in-process 3-peer RaftPeer group on SQLite with fsync (synchronous=FULL),
/// on the thread-pool dispatcher: <see cref="Clients"/> concurrent clients, each sending its next write to the
/// leader once the previous one is acknowledged (committed on a quorum and applied). Columns: writes/s, p50/p99
/// latency, fsyncs per committed entry over the three peers, and entries per leader journal batch (group commit).
/// </summary>
[Config(typeof(RaftBenchmarkConfig))]
public class RaftWriteBenchmarks
{
    private static readonly ulong[] Ids = [1, 2, 3];
    private readonly List<SqliteJournal> _journals = new();
    private readonly ActorRefTransport _transport = new();
    private ActorSystem _system = null!;
    private string _directory = "";
    private IActorRef _leader = ActorRefs.Nobody;
    private long[][] _latencies = [];
    private long _fsyncsAtStart;
    private RaftPeerCounters _leaderAtStart = null!;
    private long _started;

    /// <summary>Concurrent clients.</summary>
    [Params(1, 16, 256)]
    public int Clients { get; set; }

    private int WritesPerClient => Clients switch { 1 => 64, 16 => 16, _ => 4 };

    /// <summary>Starts the group on fresh SQLite files and waits for its leader.</summary>
    [GlobalSetup]
    public void Setup()
    {
        _directory = Path.Combine(Path.GetTempPath(), "akkaraft-bench-raft-" + Guid.NewGuid().ToString("N"));
        _system = ActorSystem.Create("bench-raft", ActorSystemSettings.Default with { StdoutLogLevel = LogLevel.Off });
        var elected = new TaskCompletionSource<ulong>(TaskCreationOptions.RunContinuationsAsynchronously);
        using var subscription = _system.EventStream.Subscribe<PeerRoleChanged>(e =>
        {
            if (e.Role == RaftRole.Leader) elected.TrySetResult(e.NodeId);
        });
        var plugins = new PersistencePluginMap();
        PersistenceExtension.Register(_system, plugins, SerializationRegistry.CreateDefault());
        var peers = new Dictionary<ulong, IActorRef>();
        foreach (var id in Ids)
        {
            var database = SqliteDatabase.Open(Path.Combine(_directory, $"peer-{id}.db"), TimeSpan.FromSeconds(5));
            var journal = new SqliteJournal(database, GroupCommitSettings.Default);
            _journals.Add(journal);
            plugins.Set($"peer-{id}", journal, new SqliteSnapshotStore(database));
            var setup = new RaftPeerSetup(id, Ids, _transport, () => new RegisterStateMachine(), RaftPeerSettings.Default)
            {
                JournalPluginId = $"peer-{id}",
                SnapshotPluginId = $"peer-{id}",
            };
            peers[id] = _system.ActorOf(RaftPeer.Props(setup), $"peer-{id}");
            _transport.Register(id, peers[id]);
        }
        _leader = peers[elected.Task.WaitAsync(TimeSpan.FromSeconds(30)).GetAwaiter().GetResult()];
        // The leader's no-op must commit before proposals count as steady state.
        _leader.Ask<object>(new Write([1]), TimeSpan.FromSeconds(30)).GetAwaiter().GetResult();
    }

    /// <summary>Resets the figures of the iteration.</summary>
    [IterationSetup]
    public void StartIteration()
    {
        _latencies = Enumerable.Range(0, Clients).Select(_ => new long[WritesPerClient]).ToArray();
        _fsyncsAtStart = _journals.Sum(j => j.Counters.Fsyncs);
        _leaderAtStart = _leader.Ask<PeerStatus>(GetPeerStatus.Instance, TimeSpan.FromSeconds(10)).GetAwaiter().GetResult().Counters;
        _started = Stopwatch.GetTimestamp();
    }

    /// <summary>Every client writes its share, one write at a time.</summary>
    [Benchmark]
    public Task Writes() => Task.WhenAll(Enumerable.Range(0, Clients).Select(ClientAsync));

    private async Task ClientAsync(int client)
    {
        var command = new byte[100];
        command[0] = (byte)client;
        for (var i = 0; i < WritesPerClient; i++)
        {
            var start = Stopwatch.GetTimestamp();
            var answer = await _leader.Ask<object>(new Write(command, OnNotLeader: NotLeaderPolicy.Reject), TimeSpan.FromSeconds(30)).ConfigureAwait(false);
            if (answer is not WriteResult) throw new InvalidOperationException($"write not acknowledged: {answer}");
            _latencies[client][i] = Stopwatch.GetTimestamp() - start;
        }
    }

    /// <summary>Records the figures of the iteration that just ran.</summary>
    [IterationCleanup]
    public void RecordIteration()
    {
        var elapsed = Stopwatch.GetElapsedTime(_started);
        var leader = _leader.Ask<PeerStatus>(GetPeerStatus.Instance, TimeSpan.FromSeconds(10)).GetAwaiter().GetResult().Counters;
        var all = _latencies.SelectMany(l => l).Order().ToArray();
        var writes = all.Length;
        var entries = leader.EntriesPersisted - _leaderAtStart.EntriesPersisted;
        var batches = leader.JournalBatches - _leaderAtStart.JournalBatches;
        RaftFigures.Write(Clients, new RaftFigures(
            writes / elapsed.TotalSeconds,
            Milliseconds(all[writes / 2]),
            Milliseconds(all[Math.Min(writes - 1, writes * 99 / 100)]),
            (double)(_journals.Sum(j => j.Counters.Fsyncs) - _fsyncsAtStart) / writes,
            batches == 0 ? 0 : (double)entries / batches));
    }

    /// <summary>Stops the group and removes its files.</summary>
    [GlobalCleanup]
    public void Cleanup()
    {
        _system.Dispose();
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        try
        {
            Directory.Delete(_directory, recursive: true);
        }
        catch (IOException)
        {
            // Left to the temp directory's cleanup.
        }
    }

    private static double Milliseconds(long stopwatchTicks) => stopwatchTicks * 1000.0 / Stopwatch.Frequency;

    /// <summary>The smallest state machine: remembers the last command; answers its index.</summary>
    private sealed class RegisterStateMachine : IStateMachine
    {
        private byte[] _last = [];

        public ApplyResult Apply(in ApplyContext context, ReadOnlyMemory<byte> command)
        {
            _last = command.ToArray();
            return ApplyResult.Unchanged(BitConverter.GetBytes(context.Index));
        }

        public QueryResult Query(ReadOnlyMemory<byte> query) => new(_last, []);

        public void WriteSnapshot(Stream output)
        {
            output.Write(BitConverter.GetBytes(_last.Length));
            output.Write(_last);
        }

        public void RestoreSnapshot(Stream input)
        {
            var length = new byte[4];
            input.ReadExactly(length);
            var data = new byte[BitConverter.ToInt32(length)];
            input.ReadExactly(data);
            _last = data;
        }

        public ApplyResult SessionExpired(in ApplyContext context, long sessionId) => ApplyResult.Unchanged(ReadOnlyMemory<byte>.Empty);
    }
}

/// <summary>What one case measured in its last iteration (handed from the benchmark process to the host's columns through a file).</summary>
/// <param name="WritesPerSecond">Acknowledged writes per second.</param>
/// <param name="P50Milliseconds">Median write latency.</param>
/// <param name="P99Milliseconds">99th percentile write latency.</param>
/// <param name="FsyncsPerEntry">Flushes on all three peers per committed write.</param>
/// <param name="EntriesPerBatch">Entries per leader journal batch.</param>
public sealed record RaftFigures(double WritesPerSecond, double P50Milliseconds, double P99Milliseconds, double FsyncsPerEntry, double EntriesPerBatch)
{
    private static string PathOf(int clients) => Path.Combine(Path.GetTempPath(), "akkaraft-bench-raft", $"clients-{clients}.json");

    /// <summary>Stores the figures of one case.</summary>
    public static void Write(int clients, RaftFigures figures)
    {
        var path = PathOf(clients);
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        File.WriteAllText(path, JsonSerializer.Serialize(figures));
    }

    /// <summary>The stored figures of one case, or null.</summary>
    public static RaftFigures? Read(BenchmarkCase benchmarkCase) =>
        benchmarkCase.Parameters["Clients"] is int clients && File.Exists(PathOf(clients))
            ? JsonSerializer.Deserialize<RaftFigures>(File.ReadAllText(PathOf(clients)))
            : null;
}

/// <summary>Adds the Raft figures to the write benchmark.</summary>
public sealed class RaftBenchmarkConfig : ManualConfig
{
    /// <summary>The columns.</summary>
    public RaftBenchmarkConfig()
    {
        static FigureColumn Column(string name, string legend, Func<RaftFigures, double> figure, string format) =>
            FigureColumn.Of("Raft", name, legend, RaftFigures.Read, figure, format);

        AddColumn(
            Column("writes/s", "Acknowledged writes per second (last iteration)", f => f.WritesPerSecond, "N0"),
            Column("p50 ms", "Median write latency in milliseconds (last iteration)", f => f.P50Milliseconds, "N2"),
            Column("p99 ms", "99th percentile write latency in milliseconds (last iteration)", f => f.P99Milliseconds, "N2"),
            Column("fsyncs/entry", "Flushes on the three peers per committed write", f => f.FsyncsPerEntry, "N2"),
            Column("entries/batch", "Entries per leader journal batch: the group-commit gain", f => f.EntriesPerBatch, "N1"));
    }
}
