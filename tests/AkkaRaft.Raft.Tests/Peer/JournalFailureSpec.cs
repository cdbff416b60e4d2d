using System.Text;
using Akka.Actor;
using Akka.Pattern;
using Akka.Persistence.TestKit;
using AkkaRaft.Client;
using AkkaRaft.Client.Kv;
using AkkaRaft.Configuration;
using AkkaRaft.Kv;
using AkkaRaft.Raft.Core;
using AkkaRaft.Raft.Peer;
using Xunit.Abstractions;

namespace AkkaRaft.Raft.Tests.Peer;

/// <summary>
/// What the actor shell adds around the core when its storage fails: a 3-peer group of supervised RaftPeers, each
/// on its own Akka.Persistence.TestKit journal and snapshot store, whose leader's journal is made to fail a write,
/// reject a write, and fail a recovery. Each time the peer stops (or fails), its backoff supervisor brings it back
/// from its journal, and no acknowledged write is lost.
/// </summary>
public sealed class JournalFailureSpec : Akka.TestKit.Xunit2.TestKit
{
    private static readonly ulong[] Ids = [1, 2, 3];

    private readonly ActorRefTransport _transport = new();
    private readonly Dictionary<ulong, IActorRef> _supervisors = new();
    private readonly Dictionary<string, string> _acknowledged = new();
    private readonly RaftPeerSettings _settings = RaftPeerSettings.Default with
    {
        ElectionTimeout = TimeSpan.FromMilliseconds(300),
        HeartbeatInterval = TimeSpan.FromMilliseconds(30),
        MaxLogCount = 15,
        Restart = new RestartBackoff(TimeSpan.FromMilliseconds(100), TimeSpan.FromMilliseconds(400), 0),
    };
    private int _next;

    public JournalFailureSpec(ITestOutputHelper output) : base(SystemConfig(), "journal-failure", output)
    {
    }

    /// <summary>The shipped akka section (serializers), plus one TestKit journal and snapshot store per peer.</summary>
    private static Akka.Configuration.Config SystemConfig()
    {
        var plugins = new StringBuilder("akka.loglevel = WARNING\n");
        foreach (var id in Ids)
        {
            plugins.Append($"akka.persistence.journal.test-{id} {{ class = \"Akka.Persistence.TestKit.TestJournal, Akka.Persistence.TestKit\", plugin-dispatcher = \"akka.actor.default-dispatcher\" }}\n");
            plugins.Append($"akka.persistence.snapshot-store.test-{id} {{ class = \"Akka.Persistence.TestKit.TestSnapshotStore, Akka.Persistence.TestKit\", plugin-dispatcher = \"akka.actor.default-dispatcher\" }}\n");
        }
        return Akka.Configuration.ConfigurationFactory.ParseString(plugins.ToString())
            .WithFallback(AkkaHandover.ToAkkaConfig(ConfigurationFactory.Default()));
    }

    [Fact]
    public async Task A_leader_whose_journal_fails_a_write_rejects_a_write_and_fails_a_recovery_comes_back_from_its_journal_each_time_and_nothing_acknowledged_is_lost()
    {
        foreach (var id in Ids) Start(id);
        await WriteKeysAsync(20);

        // A failed write: Akka.Persistence stops the peer; the backoff supervisor starts a new one from the journal.
        var leader = await LeaderAsync();
        var journal = Journal(leader);
        var first = await ChildOfAsync(leader);
        Watch(first);
        await journal.OnWrite.Fail();
        _supervisors[leader].Tell(new Write(KvCommands.Put("lost-or-not", "x"), TimeSpan.FromSeconds(1)));
        ExpectTerminated(first, TimeSpan.FromSeconds(10));

        // A failed recovery stops the next incarnations too; the one after them recovers once the journal reads again.
        var failedReplays = new FailingInterceptor();
        await journal.OnRecovery.SetInterceptorAsync(failedReplays);
        await failedReplays.Failed.WaitAsync(TimeSpan.FromSeconds(10));
        await journal.OnWrite.Pass();
        await journal.OnRecovery.Pass();
        await NextChildAsync(leader, first);
        await WriteKeysAsync(20);
        await AssertEveryAcknowledgedKeyAsync();

        // A rejected write (the journal refuses the event before writing): the peer fails, and is restarted in place.
        leader = await LeaderAsync();
        journal = Journal(leader);
        var rejected = await ChildOfAsync(leader);
        Sys.EventStream.Subscribe(TestActor, typeof(Akka.Event.Error));
        await journal.OnWrite.Reject();
        _supervisors[leader].Tell(new Write(KvCommands.Put("rejected", "x"), TimeSpan.FromSeconds(1)));
        // The peer fails on the rejection (logged with its cause) and is restarted in place: the same ref answers again.
        FishForMessage<Akka.Event.Error>(e => e.Cause is RaftPeerStorageException && e.LogSource.Contains($"peer-{leader}"), TimeSpan.FromSeconds(10));
        Sys.EventStream.Unsubscribe(TestActor, typeof(Akka.Event.Error));
        await journal.OnWrite.Pass();
        await rejected.Ask<PeerStatus>(GetPeerStatus.Instance, TimeSpan.FromSeconds(10));
        await WriteKeysAsync(20);
        await AssertEveryAcknowledgedKeyAsync();
    }

    /// <summary>Fails every replayed event, and says when it first did.</summary>
    private sealed class FailingInterceptor : IJournalInterceptor
    {
        private readonly TaskCompletionSource _failed = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public Task Failed => _failed.Task;

        public Task InterceptAsync(Akka.Persistence.IPersistentRepresentation message)
        {
            _failed.TrySetResult();
            throw new TestJournalFailureException();
        }
    }

    private void Start(ulong id)
    {
        var setup = new RaftPeerSetup(id, Ids, _transport, () => new KvStateMachine(KvSettings.Default), _settings)
        {
            JournalPluginId = $"akka.persistence.journal.test-{id}",
            SnapshotPluginId = $"akka.persistence.snapshot-store.test-{id}",
        };
        var supervisor = Sys.ActorOf(RaftPeer.SupervisedProps(setup), $"peer-{id}");
        _supervisors[id] = supervisor;
        // Messages to the supervisor go to its current child.
        _transport.Register(id, supervisor);
    }

    private ITestJournal Journal(ulong id) =>
        TestJournal.FromRef(Akka.Persistence.Persistence.Instance.Apply(Sys).JournalFor($"akka.persistence.journal.test-{id}"));

    private async Task<IActorRef> ChildOfAsync(ulong id)
    {
        var child = await _supervisors[id].Ask<BackoffSupervisor.CurrentChild>(BackoffSupervisor.GetCurrentChild.Instance, TimeSpan.FromSeconds(5));
        return child.Ref ?? throw new InvalidOperationException($"peer {id} has no child now");
    }

    private async Task<IActorRef> NextChildAsync(ulong id, IActorRef previous)
    {
        IActorRef? next = null;
        await AwaitAssertAsync(async () =>
        {
            var child = await _supervisors[id].Ask<BackoffSupervisor.CurrentChild>(BackoffSupervisor.GetCurrentChild.Instance, TimeSpan.FromSeconds(1));
            Assert.NotNull(child.Ref);
            Assert.NotEqual(previous, child.Ref);
            next = child.Ref;
        }, TimeSpan.FromSeconds(10), TimeSpan.FromMilliseconds(50));
        return next!;
    }

    private async Task<ulong> LeaderAsync()
    {
        ulong leader = 0;
        await AwaitAssertAsync(async () =>
        {
            foreach (var id in Ids)
            {
                var status = await _supervisors[id].Ask<PeerStatus>(GetPeerStatus.Instance, TimeSpan.FromSeconds(1));
                if (status.Role == RaftRole.Leader)
                {
                    leader = id;
                    return;
                }
            }
            Assert.Fail("no leader yet");
        }, TimeSpan.FromSeconds(20), TimeSpan.FromMilliseconds(50));
        return leader;
    }

    private async Task WriteKeysAsync(int count)
    {
        for (var i = 0; i < count; i++)
        {
            var key = $"k{_next++}";
            object? answer = null;
            for (var attempt = 0; attempt < 100 && answer is not WriteResult; attempt++)
            {
                try
                {
                    answer = await _supervisors[await LeaderAsync()].Ask<object>(new Write(KvCommands.Put(key, key), TimeSpan.FromSeconds(2)), TimeSpan.FromSeconds(3));
                }
                catch (AskTimeoutException)
                {
                    answer = null; // a peer that was down: its supervisor sent the request to dead letters
                }
            }
            Assert.True(answer is WriteResult, $"the write of {key} was never acknowledged; the last answer was {answer}");
            _acknowledged[key] = key;
        }
    }

    private async Task AssertEveryAcknowledgedKeyAsync()
    {
        foreach (var (key, value) in _acknowledged)
        {
            var answer = await _supervisors[await LeaderAsync()].Ask<object>(new Query(KvQueries.Get(key), ReadLevel.Consistent), TimeSpan.FromSeconds(5));
            var response = Assert.IsType<QueryResponse>(answer);
            var result = KvResult.Decode(response.Response);
            Assert.True(result.Status == KvStatus.Ok, $"acknowledged key {key} is {result.Status}");
            Assert.Equal(value, Encoding.UTF8.GetString(result.Pair!.Value.Span));
        }
    }
}
