using System.Globalization;
using AkkaRaft.Persistence.Journal;
using AkkaRaft.Persistence.Sql;
using AkkaRaft.Persistence.Tests.Actors;
using AkkaRaft.Persistence.Sql.PostgreSql;
using AkkaRaft.Persistence.Sql.Sqlite;
using AkkaRaft.Persistence.Tests.Support;
using Microsoft.Data.Sqlite;
using Xunit.Abstractions;
using static AkkaRaft.Persistence.Tests.Support.Events;

namespace AkkaRaft.Persistence.Tests.Crash;

/// <summary>
/// Crash safety with a real process: a child persists events and prints each acknowledged sequence number; the test
/// kills it with SIGKILL at seeded random points, again and again over the same storage, and after every kill checks
/// that each persistence id replays 1..n in order with correct payloads and n at least the highest acknowledged.
/// AKKARAFT_CRASH_SEED picks the seed (printed on failure); AKKARAFT_SOAK=1 runs many more kills.
/// </summary>
public sealed class JournalCrashTests(ITestOutputHelper output)
{
    private const int Writers = 4;
    private static readonly TimeSpan LineTimeout = TimeSpan.FromSeconds(30);

    private static int Seed => int.TryParse(Environment.GetEnvironmentVariable("AKKARAFT_CRASH_SEED"), out var seed) ? seed : 20261122;

    private static bool Soak => Environment.GetEnvironmentVariable("AKKARAFT_SOAK") == "1";

    [Fact]
    public async Task Every_acknowledged_event_survives_sigkill_of_a_sqlite_writer_even_with_a_torn_wal_tail()
    {
        var directory = SqliteFiles.NewTempDirectory();
        var file = Path.Combine(directory, "persistence.db");
        try
        {
            await KillRepeatedlyAsync(
                kills: Soak ? 150 : 12,
                childArgs: ["journal", "sqlite", file],
                afterKill: random =>
                {
                    // Some crashes also tear the last WAL write: a partial frame of garbage at its end.
                    if (random.Next(3) == 0 && File.Exists(file + "-wal"))
                    {
                        var garbage = new byte[random.Next(1, 5000)];
                        random.NextBytes(garbage);
                        using var wal = new FileStream(file + "-wal", FileMode.Append);
                        wal.Write(garbage);
                        return $"tore the WAL tail with {garbage.Length} bytes";
                    }

                    return "";
                },
                openJournal: () => Task.FromResult<IJournal>(new SqliteJournal(SqliteDatabase.Open(file, TimeSpan.FromSeconds(10)), GroupCommitSettings.Default)),
                closeJournal: async journal =>
                {
                    await journal.DisposeAsync();
                    ((SqliteJournal)journal).Database.ReleasePooledConnections();
                });
        }
        finally
        {
            SqliteConnection.ClearAllPools();
            SqliteFiles.DeleteDirectory(directory);
        }
    }

    [Fact]
    public async Task Every_acknowledged_event_survives_sigkill_of_a_postgresql_writer()
    {
        await PostgresTestDatabase.EnsureReachableAsync();
        var schema = PostgresTestDatabase.NewSchemaName();
        await using var database = await PostgreSqlDatabase.OpenAsync(PostgresTestDatabase.ConnectionString, schema);
        try
        {
            await KillRepeatedlyAsync(
                kills: Soak ? 50 : 4,
                childArgs: ["journal", "postgresql", PostgresTestDatabase.ConnectionString, schema],
                afterKill: _ => "",
                openJournal: () => Task.FromResult<IJournal>(new PostgreSqlJournal(database, GroupCommitSettings.Default)),
                closeJournal: journal => journal.DisposeAsync().AsTask());
        }
        finally
        {
            await PostgresTestDatabase.DropSchemaAsync(schema);
        }
    }

    [Fact]
    public async Task Every_event_a_persistent_actor_acknowledged_survives_sigkill_and_replays_in_order()
    {
        var directory = SqliteFiles.NewTempDirectory();
        try
        {
            await KillRepeatedlyAsync(
                kills: Soak ? 60 : 6,
                childArgs: ["actor", directory],
                afterKill: _ => "",
                verify: async (acknowledged, context) =>
                {
                    await using var plugins = new PersistencePlugins(PersistenceSettings.Default, directory);
                    using var node = new TestKit.TestKit();
                    PersistenceExtension.Register(node.Sys, plugins, PersistentActorTests.Serialization(), plugins.Settings);
                    var probe = node.CreateTestProbe();
                    for (var w = 0; w < Writers; w++)
                    {
                        var pid = ActorCrashHost.PersistenceId(w);
                        node.Sys.ActorOf(Account.Props(pid, probe.Ref));
                        var recovered = probe.ExpectMsg<Recovered>(TimeSpan.FromSeconds(30));
                        var expectedLog = Enumerable.Range(1, (int)recovered.LastSequenceNr).Select(i => $"replay@{i}:True");
                        Assert.True(expectedLog.SequenceEqual(recovered.Log), $"{context}: {pid} replayed {string.Join(" ", recovered.Log)}");
                        Assert.True(recovered.Balance == recovered.LastSequenceNr, $"{context}: {pid} balance {recovered.Balance} after {recovered.LastSequenceNr} deposits of 1");
                        var acked = acknowledged.GetValueOrDefault(pid);
                        Assert.True(recovered.LastSequenceNr >= acked, $"{context}: {pid} recovered {recovered.LastSequenceNr} events but {acked} were acknowledged");
                    }
                });
        }
        finally
        {
            SqliteConnection.ClearAllPools();
            SqliteFiles.DeleteDirectory(directory);
        }
    }

    private async Task KillRepeatedlyAsync(
        int kills, string[] childArgs, Func<Random, string> afterKill, Func<Task<IJournal>> openJournal, Func<IJournal, Task> closeJournal)
    {
        await KillRepeatedlyAsync(kills, childArgs, afterKill, async (acknowledged, context) =>
        {
            var journal = await openJournal();
            try
            {
                for (var w = 0; w < Writers; w++)
                {
                    var pid = CrashHost.PersistenceId(w);
                    var replayed = await ReplayAll(journal, pid);
                    for (var i = 0; i < replayed.Count; i++)
                    {
                        Assert.True(replayed[i].SequenceNr == i + 1, $"{context}: {pid} replayed {replayed[i].SequenceNr} at position {i + 1}");
                        Assert.True(
                            replayed[i].Payload.Payload.Span.SequenceEqual(PayloadOf(pid, i + 1)),
                            $"{context}: {pid} event {i + 1} has the wrong payload");
                    }

                    var acked = acknowledged.GetValueOrDefault(pid);
                    Assert.True(replayed.Count >= acked, $"{context}: {pid} replayed {replayed.Count} events but {acked} were acknowledged");
                }
            }
            finally
            {
                await closeJournal(journal);
            }
        });
    }

    /// <summary>
    /// Starts the child, lets it print a seeded random number of acks, SIGKILLs it, and checks the storage; again and
    /// again over the same storage. Acks printed before the kill but read after it count too.
    /// </summary>
    internal async Task KillRepeatedlyAsync(
        int kills, string[] childArgs, Func<Random, string> afterKill, Func<Dictionary<string, long>, string, Task> verify)
    {
        var seed = Seed;
        var random = new Random(seed);
        var acknowledged = new Dictionary<string, long>();
        for (var kill = 0; kill < kills; kill++)
        {
            var context = $"seed {seed} (AKKARAFT_CRASH_SEED={seed}), kill {kill}";
            var killAfterAcks = random.Next(1, 80);
            var clock = System.Diagnostics.Stopwatch.StartNew();
            using (var child = ChildProcess.Start([.. childArgs, (seed + kill).ToString(CultureInfo.InvariantCulture), Writers.ToString(CultureInfo.InvariantCulture)]))
            {
                var ready = await child.ReadLineAsync(LineTimeout);
                Assert.True(ready == "READY", $"{context}: the child said '{ready}' instead of READY; stderr: {(ready is null ? await child.WaitForExitAsync() : "")}");
                var readyAfter = clock.Elapsed;
                var acks = 0;
                string? line;
                while ((line = await child.ReadLineAsync(LineTimeout)) is not null)
                {
                    Record(line, acknowledged, context);
                    if (++acks == killAfterAcks)
                    {
                        child.Kill();
                    }
                }

                await child.WaitForExitAsync();
                output.WriteLine($"ready after {readyAfter.TotalMilliseconds:F0}ms, dead after {clock.Elapsed.TotalMilliseconds:F0}ms");
            }

            var tearing = afterKill(random);
            await verify(acknowledged, $"{context} {tearing}");
            output.WriteLine($"{context}: killed after {killAfterAcks} acks; acknowledged so far {string.Join(", ", acknowledged.OrderBy(a => a.Key).Select(a => $"{a.Key}={a.Value}"))} {tearing}");
        }
    }

    private static void Record(string line, Dictionary<string, long> acknowledged, string context)
    {
        var parts = line.Split(' ');
        Assert.True(parts.Length == 3 && parts[0] == "ACK", $"{context}: unexpected output '{line}'");
        var sequenceNr = long.Parse(parts[2], CultureInfo.InvariantCulture);
        var previous = acknowledged.GetValueOrDefault(parts[1]);
        Assert.True(sequenceNr > previous, $"{context}: {parts[1]} acknowledged {sequenceNr} after {previous}");
        acknowledged[parts[1]] = sequenceNr;
    }
}
