using System.Collections.Immutable;
using Akka.Actor;
using Akka.Persistence;
using Akka.TestKit;
using AkkaRaft.Raft.Persistence;
using Xunit.Abstractions;

namespace AkkaRaft.Raft.Tests.Persistence;

/// <summary>
/// The cases of Akka's <c>JournalSpec</c> (Akka.Persistence.TCK, which cannot be restored here) that the Raft peer
/// relies on, run against the journal <see cref="RaftPersistence.AkkaConfig"/> configures, through the journal
/// protocol itself (WriteMessages, ReplayMessages, DeleteMessagesTo). Each test starts with events 1 to 5 of
/// <see cref="Pid"/> written one atomic write each, on a database of its own.
/// </summary>
public abstract class JournalConformanceTests : SqlPersistenceTestKit
{
    /// <summary>The persistence id the tests write.</summary>
    protected const string Pid = "p-1";

    private readonly TestProbe _writer;
    private readonly string _writerGuid = Guid.NewGuid().ToString("N");

    /// <summary>Writes events 1 to 5.</summary>
    protected JournalConformanceTests(RaftPersistencePlugin plugin, ITestOutputHelper output)
        : base(TestStorage.Create(plugin), output)
    {
        _writer = CreateTestProbe();
        WriteOneByOne(1, 5);
    }

    [Fact]
    public void Journal_should_replay_all_messages()
    {
        var probe = CreateTestProbe();
        Journal.Tell(new ReplayMessages(1, long.MaxValue, long.MaxValue, Pid, probe.Ref));
        ExpectReplayed(probe, 1, 5);
        probe.ExpectMsg<RecoverySuccess>(r => Assert.Equal(5, r.HighestSequenceNr));
    }

    [Fact]
    public void Journal_should_replay_messages_between_a_lower_and_an_upper_bound()
    {
        var probe = CreateTestProbe();
        Journal.Tell(new ReplayMessages(2, 4, long.MaxValue, Pid, probe.Ref));
        ExpectReplayed(probe, 2, 4);
        probe.ExpectMsg<RecoverySuccess>(r => Assert.Equal(5, r.HighestSequenceNr));
    }

    [Fact]
    public void Journal_should_replay_at_most_max_messages()
    {
        var probe = CreateTestProbe();
        Journal.Tell(new ReplayMessages(2, long.MaxValue, 2, Pid, probe.Ref));
        ExpectReplayed(probe, 2, 3);
        probe.ExpectMsg<RecoverySuccess>(r => Assert.Equal(5, r.HighestSequenceNr));
    }

    [Fact]
    public void Journal_should_replay_nothing_when_max_is_zero()
    {
        var probe = CreateTestProbe();
        Journal.Tell(new ReplayMessages(1, long.MaxValue, 0, Pid, probe.Ref));
        probe.ExpectMsg<RecoverySuccess>(r => Assert.Equal(5, r.HighestSequenceNr));
    }

    [Fact]
    public void Journal_should_replay_nothing_when_the_lower_bound_is_above_the_upper_bound()
    {
        var probe = CreateTestProbe();
        Journal.Tell(new ReplayMessages(3, 2, long.MaxValue, Pid, probe.Ref));
        probe.ExpectMsg<RecoverySuccess>(r => Assert.Equal(5, r.HighestSequenceNr));
    }

    [Fact]
    public void Journal_should_replay_nothing_for_an_unknown_persistence_id_and_report_sequence_number_0()
    {
        var probe = CreateTestProbe();
        Journal.Tell(new ReplayMessages(1, long.MaxValue, long.MaxValue, "unknown", probe.Ref));
        probe.ExpectMsg<RecoverySuccess>(r => Assert.Equal(0, r.HighestSequenceNr));
    }

    [Fact]
    public void Journal_should_replay_persistence_id_sequence_number_and_payload_of_each_event()
    {
        var probe = CreateTestProbe();
        Journal.Tell(new ReplayMessages(3, 3, long.MaxValue, Pid, probe.Ref));
        var replayed = probe.ExpectMsg<ReplayedMessage>().Persistent;
        Assert.Equal(Pid, replayed.PersistenceId);
        Assert.Equal(3, replayed.SequenceNr);
        Assert.False(replayed.IsDeleted);
        Assert.Equal(new TestEvent("e-3"), replayed.Payload);
        probe.ExpectMsg<RecoverySuccess>();
    }

    [Fact]
    public void Journal_should_replay_the_journal_instance_as_writer_not_the_writer_guid_of_the_event()
    {
        // Akka.Persistence.Sql (use-writer-uuid-column = true) stores a uuid of the journal actor in writer_uuid and
        // ignores IPersistentRepresentation.WriterGuid: all events written through one journal replay one writer.
        var probe = CreateTestProbe();
        Journal.Tell(new ReplayMessages(1, long.MaxValue, long.MaxValue, Pid, probe.Ref));
        var writers = new HashSet<string>();
        for (var seq = 1; seq <= 5; seq++)
        {
            writers.Add(probe.ExpectMsg<ReplayedMessage>().Persistent.WriterGuid);
        }

        probe.ExpectMsg<RecoverySuccess>();
        var writer = Assert.Single(writers);
        Assert.False(string.IsNullOrEmpty(writer));
        Assert.NotEqual(_writerGuid, writer);
    }

    [Fact]
    public void Journal_should_not_replay_deleted_messages()
    {
        var probe = CreateTestProbe();
        Journal.Tell(new DeleteMessagesTo(Pid, 3, probe.Ref));
        probe.ExpectMsg<DeleteMessagesSuccess>(d => Assert.Equal(3, d.ToSequenceNr));

        Journal.Tell(new ReplayMessages(1, long.MaxValue, long.MaxValue, Pid, probe.Ref));
        ExpectReplayed(probe, 4, 5);
        probe.ExpectMsg<RecoverySuccess>(r => Assert.Equal(5, r.HighestSequenceNr));
    }

    [Fact]
    public void Journal_should_keep_the_highest_sequence_number_after_every_message_is_deleted()
    {
        var probe = CreateTestProbe();
        Journal.Tell(new DeleteMessagesTo(Pid, 5, probe.Ref));
        probe.ExpectMsg<DeleteMessagesSuccess>(d => Assert.Equal(5, d.ToSequenceNr));

        Journal.Tell(new ReplayMessages(1, long.MaxValue, long.MaxValue, Pid, probe.Ref));
        probe.ExpectMsg<RecoverySuccess>(r => Assert.Equal(5, r.HighestSequenceNr));

        // The next event continues after 5, and replays alone.
        WriteOneByOne(6, 6);
        Journal.Tell(new ReplayMessages(1, long.MaxValue, long.MaxValue, Pid, probe.Ref));
        ExpectReplayed(probe, 6, 6);
        probe.ExpectMsg<RecoverySuccess>(r => Assert.Equal(6, r.HighestSequenceNr));
    }

    [Fact]
    public void Journal_should_keep_the_highest_sequence_number_when_deleting_beyond_it()
    {
        var probe = CreateTestProbe();
        Journal.Tell(new DeleteMessagesTo(Pid, long.MaxValue, probe.Ref));
        probe.ExpectMsg<DeleteMessagesSuccess>();

        Journal.Tell(new ReplayMessages(1, long.MaxValue, long.MaxValue, Pid, probe.Ref));
        probe.ExpectMsg<RecoverySuccess>(r => Assert.Equal(5, r.HighestSequenceNr));
    }

    [Fact]
    public void Journal_should_write_the_events_of_one_atomic_write_together()
    {
        var atomic = new AtomicWrite(ImmutableList.Create<IPersistentRepresentation>(Event(6), Event(7), Event(8)));
        Journal.Tell(new WriteMessages([atomic], _writer.Ref, 1));
        _writer.ExpectMsg<WriteMessagesSuccessful>();
        for (var seq = 6; seq <= 8; seq++)
        {
            var expected = seq;
            _writer.ExpectMsg<WriteMessageSuccess>(m => Assert.Equal(expected, m.Persistent.SequenceNr));
        }

        var probe = CreateTestProbe();
        Journal.Tell(new ReplayMessages(6, long.MaxValue, long.MaxValue, Pid, probe.Ref));
        ExpectReplayed(probe, 6, 8);
        probe.ExpectMsg<RecoverySuccess>(r => Assert.Equal(8, r.HighestSequenceNr));
    }

    [Fact]
    public void Journal_should_write_none_of_an_atomic_write_when_one_of_its_events_fails_in_the_database()
    {
        // Sequence number 3 is taken, so the unique (persistence id, sequence number) index refuses the third row:
        // the two rows before it must be rolled back with it.
        var atomic = new AtomicWrite(ImmutableList.Create<IPersistentRepresentation>(Event(6), Event(7), Event(3)));
        Journal.Tell(new WriteMessages([atomic], _writer.Ref, 1));
        _writer.ExpectMsg<WriteMessagesFailed>();
        _writer.ExpectMsg<WriteMessageFailure>(f => Assert.Equal(6, f.Persistent.SequenceNr));
        _writer.ExpectMsg<WriteMessageFailure>(f => Assert.Equal(7, f.Persistent.SequenceNr));
        _writer.ExpectMsg<WriteMessageFailure>(f => Assert.Equal(3, f.Persistent.SequenceNr));

        var probe = CreateTestProbe();
        Journal.Tell(new ReplayMessages(1, long.MaxValue, long.MaxValue, Pid, probe.Ref));
        ExpectReplayed(probe, 1, 5);
        probe.ExpectMsg<RecoverySuccess>(r => Assert.Equal(5, r.HighestSequenceNr));
    }

    [Fact]
    public void Journal_should_reject_an_event_that_cannot_be_serialized_and_write_the_others()
    {
        var bad = new Persistent(new TestEvent(TestEvent.Unserializable), 7, Pid, writerGuid: _writerGuid);
        Journal.Tell(new WriteMessages([new AtomicWrite(Event(6)), new AtomicWrite(bad), new AtomicWrite(Event(8))], _writer.Ref, 1));
        _writer.ExpectMsg<WriteMessagesSuccessful>();
        _writer.ExpectMsg<WriteMessageSuccess>(m => Assert.Equal(6, m.Persistent.SequenceNr));
        _writer.ExpectMsg<WriteMessageRejected>(m =>
        {
            Assert.Equal(7, m.Persistent.SequenceNr);
            Assert.Contains("refuses to be serialized", m.Cause.Message, StringComparison.Ordinal);
        });
        _writer.ExpectMsg<WriteMessageSuccess>(m => Assert.Equal(8, m.Persistent.SequenceNr));

        var probe = CreateTestProbe();
        Journal.Tell(new ReplayMessages(6, long.MaxValue, long.MaxValue, Pid, probe.Ref));
        probe.ExpectMsg<ReplayedMessage>(m => Assert.Equal(6, m.Persistent.SequenceNr));
        probe.ExpectMsg<ReplayedMessage>(m => Assert.Equal(8, m.Persistent.SequenceNr));
        probe.ExpectMsg<RecoverySuccess>(r => Assert.Equal(8, r.HighestSequenceNr));
    }

    private Persistent Event(long sequenceNr) =>
        new(new TestEvent($"e-{sequenceNr}"), sequenceNr, Pid, writerGuid: _writerGuid);

    private void WriteOneByOne(long from, long to)
    {
        var writes = new List<IPersistentEnvelope>();
        for (var seq = from; seq <= to; seq++)
        {
            writes.Add(new AtomicWrite(Event(seq)));
        }

        Journal.Tell(new WriteMessages(writes, _writer.Ref, 1));
        _writer.ExpectMsg<WriteMessagesSuccessful>();
        for (var seq = from; seq <= to; seq++)
        {
            var expected = seq;
            _writer.ExpectMsg<WriteMessageSuccess>(m =>
            {
                Assert.Equal(expected, m.Persistent.SequenceNr);
                Assert.Equal(1, m.ActorInstanceId);
            });
        }
    }

    private static void ExpectReplayed(TestProbe probe, long from, long to)
    {
        for (var seq = from; seq <= to; seq++)
        {
            var expected = seq;
            probe.ExpectMsg<ReplayedMessage>(m =>
            {
                Assert.Equal(expected, m.Persistent.SequenceNr);
                Assert.Equal(new TestEvent($"e-{expected}"), m.Persistent.Payload);
            });
        }
    }
}

/// <summary>The journal cases on the embedded SQLite file.</summary>
public sealed class SqliteJournalConformanceTests(ITestOutputHelper output)
    : JournalConformanceTests(RaftPersistencePlugin.Sqlite, output);

/// <summary>The journal cases on the PostgreSQL server.</summary>
public sealed class PostgreSqlJournalConformanceTests(ITestOutputHelper output)
    : JournalConformanceTests(RaftPersistencePlugin.PostgreSql, output);
