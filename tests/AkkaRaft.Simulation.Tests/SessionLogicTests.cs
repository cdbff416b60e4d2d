using System.Text;
using AkkaRaft.Client;
using AkkaRaft.Client.Kv;
using AkkaRaft.Kv;
using AkkaRaft.Raft.Core;
using AkkaRaft.Raft.Peer;
using AkkaRaft.Raft.StateMachines;

namespace AkkaRaft.Simulation.Tests;

/// <summary>
/// Client sessions on one peer that leads a group of one, its effects carried out by hand against a real state machine
/// host: what a client sees of exactly-once writes, keep-alives, expiry, close and ephemeral keys (thesis 6.3).
/// </summary>
public sealed class SessionLogicTests
{
    private static readonly TimeSpan Ttl = TimeSpan.FromSeconds(2);

    [Fact]
    public void A_retried_sequence_number_answers_the_first_response_with_its_index_and_applies_nothing()
    {
        var peer = SoloPeer.Elected();
        var session = peer.Open(Ttl);

        var first = Assert.IsType<WriteResult>(peer.Ask(new Write(KvCommands.Put("k", "v1")) { SessionId = session, Sequence = 1, AcknowledgedBelow = 1 }));
        // The reply to write 1 was lost; the client sent write 2 meanwhile (pipelined), still waiting for 1's answer.
        var second = Assert.IsType<WriteResult>(peer.Ask(new Write(KvCommands.Put("k", "v2")) { SessionId = session, Sequence = 2, AcknowledgedBelow = 1 }));
        // Then it sends write 1 again.
        var retried = Assert.IsType<WriteResult>(peer.Ask(new Write(KvCommands.Put("k", "v1")) { SessionId = session, Sequence = 1, AcknowledgedBelow = 1 }));

        Assert.Equal(first.Index, retried.Index);
        Assert.Equal(first.Response.ToArray(), retried.Response.ToArray());
        Assert.True(second.Index > first.Index);
        Assert.Equal("v2", peer.Get("k"));
    }

    [Fact]
    public void A_session_keeps_at_most_the_configured_unacknowledged_responses_and_refuses_a_write_past_them_with_the_setting_named()
    {
        var peer = SoloPeer.Elected(RaftPeerSettings.Default with { Sessions = SessionSettings.Defaults with { MaxUnacknowledgedResponses = 2 } });
        var session = peer.Open(Ttl);
        peer.Ask(new Write(KvCommands.Put("a", "1")) { SessionId = session, Sequence = 1, AcknowledgedBelow = 1 });
        peer.Ask(new Write(KvCommands.Put("b", "2")) { SessionId = session, Sequence = 2, AcknowledgedBelow = 1 });

        var refused = Assert.IsType<RequestRejected>(peer.Ask(new Write(KvCommands.Put("c", "3")) { SessionId = session, Sequence = 3, AcknowledgedBelow = 1 }));
        Assert.Contains("akkaraft.sessions.max-unacknowledged-responses = 2", refused.Reason);
        Assert.Null(peer.Get("c"));

        // Once the client acknowledges what it received, the session has room again.
        Assert.IsType<WriteResult>(peer.Ask(new Write(KvCommands.Put("c", "3")) { SessionId = session, Sequence = 3, AcknowledgedBelow = 3 }));
        Assert.Equal("3", peer.Get("c"));
        // An acknowledged write's response is gone: a late retry of it is refused and applies nothing.
        Assert.IsType<RequestRejected>(peer.Ask(new Write(KvCommands.Put("a", "late")) { SessionId = session, Sequence = 1, AcknowledgedBelow = 1 }));
        Assert.Equal("1", peer.Get("a"));
    }

    [Fact]
    public void A_session_lives_while_kept_alive_and_expires_through_the_log_one_ttl_after_the_last_keep_alive_taking_its_ephemeral_keys()
    {
        var peer = SoloPeer.Elected();
        var session = peer.Open(Ttl);
        peer.Ask(new Write(KvCommands.Put("lock", "me", ephemeral: true)) { SessionId = session });
        peer.Ask(new Write(KvCommands.Put("kept", "yes")) { SessionId = session });

        for (var i = 0; i < 10; i++)
        {
            peer.RunFor(TimeSpan.FromSeconds(1));
            Assert.IsType<SessionKeptAlive>(peer.Ask(new KeepSessionAlive(session)));
        }
        Assert.Equal("me", peer.Get("lock"));

        peer.RunFor(Ttl + TimeSpan.FromMilliseconds(200));

        Assert.IsType<SessionNotFound>(peer.Ask(new KeepSessionAlive(session)));
        Assert.Null(peer.Get("lock"));
        Assert.Equal("yes", peer.Get("kept"));
        Assert.Equal([session], peer.EndedSessions);
        Assert.Equal([session], peer.Disarmed);
        Assert.IsType<SessionNotFound>(peer.Ask(new Write(KvCommands.Put("late", "x")) { SessionId = session, Sequence = 9, AcknowledgedBelow = 9 }));
        Assert.Null(peer.Get("late"));
    }

    [Fact]
    public void Closing_a_session_deletes_its_ephemeral_keys_and_tells_the_state_machine()
    {
        var peer = SoloPeer.Elected();
        var session = peer.Open(Ttl);
        peer.Ask(new Write(KvCommands.Put("e", "1", ephemeral: true)) { SessionId = session });

        var closed = Assert.IsType<SessionClosed>(peer.Ask(new CloseSession(session)));

        Assert.Equal(session, closed.SessionId);
        Assert.Null(peer.Get("e"));
        Assert.Equal([session], peer.EndedSessions);
        Assert.Equal([session], peer.Disarmed);
        Assert.IsType<SessionNotFound>(peer.Ask(new CloseSession(session)));
    }

    [Fact]
    public void A_ttl_outside_the_configured_bounds_is_refused_naming_the_setting()
    {
        var peer = SoloPeer.Elected();

        Assert.Contains("akkaraft.sessions.min-ttl", Assert.IsType<RequestRejected>(peer.Ask(new OpenSession(TimeSpan.FromMilliseconds(10)))).Reason);
        Assert.Contains("akkaraft.sessions.max-ttl", Assert.IsType<RequestRejected>(peer.Ask(new OpenSession(TimeSpan.FromDays(2)))).Reason);
    }

    [Fact]
    public void Sessions_and_their_saved_responses_travel_in_the_state_machines_snapshot()
    {
        var peer = SoloPeer.Elected();
        var session = peer.Open(Ttl);
        var first = Assert.IsType<WriteResult>(peer.Ask(new Write(KvCommands.Put("k", "v1")) { SessionId = session, Sequence = 1, AcknowledgedBelow = 1 }));
        peer.Ask(new Write(KvCommands.Put("e", "1", ephemeral: true)) { SessionId = session });
        var snapshot = peer.Host.TakeSnapshot();

        var restored = new StateMachineHost(new KvStateMachine(KvSettings.Default));
        restored.Restore(snapshot.Data, snapshot.Index);
        var retry = new Entry(1, snapshot.Index + 1, EntryType.Normal, StateMachineHost.EncodeCommand(KvCommands.Put("k", "v9"), session, sequence: 1, acknowledgedBelow: 1));
        var answer = Assert.IsType<WriteResult>(restored.Apply(retry, 1, answer: true));

        Assert.Equal(first.Index, answer.Index);
        Assert.True(restored.Sessions.Contains(session));
        Assert.Equal(snapshot.Data, restored.TakeSnapshot().Data);
    }

    /// <summary>A peer leading a group of one, with its effects carried out at once against a real state machine host.</summary>
    private sealed class SoloPeer
    {
        private readonly Dictionary<Client, object> _answers = new();
        // The keep-alive timer of each session, as the shell keeps it: when it fires.
        private readonly SortedDictionary<long, TimeSpan> _timers = new();
        private long _sequenceNr;

        private SoloPeer(RaftPeerSettings settings)
        {
            Logic = new PeerLogic<Client>(new PeerLogicSetup(1, [1], settings, 1 << 20, new SeededRandomSource(1)), RecoveredPeer.Empty());
            var machine = new EndRecordingMachine(new KvStateMachine(KvSettings.Default));
            EndedSessions = machine.Ended;
            Host = new StateMachineHost(machine);
        }

        public PeerLogic<Client> Logic { get; }

        public StateMachineHost Host { get; }

        public List<long> EndedSessions { get; }

        public TimeSpan Now { get; private set; }

        /// <summary>The sessions whose timer the logic dropped (their child actor would stop).</summary>
        public List<long> Disarmed { get; } = new();

        public static SoloPeer Elected(RaftPeerSettings? settings = null)
        {
            var peer = new SoloPeer(settings ?? RaftPeerSettings.Default);
            peer.Run(l => l.Start(peer.Now));
            peer.RunFor(TimeSpan.FromSeconds(2));
            Assert.Equal(RaftRole.Leader, peer.Logic.Role);
            return peer;
        }

        public long Open(TimeSpan ttl) => Assert.IsType<SessionOpened>(Ask(new OpenSession(ttl))).SessionId;

        public object Ask(object request)
        {
            var client = new Client();
            Run(l => l.Request(request, client, Now));
            return _answers.Remove(client, out var answer) ? answer : throw new InvalidOperationException($"no answer to {request}");
        }

        public string? Get(string key)
        {
            var answer = Assert.IsType<QueryResponse>(Ask(new Query(KvQueries.Get(key), ReadLevel.Stale)));
            var result = KvResult.Decode(answer.Response);
            return result.Status == KvStatus.Ok ? Encoding.UTF8.GetString(result.Pair!.Value.Span) : null;
        }

        /// <summary>Ticks every heartbeat interval for <paramref name="duration"/>.</summary>
        public void RunFor(TimeSpan duration)
        {
            var end = Now + duration;
            var step = RaftPeerSettings.Default.HeartbeatInterval;
            while (Now + step <= end)
            {
                Now += step;
                Run(l => l.Tick(Now));
                foreach (var (id, at) in _timers.Where(t => t.Value <= Now).ToList())
                {
                    _timers.Remove(id);
                    Run(l => l.SessionTimerFired(id, Now));
                }
            }
        }

        private void Run(Func<PeerLogic<Client>, PeerEffects<Client>> input)
        {
            // Copied first: the view is cleared by the next input, and carrying out an effect feeds the next one.
            var effects = new List<PeerEffect<Client>>();
            foreach (var effect in input(Logic)) effects.Add(effect);
            foreach (var effect in effects)
            {
                switch (effect.Kind)
                {
                    case PeerEffectKind.Persist:
                        _sequenceNr += effect.Events.Count;
                        var token = effect.Token;
                        Run(l => l.BatchDurable(token, _sequenceNr, Now));
                        break;
                    case PeerEffectKind.Reply:
                        _answers[effect.Client!] = effect.Answer;
                        break;
                    case PeerEffectKind.ApplyEntries:
                        for (var i = 0; i < effect.Entries.Count; i++)
                        {
                            var client = effect.ReplyFor(i);
                            if (Host.Apply(effect.Entries[i], effect.Leader, client is not null) is { } answer) _answers[client!] = answer;
                        }
                        break;
                    case PeerEffectKind.ServeQuery:
                        _answers[effect.Client!] = Host.Query(effect.Query, effect.IsTypedQuery, effect.Leader, effect.Term, effect.Path);
                        break;
                    case PeerEffectKind.RestoreStateMachine:
                        Host.Restore(effect.Data, effect.Index);
                        break;
                    case PeerEffectKind.TakeStateMachineSnapshot:
                        var snapshot = Host.TakeSnapshot();
                        Run(l => l.StateMachineSnapshotTaken(snapshot.Index, snapshot.Data, Now));
                        break;
                    case PeerEffectKind.ArmSessionTimer:
                        _timers[effect.SessionId] = Now + effect.After;
                        break;
                    case PeerEffectKind.DisarmSessionTimer:
                        _timers.Remove(effect.SessionId);
                        Disarmed.Add(effect.SessionId);
                        break;
                    case PeerEffectKind.SaveSnapshotRecord:
                        var at = effect.SequenceNr;
                        Run(l => l.SnapshotRecordSaved(at, Now));
                        break;
                }
            }
        }
    }

    private sealed class Client;

    /// <summary>A user's state machine that notes the sessions it is told ended.</summary>
    private sealed class EndRecordingMachine(IStateMachine inner) : IStateMachine
    {
        public List<long> Ended { get; } = new();

        public ApplyResult Apply(in ApplyContext context, ReadOnlyMemory<byte> command) => inner.Apply(context, command);

        public QueryResult Query(ReadOnlyMemory<byte> query) => inner.Query(query);

        public void WriteSnapshot(Stream output) => inner.WriteSnapshot(output);

        public void RestoreSnapshot(Stream input) => inner.RestoreSnapshot(input);

        public ApplyResult SessionExpired(in ApplyContext context, long sessionId)
        {
            Ended.Add(sessionId);
            return inner.SessionExpired(context, sessionId);
        }
    }
}
