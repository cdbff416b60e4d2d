using AkkaRaft.Persistence.Journal;
using static AkkaRaft.Persistence.Tests.Support.Events;

namespace AkkaRaft.Persistence.Tests.Journal;

public sealed class AtomicWriteTests
{
    [Fact]
    public void An_atomic_write_without_events_is_refused()
    {
        Assert.Throws<ArgumentException>(() => new AtomicWrite(Array.Empty<PersistentEvent>()));
    }

    [Fact]
    public void Events_of_two_persistence_ids_in_one_atomic_write_are_refused()
    {
        var error = Assert.Throws<ArgumentException>(() => new AtomicWrite([Event("a", 1), Event("b", 2)]));

        Assert.Contains("'b'", error.Message);
    }

    [Fact]
    public void A_gap_in_sequence_numbers_is_refused_naming_where_it_is()
    {
        var error = Assert.Throws<ArgumentException>(() => new AtomicWrite([Event("a", 1), Event("a", 3)]));

        Assert.Contains("has 3 where 2 belongs", error.Message);
    }

    [Fact]
    public void Sequence_number_zero_is_refused()
    {
        Assert.Throws<ArgumentException>(() => new AtomicWrite(Event("a", 0)));
    }

    [Fact]
    public void An_atomic_write_reports_its_range_and_size()
    {
        var write = Write("pid", 4, 6);

        Assert.Equal(("pid", 4L, 6L), (write.PersistenceId, write.LowestSequenceNr, write.HighestSequenceNr));
        Assert.Equal(write.Events.Sum(e => e.SizeBytes), write.SizeBytes);
    }
}
