using AkkaRaft.Persistence.Journal;
using AkkaRaft.Persistence.Sql.PostgreSql;
using AkkaRaft.Persistence.Sql.Sqlite;
using static AkkaRaft.Persistence.Tests.Support.Events;

namespace AkkaRaft.Persistence.Tests.Crash;

/// <summary>
/// The child process of the crash tests. It persists events for a few persistence ids concurrently, forever, and
/// after each write the journal acknowledged it prints <c>ACK &lt;persistence id&gt; &lt;highest sequence number&gt;</c>.
/// The parent kills it with SIGKILL at a random moment, then checks that every acknowledged event is there.
/// </summary>
internal static class CrashHost
{
    public const string Command = "crash-host";

    private static readonly object OutputGate = new();

    /// <summary>
    /// args: journal (sqlite &lt;file&gt; | postgresql &lt;connection&gt; &lt;schema&gt;) &lt;seed&gt; &lt;writers&gt;,
    /// or actor &lt;data directory&gt; &lt;seed&gt; &lt;writers&gt;.
    /// </summary>
    public static async Task<int> RunAsync(string[] args)
    {
        if (args.Length > 0 && args[0] == "actor")
        {
            return await ActorCrashHost.RunAsync(args[1..]);
        }

        if (args.Length < 1 || args[0] != "journal")
        {
            await Console.Error.WriteLineAsync("crash-host: expected 'journal' or 'actor'");
            return 2;
        }

        var (journal, rest) = await OpenJournalAsync(args[1..]);
        var seed = int.Parse(rest[0], System.Globalization.CultureInfo.InvariantCulture);
        var writers = int.Parse(rest[1], System.Globalization.CultureInfo.InvariantCulture);
        Print("READY");
        await Task.WhenAll(Enumerable.Range(0, writers).Select(w => WriteForeverAsync(journal, $"crash-{w}", seed * 31 + w)));
        return 0;
    }

    public static string PersistenceId(int writer) => $"crash-{writer}";

    private static async Task<(IJournal Journal, string[] Remaining)> OpenJournalAsync(string[] args)
    {
        switch (args[0])
        {
            case "sqlite":
                return (new SqliteJournal(SqliteDatabase.Open(args[1], TimeSpan.FromSeconds(10)), GroupCommitSettings.Default), args[2..]);
            case "postgresql":
                var database = await PostgreSqlDatabase.OpenAsync(args[1], args[2]);
                return (new PostgreSqlJournal(database, GroupCommitSettings.Default), args[3..]);
            default:
                throw new ArgumentException($"unknown plugin '{args[0]}'");
        }
    }

    private static async Task WriteForeverAsync(IJournal journal, string persistenceId, int seed)
    {
        var random = new Random(seed);
        var next = await journal.ReadHighestSequenceNrAsync(persistenceId) + 1;
        while (true)
        {
            var count = random.Next(1, 9);
            await journal.WriteAsync(Write(persistenceId, next, next + count - 1));
            next += count;
            Print($"ACK {persistenceId} {next - 1}");
        }
    }

    internal static void Print(string line)
    {
        lock (OutputGate)
        {
            Console.Out.WriteLine(line);
            Console.Out.Flush();
        }
    }
}
