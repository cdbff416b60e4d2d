using System.Globalization;
using AkkaRaft.Persistence.Journal;
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

    private async Task KillRepeatedlyAsync(
        int kills, string[] childArgs, Func<Random, string> afterKill, Func<Task<IJournal>> openJournal, Func<IJournal, Task> closeJournal)
    {
        var seed = Seed;
        var random = new Random(seed);
        var acknowledged = new long[Writers];
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

                // Lines printed before the kill but read after it were acknowledged too; the loop above read them all.
                await child.WaitForExitAsync();
                output.WriteLine($"ready after {readyAfter.TotalMilliseconds:F0}ms, dead after {clock.Elapsed.TotalMilliseconds:F0}ms");
            }

            var tearing = afterKill(random);
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

                    Assert.True(
                        replayed.Count >= acknowledged[w],
                        $"{context}: {pid} replayed {replayed.Count} events but {acknowledged[w]} were acknowledged {tearing}");
                }
            }
            finally
            {
                await closeJournal(journal);
            }

            output.WriteLine($"{context}: killed after {killAfterAcks} acks; acknowledged so far {string.Join(", ", acknowledged)} {tearing}");
        }
    }

    private static void Record(string line, long[] acknowledged, string context)
    {
        var parts = line.Split(' ');
        Assert.True(parts.Length == 3 && parts[0] == "ACK", $"{context}: unexpected output '{line}'");
        var writer = int.Parse(parts[1]["crash-".Length..], CultureInfo.InvariantCulture);
        var sequenceNr = long.Parse(parts[2], CultureInfo.InvariantCulture);
        Assert.True(sequenceNr > acknowledged[writer], $"{context}: {parts[1]} acknowledged {sequenceNr} after {acknowledged[writer]}");
        acknowledged[writer] = sequenceNr;
    }
}
