namespace AkkaRaft.Persistence.Journal;

/// <summary>
/// A journal plugin: the durable, append-only event log of persistent actors, keyed by persistence id and sequence
/// number. Every method is safe to call concurrently. A write completes only once its events are durable (flushed to
/// stable storage where the plugin has any); a write that fails has stored none of its events.
/// </summary>
public interface IJournal : IAsyncDisposable
{
    /// <summary>The name the plugin is chosen by (<c>sqlite</c>, <c>postgresql</c>, <c>inmem</c>).</summary>
    string PluginId { get; }

    /// <summary>Live counts of writes, transactions and fsyncs, to show how well writes are coalesced.</summary>
    JournalCounters Counters { get; }

    /// <summary>Writes the events of <paramref name="write"/> atomically and durably.</summary>
    /// <exception cref="JournalWriteException">Nothing was written, for example because a sequence number is already taken.</exception>
    ValueTask WriteAsync(AtomicWrite write, CancellationToken cancellationToken = default);

    /// <summary>
    /// Writes all of <paramref name="writes"/> (one or many persistence ids) in one atomic, durable transaction:
    /// either every event is stored or none is.
    /// </summary>
    /// <exception cref="JournalWriteException">Nothing was written.</exception>
    ValueTask WriteAsync(IReadOnlyList<AtomicWrite> writes, CancellationToken cancellationToken = default);

    /// <summary>
    /// The stored events of <paramref name="persistenceId"/> with sequence numbers in
    /// [<paramref name="fromSequenceNr"/>, <paramref name="toSequenceNr"/>], in order, at most <paramref name="max"/> of them.
    /// Every event's checksum is verified before it is yielded.
    /// </summary>
    /// <exception cref="JournalCorruptedException">A stored event fails its checksum; no event after it is yielded.</exception>
    IAsyncEnumerable<PersistentEvent> ReplayAsync(
        string persistenceId, long fromSequenceNr, long toSequenceNr, long max, CancellationToken cancellationToken = default);

    /// <summary>
    /// The highest sequence number ever written for <paramref name="persistenceId"/>, or 0 when none was. Deleting
    /// events does not lower it.
    /// </summary>
    ValueTask<long> ReadHighestSequenceNrAsync(string persistenceId, CancellationToken cancellationToken = default);

    /// <summary>
    /// Deletes the events of <paramref name="persistenceId"/> up to and including <paramref name="toSequenceNr"/>
    /// (durably). The highest sequence number is kept.
    /// </summary>
    ValueTask DeleteMessagesToAsync(string persistenceId, long toSequenceNr, CancellationToken cancellationToken = default);
}
