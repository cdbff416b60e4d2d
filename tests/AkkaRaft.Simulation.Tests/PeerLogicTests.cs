using AkkaRaft.Client;
using AkkaRaft.Client.Kv;
using AkkaRaft.Client.Typed;
using AkkaRaft.Kv;
using AkkaRaft.Raft.Core;
using AkkaRaft.Raft.Peer;
using AkkaRaft.Raft.Peer.Protocol;

namespace AkkaRaft.Simulation.Tests;

/// <summary>The order of a single peer's effects, fed by hand: what is written before what is sent, and what waits for what.</summary>
public sealed class PeerLogicTests
{
    [Fact]
    public void A_founder_journals_its_bootstrap_entries_and_starts_its_core_only_once_they_are_durable()
    {
        var peer = new Driver(1, [1, 2, 3]);

        var start = peer.Start();

        var persist = Assert.Single(start);
        Assert.Equal(PeerEffectKind.Persist, persist.Kind);
        Assert.False(peer.Logic.Started);
        Assert.IsType<NotLeader>(peer.Answer(new Write(KvCommands.Put("k", "v"))));

        peer.Durable(persist);
        Assert.True(peer.Logic.Started);
        Assert.Equal(new ulong[] { 1, 2, 3 }, peer.Logic.Status().Voters);
    }

    [Fact]
    public void A_follower_acknowledges_entries_only_after_its_journal_batch_is_durable()
    {
        var peer = Driver.Started(2, [1, 2, 3]);
        var entries = new[] { new Entry(2, 4, EntryType.Normal, StateMachineHost.EncodeCommand(KvCommands.Put("k", "v"), 0)) };

        var appended = peer.Feed(l => l.Step(new AppendEntries(1, 2, 2, 3, 1, entries, 3), peer.Now));

        Assert.Equal([PeerEffectKind.RoleChanged, PeerEffectKind.Persist], appended.Select(e => e.Kind));
        var acknowledged = peer.Durable(appended[1]);
        var response = Assert.IsType<AppendEntriesResponse>(Assert.Single(acknowledged, e => e.Kind == PeerEffectKind.Send).Message);
        Assert.True(response.Success);
        Assert.Equal(4UL, response.Index);
    }

    [Fact]
    public void A_follower_answers_heartbeats_while_its_journal_batch_is_still_being_written_but_acknowledges_entries_only_after()
    {
        var peer = Driver.Started(2, [1, 2, 3]);
        var entries = new[] { new Entry(2, 4, EntryType.Normal, StateMachineHost.EncodeCommand(KvCommands.Put("k", "v"), 0)) };
        var appended = peer.Feed(l => l.Step(new AppendEntries(1, 2, 2, 3, 1, entries, 3), peer.Now));
        var persist = Assert.Single(appended, e => e.Kind == PeerEffectKind.Persist);

        // The write is slow (a snapshot row, a journal cut): the leader's heartbeats are answered meanwhile, or it would
        // hear from no quorum and step down; the entries are not acknowledged.
        var beat = peer.Feed(l => l.Step(new Heartbeat(1, 2, 2, 3, 7), peer.Now));
        var answer = Assert.IsType<HeartbeatResponse>(Assert.Single(beat, e => e.Kind == PeerEffectKind.Send).Message);
        Assert.Equal(7UL, answer.Round);
        Assert.DoesNotContain(beat, e => e.Kind == PeerEffectKind.Send && e.Message is AppendEntriesResponse);

        var durable = peer.Durable(persist);
        var response = Assert.IsType<AppendEntriesResponse>(Assert.Single(durable, e => e.Kind == PeerEffectKind.Send).Message);
        Assert.Equal(4UL, response.Index);
    }

    [Fact]
    public void A_leader_keeps_sending_heartbeats_while_its_own_write_is_outstanding()
    {
        var peer = Driver.Leader(1, [1, 2, 3]);
        var proposed = peer.Feed(l => l.Request(new Write(KvCommands.Put("k", "v")), new TestClient(), peer.Now));
        Assert.Single(proposed, e => e.Kind == PeerEffectKind.Persist);

        var beats = new List<RaftMessage>();
        for (var i = 0; i < 3; i++)
        {
            peer.Now += TimeSpan.FromMilliseconds(50);
            beats.AddRange(peer.Feed(l => l.Tick(peer.Now)).Where(e => e.Kind == PeerEffectKind.Send).Select(e => e.Message));
        }

        Assert.Contains(beats, m => m is Heartbeat { To: 2 });
        Assert.Contains(beats, m => m is Heartbeat { To: 3 });
    }

    [Fact]
    public void A_candidate_asks_for_votes_only_once_its_own_vote_is_durable()
    {
        var peer = Driver.Started(2, [1, 2, 3]);
        var effects = new List<PeerEffect<TestClient>>();
        for (var i = 0; i < 100 && !effects.Any(e => e.Kind == PeerEffectKind.Persist); i++)
        {
            peer.Now += TimeSpan.FromMilliseconds(50);
            var ticked = peer.Feed(l => l.Tick(peer.Now));
            effects.AddRange(ticked);
            // The others grant the pre-vote: the peer becomes a candidate and journals its term and its own vote.
            foreach (var preVote in ticked.Where(e => e.Kind == PeerEffectKind.Send).Select(e => e.Message).OfType<RequestVote>().Where(v => v.PreVote).ToList())
                effects.AddRange(peer.Feed(l => l.Step(new RequestVoteResponse(preVote.To, preVote.From, preVote.Term, true, true), peer.Now)));
        }
        var persist = Assert.Single(effects, e => e.Kind == PeerEffectKind.Persist);
        // The write is slow: elections time out and start again meanwhile, and still no vote is asked for.
        for (var i = 0; i < 40; i++)
        {
            peer.Now += TimeSpan.FromMilliseconds(50);
            var ticked = peer.Feed(l => l.Tick(peer.Now));
            effects.AddRange(ticked);
            foreach (var preVote in ticked.Where(e => e.Kind == PeerEffectKind.Send).Select(e => e.Message).OfType<RequestVote>().Where(v => v.PreVote).ToList())
                effects.AddRange(peer.Feed(l => l.Step(new RequestVoteResponse(preVote.To, preVote.From, preVote.Term, true, true), peer.Now)));
        }
        Assert.DoesNotContain(effects, e => e.Kind == PeerEffectKind.Send && e.Message is RequestVote { PreVote: false });

        var asked = peer.Durable(persist);
        Assert.Contains(asked, e => e.Kind == PeerEffectKind.Send && e.Message is RequestVote { PreVote: false });
    }

    [Fact]
    public void A_follower_with_the_fault_harness_bug_on_acknowledges_entries_before_its_journal_batch_is_durable()
    {
        var peer = Driver.Started(2, [1, 2, 3], RaftPeerSettings.Default with { UnsafeAckBeforeFsync = true });
        var entries = new[] { new Entry(2, 4, EntryType.Normal, StateMachineHost.EncodeCommand(KvCommands.Put("k", "v"), 0)) };

        var appended = peer.Feed(l => l.Step(new AppendEntries(1, 2, 2, 3, 1, entries, 3), peer.Now));

        Assert.Equal([PeerEffectKind.RoleChanged, PeerEffectKind.Send, PeerEffectKind.Persist], appended.Select(e => e.Kind));
        var response = Assert.IsType<AppendEntriesResponse>(appended[1].Message);
        Assert.True(response.Success);
        Assert.Equal(4UL, response.Index);
        Assert.DoesNotContain(peer.Durable(appended[2]), e => e.Kind == PeerEffectKind.Send);
    }

    [Fact]
    public void A_leader_sends_its_appends_before_its_own_write_is_durable()
    {
        var peer = Driver.Leader(1, [1, 2, 3]);

        var proposed = peer.Feed(l => l.Request(new Write(KvCommands.Put("k", "v")), new TestClient(), peer.Now));

        var kinds = proposed.Select(e => e.Kind).ToList();
        Assert.Equal([PeerEffectKind.Send, PeerEffectKind.Send, PeerEffectKind.Persist], kinds);
        Assert.All(proposed.Take(2), e => Assert.IsType<AppendEntries>(e.Message));
    }

    [Fact]
    public void A_write_is_answered_through_the_state_machine_once_its_entry_commits()
    {
        var peer = Driver.Leader(1, [1, 2, 3]);
        var client = new TestClient();
        var proposed = peer.Feed(l => l.Request(new Write(KvCommands.Put("k", "v")), client, peer.Now));
        var index = ((AppendEntries)proposed[0].Message).Entries[^1].Index;
        peer.Durable(proposed[^1]);

        var committed = peer.Feed(l => l.Step(new AppendEntriesResponse(2, 1, peer.Logic.Term, true, index, 0, 0), peer.Now));

        var apply = Assert.Single(committed, e => e.Kind == PeerEffectKind.ApplyEntries);
        Assert.Equal(index, apply.Entries[^1].Index);
        Assert.Same(client, apply.ReplyFor(apply.Entries.Count - 1));
        Assert.Equal(1, peer.Logic.Status().CommitLatency.Count);
    }

    [Fact]
    public void A_snapshot_from_the_leader_is_saved_before_it_is_acknowledged_and_the_journal_is_deleted_after()
    {
        var peer = Driver.Started(2, [1, 2, 3]);
        using var stream = new MemoryStream();
        new KvStateMachine(KvSettings.Default).WriteSnapshot(stream);
        var data = stream.ToArray();
        var metadata = new SnapshotMetadata(10, 2, ConfState.OfVoters(1, 2, 3));

        var installed = peer.Feed(l => l.Step(new InstallSnapshot(1, 2, 2, new Snapshot(metadata, data)), peer.Now));
        var persist = Assert.Single(installed, e => e.Kind == PeerEffectKind.Persist);
        Assert.DoesNotContain(installed, e => e.Kind == PeerEffectKind.Send);

        var durable = peer.Durable(persist);
        var save = Assert.Single(durable);
        Assert.Equal(PeerEffectKind.SaveSnapshotRecord, save.Kind);
        Assert.Equal(10UL, save.SnapshotRecord.Index);

        var saved = peer.Feed(l => l.SnapshotRecordSaved(save.SequenceNr, peer.Now));
        Assert.Equal(PeerEffectKind.DeleteUpTo, saved[0].Kind);
        Assert.Equal(save.SequenceNr, saved[0].SequenceNr);
        var restore = saved.ToList().FindIndex(e => e.Kind == PeerEffectKind.RestoreStateMachine);
        var send = saved.ToList().FindIndex(e => e.Kind == PeerEffectKind.Send);
        Assert.True(send > 0 && restore > send, $"effects after the record was saved: {string.Join(", ", saved)}");
        Assert.Equal(10UL, peer.Logic.Status().AppliedIndex);
    }

    [Fact]
    public void A_compaction_goes_on_before_its_snapshot_record_is_saved_and_cuts_the_journal_only_after()
    {
        var peer = Driver.Leader(1, [1, 2, 3], RaftPeerSettings.Default with { MaxLogCount = 2 });
        PeerEffect<TestClient>? take = null;
        for (var i = 0; i < 10 && take is null; i++)
        {
            var written = peer.Cooperate(peer.Feed(l => l.Request(new Write(KvCommands.Put($"k{i}", "v")), new TestClient(), peer.Now)));
            take = written.FirstOrDefault(e => e.Kind == PeerEffectKind.TakeStateMachineSnapshot);
        }

        Assert.NotNull(take);
        using var stream = new MemoryStream();
        new KvStateMachine(KvSettings.Default).WriteSnapshot(stream);
        var compacted = peer.Feed(l => l.StateMachineSnapshotTaken(peer.Logic.Status().AppliedIndex, stream.ToArray(), peer.Now));
        var persist = Assert.Single(compacted, e => e.Kind == PeerEffectKind.Persist);
        var durable = peer.Cooperate(peer.Durable(persist));
        var save = Assert.Single(durable, e => e.Kind == PeerEffectKind.SaveSnapshotRecord);
        Assert.DoesNotContain(durable, e => e.Kind == PeerEffectKind.DeleteUpTo);

        // The record is not saved yet, and the peer goes on: the next write is journaled (and commits) meanwhile.
        var next = peer.Cooperate(peer.Feed(l => l.Request(new Write(KvCommands.Put("after", "v")), new TestClient(), peer.Now)));
        Assert.Contains(next, e => e.Kind == PeerEffectKind.Persist);
        Assert.Contains(next, e => e.Kind == PeerEffectKind.ApplyEntries);

        var saved = peer.Feed(l => l.SnapshotRecordSaved(save.SequenceNr, peer.Now));
        var cut = Assert.Single(saved, e => e.Kind == PeerEffectKind.DeleteUpTo);
        Assert.Equal(save.SequenceNr, cut.SequenceNr);
    }

    /// <summary>
    /// Writes 200-byte values until the peer asks for a snapshot (or <paramref name="most"/> writes); returns how many
    /// writes that took, or null when it never asked.
    /// </summary>
    private static int? WritesUntilSnapshotAsked(Driver peer, int most)
    {
        for (var i = 1; i <= most; i++)
        {
            var written = peer.Cooperate(peer.Feed(l => l.Request(new Write(KvCommands.Put($"k{i}", new string('v', 200))), new TestClient(), peer.Now)));
            if (written.Any(e => e.Kind == PeerEffectKind.TakeStateMachineSnapshot)) return i;
        }

        return null;
    }

    /// <summary>Hands the peer a snapshot of <paramref name="bytes"/> and carries its compaction through to the journal cut.</summary>
    private static void Compact(Driver peer, int bytes)
    {
        var compacted = peer.Feed(l => l.StateMachineSnapshotTaken(peer.Logic.Status().AppliedIndex, new byte[bytes], peer.Now));
        var durable = peer.Cooperate(peer.Durable(Assert.Single(compacted, e => e.Kind == PeerEffectKind.Persist)));
        var save = Assert.Single(durable, e => e.Kind == PeerEffectKind.SaveSnapshotRecord);
        peer.Feed(l => l.SnapshotRecordSaved(save.SequenceNr, peer.Now));
    }

    [Theory]
    [InlineData(1.0, 1L << 30)]
    [InlineData(0.0, 1L << 30)]
    [InlineData(1.0, 10_000L)]
    public void A_snapshot_larger_than_max_log_bytes_is_taken_again_only_after_the_log_has_grown_by_the_ratio_times_its_size(double ratio, long ceiling)
    {
        // Every 2 entries or 1 KiB of them, except that after a 20 KB snapshot the next waits for 20 KB of log (ratio 1),
        // or for the ceiling when that is lower.
        var peer = Driver.Leader(1, [1, 2, 3], RaftPeerSettings.Default with { MaxLogCount = 2, MaxLogBytes = 1024, LogToSnapshotRatio = ratio, MaxLogBytesCeiling = ceiling });
        // The founding entries (the configuration and the leader's no-op) already asked for the first snapshot.
        Compact(peer, 20_000);

        var writes = WritesUntilSnapshotAsked(peer, 500);

        Assert.NotNull(writes);
        if (ratio == 0)
        {
            Assert.Equal(2, writes);
        }
        else if (ceiling < 20_000)
        {
            // The ceiling of 10,000 bytes comes first: about half as many writes.
            Assert.InRange(writes!.Value, 40, 50);
        }
        else
        {
            // Each write's entry is a little over 200 bytes: about a hundred of them make 20 KB, none fewer than 80.
            Assert.InRange(writes!.Value, 80, 100);
        }

        // A small snapshot brings the plain triggers back.
        Compact(peer, 100);
        Assert.Equal(2, WritesUntilSnapshotAsked(peer, 10));
    }

    [Fact]
    public void A_snapshot_offer_past_the_commit_index_is_fetched_and_nothing_else_happens_until_its_bytes_arrive()
    {
        var peer = Driver.Started(2, [1, 2, 3]);
        var applied = peer.Logic.Status().AppliedIndex;
        var offer = Offer(index: 10, term: 2);

        var effects = peer.Feed(l => l.Step(offer, peer.Now));

        var fetch = Assert.Single(effects);
        Assert.Equal(PeerEffectKind.FetchSnapshot, fetch.Kind);
        Assert.Same(offer, fetch.Offer);
        Assert.Equal(applied, peer.Logic.Status().AppliedIndex);
    }

    [Fact]
    public void A_snapshot_offer_the_peer_already_covers_is_acknowledged_at_once_without_a_fetch()
    {
        var peer = Driver.Started(2, [1, 2, 3]);
        var committed = peer.Logic.Status().CommitIndex;

        var effects = peer.Feed(l => l.Step(Offer(index: committed, term: 2), peer.Now));

        Assert.DoesNotContain(effects, e => e.Kind == PeerEffectKind.FetchSnapshot);
        // The offer's newer term is journaled first; the answer goes once it is durable.
        var durable = peer.Durable(Assert.Single(effects, e => e.Kind == PeerEffectKind.Persist));
        var answer = Assert.IsType<AppendEntriesResponse>(Assert.Single(durable, e => e.Kind == PeerEffectKind.Send).Message);
        Assert.True(answer.Success);
        Assert.Equal((1UL, committed), (answer.To, answer.Index));
    }

    [Fact]
    public void A_snapshot_offer_from_an_older_term_is_dropped()
    {
        var peer = Driver.Started(2, [1, 2, 3]);
        peer.Feed(l => l.Step(new Heartbeat(1, 2, 5, 0, 1), peer.Now));

        var effects = peer.Feed(l => l.Step(Offer(index: 10, term: 4), peer.Now));

        Assert.Empty(effects);
    }

    private static AkkaRaft.Raft.Peer.Snapshots.SnapshotOffer Offer(ulong index, ulong term) =>
        new(1, 2, term, new SnapshotMetadata(index, term, ConfState.OfVoters(1, 2, 3)), 4096, 0x1234, "127.0.0.1:1", new byte[16]);

    [Fact]
    public void A_durable_report_for_a_batch_that_is_not_in_flight_is_a_broken_invariant()
    {
        var peer = Driver.Started(2, [1, 2, 3]);

        var error = Assert.Throws<RaftInvariantException>(() => peer.Logic.BatchDurable(99, 5, peer.Now));

        Assert.Contains("a batch is durable only while one is written", error.Message);
    }

    [Fact]
    public void Time_that_goes_back_is_a_broken_invariant()
    {
        var peer = Driver.Started(2, [1, 2, 3]);
        peer.Feed(l => l.Tick(TimeSpan.FromSeconds(5)));

        var error = Assert.Throws<RaftInvariantException>(() => peer.Logic.Tick(TimeSpan.FromSeconds(4)));

        Assert.Contains("time never goes back", error.Message);
    }

    [Fact]
    public void A_pending_write_expires_with_its_own_timeout()
    {
        var peer = Driver.Leader(1, [1, 2, 3]);
        var client = new TestClient();
        peer.Feed(l => l.Request(new Write(KvCommands.Put("k", "v"), TimeSpan.FromMilliseconds(120)), client, peer.Now));

        peer.Now += TimeSpan.FromMilliseconds(100);
        Assert.DoesNotContain(peer.Feed(l => l.Tick(peer.Now)), e => e.Kind == PeerEffectKind.Reply);
        peer.Now += TimeSpan.FromMilliseconds(50);
        var expired = Assert.Single(peer.Feed(l => l.Tick(peer.Now)), e => e.Kind == PeerEffectKind.Reply);

        Assert.Same(client, expired.Client);
        Assert.Equal(TimeSpan.FromMilliseconds(120), Assert.IsType<RequestTimedOut>(expired.Answer).After);
    }

    [Fact]
    public void A_leader_proposes_a_typed_write_as_its_payload_bytes_in_a_frame_marked_typed_and_answers_it_through_the_state_machine()
    {
        var peer = Driver.Leader(1, [1, 2, 3]);
        var client = new TestClient();
        var payload = new SerializedPayload(-5, "", [7, 8, 9]);

        var proposed = peer.Feed(l => l.Request(new TypedWrite(payload), client, peer.Now));

        var entry = ((AppendEntries)proposed[0].Message).Entries[^1];
        var command = ClientCommand.Parser.ParseFrom(entry.Data);
        Assert.True(command.Typed);
        var frame = TypedPayloadFrame.Parser.ParseFrom(command.Command);
        Assert.Equal(-5, frame.SerializerId);
        Assert.Equal("", frame.Manifest);
        Assert.Equal([7, 8, 9], frame.Bytes.ToByteArray());

        peer.Durable(proposed[^1]);
        var committed = peer.Feed(l => l.Step(new AppendEntriesResponse(2, 1, peer.Logic.Term, true, entry.Index, 0, 0), peer.Now));
        var apply = Assert.Single(committed, e => e.Kind == PeerEffectKind.ApplyEntries);
        Assert.Same(client, apply.ReplyFor(apply.Entries.Count - 1));
    }

    [Fact]
    public void A_follower_passes_typed_requests_on_to_the_leader_unread_and_serves_stale_and_consistent_typed_queries_itself()
    {
        var peer = Driver.Started(2, [1, 2, 3]);
        var following = peer.Feed(l => l.Step(new AppendEntries(1, 2, 2, 3, 1, [], 3), peer.Now));
        peer.Durable(Assert.Single(following, e => e.Kind == PeerEffectKind.Persist));
        var command = new SerializedPayload(-5, "", [1]);
        var query = new SerializedPayload(-5, "", [2]);

        var write = Assert.Single(peer.Feed(l => l.Request(new TypedWrite(command), new TestClient(), peer.Now)));
        Assert.Equal(PeerEffectKind.Forward, write.Kind);
        Assert.Equal(1UL, write.To);
        Assert.Same(command, Assert.IsType<TypedWrite>(write.Request).Command);

        var read = Assert.Single(peer.Feed(l => l.Request(new TypedQuery(query), new TestClient(), peer.Now)));
        Assert.Equal(PeerEffectKind.Forward, read.Kind);
        Assert.Same(query, Assert.IsType<TypedQuery>(read.Request).Query);

        // A consistent read stays here: the follower asks the leader only for a read index.
        var consistent = Assert.Single(peer.Feed(l => l.Request(new TypedQuery(query, ReadLevel.Consistent), new TestClient(), peer.Now)));
        Assert.Equal(PeerEffectKind.Send, consistent.Kind);
        Assert.Equal(1UL, Assert.IsType<ReadIndexRequest>(consistent.Message).To);

        var refused = Assert.IsType<NotLeader>(peer.Answer(new TypedWrite(command, OnNotLeader: NotLeaderPolicy.Reject)));
        Assert.Equal(1UL, refused.LeaderHint);

        var stale = Assert.Single(peer.Feed(l => l.Request(new TypedQuery(query, ReadLevel.Stale), new TestClient(), peer.Now)));
        Assert.Equal(PeerEffectKind.ServeQuery, stale.Kind);
        Assert.True(stale.IsTypedQuery);
        Assert.Equal([2], TypedPayloadFrame.Parser.ParseFrom(stale.Query).Bytes.ToByteArray());
    }

    [Fact]
    public void A_typed_request_whose_object_the_shell_did_not_serialize_is_a_bug_of_the_shell()
    {
        var peer = Driver.Leader(1, [1, 2, 3]);
        var error = Assert.Throws<ArgumentException>(() => peer.Feed(l => l.Request(new TypedWrite("not serialized"), new TestClient(), peer.Now)));
        Assert.Contains("not its serialized payload", error.Message);
    }

    private sealed class TestClient;

    /// <summary>One peer's logic, fed by hand, with a journal that only counts sequence numbers.</summary>
    private sealed class Driver
    {
        private long _sequenceNr;

        public Driver(ulong id, ulong[] voters, RaftPeerSettings? settings = null)
        {
            settings ??= RaftPeerSettings.Default;
            Logic = new PeerLogic<TestClient>(new PeerLogicSetup(id, voters, settings, 1 << 20, new SeededRandomSource(id)), RecoveredPeer.Empty());
        }

        public PeerLogic<TestClient> Logic { get; }

        public TimeSpan Now { get; set; }

        /// <summary>A founder whose bootstrap write is durable.</summary>
        public static Driver Started(ulong id, ulong[] voters, RaftPeerSettings? settings = null)
        {
            var driver = new Driver(id, voters, settings);
            driver.Durable(Assert.Single(driver.Start()));
            return driver;
        }

        /// <summary>A founder elected by the votes of the others, with its no-op written and replicated.</summary>
        public static Driver Leader(ulong id, ulong[] voters, RaftPeerSettings? settings = null)
        {
            var driver = Started(id, voters, settings);
            for (var tick = 0; tick < 100 && driver.Logic.Role != RaftRole.Leader; tick++)
            {
                driver.Now += TimeSpan.FromMilliseconds(50);
                driver.Cooperate(driver.Feed(l => l.Tick(driver.Now)));
            }
            Assert.Equal(RaftRole.Leader, driver.Logic.Role);
            return driver;
        }

        public List<PeerEffect<TestClient>> Start() => Feed(l => l.Start(Now));

        public List<PeerEffect<TestClient>> Feed(Func<PeerLogic<TestClient>, PeerEffects<TestClient>> input)
        {
            var effects = new List<PeerEffect<TestClient>>();
            foreach (var effect in input(Logic)) effects.Add(effect);
            return effects;
        }

        /// <summary>The batch of <paramref name="persist"/> is durable.</summary>
        public List<PeerEffect<TestClient>> Durable(PeerEffect<TestClient> persist)
        {
            _sequenceNr += persist.Events.Count;
            return Feed(l => l.BatchDurable(persist.Token, _sequenceNr, Now));
        }

        public object Answer(object request)
        {
            var client = new TestClient();
            var reply = Assert.Single(Feed(l => l.Request(request, client, Now)), e => e.Kind == PeerEffectKind.Reply);
            Assert.Same(client, reply.Client);
            return reply.Answer;
        }

        /// <summary>
        /// Writes every batch, and has the others grant every vote and accept every append, until nothing is left to do;
        /// returns every effect seen on the way (the given ones included).
        /// </summary>
        public List<PeerEffect<TestClient>> Cooperate(List<PeerEffect<TestClient>> effects)
        {
            var seen = new List<PeerEffect<TestClient>>();
            while (effects.Count > 0)
            {
                seen.AddRange(effects);
                var next = new List<PeerEffect<TestClient>>();
                foreach (var effect in effects)
                {
                    if (effect.Kind == PeerEffectKind.Persist) next.AddRange(Durable(effect));
                    if (effect.Kind != PeerEffectKind.Send) continue;
                    RaftMessage? answer = effect.Message switch
                    {
                        RequestVote vote => new RequestVoteResponse(vote.To, vote.From, vote.Term, vote.PreVote, true),
                        AppendEntries append => new AppendEntriesResponse(append.To, append.From, append.Term, true, append.PrevLogIndex + (ulong)append.Entries.Length, 0, 0),
                        _ => null,
                    };
                    if (answer is not null) next.AddRange(Feed(l => l.Step(answer, Now)));
                }
                effects = next;
            }

            return seen;
        }
    }
}
