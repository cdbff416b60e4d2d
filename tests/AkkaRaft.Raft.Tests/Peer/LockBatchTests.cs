using System.Collections.Concurrent;
using Akka.Actor;
using AkkaRaft.Client;
using AkkaRaft.Configuration;
using AkkaRaft.Kv;
using AkkaRaft.Raft.Core;
using AkkaRaft.Raft.Peer;
using Xunit.Abstractions;

namespace AkkaRaft.Raft.Tests.Peer;

/// <summary>
/// What a lock's clients are answered must not depend on how the peer cut the committed log into batches: a leader
/// applies one entry at a time when commits come one by one, and a backlog at once when it is new or its commits were
/// held up. The state machine actor is fed the same seeded log of acquires, releases, session opens and closes (each
/// entry with its own client, or none), once an entry per batch, once all in one batch and once cut at random; every
/// client must get the same answers, in the same order, all three times. (Stop 28's CI found a waiter answered with the
/// grant of its session's earlier place, applied earlier in the same batch.)
/// </summary>
public sealed class LockBatchTests(ITestOutputHelper output)
    : Akka.TestKit.Xunit2.TestKit(SystemConfig(), "lock-batches", output)
{
    private const int Seeds = 12;
    private const int EntriesPerLog = 120;
    private static readonly TimeSpan Wait = TimeSpan.FromSeconds(10);
    private static readonly string[] LockNames = ["A", "B"];

    private static Akka.Configuration.Config SystemConfig() =>
        Akka.Configuration.ConfigurationFactory.ParseString("akka.loglevel = WARNING")
            .WithFallback(AkkaHandover.ToAkkaConfig(ConfigurationFactory.Default()));

    [Fact]
    public async Task Lock_clients_get_the_same_answers_however_the_log_is_cut_into_batches()
    {
        var grantsFromQueues = 0;
        for (var seed = 1; seed <= Seeds; seed++)
        {
            var (entries, clients) = SeededLog(seed);
            var one = await AnswersAsync(entries, clients, Enumerable.Repeat(1, entries.Count).ToList());
            var all = await AnswersAsync(entries, clients, [entries.Count]);
            var random = new Random(seed);
            var cuts = new List<int>();
            for (var left = entries.Count; left > 0;)
            {
                var size = Math.Min(left, random.Next(1, 12));
                cuts.Add(size);
                left -= size;
            }
            var cut = await AnswersAsync(entries, clients, cuts);

            foreach (var index in clients)
            {
                Assert.True(one[index].SequenceEqual(all[index]),
                    $"seed {seed}: the client of entry {index + 1} got [{string.Join("; ", one[index])}] with an entry per batch, [{string.Join("; ", all[index])}] with one batch");
                Assert.True(one[index].SequenceEqual(cut[index]),
                    $"seed {seed}: the client of entry {index + 1} got [{string.Join("; ", one[index])}] with an entry per batch, [{string.Join("; ", cut[index])}] with batches of [{string.Join(", ", cuts)}]");
            }
            // A grant that reached a client after its acquire's own answer: it waited in a queue.
            grantsFromQueues += clients.Count(i => one[i] is [LockAcquired acquired, ..] && acquired.FencingToken != entries[i].Index);
        }

        // The logs make waiters get locks from queues, or the test would prove little.
        Assert.True(grantsFromQueues >= Seeds, $"only {grantsFromQueues} grants from a queue in {Seeds} logs");
    }

    /// <summary>
    /// A seeded log: four sessions opened first, then acquires and releases of two locks by live sessions, with now and
    /// then a session closed or a new one opened. The indexes of the entries that have a client waiting are returned too.
    /// </summary>
    private static (List<Entry> Entries, List<int> Clients) SeededLog(int seed)
    {
        var random = new Random(seed);
        var entries = new List<Entry>();
        var clients = new List<int>();
        var live = new List<long>();
        Entry Add(byte[] data, bool client)
        {
            var entry = new Entry(1, (ulong)entries.Count + 1, EntryType.Normal, data);
            if (client) clients.Add(entries.Count);
            entries.Add(entry);
            return entry;
        }
        for (var i = 0; i < 4; i++) live.Add((long)Add(SessionEntries.EncodeOpen(TimeSpan.FromMinutes(1), 10), client: false).Index);

        while (entries.Count < EntriesPerLog)
        {
            var roll = random.Next(100);
            var session = live[random.Next(live.Count)];
            var name = LockNames[random.Next(LockNames.Length)];
            if (roll < 50) Add(SessionEntries.EncodeAcquire(name, session, LockSettings.Defaults), client: random.Next(10) < 8);
            else if (roll < 85) Add(SessionEntries.EncodeRelease(name, session), client: random.Next(10) < 6);
            else if (roll < 93 && live.Count > 2)
            {
                Add(SessionEntries.EncodeClose(session), client: random.Next(2) == 0);
                live.Remove(session);
            }
            else live.Add((long)Add(SessionEntries.EncodeOpen(TimeSpan.FromMinutes(1), 10), client: false).Index);
        }

        return (entries, clients);
    }

    /// <summary>Feeds <paramref name="entries"/> to a fresh state machine actor in batches of <paramref name="cuts"/>; what each client got, in order.</summary>
    private async Task<Dictionary<int, List<object>>> AnswersAsync(List<Entry> entries, List<int> clients, List<int> cuts)
    {
        var machine = Sys.ActorOf(Props.Create(() => new StateMachineActor(new KvStateMachine(KvSettings.Default), WatchSettings.Defaults)));
        var received = new ConcurrentQueue<(int Entry, object Answer)>();
        var recorders = clients.ToDictionary(i => i, i => Sys.ActorOf(Props.Create(() => new Recorder(i, received))));
        var start = 0;
        foreach (var size in cuts)
        {
            var batch = entries.GetRange(start, size);
            var replies = Enumerable.Range(start, size).Select(i => recorders.GetValueOrDefault(i)).ToArray();
            machine.Tell(new ApplyEntries(batch, replies, Leader: 1));
            start += size;
        }

        // Every batch is applied once the snapshot is answered, and every answer is in its recorder's mailbox then.
        await machine.Ask<StateMachineSnapshot>(TakeStateMachineSnapshot.Instance, Wait);
        foreach (var recorder in recorders.Values) await recorder.Ask<Recorder.Flushed>(Recorder.Flush.Instance, Wait);
        foreach (var actor in recorders.Values.Append(machine)) Sys.Stop(actor);

        var answers = clients.ToDictionary(i => i, _ => new List<object>());
        foreach (var (entry, answer) in received) answers[entry].Add(answer);
        return answers;
    }

    /// <summary>One entry's client: keeps what it is told, in order (the answers are records: equal when their values are).</summary>
    private sealed class Recorder : ReceiveActor
    {
        public sealed record Flush
        {
            public static Flush Instance { get; } = new();
        }

        public sealed record Flushed
        {
            public static Flushed Instance { get; } = new();
        }

        public Recorder(int entry, ConcurrentQueue<(int, object)> received)
        {
            Receive<Flush>(_ => Sender.Tell(Flushed.Instance));
            ReceiveAny(message => received.Enqueue((entry, message)));
        }
    }
}
