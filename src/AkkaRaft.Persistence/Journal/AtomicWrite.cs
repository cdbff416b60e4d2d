namespace AkkaRaft.Persistence.Journal;

/// <summary>
/// Events of one persistence id that are written all together or not at all, with contiguous ascending
/// sequence numbers. The constructor checks both, so a journal never has to.
/// </summary>
public sealed class AtomicWrite
{
    /// <summary>Validates and wraps <paramref name="events"/>.</summary>
    /// <exception cref="ArgumentException">
    /// No events; events of different persistence ids; a sequence number below 1; or sequence numbers that are not
    /// contiguous and ascending.
    /// </exception>
    public AtomicWrite(IReadOnlyList<PersistentEvent> events)
    {
        ArgumentNullException.ThrowIfNull(events);
        if (events.Count == 0)
        {
            throw new ArgumentException("An atomic write needs at least one event.", nameof(events));
        }

        var first = events[0];
        ArgumentException.ThrowIfNullOrEmpty(first.PersistenceId, nameof(events));
        if (first.SequenceNr < 1)
        {
            throw new ArgumentException(
                $"Sequence numbers start at 1; persistence id '{first.PersistenceId}' got {first.SequenceNr}.", nameof(events));
        }

        var bytes = 0L;
        for (var i = 0; i < events.Count; i++)
        {
            var e = events[i];
            if (!string.Equals(e.PersistenceId, first.PersistenceId, StringComparison.Ordinal))
            {
                throw new ArgumentException(
                    $"An atomic write holds events of one persistence id; '{e.PersistenceId}' follows '{first.PersistenceId}'.", nameof(events));
            }

            if (e.SequenceNr != first.SequenceNr + i)
            {
                throw new ArgumentException(
                    $"Sequence numbers of an atomic write must be contiguous; persistence id '{first.PersistenceId}' has {e.SequenceNr} where {first.SequenceNr + i} belongs.",
                    nameof(events));
            }

            bytes += e.SizeBytes;
        }

        Events = events;
        SizeBytes = bytes;
    }

    /// <summary>Wraps a single event.</summary>
    public AtomicWrite(PersistentEvent single) : this([single])
    {
    }

    /// <summary>The persistence id every event shares.</summary>
    public string PersistenceId => Events[0].PersistenceId;

    /// <summary>The events, in sequence-number order.</summary>
    public IReadOnlyList<PersistentEvent> Events { get; }

    /// <summary>The sequence number of the first event.</summary>
    public long LowestSequenceNr => Events[0].SequenceNr;

    /// <summary>The sequence number of the last event.</summary>
    public long HighestSequenceNr => Events[^1].SequenceNr;

    /// <summary>The summed <see cref="PersistentEvent.SizeBytes"/> of the events.</summary>
    public long SizeBytes { get; }
}
